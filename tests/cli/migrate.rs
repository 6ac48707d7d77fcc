//! Coming from gitleaks: `config import` writes a `.keysweep.toml` (plus rule file and baseline) from a
//! `.gitleaks.toml` and `.gitleaksignore`, and `scan` reads them itself where there is no `.keysweep.toml`.
//! The imported rule finds its secret, the imported allowlist and the ignore entries suppress theirs.

use std::path::Path;

use serde_json::Value;

use crate::support::fakekeys::{p256_pem, token};
use crate::support::keysweep;

const GITLEAKS_TOML: &str = r#"# a team's policy, written for gitleaks
[extend]
useDefault = true

[[rules]]
id = "acme-service-token"
description = "Acme service token (fake, for this test)"
regex = '''\b(acmesvc_[A-Za-z0-9]{32})\b'''
secretGroup = 1
keywords = ["acmesvc_"]

[allowlist]
description = "example fixtures"
paths = ['''(^|/)examples/''']
"#;

/// A tree with five fake secrets: one to find, one under an allowlisted path, two named by the ignore file,
/// one with an inline allow comment.
fn tree(dir: &Path) -> Vec<String> {
    let secrets: Vec<String> = ["found", "allowlisted", "ignored"]
        .iter()
        .map(|s| token("acmesvc_", s, 32))
        .collect();
    std::fs::create_dir_all(dir.join("examples")).expect("mkdir");
    std::fs::create_dir_all(dir.join("config")).expect("mkdir");
    std::fs::write(dir.join("app.env"), format!("ACME={}\n", secrets[0])).expect("write");
    std::fs::write(
        dir.join("examples/demo.env"),
        format!("ACME={}\n", secrets[1]),
    )
    .expect("write");
    std::fs::write(
        dir.join("config/dev.env"),
        format!("# dev\nDEBUG=1\nACME={}\n", secrets[2]),
    )
    .expect("write");
    std::fs::write(dir.join("config/old.pem"), p256_pem("migrate-ignored")).expect("write");
    // Betterleaks' inline allow comment is honoured like gitleaks'.
    std::fs::write(
        dir.join("lib.env"),
        format!(
            "ACME={} # betterleaks:allow\n",
            token("acmesvc_", "inline", 32)
        ),
    )
    .expect("write");
    std::fs::write(dir.join(".gitleaks.toml"), GITLEAKS_TOML).expect("write");
    std::fs::write(
        dir.join(".gitleaksignore"),
        "# reviewed 2026-11: fake dev values\nconfig/dev.env:acme-service-token:3\nconfig/old.pem:private-key:1\n",
    )
    .expect("write");
    secrets
}

fn scan(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    scan_env(dir, extra, &[])
}

/// [`scan`] with environment variables set.
fn scan_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let out = keysweep()
        .current_dir(dir)
        .args(["scan", ".", "--format", "json", "--show-secrets"])
        .args(extra)
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    // No report when the run fails before scanning (a broken config).
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().expect("exit code"),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The scan read no gitleaks policy: no notice, no imported rule's finding.
fn keysweep_toml_won(v: &Value, stderr: &str) {
    assert!(!stderr.contains("gitleaks"), "{stderr}");
    assert!(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["rule_id"] != "custom.acme-service-token")
    );
}

fn only_secret(v: &Value) -> (String, String, String) {
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{v:#}");
    let f = &findings[0];
    (
        f["rule_id"].as_str().unwrap_or_default().to_string(),
        f["locations"][0]["path"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        f["secret"].as_str().unwrap_or_default().to_string(),
    )
}

/// The report of a scan of [`tree`]: the imported rule found the first secret, policy suppressed the four others.
fn found_only_the_first(v: &Value, secrets: &[String]) {
    assert_eq!(
        only_secret(v),
        (
            "custom.acme-service-token".into(),
            "app.env".into(),
            secrets[0].clone()
        )
    );
    assert_eq!(v["summary"]["suppressed"], 4, "{v:#}");
}

#[test]
fn config_import_writes_equivalent_config_rules_and_baseline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secrets = tree(dir.path());
    let out = keysweep()
        .current_dir(dir.path())
        .args(["config", "import"])
        .output()
        .expect("runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains(
            ".gitleaks.toml:5: mapped: rule \"acme-service-token\" → custom.acme-service-token"
        ),
        "{report}"
    );
    assert!(report.contains(".gitleaksignore:2: mapped: config/dev.env:3 → baseline entry for custom.acme-service-token"), "{report}");
    assert!(
        report.contains(".gitleaksignore:3: mapped: config/old.pem:1"),
        "{report}"
    );
    for f in [
        ".keysweep.toml",
        ".keysweep-rules.toml",
        ".keysweep-baseline.json",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} written");
    }

    // Nothing is overwritten without --force.
    let again = keysweep()
        .current_dir(dir.path())
        .args(["config", "import"])
        .output()
        .expect("runs");
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("--force"), "{stderr}");

    // The written files, used as keysweep's own: the custom rule finds its secret, the allowlist and the
    // baseline suppress the others.
    std::fs::remove_file(dir.path().join(".gitleaks.toml")).expect("rm");
    std::fs::remove_file(dir.path().join(".gitleaksignore")).expect("rm");
    let (code, v, stderr) = scan(dir.path(), &["--baseline", ".keysweep-baseline.json"]);
    assert_eq!(code, 1, "{stderr}");
    found_only_the_first(&v, &secrets);
}

