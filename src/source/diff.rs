//! A commit range as a source (`scan --diff BASE..HEAD`, `--since REF`; the pull-request path): only blobs
//! introduced by commits reachable from HEAD and not from BASE, each reported with the commit that introduced
//! it. A blob is introduced by a commit when it appears at a path where no parent had it (for a merge, where
//! none of the parents had it: content that came in through a merged branch was introduced by that branch's
//! commits). Each unique blob is read and matched once; further introductions only add locations.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use git2::{Delta, DiffOptions, FileMode, Oid, Repository, Tree};

use super::dedup::BlobSink;
use super::git::{self, BlobJob, RepoInfo};
use super::{Blob, Origin};

/// The blobs (with paths) a commit adds or changes relative to one parent tree (`None`: a root commit).
fn changed_blobs(
    repo: &Repository,
    parent: Option<&Tree<'_>>,
    tree: &Tree<'_>,
) -> Result<BTreeSet<(String, Oid)>> {
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true).include_typechange(true);
    let diff = repo.diff_tree_to_tree(parent, Some(tree), Some(&mut opts))?;
    let mut out = BTreeSet::new();
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
            out.insert((String::from_utf8_lossy(p).into_owned(), file.id()));
        }
    }
    Ok(out)
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

/// Scans blobs introduced by commits in `base..head`; returns the repository and the head commit.
pub fn scan_diff(
    path: &Path,
    base: &str,
    head: &str,
    max_file_size: u64,
    sink: &BlobSink<'_>,
) -> Result<(RepoInfo, Oid)> {
    let (repo, info) = git::open(path)?;
    let head_id = resolve_commit(&repo, head)?;
    let base_id = resolve_commit(&repo, base)?;
    let mut walk = repo.revwalk().context("starting the commit walk")?;
    walk.push(head_id)?;
    walk.hide(base_id)?;
    // (blob id) → every (path, commit) that introduced it, in walk order.
    let mut introduced: HashMap<Oid, Vec<(String, Oid)>> = HashMap::new();
    let mut order: Vec<Oid> = Vec::new();
    for oid in walk {
        let oid = match oid {
            Ok(o) => o,
            Err(e) => {
                sink.error("commit walk", e.message().to_string());
                continue;
            }
        };
        let changed = (|| -> Result<BTreeSet<(String, Oid)>> {
            let commit = repo.find_commit(oid)?;
            let tree = commit.tree()?;
            if commit.parent_count() == 0 {
                return changed_blobs(&repo, None, &tree);
            }
            let mut acc: Option<BTreeSet<(String, Oid)>> = None;
            for parent in commit.parents() {
                let ptree = parent.tree()?;
                let set = changed_blobs(&repo, Some(&ptree), &tree)?;
                acc = Some(match acc {
                    None => set,
                    Some(a) => a.intersection(&set).cloned().collect(),
                });
            }
            Ok(acc.unwrap_or_default())
        })();
        match changed {
            Ok(set) => {
                for (p, blob) in set {
                    let list = introduced.entry(blob).or_default();
                    if list.is_empty() {
                        order.push(blob);
                    }
                    list.push((p, oid));
                }
            }
            Err(e) => sink.error(format!("commit {oid}"), format!("{e:#}")),
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
        if git::read_blob(&odb, job, &info, max_file_size, sink, false) == git::ReadOutcome::Scanned
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
    Ok((info, head_id))
}
