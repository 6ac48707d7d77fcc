//! `scan --staged`: the index, not the work tree, before the first commit too, and in a linked worktree
//! (whose history is the whole repository's).

use std::path::Path;

use tempfile::TempDir;

use super::{at_path, findings, scan};
use crate::support::fakekeys::p256_pem;
use crate::support::repo::{TestRepo, git, git_commit};

#[test]
fn staged_scans_the_index_not_the_work_tree() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.write("old.pem", p256_pem("committed"));
    t.commit(0, "initial");
    t.write("staged.pem", p256_pem("staged"));
    let mut index = t.repo.index().expect("index");
    index.add_path(Path::new("staged.pem")).expect("add");
    index.write().expect("write");
    t.write("unstaged.pem", p256_pem("unstaged"));
    let (code, report) = scan(t.path(), &["--staged"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(findings(&report).len(), 1, "{report}");
    assert_eq!(at_path(&report, "staged.pem").len(), 1);
    assert_eq!(report["summary"]["blobs_scanned"], 1);
}

#[test]
fn staged_works_before_the_first_commit() {
    let t = TestRepo::new();
    t.write("key.pem", p256_pem("no-head"));
    t.write("README.md", "# new\n");
    t.stage_all();
    let (code, report) = scan(t.path(), &["--staged"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(at_path(&report, "key.pem").len(), 1);
    assert_eq!(report["summary"]["blobs_scanned"], 2);
}

#[test]
fn a_clean_staged_change_is_clean() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.commit(0, "initial");
    t.write("README.md", "# app\nmore\n");
    t.stage_all();
    let (code, report) = scan(t.path(), &["--staged"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["blobs_scanned"], 1);
}

#[test]
fn a_linked_worktree_is_scanned_staged_and_in_history() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.commit(0, "initial");
    let dir = TempDir::new().expect("temp");
    let wt = dir.path().join("wt");
    git(
        t.path(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "topic",
            &wt.display().to_string(),
        ],
    );
    std::fs::write(wt.join("topic.pem"), p256_pem("worktree")).expect("write");
    git(&wt, &["add", "topic.pem"]);
    let (code, report) = scan(&wt, &["--staged"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(at_path(&report, "topic.pem").len(), 1);
    // The main work tree's index does not have it.
    let (code, report) = scan(t.path(), &["--staged"]);
    assert_eq!(code, 0, "{report}");
    git_commit(&wt, 1, "topic");
    // History from either work tree sees every branch.
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(at_path(&report, "topic.pem").len(), 1);
}

#[test]
fn a_blocked_commit_says_what_to_do_next() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.commit(0, "initial");
    t.write("deploy.pem", p256_pem("blocked"));
    t.stage_all();
    let out = crate::support::keysweep()
        .args(["scan", "--staged", "-f", "json"])
        .arg(t.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for step in [
        "git restore --staged",
        "rotate",
        "keysweep:allow",
        "--baseline",
        "--no-verify",
    ] {
        assert!(err.contains(step), "{step}: {err}");
    }
    // The report on standard output stays machine-readable, and -q keeps the hook quiet.
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON on stdout");
    let out = crate::support::keysweep()
        .args(["scan", "--staged", "-q"])
        .arg(t.path())
        .output()
        .expect("runs");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
