//! Attribution of history findings, computed after the scan and only for blobs that had matches, so clean
//! repositories never pay for it. For each such blob: every commit that introduced it at a path (it is in
//! the commit's tree at that path and in no parent's), that commit's author and date, and whether HEAD still
//! contains it. Each tree is read once (results are memoised by tree id, `tree_hits.rs`), so the cost is one
//! pass over the unique trees, not commits × files.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use git2::{Oid, Repository, Time};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::diff::RangeRepo;
use super::git::{self, ScannedRepo, oid_of};
use super::tree_hits::{NodeId, TreeHits};
use crate::model::{BlobId, Finding, Origin, ScannedBlob, sort_findings};

/// Author and date of a commit.
#[derive(Clone, Debug)]
struct CommitInfo {
    author: String,
    date: String,
    seconds: i64,
}

/// What attribution learned; [`Attribution::apply`] writes it into findings after grouping.
#[derive(Debug, Default)]
pub struct Attribution {
    commits: HashMap<String, CommitInfo>,
    in_head: HashSet<String>,
}

/// A commit time as RFC 3339 in the committer's offset.
fn format_time(t: Time) -> String {
    let utc =
        OffsetDateTime::from_unix_timestamp(t.seconds()).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let offset = UtcOffset::from_whole_seconds(t.offset_minutes() * 60).unwrap_or(UtcOffset::UTC);
    utc.to_offset(offset)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.seconds().to_string())
}

/// A commit's author (`name <email>`) and date.
fn commit_info(repo: &Repository, oid: Oid) -> Option<CommitInfo> {
    let commit = repo.find_commit(oid).ok()?;
    let author = commit.author();
    let name = String::from_utf8_lossy(author.name_bytes()).into_owned();
    let email = String::from_utf8_lossy(author.email_bytes()).into_owned();
    Some(CommitInfo {
        author: format!("{name} <{email}>"),
        date: format_time(author.when()),
        seconds: author.when().seconds(),
    })
}

/// The hex ids of the targets that `head` (default: the repository's HEAD) still contains.
fn head_blobs(
    repo: &Repository,
    head: Option<Oid>,
    trees: &mut TreeHits<'_>,
    ids: &[BlobId],
) -> HashSet<String> {
    let head = head.or_else(|| {
        repo.head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id())
    });
    let mut out = HashSet::new();
    if let Some(node) = head.and_then(|h| trees.commit_node(h)) {
        for i in trees.targets_under(node) {
            out.insert(ids[i].to_hex());
        }
    }
    out
}

/// Opens the repository and indexes the blob ids to attribute: (repository, ids, oid → index in ids).
fn open_with_targets(
    git_dir: &Path,
    ids: impl Iterator<Item = BlobId>,
) -> Result<(Repository, Vec<BlobId>, HashMap<Oid, usize>)> {
    let repo =
        Repository::open(git_dir).with_context(|| format!("opening {}", git_dir.display()))?;
    let ids: Vec<BlobId> = ids.collect();
    let targets = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (oid_of(*id), i))
        .collect();
    Ok((repo, ids, targets))
}

/// Attributes history blobs of one repository (paths reported under `prefix`): replaces each blob's origins
/// by the (path, commit) pairs that introduced it (blobs reachable from no commit keep their origin), and
/// records authors, dates and which blobs HEAD still contains.
fn attribute_repo(
    git_dir: &Path,
    prefix: &str,
    hits: &mut [&mut ScannedBlob],
) -> Result<Attribution> {
    if hits.is_empty() {
        return Ok(Attribution::default());
    }
    let (repo, ids, targets) = open_with_targets(git_dir, hits.iter().map(|h| h.id))?;
    let mut trees = TreeHits::new(&repo, &targets);
    let mut walk = repo.revwalk().context("starting the commit walk")?;
    let mut loose = Vec::new();
    git::push_all_refs(&repo, &mut walk, &mut loose, None)?;
    let mut introductions: Vec<Vec<(String, Oid)>> = vec![Vec::new(); ids.len()];
    let mut attribution = Attribution::default();
    // One read per commit: its tree and parents (a parent beyond a shallow boundary is simply absent, so the
    // boundary commit introduces everything it has).
    let mut graph: Vec<(Oid, Oid, Vec<Oid>)> = Vec::new();
    for oid in walk.flatten() {
        if let Ok(c) = repo.find_commit(oid) {
            graph.push((oid, c.tree_id(), c.parent_ids().collect()));
        }
    }
    let tree_of: HashMap<Oid, Oid> = graph.iter().map(|(c, t, _)| (*c, *t)).collect();
    for (oid, tree, parents) in &graph {
        let Some(here) = trees.node(*tree) else {
            continue;
        };
        let parent_nodes: Vec<Option<NodeId>> = parents
            .iter()
            .filter_map(|p| tree_of.get(p))
            .map(|t| trees.node(*t))
            .collect();
        // Fast path: a parent with the very same tree content (for our targets) means nothing new here.
        if parent_nodes.iter().flatten().any(|p| *p == here) {
            continue;
        }
        let mut new = Vec::new();
        trees.new_in(here, &parent_nodes, &mut new);
        if new.is_empty() {
            continue;
        }
        for (i, path) in new {
            introductions[i].push((path, *oid));
        }
        if let Some(info) = commit_info(&repo, *oid) {
            attribution.commits.insert(oid.to_string(), info);
        }
    }
    for (hit, intro) in hits.iter_mut().zip(introductions) {
        if intro.is_empty() {
            continue;
        }
        hit.origins = intro
            .into_iter()
            .map(|(path, commit)| Origin::GitBlob {
                path: Some(format!("{prefix}{path}")),
                commit: Some(commit.to_string()),
            })
            .collect();
        hit.origins.sort();
        hit.origins.dedup();
    }
    attribution.in_head = head_blobs(&repo, None, &mut trees, &ids);
    Ok(attribution)
}

