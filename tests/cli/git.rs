//! Git sources end to end: repositories are built inside each test with git2 (fixed authors, dates and
//! messages), keys are generated in the test (P-256 from a seed, PKCS#8 PEM: fake and never used), and the real
//! CLI is run with `--history`, `--staged` or `--diff`. Assertions are on paths, commits, authors, dates and
//! `in_head`, not on exact rule ids (the private-key rules are evolving).

use std::path::Path;

use git2::Oid;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::fakekeys::p256_pem;
use crate::support::keysweep;
use crate::support::repo::{TestRepo, git, git_commit, signature};

/// Runs `keysweep scan PATH ARGS --format json`; returns the exit code and the report.
fn scan(path: &Path, args: &[&str]) -> (i32, Value) {
    let out = keysweep()
        .arg("scan")
        .arg(path)
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("keysweep runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON report ({e}): stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), report)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

/// The findings with a location at `path`.
fn at_path<'a>(report: &'a Value, path: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| {
            f["locations"]
                .as_array()
                .expect("locations")
                .iter()
                .any(|l| l["path"] == path)
        })
        .collect()
}

#[test]
fn a_deleted_p8_is_still_found_with_the_commit_that_introduced_it() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.commit(0, "initial");
    t.write("ios/AuthKey_2X9R4HXF34.p8", &p256_pem("deleted-p8"));
    let leak = t.commit_as("Mallory", 1, "add signing key");
    t.remove("ios/AuthKey_2X9R4HXF34.p8");
    t.commit(2, "remove key");

    // The tree no longer has it...
    let (code, tree) = scan(t.path(), &[]);
    assert_eq!(code, 0, "{tree}");
    // ...but the history does.
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    let found = at_path(&report, "ios/AuthKey_2X9R4HXF34.p8");
    assert_eq!(found.len(), 1, "{report}");
    let f = found[0];
    assert_eq!(f["occurrences"], 1);
    let loc = &f["locations"][0];
    assert_eq!(loc["commit"], leak.to_string());
    assert_eq!(loc["author"], "Mallory <mallory@example.com>");
    assert_eq!(loc["date"], "2023-11-14T23:13:20Z");
    assert_eq!(loc["in_head"], false);
    assert_eq!(loc["line"], 1);
    // The path takes part in matching as it does for files (file-name key ids, per-path rules): the same
    // file on disk yields the same rule and key information.
    let disk = TempDir::new().expect("temp");
    std::fs::create_dir_all(disk.path().join("ios")).expect("mkdir");
    std::fs::write(
        disk.path().join("ios/AuthKey_2X9R4HXF34.p8"),
        p256_pem("deleted-p8"),
    )
    .expect("write");
    let (_, on_disk) = scan(disk.path(), &["--no-ignore"]);
    let g = &findings(&on_disk)[0];
    assert_eq!(
        (&f["rule_id"], &f["key"]),
        (&g["rule_id"], &g["key"]),
        "{f} vs {g}"
    );
    assert_eq!(report["summary"]["shallow"], false);

    // The human report says plainly that deleting is not enough.
    let out = keysweep()
        .args(["scan", "--history"])
        .arg(t.path())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("still exposed in git history"), "{text}");
    assert!(text.contains("revoke"), "{text}");
}

#[test]
fn a_key_only_on_another_branch_is_found() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    let base = t.commit(0, "initial");
    t.checkout_new_branch("feature", base);
    t.write("deploy/key.pem", &p256_pem("branch"));
    let leak = t.commit(1, "wip");
    t.checkout("master");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    let found = at_path(&report, "deploy/key.pem");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["locations"][0]["commit"], leak.to_string());
    assert_eq!(found[0]["locations"][0]["in_head"], false);
}

#[test]
fn a_key_only_in_a_tag_is_found() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    let base = t.commit(0, "initial");
    t.checkout_new_branch("release", base);
    t.write("release/key.pem", &p256_pem("tag"));
    let leak = t.commit(1, "release build");
    let sig = signature("Alice", 1);
    let obj = t.repo.find_object(leak, None).expect("commit object");
    t.repo
        .tag("v1.0", &obj, &sig, "release", false)
        .expect("tag");
    t.checkout("master");
    t.repo
        .find_branch("release", git2::BranchType::Local)
        .expect("branch")
        .delete()
        .expect("delete branch");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    let found = at_path(&report, "release/key.pem");
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0]["locations"][0]["commit"], leak.to_string());
}

