//! Attribution of history findings, computed after the scan and only for blobs that had matches, so clean
//! repositories never pay for it. For each such blob: every commit that introduced it at a path (it is in
//! the commit's tree at that path and in no parent's), that commit's author and date, and whether HEAD still
//! contains it. The history walk records every introduction as it compares each commit's tree with its
//! parents' (`introductions.rs`), so for `--history` this is a lookup per finding plus one read of HEAD's tree.
//! When the walk did not record them (past its bounds), one pass over the unique trees finds them: each tree
//! is read once (results are memoised by tree id, `tree_hits.rs`), not commits × files.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use git2::{Oid, Repository, Time};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::diff::RangeRepo;
use super::git::{self, ScannedRepo, oid_of};
use super::introductions::Introductions;
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
    introductions: Option<&Introductions>,
    hits: &mut [&mut ScannedBlob],
) -> Result<Attribution> {
    if hits.is_empty() {
        return Ok(Attribution::default());
    }
    let (repo, ids, targets) = open_with_targets(git_dir, hits.iter().map(|h| h.id))?;
    let mut trees = TreeHits::new(&repo, &targets);
    let mut attribution = Attribution::default();
    let introductions = match introductions {
        Some(recorded) => recorded.of(&targets, ids.len()),
        None => introductions_by_pass(&repo, &mut trees, ids.len())?,
    };
    for (hit, intro) in hits.iter_mut().zip(introductions) {
        if intro.is_empty() {
            continue;
        }
        for (_, commit) in &intro {
            let key = commit.to_string();
            if !attribution.commits.contains_key(&key)
                && let Some(info) = commit_info(&repo, *commit)
            {
                attribution.commits.insert(key, info);
            }
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

/// For each of `count` targets, the (path, commit) pairs that introduced it, found by one pass over every
/// unique tree of the history (when the walk did not record them, [`Introductions`]).
fn introductions_by_pass(
    repo: &Repository,
    trees: &mut TreeHits<'_>,
    count: usize,
) -> Result<Vec<Vec<(String, Oid)>>> {
    let mut walk = repo.revwalk().context("starting the commit walk")?;
    let mut loose = Vec::new();
    git::push_all_refs(repo, &mut walk, &mut loose, None)?;
    let mut introductions: Vec<Vec<(String, Oid)>> = vec![Vec::new(); count];
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
    }
    Ok(introductions)
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
                    let a = attribute_repo(
                        &repo.info.git_dir,
                        &repo.prefix,
                        repo.introductions.as_deref(),
                        &mut todo,
                    )?;
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
    use crate::source::testing::{
        DEPTH, DeepRepo, LoopRepo, RecordingSink, commit_to, on_small_stack,
    };
    use tempfile::TempDir;

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

    /// A small xorshift generator: the random histories below are the same on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Writes the tree of `files` (path → (content, mode)) through the repository's index (never written to
    /// disk).
    fn write_tree(
        repo: &Repository,
        files: &std::collections::BTreeMap<String, (String, u32)>,
    ) -> Oid {
        let mut index = repo.index().expect("the repository's index");
        index.clear().expect("clearing the index");
        for (path, (content, mode)) in files {
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: *mode,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: Oid::ZERO_SHA1,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index
                .add_frombuffer(&entry, content.as_bytes())
                .expect("adding an entry");
        }
        index.write_tree().expect("writing the tree")
    }

    /// Builds a random history: three branches that modify, add, delete, rename, copy, revert and change the
    /// mode of files drawn from a small pool (so blobs recur at other paths and times), merge each other (taking
    /// either side per path, sometimes with content of the merge's own), and now and then start over from an
    /// orphan root.
    fn random_history(seed: u64) -> TempDir {
        let dir = TempDir::new().expect("temp dir");
        let repo = Repository::init(dir.path()).expect("git init");
        let mut rng = Rng(seed);
        let paths = [
            "a.txt",
            "b.txt",
            "dir/c.txt",
            "dir/d.txt",
            "dir/sub/e.txt",
            "x/y/z.txt",
            "x/w.txt",
            "f",
        ];
        let contents = ["one", "two", "three", "four", "five", "six"];
        let modes = [0o100644, 0o100644, 0o100755, 0o120000];
        type Files = std::collections::BTreeMap<String, (String, u32)>;
        let mut heads: Vec<Option<(Oid, Files)>> = vec![None, None, None];
        for step in 0..40 {
            let sig = git2::Signature::new(
                "Random Tester",
                "random@example.com",
                &git2::Time::new(1_700_000_000 + step * 60, 0),
            )
            .expect("signature");
            let b = rng.below(3);
            let mut parents = Vec::new();
            let mut files: Files = match &heads[b] {
                Some((c, f)) if rng.below(12) != 0 => {
                    parents.push(*c);
                    f.clone()
                }
                _ => Files::new(),
            };
            let other = (b + 1 + rng.below(2)) % 3;
            if let Some((c, f)) = heads[other].clone()
                && !parents.is_empty()
                && rng.below(4) == 0
            {
                parents.push(c);
                for (path, v) in f {
                    if rng.below(2) == 0 {
                        files.insert(path, v);
                    }
                }
            }
            for _ in 0..1 + rng.below(3) {
                let path = paths[rng.below(paths.len())].to_string();
                match rng.below(5) {
                    0 => {
                        files.remove(&path);
                    }
                    1 => {
                        // A rename or copy of some file to `path`.
                        if let Some((from, v)) = files.iter().nth(rng.below(files.len().max(1))) {
                            let (from, v) = (from.clone(), v.clone());
                            if rng.below(2) == 0 {
                                files.remove(&from);
                            }
                            files.insert(path, v);
                        }
                    }
                    2 => {
                        if let Some(v) = files.get_mut(&path) {
                            v.1 = modes[rng.below(modes.len())];
                        }
                    }
                    _ => {
                        let content = contents[rng.below(contents.len())].to_string();
                        files.insert(path, (content, modes[rng.below(2)]));
                    }
                }
            }
            let tree = write_tree(&repo, &files);
            let commit = commit_to(
                &repo,
                &format!("refs/heads/b{b}"),
                &sig,
                &format!("step {step}"),
                tree,
                &parents,
            );
            heads[b] = Some((commit, files));
        }
        repo.set_head("refs/heads/b0").expect("HEAD");
        dir
    }

    /// A hit for every blob the scan listed, with the origin it was listed under.
    fn every_blob(sink: &RecordingSink) -> Vec<ScannedBlob> {
        sink.blobs_sorted()
            .into_iter()
            .map(|(id, origin)| ScannedBlob {
                id,
                origins: vec![origin],
                matches: Vec::new(),
            })
            .collect()
    }

    const OPTS: HistoryOptions = HistoryOptions {
        all_objects: false,
        max_file_size: 1 << 20,
        recurse_submodules: false,
    };

    #[test]
    fn introductions_recorded_by_the_walk_equal_attribution_by_its_own_pass() {
        for seed in 1..=30u64 {
            let dir = random_history(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let sink = RecordingSink::default();
            let repos = scan_history(dir.path(), &OPTS, &sink).expect("history scan");
            assert_eq!(sink.errors(), Vec::new());
            assert!(repos[0].introductions.is_some(), "seed {seed}");
            let mut recorded = every_blob(&sink);
            assert!(recorded.len() >= 3, "seed {seed}: {} blobs", recorded.len());
            let mut by_pass = recorded.clone();
            let a = GitScan::History(repos.clone())
                .attribute(&mut recorded)
                .expect("attribution");
            let mut without = repos.clone();
            without[0].introductions = None;
            let b = GitScan::History(without)
                .attribute(&mut by_pass)
                .expect("attribution");
            // Every blob of the history is reachable from a commit, so each one has introductions.
            assert!(
                recorded.iter().all(|h| !h.origins.is_empty()
                    && h.origins.iter().all(|o| matches!(
                        o,
                        Origin::GitBlob {
                            commit: Some(_),
                            ..
                        }
                    ))),
                "seed {seed}"
            );
            for (r, p) in recorded.iter().zip(&by_pass) {
                assert_eq!(r.origins, p.origins, "seed {seed}, blob {}", r.id.to_hex());
            }
            let mut ka: Vec<_> = a.commits.keys().collect();
            let mut kb: Vec<_> = b.commits.keys().collect();
            ka.sort();
            kb.sort();
            assert_eq!(ka, kb, "seed {seed}");
            assert_eq!(a.in_head, b.in_head, "seed {seed}");
        }
    }

    #[test]
    fn a_walk_past_its_bounds_lists_every_blob_and_attribution_makes_its_own_pass() {
        use crate::source::introductions::TEST_MAX_RECORDS;
        use std::sync::atomic::Ordering;
        let dir = random_history(7);
        let full = RecordingSink::default();
        let repos = scan_history(dir.path(), &OPTS, &full).expect("history scan");
        let mut expected = every_blob(&full);
        GitScan::History(repos)
            .attribute(&mut expected)
            .expect("attribution");
        TEST_MAX_RECORDS.store(5, Ordering::Relaxed);
        let bounded = RecordingSink::default();
        let result = scan_history(dir.path(), &OPTS, &bounded);
        TEST_MAX_RECORDS.store(8 << 20, Ordering::Relaxed);
        let repos = result.expect("history scan");
        assert!(repos[0].introductions.is_none(), "the bounds were passed");
        assert_eq!(bounded.errors(), Vec::new());
        let mut got = every_blob(&bounded);
        let ids = |v: &[ScannedBlob]| v.iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(
            ids(&got),
            ids(&expected),
            "every blob is listed all the same"
        );
        GitScan::History(repos)
            .attribute(&mut got)
            .expect("attribution");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g.origins, e.origins, "blob {}", g.id.to_hex());
        }
    }
}
