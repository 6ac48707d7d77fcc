//! Git history as a source (`scan --history`): every blob reachable from every ref (branches, tags,
//! remote-tracking refs, the stash and its reflog, a detached HEAD), each unique blob read and matched exactly
//! once. A walker compares each commit's tree with its parents' trees (`introductions.rs`: only subtrees that
//! differ from every parent's are read, each tree parsed once while it is in a small cache), lists the ids of
//! blobs it has not seen before with the first path they were seen under, and records every introduction
//! (blob, path, commit) on the way, so that attribution later costs a lookup per finding. Meanwhile every pack of
//! the repository is traversed once in pack order (`packs.rs`: each object inflated once, from its decoded
//! delta base, on every core) and each blob in it is classified (binary, too
//! large, LFS pointer) and matched as it is decoded, before the walk names it if need be: its result then waits
//! for its path. What no pack held (loose objects, alternates, objects missing from a partial
//! clone, a pack gix cannot read) is read by rayon workers, each with its own `git2::Repository` (git2
//! objects are not `Sync`), from the object database. `KEYSWEEP_HISTORY_READER=libgit2` reads every blob that
//! way instead, streamed to the workers while the walk runs (the reader before the pack pass). Cost grows
//! with unique blob bytes and changed trees, not commits × files; commit attribution happens afterwards, only
//! for blobs with findings (`attribution.rs`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use crossbeam_channel::Sender;
use git2::{ErrorCode, ObjectType, Odb, Oid, Repository, Revwalk};
use rayon::iter::{ParallelBridge, ParallelIterator};

use super::BlobSink;
use super::introductions::{DiffWalk, Introductions, Step};
use crate::model::{Blob, BlobId, Detached, Origin, Skip};
use crate::sniff::{is_key_file, is_lfs_pointer, looks_binary};

/// What kind of repository a scan read, for the summary and for classifying missing objects.
#[derive(Clone, Debug)]
pub struct RepoInfo {
    /// The git directory (`.git`, or the repository itself when bare).
    pub git_dir: PathBuf,
    /// A shallow clone: history before the shallow boundary is not there to scan.
    pub shallow: bool,
    /// A partial clone (a promisor remote): missing objects are expected, counted, not errors.
    pub partial: bool,
}

/// Options of a history scan.
#[derive(Clone, Debug)]
pub struct HistoryOptions {
    /// Also read unreachable objects in the object database.
    pub all_objects: bool,
    /// Blobs larger than this are skipped.
    pub max_file_size: u64,
    /// Also scan the history of every checked-out submodule (`--recurse-submodules`).
    pub recurse_submodules: bool,
}

/// One repository a history scan read: the repository itself, or a submodule whose paths are reported under
/// `prefix` (`vendor/lib/`).
#[derive(Clone, Debug)]
pub struct ScannedRepo {
    /// The repository.
    pub info: RepoInfo,
    /// Prepended to its paths; empty for the repository itself.
    pub prefix: String,
    /// What each commit introduced, recorded by the history walk for attribution (`None`: not recorded, past
    /// its bounds, or not a history scan).
    pub introductions: Option<Arc<Introductions>>,
}

/// Opens the repository containing `path` (a work tree, a subdirectory of one, a linked worktree or a bare
/// repository).
pub fn open(path: &Path) -> Result<(Repository, RepoInfo)> {
    super::config_guard::check(path)?;
    let repo = Repository::discover(path).map_err(|e| {
        let hint = if e.message().contains("extensions.partialclone") {
            " (a partial clone made by an older git; `git config --unset extensions.partialClone` \
             and `git config remote.origin.promisor true` describe the same clone in the form \
             current git writes)"
        } else {
            ""
        };
        anyhow::anyhow!(
            "{}: not a git repository: {}{hint}",
            path.display(),
            e.message()
        )
    })?;
    let info = RepoInfo {
        git_dir: repo.path().to_path_buf(),
        shallow: repo.is_shallow(),
        partial: is_partial_clone(&repo),
    };
    Ok((repo, info))
}

/// Whether the repository has a promisor remote (`extensions.partialClone` or `remote.*.promisor`).
pub fn is_partial_clone(repo: &Repository) -> bool {
    let Ok(config) = repo.config() else {
        return false;
    };
    if config
        .get_string("extensions.partialclone")
        .is_ok_and(|s| !s.is_empty())
    {
        return true;
    }
    let Ok(mut entries) = config.entries(Some(r"^remote\..*\.promisor$")) else {
        return false;
    };
    let mut promisor = false;
    while let Some(Ok(entry)) = entries.next() {
        if entry
            .value()
            .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1"))
        {
            promisor = true;
        }
    }
    promisor
}

/// Converts a git2 object id to a blob id.
pub fn blob_id(oid: Oid) -> BlobId {
    let mut id = [0u8; 20];
    id.copy_from_slice(&oid.as_bytes()[..20]);
    BlobId(id)
}

/// Converts a blob id to a git2 object id.
pub fn oid_of(id: BlobId) -> Oid {
    Oid::from_bytes(&id.0).expect("20 bytes are a valid SHA-1 object id")
}