#[test]
fn a_key_only_in_the_stash_is_found() {
    let mut t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.commit(0, "initial");
    t.write("README.md", &format!("# app\n{}", p256_pem("stash")));
    let sig = signature("Alice", 1);
    t.repo.stash_save(&sig, "wip", None).expect("stash");
    // A newer stash on top: the key is only in stash@{1}, reachable from the stash reflog alone.
    t.write("README.md", "# app\nnewer work\n");
    t.repo.stash_save(&sig, "newer", None).expect("stash");
    let (code, tree) = scan(t.path(), &[]);
    assert_eq!(code, 0, "the work tree is clean after stashing: {tree}");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(at_path(&report, "README.md").len(), 1, "{report}");
}

#[test]
fn a_renamed_key_file_is_one_finding_with_its_occurrences() {
    let t = TestRepo::new();
    t.write("old/key.pem", &p256_pem("renamed"));
    let first = t.commit(0, "add key");
    std::fs::create_dir_all(t.path().join("new")).expect("mkdir");
    std::fs::rename(t.path().join("old/key.pem"), t.path().join("new/key.pem")).expect("mv");
    let second = t.commit(1, "move key");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(findings(&report).len(), 1, "{report}");
    let f = &findings(&report)[0];
    assert_eq!(f["occurrences"], 2);
    let locs = f["locations"].as_array().expect("locations");
    assert_eq!(locs[0]["path"], "old/key.pem");
    assert_eq!(locs[0]["commit"], first.to_string());
    assert_eq!(locs[1]["path"], "new/key.pem");
    assert_eq!(locs[1]["commit"], second.to_string());
    assert!(locs.iter().all(|l| l["in_head"] == true));
}

#[test]
fn a_key_overwritten_by_a_placeholder_is_still_exposed() {
    let t = TestRepo::new();
    t.write("config/signing.pem", &p256_pem("overwritten"));
    let leak = t.commit(0, "config");
    t.write(
        "config/signing.pem",
        "replace me with the real key at deploy time\n",
    );
    t.commit(1, "scrub");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    let found = at_path(&report, "config/signing.pem");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["locations"][0]["commit"], leak.to_string());
    assert_eq!(found[0]["locations"][0]["in_head"], false);
}

#[test]
fn a_key_introduced_by_a_merge_commit_names_the_merge() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    let base = t.commit(0, "initial");
    t.checkout_new_branch("side", base);
    t.write("side.txt", "side\n");
    let side = t.commit(1, "side work");
    t.checkout("master");
    t.write("main.txt", "main\n");
    let main = t.commit(2, "main work");
    // The merge resolution adds a key neither parent had.
    t.write("side.txt", "side\n");
    t.write("merge/key.pem", &p256_pem("merge"));
    t.stage_all();
    let mut index = t.repo.index().expect("index");
    let tree = t
        .repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = signature("Alice", 3);
    let p1 = t.repo.find_commit(main).expect("main");
    let p2 = t.repo.find_commit(side).expect("side");
    let merge = t
        .repo
        .commit(Some("HEAD"), &sig, &sig, "Merge side", &tree, &[&p1, &p2])
        .expect("merge");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    let found = at_path(&report, "merge/key.pem");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["occurrences"], 1);
    assert_eq!(found[0]["locations"][0]["commit"], merge.to_string());
    assert_eq!(found[0]["locations"][0]["in_head"], true);
}