/// Attributes blobs from a diff range (their origins already name the introducing commits): authors, dates,
/// and which blobs `head` (if any) still contains. Commits of another repository are simply not found here.
fn attribute_range(git_dir: &Path, head: Option<Oid>, hits: &[ScannedBlob]) -> Result<Attribution> {
    if hits.is_empty() {
        return Ok(Attribution::default());
    }
    let (repo, ids, targets) = open_with_targets(git_dir, hits.iter().map(|h| h.id))?;
    let mut trees = TreeHits::new(&repo, &targets);
    let mut attribution = Attribution::default();
    for hit in hits {
        for origin in &hit.origins {
            if let Origin::GitBlob {
                commit: Some(c), ..
            } = origin
                && !attribution.commits.contains_key(c)
                && let Some(info) = Oid::from_str(c)
                    .ok()
                    .and_then(|oid| commit_info(&repo, oid))
            {
                attribution.commits.insert(c.clone(), info);
            }
        }
    }
    if let Some(head) = head {
        attribution.in_head = head_blobs(&repo, Some(head), &mut trees, &ids);
    }
    Ok(attribution)
}

/// What a git scan read, for attribution after the scan.
#[derive(Clone, Debug)]
pub enum GitScan {
    /// `--history`: the repository and any submodules.
    History(Vec<ScannedRepo>),
    /// `--diff`/`--since`: the repository and any submodules whose ranges were read, each with the included
    /// end of its range.
    Range(Vec<RangeRepo>),
}

impl GitScan {
    /// Whether the scanned repository is a shallow clone.
    pub fn shallow(&self) -> bool {
        match self {
            GitScan::History(repos) => repos.first().is_some_and(|r| r.info.shallow),
            GitScan::Range(repos) => repos.first().is_some_and(|r| r.info.shallow),
        }
    }

    /// Attributes the blobs with matches (see [`Attribution`]); history origins are rewritten to the
    /// introducing commits.
    pub fn attribute(&self, hits: &mut [ScannedBlob]) -> Result<Attribution> {
        match self {
            GitScan::Range(repos) => {
                let mut all = Attribution::default();
                for repo in repos {
                    let a = attribute_range(&repo.info.git_dir, repo.head, hits)?;
                    all.commits.extend(a.commits);
                    all.in_head.extend(a.in_head);
                }
                Ok(all)
            }
            GitScan::History(repos) => {
                let mut all = Attribution::default();
                for repo in repos {
                    // Each repository attributes what no earlier one did (a submodule's own blobs).
                    let mut todo: Vec<&mut ScannedBlob> = hits
                        .iter_mut()
                        .filter(|h| {
                            h.origins.iter().all(|o| {
                                matches!(o, Origin::GitBlob { commit: None, path }
                                    if path.as_deref().is_none_or(|p| p.starts_with(&repo.prefix)))
                            })
                        })
                        .collect();
                    let a = attribute_repo(&repo.info.git_dir, &repo.prefix, &mut todo)?;
                    all.commits.extend(a.commits);
                    all.in_head.extend(a.in_head);
                }
                Ok(all)
            }
        }
    }
}

