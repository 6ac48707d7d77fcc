//! The scan driver: the [`BlobSink`] every source feeds, owning the matcher. Each unique blob is matched once; a
//! repeated blob only adds its origin, attached afterwards to blobs that had matches. Counters feed the summary.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::{
    Blob, BlobId, Detached, Match, Origin, ScanError, ScannedBlob, Skip, Skipped, Summary, Unread,
};
use crate::scan::{Candidates, Scanner};
use crate::source::BlobSink;

/// Identifies content within one scan without the cost of SHA-1: its length and 128-bit XXH3.
type ContentKey = (usize, u128);

/// Shared by all workers of one scan: deduplicates blobs, runs the scanner, collects results.
pub struct Engine<'a> {
    scanner: &'a Scanner,
    seen: Mutex<HashSet<BlobId>>,
    hits: Mutex<Vec<ScannedBlob>>,
    duplicates: Mutex<Vec<(BlobId, Origin)>>,
    /// Tree scans: content seen, by length and 128-bit XXH3 (the SHA-1 blob id is computed only for content
    /// with matches), the repeats of such content, and the blob ids of content that had matches.
    seen_content: Mutex<HashSet<ContentKey>>,
    content_duplicates: Mutex<Vec<(ContentKey, Origin)>>,
    content_ids: Mutex<HashMap<ContentKey, BlobId>>,
    errors: Mutex<Vec<ScanError>>,
    files: AtomicU64,
    blobs: AtomicU64,
    bytes: AtomicU64,
    skipped: [AtomicU64; 5],
    skipped_files: Mutex<Vec<(String, Skip)>>,
}

impl<'a> Engine<'a> {
    /// A sink that matches with `scanner`.
    pub fn new(scanner: &'a Scanner) -> Engine<'a> {
        Engine {
            scanner,
            seen: Mutex::new(HashSet::new()),
            hits: Mutex::new(Vec::new()),
            duplicates: Mutex::new(Vec::new()),
            seen_content: Mutex::new(HashSet::new()),
            content_duplicates: Mutex::new(Vec::new()),
            content_ids: Mutex::new(HashMap::new()),
            errors: Mutex::new(Vec::new()),
            files: AtomicU64::new(0),
            blobs: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            skipped: Default::default(),
            skipped_files: Mutex::new(Vec::new()),
        }
    }

    /// Counts and matches one unique blob.
    fn match_blob(&self, id: BlobId, bytes: &[u8], origin: Origin) {
        let detached = self.match_detached(id, bytes);
        self.keep(id, detached, origin);
    }

    /// Counts one unique blob matched, and keeps what it found under `origin`.
    fn keep(&self, id: BlobId, detached: Detached, origin: Origin) {
        self.blobs.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(detached.len, Ordering::Relaxed);
        if let Some(found) = detached.found {
            let (matches, unread) = *found;
            self.note_unread(id, &origin, unread);
            self.record(id, origin, matches);
        }
    }

    /// Counts what an archive left unread under `too large` (each member over the member cap, and the archive
    /// itself when its budget ran out) and records each part of it that would not open as an error. They are
    /// named by the blob's origin (its id when it has no path), then `!` and the path inside the archive.
    fn note_unread(&self, id: BlobId, origin: &Origin, unread: Unread) {
        if unread.is_empty() {
            return;
        }
        let name = match origin {
            Origin::Stdin => "-".to_string(),
            _ => origin.path().map_or_else(|| id.to_hex(), str::to_string),
        };
        let inside = |member: &str| match member {
            "" => name.clone(),
            _ => format!("{name}!{member}"),
        };
        for member in &unread.too_large {
            self.skip_entry(Skip::TooLarge, inside(member));
        }
        if unread.budget_spent {
            self.skip_entry(Skip::TooLarge, name.clone());
        }
        for (member, why) in unread.unreadable {
            self.error(inside(&member), why);
        }
    }

    /// Keeps a blob's matches, if any.
    fn record(&self, id: BlobId, origin: Origin, matches: Vec<Match>) {
        if !matches.is_empty() {
            let hit = ScannedBlob {
                id,
                origins: vec![origin],
                matches,
            };
            self.hits.lock().expect("hits lock").push(hit);
        }
    }

    /// Counts a skipped input under `why` and remembers its path.
    fn skip_entry(&self, why: Skip, path: String) {
        self.skipped[why as usize].fetch_add(1, Ordering::Relaxed);
        self.skipped_files
            .lock()
            .expect("skipped files lock")
            .push((path, why));
    }

    /// Files seen, unique blobs matched and their bytes so far (for progress while the scan runs).
    pub fn counts(&self) -> (u64, u64, u64) {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        (n(&self.files), n(&self.blobs), n(&self.bytes))
    }

    /// The blobs with matches (each with all its origins), the errors, and the counters.
    pub fn finish(self) -> (Vec<ScannedBlob>, Vec<ScanError>, Summary) {
        let mut hits = self.hits.into_inner().expect("hits lock");
        let content_ids = self.content_ids.into_inner().expect("content ids lock");
        let mut duplicates = self.duplicates.into_inner().expect("duplicates lock");
        for (key, origin) in self
            .content_duplicates
            .into_inner()
            .expect("content duplicates lock")
        {
            if let Some(&id) = content_ids.get(&key) {
                duplicates.push((id, origin));
            }
        }
        let index: HashMap<BlobId, usize> =
            hits.iter().enumerate().map(|(i, h)| (h.id, i)).collect();
        for (id, origin) in duplicates {
            if let Some(&i) = index.get(&id) {
                hits[i].origins.push(origin);
            }
        }
        for h in &mut hits {
            h.origins.sort();
            h.origins.dedup();
        }
        hits.sort_by_key(|h| h.id);
        let mut errors = self.errors.into_inner().expect("errors lock");
        errors.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let summary = Summary {
            files_scanned: n(&self.files),
            blobs_scanned: n(&self.blobs),
            bytes_scanned: n(&self.bytes),
            skipped: Skipped {
                binary: n(&self.skipped[Skip::Binary as usize]),
                too_large: n(&self.skipped[Skip::TooLarge as usize]),
                unreadable: n(&self.skipped[Skip::Unreadable as usize]),
                lfs_pointer: n(&self.skipped[Skip::LfsPointer as usize]),
                missing_object: n(&self.skipped[Skip::MissingObject as usize]),
            },
            skipped_files: {
                let mut v: Vec<(String, String)> = self
                    .skipped_files
                    .into_inner()
                    .expect("skipped files lock")
                    .into_iter()
                    .map(|(p, why)| (p, why.as_str().to_string()))
                    .collect();
                v.sort();
                v
            },
            ..Summary::default()
        };
        (hits, errors, summary)
    }
}

impl BlobSink for Engine<'_> {
    /// Whether the blob id has been seen already; marks it seen.
    fn first_sight(&self, id: BlobId) -> bool {
        self.seen.lock().expect("seen-set lock").insert(id)
    }

