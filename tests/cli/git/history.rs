//! `scan --history` and `--diff`: a key deleted, renamed, overwritten, only on another branch, in a tag, in
//! the stash, added by a merge, or in a blob no commit reaches (`--all-objects`) is found with the commit that
//! introduced it; a range reports only what it introduced; blobs are deduplicated, submodule entries,
//! LFS pointers, binaries and oversized blobs skipped; include/exclude globs apply to history paths.

use git2::Oid;
use tempfile::TempDir;

use super::{at_path, findings, scan};
use crate::support::fakekeys::p256_pem;
use crate::support::keysweep;
use crate::support::repo::{TestRepo, git, signature};

#[test]
fn a_deleted_p8_is_still_found_with_the_commit_that_introduced_it() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    t.commit(0, "initial");
    t.write("ios/AuthKey_2X9R4HXF34.p8", p256_pem("deleted-p8"));
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
    t.write("deploy/key.pem", p256_pem("branch"));
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
    t.write("release/key.pem", p256_pem("tag"));
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
    t.write("README.md", format!("# app\n{}", p256_pem("stash")));
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
    t.write("old/key.pem", p256_pem("renamed"));
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
    t.write("config/signing.pem", p256_pem("overwritten"));
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
    t.write("merge/key.pem", p256_pem("merge"));
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
fn a_diff_range_reports_only_what_it_introduced() {
    let t = TestRepo::new();
    t.write("old.pem", p256_pem("old-leak"));
    let old = t.commit(0, "old leak");
    t.write("README.md", "# app\n");
    let base = t.commit(1, "docs");
    t.write("src/new.pem", p256_pem("new-leak"));
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
    t.write("blob.bin", format!("\0binary\n{}", p256_pem("binary")));
    t.write("key.p8", format!("\0{}", p256_pem("binary-key-file")));
    t.commit(0, "binaries");
    let (_, report) = scan(t.path(), &["--history"]);
    assert_eq!(report["summary"]["skipped"]["binary"], 1, "{report}");
    assert!(at_path(&report, "blob.bin").is_empty());
    assert_eq!(report["summary"]["blobs_scanned"], 1);
}

#[test]
fn too_large_blobs_are_skipped_and_counted() {
    let t = TestRepo::new();
    t.write("big.txt", "x".repeat(4096));
    t.write("small.txt", "small\n");
    t.commit(0, "sizes");
    let (code, report) = scan(t.path(), &["--history", "--max-file-size", "1KiB"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["skipped"]["too_large"], 1);
}

#[test]
fn include_and_exclude_globs_apply_to_history_paths() {
    let t = TestRepo::new();
    t.write("app/key.pem", p256_pem("app"));
    t.write("vendor/lib/key.pem", p256_pem("vendored"));
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

/// A later commit that only appended a line to a file holding a secret did not introduce it: the earliest
/// commit at that path is named as introducing it, once; the later one is listed as still carrying it.
#[test]
fn the_introducing_commit_is_named_once_and_later_carriers_apart() {
    let t = TestRepo::new();
    let key = p256_pem("carried");
    t.write("deploy/key.pem", &key);
    let first = t.commit(0, "add a key (fake)").to_string();
    t.write("deploy/key.pem", format!("{key}# appended later\n"));
    let later = t.commit(1, "append a comment").to_string();
    let (code, report) = scan(t.path(), &["--history"]);
    assert_eq!(code, 1, "{report}");
    let locations = findings(&report)[0]["locations"]
        .as_array()
        .expect("locations")
        .clone();
    let by_commit: Vec<(String, bool)> = locations
        .iter()
        .map(|l| {
            (
                l["commit"].as_str().unwrap_or_default().to_string(),
                l["introduced"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        by_commit,
        [(first.clone(), true), (later.clone(), false)],
        "{report}"
    );
    let out = keysweep()
        .args(["scan", "--history", "-f", "human", "--color", "never"])
        .arg(t.path())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("introduced in commit").count(), 1, "{text}");
    assert!(
        text.contains(&format!("introduced in commit {}", &first[..12])),
        "{text}"
    );
    assert!(
        text.contains(&format!("still in commit {}", &later[..12])),
        "{text}"
    );
}

/// The report of `scan --history` with the blob reader `reader` (`KEYSWEEP_HISTORY_READER`), its elapsed time
/// left out.
fn history_report(path: &std::path::Path, reader: &str) -> (i32, serde_json::Value) {
    let out = keysweep()
        .args(["scan", "--history", "--format", "json"])
        .arg(path)
        .env("KEYSWEEP_HISTORY_READER", reader)
        .output()
        .expect("keysweep runs");
    let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    report["summary"]["elapsed_ms"] = 0.into();
    (out.status.code().expect("exit code"), report)
}

#[test]
fn packed_history_reports_exactly_what_the_object_database_reader_does() {
    let t = TestRepo::new();
    t.write("README.md", "# app\n");
    let base = t.commit(0, "initial");
    t.write("deploy/key.pem", p256_pem("packed-1"));
    t.write("notes.txt", "line one of a fake example\n".repeat(200));
    t.commit(1, "add key");
    t.write(
        "notes.txt",
        "line one of a fake example, edited\n".repeat(200),
    );
    t.remove("deploy/key.pem");
    t.commit(2, "remove key");
    t.checkout_new_branch("feature", base);
    t.write("ios/AuthKey_2X9R4HXF34.p8", p256_pem("packed-2"));
    t.commit(3, "wip");
    t.checkout("master");
    // Everything so far in one pack (with deltas), then a loose commit on top.
    git(t.path(), &["repack", "-a", "-d", "-q"]);
    t.write("config/old.pem", p256_pem("loose"));
    t.commit(4, "loose");

    let (code, packed) = history_report(t.path(), "packs");
    let (plain_code, plain) = history_report(t.path(), "libgit2");
    assert_eq!(code, 1, "{packed}");
    assert_eq!(plain_code, code);
    assert_eq!(packed, plain);
    for path in [
        "deploy/key.pem",
        "ios/AuthKey_2X9R4HXF34.p8",
        "config/old.pem",
    ] {
        assert_eq!(at_path(&packed, path).len(), 1, "{path}: {packed}");
    }
}
