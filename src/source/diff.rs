//! A commit range as a source (`scan --diff BASE..HEAD`, `--since REF`; the pull-request path): only blobs
//! introduced by commits reachable from HEAD and not from BASE, each reported with the commit that introduced
//! it. A blob is introduced by a commit when it appears at a path where no parent had it (for a merge, where
//! none of the parents had it: content that came in through a merged branch was introduced by that branch's
//! commits). Each unique blob is read and matched once; further introductions only add locations.
//!
//! With `--recurse-submodules`, a submodule whose gitlink the range's commits move is scanned the same way in
//! its own repository: what the submodule commits they point to add beyond the submodule commit BASE points
//! to, reported under the submodule's path. A submodule that is not checked out has nothing local to read and
//! is left out, as in `--history`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};

use super::BlobSink;
use super::git::{self, BlobJob, RepoInfo};
use crate::model::{Blob, Origin};

/// What one commit introduced: blobs and gitlinks (submodule commits), each with its path.
#[derive(Clone, Default, PartialEq, Eq)]
struct Changes {
    blobs: BTreeSet<(String, Oid)>,
    gitlinks: BTreeSet<(String, Oid)>,
}

impl Changes {
    /// What both introduced (a merge introduces what none of its parents had).
    fn intersection(&self, other: &Changes) -> Changes {
        Changes {
            blobs: self.blobs.intersection(&other.blobs).cloned().collect(),
            gitlinks: self
                .gitlinks
                .intersection(&other.gitlinks)
                .cloned()
                .collect(),
        }
    }
}

/// A pair of trees still to compare in [`changed_entries`]: the tree at one path and what the parent had there.
struct Pending {
    /// The parent's tree at this path, if it had a tree there.
    old: Option<Oid>,
    /// The tree at this path.
    new: Oid,
    /// The entry name of this tree in its parent (empty for the root).
    name: String,
    /// How long the parent's path is: the shared path buffer is cut back to it before `name` is added.
    parent_len: usize,
    /// How many trees are above this one.
    depth: usize,
}

/// The blobs and gitlinks (with paths) `tree` has where `parent` (`None`: a root commit) has not the same
/// object at the same path. Identical subtrees are skipped by id, so a commit costs in proportion to what it
/// changed.
///
/// Iterative, depth first with an explicit stack, so a tree nested 100k levels deep costs heap, not call
/// stack; subtrees are visited in the order a recursion would visit them. The current path lives in one buffer
/// cut back to the parent's length at each step (a path per pending tree would be O(depth²) bytes); a path is
/// copied out only for a blob or gitlink that is reported. A tree that contains itself (possible only in a
/// corrupt object database, since hashes are not re-checked) is an error, not an endless walk.
fn changed_entries(
    repo: &Repository,
    parent: Option<Oid>,
    tree: Oid,
    out: &mut Changes,
) -> Result<()> {
    let mut stack = vec![Pending {
        old: parent,
        new: tree,
        name: String::new(),
        parent_len: 0,
        depth: 0,
    }];
    let mut path = String::new();
    // The trees from the root down to the current one, to notice a tree that contains itself.
    let mut ancestors: Vec<Oid> = Vec::new();
    let mut on_path: HashSet<Oid> = HashSet::new();
    while let Some(dir) = stack.pop() {
        path.truncate(dir.parent_len);
        push_name(&mut path, &dir.name);
        for gone in ancestors.drain(dir.depth..) {
            on_path.remove(&gone);
        }
        if dir.old == Some(dir.new) {
            continue;
        }
        if !on_path.insert(dir.new) {
            anyhow::bail!("tree {} ({path}) contains itself", dir.new);
        }
        ancestors.push(dir.new);
        let new = repo
            .find_tree(dir.new)
            .with_context(|| format!("reading tree {} ({path})", dir.new))?;
        let old: HashMap<Vec<u8>, (Oid, Option<ObjectType>)> = match dir.old {
            Some(p) => repo
                .find_tree(p)
                .with_context(|| format!("reading tree {p} ({path})"))?
                .iter()
                .map(|e| (e.name_bytes().to_vec(), (e.id(), e.kind())))
                .collect(),
            None => HashMap::new(),
        };
        let first_child = stack.len();
        for entry in new.iter() {
            let before = old.get(entry.name_bytes());
            if before.is_some_and(|(id, _)| *id == entry.id()) {
                continue;
            }
            let name = crate::model::path::from_bytes(entry.name_bytes());
            let joined = || {
                let mut p = path.clone();
                push_name(&mut p, &name);
                p
            };
            match entry.kind() {
                Some(ObjectType::Blob) => {
                    out.blobs.insert((joined(), entry.id()));
                }
                Some(ObjectType::Tree) => {
                    let old_tree = before
                        .filter(|(_, kind)| *kind == Some(ObjectType::Tree))
                        .map(|(id, _)| *id);
                    stack.push(Pending {
                        old: old_tree,
                        new: entry.id(),
                        name: name.into_owned(),
                        parent_len: path.len(),
                        depth: dir.depth + 1,
                    });
                }
                // A gitlink names a commit of the submodule's repository; followed only with
                // --recurse-submodules (see `scan_submodules`).
                Some(ObjectType::Commit) => {
                    out.gitlinks.insert((joined(), entry.id()));
                }
                _ => {}
            }
        }
        // Popped first to last, as the entries are ordered.
        stack[first_child..].reverse();
    }
    Ok(())
}

