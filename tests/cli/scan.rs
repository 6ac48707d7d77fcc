//! The CLI as a user runs it: each test builds a tree in a temp dir, runs the real `keysweep` binary with a
//! cleared environment, and asserts exit codes, output contracts (JSON, JSONL, SARIF against the OASIS schema,
//! GitHub annotations, Markdown, human text) and how bad inputs are reported. Every secret here is FAKE and
//! generated at test time: P-256 keys from a seed, tokens of a test-only rule (`kstest.token`) that no
//! provider issues.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

use crate::support::command::bin;
use crate::support::fakekeys::{kstest_token, p256_pem};
use crate::support::repo::TestRepo;
use crate::support::{keysweep, keysweep_std, program};

/// The test-only rules (a medium token and a low one), loaded through `--config`.
const TEST_RULES: &str = r#"
# Test-only rules for FAKE tokens; no provider issues these.
[[rule]]
id = "kstest.token"
name = "keysweep test token (fake)"
provider = "kstest"
severity = "medium"
keywords = ["kstest_"]
pattern = '''kstest_[0-9a-f]{24}'''
references = ["https://example.invalid/kstest-token"]

[[rule]]
id = "kstest.low"
name = "keysweep low-severity test token (fake)"
provider = "kstest"
severity = "low"
keywords = ["kslow_"]
pattern = '''kslow_[0-9a-f]{24}'''
"#;