    /// Matches a blob unless its content was already matched, in which case only its origin is recorded.
    fn submit(&self, blob: Blob) {
        self.files.fetch_add(1, Ordering::Relaxed);
        if !self.first_sight(blob.id) {
            self.duplicates
                .lock()
                .expect("duplicates lock")
                .push((blob.id, blob.origin));
            return;
        }
        self.match_blob(blob.id, &blob.bytes, blob.origin);
    }

    /// Matches file content that may repeat, borrowed from the caller's reused buffer. Content in which no rule
    /// keyword occurs cannot match and is neither hashed nor deduplicated. Other content is matched once per
    /// distinct content (recognised by length and XXH3-128, several times cheaper than SHA-1), its repeats only
    /// adding their origin; the git blob id (SHA-1) is computed only for content that has matches. So in tree
    /// scans identical files without any keyword each count as a scanned blob. An archive is always matched,
    /// member by member.
    fn submit_bytes(&self, bytes: &[u8], origin: Origin) {
        self.files.fetch_add(1, Ordering::Relaxed);
        // An archive's own bytes are compressed: only its members are worth a keyword pass. A key container is
        // matched as its base64 rendering.
        let text = crate::scan::as_text(bytes);
        let whole = crate::sniff::is_archive(bytes) || crate::sniff::is_key_container(bytes);
        let candidates = (!whole).then(|| self.scanner.candidate_rules(&text));
        if candidates.as_ref().is_some_and(Candidates::is_empty) {
            self.blobs.fetch_add(1, Ordering::Relaxed);
            self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            return;
        }
        let key = (bytes.len(), xxhash_rust::xxh3::xxh3_128(bytes));
        if !self
            .seen_content
            .lock()
            .expect("seen-content lock")
            .insert(key)
        {
            self.content_duplicates
                .lock()
                .expect("content duplicates lock")
                .push((key, origin));
            return;
        }
        self.blobs.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let mut matches = match candidates {
            Some(candidates) => self
                .scanner
                .scan_candidates(BlobId([0; 20]), &text, candidates),
            None => {
                let (matches, unread) = self.scanner.scan_with_unread(BlobId([0; 20]), bytes);
                // Tree content has a path (or is standard input): the id is not needed to name it.
                self.note_unread(BlobId([0; 20]), &origin, unread);
                matches
            }
        };
        if matches.is_empty() {
            return;
        }
        let id = BlobId::of_bytes(bytes);
        for m in &mut matches {
            m.blob = id;
        }
        self.content_ids
            .lock()
            .expect("content ids lock")
            .insert(key, id);
        self.record(id, origin, matches);
    }

    /// Matches a blob the caller already knows to be unique (history sources dedupe ids before reading).
    fn scan_unique(&self, blob: Blob) {
        self.scan_unique_bytes(blob.id, &blob.bytes, blob.origin);
    }