/// Appends `name` to the `/`-separated `path` (an empty path takes no separator).
fn push_name(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('/');
    }
    path.push_str(name);
}

/// Resolves a revision to a commit id, naming the revision on failure.
pub fn resolve_commit(repo: &Repository, rev: &str) -> Result<Oid> {
    let obj = repo
        .revparse_single(rev)
        .with_context(|| format!("{rev:?}: unknown revision"))?;
    let commit = obj
        .peel_to_commit()
        .with_context(|| format!("{rev:?} does not name a commit"))?;
    Ok(commit.id())
}

/// One repository a range scan read: the repository itself, or a submodule whose paths are reported under
/// `prefix` (`vendor/lib/`).
#[derive(Clone, Debug)]
pub struct RangeRepo {
    /// The repository.
    pub info: RepoInfo,
    /// The commit the range ends at in this repository (for a submodule, the one HEAD's gitlink names; `None`
    /// when HEAD no longer has the submodule).
    pub head: Option<Oid>,
    /// Prepended to its paths; empty for the repository itself.
    pub prefix: String,
}

/// Scans blobs introduced by commits in `base..head` (with `recurse_submodules`, and in the ranges of the
/// submodules it moves); returns the repositories read, the scanned repository first.
pub fn scan_diff(
    path: &Path,
    base: &str,
    head: &str,
    max_file_size: u64,
    recurse_submodules: bool,
    sink: &dyn BlobSink,
) -> Result<Vec<RangeRepo>> {
    let (repo, info) = git::open(path)?;
    // As for history: no re-hashing of every object read (zlib still checks each stream).
    git2::opts::strict_hash_verification(false);
    let head_id = resolve_commit(&repo, head)?;
    let base_id = resolve_commit(&repo, base)?;
    let range = Range {
        heads: vec![head_id],
        hide: vec![base_id],
        head: Some(head_id),
    };
    let gitlinks = scan_range(&repo, &info, &range, "", max_file_size, sink)?;
    let mut repos = vec![RangeRepo {
        info,
        head: Some(head_id),
        prefix: String::new(),
    }];
    if recurse_submodules {
        scan_submodules(
            &repo,
            &range,
            &gitlinks,
            "",
            max_file_size,
            sink,
            &mut repos,
        );
    }
    Ok(repos)
}

/// The commits of one repository to scan: reachable from `heads` and from none of `hide`.
struct Range {
    heads: Vec<Oid>,
    hide: Vec<Oid>,
    /// Where the range ends for `in_head` (the superproject's HEAD, or the gitlink it names).
    head: Option<Oid>,
}