/// One blob to read: its id, where it was seen, and the origin it is reported under.
#[derive(Clone, Debug)]
pub struct BlobJob {
    /// The object id.
    pub oid: Oid,
    /// A commit that contains it, if known (for error messages).
    pub commit: Option<Oid>,
    /// The origin the blob is matched and reported under.
    pub origin: Origin,
}

impl BlobJob {
    /// Where an error about this blob happened: the object id, with path and commit when known.
    pub fn describe(&self) -> String {
        let mut s = format!("object {}", self.oid);
        if let Some(p) = self.origin.path() {
            s.push_str(&format!(" ({p}"));
            if let Some(c) = self.commit {
                s.push_str(&format!(" in commit {c}"));
            }
            s.push(')');
        } else if let Some(c) = self.commit {
            s.push_str(&format!(" (in commit {c})"));
        }
        s
    }
}

/// What happened to a blob handed to [`read_blob`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Matched.
    Scanned,
    /// Skipped for a reason counted in the summary (or recorded as an error).
    Skipped,
}

/// Reads one blob from the object database, classifies it and, unless skipped, matches it. `unique` blobs
/// bypass the sink's seen-set (history sources dedupe ids before reading).
pub fn read_blob(
    odb: &Odb<'_>,
    job: BlobJob,
    info: &RepoInfo,
    max_file_size: u64,
    sink: &dyn BlobSink,
    unique: bool,
) -> ReadOutcome {
    // The header alone tells the size: a blob over the limit is never inflated.
    if let Ok((size, _)) = odb.read_header(job.oid)
        && size as u64 > max_file_size
    {
        sink.skip(Skip::TooLarge);
        return ReadOutcome::Skipped;
    }
    let object = match odb.read(job.oid) {
        Ok(o) => o,
        Err(e) => {
            if e.code() == ErrorCode::NotFound && info.partial {
                sink.skip(Skip::MissingObject);
            } else if e.code() == ErrorCode::NotFound {
                sink.skip(Skip::Unreadable);
                sink.error(
                    job.describe(),
                    "object is missing from the object database (the repository is not a partial \
                     clone, so it is corrupt)"
                        .into(),
                );
            } else {
                sink.skip(Skip::Unreadable);
                sink.error(
                    job.describe(),
                    format!("cannot read object: {}", e.message()),
                );
            }
            return ReadOutcome::Skipped;
        }
    };
    if object.kind() != ObjectType::Blob {
        sink.skip(Skip::Unreadable);
        sink.error(
            job.describe(),
            format!("expected a blob, found a {}", object.kind()),
        );
        return ReadOutcome::Skipped;
    }
    classify_and_scan(job, object.data(), max_file_size, sink, unique)
}

/// Why a blob is skipped, if it is: over the size limit, binary (unless `key_file()`, asked of binary blobs
/// only: its path names a key file), or a Git LFS pointer, checked in that order. The one place both history
/// readers (the object database, the pack pass, with or without the blob's path) decide what a blob is.
fn skip_of(bytes: &[u8], max_file_size: u64, key_file: impl FnOnce() -> bool) -> Option<Skip> {
    if bytes.len() as u64 > max_file_size {
        Some(Skip::TooLarge)
    } else if looks_binary(bytes) && !key_file() {
        Some(Skip::Binary)
    } else if is_lfs_pointer(bytes) {
        Some(Skip::LfsPointer)
    } else {
        None
    }
}

/// Classifies a blob's bytes ([`skip_of`]) and, unless skipped, matches them.
fn classify_and_scan(
    job: BlobJob,
    bytes: &[u8],
    max_file_size: u64,
    sink: &dyn BlobSink,
    unique: bool,
) -> ReadOutcome {
    if let Some(why) = skip_of(bytes, max_file_size, || {
        job.origin.path().is_some_and(is_key_file)
    }) {
        sink.skip(why);
        return ReadOutcome::Skipped;
    }
    if unique {
        sink.scan_unique_bytes(blob_id(job.oid), bytes, job.origin);
    } else {
        sink.submit(Blob {
            id: blob_id(job.oid),
            bytes: bytes.to_vec(),
            origin: job.origin,
        });
    }
    ReadOutcome::Scanned
}

/// Reads and matches jobs in parallel, each rayon worker with its own repository handle.
pub fn read_parallel<I>(
    info: &RepoInfo,
    jobs: I,
    max_file_size: u64,
    sink: &dyn BlobSink,
    unique: bool,
) where
    I: Iterator<Item = BlobJob> + Send,
{
    jobs.par_bridge().for_each_init(
        || {
            Repository::open(&info.git_dir)
                .map_err(|e| format!("cannot open {}: {}", info.git_dir.display(), e.message()))
        },
        |repo, job| match repo.as_ref().map(|r| r.odb()) {
            Ok(Ok(odb)) => {
                read_blob(&odb, job, info, max_file_size, sink, unique);
            }
            Ok(Err(e)) => {
                sink.skip(Skip::Unreadable);
                sink.error(
                    job.describe(),
                    format!("cannot open the object database: {}", e.message()),
                );
            }
            Err(msg) => {
                sink.skip(Skip::Unreadable);
                sink.error(job.describe(), msg.clone());
            }
        },
    );
}

