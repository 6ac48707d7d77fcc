//! Test support for the git sources: a sink that records what a source hands it, repositories built with
//! git2 (fixed author and dates) whose trees are nested thousands of levels deep, and a runner that gives a
//! test a small stack, so that a recursion over such a tree overflows at a depth a debug test reaches fast.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use git2::{FileMode, ObjectType, Oid, Repository, Signature, Time};
use tempfile::TempDir;

use super::BlobSink;
use crate::model::{Blob, BlobId, Detached, Origin, Skip};

/// Levels of nesting of [`DeepRepo`]'s tree in the regression tests: ten times what the recursive walks
/// survived on [`SMALL_STACK`] in a debug build (they overflowed between 200 and 400 levels), yet quick to
/// build and scan (one object per level).
pub const DEPTH: usize = 3_000;

/// The stack a deep-tree test runs on. On a test thread's default 2 MiB the old recursions survived a few
/// thousand levels, so a test there would need far deeper, slower trees to catch one.
pub const SMALL_STACK: usize = 256 * 1024;

/// Runs `test` on a thread with a [`SMALL_STACK`]; a panic in it fails the calling test. A stack overflow
/// aborts the whole test binary, which fails the run just as surely.
pub fn on_small_stack(test: impl FnOnce() + Send + 'static) {
    let thread = std::thread::Builder::new()
        .name("deep-tree-test".into())
        .stack_size(SMALL_STACK)
        .spawn(test)
        .expect("spawning the test thread");
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

/// Records every blob and error a source reports.
#[derive(Default)]
pub struct RecordingSink {
    /// Blob ids seen, for [`BlobSink::first_sight`].
    seen: Mutex<HashSet<BlobId>>,
    /// Every blob handed over, with its origin, in order.
    blobs: Mutex<Vec<(BlobId, Origin)>>,
    /// Every error: (location, message).
    errors: Mutex<Vec<(String, String)>>,
    /// Every skip, by reason.
    skips: Mutex<Vec<Skip>>,
}

impl RecordingSink {
    /// Every origin recorded for the blob `id`, in the order the source reported them.
    pub fn origins_of(&self, id: Oid) -> Vec<Origin> {
        let id = super::git::blob_id(id);
        let blobs = self.blobs.lock().expect("sink lock");
        blobs
            .iter()
            .filter(|(b, _)| *b == id)
            .map(|(_, o)| o.clone())
            .collect()
    }

    /// Every blob handed over, with its origin, sorted (readers may hand them over in any order).
    pub fn blobs_sorted(&self) -> Vec<(BlobId, Origin)> {
        let mut blobs = self.blobs.lock().expect("sink lock").clone();
        blobs.sort();
        blobs
    }

    /// Every skip reported, sorted.
    pub fn skips_sorted(&self) -> Vec<Skip> {
        let mut skips = self.skips.lock().expect("sink lock").clone();
        skips.sort_by_key(|s| *s as usize);
        skips
    }

    /// Every error reported: (location, message).
    pub fn errors(&self) -> Vec<(String, String)> {
        self.errors.lock().expect("sink lock").clone()
    }

    /// Appends one blob.
    fn record(&self, id: BlobId, origin: Origin) {
        self.blobs.lock().expect("sink lock").push((id, origin));
    }
}

impl BlobSink for RecordingSink {
    fn first_sight(&self, id: BlobId) -> bool {
        self.seen.lock().expect("sink lock").insert(id)
    }

    fn submit(&self, blob: Blob) {
        self.seen.lock().expect("sink lock").insert(blob.id);
        self.record(blob.id, blob.origin);
    }

    fn submit_bytes(&self, bytes: &[u8], origin: Origin) {
        self.record(BlobId::of_bytes(bytes), origin);
    }

    fn scan_unique_bytes(&self, id: BlobId, _bytes: &[u8], origin: Origin) {
        self.record(id, origin);
    }

    fn match_detached(&self, _id: BlobId, bytes: &[u8]) -> Detached {
        Detached {
            len: bytes.len() as u64,
            found: None,
        }
    }

    fn attach(&self, id: BlobId, _detached: Detached, origin: Origin) {
        self.record(id, origin);
    }

    fn skip(&self, why: Skip) {
        self.skips.lock().expect("sink lock").push(why);
    }

    fn skip_path(&self, _why: Skip, _path: String) {}

    fn skip_unreadable_dir(&self, _path: String) {}

    fn error(&self, location: String, message: String) {
        self.errors
            .lock()
            .expect("sink lock")
            .push((location, message));
    }
}

/// A repository of three commits on `master`: `base` has a README; `deep` adds a file `secret.txt` at the
/// bottom of a chain of `depth` directories named `d`, with a file `note.txt` ([`DeepRepo::note`]) in every
/// hundredth one; `head` edits the README only. Files hold plain text, not a generated token: sources do not
/// match, and `source/` may not import `rules/` (the layering test in `src/layers.rs`).
pub struct DeepRepo {
    /// Holds the repository.
    pub dir: TempDir,
    /// The first commit.
    pub base: Oid,
    /// The commit that added the deep tree.
    pub deep: Oid,
    /// The last commit.
    pub head: Oid,
    /// The blob of the deepest file.
    pub secret: Oid,
    /// The deepest file's path: `d/d/…/d/secret.txt`.
    pub secret_path: String,
}

impl DeepRepo {
    /// Builds the repository, trees bottom-up with tree builders (one object per level, no work tree), in
    /// memory, then written as one pack: a loose file per object would make the test slow. Build it before
    /// [`on_small_stack`]: libgit2 packs a tree by walking it recursively.
    pub fn new(depth: usize) -> DeepRepo {
        let dir = TempDir::new().expect("temp dir");
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("master");
        let repo = Repository::init_opts(dir.path(), &opts).expect("git init");
        let odb = repo.odb().expect("object database");
        let in_memory = odb
            .add_new_mempack_backend(1000)
            .expect("in-memory objects");
        let secret = repo
            .blob(b"token = deep-tree-fake-secret\n")
            .expect("write blob");
        // The directory at level `depth` (`d/…/d`, `depth` names) holds the secret; each level wraps the next.
        let mut tree = tree_of(&repo, &[("secret.txt", secret, FileMode::Blob)]);
        for level in (1..depth).rev() {
            let mut entries = vec![("d", tree, FileMode::Tree)];
            if level % 100 == 0 {
                let note = repo.blob(note_text(level).as_bytes()).expect("write blob");
                entries.push(("note.txt", note, FileMode::Blob));
            }
            tree = tree_of(&repo, &entries);
        }
        let readme = |text: &str| repo.blob(text.as_bytes()).expect("write blob");
        let base_tree = tree_of(&repo, &[("README.md", readme("v1\n"), FileMode::Blob)]);
        let v1 = readme("v1\n");
        let deep_tree = tree_of(
            &repo,
            &[
                ("README.md", v1, FileMode::Blob),
                ("d", tree, FileMode::Tree),
            ],
        );
        let head_tree = tree_of(
            &repo,
            &[
                ("README.md", readme("v2\n"), FileMode::Blob),
                ("d", tree, FileMode::Tree),
            ],
        );
        let base = commit(&repo, base_tree, &[], 0);
        let deep = commit(&repo, deep_tree, &[base], 1);
        let head = commit(&repo, head_tree, &[deep], 2);
        let mut pack = git2::Buf::new();
        in_memory.dump(&repo, &mut pack).expect("pack the objects");
        let mut writer = odb.packwriter().expect("pack writer");
        writer.write_all(&pack).expect("write the pack");
        writer.commit().expect("index the pack");
        DeepRepo {
            dir,
            base,
            deep,
            head,
            secret,
            secret_path: format!("{}secret.txt", "d/".repeat(depth)),
        }
    }

    /// The blob id and path of the note in the directory at `level` (a multiple of 100 below the depth).
    pub fn note(level: usize) -> (Oid, String) {
        let id = Oid::hash_object(ObjectType::Blob, note_text(level).as_bytes())
            .expect("hashing bytes in memory");
        (id, format!("{}note.txt", "d/".repeat(level)))
    }

    /// The repository's directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A repository of two commits on `master`: `base` is empty; `head` has `loop/`, a tree whose entries are
/// `secret.txt` and `loop`, which is that same tree again. Such a tree is stored under an id that is not its
/// hash, so only a corrupt or forged object database has one (git would refuse it on fetch; scans do not
/// re-check hashes).
pub struct LoopRepo {
    /// Holds the repository.
    pub dir: TempDir,
    /// The first commit.
    pub base: Oid,
    /// The commit that added the looping tree.
    pub head: Oid,
    /// The blob of `loop/secret.txt`.
    pub secret: Oid,
}

impl LoopRepo {
    /// Builds the repository: writes the looping tree's bytes, then copies its loose object to the id its
    /// `loop` entry names.
    pub fn new() -> LoopRepo {
        let dir = TempDir::new().expect("temp dir");
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("master");
        let repo = Repository::init_opts(dir.path(), &opts).expect("git init");
        let secret = repo
            .blob(b"token = looping-tree-fake-secret\n")
            .expect("write blob");
        // Any id not otherwise in the repository.
        let looping = Oid::hash_object(ObjectType::Blob, b"where the looping tree is stored")
            .expect("hashing bytes in memory");
        let mut raw = b"40000 loop\0".to_vec();
        raw.extend_from_slice(looping.as_bytes());
        raw.extend_from_slice(b"100644 secret.txt\0");
        raw.extend_from_slice(secret.as_bytes());
        let honest = repo
            .odb()
            .expect("object database")
            .write(ObjectType::Tree, &raw)
            .expect("write tree");
        let loose = |id: Oid| {
            let hex = id.to_string();
            repo.path().join("objects").join(&hex[..2]).join(&hex[2..])
        };
        let forged = loose(looping);
        std::fs::create_dir_all(forged.parent().expect("objects/xx")).expect("mkdir");
        std::fs::copy(loose(honest), &forged).expect("copy the loose object");
        let empty = tree_of(&repo, &[]);
        let root = tree_of(&repo, &[("loop", looping, FileMode::Tree)]);
        let base = commit(&repo, empty, &[], 0);
        let head = commit(&repo, root, &[base], 1);
        LoopRepo {
            dir,
            base,
            head,
            secret,
        }
    }

    /// The repository's directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The content of the note at `level`.
fn note_text(level: usize) -> String {
    format!("level {level}\n")
}

/// Writes a tree of `entries` (name, object, mode).
fn tree_of(repo: &Repository, entries: &[(&str, Oid, FileMode)]) -> Oid {
    let mut builder = repo.treebuilder(None).expect("tree builder");
    for (name, id, mode) in entries {
        builder.insert(name, *id, i32::from(*mode)).expect("insert");
    }
    builder.write().expect("write tree")
}

/// Commits `tree` on `master` with `parents`, by a fixed author at hour `hour` after 2023-11-14T22:13:20Z.
fn commit(repo: &Repository, tree: Oid, parents: &[Oid], hour: i64) -> Oid {
    let when = Time::new(1_700_000_000 + hour * 3600, 0);
    let who = Signature::new("Deep Tester", "deep@example.com", &when).expect("signature");
    commit_to(
        repo,
        "refs/heads/master",
        &who,
        &format!("commit {hour}"),
        tree,
        parents,
    )
}

/// Commits `tree` with `parents` by `who`, and points `reference` at the commit by force (so a root commit can
/// start a branch over).
pub fn commit_to(
    repo: &Repository,
    reference: &str,
    who: &Signature<'_>,
    message: &str,
    tree: Oid,
    parents: &[Oid],
) -> Oid {
    let tree = repo.find_tree(tree).expect("tree just written");
    let parents: Vec<git2::Commit<'_>> = parents
        .iter()
        .map(|p| repo.find_commit(*p).expect("parent just written"))
        .collect();
    let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
    let commit = repo
        .commit(None, who, who, message, &tree, &parents)
        .expect("commit");
    repo.reference(reference, commit, true, message)
        .expect("moving the reference");
    commit
}

/// A commit on `master` whose tree holds `files` (flat names, or `dir/name` one level deep).
pub fn commit_files(repo: &Repository, files: &[(&str, Vec<u8>)], parent: Option<Oid>) -> Oid {
    let mut root = repo.treebuilder(None).expect("tree builder");
    let mut dirs: Vec<(&str, git2::TreeBuilder<'_>)> = Vec::new();
    for (path, bytes) in files {
        let blob = repo.blob(bytes).expect("blob");
        match path.split_once('/') {
            Some((dir, name)) => {
                if !dirs.iter().any(|(d, _)| *d == dir) {
                    dirs.push((dir, repo.treebuilder(None).expect("tree builder")));
                }
                let (_, b) = dirs.iter_mut().find(|(d, _)| *d == dir).expect("dir");
                b.insert(name, blob, 0o100644).expect("insert");
            }
            None => {
                root.insert(path, blob, 0o100644).expect("insert");
            }
        }
    }
    for (dir, b) in dirs {
        root.insert(dir, b.write().expect("subtree"), 0o040000)
            .expect("insert");
    }
    let sig = Signature::new(
        "Pack Tester",
        "pack@example.com",
        &Time::new(1_700_000_000, 0),
    )
    .expect("signature");
    let tree = root.write().expect("tree");
    let parents: Vec<Oid> = parent.into_iter().collect();
    commit_to(repo, "refs/heads/master", &sig, "fixture", tree, &parents)
}

/// Writes one pack of everything reachable from `master` (plus `extra` objects), then deletes every loose
/// object, so what follows is read from packs only.
pub fn pack_and_prune(repo: &Repository, extra: &[Oid]) {
    let mut pb = repo.packbuilder().expect("pack builder");
    let mut walk = repo.revwalk().expect("revwalk");
    walk.push_ref("refs/heads/master").expect("push");
    pb.insert_walk(&mut walk).expect("insert walk");
    for oid in extra {
        pb.insert_object(*oid, None).expect("insert object");
    }
    let pack_dir = repo.path().join("objects/pack");
    pb.write(&pack_dir, 0o644).expect("write pack");
    for entry in std::fs::read_dir(repo.path().join("objects")).expect("objects dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            std::fs::remove_dir_all(&path).expect("remove loose objects");
        }
    }
}