/// Scans, in each submodule whose gitlink the superproject's `range` moved (`gitlinks`: path → the submodule
/// commits its commits introduced), what those submodule commits add beyond the one the range's base names,
/// recursively; appends each submodule read to `repos`.
fn scan_submodules(
    repo: &Repository,
    range: &Range,
    gitlinks: &BTreeMap<String, Vec<Oid>>,
    prefix: &str,
    max_file_size: u64,
    sink: &dyn BlobSink,
    repos: &mut Vec<RangeRepo>,
) {
    for (path, commits) in gitlinks {
        let sub_prefix = format!("{prefix}{path}/");
        let Some(sub) = open_submodule(repo, path) else {
            continue;
        };
        let where_ = format!("submodule {prefix}{path}");
        let info = RepoInfo {
            git_dir: sub.path().to_path_buf(),
            shallow: sub.is_shallow(),
            partial: git::is_partial_clone(&sub),
        };
        let old: Vec<Oid> = range
            .hide
            .iter()
            .filter_map(|c| gitlink_at(repo, *c, path))
            .collect();
        let missing: Vec<String> = commits
            .iter()
            .chain(&old)
            .filter(|c| sub.find_commit(**c).is_err())
            .map(Oid::to_string)
            .collect();
        if !missing.is_empty() {
            // Without the commits the range names, what it adds cannot be told.
            sink.error(
                where_,
                format!(
                    "not scanned: commit(s) {} not in its repository at {} (git submodule update --init)",
                    missing.join(", "),
                    info.git_dir.display()
                ),
            );
            continue;
        }
        let sub_range = Range {
            heads: commits.clone(),
            hide: old,
            head: range.head.and_then(|h| gitlink_at(repo, h, path)),
        };
        match scan_range(&sub, &info, &sub_range, &sub_prefix, max_file_size, sink) {
            Ok(nested) => {
                repos.push(RangeRepo {
                    info,
                    head: sub_range.head,
                    prefix: sub_prefix.clone(),
                });
                scan_submodules(
                    &sub,
                    &sub_range,
                    &nested,
                    &sub_prefix,
                    max_file_size,
                    sink,
                    repos,
                );
            }
            Err(e) => sink.error(where_, format!("{e:#}")),
        }
    }
}

/// The submodule at `path`: its checked-out repository, else its repository under the superproject's
/// `modules/` (a bare superproject, a submodule no longer in `.gitmodules`). `None` when neither is there.
fn open_submodule(repo: &Repository, path: &str) -> Option<Repository> {
    if let Ok(sm) = repo.find_submodule(path)
        && let Ok(sub) = sm.open()
    {
        return Some(sub);
    }
    Repository::open(repo.path().join("modules").join(path)).ok()
}

/// The submodule commit `commit`'s tree names at `path`, if it has a gitlink there.
fn gitlink_at(repo: &Repository, commit: Oid, path: &str) -> Option<Oid> {
    let entry = repo
        .find_commit(commit)
        .ok()?
        .tree()
        .ok()?
        .get_path(Path::new(path))
        .ok()?;
    (entry.kind() == Some(ObjectType::Commit)).then(|| entry.id())
}