    /// Like [`BlobSink::scan_unique`], for bytes the caller keeps (an object read from a git pack, no copy).
    fn scan_unique_bytes(&self, id: BlobId, bytes: &[u8], origin: Origin) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.match_blob(id, bytes, origin);
    }

    /// Matches a unique blob whose origin is not known yet, counting nothing.
    fn match_detached(&self, id: BlobId, bytes: &[u8]) -> Detached {
        let (matches, unread) = self.scanner.scan_with_unread(id, bytes);
        Detached {
            len: bytes.len() as u64,
            found: (!matches.is_empty() || !unread.is_empty()).then(|| Box::new((matches, unread))),
        }
    }

    /// Counts and keeps a detached match, as [`BlobSink::scan_unique_bytes`] would have.
    fn attach(&self, id: BlobId, detached: Detached, origin: Origin) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.keep(id, detached, origin);
    }

    /// Counts a skipped input.
    fn skip(&self, why: Skip) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.skipped[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a skipped input and remembers its path (listed by `-v`).
    fn skip_path(&self, why: Skip, path: String) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.skip_entry(why, path);
    }

    /// Counts a directory that could not be read under `unreadable` and remembers its path, but not as a
    /// file: `files_scanned` counts files only.
    fn skip_unreadable_dir(&self, path: String) {
        self.skip_entry(Skip::Unreadable, path);
    }

    /// Records an input that failed; the scan goes on.
    fn error(&self, location: String, message: String) {
        let message = crate::display::plain_error(&message).into_owned();
        let e = ScanError { location, message };
        self.errors.lock().expect("errors lock").push(e);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use git2::Repository;

    use super::*;
    use crate::rules::RuleSet;
    use crate::rules::generate::generate;
    use crate::source::git::{FORCED_ORDER, HistoryOptions, Order, Reader, scan_history_with};
    use crate::source::testing::{commit_files as commit, pack_and_prune};

    /// What a history scan with an [`Engine`] found: each blob with matches (rule, secret span, line; origins),
    /// the errors and the summary's counters.
    fn history(path: &std::path::Path, scanner: &Scanner, reader: Reader) -> String {
        let engine = Engine::new(scanner);
        let opts = HistoryOptions {
            all_objects: false,
            max_file_size: 1 << 20,
            recurse_submodules: false,
        };
        scan_history_with(path, &opts, &engine, reader).expect("history scan");
        let (hits, errors, summary) = engine.finish();
        let hits: Vec<String> = hits
            .iter()
            .map(|h| {
                let matches: Vec<_> = h
                    .matches
                    .iter()
                    .map(|m| (m.rule, m.secret_span.clone(), m.line))
                    .collect();
                format!("{} {:?} {matches:?}", h.id.to_hex(), h.origins)
            })
            .collect();
        let errors: Vec<_> = errors.iter().map(|e| (&e.location, &e.message)).collect();
        let mut summary = summary;
        summary.elapsed_ms = 0;
        format!("{hits:#?}\n{errors:?}\n{summary:?}")
    }

    /// The pack pass matches a blob it decodes before the walk names it without its path, and hands the result
    /// over once the walk does: the findings, their origins, the errors naming paths (an archive that would not
    /// open) and the counters are those of a scan that knew every path first, and those of the libgit2 reader.
    #[test]
    fn matches_made_before_the_walk_names_a_blob_are_reported_under_its_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repository::init_bare(dir.path()).expect("init");
        let token = generate("github-ghp", "sink-early").expect("generator");
        let other = generate("github-ghp", "sink-early-2").expect("generator");
        let env = format!("GITHUB_TOKEN={token}\n");
        let env2 = format!("GITHUB_TOKEN={token}\nBACKUP_TOKEN={other}\n");
        let mut bogus_zip = b"PK\x03\x04".to_vec();
        bogus_zip.extend_from_slice(b"fake example bytes that are no zip archive\n");
        let mut binary = vec![0u8; 64];
        binary.extend_from_slice(env.as_bytes());
        let first = commit(
            &repo,
            &[
                ("app.env", env.clone().into_bytes()),
                ("notes.txt", b"fake example notes\n".to_vec()),
                ("bundle.zip", bogus_zip),
            ],
            None,
        );
        commit(
            &repo,
            &[
                ("app.env", env2.into_bytes()),
                ("copy.env", env.into_bytes()),
                ("blob.bin", binary),
            ],
            Some(first),
        );
        pack_and_prune(&repo, &[]);

        let scanner = Scanner::new(Arc::new(RuleSet::builtin().expect("rules"))).expect("scanner");
        let plain = history(dir.path(), &scanner, Reader::Libgit2);
        assert!(
            plain.contains("app.env") && plain.contains("bundle.zip"),
            "{plain}"
        );
        for order in [Order::Together, Order::WalkFirst, Order::PassFirst] {
            FORCED_ORDER.with(|o| o.set(order));
            let packs = history(dir.path(), &scanner, Reader::Packs);
            FORCED_ORDER.with(|o| o.set(Order::Together));
            assert_eq!(packs, plain, "{order:?}");
        }
    }
}