#[test]
fn staged_scans_the_index_not_the_work_tree() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.write("old.pem", &p256_pem("committed"));
    t.commit(0, "initial");
    t.write("staged.pem", &p256_pem("staged"));
    let mut index = t.repo.index().expect("index");
    index.add_path(Path::new("staged.pem")).expect("add");
    index.write().expect("write");
    t.write("unstaged.pem", &p256_pem("unstaged"));
    let (code, report) = scan(t.path(), &["--staged"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(findings(&report).len(), 1, "{report}");
    assert_eq!(at_path(&report, "staged.pem").len(), 1);
    assert_eq!(report["summary"]["blobs_scanned"], 1);
}

#[test]
fn staged_works_before_the_first_commit() {
    let t = TestRepo::new();
    t.write("key.pem", &p256_pem("no-head"));
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
fn a_diff_range_reports_only_what_it_introduced() {
    let t = TestRepo::new();
    t.write("old.pem", &p256_pem("old-leak"));
    let old = t.commit(0, "old leak");
    t.write("README.md", "# app\n");
    let base = t.commit(1, "docs");
    t.write("src/new.pem", &p256_pem("new-leak"));
    let leak = t.commit_as("Bob", 2, "new leak");
    t.write("README.md", "# app\nv2\n");
    t.commit(3, "more docs");
    for args in [
        vec!["--diff".to_string(), format!("{base}..HEAD")],
        vec!["--since".to_string(), base.to_string()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, report) = scan(t.path(), &args);
        assert_eq!(code, 1, "{report}");
        assert_eq!(findings(&report).len(), 1, "{report}");
        let found = at_path(&report, "src/new.pem");
        assert_eq!(found.len(), 1);
        let loc = &found[0]["locations"][0];
        assert_eq!(loc["commit"], leak.to_string());
        assert_eq!(loc["author"], "Bob <bob@example.com>");
        assert_eq!(loc["in_head"], true);
    }
    // The whole history has both.
    let (_, report) = scan(t.path(), &["--history"]);
    assert_eq!(findings(&report).len(), 2, "{report}");
    assert_eq!(
        at_path(&report, "old.pem")[0]["locations"][0]["commit"],
        old.to_string()
    );
}

#[test]
fn a_bare_repository_is_scanned() {
    let t = TestRepo::new();
    t.write("key.pem", &p256_pem("bare"));
    let leak = t.commit(0, "add");
    t.remove("key.pem");
    t.commit(1, "rm");
    let dir = TempDir::new().expect("temp");
    let bare = dir.path().join("bare.git");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--bare",
            &t.path().display().to_string(),
            "bare.git",
        ],
    );
    let (code, report) = scan(&bare, &["--history"]);
    assert_eq!(code, 1, "{report}");
    let found = at_path(&report, "key.pem");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["locations"][0]["commit"], leak.to_string());
    assert_eq!(found[0]["locations"][0]["in_head"], false);
}

#[test]
fn a_shallow_clone_scans_what_exists_and_says_so() {
    let t = TestRepo::new();
    t.write("gone.pem", &p256_pem("before-boundary"));
    t.commit(0, "old");
    t.remove("gone.pem");
    t.write("here.pem", &p256_pem("after-boundary"));
    t.commit(1, "new");
    let dir = TempDir::new().expect("temp");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &format!("file://{}", t.path().display()),
            "shallow",
        ],
    );
    let (code, report) = scan(&dir.path().join("shallow"), &["--history"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["summary"]["shallow"], true);
    assert_eq!(at_path(&report, "here.pem").len(), 1, "{report}");
    assert!(at_path(&report, "gone.pem").is_empty());
}

#[test]
fn lfs_pointers_are_counted_not_scanned() {
    let t = TestRepo::new();
    t.write(
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    t.write("README.md", "# app\n");
    t.commit(0, "lfs");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["skipped"]["lfs_pointer"], 1);
    assert_eq!(report["summary"]["blobs_scanned"], 1);
}

#[test]
fn binary_blobs_are_skipped_unless_key_files() {
    let t = TestRepo::new();
    t.write("blob.bin", &format!("\0binary\n{}", p256_pem("binary")));
    t.write("key.p8", &format!("\0{}", p256_pem("binary-key-file")));
    t.commit(0, "binaries");
    let (_, report) = scan(t.path(), &["--history"]);
    assert_eq!(report["summary"]["skipped"]["binary"], 1, "{report}");
    assert!(at_path(&report, "blob.bin").is_empty());
    assert_eq!(report["summary"]["blobs_scanned"], 1);
}

