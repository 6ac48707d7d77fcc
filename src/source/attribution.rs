//! Attribution of history findings, computed after the scan and only for blobs that had matches, so clean
//! repositories never pay for it. For each such blob: every commit that introduced it at a path (it is in
//! the commit's tree at that path and in no parent's), that commit's author and date, and whether HEAD still
//! contains it. Each tree is read once (results are memoised by tree id), so the cost is one pass over the
//! unique trees, not commits × files.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository, Time};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::git::{self, RepoInfo, ScannedRepo, oid_of};
use super::{BlobId, Origin};
use crate::finding::{Finding, ScannedBlob, sort_findings};

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

type Hits = Rc<Vec<(usize, String)>>;

/// Memoised "which target blobs does this tree contain, at which paths".
struct TreeHits<'r> {
    repo: &'r Repository,
    targets: &'r HashMap<Oid, usize>,
    memo: HashMap<Oid, Hits>,
    empty: Hits,
}

impl<'r> TreeHits<'r> {
    fn new(repo: &'r Repository, targets: &'r HashMap<Oid, usize>) -> TreeHits<'r> {
        TreeHits {
            repo,
            targets,
            memo: HashMap::new(),
            empty: Rc::new(Vec::new()),
        }
    }

    fn hits(&mut self, tree_id: Oid) -> Hits {
        if let Some(h) = self.memo.get(&tree_id) {
            return h.clone();
        }
        // A missing tree (partial or shallow clone) contains nothing we can attribute.
        let repo = self.repo;
        let Ok(tree) = repo.find_tree(tree_id) else {
            self.memo.insert(tree_id, self.empty.clone());
            return self.empty.clone();
        };
        let mut out = Vec::new();
        for entry in tree.iter() {
            match entry.kind() {
                Some(ObjectType::Blob) => {
                    if let Some(&i) = self.targets.get(&entry.id()) {
                        out.push((i, String::from_utf8_lossy(entry.name_bytes()).into_owned()));
                    }
                }
                Some(ObjectType::Tree) => {
                    let sub = self.hits(entry.id());
                    if !sub.is_empty() {
                        let name = String::from_utf8_lossy(entry.name_bytes());
                        for (i, p) in sub.iter() {
                            out.push((*i, format!("{name}/{p}")));
                        }
                    }
                }
                _ => {}
            }
        }
        let h = if out.is_empty() {
            self.empty.clone()
        } else {
            Rc::new(out)
        };
        self.memo.insert(tree_id, h.clone());
        h
    }

    fn commit_hits(&mut self, commit: Oid) -> Option<Hits> {
        let tree = self.repo.find_commit(commit).ok()?.tree_id();
        Some(self.hits(tree))
    }
}

fn format_time(t: Time) -> String {
    let utc =
        OffsetDateTime::from_unix_timestamp(t.seconds()).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let offset = UtcOffset::from_whole_seconds(t.offset_minutes() * 60).unwrap_or(UtcOffset::UTC);
    utc.to_offset(offset)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.seconds().to_string())
}

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
    if let Some(h) = head.and_then(|h| trees.commit_hits(h)) {
        for (i, _) in h.iter() {
            out.insert(ids[*i].to_hex());
        }
    }
    out
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
    let repo =
        Repository::open(git_dir).with_context(|| format!("opening {}", git_dir.display()))?;
    let ids: Vec<BlobId> = hits.iter().map(|h| h.id).collect();
    let targets: HashMap<Oid, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (oid_of(*id), i))
        .collect();
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
        let here = trees.hits(*tree);
        if here.is_empty() {
            continue;
        }
        let parent_hits: Vec<Hits> = parents
            .iter()
            .filter_map(|p| tree_of.get(p))
            .map(|t| trees.hits(*t))
            .collect();
        // Fast path: a parent with the very same hits (an unchanged subtree) means nothing new here.
        if parent_hits.iter().any(|h| Rc::ptr_eq(h, &here)) {
            continue;
        }
        let before: HashSet<&(usize, String)> = parent_hits.iter().flat_map(|h| h.iter()).collect();
        let mut introduced_here = false;
        for hit in here.iter() {
            if !before.contains(hit) {
                introductions[hit.0].push((hit.1.clone(), *oid));
                introduced_here = true;
            }
        }
        if introduced_here && let Some(info) = commit_info(&repo, *oid) {
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
/// and which blobs `head` still contains.
fn attribute_range(git_dir: &Path, head: Oid, hits: &[ScannedBlob]) -> Result<Attribution> {
    if hits.is_empty() {
        return Ok(Attribution::default());
    }
    let repo =
        Repository::open(git_dir).with_context(|| format!("opening {}", git_dir.display()))?;
    let ids: Vec<BlobId> = hits.iter().map(|h| h.id).collect();
    let targets: HashMap<Oid, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (oid_of(*id), i))
        .collect();
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
    attribution.in_head = head_blobs(&repo, Some(head), &mut trees, &ids);
    Ok(attribution)
}

/// What a git scan read, for attribution after the scan.
#[derive(Clone, Debug)]
pub enum GitScan {
    /// `--history`: the repository and any submodules.
    History(Vec<ScannedRepo>),
    /// `--diff`/`--since`: the repository and the head of the range.
    Range {
        /// The repository.
        info: RepoInfo,
        /// The included end of the range.
        head: Oid,
    },
}

impl GitScan {
    /// Whether the scanned repository is a shallow clone.
    pub fn shallow(&self) -> bool {
        match self {
            GitScan::History(repos) => repos.first().is_some_and(|r| r.info.shallow),
            GitScan::Range { info, .. } => info.shallow,
        }
    }

    /// Attributes the blobs with matches (see [`Attribution`]); history origins are rewritten to the
    /// introducing commits.
    pub fn attribute(&self, hits: &mut [ScannedBlob]) -> Result<Attribution> {
        match self {
            GitScan::Range { info, head } => attribute_range(&info.git_dir, *head, hits),
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
    /// first location is the commit that first introduced the secret.
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
                (seconds(&a.commit), &a.path, a.line, a.column, &a.commit).cmp(&(
                    seconds(&b.commit),
                    &b.path,
                    b.line,
                    b.column,
                    &b.commit,
                ))
            });
        }
        sort_findings(findings);
    }
}