/// Pushes every ref's commit onto `walk` (tags peeled, the stash reflog included). Refs that point at trees or
/// blobs directly are returned; refs that cannot be resolved are recorded as errors unless the repository is
/// partial.
pub fn push_all_refs(
    repo: &Repository,
    walk: &mut Revwalk<'_>,
    loose_objects: &mut Vec<(Oid, ObjectType)>,
    sink: Option<&dyn BlobSink>,
) -> Result<()> {
    let mut starts: Vec<(String, Oid)> = Vec::new();
    if let Ok(head) = repo.head()
        && let Some(oid) = head.target()
    {
        starts.push(("HEAD".into(), oid));
    }
    for reference in repo.references().context("listing references")? {
        let reference = match reference {
            Ok(r) => r,
            Err(e) => {
                if let Some(sink) = sink {
                    sink.error(
                        "refs".into(),
                        format!("cannot read a reference: {}", e.message()),
                    );
                }
                continue;
            }
        };
        let name = reference
            .name()
            .unwrap_or("(non-UTF-8 ref name)")
            .to_string();
        let target = match reference.resolve() {
            Ok(r) => r.target(),
            Err(_) => None,
        };
        if let Some(oid) = target {
            starts.push((name, oid));
        }
    }
    if let Ok(reflog) = repo.reflog("refs/stash") {
        for entry in reflog.iter() {
            starts.push(("refs/stash (reflog)".into(), entry.id_new()));
        }
    }
    starts.sort();
    starts.dedup_by(|a, b| a.1 == b.1);
    for (name, oid) in starts {
        let mut current = oid;
        // Peel tags by hand so a tag of a tree or a blob is scanned too.
        loop {
            let kind = match repo.find_object(current, None) {
                Ok(o) => o.kind(),
                Err(e) => {
                    if let Some(sink) = sink {
                        sink.error(
                            format!("{name} ({current})"),
                            format!("cannot read the object it points to: {}", e.message()),
                        );
                    }
                    break;
                }
            };
            match kind {
                Some(ObjectType::Tag) => match repo.find_tag(current) {
                    Ok(tag) => current = tag.target_id(),
                    Err(_) => break,
                },
                Some(ObjectType::Commit) => {
                    if let Err(e) = walk.push(current)
                        && let Some(sink) = sink
                    {
                        sink.error(
                            format!("{name} ({current})"),
                            format!("cannot walk history: {}", e.message()),
                        );
                    }
                    break;
                }
                Some(k @ (ObjectType::Tree | ObjectType::Blob)) => {
                    loose_objects.push((current, k));
                    break;
                }
                _ => break,
            }
        }
    }
    Ok(())
}

/// Blob jobs the walk sends at once: one channel message (and at most one wake-up of the receiver) per this
/// many blobs instead of per blob.
const BATCH: usize = 256;

/// Walks commits and trees, sending each blob id not seen before (with its first path) to `tx`, in batches.
struct Enumerator<'r, 's> {
    repo: &'r Repository,
    info: &'r RepoInfo,
    sink: &'s dyn BlobSink,
    seen_trees: HashSet<Oid>,
    /// Every blob id listed, with its index in `blob_ids`.
    seen_blobs: HashMap<Oid, u32>,
    blob_ids: Vec<Oid>,
    prefix: String,
    /// Jobs not sent yet (at most [`BATCH`]).
    batch: Vec<BlobJob>,
    tx: Sender<Vec<BlobJob>>,
}

impl Enumerator<'_, '_> {
    /// Sends the jobs batched so far; false when the receiver is gone.
    fn flush(&mut self) -> bool {
        self.batch.is_empty()
            || self
                .tx
                .send(std::mem::replace(
                    &mut self.batch,
                    Vec::with_capacity(BATCH),
                ))
                .is_ok()
    }

    fn send(&mut self, oid: Oid, path: Option<String>, commit: Option<Oid>) -> bool {
        if self.seen_blobs.contains_key(&oid) {
            return true;
        }
        self.seen_blobs.insert(oid, self.blob_ids.len() as u32);
        self.blob_ids.push(oid);
        // The sink's seen-set dedupes across repositories (a submodule sharing files with its superproject).
        if !self.sink.first_sight(blob_id(oid)) {
            return true;
        }
        let job = BlobJob {
            oid,
            commit,
            origin: Origin::GitBlob { path, commit: None },
        };
        self.batch.push(job);
        self.batch.len() < BATCH || self.flush()
    }

    fn missing(&self, what: String, e: &git2::Error) {
        if e.code() == ErrorCode::NotFound && self.info.partial {
            self.sink.skip(Skip::MissingObject);
        } else {
            self.sink
                .error(what, format!("cannot read object: {}", e.message()));
        }
    }

