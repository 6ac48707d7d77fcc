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

use super::diff::RangeRepo;
use super::git::{self, ScannedRepo, oid_of};
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

/// The part of one tree that leads to target blobs: the targets directly in it (by name) and the subtrees that
/// contain some. Nodes are memoised by tree id, so a subtree shared by many commits is one node and two
/// commits can be compared by skipping pointer-equal subtrees; memory grows with the trees that contain
/// targets, not with commits × targets.
#[derive(Debug, Default)]
struct Node {
    blobs: Vec<(String, usize)>,
    subtrees: Vec<(String, Rc<Node>)>,
}

type NodeRef = Option<Rc<Node>>;

impl Node {
    /// Every target under this node, with its path.
    fn collect(&self, prefix: &str, out: &mut Vec<(usize, String)>) {
        for (name, i) in &self.blobs {
            out.push((*i, format!("{prefix}{name}")));
        }
        for (name, sub) in &self.subtrees {
            sub.collect(&format!("{prefix}{name}/"), out);
        }
    }

    fn subtree(&self, name: &str) -> Option<&Rc<Node>> {
        self.subtrees
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }

    /// The (target, path) pairs under this node that no parent node has at the same path.
    fn new_in(&self, parents: &[Option<&Rc<Node>>], prefix: &str, out: &mut Vec<(usize, String)>) {
        for (name, i) in &self.blobs {
            let before = parents
                .iter()
                .flatten()
                .any(|p| p.blobs.iter().any(|(n, j)| n == name && j == i));
            if !before {
                out.push((*i, format!("{prefix}{name}")));
            }
        }
        for (name, sub) in &self.subtrees {
            let subs: Vec<Option<&Rc<Node>>> = parents
                .iter()
                .map(|p| p.and_then(|p| p.subtree(name)))
                .collect();
            if subs.iter().flatten().any(|p| Rc::ptr_eq(p, sub)) {
                continue;
            }
            sub.new_in(&subs, &format!("{prefix}{name}/"), out);
        }
    }
}

/// Builds and memoises [`Node`]s.
struct TreeHits<'r> {
    repo: &'r Repository,
    targets: &'r HashMap<Oid, usize>,
    memo: HashMap<Oid, NodeRef>,
}

impl<'r> TreeHits<'r> {
    fn new(repo: &'r Repository, targets: &'r HashMap<Oid, usize>) -> TreeHits<'r> {
        TreeHits {
            repo,
            targets,
            memo: HashMap::new(),
        }
    }

    fn node(&mut self, tree_id: Oid) -> NodeRef {
        if let Some(n) = self.memo.get(&tree_id) {
            return n.clone();
        }
        // A missing tree (partial or shallow clone) contains nothing we can attribute.
        let repo = self.repo;
        let mut node = Node::default();
        if let Ok(tree) = repo.find_tree(tree_id) {
            for entry in tree.iter() {
                match entry.kind() {
                    Some(ObjectType::Blob) => {
                        if let Some(&i) = self.targets.get(&entry.id()) {
                            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                            node.blobs.push((name, i));
                        }
                    }
                    Some(ObjectType::Tree) => {
                        if let Some(sub) = self.node(entry.id()) {
                            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                            node.subtrees.push((name, sub));
                        }
                    }
                    _ => {}
                }
            }
        }
        let n = (!node.blobs.is_empty() || !node.subtrees.is_empty()).then(|| Rc::new(node));
        self.memo.insert(tree_id, n.clone());
        n
    }

    fn commit_node(&mut self, commit: Oid) -> NodeRef {
        let tree = self.repo.find_commit(commit).ok()?.tree_id();
        self.node(tree)
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
    if let Some(node) = head.and_then(|h| trees.commit_node(h)) {
        let mut all = Vec::new();
        node.collect("", &mut all);
        for (i, _) in all {
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
        let parent_nodes: Vec<NodeRef> = parents
            .iter()
            .filter_map(|p| tree_of.get(p))
            .map(|t| trees.node(*t))
            .collect();
        let refs: Vec<Option<&Rc<Node>>> = parent_nodes.iter().map(Option::as_ref).collect();
        // Fast path: a parent with the very same tree content (for our targets) means nothing new here.
        if refs.iter().flatten().any(|p| Rc::ptr_eq(p, &here)) {
            continue;
        }
        let mut new = Vec::new();
        here.new_in(&refs, "", &mut new);
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
        }
        sort_findings(findings);
    }
}
