//! Repositories that are not a plain full clone: bare, shallow (said so in the summary), partial and blobless
//! clones (missing objects counted, not errors), and damaged ones (a corrupt or missing object or tree in a
//! full repository is an error naming it, and the scan goes on).

use tempfile::TempDir;

use super::{at_path, scan};
use crate::support::fakekeys::p256_pem;
use crate::support::repo::{TestRepo, git};

#[test]
fn a_bare_repository_is_scanned() {
    let t = TestRepo::new();
    t.write("key.pem", p256_pem("bare"));
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
    t.write("gone.pem", p256_pem("before-boundary"));
    t.commit(0, "old");
    t.remove("gone.pem");
    t.write("here.pem", p256_pem("after-boundary"));
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
fn a_partial_clone_counts_missing_objects_and_exits_by_findings() {
    let t = TestRepo::new();
    t.write("notes.txt", "hello\n");
    t.write("key.pem", p256_pem("partial"));
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
    t.write("old.pem", p256_pem("blobless-old"));
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
fn a_corrupt_object_is_an_error_naming_it_and_the_scan_goes_on() {
    let t = TestRepo::new();
    t.write("notes.txt", "hello\n");
    t.write("key.pem", p256_pem("survives-corruption"));
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
    t.write("key.pem", p256_pem("survives-missing"));
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
fn a_missing_tree_in_a_full_repository_is_an_error_naming_it() {
    let t = TestRepo::new();
    t.write("docs/notes.txt", "hello\n");
    t.write("key.pem", p256_pem("missing-tree"));
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