    /// Walks one tree and every subtree not seen before, depth first with an explicit stack (a tree nested
    /// 100k levels deep costs heap, not call stack). A pending subtree holds its name and its parent's path
    /// length, not its path: the current directory lives in one buffer, cut back to the parent's length when
    /// a subtree is popped (depth first, the parent of the tree popped is the last directory read or one of
    /// its ancestors), so paths cost O(depth) bytes, not O(depth²), and are copied out only for blobs sent.
    fn walk_tree(&mut self, root: Oid, commit: Option<Oid>) -> bool {
        if !self.seen_trees.insert(root) {
            return true;
        }
        // (tree, its name in its parent — the whole prefix for the root —, its parent's path length).
        let mut stack: Vec<(Oid, String, usize)> = vec![(root, self.prefix.clone(), 0)];
        let mut prefix = String::new();
        while let Some((tree_id, name, parent_len)) = stack.pop() {
            prefix.truncate(parent_len);
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(&name);
            let tree = match self.repo.find_tree(tree_id) {
                Ok(t) => t,
                Err(e) => {
                    let mut what = format!("tree {tree_id}");
                    match (prefix.is_empty(), commit) {
                        (true, Some(c)) => what.push_str(&format!(" (root of commit {c})")),
                        (false, Some(c)) => what.push_str(&format!(" ({prefix} in commit {c})")),
                        (false, None) => what.push_str(&format!(" ({prefix})")),
                        (true, None) => {}
                    }
                    self.missing(what, &e);
                    continue;
                }
            };
            for entry in tree.iter() {
                let kind = entry.kind();
                if kind == Some(ObjectType::Blob) && !self.seen_blobs.contains_key(&entry.id()) {
                    // Build a path only for objects not seen before: most entries of most trees are repeats.
                    let name = crate::model::path::from_bytes(entry.name_bytes());
                    let path = if prefix.is_empty() {
                        name.into_owned()
                    } else {
                        format!("{prefix}/{name}")
                    };
                    if !self.send(entry.id(), Some(path), commit) {
                        return false;
                    }
                } else if kind == Some(ObjectType::Tree) && self.seen_trees.insert(entry.id()) {
                    let name = crate::model::path::from_bytes(entry.name_bytes()).into_owned();
                    stack.push((entry.id(), name, prefix.len()));
                }
                // Submodules (gitlinks) name commits of another repository: not followed.
            }
        }
        true
    }

    /// Compares each commit's tree with its parents' (`introductions.rs`), sending each blob the first time a
    /// commit introduces it or a parent has it where the commit has something else. Returns `None` when the receiver is gone (the walk stopped), else the
    /// introductions found, or `Some(None)` when they went past their bounds: the rest of the walk then reads
    /// each unique tree once ([`Enumerator::walk_tree`]) and attribution makes its own pass.
    fn walk_commits(&mut self, walk: Revwalk<'_>) -> Option<Option<Introductions>> {
        let repo = self.repo;
        // A parent the walk does not reach (beyond a shallow boundary) counts as absent, as in attribution. Only
        // a shallow clone can have a parent that is there but not walked: elsewhere a parent is walked or
        // unreadable, and an unreadable one counts as absent anyway.
        let mut walked: Option<HashSet<Oid>> = None;
        let commits: Box<dyn Iterator<Item = Result<Oid, git2::Error>>> = if self.info.shallow {
            let all: Vec<_> = walk.collect();
            walked = Some(all.iter().flatten().copied().collect());
            Box::new(all.into_iter())
        } else {
            Box::new(walk)
        };
        // Commits read as parents before their own turn: (tree, parents).
        let mut read_ahead: HashMap<Oid, (Oid, Vec<Oid>)> = HashMap::new();
        let read = |oid: Oid| -> Result<(Oid, Vec<Oid>), git2::Error> {
            let c = repo.find_commit(oid)?;
            Ok((c.tree_id(), c.parent_ids().collect()))
        };
        let Ok(odb) = repo.odb() else {
            // Without an object database nothing can be read; walk the old way, which says so per tree.
            for oid in commits.flatten() {
                match repo.find_commit(oid) {
                    Ok(c) => {
                        if !self.walk_tree(c.tree_id(), Some(oid)) {
                            return None;
                        }
                    }
                    Err(e) => self.missing(format!("commit {oid}"), &e),
                }
            }
            return Some(None);
        };
        let mut diff = Some(DiffWalk::new(&odb));
        for oid in commits {
            let oid = match oid {
                Ok(o) => o,
                Err(e) => {
                    self.missing("commit walk".into(), &e);
                    continue;
                }
            };
            let (tree, parents) = match read_ahead.remove(&oid) {
                Some(c) => c,
                None => match read(oid) {
                    Ok(c) => c,
                    Err(e) => {
                        self.missing(format!("commit {oid}"), &e);
                        continue;
                    }
                },
            };
            let Some(walk) = diff.as_mut() else {
                if !self.walk_tree(tree, Some(oid)) {
                    return None;
                }
                continue;
            };
            let mut parent_trees = Vec::with_capacity(parents.len());
            for p in parents
                .iter()
                .filter(|p| walked.as_ref().is_none_or(|w| w.contains(p)))
            {
                let tree = match read_ahead.get(p) {
                    Some(e) => Some(e.0),
                    // An unreadable parent is reported on its own turn; here it counts as absent.
                    None => read(*p).ok().map(|e| {
                        let tree = e.0;
                        read_ahead.insert(*p, e);
                        tree
                    }),
                };
                parent_trees.extend(tree);
            }
            let mut failures: Vec<(Oid, String, git2::Error)> = Vec::new();
            let step = walk.commit(
                oid,
                tree,
                &parent_trees,
                &mut |blob, path| {
                    if let Some(i) = self.seen_blobs.get(&blob) {
                        return Some(*i);
                    }
                    let path = if self.prefix.is_empty() {
                        path.to_string()
                    } else {
                        format!("{}/{path}", self.prefix)
                    };
                    let sent = self.send(blob, Some(path), Some(oid));
                    sent.then(|| self.blob_ids.len() as u32 - 1)
                },
                &mut |t, path, e| {
                    failures.push((
                        t,
                        path.to_string(),
                        git2::Error::new(e.code(), e.class(), e.message()),
                    ))
                },
            );
            for (t, path, e) in failures {
                let what = if path.is_empty() {
                    format!("tree {t} (root of commit {oid})")
                } else {
                    format!("tree {t} ({path} in commit {oid})")
                };
                self.missing(what, &e);
            }
            match step {
                Step::Done => {}
                Step::Stopped => return None,
                Step::OverBudget => {
                    // Go on one unique tree at a time, this commit's tree too (what it introduced so far was
                    // sent; the rest is sent from here).
                    diff = None;
                    if !self.walk_tree(tree, Some(oid)) {
                        return None;
                    }
                }
            }
        }
        Some(diff.map(DiffWalk::finish))
    }