#[test]
fn scan_reads_a_gitleaks_config_when_there_is_no_keysweep_toml() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secrets = tree(dir.path());
    let (code, v, stderr) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    found_only_the_first(&v, &secrets);
    assert_eq!(
        stderr.matches("no .keysweep.toml: using").count(),
        1,
        "{stderr}"
    );

    // An item with no equivalent is a warning naming its file and line.
    std::fs::write(
        dir.path().join(".gitleaks.toml"),
        format!("{GITLEAKS_TOML}commits = [\"0123456789abcdef0123456789abcdef01234567\"]\n"),
    )
    .expect("write");
    let (_, _, stderr) = scan(dir.path(), &[]);
    assert!(
        stderr.contains("warning: ./.gitleaks.toml:15: not mapped: allowlist commits (1)"),
        "{stderr}"
    );

    // A .keysweep.toml wins: the gitleaks files are then not read.
    std::fs::write(dir.path().join(".keysweep.toml"), "").expect("write");
    let (_, v, stderr) = scan(dir.path(), &[]);
    keysweep_toml_won(&v, &stderr);
}

#[test]
fn action_imports_the_base_commits_gitleaks_policy_and_a_pull_request_cannot_change_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("repo");
    let repo = crate::support::repo::TestRepo::init(&dir);
    let old = token("acmesvc_", "reviewed-dev-value", 32);
    repo.write(".gitleaks.toml", GITLEAKS_TOML);
    repo.write(".gitleaksignore", "config/dev.env:acme-service-token:1\n");
    repo.write("config/dev.env", format!("ACME={old}\n"));
    let base = repo.commit(0, "base");
    // The pull request adds a token the imported rule finds, one under the base's allowlisted path, puts a new
    // token where the ignore entry points, and rewrites the gitleaks config to allowlist everything.
    let added = token("acmesvc_", "added-by-pr", 32);
    let replaced = token("acmesvc_", "replaces-the-reviewed-one", 32);
    repo.write("app.env", format!("ACME={added}\n"));
    repo.write(
        "examples/demo.env",
        format!("ACME={}\n", token("acmesvc_", "example", 32)),
    );
    repo.write("config/dev.env", format!("ACME={replaced}\n"));
    repo.write(
        ".gitleaks.toml",
        format!("{GITLEAKS_TOML}\n[[allowlists]]\npaths = ['''.*''']\n"),
    );
    let head = repo.commit(1, "pr");
    let event = tmp.path().join("event.json");
    let payload = serde_json::json!({
        "pull_request": { "base": { "sha": base.to_string() }, "head": { "sha": head.to_string() } }
    });
    std::fs::write(&event, payload.to_string()).expect("write event");

    let (code, stdout, _) = crate::integrations::run_action(&dir, &event, &[]);
    assert_eq!(code, 1, "{stdout}");
    let mut files: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .filter_map(|l| l.split("file=").nth(1)?.split(',').next())
        .collect();
    files.sort();
    assert_eq!(files, vec!["app.env", "config/dev.env"], "{stdout}");
}

