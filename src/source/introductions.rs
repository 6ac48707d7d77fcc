//! The history walk by tree comparison: each commit's tree is compared with its parents' trees, descending only
//! into subtrees that differ from every parent's at the same path, and every blob entry that no parent has at
//! the same path is an *introduction* (blob, path, commit). Every blob reachable from a commit is introduced by
//! some commit (follow a parent that has it at the same path until none does), so the walk lists every blob,
//! and the introductions it records are exactly what attribution (`attribution.rs`) reports for a finding:
//! attribution then costs a lookup per finding instead of a second pass over every tree of the history.
//!
//! Trees read here are kept in a small two-generation cache: a commit's parent is usually the next commit
//! walked, so the parent side of one comparison is the child side of the next. The records are bounded
//! ([`MAX_RECORDS`], [`MAX_PATH_BYTES`], [`MAX_ENTRIES`]): a history past them (a repository built to make every
//! commit differ in every file) makes the walker go on with one read per unique tree and attribution fall back
//! to its own pass over the trees.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use git2::{ObjectType, Oid};

/// At most this many introductions are recorded (12 bytes each).
const MAX_RECORDS: usize = 8 << 20;

/// Tests lower [`MAX_RECORDS`] to reach the fallback on a small history (any other test that runs meanwhile
/// just attributes by the fallback's own pass, with the same results).
#[cfg(test)]
pub(super) static TEST_MAX_RECORDS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(MAX_RECORDS);

/// [`MAX_RECORDS`], or what a test set.
fn max_records() -> usize {
    #[cfg(test)]
    return TEST_MAX_RECORDS.load(std::sync::atomic::Ordering::Relaxed);
    #[cfg(not(test))]
    MAX_RECORDS
}

/// At most this many bytes of distinct paths are recorded.
const MAX_PATH_BYTES: usize = 64 << 20;
/// At most this many tree entries are compared in all (a history that makes the comparison cost many times
/// its unique trees, like commits toggling between two huge trees, stops here).
const MAX_ENTRIES: u64 = 4 << 30;
/// Bytes of parsed trees the cache keeps, in two generations of half this each.
const CACHE_BYTES: usize = 4 << 20;

/// Every introduction the walk found: which blob appeared at which path in which commit, no parent having it
/// there. Paths are relative to the repository's root.
#[derive(Default)]
pub struct Introductions {
    /// Blob ids by index (every blob the walk listed, in its order; set by [`Introductions::with_blobs`]).
    blobs: Vec<Oid>,
    paths: Vec<Box<str>>,
    commits: Vec<Oid>,
    /// (index in `blobs`, index in `paths`, index in `commits`).
    records: Vec<[u32; 3]>,
}

impl std::fmt::Debug for Introductions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introductions")
            .field("blobs", &self.blobs.len())
            .field("paths", &self.paths.len())
            .field("commits", &self.commits.len())
            .field("records", &self.records.len())
            .finish()
    }
}

impl Introductions {
    /// Sets the blob ids the records' indices refer to.
    pub(super) fn with_blobs(mut self, mut blobs: Vec<Oid>) -> Introductions {
        blobs.shrink_to_fit();
        self.blobs = blobs;
        self
    }

    /// For each of `count` targets (blob id → index below `count`), the (path, commit) pairs that introduced it.
    pub fn of(&self, targets: &HashMap<Oid, usize>, count: usize) -> Vec<Vec<(String, Oid)>> {
        let target_of: Vec<Option<usize>> =
            self.blobs.iter().map(|b| targets.get(b).copied()).collect();
        let mut out = vec![Vec::new(); count];
        for [blob, path, commit] in &self.records {
            if let Some(t) = target_of.get(*blob as usize).copied().flatten() {
                out[t].push((
                    self.paths[*path as usize].to_string(),
                    self.commits[*commit as usize],
                ));
            }
        }
        out
    }
}