    fn run(&mut self, all_objects: bool) -> Result<Option<Introductions>> {
        let mut walk = self.repo.revwalk().context("starting the commit walk")?;
        let mut loose = Vec::new();
        push_all_refs(self.repo, &mut walk, &mut loose, Some(self.sink))?;
        for (oid, kind) in loose {
            let ok = match kind {
                ObjectType::Tree => self.walk_tree(oid, None),
                _ => self.send(oid, None, None),
            };
            if !ok {
                return Ok(None);
            }
        }
        let Some(introductions) = self.walk_commits(walk) else {
            return Ok(None);
        };
        if all_objects {
            let odb = self.repo.odb().context("opening the object database")?;
            let mut ids = Vec::new();
            odb.foreach(|oid| {
                ids.push(*oid);
                true
            })
            .context("listing the object database")?;
            ids.sort();
            ids.dedup();
            for oid in ids {
                if self.seen_blobs.contains_key(&oid) || self.seen_trees.contains(&oid) {
                    continue;
                }
                match odb.read_header(oid) {
                    Ok((_, ObjectType::Blob)) => {
                        if !self.send(oid, None, None) {
                            return Ok(None);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => self.missing(format!("object {oid}"), &e),
                }
            }
        }
        if !self.flush() {
            return Ok(None);
        }
        Ok(introductions.map(|i| i.with_blobs(std::mem::take(&mut self.blob_ids))))
    }
}

/// Scans every blob reachable from every ref (and, with `all_objects`, every blob in the object database);
/// with `recurse_submodules`, then the history of every checked-out submodule, recursively. Returns the
/// repositories read, the scanned repository first. Blobs are read with the pack pass unless the environment
/// says `KEYSWEEP_HISTORY_READER=libgit2` ([`Reader`]).
pub fn scan_history(
    path: &Path,
    opts: &HistoryOptions,
    sink: &dyn BlobSink,
) -> Result<Vec<ScannedRepo>> {
    scan_history_with(path, opts, sink, Reader::from_env())
}

/// How history blobs are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// Each pack traversed once in pack order, what no pack holds read from the object database.
    Packs,
    /// Every blob read from the object database by random access, streamed to the workers while the walk runs
    /// (the reader before the pack pass; kept for comparison and as a way out).
    Libgit2,
}

impl Reader {
    /// [`Reader::Libgit2`] when `KEYSWEEP_HISTORY_READER` is `libgit2`, else [`Reader::Packs`].
    pub fn from_env() -> Reader {
        match std::env::var_os("KEYSWEEP_HISTORY_READER") {
            Some(v) if v == "libgit2" => Reader::Libgit2,
            _ => Reader::Packs,
        }
    }
}

/// [`scan_history`] with the blob reader chosen by the caller.
pub fn scan_history_with(
    path: &Path,
    opts: &HistoryOptions,
    sink: &dyn BlobSink,
    reader: Reader,
) -> Result<Vec<ScannedRepo>> {
    let (repo, info) = open(path)?;
    let mut repos = vec![ScannedRepo {
        info,
        prefix: String::new(),
        introductions: None,
    }];
    if opts.recurse_submodules {
        submodules(&repo, "", &mut repos);
    }
    drop(repo);
    // The object cache would keep every tree and commit read; each is read once, so it only costs memory.
    git2::opts::enable_caching(false);
    // Re-hashing every object (SHA-1 with collision detection) would double the cost of a history scan.
    // Corruption is still caught: zlib checks every inflated stream, and a missing object is still missing.
    git2::opts::strict_hash_verification(false);
    limit_pack_windows(reader);
    for r in &mut repos {
        let introductions = match reader {
            Reader::Packs => scan_one(r, opts, sink)?,
            Reader::Libgit2 => scan_one_streaming(r, opts, sink)?,
        };
        r.introductions = introductions.map(Arc::new);
    }
    Ok(repos)
}

/// How much of its pack files libgit2 keeps mapped at once, and in windows of what size, by reader. Its defaults
/// (1 GiB windows, 8 GiB in all) keep every page the walk and attribution ever touched in the resident set: on a
/// 500 MB pack, most of it, on top of the pack pass's own reading. Windows it no longer uses are unmapped
/// beyond this (the pages stay in the page cache). With the pack pass libgit2 only reads trees and commits for
/// the walk, and small windows cost those reads little; the libgit2 reader reads every blob through them too,
/// and 4 MiB windows made it a quarter slower on git/git.
fn pack_windows(reader: Reader) -> (usize, usize) {
    match reader {
        Reader::Packs => (4 << 20, 16 << 20),
        Reader::Libgit2 => (16 << 20, 64 << 20),
    }
}

/// Sets libgit2's pack window size and mapped limit ([`pack_windows`]), once: the first history scan of the
/// process decides.
#[allow(unsafe_code)]
fn limit_pack_windows(reader: Reader) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let (window, mapped) = pack_windows(reader);
        // SAFETY: the setters write libgit2 globals without a lock; they are unsafe only because a thread
        // reading them at the same time would race. `Once` runs this before the first history scan of the
        // process opens a repository, and nothing else in keysweep sets them. A failure leaves the defaults.
        unsafe {
            let _ = git2::opts::set_mwindow_size(window);
            let _ = git2::opts::set_mwindow_mapped_limit(mapped);
        }
    });
}

