//! What changed files held before the change, so range and staged scans report only the secrets a change adds:
//! `--diff BASE..HEAD` compares with the tree of the merge base of BASE and HEAD (where a pull request started),
//! `--staged` with HEAD's tree. A file the change renamed (or copied from a file it also changed) is looked up
//! under the path it came from, as git's rename detection pairs them.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use git2::{Diff, DiffFindOptions, DiffOptions, ObjectType, Repository, Tree};

use super::diff::resolve_commit;

/// The change a scan read.
pub enum Change<'a> {
    /// The commits of `base..head`.
    Range {
        /// The range's base revision.
        base: &'a str,
        /// Its head revision.
        head: &'a str,
    },
    /// The index against HEAD.
    Staged,
}

/// For each of `paths` (paths after the change), the content the path had before it, or the content of the
/// path it was renamed or copied from; paths new to the change are absent. Contents larger than `max_size`
/// are left out (they were not scanned either).
pub fn contents_before(
    path: &Path,
    change: &Change<'_>,
    paths: &BTreeSet<String>,
    max_size: u64,
) -> Result<HashMap<String, Vec<u8>>> {
    let (repo, _) = super::git::open(path)?;
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true);
    let (base, diff) = match change {
        Change::Range { base, head } => {
            let (base_id, head_id) = (resolve_commit(&repo, base)?, resolve_commit(&repo, head)?);
            let start = repo.merge_base(base_id, head_id).unwrap_or(base_id);
            let base = repo.find_commit(start)?.tree()?;
            let head = repo.find_commit(head_id)?.tree()?;
            let diff = repo
                .diff_tree_to_tree(Some(&base), Some(&head), Some(&mut opts))
                .context("comparing the range's base with its head")?;
            (Some(base), diff)
        }
        Change::Staged => {
            let base = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
            let index = repo.index().context("reading the index")?;
            let diff = repo
                .diff_tree_to_index(base.as_ref(), Some(&index), Some(&mut opts))
                .context("comparing the index with HEAD")?;
            (base, diff)
        }
    };
    let Some(base) = base else {
        return Ok(HashMap::new());
    };
    let sources = renamed_from(diff, paths)?;
    let mut out = HashMap::new();
    for p in paths {
        let old = sources.get(p).map_or(p.as_str(), String::as_str);
        if let Some(bytes) = blob_at(&repo, &base, old, max_size) {
            out.insert(p.clone(), bytes);
        }
    }
    Ok(out)
}

/// Where each of `paths` was renamed or copied from, by git's similarity detection over the change.
fn renamed_from(mut diff: Diff<'_>, paths: &BTreeSet<String>) -> Result<HashMap<String, String>> {
    let mut find = DiffFindOptions::new();
    find.renames(true).copies(true);
    diff.find_similar(Some(&mut find))
        .context("finding renamed files")?;
    let mut out = HashMap::new();
    for delta in diff.deltas() {
        if !matches!(delta.status(), git2::Delta::Renamed | git2::Delta::Copied) {
            continue;
        }
        let (Some(new), Some(old)) = (delta.new_file().path_bytes(), delta.old_file().path_bytes())
        else {
            continue;
        };
        let new = crate::model::path::from_bytes(new).into_owned();
        if paths.contains(&new) {
            out.insert(new, crate::model::path::from_bytes(old).into_owned());
        }
    }
    Ok(out)
}

/// The content of the blob at `path` in `tree`, if there is one no larger than `max_size`.
fn blob_at(repo: &Repository, tree: &Tree<'_>, path: &str, max_size: u64) -> Option<Vec<u8>> {
    let entry = tree.get_path(&crate::model::path::to_path(path)).ok()?;
    if entry.kind() != Some(ObjectType::Blob) {
        return None;
    }
    let blob = repo.find_blob(entry.id()).ok()?;
    (blob.size() as u64 <= max_size).then(|| blob.content().to_vec())
}
