//! A commit range as a source (`scan --diff BASE..HEAD`, `--since REF`; the pull-request path): only blobs
//! introduced by commits reachable from HEAD and not from BASE, each reported with the commit that introduced
//! it. A blob is introduced by a commit when it appears at a path where no parent had it (for a merge, where
//! none of the parents had it: content that came in through a merged branch was introduced by that branch's
//! commits). Each unique blob is read and matched once; further introductions only add locations.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};

use super::dedup::BlobSink;
use super::git::{self, BlobJob, RepoInfo};
use super::{Blob, Origin};

/// The blobs (with paths) `tree` has where `parent` (`None`: a root commit) has not the same blob at the same
/// path. Identical subtrees are skipped by id, so a commit costs in proportion to what it changed.
fn changed_blobs(
    repo: &Repository,
    parent: Option<Oid>,
    tree: Oid,
    prefix: &str,
    out: &mut BTreeSet<(String, Oid)>,
) -> Result<()> {
    if parent == Some(tree) {
        return Ok(());
    }
    let new = repo
        .find_tree(tree)
        .with_context(|| format!("reading tree {tree} ({prefix})"))?;
    let old: HashMap<Vec<u8>, (Oid, Option<ObjectType>)> = match parent {
        Some(p) => repo
            .find_tree(p)
            .with_context(|| format!("reading tree {p} ({prefix})"))?
            .iter()
            .map(|e| (e.name_bytes().to_vec(), (e.id(), e.kind())))
            .collect(),
        None => HashMap::new(),
    };
    for entry in new.iter() {
        let before = old.get(entry.name_bytes());
        if before.is_some_and(|(id, _)| *id == entry.id()) {
            continue;
        }
        let name = String::from_utf8_lossy(entry.name_bytes());
        let path = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        match entry.kind() {
            Some(ObjectType::Blob) => {
                out.insert((path, entry.id()));
            }
            Some(ObjectType::Tree) => {
                let old_tree = before
                    .filter(|(_, kind)| *kind == Some(ObjectType::Tree))
                    .map(|(id, _)| *id);
                changed_blobs(repo, old_tree, entry.id(), &path, out)?;
            }
            // Submodules (gitlinks) are not followed.
            _ => {}
        }
    }
    Ok(())
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
    // As for history: no re-hashing of every object read (zlib still checks each stream).
    git2::opts::strict_hash_verification(false);
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
            let tree = commit.tree_id();
            if commit.parent_count() == 0 {
                let mut set = BTreeSet::new();
                changed_blobs(&repo, None, tree, "", &mut set)?;
                return Ok(set);
            }
            let mut acc: Option<BTreeSet<(String, Oid)>> = None;
            for parent in commit.parents() {
                let mut set = BTreeSet::new();
                changed_blobs(&repo, Some(parent.tree_id()), tree, "", &mut set)?;
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
