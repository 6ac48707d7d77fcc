//! What `keysweep scan` writes: the exit-code contract, the JSON report's shape (and a snapshot of it),
//! JSONL, SARIF validated against the OASIS schema, GitHub annotations and the Markdown summary (snapshots),
//! human output (folded, redacted PEM keys; a snapshot), `-q`/`-v`, several `--report` files at once with
//! private permissions for secrets, and a quiet exit on a broken pipe.

use std::path::Path;

use serde_json::Value;

use super::{Fixture, code, stderr, stdout};
use crate::support::command::bin;
use crate::support::fakekeys::{kstest_token, p256_pem};
use crate::support::program;

/// The body of a PEM key (what must never be printed), without its armour.
fn key_body(pem: &str) -> Vec<&str> {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// A stable JSON report: volatile fields zeroed.
fn stable(mut v: Value) -> Value {
    v["summary"]["elapsed_ms"] = Value::from(0);
    for f in v["findings"].as_array_mut().into_iter().flatten() {
        for l in f["locations"].as_array_mut().into_iter().flatten() {
            if l.get("root").is_some() {
                l["root"] = Value::from("[root]");
            }
        }
    }
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
    // Every location records the absolute directory its path is relative to.
    let root = f.tree().canonicalize().expect("canonical");
    for l in v["findings"][0]["locations"].as_array().expect("locations") {
        assert_eq!(l["root"], root.to_string_lossy().as_ref(), "{l:#}");
    }
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

/// A password found by a catch-all rule shows at most three characters in every output, its snippet included.
#[test]
fn generic_passwords_show_at_most_a_three_character_prefix() {
    let f = Fixture::new();
    let password = "Zq7xW2kP9mR4tY8vB3nL6cJ5"; // fake: made up for this test
    f.write("db.env", format!("# fake\nDB_PASSWORD={password}\n"));
    let (v, out) = f.scan_json(&[]);
    assert_eq!(code(&out), 1, "{v:#}");
    let finding = &v["findings"][0];
    assert_eq!(finding["provider"], "generic", "{v:#}");
    assert_eq!(finding["secret"], "Zq7…(redacted)", "{v:#}");
    let out = f.scan(&["-f", "human"]).output().expect("runs");
    let text = stdout(&out);
    assert!(text.contains("DB_PASSWORD=Zq7…(redacted)"), "{text}");
    assert!(!text.contains("Zq7x"), "{text}");
}

/// `--fail-on` sets which findings fail the run; the others are reported all the same.
#[test]
fn fail_on_a_severity_or_validated_findings_only() {
    let f = Fixture::new();
    f.write("a.yml", format!("id: {}\n", kstest_token("fail-on")));
    f.write(
        "b.yml",
        format!(
            "id: {}\n",
            kstest_token("fail-low").replace("kstest_", "kslow_")
        ),
    );
    for (level, want) in [("low", 1), ("medium", 1), ("high", 0), ("validated", 0)] {
        let (v, out) = f.scan_json(&["--fail-on", level]);
        assert_eq!(code(&out), want, "--fail-on {level}");
        assert_eq!(
            v["findings"].as_array().map(Vec::len),
            Some(2),
            "reported all the same"
        );
    }
    // A validated finding (a GitHub token with a valid checksum) fails --fail-on validated.
    f.write(
        "c.env",
        format!(
            "GITHUB_TOKEN={}\n",
            crate::support::fakekeys::ghp("fail-on")
        ),
    );
    let (_, out) = f.scan_json(&["--fail-on", "validated"]);
    assert_eq!(code(&out), 1);
}

/// `--color always` colours human output into a pipe; `never` and `auto` (not a terminal) do not.
#[test]
fn color_always_never_and_auto() {
    let f = Fixture::new();
    f.write("a.yml", format!("id: {}\n", kstest_token("color")));
    let has_escape = |args: &[&str]| {
        let out = f.scan(args).output().expect("runs");
        stdout(&out).contains('\u{1b}')
    };
    assert!(has_escape(&["-f", "human", "--color", "always"]));
    assert!(!has_escape(&["-f", "human", "--color", "never"]));
    assert!(!has_escape(&["-f", "human", "--color", "auto"]));
    assert!(!has_escape(&["-f", "human"]));
}
