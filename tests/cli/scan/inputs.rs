//! What `keysweep scan` reads from a tree: `.gitignore` only inside a work tree and `.keysweepignore` always,
//! include/exclude globs, hidden files but never `.git`, no symlinks, binaries skipped except key files, the
//! size limit, standard input as one blob, odd bytes, identical contents matched once, the keyword prefilter's
//! case and prefix handling, one thread or many; and unreadable or missing paths as errors that do not stop
//! the scan.

use serde_json::Value;

use super::{Fixture, code, paths, stderr, stdout};
use crate::support::fakekeys::{kstest_token, p256_pem};
use crate::support::keysweep;
use crate::support::repo::TestRepo;

#[test]
fn gitignore_only_inside_a_git_work_tree_keysweepignore_always() {
    let f = Fixture::new();
    f.write(".gitignore", ".env\n");
    f.write(".keysweepignore", "vendor/\n");
    f.write(".env", format!("id: {}\n", kstest_token("env")));
    f.write(
        "vendor/lib.txt",
        format!("id: {}\n", kstest_token("vendor")),
    );
    f.write("app.txt", format!("id: {}\n", kstest_token("app")));
    let (v, _) = f.scan_json(&[]);
    assert_eq!(
        paths(&v),
        [".env", "app.txt"],
        "no git: .gitignore is not honoured"
    );

    TestRepo::init(&f.tree());
    let (v, _) = f.scan_json(&[]);
    assert_eq!(
        paths(&v),
        ["app.txt"],
        "in a work tree: .gitignore honoured"
    );

    let (v, _) = f.scan_json(&["--no-ignore"]);
    assert_eq!(paths(&v), [".env", "app.txt", "vendor/lib.txt"]);
}

#[test]
fn include_and_exclude_globs() {
    let f = Fixture::new();
    f.write("src/a.rs", format!("// {}\n", kstest_token("a")));
    f.write("src/b.py", format!("# {}\n", kstest_token("b")));
    f.write("test/c.rs", format!("// {}\n", kstest_token("c")));
    let (v, _) = f.scan_json(&["--include", "*.rs"]);
    assert_eq!(paths(&v), ["src/a.rs", "test/c.rs"]);
    let (v, _) = f.scan_json(&["--exclude", "test/**"]);
    assert_eq!(paths(&v), ["src/a.rs", "src/b.py"]);
    let (v, _) = f.scan_json(&["--include", "*.rs", "--exclude", "test/**"]);
    assert_eq!(paths(&v), ["src/a.rs"]);
}

