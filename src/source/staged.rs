//! The staged index as a source (`scan --staged`, the pre-commit path): exactly what `git commit` would
//! record — index entries whose blob differs from HEAD's (every entry in a repository with no commit yet).
//! Only the changed blobs are read, so a one-file change in a large repository costs one diff of index
//! against HEAD's tree (ids only, no content) and one blob read. Unstaged work-tree edits are not seen.

use std::path::Path;

use anyhow::{Context, Result};
use git2::{Delta, DiffOptions, FileMode};

use super::BlobSink;
use super::git::{self, BlobJob, RepoInfo};
use crate::model::Origin;

/// Scans the index entries of the repository containing `path` that differ from HEAD.
pub fn scan_staged(path: &Path, max_file_size: u64, sink: &dyn BlobSink) -> Result<RepoInfo> {
    let (repo, info) = git::open(path)?;
    let index = repo
        .index()
        .with_context(|| format!("reading the index of {}", info.git_dir.display()))?;
    // No HEAD yet (a new repository, an orphan branch): everything staged is new.
    let head_tree = match repo.head() {
        Ok(head) => Some(
            head.peel_to_tree()
                .with_context(|| format!("reading HEAD's tree in {}", info.git_dir.display()))?,
        ),
        Err(_) => None,
    };
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true).include_typechange(true);
    let diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .context("comparing the index with HEAD")?;
    let odb = repo.odb().context("opening the object database")?;
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
        let Some(p) = file.path_bytes() else {
            continue;
        };
        let job = BlobJob {
            oid: file.id(),
            commit: None,
            origin: Origin::Staged {
                path: crate::model::path::from_bytes(p).into_owned(),
            },
        };
        git::read_blob(&odb, job, &info, max_file_size, sink, false);
    }
    Ok(info)
}
