//! Submodules: followed only with `--recurse-submodules`, in history and in a `--diff` range (what a moved
//! gitlink adds inside the submodule), with an error naming a submodule commit that was never fetched.

use super::{at_path, findings, scan};
use crate::support::fakekeys::p256_pem;
use crate::support::repo::{TestRepo, git, git_commit};

/// `git submodule add` of `sub` at `path` in `t`, committed by Alice.
fn add_submodule(t: &TestRepo, sub: &TestRepo, path: &str) {
    git(
        t.path(),
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &sub.path().display().to_string(),
            path,
        ],
    );
    git_commit(t.path(), 2, "add submodule");
}

#[test]
fn submodules_are_followed_only_when_asked() {
    let sub = TestRepo::new();
    sub.write("key.pem", p256_pem("submodule"));
    let leak = sub.commit_as("Carol", 0, "vendored key");
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.commit(1, "initial");
    add_submodule(&t, &sub, "vendor/sub");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 0, "{report}");
    let (code, report) = scan(t.path(), &["--history", "--recurse-submodules"]);
    assert_eq!(code, 1, "{report}");
    let found = at_path(&report, "vendor/sub/key.pem");
    assert_eq!(found.len(), 1, "{report}");
    let loc = &found[0]["locations"][0];
    assert_eq!(loc["commit"], leak.to_string());
    assert_eq!(loc["author"], "Carol <carol@example.com>");
    assert_eq!(loc["in_head"], true);
}

#[test]
fn diff_with_recurse_submodules_scans_what_a_moved_gitlink_adds_in_the_submodule() {
    let sub = TestRepo::new();
    sub.write("old.pem", p256_pem("already-vendored"));
    sub.commit_as("Carol", 0, "vendored key");
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    let initial = t.commit(1, "initial");
    add_submodule(&t, &sub, "vendor/sub");
    let base = t.repo.head().expect("head").target().expect("a commit");
    // Upstream the submodule gains a key; the superproject moves its gitlink there.
    sub.write("new.pem", p256_pem("newly-vendored"));
    let leak = sub.commit_as("Dave", 2, "another key");
    let checkout = t.path().join("vendor/sub");
    git(
        &checkout,
        &["-c", "protocol.file.allow=always", "fetch", "-q", "origin"],
    );
    git(&checkout, &["checkout", "-q", &leak.to_string()]);
    git(t.path(), &["add", "vendor/sub"]);
    git_commit(t.path(), 3, "bump submodule");
    let range = format!("{base}..HEAD");

    let (code, report) = scan(t.path(), &["--diff", &range]);
    assert_eq!(
        code, 0,
        "without the flag only the gitlink changed: {report}"
    );

    let (code, report) = scan(t.path(), &["--diff", &range, "--recurse-submodules"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        findings(&report).len(),
        1,
        "only what the range adds: {report}"
    );
    let found = at_path(&report, "vendor/sub/new.pem");
    assert_eq!(found.len(), 1, "{report}");
    let loc = &found[0]["locations"][0];
    assert_eq!(loc["commit"], leak.to_string());
    assert_eq!(loc["author"], "Dave <dave@example.com>");
    assert_eq!(loc["in_head"], true);

    // A range that adds the submodule adds all of its history.
    let (code, report) = scan(
        t.path(),
        &[
            "--diff",
            &format!("{initial}..HEAD"),
            "--recurse-submodules",
        ],
    );
    assert_eq!(code, 1, "{report}");
    assert_eq!(at_path(&report, "vendor/sub/old.pem").len(), 1, "{report}");
    assert_eq!(at_path(&report, "vendor/sub/new.pem").len(), 1, "{report}");

    // A gitlink naming a commit the checked-out submodule does not have: an error naming the submodule, and
    // the rest of the range is still scanned.
    sub.write("later.txt", "later\n");
    let unfetched = sub.commit_as("Dave", 3, "not fetched");
    git(
        t.path(),
        &[
            "update-index",
            "--cacheinfo",
            &format!("160000,{unfetched},vendor/sub"),
        ],
    );
    t.write("app.pem", p256_pem("in-the-superproject"));
    git(t.path(), &["add", "app.pem"]);
    git_commit(t.path(), 4, "unfetched submodule commit");
    let (code, report) = scan(
        t.path(),
        &["--diff", &format!("{base}..HEAD"), "--recurse-submodules"],
    );
    assert_eq!(code, 2, "{report}");
    let errors = report["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["where"] == "submodule vendor/sub"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains(&unfetched.to_string()))),
        "{errors:?}"
    );
    assert_eq!(at_path(&report, "app.pem").len(), 1, "{report}");
}