/// Builds [`Introductions`] within the bounds: paths and commits interned here, blobs by the walk's index.
#[derive(Default)]
struct Recorder {
    out: Introductions,
    path_index: HashMap<Box<str>, u32>,
    path_bytes: usize,
    /// The commit being compared and its index in `out.commits`, once it introduced something.
    commit: Option<(Oid, u32)>,
}

impl Recorder {
    /// Records one introduction; false when a bound is reached.
    fn record(&mut self, b: u32, path: &str, commit: Oid) -> bool {
        if self.out.records.len() >= max_records() {
            return false;
        }
        let p = match self.path_index.get(path) {
            Some(p) => *p,
            None => {
                self.path_bytes += path.len();
                if self.path_bytes > MAX_PATH_BYTES {
                    return false;
                }
                let p = self.out.paths.len() as u32;
                let path: Box<str> = path.into();
                self.out.paths.push(path.clone());
                self.path_index.insert(path, p);
                p
            }
        };
        let c = match self.commit {
            Some((oid, c)) if oid == commit => c,
            _ => {
                let c = self.out.commits.len() as u32;
                self.out.commits.push(commit);
                self.commit = Some((commit, c));
                c
            }
        };
        self.out.records.push([b, p, c]);
        true
    }
}

/// What an entry of a tree names, as libgit2 tells it from the mode: a subtree, a submodule commit, or else a
/// blob (files and symbolic links).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tree,
    Blob,
    Commit,
}

/// One entry of a [`Parsed`] tree: where its name and id are in the object's bytes, and its kind.
#[derive(Clone, Copy)]
struct Entry {
    name: u32,
    name_len: u32,
    id: u32,
    kind: Kind,
}

/// A raw object id.
type Id = [u8; 20];

fn id_of(oid: Oid) -> Id {
    let mut id = [0u8; 20];
    id.copy_from_slice(&oid.as_bytes()[..20]);
    id
}

fn oid(id: &Id) -> Oid {
    Oid::from_bytes(id).expect("20 bytes")
}

/// A tree object's bytes and its entries, parsed once (`gix-object`'s tree parser, no copy of names).
struct Parsed {
    data: Box<[u8]>,
    entries: Vec<Entry>,
    /// Whether the entries are in git's order, each after the one before (a corrupt tree may not be).
    sorted: bool,
}

impl Parsed {
    /// Parses a tree object; `None` if it is not a well-formed tree.
    fn new(object: git2::OdbObject<'_>) -> Option<Parsed> {
        if object.kind() != ObjectType::Tree {
            return None;
        }
        let data: Box<[u8]> = object.data().into();
        drop(object);
        let base = data.as_ptr() as usize;
        // Entries are at least 22 bytes (mode, space, one-byte name, NUL, id); most are about 40.
        let mut entries = Vec::with_capacity(data.len() / 36);
        for entry in gix_object::TreeRefIter::from_bytes(&data, gix_hash::Kind::Sha1) {
            let entry = entry.ok()?;
            let kind = if entry.mode.is_tree() {
                Kind::Tree
            } else if entry.mode.is_commit() {
                Kind::Commit
            } else {
                Kind::Blob
            };
            let at = |p: *const u8| u32::try_from(p as usize - base).ok();
            entries.push(Entry {
                name: at(entry.filename.as_ptr())?,
                name_len: u32::try_from(entry.filename.len()).ok()?,
                id: at(entry.oid.as_bytes().as_ptr())?,
                kind,
            });
        }
        let mut parsed = Parsed {
            data,
            entries,
            sorted: true,
        };
        parsed.sorted = parsed.entries.windows(2).all(|w| {
            git_order(
                parsed.name(&w[0]),
                w[0].kind == Kind::Tree,
                parsed.name(&w[1]),
                w[1].kind == Kind::Tree,
            ) == Ordering::Less
        });
        Some(parsed)
    }

    fn name(&self, e: &Entry) -> &[u8] {
        &self.data[e.name as usize..(e.name + e.name_len) as usize]
    }