/// A temp dir holding a tree to scan (`tree/`) and the test config with its rules (`cfg/`).
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let f = Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::create_dir_all(f.tree()).expect("tree dir");
        f.write_cfg("rules/test.toml", TEST_RULES);
        f.write_cfg("keysweep.toml", "[rules]\npaths = [\"rules\"]\n");
        f
    }

    fn tree(&self) -> PathBuf {
        self.dir.path().join("tree")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("cfg/keysweep.toml")
    }

    fn write_cfg(&self, rel: &str, text: &str) {
        let p = self.dir.path().join("cfg").join(rel);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write config");
    }

    /// Writes a file under the tree, creating directories.
    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.tree().join(rel);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write file");
        p
    }

    /// `keysweep scan <tree> --config <cfg>` with a clean environment, plus `args`.
    fn scan(&self, args: &[&str]) -> Command {
        let mut cmd = keysweep();
        cmd.arg("scan")
            .arg(self.tree())
            .arg("--config")
            .arg(self.config())
            .args(args);
        cmd
    }

    fn scan_json(&self, args: &[&str]) -> (Value, Output) {
        let out = self
            .scan(&[&["--format", "json"], args].concat())
            .output()
            .expect("runs");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (v, out)
    }

    /// Replaces the temp dir's path in text.
    fn normalise(&self, text: &str) -> String {
        text.replace(&self.tree().display().to_string(), "[TREE]")
            .replace(&self.dir.path().display().to_string(), "[TMP]")
    }

    /// Scans the tree to JSON with the tree's directory `dir` closed (mode 000), then reopens it. Root reads
    /// through permissions: when `blocked` says so, the scan runs as `nobody` through `setpriv` if it is
    /// there. The last value says whether permission errors were provoked at all (not for root without
    /// `setpriv`).
    #[cfg(unix)]
    fn scan_json_with_dir_closed(
        &self,
        dir: &str,
        blocked: impl FnOnce() -> bool,
    ) -> (Value, Output, bool) {
        use std::os::unix::fs::PermissionsExt;
        let closed = self.tree().join(dir);
        let mode = |m| std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(m));
        mode(0o000).expect("chmod");
        let blocked = blocked();
        let as_nobody = !blocked && setpriv_available();
        let mut cmd = if as_nobody {
            for d in [
                self.dir.path().to_path_buf(),
                self.tree(),
                self.dir.path().join("cfg"),
                self.dir.path().join("cfg/rules"),
            ] {
                std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
            }
            let mut c = program("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(bin());
            c
        } else {
            keysweep_std()
        };
        let out = cmd
            .arg("scan")
            .arg(self.tree())
            .arg("--config")
            .arg(self.config())
            .args(["--format", "json"])
            .output()
            .expect("runs");
        mode(0o755).expect("chmod back");
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        let enforced = blocked || as_nobody;
        if !enforced {
            eprintln!(
                "running as root without setpriv: permission errors cannot be provoked, skipping those assertions"
            );
        }
        (v, out, enforced)
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Paths of every location of every finding in a JSON report, sorted.
fn paths(v: &Value) -> Vec<String> {
    let mut p: Vec<String> = v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .flat_map(|f| f["locations"].as_array().expect("locations").clone())
        .map(|l| l["path"].as_str().expect("path").to_string())
        .collect();
    p.sort();
    p
}

/// The body of a PEM key (what must never be printed), without its armour.
fn key_body(pem: &str) -> Vec<&str> {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// A stable JSON report: volatile fields zeroed.
fn stable(mut v: Value) -> Value {
    v["summary"]["elapsed_ms"] = Value::from(0);
    v
}

#[test]
fn exit_codes_say_clean_findings_or_error() {
    let f = Fixture::new();
    f.write("src/main.rs", "fn main() {}\n");
    let out = f.scan(&[]).output().expect("runs");
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    f.write("config.yml", format!("id: {}\n", kstest_token("exit")));
    let out = f.scan(&[]).output().expect("runs");
    assert_eq!(code(&out), 1, "{}", stderr(&out));

    // Findings and an error (a bad user rule): the error wins.
    f.write_cfg("rules/zz-bad.toml", "[[rule]]\nid = \"kstest.bad\"\nname = \"bad (fake)\"\nprovider = \"kstest\"\nseverity = \"low\"\nkeywords = [\"x\"]\npattern = '''(unclosed'''\n");
    let out = f.scan(&[]).output().expect("runs");
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let text = stdout(&out) + &stderr(&out);
    assert!(text.contains("kstest.bad"), "names the rule: {text}");
    assert!(text.contains("`pattern`"), "names the field: {text}");
    assert!(text.contains("1 finding(s)"), "the scan went on: {text}");
}

#[test]
fn json_contract() {
    let f = Fixture::new();
    let token = kstest_token("json");
    // The same content in two files: one blob scanned, one finding, two locations.
    f.write("a/config.yml", format!("# fake test token\nid: {token}\n"));
    f.write("b/config.yml", format!("# fake test token\nid: {token}\n"));
    f.write("README.md", "nothing here\n");
    let (v, out) = f.scan_json(&[]);
    assert_eq!(code(&out), 1);
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["version", "findings", "errors", "summary"]);
    let finding_keys: Vec<&str> = v["findings"][0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        finding_keys,
        [
            "rule_id",
            "provider",
            "severity",
            "fingerprint",
            "secret",
            "validated",
            "key",
            "inventory",
            "liveness",
            "occurrences",
            "locations"
        ]
    );
    assert_eq!(v["summary"]["blobs_scanned"], 2, "two unique contents");
    assert_eq!(v["summary"]["files_scanned"], 3);
    assert_eq!(v["findings"][0]["occurrences"], 2);
    assert!(!stdout(&out).contains(&token), "redacted by default");
    insta::assert_json_snapshot!("json_contract", stable(v));
}

#[test]
fn jsonl_is_one_finding_per_line_without_summary() {
    let f = Fixture::new();
    f.write("one.txt", format!("id: {}\n", kstest_token("l1")));
    f.write("two.txt", format!("id: {}\n", kstest_token("l2")));
    let out = f.scan(&["--format", "jsonl"]).output().expect("runs");
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l.get("rule_id").is_some() && l.get("summary").is_none())
    );
}