/// The checked-out submodules of `repo`, recursively, with their path prefixes. Submodules that are not
/// checked out have nothing local to scan and are left out.
fn submodules(repo: &Repository, prefix: &str, out: &mut Vec<ScannedRepo>) {
    let Ok(list) = repo.submodules() else {
        return;
    };
    for sm in list {
        let Ok(sub) = sm.open() else {
            continue;
        };
        let path = sm.path().to_string_lossy().replace('\\', "/");
        let sub_prefix = format!("{prefix}{path}/");
        out.push(ScannedRepo {
            info: RepoInfo {
                git_dir: sub.path().to_path_buf(),
                shallow: sub.is_shallow(),
                partial: is_partial_clone(&sub),
            },
            prefix: sub_prefix.clone(),
            introductions: None,
        });
        submodules(&sub, &sub_prefix, out);
    }
}

/// Starts the walker thread of one repository's history scan: it sends each new blob id, with its first path,
/// to `tx` in batches, and ends when the walk does (or `tx`'s receiver is gone).
fn spawn_walker<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    scanned: &'scope ScannedRepo,
    all_objects: bool,
    sink: &'scope dyn BlobSink,
    tx: Sender<Vec<BlobJob>>,
) -> Result<std::thread::ScopedJoinHandle<'scope, Result<Option<Introductions>>>> {
    let info = &scanned.info;
    std::thread::Builder::new()
        .name("keysweep-history-walk".into())
        .spawn_scoped(scope, move || -> Result<Option<Introductions>> {
            let repo = Repository::open(&info.git_dir)
                .with_context(|| format!("opening {}", info.git_dir.display()))?;
            Enumerator {
                repo: &repo,
                info,
                sink,
                seen_trees: HashSet::new(),
                seen_blobs: HashMap::new(),
                blob_ids: Vec::new(),
                prefix: scanned.prefix.trim_end_matches('/').to_string(),
                batch: Vec::with_capacity(BATCH),
                tx,
            }
            .run(all_objects)
        })
        .context("starting the history walker")
}

/// A blob the walk named and the pack pass has not decoded yet: its [`BlobJob`] without what the slot's key
/// says, and its place in the walk's order. Every blob the walk names may wait here at once (the walk can end
/// before the pass is well under way), so it is kept small.
struct Wanted {
    path: Option<Box<str>>,
    commit: Option<Oid>,
    order: usize,
}

impl Wanted {
    fn new(job: BlobJob, order: usize) -> Wanted {
        let path = match job.origin {
            Origin::GitBlob { path, .. } => path.map(String::into_boxed_str),
            _ => None,
        };
        Wanted {
            path,
            commit: job.commit,
            order,
        }
    }

    fn into_job(self, id: BlobId) -> BlobJob {
        BlobJob {
            oid: oid_of(id),
            commit: self.commit,
            origin: Origin::GitBlob {
                path: self.path.map(String::from),
                commit: None,
            },
        }
    }
}