#[test]
fn too_large_blobs_are_skipped_and_counted() {
    let t = TestRepo::new();
    t.write("big.txt", &"x".repeat(4096));
    t.write("small.txt", "small\n");
    t.commit(0, "sizes");
    let (code, report) = scan(t.path(), &["--history", "--max-file-size", "1KiB"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["skipped"]["too_large"], 1);
}

#[test]
fn a_corrupt_object_is_an_error_naming_it_and_the_scan_goes_on() {
    let t = TestRepo::new();
    t.write("notes.txt", "hello\n");
    t.write("key.pem", &p256_pem("survives-corruption"));
    t.commit(0, "add");
    let blob = t.repo.revparse_single("HEAD:notes.txt").expect("blob").id();
    let file = t.loose_object_path(blob);
    let mut perms = std::fs::metadata(&file).expect("object").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).expect("chmod");
    std::fs::write(&file, b"this is not zlib").expect("corrupt");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 2, "{report}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report}");
    let place = errors[0]["where"].as_str().expect("where");
    assert!(place.contains(&blob.to_string()), "{place}");
    assert!(place.contains("notes.txt"), "{place}");
    assert_eq!(
        at_path(&report, "key.pem").len(),
        1,
        "the scan went on: {report}"
    );
}

#[test]
fn a_missing_object_in_a_full_repository_is_an_error() {
    let t = TestRepo::new();
    t.write("notes.txt", "hello\n");
    t.write("key.pem", &p256_pem("survives-missing"));
    t.commit(0, "add");
    let blob = t.repo.revparse_single("HEAD:notes.txt").expect("blob").id();
    std::fs::remove_file(t.loose_object_path(blob)).expect("rm object");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 2, "{report}");
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{report}");
    assert!(
        errors[0]["where"]
            .as_str()
            .expect("where")
            .contains(&blob.to_string())
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .expect("message")
            .contains("missing")
    );
    assert_eq!(report["summary"]["skipped"]["missing_object"], 0);
    assert_eq!(at_path(&report, "key.pem").len(), 1);
}

#[test]
fn a_partial_clone_counts_missing_objects_and_exits_by_findings() {
    let t = TestRepo::new();
    t.write("notes.txt", "hello\n");
    t.write("key.pem", &p256_pem("partial"));
    t.commit(0, "add");
    let blob = t.repo.revparse_single("HEAD:notes.txt").expect("blob").id();
    std::fs::remove_file(t.loose_object_path(blob)).expect("rm object");
    t.repo
        .config()
        .expect("config")
        .set_bool("remote.origin.promisor", true)
        .expect("promisor");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["errors"].as_array().expect("errors").is_empty(),
        "{report}"
    );
    assert_eq!(report["summary"]["skipped"]["missing_object"], 1);
    assert_eq!(at_path(&report, "key.pem").len(), 1);
}

#[test]
fn a_real_blobless_clone_is_scanned_without_errors() {
    let t = TestRepo::new();
    t.write("old.pem", &p256_pem("blobless-old"));
    t.commit(0, "old");
    t.remove("old.pem");
    t.write("README.md", "# app\n");
    t.commit(1, "new");
    git(t.path(), &["config", "uploadpack.allowFilter", "true"]);
    let dir = TempDir::new().expect("temp");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            &format!("file://{}", t.path().display()),
            "partial",
        ],
    );
    let (code, report) = scan(&dir.path().join("partial"), &["--history"]);
    assert_eq!(code, 0, "{report}");
    assert!(report["errors"].as_array().expect("errors").is_empty());
    assert_eq!(
        report["summary"]["skipped"]["missing_object"], 1,
        "{report}"
    );
}