#[test]
fn sarif_validates_against_the_oasis_schema() {
    let f = Fixture::new();
    f.write("app/config.yml", format!("id: {}\n", kstest_token("sarif")));
    f.write("app/copy.yml", format!("id: {}\n", kstest_token("sarif")));
    f.write(
        "low.txt",
        format!("é: {}\n", kstest_token("low").replace("kstest_", "kslow_")),
    );
    f.write("AuthKey_FAKE000001.p8", p256_pem("sarif"));
    // A token inside an archive: its location is the archive as a whole, the member a property.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("conf/app.yml", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    std::io::Write::write_all(
        &mut zip,
        format!("id: {}\n", kstest_token("sarif-zip")).as_bytes(),
    )
    .expect("zip write");
    f.write("dist/bundle.zip", zip.finish().expect("zip").into_inner());
    let out = f.scan(&["--format", "sarif"]).output().expect("runs");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
        )
        .expect("schema in tests/data"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid: {errors:#?}");

    let run = &sarif["runs"][0];
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["tool"]["driver"]["name"], "keysweep");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let token_rule = rules
        .iter()
        .find(|r| r["id"] == "kstest.token")
        .expect("rule listed");
    assert_eq!(
        token_rule["helpUri"],
        "https://example.invalid/kstest-token"
    );
    assert_eq!(token_rule["properties"]["security-severity"], "5.5");
    let results = run["results"].as_array().expect("results");
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().expect("level"))
        .collect();
    assert!(levels.contains(&"warning") && levels.contains(&"note") && levels.contains(&"error"));
    let token = results
        .iter()
        .find(|r| r["ruleId"] == "kstest.token")
        .expect("token result");
    assert!(token["partialFingerprints"]["keysweep/fingerprint/v1"].is_string());
    assert_eq!(token["relatedLocations"].as_array().map(Vec::len), Some(1));
    let low = results
        .iter()
        .find(|r| r["ruleId"] == "kstest.low")
        .expect("low result");
    let region = &low["locations"][0]["physicalLocation"]["region"];
    // `é: ` is three code points (four bytes): the token starts at column 4.
    assert_eq!(region["startColumn"], 4);
    assert_eq!(region["endColumn"], 4 + 30);
    let in_zip = results
        .iter()
        .map(|r| &r["locations"][0])
        .find(|l| l["properties"]["member"] == "conf/app.yml")
        .expect("the archive member's result");
    assert_eq!(
        in_zip["physicalLocation"]["artifactLocation"]["uri"],
        "dist/bundle.zip"
    );
    assert!(in_zip["physicalLocation"]["region"].is_null());
    let text = stdout(&out);
    for line in key_body(&p256_pem("sarif")) {
        assert!(!text.contains(line), "key body leaked into SARIF");
    }
}

#[test]
fn github_annotations_and_markdown_summary() {
    let f = Fixture::new();
    let token = kstest_token("gh");
    f.write("dir,with:odd%name/app.yml", format!("id: {token}\n"));
    f.write(
        "low.txt",
        format!("{}\n", kstest_token("ghlow").replace("kstest_", "kslow_")),
    );
    let out = f.scan(&["--format", "github"]).output().expect("runs");
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(!text.contains(&token[7..]), "no secret in annotations");
    insta::assert_snapshot!("github", text);

    let out = f.scan(&["--format", "markdown"]).output().expect("runs");
    let text = stdout(&out);
    assert!(!text.contains(&token), "redacted in the summary");
    insta::assert_snapshot!("markdown", text);

    let clean = Fixture::new();
    clean.write("ok.txt", "nothing\n");
    let out = clean
        .scan(&["--format", "markdown"])
        .output()
        .expect("runs");
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("no secrets found"));
}

#[test]
fn human_output_folds_a_pem_key_into_one_redacted_line() {
    let f = Fixture::new();
    let key = p256_pem("human");
    f.write(
        "deploy/settings.py",
        format!("import os\n\nDEBUG = False\nKEY = \"\"\"{key}\"\"\"\nNAME = 'x'\n\nEND = 1\n"),
    );
    f.write(
        "notes.txt",
        format!(
            "one\ntwo\nid: {}\nthree\nfour\nfive\n",
            kstest_token("human")
        ),
    );
    let out = f.scan(&[]).output().expect("runs");
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(!text.contains('\x1b'), "no colour off a terminal");
    for line in key_body(&key) {
        assert!(!text.contains(line), "key body leaked: {text}");
    }
    assert!(
        text.contains("> 4-8 | KEY = \"\"\"-----BEGIN PRIVATE KEY-----MIGH…(redacted)\n"),
        "{text}"
    );
    assert!(
        text.contains("\n        9 | \"\"\"\n       10 | NAME = 'x'\n"),
        "context after the key: {text}"
    );
    assert!(
        text.contains("\n        2 |\n        3 | DEBUG = False\n"),
        "context before: {text}"
    );
    assert!(!text.contains("| …"), "no line per key body line: {text}");
    let summary = text.lines().last().expect("a summary line");
    assert!(summary.starts_with("2 finding(s)"), "{summary}");
    assert!(summary.contains("scanned 2 file(s)") && summary.contains("skipped 0 binary"));
}