/// What the pack pass made of a blob it decoded before the walk named it: [`classify_and_scan`] without the
/// blob's path. The one decision that needs the path — a binary blob is matched only when its name is a key
/// file's — waits for it.
enum Early {
    /// Over the size limit, or a Git LFS pointer: skipped whatever its path.
    Skipped(Skip),
    /// Binary: skipped, unless its path names a key file; then it is read again and matched.
    Binary,
    /// Matched.
    Matched(Detached),
}

impl Early {
    /// Classifies and, unless skipped, matches a blob without its path ([`skip_of`], a binary blob taken for
    /// no key file until its path says otherwise).
    fn of(id: BlobId, bytes: &[u8], max_file_size: u64, sink: &dyn BlobSink) -> Early {
        match skip_of(bytes, max_file_size, || false) {
            Some(Skip::Binary) => Early::Binary,
            Some(why) => Early::Skipped(why),
            None => Early::Matched(sink.match_detached(id, bytes)),
        }
    }

    /// Finishes what [`Early::of`] began, now that the walk named the blob: counts the skip or hands the
    /// match to the sink with the blob's origin. A binary blob whose path names a key file is returned, to be
    /// read again and matched as a key file.
    fn settle(self, job: BlobJob, sink: &dyn BlobSink) -> Option<BlobJob> {
        match self {
            Early::Skipped(why) => sink.skip(why),
            Early::Binary if job.origin.path().is_some_and(is_key_file) => return Some(job),
            Early::Binary => sink.skip(Skip::Binary),
            Early::Matched(detached) => sink.attach(blob_id(job.oid), detached, job.origin),
        }
        None
    }
}

/// Where one blob id stands between the walk and the pack pass ([`scan_one`]).
enum Slot {
    /// Named by the walk (with its place in the walk's order), not decoded yet. Boxed, so that the slot of
    /// every blob already matched — most of them, for most of the pass — costs a few bytes.
    Wanted(Box<Wanted>),
    /// Decoded before the walk named it, and being matched by the pass thread that decoded it.
    Matching,
    /// Named by the walk while [`Slot::Matching`]: the pass thread finishes it.
    NamedWhileMatching(Box<Wanted>),
    /// Decoded and matched before the walk named it: the result waits for the blob's path.
    Early(Early),
    /// Matched (or skipped) already.
    Done,
}

/// The blob ids the walk and the pack pass have seen, shared by both.
struct Claims {
    slots: HashMap<BlobId, Slot>,
    /// Whether the walk has named every blob: an id not in `slots` then is not wanted.
    walk_done: bool,
    /// Binary blobs matched early whose path turned out to name a key file: read again after the pass.
    again: Vec<BlobJob>,
}

/// Which of the walk and the pack pass goes first in [`scan_one`]: both at once, except in tests, which force
/// each extreme (every blob named before it is decoded, or decoded before it is named) on their thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Order {
    /// Both at once.
    Together,
    /// The pass starts when the walk has named every blob.
    WalkFirst,
    /// The walk starts when the pass has decoded every packed blob.
    PassFirst,
}

#[cfg(test)]
thread_local! {
    /// The order [`scan_one`] follows on this thread (tests only).
    pub(crate) static FORCED_ORDER: std::cell::Cell<Order> = const { std::cell::Cell::new(Order::Together) };
}

impl Order {
    #[cfg(test)]
    fn current() -> Order {
        FORCED_ORDER.with(std::cell::Cell::get)
    }

    #[cfg(not(test))]
    fn current() -> Order {
        Order::Together
    }
}