#[test]
fn history_dedupes_blobs_and_skips_submodules() {
    let t = TestRepo::new();
    t.write("a.txt", "same\n");
    t.write("b/a.txt", "same\n");
    t.commit(0, "dupes");
    t.write("c.txt", "other\n");
    t.commit(1, "more");
    // A gitlink entry (a submodule) is not followed.
    let mut index = t.repo.index().expect("index");
    let entry = git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o160000,
        uid: 0,
        gid: 0,
        file_size: 0,
        id: Oid::from_str("1111111111111111111111111111111111111111").expect("oid"),
        flags: 0,
        flags_extended: 0,
        path: b"vendor/sub".to_vec(),
    };
    index.add(&entry).expect("gitlink");
    let tree = t
        .repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let sig = signature("Alice", 2);
    let parent = t
        .repo
        .head()
        .expect("head")
        .peel_to_commit()
        .expect("commit");
    t.repo
        .commit(Some("HEAD"), &sig, &sig, "submodule", &tree, &[&parent])
        .expect("commit");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["blobs_scanned"], 2, "{report}");
}

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
    sub.write("key.pem", &p256_pem("submodule"));
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
    sub.write("old.pem", &p256_pem("already-vendored"));
    sub.commit_as("Carol", 0, "vendored key");
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    let initial = t.commit(1, "initial");
    add_submodule(&t, &sub, "vendor/sub");
    let base = t.repo.head().expect("head").target().expect("a commit");
    // Upstream the submodule gains a key; the superproject moves its gitlink there.
    sub.write("new.pem", &p256_pem("newly-vendored"));
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
    t.write("app.pem", &p256_pem("in-the-superproject"));
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

#[test]
fn all_objects_includes_unreachable_blobs() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.commit(0, "initial");
    // A blob written to the object database but never committed (an abandoned `git add`).
    let dangling = t.repo.blob(p256_pem("dangling").as_bytes()).expect("blob");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 0, "{report}");
    let (code, report) = scan(t.path(), &["--history", "--all-objects"]);
    assert_eq!(code, 1, "{report}");
    let f = &findings(&report)[0];
    assert_eq!(f["locations"][0]["blob"], dangling.to_string());
    assert_eq!(f["locations"][0]["in_head"], false);
    // It has no path: human output names it by its id, annotations carry no file.
    let out = keysweep()
        .arg("scan")
        .arg(t.path())
        .args(["--history", "--all-objects"])
        .env("NO_COLOR", "1")
        .output()
        .expect("keysweep runs");
    let human = String::from_utf8_lossy(&out.stdout);
    let short = &dangling.to_string()[..12];
    assert!(
        human.contains(&format!("(unreachable blob {short}):")),
        "{human}"
    );
    let out = keysweep()
        .arg("scan")
        .arg(t.path())
        .args(["--history", "--all-objects", "--format", "github"])
        .output()
        .expect("keysweep runs");
    let annotations = String::from_utf8_lossy(&out.stdout);
    assert!(
        annotations.starts_with("::error") && !annotations.contains("file="),
        "{annotations}"
    );
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
fn a_missing_tree_in_a_full_repository_is_an_error_naming_it() {
    let t = TestRepo::new();
    t.write("docs/notes.txt", "hello\n");
    t.write("key.pem", &p256_pem("missing-tree"));
    let commit = t.commit(0, "add");
    let tree = t.repo.revparse_single("HEAD:docs").expect("tree").id();
    std::fs::remove_file(t.loose_object_path(tree)).expect("rm tree");
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 2, "{report}");
    let errors = report["errors"].as_array().expect("errors");
    let place = errors[0]["where"].as_str().expect("where");
    assert!(place.contains(&tree.to_string()), "{place}");
    assert!(place.contains("docs"), "{place}");
    assert!(place.contains(&commit.to_string()), "{place}");
    assert_eq!(
        at_path(&report, "key.pem").len(),
        1,
        "the scan went on: {report}"
    );
}

#[test]
fn include_and_exclude_globs_apply_to_history_paths() {
    let t = TestRepo::new();
    t.write("app/key.pem", &p256_pem("app"));
    t.write("vendor/lib/key.pem", &p256_pem("vendored"));
    t.commit(0, "add keys");
    let (code, report) = scan(t.path(), &["--history", "--exclude", "vendor/**"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(findings(&report).len(), 1, "{report}");
    assert_eq!(at_path(&report, "app/key.pem").len(), 1);
    let (code, report) = scan(t.path(), &["--history", "--include", "vendor/**"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(at_path(&report, "vendor/lib/key.pem").len(), 1);
    assert_eq!(findings(&report).len(), 1, "{report}");
}