#[test]
fn quiet_prints_nothing_and_verbose_lists_skipped_files() {
    let f = Fixture::new();
    f.write("a.txt", format!("id: {}\n", kstest_token("q")));
    f.write("blob.bin", b"\0\x01binary");
    let out = f.scan(&["-q"]).output().expect("runs");
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty() && out.stderr.is_empty());

    let out = f.scan(&["-v"]).output().expect("runs");
    assert!(
        stderr(&out).contains("skipped blob.bin: binary"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn report_writes_several_formats_and_secret_files_are_private() {
    let f = Fixture::new();
    let token = kstest_token("multi");
    f.write("a.yml", format!("id: {token}\n"));
    let out_dir = f.dir.path().join("out");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let p = |n: &str| out_dir.join(n).display().to_string();
    let out = f
        .scan(&[
            "-o",
            &p("main.json"),
            "--format",
            "json",
            "--report",
            &format!("sarif={}", p("r.sarif")),
            "--report",
            &format!("github={}", p("r.github")),
            "--report",
            &format!("markdown={}", p("r.md")),
        ])
        .output()
        .expect("runs");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "the main format went to -o");
    for n in ["main.json", "r.sarif", "r.github", "r.md"] {
        let text = std::fs::read_to_string(out_dir.join(n)).expect("written");
        assert!(!text.is_empty() && !text.contains(&token), "{n}");
    }
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("r.sarif")).expect("read"))
            .expect("JSON");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(1)
    );

    let out = f
        .scan(&[
            "--show-secrets",
            "--format",
            "json",
            "-o",
            &p("secret.json"),
            "--report",
            &format!("markdown={}", p("secret.md")),
        ])
        .output()
        .expect("runs");
    assert_eq!(code(&out), 1);
    for n in ["secret.json", "secret.md"] {
        let path = out_dir.join(n);
        assert!(
            std::fs::read_to_string(&path)
                .expect("read")
                .contains(&token)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{n} holds secrets");
        }
    }
}

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
fn broken_pipe_exits_quietly() {
    let f = Fixture::new();
    let many: String = (0..3000)
        .map(|i| format!("id: {}\n", kstest_token(&i.to_string())))
        .collect();
    f.write("many.txt", many);
    let out = program("sh")
        .arg("-c")
        .arg(format!(
            "\"{}\" scan \"{}\" --config \"{}\" --threads 1 | head -c1 >/dev/null",
            bin().display(),
            f.tree().display(),
            f.config().display()
        ))
        .output()
        .expect("sh runs");
    let err = stderr(&out);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("error"),
        "{err}"
    );
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

/// Whether `setpriv` can run the binary as `nobody` here (root cannot otherwise provoke permission errors; the
/// binary's directories may not be open to `nobody`).
fn setpriv_available() -> bool {
    program("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin())
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
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

#[test]
fn human_output_snapshot() {
    let f = Fixture::new();
    f.write(
        "app/settings.yml",
        format!(
            "# FAKE test data\nname: demo\nid: {}\nport: 8080\n",
            kstest_token("snap")
        ),
    );
    f.write("blob.bin", b"\0binary");
    let out = f.scan(&[]).output().expect("runs");
    assert_eq!(code(&out), 1);
    insta::with_settings!({filters => vec![(r"in \d+ ms", "in [ELAPSED] ms")]}, {
        insta::assert_snapshot!("human", f.normalise(&stdout(&out)));
    });
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
