//! Suppression and merging, driven through the real binary: inline allow comments, `[allowlist]` in
//! `.keysweep.toml`, baselines (a baselined secret that moves stays suppressed), config errors, `merge`.

use std::path::Path;

use serde_json::Value;

use crate::support::fakekeys::p256_pem;
use crate::support::keysweep;

fn scan_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = keysweep()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .expect("runs");
    let code = out.status.code().expect("exit code");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON output ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

#[test]
fn inline_allow_comment_suppresses_that_key_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let allowed = format!(
        "# keysweep:allow (fake test key)\nKEY = \"\"\"\n{}\"\"\"\n",
        p256_pem("allowed")
    );
    // The allow comment must be on the line of the secret or the line before: here it is before the PEM.
    let allowed = allowed.replace("KEY = \"\"\"\n", "KEY = \"\"\"");
    std::fs::write(dir.path().join("allowed.py"), allowed).expect("write");
    std::fs::write(dir.path().join("leak.pem"), p256_pem("leaked")).expect("write");
    let (code, v) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let findings = v["findings"].as_array().expect("findings array");
    assert_eq!(findings.len(), 1, "{v:#}");
    assert_eq!(findings[0]["locations"][0]["path"], "leak.pem");
    assert_eq!(v["summary"]["suppressed"], 1);
}

#[test]
fn config_allowlist_paths_and_regexes() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("testdata")).expect("mkdir");
    std::fs::write(dir.path().join("testdata/fixture.pem"), p256_pem("fixture")).expect("write");
    std::fs::write(
        dir.path().join(".keysweep.toml"),
        "[allowlist]\npaths = [\"testdata/**\"]\nregexes = ['NEVER-MATCHES']\n",
    )
    .expect("write");
    let (code, v) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["suppressed"], 1);
}

#[test]
fn unknown_config_key_names_file_line_and_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(".keysweep.toml"),
        "[scan]\nmax_file_size = \"1MiB\"\nfollow_links = true\n",
    )
    .expect("write");
    let out = keysweep()
        .arg("scan")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(".keysweep.toml"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("follow_links"), "{err}");
}

#[test]
fn baseline_suppresses_known_findings_even_when_moved() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline.json");
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).expect("mkdir");
    std::fs::write(tree.join("old.pem"), p256_pem("old")).expect("write");
    keysweep()
        .args(["baseline", "create"])
        .arg(&tree)
        .arg("-o")
        .arg(&baseline)
        .assert()
        .success();
    let recorded: Value =
        serde_json::from_slice(&std::fs::read(&baseline).expect("baseline written")).expect("JSON");
    assert_eq!(recorded["findings"].as_array().map(Vec::len), Some(1));

    // The old key moves to another file; a new key appears.
    std::fs::rename(tree.join("old.pem"), tree.join("moved.pem")).expect("rename");
    std::fs::write(tree.join("new.pem"), p256_pem("new")).expect("write");
    let (code, v) = scan_json(
        &tree,
        &["--baseline", baseline.to_str().expect("utf-8 path")],
    );
    assert_eq!(code, 1);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{v:#}");
    assert_eq!(findings[0]["locations"][0]["path"], "new.pem");
    assert_eq!(v["summary"]["suppressed"], 1);

    // A JSON report works as a baseline too.
    let report = dir.path().join("report.json");
    keysweep()
        .arg("scan")
        .arg(&tree)
        .args(["--format", "json", "-o"])
        .arg(&report)
        .assert()
        .code(1);
    let (code, _) = scan_json(&tree, &["--baseline", report.to_str().expect("utf-8 path")]);
    assert_eq!(code, 0);
}

