//! Re-reading a finding's secret for the plan: a findings file is never trusted, so each secret is read again
//! from its recorded location (a file under the scan root, a blob of the repository there, or the mirror of a
//! swept repository) and checked against the finding's fingerprint before anything acts on it. A plan reads and
//! scans each file and blob once ([`Reader`]), however many findings are located in it.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use super::content::Content;
use crate::model::{BlobId, Finding, fingerprint_key, fingerprint_token};
use crate::scan::Scanner;

/// A secret re-read from its location and proven to be the finding's.
#[derive(Debug)]
pub struct Reread {
    /// The raw text.
    pub secret: String,
    /// DER SPKI of its public key, for private keys that decode.
    pub spki: Option<Vec<u8>>,
    /// The key id found again at that location (rule capture, context, or `AuthKey_<ID>.p8` file name).
    pub key_id: Option<String>,
    /// The issuer id found again at that location.
    pub issuer_id: Option<String>,
}

/// Whether `text` (found by rule `rule_id`, with `spki` when it is a key) is the finding's secret.
fn verify(f: &Finding, rule_id: &str, text: &str, spki: Option<Vec<u8>>) -> Option<Reread> {
    let spki = spki.or_else(|| crate::keys::parsed_spki(text.as_bytes()));
    let token_fp = fingerprint_token(&f.rule_id, text) == f.fingerprint
        || fingerprint_token(rule_id, text) == f.fingerprint;
    let key_fp = spki
        .as_deref()
        .is_some_and(|s| fingerprint_key(s) == f.fingerprint);
    (token_fp || key_fp).then(|| Reread {
        secret: text.to_string(),
        spki,
        key_id: None,
        issuer_id: None,
    })
}

/// Where a sweep location's repository is: the mirror of a URL under `cache`, else a path (relative ones
/// under `root`, as `sweep --dir` names them; never through `..`).
fn repository_dir(name: &str, root: &Path, cache: &Path) -> Option<PathBuf> {
    if crate::source::mirror::looks_like_url(name) {
        return Some(crate::source::mirror::mirror_dir(name, cache));
    }
    let path = Path::new(name);
    (!path
        .components()
        .any(|c| c == std::path::Component::ParentDir))
    .then(|| root.join(path))
}

/// The largest file a plan re-reads (scans skip files over 25 MiB by default).
const MAX_REREAD: u64 = 256 << 20;

/// Reads the file `rel` under `base`, which a findings file names and so cannot be trusted: the path must
/// resolve, links followed, to a regular file inside `base` (a link out of the root, a FIFO that would block, a
/// device that never ends are refused), and at most [`MAX_REREAD`] bytes are read.
fn read_inside(base: &Path, rel: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let shown = base.join(rel).display().to_string();
    let root = std::fs::canonicalize(base).map_err(|e| format!("{}: {e}", base.display()))?;
    let path = std::fs::canonicalize(base.join(rel)).map_err(|e| format!("{shown}: {e}"))?;
    if !path.starts_with(&root) {
        return Err(format!("{shown}: resolves outside the scan root"));
    }
    let meta = std::fs::metadata(&path).map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{shown}: not a regular file (a FIFO, socket or device): not read"
        ));
    }
    if meta.len() > MAX_REREAD {
        return Err(format!("{shown}: larger than {MAX_REREAD} bytes: not read"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_REREAD + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("{shown}: {e}"))?;
    if bytes.len() as u64 > MAX_REREAD {
        return Err(format!("{shown}: larger than {MAX_REREAD} bytes: not read"));
    }
    Ok(bytes)
}

/// What a plan re-reads secrets from: each repository opened, and each file and blob read and scanned, at most
/// once per plan (a report names one file on many locations of many findings, and one repository on more).
pub struct Reader<'a> {
    root: &'a Path,
    /// Whether `root` was given (`--root`): it then overrides the roots the report recorded.
    explicit: bool,
    /// The repository containing `root`, once looked for.
    root_repo: Option<Option<git2::Repository>>,
    /// Sweep repositories by directory; `None` where there is no repository.
    swept: HashMap<PathBuf, Option<git2::Repository>>,
    /// Files by path: the content read, or why it could not be.
    files: HashMap<PathBuf, Result<BlobId, String>>,
    /// Blobs by repository (`None`: the root's) and id: the content, or `None` when the repository lacks it.
    blobs: HashMap<(Option<PathBuf>, git2::Oid), Option<BlobId>>,
    /// Every content read, scanned, by blob id (a file that is also a blob is scanned once).
    contents: HashMap<BlobId, Content>,
    /// How many files and blobs were read, and contents scanned.
    #[cfg(test)]
    counts: (usize, usize),
}

