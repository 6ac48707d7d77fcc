//! The scan driver: the [`BlobSink`] every source feeds, owning the matcher. Each unique blob is matched once; a
//! repeated blob only adds its origin, attached afterwards to blobs that had matches. Counters feed the summary.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::{Blob, BlobId, Match, Origin, ScanError, ScannedBlob, Skip, Skipped, Summary};
use crate::scan::{Candidates, Scanner, Unread};
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
        self.blobs.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let (matches, unread) = self.scanner.scan_with_unread(id, bytes);
        self.note_unread(id, &origin, unread);
        self.record(id, origin, matches);
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