#[test]
fn merge_dedupes_by_fingerprint_and_unions_locations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir(&a).expect("mkdir");
    std::fs::create_dir(&b).expect("mkdir");
    std::fs::write(a.join("shared.pem"), p256_pem("shared")).expect("write");
    std::fs::write(b.join("copy.pem"), p256_pem("shared")).expect("write");
    std::fs::write(b.join("only-b.pem"), p256_pem("only-b")).expect("write");
    let (ra, rb) = (dir.path().join("a.json"), dir.path().join("b.json"));
    keysweep()
        .arg("scan")
        .arg(&a)
        .args(["-f", "json", "-o"])
        .arg(&ra)
        .assert()
        .code(1);
    keysweep()
        .arg("scan")
        .arg(&b)
        .args(["-f", "json", "-o"])
        .arg(&rb)
        .assert()
        .code(1);
    let out = keysweep()
        .arg("merge")
        .arg(&ra)
        .arg(&rb)
        .arg(&ra)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2, "{v:#}");
    let shared = findings
        .iter()
        .find(|f| f["locations"].as_array().is_some_and(|l| l.len() == 2))
        .expect("the shared key has both locations");
    assert_eq!(shared["occurrences"], 2);
    assert_eq!(v["summary"]["findings"], 2);
    // Summaries add up per input report; `a` named twice counts once, with a note.
    assert_eq!(v["summary"]["blobs_scanned"], 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has the same content as"), "{err}");
    // Findings alone (JSONL, as `-f jsonl` writes, or revoke reads) merge too.
    let jl = dir.path().join("b.jsonl");
    keysweep()
        .arg("scan")
        .arg(&b)
        .args(["-f", "jsonl", "-o"])
        .arg(&jl)
        .assert()
        .code(1);
    let out = keysweep()
        .arg("merge")
        .arg(&ra)
        .arg(&jl)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(2), "{v:#}");
}

#[test]
fn bad_config_values_name_file_line_and_key() {
    for (text, line, key) in [
        (
            "[scan]\n\nmax_file_size = \"ten\"\n",
            "line 3",
            "scan.max_file_size",
        ),
        ("[output]\nformat = \"yaml\"\n", "line 2", "output.format"),
        (
            "[allowlist]\nregexes = ['(unclosed']\n",
            "line 2",
            "allowlist.regexes",
        ),
        (
            "[providers.acme]\nkind = \"ftp\"\nurl = \"x\"\n",
            "line 2",
            "providers.acme.kind",
        ),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(".keysweep.toml"), text).expect("write");
        let out = keysweep()
            .arg("scan")
            .arg(dir.path())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(".keysweep.toml"), "{err}");
        assert!(err.contains(line), "{text}: {err}");
        assert!(err.contains(key), "{text}: {err}");
    }
}

/// Every bad value of a config is reported at once, before anything is scanned: `[rules] paths` naming no
/// directory and `[rules] disable` naming no rule included, each with its file, line and key.
#[test]
fn every_bad_config_value_is_reported_at_once_before_scanning() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(".keysweep.toml"),
        "[scan]\nmax_file_size = \"ten\"\n\n[rules]\npaths = [\"no-such-rules\"]\n\n[allowlist]\nregexes = ['(']\n",
    )
    .expect("write");
    let out = keysweep()
        .arg("scan")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3 bad values"), "{err}");
    for (line, key) in [
        ("line 2", "scan.max_file_size"),
        ("line 5", "rules.paths"),
        ("line 8", "allowlist.regexes"),
    ] {
        assert!(
            err.contains(&format!("{line}, key `{key}`")),
            "{key}: {err}"
        );
    }
    assert!(err.contains("no-such-rules"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "nothing was scanned: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::write(
        dir.path().join(".keysweep.toml"),
        "[rules]\n\ndisable = [\"generic.password\", \"no.such-rule\"]\n",
    )
    .expect("write");
    let out = keysweep()
        .arg("scan")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".keysweep.toml: line 3, key `rules.disable`"),
        "{err}"
    );
    assert!(err.contains("\"no.such-rule\""), "{err}");
    assert!(out.stdout.is_empty(), "nothing was scanned");
}