    fn id(&self, e: &Entry) -> &Id {
        let at = e.id as usize;
        self.data[at..at + 20].try_into().expect("20 bytes")
    }

    /// About what it holds in memory.
    fn size(&self) -> usize {
        64 + self.data.len() + self.entries.capacity() * std::mem::size_of::<Entry>()
    }
}

/// Parsed trees by id, in two generations: a tree found in the old one moves to the young one, and when the
/// young one is full it becomes the old one (the old one is dropped).
struct TreeCache<'o> {
    odb: &'o git2::Odb<'o>,
    young: HashMap<Id, Rc<Parsed>>,
    old: HashMap<Id, Rc<Parsed>>,
    young_bytes: usize,
}

impl TreeCache<'_> {
    fn get(&mut self, id: &Id) -> Result<Rc<Parsed>, git2::Error> {
        if let Some(t) = self.young.get(id) {
            return Ok(t.clone());
        }
        let tree = match self.old.remove(id) {
            Some(t) => t,
            None => Rc::new(Parsed::new(self.odb.read(oid(id))?).ok_or_else(|| {
                git2::Error::new(
                    git2::ErrorCode::Invalid,
                    git2::ErrorClass::Tree,
                    "not a well-formed tree object",
                )
            })?),
        };
        self.young_bytes += tree.size();
        if self.young_bytes > CACHE_BYTES / 2 {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
        self.young.insert(*id, tree.clone());
        Ok(tree)
    }
}

/// What [`DiffWalk::commit`] ended with.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// The commit was compared.
    Done,
    /// The callback asked to stop (nobody wants more blobs).
    Stopped,
    /// A bound was reached: the records are dropped and the walk must go on another way.
    OverBudget,
}

/// A tree of a commit still to compare, with its parents' trees at the same path.
struct Frame {
    tree: Id,
    /// Each parent's tree at the same path (`None`: no tree there).
    parents: Vec<Option<Id>>,
    /// The directory's length in the path buffer before its own name is added.
    parent_len: usize,
    /// Its entry name in its parent (`None` for a commit's root tree).
    name: Option<String>,
    /// How many trees are above it.
    depth: usize,
}

/// One parent tree being compared with a child tree: entries are matched by a merge of both sorted entry lists,
/// or, when either list is not sorted (a corrupt tree), through a map of names.
struct ParentSide {
    tree: Rc<Parsed>,
    cursor: usize,
    /// Blob entries of this parent that the child does not have (by name and id), while merging.
    gone: Vec<u32>,
    map: Option<HashMap<(Vec<u8>, bool), usize>>,
}

/// Git's order of tree entries: by name, a tree's name compared as if it ended with `/`.
fn git_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> Ordering {
    let n = a.len().min(b.len());
    match a[..n].cmp(&b[..n]) {
        Ordering::Equal => {}
        o => return o,
    }
    let end = |name: &[u8], tree: bool| match name.get(n) {
        Some(c) => *c,
        None if tree => b'/',
        None => 0,
    };
    end(a, a_tree)
        .cmp(&end(b, b_tree))
        .then(a.len().cmp(&b.len()))
        .then(a_tree.cmp(&b_tree))
}

impl ParentSide {
    fn new(tree: Rc<Parsed>) -> ParentSide {
        let mut side = ParentSide {
            tree,
            cursor: 0,
            gone: Vec::new(),
            map: None,
        };
        if !side.tree.sorted {
            side.use_map();
        }
        side
    }

    /// Switches to matching by name (a tree out of order).
    fn use_map(&mut self) {
        if self.map.is_none() {
            let mut map = HashMap::new();
            for (i, e) in self.tree.entries.iter().enumerate() {
                map.entry((self.tree.name(e).to_vec(), e.kind == Kind::Tree))
                    .or_insert(i);
            }
            self.map = Some(map);
        }
    }

