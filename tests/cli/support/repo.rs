//! Git repositories built inside a test, so no `.git` fixture is ever committed: [`TestRepo`] initialises one
//! with git2 (in its own temp dir or at a given path, on `master`), writes files and commits the whole work
//! tree with a fixed author and a fixed date ([`at`]: hours after 2023-11-14T22:13:20Z), so commits are the
//! same on every run. [`git`] and [`git_commit`] run the git CLI, under the test environment policy, for what
//! git2 does not do (clone, submodules, worktrees).

use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Oid, Repository, Signature, Time};
use tempfile::TempDir;

use super::program;

/// 2023-11-14T22:13:20Z plus `hours` hours, in seconds since the epoch.
pub fn at(hours: i64) -> i64 {
    1_700_000_000 + hours * 3600
}

/// `author <author@example.com>` (lowercased) at hour `hour` of [`at`].
pub fn signature(author: &str, hour: i64) -> Signature<'static> {
    let email = format!("{}@example.com", author.to_lowercase());
    Signature::new(author, &email, &Time::new(at(hour), 0)).expect("signature")
}

/// A git repository with a work tree, built by the test.
pub struct TestRepo {
    root: PathBuf,
    /// The repository, for what the helpers do not cover (tags, stashes, branches, raw objects).
    pub repo: Repository,
    /// The temp dir holding it when the repository owns one; last, so it is removed after `repo` is closed.
    _temp: Option<TempDir>,
}

impl TestRepo {
    /// A new repository in its own temp dir, removed when it is dropped.
    pub fn new() -> TestRepo {
        let dir = TempDir::new().expect("temp dir");
        TestRepo::create(dir.path().to_path_buf(), Some(dir))
    }

    /// A new repository at `path` (created if need be; left in place when dropped).
    pub fn init(path: &Path) -> TestRepo {
        TestRepo::create(path.to_path_buf(), None)
    }

    fn create(root: PathBuf, temp: Option<TempDir>) -> TestRepo {
        std::fs::create_dir_all(&root).expect("mkdir");
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("master");
        let repo = Repository::init_opts(&root, &opts).expect("git init");
        {
            // For the git CLI's commits in this repository, whatever the caller's configuration.
            let mut cfg = repo.config().expect("config");
            cfg.set_str("user.name", "Alice").expect("config");
            cfg.set_str("user.email", "alice@example.com")
                .expect("config");
        }
        TestRepo {
            root,
            repo,
            _temp: temp,
        }
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Writes a file in the work tree, creating directories.
    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let p = self.path().join(path);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }

    /// Deletes a file from the work tree.
    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.path().join(path)).expect("rm");
    }

    /// Stages the whole work tree (additions and deletions).
    pub fn stage_all(&self) {
        let mut index = self.repo.index().expect("index");
        index
            .add_all(["*"].iter(), IndexAddOption::DEFAULT, None)
            .expect("add");
        index
            .update_all(["*"].iter(), None)
            .expect("update deletions");
        index.write().expect("write index");
    }

    /// Commits the whole work tree onto HEAD as `author` at hour `hour`; returns the commit.
    pub fn commit_as(&self, author: &str, hour: i64, msg: &str) -> Oid {
        self.stage_all();
        let mut index = self.repo.index().expect("index");
        let tree_id = index.write_tree().expect("write tree");
        let tree = self.repo.find_tree(tree_id).expect("tree");
        let sig = signature(author, hour);
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents)
            .expect("commit")
    }

    /// Commits the whole work tree onto HEAD as Alice at hour `hour`; returns the commit.
    pub fn commit(&self, hour: i64, msg: &str) -> Oid {
        self.commit_as("Alice", hour, msg)
    }

    /// Creates branch `name` at commit `at` and checks it out.
    pub fn checkout_new_branch(&self, name: &str, at: Oid) {
        let commit = self.repo.find_commit(at).expect("commit");
        self.repo.branch(name, &commit, true).expect("branch");
        self.checkout(name);
    }

    /// Checks out `branch`, discarding work-tree changes and untracked files.
    pub fn checkout(&self, branch: &str) {
        let refname = format!("refs/heads/{branch}");
        let obj = self.repo.revparse_single(&refname).expect("branch exists");
        self.repo
            .checkout_tree(
                &obj,
                Some(
                    git2::build::CheckoutBuilder::new()
                        .force()
                        .remove_untracked(true),
                ),
            )
            .expect("checkout");
        self.repo.set_head(&refname).expect("set head");
    }

    /// Where the loose object `oid` is stored (to corrupt or delete it).
    pub fn loose_object_path(&self, oid: Oid) -> PathBuf {
        let hex = oid.to_string();
        self.repo
            .path()
            .join("objects")
            .join(&hex[..2])
            .join(&hex[2..])
    }
}

/// Runs the git CLI in `dir` under the test environment policy; panics with its stderr when it fails.
pub fn git(dir: &Path, args: &[&str]) {
    let out = program("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `git commit` of what is staged in `dir`, by Alice at hour `hour`; returns the new HEAD.
pub fn git_commit(dir: &Path, hour: i64, msg: &str) -> Oid {
    let date = format!("@{} +0000", at(hour));
    let out = program("git")
        .args([
            "-c",
            "user.name=Alice",
            "-c",
            "user.email=alice@example.com",
            "commit",
            "-q",
            "-m",
            msg,
        ])
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git commit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Repository::open(dir)
        .and_then(|r| r.head()?.peel_to_commit().map(|c| c.id()))
        .expect("HEAD after commit")
}