#[test]
fn hidden_files_are_scanned_and_dot_git_never_walked() {
    let f = Fixture::new();
    f.write(".hidden/creds", format!("id: {}\n", kstest_token("hidden")));
    f.write(".git/config", format!("id: {}\n", kstest_token("dotgit")));
    let (v, _) = f.scan_json(&["--no-ignore"]);
    assert_eq!(paths(&v), [".hidden/creds"]);
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed() {
    let f = Fixture::new();
    let outside = f.dir.path().join("outside.txt");
    std::fs::write(&outside, format!("id: {}\n", kstest_token("outside"))).expect("write");
    f.write("in.txt", "clean\n");
    std::os::unix::fs::symlink(&outside, f.tree().join("link.txt")).expect("symlink");
    std::fs::create_dir_all(f.tree().join("loop")).expect("mkdir");
    std::os::unix::fs::symlink(f.tree(), f.tree().join("loop/back")).expect("symlink loop");
    let (v, out) = f.scan_json(&[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(paths(&v).is_empty());
    assert!(v["errors"].as_array().expect("errors").is_empty());
}

#[test]
fn binaries_skipped_except_key_files_and_size_limit_counted() {
    let f = Fixture::new();
    let key = p256_pem("bin");
    let mut binary = b"\0\0BIN".to_vec();
    binary.extend_from_slice(key.as_bytes());
    f.write("image.bin", &binary);
    f.write("keys/server.key", &binary);
    f.write(
        "big.txt",
        format!("{}\nid: {}\n", "x".repeat(4096), kstest_token("big")),
    );
    let (v, _) = f.scan_json(&["--max-file-size", "2KiB"]);
    assert_eq!(paths(&v), ["keys/server.key"]);
    assert_eq!(v["summary"]["skipped"]["binary"], 1);
    assert_eq!(v["summary"]["skipped"]["too_large"], 1);
    assert!(
        v["errors"].as_array().expect("errors").is_empty(),
        "a skip is not an error"
    );
}

#[test]
fn stdin_is_one_blob() {
    let f = Fixture::new();
    let out = keysweep()
        .args(["scan", "-", "--format", "json", "--config"])
        .arg(f.config())
        .write_stdin(format!("id: {}\n", kstest_token("stdin")))
        .output()
        .expect("runs");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(paths(&v), ["-"]);
}

#[test]
fn one_thread_finds_the_same() {
    let f = Fixture::new();
    for i in 0..20 {
        f.write(
            &format!("d{i}/f.txt"),
            format!("id: {}\n", kstest_token(&i.to_string())),
        );
    }
    let (a, _) = f.scan_json(&["--threads", "1"]);
    let (b, _) = f.scan_json(&[]);
    assert_eq!(paths(&a).len(), 20);
    assert_eq!(a["findings"], b["findings"]);
}

#[test]
fn odd_bytes_are_scanned_invalid_utf8_and_late_nul() {
    let f = Fixture::new();
    let mut bad_utf8 = b"caf\xe9 \xff\xfe id: ".to_vec();
    bad_utf8.extend_from_slice(kstest_token("utf8").as_bytes());
    f.write("latin1.txt", &bad_utf8);
    let mut late_nul = vec![b'a'; 9000];
    late_nul.push(0);
    late_nul.extend_from_slice(format!("\nid: {}\n", kstest_token("nul")).as_bytes());
    f.write("late-nul.txt", &late_nul);
    let (v, out) = f.scan_json(&[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(paths(&v), ["late-nul.txt", "latin1.txt"]);
    let loc = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .flat_map(|f| f["locations"].as_array().expect("locations"))
        .find(|l| l["path"] == "latin1.txt")
        .expect("latin1 location");
    assert_eq!(loc["column"], 13, "each invalid byte counts as one column");
}

#[test]
fn identical_matchable_content_is_matched_once_even_without_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Content with a rule keyword but no secret, three times; and one key twice.
    let text = "let token = compute();\n";
    for name in ["a.rs", "b.rs", "c.rs"] {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let key = p256_pem("twice");
    std::fs::write(dir.path().join("k1.pem"), &key).expect("write");
    std::fs::write(dir.path().join("k2.pem"), &key).expect("write");
    let out = keysweep()
        .arg("scan")
        .arg(dir.path())
        .args(["-f", "json"])
        .output()
        .expect("runs");
    assert_eq!(code(&out), 1);
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["summary"]["files_scanned"], 5);
    assert_eq!(v["summary"]["blobs_scanned"], 2, "{:#}", v["summary"]);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["locations"].as_array().map(Vec::len), Some(2));
}

/// Keywords are found case-insensitively, and a keyword that is a prefix of another rule's keyword at the same
/// position still triggers its rule (the prefilter reports only the longest keyword there).
#[test]
fn keyword_prefilter_is_case_insensitive_and_sees_prefix_keywords() {
    let f = Fixture::new();
    f.write_cfg(
        "rules/prefix.toml",
        r#"
[[rule]]
id = "kstest.short"
name = "short keyword (fake)"
provider = "kstest"
severity = "low"
keywords = ["ksp-"]
pattern = '''ksp-[a-z0-9-]{25,}'''

[[rule]]
id = "kstest.long"
name = "long keyword (fake)"
provider = "kstest"
severity = "low"
keywords = ["ksp-long-"]
pattern = '''(?i)ksp-long-[0-9a-f]{24}'''
"#,
    );
    let hex = &kstest_token("prefix")[7..];
    f.write("a.txt", format!("x = ksp-long-{hex}\n"));
    f.write("b.txt", format!("y = KSP-LONG-{hex}\n"));
    let (v, _) = f.scan_json(&[]);
    let mut found: Vec<(String, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .flat_map(|f| {
            let rule = f["rule_id"].as_str().expect("rule").to_string();
            f["locations"]
                .as_array()
                .expect("locations")
                .iter()
                .map(move |l| (rule.clone(), l["path"].as_str().expect("path").to_string()))
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("kstest.long".to_string(), "a.txt".to_string()),
            ("kstest.long".to_string(), "b.txt".to_string()),
            ("kstest.short".to_string(), "a.txt".to_string()),
        ]
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file_and_directory_are_errors_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    f.write("ok.txt", format!("id: {}\n", kstest_token("ok")));
    let locked = f.write("locked.txt", "secret? who knows\n");
    f.write("closed/inner.txt", "x\n");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let (v, out, enforced) =
        f.scan_json_with_dir_closed("closed", || std::fs::read(&locked).is_err());
    assert_eq!(paths(&v), ["ok.txt"], "the scan went on: {}", stderr(&out));
    if !enforced {
        return;
    }
    assert_eq!(code(&out), 2);
    let errors = v["errors"].as_array().expect("errors");
    let wheres: Vec<&str> = errors
        .iter()
        .map(|e| e["where"].as_str().expect("where"))
        .collect();
    assert!(
        wheres.contains(&"locked.txt") && wheres.contains(&"closed"),
        "{errors:?}"
    );
    assert!(errors.iter().all(|e| {
        e["message"]
            .as_str()
            .expect("message")
            .contains("ermission denied")
    }));
    assert_eq!(v["summary"]["skipped"]["unreadable"], 2);
    assert!(stderr(&out).contains("locked.txt"), "said on stderr too");
}

#[cfg(unix)]
#[test]
fn an_unreadable_directory_is_counted_unreadable_not_as_a_scanned_file() {
    let f = Fixture::new();
    f.write("ok.txt", "nothing to see\n");
    f.write("closed/a.txt", "a\n");
    f.write("closed/b.txt", "b\n");
    let closed = f.tree().join("closed");
    let (v, out, enforced) =
        f.scan_json_with_dir_closed("closed", || std::fs::read_dir(&closed).is_err());
    let summary = &v["summary"];
    if !enforced {
        // Root read through the permissions: the directory was simply scanned.
        assert_eq!(summary["files_scanned"], 3, "{summary:#}");
        assert_eq!(summary["skipped"]["unreadable"], 0, "{summary:#}");
        return;
    }
    assert_eq!(
        code(&out),
        2,
        "an unreadable directory is an error like an unreadable file"
    );
    assert_eq!(
        summary["files_scanned"], 1,
        "only ok.txt is a file: {summary:#}"
    );
    assert_eq!(summary["skipped"]["unreadable"], 1, "{summary:#}");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["where"], "closed");
    assert!(stderr(&out).contains("closed"), "said on stderr too");
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    let f = Fixture::new();
    let out = keysweep()
        .args(["scan", "does-not-exist", "--config"])
        .arg(f.config())
        .current_dir(f.dir.path())
        .output()
        .expect("runs");
    assert_eq!(code(&out), 2);
    assert!(f.normalise(&stderr(&out)).contains("does-not-exist"));
}

/// A 100 MB file on one line with a fake key at its end: found, with a bounded snippet. Run by
/// `benches/compare.sh` (`cargo test --release -- --ignored`).
#[test]
#[ignore = "100 MB input; run by benches/compare.sh"]
fn huge_single_line_file() {
    let f = Fixture::new();
    let token = kstest_token("huge");
    let mut line = "a=1;".repeat(25 * 1024 * 1024);
    line.push_str(&format!(" id: {token}\n"));
    f.write("huge.min.js", &line);
    let (v, out) = f.scan_json(&["--max-file-size", "200MiB"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(paths(&v), ["huge.min.js"]);
    let (v, out) = f.scan_json(&[]);
    assert_eq!(code(&out), 0, "over the default limit: skipped");
    assert_eq!(v["summary"]["skipped"]["too_large"], 1);
    let out = f
        .scan(&["--max-file-size", "200MiB"])
        .output()
        .expect("runs");
    assert!(
        stdout(&out).lines().all(|l| l.chars().count() < 400),
        "snippets stay short"
    );
}