/// Scans one repository's history: the walker thread lists new blob ids with their first paths while every
/// pack of the repository is traversed once (`packs.rs`); each blob is matched as it is decoded, exactly once,
/// and counted with its origin once both have seen it. A blob decoded before the walk names it is matched
/// without its path (matching does not depend on it), and the result waits for the path: the pass never
/// waits for the walk. What no pack held — loose objects, alternates, objects missing from a partial clone, a
/// pack gix cannot read (said on stderr) — is then read from the object database by the rayon workers.
fn scan_one(
    scanned: &ScannedRepo,
    opts: &HistoryOptions,
    sink: &dyn BlobSink,
) -> Result<Option<Introductions>> {
    let info = &scanned.info;
    let objects = Repository::open(&info.git_dir)
        .map(|r| r.commondir().join("objects"))
        .unwrap_or_else(|_| info.git_dir.join("objects"));
    let claims = Mutex::new(Claims {
        // About a third of a pack's objects are blobs, and nearly all of them pass through here: sized once,
        // the table is not rebuilt near the end of the walk, when it is largest (bounded: the count is read
        // from the repository).
        slots: HashMap::with_capacity(
            (super::packs::packed_object_count(&objects) / 3).min(4 << 20),
        ),
        walk_done: false,
        again: Vec::new(),
    });
    let settle = |early: Early, job: BlobJob| {
        if let Some(job) = early.settle(job, sink) {
            claims.lock().expect("claims lock").again.push(job);
        }
    };
    let (tx, rx) = crossbeam_channel::unbounded::<Vec<BlobJob>>();
    let order = Order::current();
    let walked = std::thread::scope(|scope| -> Result<Option<Introductions>> {
        let mut tx = Some(tx);
        let mut spawn = || {
            spawn_walker(
                scope,
                scanned,
                opts.all_objects,
                sink,
                tx.take().expect("once"),
            )
        };
        let walker = match order {
            Order::PassFirst => None,
            _ => Some(spawn()?),
        };
        // Files what the walk names: settled at once if the pass matched it already, else wanted.
        let filer = std::thread::Builder::new()
            .name("keysweep-history-claims".into())
            .spawn_scoped(scope, || {
                for (order, job) in rx.into_iter().flatten().enumerate() {
                    let id = blob_id(job.oid);
                    let wanted = Box::new(Wanted::new(job, order));
                    let mut c = claims.lock().expect("claims lock");
                    let slot = c.slots.entry(id).or_insert(Slot::Done);
                    match std::mem::replace(slot, Slot::Done) {
                        Slot::Early(early) => {
                            drop(c);
                            settle(early, wanted.into_job(id));
                        }
                        Slot::Matching => *slot = Slot::NamedWhileMatching(wanted),
                        _ => *slot = Slot::Wanted(wanted),
                    }
                }
                let mut c = claims.lock().expect("claims lock");
                c.walk_done = true;
                // Blobs decoded early that the walk never named are not reachable: as if never read.
                c.slots.retain(|_, s| !matches!(s, Slot::Early(_)));
            })
            .context("starting the claims filer")?;
        if order == Order::WalkFirst {
            while !claims.lock().expect("claims lock").walk_done {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        // Decoding a blob over the size limit is wasted work but bounded; a larger object stops its pack's
        // pass and what is left of it is read the ordinary way (which checks the size before inflating).
        let alloc_limit = usize::try_from(opts.max_file_size.max(1 << 26)).unwrap_or(usize::MAX);
        let problems = super::packs::for_each_packed_blob(
            &objects,
            rayon::current_num_threads(),
            alloc_limit,
            |id, bytes| {
                let mut c = claims.lock().expect("claims lock");
                let walk_done = c.walk_done;
                match c.slots.get_mut(&id) {
                    Some(slot @ Slot::Wanted(..)) => {
                        let Slot::Wanted(wanted) = std::mem::replace(slot, Slot::Done) else {
                            unreachable!("matched as wanted")
                        };
                        drop(c);
                        classify_and_scan(
                            wanted.into_job(id),
                            bytes,
                            opts.max_file_size,
                            sink,
                            true,
                        );
                    }
                    // Decoded already (a blob in two packs), or not wanted.
                    Some(_) => {}
                    None if walk_done => {}
                    None => {
                        c.slots.insert(id, Slot::Matching);
                        drop(c);
                        let early = Early::of(id, bytes, opts.max_file_size, sink);
                        let mut c = claims.lock().expect("claims lock");
                        let slot = c.slots.get_mut(&id).expect("a matching slot stays");
                        match std::mem::replace(slot, Slot::Done) {
                            Slot::NamedWhileMatching(wanted) => {
                                drop(c);
                                settle(early, wanted.into_job(id));
                            }
                            _ => *slot = Slot::Early(early),
                        }
                    }
                }
            },
        );
        // Said on stderr, not as a scan error: nothing is lost, those blobs are read the ordinary way.
        for (pack, why) in &problems {
            eprintln!(
                "keysweep: note: {}: not read in pack order ({}); its blobs are read one by one",
                crate::display::escape(&pack.display().to_string()),
                crate::display::escape(why)
            );
        }
        let walker = match walker {
            Some(w) => w,
            None => spawn()?,
        };
        filer.join().expect("the claims filer does not panic");
        walker.join().expect("the history walker does not panic")
    });
    let claims = claims.into_inner().expect("claims lock");
    let mut rest: Vec<(usize, BlobJob)> = claims
        .slots
        .into_iter()
        .filter_map(|(id, s)| match s {
            Slot::Wanted(wanted) => Some((wanted.order, wanted.into_job(id))),
            _ => None,
        })
        .collect();
    rest.sort_by_key(|(order, _)| *order);
    read_parallel(
        info,
        rest.into_iter().map(|(_, job)| job).chain(claims.again),
        opts.max_file_size,
        sink,
        true,
    );
    walked
}

/// Scans one repository's history blob by blob: a walker thread streams new blob ids to the rayon workers,
/// each of which reads its blob through the object database.
fn scan_one_streaming(
    scanned: &ScannedRepo,
    opts: &HistoryOptions,
    sink: &dyn BlobSink,
) -> Result<Option<Introductions>> {
    let info = &scanned.info;
    let (tx, rx) = crossbeam_channel::bounded::<Vec<BlobJob>>(1024 / BATCH);
    std::thread::scope(|scope| -> Result<Option<Introductions>> {
        let walker = spawn_walker(scope, scanned, opts.all_objects, sink, tx)?;
        read_parallel(
            info,
            rx.into_iter().flatten(),
            opts.max_file_size,
            sink,
            true,
        );
        walker.join().expect("the history walker does not panic")
    })
}
