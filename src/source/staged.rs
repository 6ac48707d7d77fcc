//! The staged index as a source (`scan --staged`, the pre-commit path): exactly what `git commit` would
//! record — index entries whose blob differs from HEAD's (every entry in a repository with no commit yet).
//! Only the changed blobs are read. Unstaged work-tree edits are not seen.
//!
//! Which entries changed is found the way git finds it: the index file is read with gix-index (its trailing
//! checksum not recomputed: a SHA-1 over the whole file was a quarter of the time on 100,000 entries), and its
//! cache-tree extension names, for each directory the index has not touched since it last wrote a tree, that
//! tree's id — a directory whose id equals HEAD's is skipped without reading either side. So a one-file change
//! costs the index parse plus the HEAD trees along one path, not a diff of every entry. An index gix cannot read
//! (a sparse index, a hash other than SHA-1) or a case-insensitive repository falls back to libgit2's diff of
//! HEAD's tree against the index, which gives the same entries.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use git2::{Delta, DiffOptions, FileMode, Oid, Repository};
use gix_index::entry::{Mode, Stage};

use super::BlobSink;
use super::git::{self, BlobJob, RepoInfo};
use crate::model::Origin;

/// One staged entry to read: its blob and its path.
type Change = (Oid, Vec<u8>);

/// The staged changes of one repository, listed (which entries differ from HEAD) but not yet read; `Send`, so
/// `scan` can list them on another core while the rules load.
pub struct Staged {
    repo: Repository,
    info: RepoInfo,
    changes: Vec<Change>,
}

impl Staged {
    /// Opens the repository containing `path` and lists its index entries that differ from HEAD.
    pub fn list(path: &Path) -> Result<Staged> {
        let (repo, info) = git::open(path)?;
        let changes = match changes_by_cache_tree(&repo) {
            Some(changes) => changes,
            None => changes_by_libgit2(&repo, &info)?,
        };
        Ok(Staged {
            repo,
            info,
            changes,
        })
    }

    /// Reads the changed blobs into `sink`.
    pub fn read(self, max_file_size: u64, sink: &dyn BlobSink) -> Result<RepoInfo> {
        let odb = self.repo.odb().context("opening the object database")?;
        for (oid, p) in self.changes {
            let job = BlobJob {
                oid,
                commit: None,
                origin: Origin::Staged {
                    path: crate::model::path::from_bytes(&p).into_owned(),
                },
            };
            git::read_blob(&odb, job, &self.info, max_file_size, sink, false);
        }
        drop(odb);
        Ok(self.info)
    }
}

/// HEAD's tree, `None` when there is no HEAD yet (a new repository, an orphan branch).
fn head_tree<'r>(repo: &'r Repository, info: &RepoInfo) -> Result<Option<git2::Tree<'r>>> {
    match repo.head() {
        Ok(head) => Ok(Some(head.peel_to_tree().with_context(|| {
            format!("reading HEAD's tree in {}", info.git_dir.display())
        })?)),
        Err(_) => Ok(None),
    }
}

/// The changed entries by libgit2: a diff of HEAD's tree against the whole index.
pub(super) fn changes_by_libgit2(repo: &Repository, info: &RepoInfo) -> Result<Vec<Change>> {
    let index = repo
        .index()
        .with_context(|| format!("reading the index of {}", info.git_dir.display()))?;
    let head_tree = head_tree(repo, info)?;
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true).include_typechange(true);
    let diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .context("comparing the index with HEAD")?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let file = delta.new_file();
        if file.mode() == FileMode::Commit || file.id().is_zero() {
            continue;
        }
        if let Some(p) = file.path_bytes() {
            out.push((file.id(), p.to_vec()));
        }
    }
    Ok(out)
}