    /// The id and kind of this parent's entry with `name`, of the same kind (tree or not), if any. Names must be
    /// asked in git's order unless [`ParentSide::use_map`] was called.
    /// Blob entries passed over while merging are noted in `gone` (they are not in the child).
    fn find(&mut self, name: &[u8], tree: bool) -> Option<(Id, Kind)> {
        let t = &self.tree;
        if let Some(map) = &self.map {
            return map
                .get(&(name.to_vec(), tree))
                .map(|i| (*t.id(&t.entries[*i]), t.entries[*i].kind));
        }
        loop {
            let e = t.entries.get(self.cursor)?;
            match git_order(t.name(e), e.kind == Kind::Tree, name, tree) {
                Ordering::Less => {
                    if e.kind == Kind::Blob {
                        self.gone.push(self.cursor as u32);
                    }
                    self.cursor += 1;
                }
                Ordering::Equal => {
                    self.cursor += 1;
                    return Some((*t.id(e), e.kind));
                }
                Ordering::Greater => return None,
            }
        }
    }

    /// Ends the merge: the blob entries after the last one asked for are not in the child either.
    fn finish_merge(&mut self) {
        if self.map.is_none() {
            for (i, e) in self.tree.entries.iter().enumerate().skip(self.cursor) {
                if e.kind == Kind::Blob {
                    self.gone.push(i as u32);
                }
            }
        }
    }
}

/// Compares commits' trees with their parents' (see the module documentation).
pub(super) struct DiffWalk<'o> {
    cache: TreeCache<'o>,
    recorder: Recorder,
    /// Trees that could not be read, each reported once.
    failed: HashSet<Id>,
    /// Tree entries compared so far.
    entries: u64,
}