impl Attribution {
    /// Fills author, date and `in_head` into history findings and orders their locations oldest first, so the
    /// first location is the commit that first introduced the secret; at each path the earliest commit is marked
    /// as the one that introduced it there, later ones as carrying it on.
    pub fn apply(&self, findings: &mut [Finding]) {
        for f in findings.iter_mut() {
            let in_head = f.locations.iter().any(|l| self.in_head.contains(&l.blob));
            for loc in &mut f.locations {
                loc.in_head = Some(in_head);
                if let Some(info) = loc.commit.as_ref().and_then(|c| self.commits.get(c)) {
                    loc.author = Some(info.author.clone());
                    loc.date = Some(info.date.clone());
                }
            }
            let seconds = |c: &Option<String>| {
                c.as_ref()
                    .and_then(|c| self.commits.get(c))
                    .map_or(i64::MAX, |i| i.seconds)
            };
            f.locations.sort_by(|a, b| {
                (
                    seconds(&a.commit),
                    &a.path,
                    &a.member,
                    a.line,
                    a.column,
                    &a.commit,
                )
                    .cmp(&(
                        seconds(&b.commit),
                        &b.path,
                        &b.member,
                        b.line,
                        b.column,
                        &b.commit,
                    ))
            });
            let mut seen = std::collections::HashSet::new();
            for loc in &mut f.locations {
                if loc.commit.is_some() {
                    let first =
                        seen.insert((loc.repository.clone(), loc.path.clone(), loc.member.clone()));
                    loc.introduced = Some(first);
                }
            }
        }
        sort_findings(findings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::diff::scan_diff;
    use crate::source::git::{HistoryOptions, blob_id, scan_history};
    use crate::source::testing::{DEPTH, DeepRepo, LoopRepo, RecordingSink, on_small_stack};

    /// A hit for the blob `id`, with the origins the scan recorded for it.
    fn hit(sink: &RecordingSink, id: Oid) -> ScannedBlob {
        ScannedBlob {
            id: blob_id(id),
            origins: sink.origins_of(id),
            matches: Vec::new(),
        }
    }

    #[test]
    fn deep_tree_in_history_attribution_does_not_overflow_the_stack() {
        let deep = DeepRepo::new(DEPTH);
        on_small_stack(move || {
            let sink = RecordingSink::default();
            let opts = HistoryOptions {
                all_objects: false,
                max_file_size: 1 << 20,
                recurse_submodules: false,
            };
            let repos = scan_history(deep.path(), &opts, &sink).expect("history scan");
            assert_eq!(sink.errors(), Vec::new());
            let (note, note_path) = DeepRepo::note(DEPTH / 2);
            let mut hits = vec![hit(&sink, deep.secret), hit(&sink, note)];
            assert_eq!(hits[0].origins.len(), 1, "history reads each blob once");
            let attribution = GitScan::History(repos)
                .attribute(&mut hits)
                .expect("attribution");
            let introduced = |path: &str| {
                vec![Origin::GitBlob {
                    path: Some(path.to_string()),
                    commit: Some(deep.deep.to_string()),
                }]
            };
            assert_eq!(hits[0].origins, introduced(&deep.secret_path));
            assert_eq!(hits[1].origins, introduced(&note_path));
            let info = &attribution.commits[&deep.deep.to_string()];
            assert_eq!(info.author, "Deep Tester <deep@example.com>");
            assert_eq!(attribution.commits.len(), 1, "{:?}", attribution.commits);
            assert!(attribution.in_head.contains(&blob_id(deep.secret).to_hex()));
            assert!(attribution.in_head.contains(&blob_id(note).to_hex()));
        });
    }

    #[test]
    fn deep_tree_in_range_attribution_does_not_overflow_the_stack() {
        let deep = DeepRepo::new(DEPTH);
        on_small_stack(move || {
            let sink = RecordingSink::default();
            let base = deep.base.to_string();
            let repos =
                scan_diff(deep.path(), &base, "HEAD", 1 << 20, false, &sink).expect("diff scan");
            let mut hits = vec![hit(&sink, deep.secret)];
            let attribution = GitScan::Range(repos)
                .attribute(&mut hits)
                .expect("attribution");
            assert!(attribution.in_head.contains(&blob_id(deep.secret).to_hex()));
            assert!(attribution.commits.contains_key(&deep.deep.to_string()));
        });
    }

    #[test]
    fn tree_that_contains_itself_in_history_attribution_is_attributed_without_an_endless_walk() {
        let looping = LoopRepo::new();
        on_small_stack(move || {
            let sink = RecordingSink::default();
            let opts = HistoryOptions {
                all_objects: false,
                max_file_size: 1 << 20,
                recurse_submodules: false,
            };
            let repos = scan_history(looping.path(), &opts, &sink).expect("history scan");
            assert_eq!(sink.errors(), Vec::new());
            let mut hits = vec![hit(&sink, looping.secret)];
            let attribution = GitScan::History(repos)
                .attribute(&mut hits)
                .expect("attribution");
            let introduced = vec![Origin::GitBlob {
                path: Some("loop/secret.txt".into()),
                commit: Some(looping.head.to_string()),
            }];
            assert_eq!(hits[0].origins, introduced);
            assert!(
                attribution
                    .in_head
                    .contains(&blob_id(looping.secret).to_hex())
            );
        });
    }
}