/// The changed entries by the index's cache-tree (see the module's note), in index order; `None` when this way
/// does not apply or anything fails (the libgit2 diff then decides, and reports any error).
pub(super) fn changes_by_cache_tree(repo: &Repository) -> Option<Vec<Change>> {
    let config = repo.config().ok()?;
    if config.get_bool("core.ignorecase").unwrap_or(false)
        || config
            .get_string("extensions.objectformat")
            .is_ok_and(|f| !f.eq_ignore_ascii_case("sha1"))
    {
        return None;
    }
    // One thread: the index parses in a few milliseconds, while the rules load on the other core. gix bounds
    // what it allocates by the file's size; the limit caps a corrupt count besides.
    let options = gix_index::decode::Options {
        thread_limit: Some(1),
        alloc_limit_bytes: Some(1 << 30),
        ..Default::default()
    };
    let index = gix_index::File::at(
        repo.path().join("index"),
        gix_hash::Kind::Sha1,
        true,
        options,
    )
    .ok()?;
    if index.is_sparse() {
        return None;
    }
    let head = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().ok()?.id()),
        Err(_) => None,
    };
    let mut walk = Walk {
        repo,
        state: &index,
        out: Vec::new(),
    };
    walk.dir(0, index.entries(), index.tree(), head).ok()?;
    Some(walk.out)
}

/// The state of one cache-tree walk.
struct Walk<'a> {
    repo: &'a Repository,
    state: &'a gix_index::State,
    out: Vec<Change>,
}

impl Walk<'_> {
    /// Compares `entries` (all the index entries under one directory, whose path with its `/` is `prefix`
    /// bytes long) with `head`, HEAD's tree of that directory; `cache` is the index's cache-tree node for it.
    fn dir(
        &mut self,
        prefix: usize,
        entries: &[gix_index::Entry],
        cache: Option<&gix_index::extension::Tree>,
        head: Option<Oid>,
    ) -> Result<(), git2::Error> {
        if let (Some(node), Some(head)) = (cache, head)
            && let Some(n) = node.num_entries
            && node.id.as_bytes() == head.as_bytes()
            && entries.len() == n as usize
        {
            // The index wrote exactly this tree, and has not touched the directory since.
            return Ok(());
        }
        let tree = head.map(|id| self.repo.find_tree(id)).transpose()?;
        let in_head: HashMap<Vec<u8>, (i32, Oid)> = tree
            .iter()
            .flat_map(|t| t.iter())
            .map(|e| (e.name_bytes().to_vec(), (e.filemode(), e.id())))
            .collect();
        let children: HashMap<&[u8], &gix_index::extension::Tree> = cache
            .map(|c| c.children.iter().map(|t| (&t.name[..], t)).collect())
            .unwrap_or_default();
        let mut i = 0;
        while i < entries.len() {
            let path: &[u8] = entries[i].path(self.state);
            let rest = &path[prefix..];
            match memchr::memchr(b'/', rest) {
                None => {
                    let e = &entries[i];
                    i += 1;
                    if e.stage() != Stage::Unconflicted || e.mode == Mode::COMMIT {
                        continue;
                    }
                    let id = Oid::from_bytes(e.id.as_bytes())?;
                    let same = in_head.get(rest).is_some_and(|&(mode, head_id)| {
                        mode as u32 == e.mode.bits() && head_id == id
                    });
                    if !same && !id.is_zero() {
                        self.out.push((id, path.to_vec()));
                    }
                }
                Some(k) => {
                    let name = &rest[..k];
                    let sub = prefix + k + 1;
                    let dir_prefix = &path[..sub];
                    // Sorted by path, so the directory's entries are the run that starts here.
                    let end = i + entries[i..]
                        .partition_point(|e| e.path(self.state).starts_with(dir_prefix));
                    let head_child = in_head
                        .get(name)
                        .filter(|&&(mode, _)| mode == i32::from(FileMode::Tree))
                        .map(|&(_, id)| id);
                    self.dir(
                        sub,
                        &entries[i..end],
                        children.get(name).copied(),
                        head_child,
                    )?;
                    i = end;
                }
            }
        }
        Ok(())
    }
}