impl<'o> DiffWalk<'o> {
    /// Reads trees from `odb`.
    pub(super) fn new(odb: &'o git2::Odb<'o>) -> DiffWalk<'o> {
        DiffWalk {
            cache: TreeCache {
                odb,
                young: HashMap::new(),
                old: HashMap::new(),
                young_bytes: 0,
            },
            recorder: Recorder::default(),
            failed: HashSet::new(),
            entries: 0,
        }
    }

    /// What was recorded.
    pub(super) fn finish(self) -> Introductions {
        let mut out = self.recorder.out;
        out.paths.shrink_to_fit();
        out.commits.shrink_to_fit();
        out.records.shrink_to_fit();
        out
    }

    /// Compares the tree `root` of `commit` with its parents' trees `parents` (an unreadable or absent parent
    /// is left out by the caller), and records each blob entry no parent has at the same path. Calls
    /// `list(blob, path)`, which returns the blob's index in the walk's list of blobs (`None` stops the walk),
    /// for each of them, and for the blobs a parent has where this commit has something else, in the trees
    /// compared: those are introduced by some older commit, and listing them now lists blobs in about the order
    /// `git rev-list --objects` does, the order of the pack, which the pack pass reads at the same time
    /// (`git.rs`). Calls `unreadable(tree, path, error)` once per tree that cannot be read (`path` empty for
    /// the root).
    pub(super) fn commit(
        &mut self,
        commit: Oid,
        root: Oid,
        parents: &[Oid],
        list: &mut dyn FnMut(Oid, &str) -> Option<u32>,
        unreadable: &mut dyn FnMut(Oid, &str, &git2::Error),
    ) -> Step {
        if parents.contains(&root) {
            return Step::Done;
        }
        let mut stack = vec![Frame {
            tree: id_of(root),
            parents: parents.iter().map(|p| Some(id_of(*p))).collect(),
            parent_len: 0,
            name: None,
            depth: 0,
        }];
        let mut path = String::new();
        // The trees from the root down to the one compared, to skip a tree that contains itself.
        let mut above: Vec<Id> = Vec::new();
        let mut above_set: HashSet<Id> = HashSet::new();
        let mut subs: Vec<Option<Id>> = Vec::new();
        while let Some(frame) = stack.pop() {
            path.truncate(frame.parent_len);
            if let Some(name) = &frame.name {
                path.push_str(name);
                path.push('/');
            }
            while above.len() > frame.depth {
                if let Some(t) = above.pop() {
                    above_set.remove(&t);
                }
            }
            if !above_set.insert(frame.tree) {
                continue;
            }
            above.push(frame.tree);
            let tree = match self.cache.get(&frame.tree) {
                Ok(t) => t,
                Err(e) => {
                    if self.failed.insert(frame.tree) {
                        unreadable(oid(&frame.tree), path.trim_end_matches('/'), &e);
                    }
                    continue;
                }
            };
            let mut sides: Vec<ParentSide> = frame
                .parents
                .iter()
                .filter_map(|p| p.as_ref().and_then(|p| self.cache.get(p).ok()))
                .map(ParentSide::new)
                .collect();
            if !tree.sorted {
                // The merge with the parents' lists would miss entries.
                sides.iter_mut().for_each(ParentSide::use_map);
            }
            self.entries += tree.entries.len() as u64;
            if self.entries > MAX_ENTRIES {
                return Step::OverBudget;
            }
            let first_child = stack.len();
            for entry in &tree.entries {
                // Submodules (gitlinks) name commits of another repository: not followed.
                if entry.kind == Kind::Commit {
                    continue;
                }
                let name = tree.name(entry);
                let id = tree.id(entry);
                if entry.kind == Kind::Tree {
                    subs.clear();
                    let mut same = false;
                    for side in &mut sides {
                        let sub = side.find(name, true).map(|(sub, _)| sub);
                        same |= sub.as_ref() == Some(id);
                        subs.push(sub);
                    }
                    if same {
                        continue;
                    }
                    stack.push(Frame {
                        tree: *id,
                        parents: subs.clone(),
                        parent_len: path.len(),
                        name: Some(crate::model::path::from_bytes(name).into_owned()),
                        depth: frame.depth + 1,
                    });
                } else {
                    let mut before = false;
                    for side in &mut sides {
                        // Every side is asked, so that its cursor keeps up.
                        match side.find(name, false) {
                            Some((p, Kind::Blob)) if &p == id => before = true,
                            Some((_, Kind::Blob)) if side.map.is_none() => {
                                side.gone.push(side.cursor as u32 - 1);
                            }
                            _ => {}
                        }
                    }
                    if before {
                        continue;
                    }
                    let full = format!("{path}{}", crate::model::path::from_bytes(name));
                    let Some(index) = list(oid(id), &full) else {
                        return Step::Stopped;
                    };
                    if !self.recorder.record(index, &full, commit) {
                        return Step::OverBudget;
                    }
                }
            }
            // Popped first to last, as the entries are ordered.
            stack[first_child..].reverse();
            for side in &mut sides {
                side.finish_merge();
                for i in &side.gone {
                    let e = &side.tree.entries[*i as usize];
                    let full = format!(
                        "{path}{}",
                        crate::model::path::from_bytes(side.tree.name(e))
                    );
                    if list(oid(side.tree.id(e)), &full).is_none() {
                        return Step::Stopped;
                    }
                }
            }
        }
        Step::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_order_sorts_trees_as_if_their_names_ended_with_a_slash() {
        use Ordering::*;
        assert_eq!(git_order(b"a", false, b"b", false), Less);
        assert_eq!(git_order(b"a", false, b"a", false), Equal);
        assert_eq!(git_order(b"a", true, b"a", true), Equal);
        // "a.c" sorts before the tree "a" ('.' < '/'), after the blob "a".
        assert_eq!(git_order(b"a.c", false, b"a", true), Less);
        assert_eq!(git_order(b"a", false, b"a.c", false), Less);
        // The blob "a0" after the tree "a" ('0' > '/').
        assert_eq!(git_order(b"a", true, b"a0", false), Less);
        assert_ne!(git_order(b"a", true, b"a", false), Equal);
    }
}