impl<'a> Reader<'a> {
    /// Nothing opened yet. Locations are read under the root their report recorded, unless `explicit`; then,
    /// and for locations that recorded none, under `root`.
    pub fn new(root: &'a Path, explicit: bool) -> Reader<'a> {
        Reader {
            root,
            explicit,
            root_repo: None,
            swept: HashMap::new(),
            files: HashMap::new(),
            blobs: HashMap::new(),
            contents: HashMap::new(),
            #[cfg(test)]
            counts: (0, 0),
        }
    }

    /// The repository at `dir` (a swept repository), else the one containing the scan root, if there is one.
    fn repository(&mut self, dir: Option<&Path>) -> Option<&git2::Repository> {
        match dir {
            Some(dir) => self
                .swept
                .entry(dir.to_path_buf())
                .or_insert_with(|| git2::Repository::open(dir).ok())
                .as_ref(),
            None => {
                let root = self.root;
                self.root_repo
                    .get_or_insert_with(|| git2::Repository::discover(root).ok())
                    .as_ref()
            }
        }
    }

    /// The file `rel` under `base`, read and scanned once (see [`read_inside`]).
    fn file(&mut self, base: &Path, rel: &Path, scanner: &Scanner) -> Result<BlobId, String> {
        let path = base.join(rel);
        if let Some(read) = self.files.get(&path) {
            return read.clone();
        }
        #[cfg(test)]
        {
            self.counts.0 += 1;
        }
        let read = read_inside(base, rel).map(|bytes| self.scanned(bytes, scanner));
        self.files.insert(path, read.clone());
        read
    }

    /// Blob `oid` of the repository at `dir` (see [`Reader::repository`]), read and scanned once; `None` when
    /// the repository lacks it.
    fn blob(&mut self, dir: Option<&Path>, oid: git2::Oid, scanner: &Scanner) -> Option<BlobId> {
        let key = (dir.map(Path::to_path_buf), oid);
        if let Some(read) = self.blobs.get(&key) {
            return *read;
        }
        #[cfg(test)]
        {
            self.counts.0 += 1;
        }
        let bytes = self
            .repository(dir)
            .and_then(|repo| repo.find_blob(oid).ok())
            .map(|b| b.content().to_vec());
        let read = bytes.map(|bytes| self.scanned(bytes, scanner));
        self.blobs.insert(key, read);
        read
    }

    /// Scans `bytes` unless the same content was scanned before.
    fn scanned(&mut self, bytes: Vec<u8>, scanner: &Scanner) -> BlobId {
        let id = BlobId::of_bytes(&bytes);
        if let Entry::Vacant(slot) = self.contents.entry(id) {
            #[cfg(test)]
            {
                self.counts.1 += 1;
            }
            slot.insert(Content::new(&bytes, id, scanner));
        }
        id
    }
}

/// Re-reads a finding's secret from its recorded locations and checks it against the fingerprint. A location
/// of a sweep is read in its own repository (see [`repository_dir`]); others under `root`.
pub fn reread(
    f: &Finding,
    reader: &mut Reader<'_>,
    cache: &Path,
    scanner: &Scanner,
) -> Result<Reread, String> {
    let rules = scanner.rules();
    let root = reader.root;
    let mut tried = Vec::new();
    for loc in &f.locations {
        // The root the report recorded (the work tree, scanned directory, or swept repository) is where the
        // path is, unless --root says otherwise; its repository is opened there.
        // A recorded root that is gone (a moved cache, a report from another machine) falls back to --root,
        // --cache-dir and the current directory.
        let recorded = loc
            .root
            .as_deref()
            .filter(|_| !reader.explicit)
            .map(PathBuf::from)
            .filter(|dir| dir.is_dir());
        let swept = match (recorded, loc.repository.as_deref()) {
            (Some(dir), _) => Some(dir),
            (None, Some(name)) => match repository_dir(name, root, cache) {
                Some(dir) => Some(dir),
                None => {
                    tried.push(format!("repository {name} (outside the scan root)"));
                    continue;
                }
            },
            (None, None) => None,
        };
        let base = swept.as_deref().unwrap_or(root);
        let has_repo = reader.repository(swept.as_deref()).is_some();
        let mut contents: Vec<BlobId> = Vec::new();
        if loc.path != "-" && !loc.path.is_empty() {
            let raw = loc.raw_path();
            let rel = crate::model::path::path_of_bytes(&raw);
            let rel = rel.as_path();
            if rel.is_absolute()
                || rel
                    .components()
                    .any(|c| c == std::path::Component::ParentDir)
            {
                tried.push(format!(
                    "{} (outside the scan root)",
                    crate::display::escape(&loc.path)
                ));
            } else {
                match reader.file(base, rel, scanner) {
                    Ok(id) => contents.push(id),
                    Err(e) => tried.push(e),
                }
            }
        }
        if has_repo && let Ok(oid) = git2::Oid::from_str(&loc.blob) {
            match reader.blob(swept.as_deref(), oid, scanner) {
                // The work tree's file is often this very blob: it was scanned once and is checked once.
                Some(id) if contents.contains(&id) => {}
                Some(id) => contents.push(id),
                None => tried.push(format!("blob {} not in {}", loc.blob, base.display())),
            }
        } else if let Some(dir) = &swept
            && !has_repo
            && loc.repository.is_some()
        {
            tried.push(format!(
                "repository {}: no git repository at {}",
                loc.repository.as_deref().unwrap_or_default(),
                dir.display()
            ));
        }
        for id in &contents {
            let Some(content) = reader.contents.get_mut(id) else {
                continue;
            };
            if let Some(m) = content.find(&f.rule_id, &f.fingerprint) {
                let rule = &rules.rules[m.rule];
                if let Some(mut r) = verify(f, &rule.id, &m.text, m.spki.clone()) {
                    let path = loc.display_path();
                    r.key_id = m
                        .key_id
                        .clone()
                        .or_else(|| rule.key_id_from_path(&path))
                        .or_else(|| {
                            m.gated
                                .iter()
                                .find_map(|&g| rules.rules[g].key_id_from_path(&path))
                        });
                    r.issuer_id = m.issuer_id.clone();
                    return Ok(r);
                }
            }
            for cand in content.at_position(loc.line, loc.column) {
                if let Some(mut r) = verify(f, &f.rule_id, &cand, None) {
                    r.key_id = rules
                        .get(&f.rule_id)
                        .and_then(|rule| rule.key_id_from_path(&loc.display_path()));
                    return Ok(r);
                }
            }
        }
        if !contents.is_empty() {
            tried.push(format!(
                "{}:{}: no secret with this fingerprint there now",
                loc.path, loc.line
            ));
        }
    }
    Err(if tried.is_empty() {
        "no recorded location to re-read".to_string()
    } else {
        tried.join("; ")
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::rules::RuleSet;

    #[cfg(unix)]
    #[test]
    fn revoke_rereads_only_regular_files_inside_the_root() {
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("shadow"), "secret").expect("write");
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::write(root.path().join("ok.env"), "x").expect("write");
        std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).expect("link");
        std::os::unix::fs::symlink("/dev/zero", root.path().join("zero")).expect("link");
        let fifo = root.path().join("pipe");
        let fifo_made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        assert_eq!(
            read_inside(root.path(), Path::new("ok.env")).as_deref(),
            Ok(&b"x"[..])
        );
        let err = read_inside(root.path(), Path::new("escape/shadow")).expect_err("outside");
        assert!(err.contains("outside the scan root"), "{err}");
        let err = read_inside(root.path(), Path::new("zero")).expect_err("device");
        assert!(
            err.contains("outside the scan root") || err.contains("not a regular file"),
            "{err}"
        );
        if fifo_made {
            let err = read_inside(root.path(), Path::new("pipe")).expect_err("fifo");
            assert!(err.contains("not a regular file"), "{err}");
        }
    }

    /// A sweep's report names one repository on many locations of many findings: it is opened once, and the
    /// scan root's repository not at all when no location needs it.
    #[test]
    fn a_swept_repository_is_opened_once_for_all_its_locations() {
        use crate::model::{Location, Secret, Severity};
        let dir = tempfile::tempdir().expect("temp dir");
        let repo_dir = dir.path().join("team/api");
        git2::Repository::init(&repo_dir).expect("init");
        // FAKE tokens for a keysweep test.
        let tokens = ["glpat-Xq7mT2vR9kLp4sWz8bNc", "glpat-Hd3fJ6gY2uE8aQ5rT1cV"];
        let b_env = format!("A={}\nB={}\n", tokens[0], tokens[1]);
        std::fs::write(repo_dir.join("b.env"), &b_env).expect("write");
        let location = |path: &str, line: usize| Location {
            repository: Some("team/api".into()),
            path: path.into(),
            line,
            column: 3,
            blob: BlobId::of_bytes(b_env.as_bytes()).to_hex(),
            ..Default::default()
        };
        let finding = |token: &str, locations: Vec<Location>| Finding {
            rule_id: "gitlab.pat".into(),
            provider: "gitlab".into(),
            severity: Severity::High,
            fingerprint: fingerprint_token("gitlab.pat", token),
            secret: Secret::new(token),
            validated: true,
            key: None,
            inventory: None,
            liveness: None,
            occurrences: locations.len(),
            context: None,
            known_example: false,
            locations,
        };
        let findings = [
            // The first location is gone from the work tree; the second still has the token.
            finding(tokens[0], vec![location("a.env", 1), location("b.env", 1)]),
            finding(tokens[1], vec![location("b.env", 2)]),
        ];
        let (rules, _) = RuleSet::load(true, &[], &[]).expect("built-in rules");
        let scanner = Scanner::new(Arc::new(rules)).expect("scanner");
        let mut repos = Reader::new(dir.path(), true);
        for (f, token) in findings.iter().zip(tokens) {
            let r = reread(f, &mut repos, &dir.path().join("cache"), &scanner).expect("re-read");
            assert_eq!(r.secret, token);
        }
        assert_eq!(
            repos.swept.keys().collect::<Vec<_>>(),
            [&repo_dir],
            "one repository, opened once"
        );
        assert!(repos.swept[&repo_dir].is_some());
        assert!(
            repos.root_repo.is_none(),
            "the root's repository was not needed"
        );
    }

    /// 2,000 findings in one file re-read and rescanned the whole file once per finding (33 s for a dry run).
    /// However many findings a file holds, a plan reads it once, and the blob once, and scans each content once.
    #[test]
    fn revoke_findings_reads_and_scans_each_blob_once_per_plan() {
        use crate::model::{Location, Secret, Severity};
        use crate::rules::generate::generate;
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = git2::Repository::init(dir.path()).expect("init");
        let tokens: Vec<String> = (0..200)
            .map(|i| generate("github-ghp", &format!("reread-{i}")).expect("generator"))
            .collect();
        let committed: String = tokens.iter().map(|t| format!("T={t}\n")).collect();
        let blob = repo.blob(committed.as_bytes()).expect("blob");
        // The work tree has moved on since: the file and the blob are two contents.
        std::fs::write(
            dir.path().join("tokens.env"),
            format!("{committed}# edited\n"),
        )
        .expect("write");
        let finding = |(i, token): (usize, &String)| Finding {
            rule_id: "github.pat".into(),
            provider: "github".into(),
            severity: Severity::High,
            fingerprint: fingerprint_token("github.pat", token),
            secret: Secret::new(token.as_str()),
            validated: true,
            key: None,
            inventory: None,
            liveness: None,
            occurrences: 1,
            context: None,
            known_example: false,
            locations: vec![Location {
                path: "tokens.env".into(),
                line: i + 1,
                column: 3,
                blob: blob.to_string(),
                ..Default::default()
            }],
        };
        let (rules, _) = RuleSet::load(true, &[], &[]).expect("built-in rules");
        let scanner = Scanner::new(Arc::new(rules)).expect("scanner");
        let mut reader = Reader::new(dir.path(), true);
        for (f, token) in tokens.iter().enumerate().map(finding).zip(&tokens) {
            let r = reread(&f, &mut reader, &dir.path().join("cache"), &scanner).expect("re-read");
            assert_eq!(&r.secret, token);
        }
        // A finding whose secret is not there reads nothing more.
        let gone = generate("github-ghp", "gone").expect("generator");
        let err = reread(
            &finding((0, &gone)),
            &mut reader,
            &dir.path().join("cache"),
            &scanner,
        )
        .expect_err("not there");
        assert!(err.contains("no secret with this fingerprint"), "{err}");
        assert_eq!(
            reader.counts,
            (2, 2),
            "one read of the file and one of the blob; one scan of each"
        );
    }
}