#[test]
fn a_commit_entry_suppresses_a_secret_deleted_since_in_a_history_scan() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("repo");
    let repo = crate::support::repo::TestRepo::init(&dir);
    let gone = token("acmesvc_", "deleted-long-ago", 32);
    let kept = token("acmesvc_", "still-reported", 32);
    repo.write(".gitleaks.toml", GITLEAKS_TOML);
    repo.write("old.env", format!("# old\nACME={gone}\n"));
    repo.write("new.env", format!("ACME={kept}\n"));
    let first = repo.commit(0, "add");
    repo.remove("old.env");
    repo.commit(1, "remove");
    repo.write(
        ".gitleaksignore",
        format!("{first}:old.env:acme-service-token:2\n"),
    );

    let (code, v, stderr) = scan(&dir, &["--history"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(only_secret(&v).2, kept, "{v:#}");
    assert_eq!(v["summary"]["suppressed"], 1, "{v:#}");

    let out = keysweep()
        .current_dir(&dir)
        .args(["config", "import"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let baseline: Value = serde_json::from_slice(
        &std::fs::read(dir.join(".keysweep-baseline.json")).expect("baseline written"),
    )
    .expect("JSON");
    assert_eq!(baseline["findings"][0]["path"], "old.env");
    assert_eq!(
        baseline["findings"][0]["rule_id"],
        "custom.acme-service-token"
    );
}

/// `keysweep <args>` in `dir` with `env` set: exit code, standard output, standard error.
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = keysweep()
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A gitleaks config that finds nothing here and allowlists nothing.
const DECOY_TOML: &str = r#"[[rules]]
id = "decoy"
regex = '''decoy_[0-9]{40}'''
keywords = ["decoy_"]
"#;

/// gitleaks' and Betterleaks' config variables, read where there is no `.keysweep.toml` (and no `--config`), in
/// their precedence: a path (`BETTERLEAKS_CONFIG` before `GITLEAKS_CONFIG`), then the text
/// (`GITLEAKS_CONFIG_TOML`), then the `.gitleaks.toml` beside the tree; with the same notice.
#[test]
fn scan_reads_gitleaks_and_betterleaks_config_variables_in_their_precedence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secrets = tree(dir.path());
    // The team's policy lives elsewhere; the tree's own .gitleaks.toml is a decoy.
    std::fs::create_dir_all(dir.path().join("policy")).expect("mkdir");
    std::fs::write(dir.path().join("policy/gitleaks.toml"), GITLEAKS_TOML).expect("write");
    std::fs::write(dir.path().join(".gitleaks.toml"), DECOY_TOML).expect("write");
    std::fs::write(dir.path().join("wrong.toml"), DECOY_TOML).expect("write");

    let (code, v, stderr) = scan_env(
        dir.path(),
        &[],
        &[("GITLEAKS_CONFIG", "policy/gitleaks.toml")],
    );
    assert_eq!(code, 1, "{stderr}");
    found_only_the_first(&v, &secrets);
    assert!(
        stderr.contains(
            "no .keysweep.toml: using policy/gitleaks.toml (from GITLEAKS_CONFIG) and ./.gitleaksignore"
        ),
        "{stderr}"
    );

    let (_, v, stderr) = scan_env(
        dir.path(),
        &[],
        &[
            ("BETTERLEAKS_CONFIG", "policy/gitleaks.toml"),
            ("GITLEAKS_CONFIG", "wrong.toml"),
            ("GITLEAKS_CONFIG_TOML", DECOY_TOML),
        ],
    );
    found_only_the_first(&v, &secrets);
    assert!(stderr.contains("(from BETTERLEAKS_CONFIG)"), "{stderr}");

    // An empty variable counts as unset, as in gitleaks; the text comes after the paths.
    let (_, v, stderr) = scan_env(
        dir.path(),
        &[],
        &[
            ("GITLEAKS_CONFIG", ""),
            ("GITLEAKS_CONFIG_TOML", GITLEAKS_TOML),
        ],
    );
    found_only_the_first(&v, &secrets);
    assert!(
        stderr.contains("using $GITLEAKS_CONFIG_TOML and"),
        "{stderr}"
    );

    // A path that names nothing is an error naming the variable; so is text that is no config.
    let (code, _, stderr) = scan_env(dir.path(), &[], &[("GITLEAKS_CONFIG", "missing.toml")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("GITLEAKS_CONFIG") && stderr.contains("missing.toml"),
        "{stderr}"
    );
    let (code, _, stderr) = scan_env(dir.path(), &[], &[("GITLEAKS_CONFIG_TOML", "[[rules]\n")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("GITLEAKS_CONFIG_TOML"), "{stderr}");

    // A .keysweep.toml wins over the variables.
    std::fs::write(dir.path().join(".keysweep.toml"), "").expect("write");
    let (_, v, stderr) = scan_env(
        dir.path(),
        &[],
        &[("GITLEAKS_CONFIG", "policy/gitleaks.toml")],
    );
    keysweep_toml_won(&v, &stderr);
}

/// `rules list`, `rules check` and `baseline create` see the policy `scan` imports from a `.gitleaks.toml` (or
/// a config variable): its custom rules listed and checked, its allowlist and ignore entries applied.
#[test]
fn rules_and_baseline_see_the_imported_policy_scan_sees() {
    let dir = tempfile::tempdir().expect("temp dir");
    tree(dir.path());
    let run = |args: &[&str], env: &[(&str, &str)]| run_in(dir.path(), args, env);
    let (code, list, stderr) = run(&["rules", "list"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        list.lines()
            .any(|l| l.starts_with("custom.acme-service-token\tcustom\t")),
        "{list}"
    );
    assert_eq!(
        stderr.matches("no .keysweep.toml: using").count(),
        1,
        "{stderr}"
    );
    // The imported rule has no examples: the check says so, as it does for one in a rule directory.
    let (code, _, stderr) = run(&["rules", "check"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("rule custom.acme-service-token:"),
        "{stderr}"
    );
    // The same through the variable, with the tree's file gone.
    let policy = std::fs::read_to_string(dir.path().join(".gitleaks.toml")).expect("read");
    std::fs::remove_file(dir.path().join(".gitleaks.toml")).expect("rm");
    let (_, list, _) = run(&["rules", "list"], &[("GITLEAKS_CONFIG_TOML", &policy)]);
    assert!(list.contains("custom.acme-service-token\t"), "{list}");
    let (_, list, _) = run(&["rules", "list"], &[]);
    assert!(!list.contains("custom.acme-service-token"), "{list}");
    std::fs::write(dir.path().join(".gitleaks.toml"), &policy).expect("write");

    // The baseline holds what the scan reports: the imported rule's one finding, the others suppressed.
    let (code, _, stderr) = run(&["baseline", "create", ".", "-o", "b.json"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let b: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("b.json")).expect("baseline"),
    )
    .expect("JSON");
    let ids: Vec<&str> = b["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert_eq!(ids, ["custom.acme-service-token"], "{b:#}");
}

/// A sweep reads the security team's config from the environment, never a swept repository's: a repository's
/// own `.gitleaks.toml` cannot allowlist its leak.
#[test]
fn sweep_reads_the_config_variables_but_not_a_repositorys_gitleaks_toml() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("org");
    let repo = crate::support::repo::TestRepo::init(&root.join("app"));
    repo.write("deploy/key.pem", p256_pem("sweep-migrate"));
    let allow_all = "[allowlist]\npaths = ['''^deploy/''']\n";
    repo.write(".gitleaks.toml", allow_all);
    repo.commit(1, "fake example key");
    let sweep = |env: &[(&str, &str)]| {
        let out = keysweep()
            .args(["sweep", "--dir"])
            .arg(&root)
            .arg("--cache-dir")
            .arg(tmp.path().join("cache"))
            .args(["-f", "json"])
            .envs(env.iter().copied())
            .output()
            .expect("runs");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            v["findings"].as_array().map_or(0, Vec::len),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (found, stderr) = sweep(&[]);
    assert_eq!(found, 1, "{stderr}");
    assert!(!stderr.contains("gitleaks"), "{stderr}");
    let (found, stderr) = sweep(&[("GITLEAKS_CONFIG_TOML", allow_all)]);
    assert_eq!(found, 0, "{stderr}");
    assert!(stderr.contains("using $GITLEAKS_CONFIG_TOML"), "{stderr}");
}

/// `config import` without `--from` follows the same precedence: a config variable before the tree's file.
#[test]
fn config_import_reads_the_config_variables_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    tree(dir.path());
    std::fs::write(dir.path().join(".gitleaks.toml"), DECOY_TOML).expect("write");
    let (code, _, stderr) = run_in(
        dir.path(),
        &["config", "import"],
        &[("GITLEAKS_CONFIG_TOML", GITLEAKS_TOML)],
    );
    assert_eq!(code, 0, "{stderr}");
    let rules = std::fs::read_to_string(dir.path().join(".keysweep-rules.toml")).expect("rules");
    assert!(rules.contains("custom.acme-service-token"), "{rules}");
    assert!(!rules.contains("custom.decoy"), "{rules}");
}