/// Scans blobs introduced by the commits of `range` in `repo`, their paths reported under `prefix`; returns
/// the gitlinks those commits introduced (path → submodule commits).
fn scan_range(
    repo: &Repository,
    info: &RepoInfo,
    range: &Range,
    prefix: &str,
    max_file_size: u64,
    sink: &dyn BlobSink,
) -> Result<BTreeMap<String, Vec<Oid>>> {
    let place = |what: String| {
        if prefix.is_empty() {
            what
        } else {
            format!("submodule {}: {what}", prefix.trim_end_matches('/'))
        }
    };
    let mut walk = repo.revwalk().context("starting the commit walk")?;
    for h in &range.heads {
        walk.push(*h)?;
    }
    for h in &range.hide {
        walk.hide(*h)?;
    }
    // (blob id) → every (path, commit) that introduced it, in walk order.
    let mut introduced: HashMap<Oid, Vec<(String, Oid)>> = HashMap::new();
    let mut order: Vec<Oid> = Vec::new();
    let mut gitlinks: BTreeMap<String, Vec<Oid>> = BTreeMap::new();
    for oid in walk {
        let oid = match oid {
            Ok(o) => o,
            Err(e) => {
                sink.error(place("commit walk".into()), e.message().to_string());
                continue;
            }
        };
        let changed = (|| -> Result<Changes> {
            let commit = repo.find_commit(oid)?;
            let tree = commit.tree_id();
            if commit.parent_count() == 0 {
                let mut set = Changes::default();
                changed_entries(repo, None, tree, &mut set)?;
                return Ok(set);
            }
            let mut acc: Option<Changes> = None;
            for parent in commit.parents() {
                let mut set = Changes::default();
                changed_entries(repo, Some(parent.tree_id()), tree, &mut set)?;
                acc = Some(match acc {
                    None => set,
                    Some(a) => a.intersection(&set),
                });
            }
            Ok(acc.unwrap_or_default())
        })();
        match changed {
            Ok(set) => {
                for (p, blob) in set.blobs {
                    let list = introduced.entry(blob).or_default();
                    if list.is_empty() {
                        order.push(blob);
                    }
                    list.push((format!("{prefix}{p}"), oid));
                }
                for (p, commit) in set.gitlinks {
                    let list = gitlinks.entry(p).or_default();
                    if !list.contains(&commit) {
                        list.push(commit);
                    }
                }
            }
            Err(e) => sink.error(place(format!("commit {oid}")), format!("{e:#}")),
        }
    }
    let odb = repo.odb().context("opening the object database")?;
    let mut jobs = Vec::with_capacity(order.len());
    for blob in order {
        let list = introduced.remove(&blob).unwrap_or_default();
        let Some(((first_path, first_commit), rest)) = list.split_first() else {
            continue;
        };
        jobs.push((
            BlobJob {
                oid: blob,
                commit: Some(*first_commit),
                origin: Origin::GitBlob {
                    path: Some(first_path.clone()),
                    commit: Some(first_commit.to_string()),
                },
            },
            rest.to_vec(),
        ));
    }
    for (job, rest) in jobs {
        let id = git::blob_id(job.oid);
        if git::read_blob(&odb, job, info, max_file_size, sink, false) == git::ReadOutcome::Scanned
        {
            // Further introductions of the same content: the sink records only their origins.
            for (p, c) in rest {
                sink.submit(Blob {
                    id,
                    bytes: Vec::new(),
                    origin: Origin::GitBlob {
                        path: Some(p),
                        commit: Some(c.to_string()),
                    },
                });
            }
        }
    }
    Ok(gitlinks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::testing::{DEPTH, DeepRepo, LoopRepo, RecordingSink, on_small_stack};

    #[test]
    fn deep_tree_in_a_diff_range_does_not_overflow_the_stack() {
        let deep = DeepRepo::new(DEPTH);
        on_small_stack(move || {
            let sink = RecordingSink::default();
            let (base, head) = (deep.base.to_string(), deep.head.to_string());
            scan_diff(deep.path(), &base, &head, 1 << 20, false, &sink).expect("diff scan");
            assert_eq!(sink.errors(), Vec::new());
            let introduced = |path: &str| {
                vec![Origin::GitBlob {
                    path: Some(path.to_string()),
                    commit: Some(deep.deep.to_string()),
                }]
            };
            assert_eq!(sink.origins_of(deep.secret), introduced(&deep.secret_path));
            let (note, note_path) = DeepRepo::note(DEPTH / 2);
            assert_eq!(sink.origins_of(note), introduced(&note_path));
        });
    }

    #[test]
    fn tree_that_contains_itself_in_a_diff_range_is_an_error_not_an_endless_walk() {
        let looping = LoopRepo::new();
        on_small_stack(move || {
            let sink = RecordingSink::default();
            let (base, head) = (looping.base.to_string(), looping.head.to_string());
            scan_diff(looping.path(), &base, &head, 1 << 20, false, &sink).expect("diff scan");
            let errors = sink.errors();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].0, format!("commit {head}"));
            assert!(
                errors[0].1.ends_with("(loop/loop) contains itself"),
                "{errors:?}"
            );
        });
    }
}
