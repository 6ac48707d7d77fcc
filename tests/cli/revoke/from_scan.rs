//! Revoking what a scan found: `scan -o findings.json` then `revoke --findings` for a scanned GitHub token
//! (only with `--include-unlisted` when no inventory lists it), and `scan --revoke` in one step (the plan from
//! the scan itself, `--yes` to carry it out, each key probed once with `--verify` and not revoked when found
//! dead).

use super::{acme_config, github_revocations, secret_entry};
use crate::support::fake_provider::{
    Fake, Root, finding_at, keysweep_cmd, keysweep_in, read_json, run,
};
use crate::support::fakekeys;

#[test]
fn a_scanned_github_token_is_revoked_end_to_end_only_with_include_unlisted() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let token = fakekeys::ghp("e2e-unlisted");
    fake.live(&token);
    std::fs::write(
        dir.path().join("deploy.sh"),
        format!("#!/bin/sh\n# fake token for a keysweep test\nexport GITHUB_TOKEN={token}\n"),
    )
    .expect("plant");
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &["scan", ".", "-f", "json", "-o", "findings.json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report = read_json(&dir.path().join("findings.json"));
    let f = finding_at(&report, "deploy.sh");
    assert_eq!(f["rule_id"], "github.pat");
    assert_eq!(f["validated"], true, "the generated checksum is valid");
    let text = report.to_string();
    assert!(
        !text.contains(&token),
        "the findings file holds the raw token"
    );
    // Not in any inventory: reported, not revoked.
    let revoke = |extra: &[&str]| {
        let mut args = vec!["revoke", "--findings", "findings.json", "--yes"];
        args.extend_from_slice(extra);
        keysweep_in(&fake, dir.path(), &args)
    };
    let (code, out, err) = revoke(&[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("manual  github"), "{out}");
    assert!(out.contains("--include-unlisted"), "{out}");
    assert!(fake.seen().is_empty(), "called {:?}", fake.seen());
    assert!(fake.is_live(&token));
    // With --include-unlisted: the token is re-read from deploy.sh and sent once, alone.
    let (code, out, err) = revoke(&["--include-unlisted"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("revoked          github"), "{out}");
    assert_eq!(github_revocations(&fake, &token), vec![vec![token.clone()]]);
    assert_eq!(fake.seen().len(), 1, "{:?}", fake.seen());
    assert!(!fake.is_live(&token));
    let log = std::fs::read_to_string(dir.path().join(".keysweep-audit.jsonl"))
        .expect("the default audit log in the current directory");
    assert!(!log.contains(&token), "audit log holds the token");
    assert!(log.contains(f["fingerprint"].as_str().expect("fingerprint")));
    // Run again: the audit log says done, nothing is called.
    let (code, out, err) = revoke(&["--include-unlisted"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(fake.seen().len(), 1);
}

#[test]
fn scan_revoke_plans_from_the_scan_itself_and_yes_carries_it_out() {
    let fake = Fake::start();
    *fake.state.acme_token.lock().expect("lock") = "org-secret-fake".into();
    fake.state
        .acme_live
        .lock()
        .expect("lock")
        .insert("deploy-key".into());
    let root = Root::new();
    let (pem, _, _) = fakekeys::p256("scan-revoke");
    root.write("src/deploy.pem", &pem);
    let cfg = acme_config(&root, &fake);
    let secret = pem.trim_end();
    std::fs::write(
        root.path().join("inventory.toml"),
        format!(
            "[[key]]\nprovider = \"acme-keys\"\nkey_id = \"deploy-key\"\nsecret_sha256 = \"{}\"\n",
            fakekeys::sha256_hex(secret.as_bytes())
        ),
    )
    .expect("inventory");
    let scan = |yes: bool| {
        let mut cmd = keysweep_cmd(&fake);
        cmd.current_dir(root.path())
            .args([
                "scan",
                "src",
                "--format",
                "json",
                "--inventory",
                "inventory.toml",
                "--config",
            ])
            .arg(&cfg)
            .args(["--revoke", "--audit-log", "audit.jsonl"])
            .env("ACME_KEYS_TOKEN", "org-secret-fake");
        if yes {
            cmd.arg("--yes");
        }
        run(cmd)
    };
    let (code, out, err) = scan(false);
    assert_eq!(code, 1, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report on stdout");
    assert_eq!(
        report["findings"][0]["inventory"]["matched_by"],
        "secret_hash"
    );
    assert_eq!(report["findings"][0]["inventory"]["key_id"], "deploy-key");
    assert!(err.contains("revoke  acme-keys"), "{err}");
    assert!(fake.seen().is_empty());
    let (code, _, err) = scan(true);
    assert_eq!(code, 1, "findings still count: {err}");
    assert!(err.contains("revoked          acme-keys"), "{err}");
    assert_eq!(fake.count("DELETE", "/keys/deploy-key"), 1);
}

#[test]
fn scan_revoke_yes_revokes_a_listed_github_token_in_one_step_and_leaves_unlisted_ones() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let listed = fakekeys::ghp("one-step-listed");
    let unlisted = fakekeys::ghp("one-step-unlisted");
    fake.live(&listed);
    fake.live(&unlisted);
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    std::fs::write(
        dir.path().join("src/ci.env"),
        format!("# fake tokens for a keysweep test\nGH_CI={listed}\nGH_OTHER={unlisted}\n"),
    )
    .expect("plant");
    std::fs::write(
        dir.path().join("inventory.toml"),
        format!(
            "[[key]]\nprovider = \"github\"\nkey_id = \"ci-bot\"\nsecret_sha256 = \"{}\"\nowner = \"platform\"\n",
            fakekeys::sha256_hex(listed.as_bytes())
        ),
    )
    .expect("inventory");
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "src",
            "-f",
            "json",
            "--inventory",
            "inventory.toml",
            "--revoke",
            "--audit-log",
            "audit.jsonl",
        ];
        args.extend_from_slice(extra);
        keysweep_in(&fake, dir.path(), &args)
    };
    // Without --yes: the plan on stderr, the report on stdout, nothing called.
    let (code, out, err) = scan(&[]);
    assert_eq!(code, 1, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report on stdout");
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(2),
        "{report:#}"
    );
    assert!(err.contains("dry-run, nothing will be called"), "{err}");
    assert!(
        err.contains("revoke  github             key_id=ci-bot"),
        "{err}"
    );
    assert!(fake.seen().is_empty());
    // With --yes: the listed token is revoked once; the unlisted one is only reported.
    let (code, out, err) = scan(&["--yes"]);
    assert_eq!(code, 1, "findings still count: {out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report on stdout");
    let hits: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["inventory"]["key_id"].clone())
        .collect();
    assert!(hits.contains(&serde_json::json!("ci-bot")), "{report:#}");
    assert!(
        err.contains("revoked          github             key_id=ci-bot"),
        "{err}"
    );
    assert!(err.contains("keysweep revoke --include-unlisted"), "{err}");
    assert_eq!(
        github_revocations(&fake, &listed),
        vec![vec![listed.clone()]]
    );
    assert!(github_revocations(&fake, &unlisted).is_empty());
    assert!(!fake.is_live(&listed));
    assert!(fake.is_live(&unlisted));
    let log = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("audit log");
    assert!(
        !log.contains(&listed) && !log.contains(&unlisted),
        "audit log holds a token"
    );
}

#[test]
fn scan_verify_revoke_probes_each_key_once_and_skips_keys_found_dead() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let live = fakekeys::token("glpat-", "verify-once-live", 20);
    let dead = fakekeys::token("glpat-", "verify-once-dead", 20);
    fake.live(&live);
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    std::fs::write(
        dir.path().join("src/ci.env"),
        format!("# fake tokens for a keysweep test\nGL_A={live}\nGL_B={dead}\n"),
    )
    .expect("plant");
    std::fs::write(
        dir.path().join("inventory.toml"),
        format!(
            "[[key]]\n{}\n[[key]]\n{}\n",
            secret_entry("gitlab", "gl-live", &live),
            secret_entry("gitlab", "gl-dead", &dead)
        ),
    )
    .expect("inventory");
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &[
            "scan",
            "src",
            "-f",
            "json",
            "--inventory",
            "inventory.toml",
            "--verify",
            "--revoke",
            "--yes",
            "--audit-log",
            "audit.jsonl",
        ],
    );
    assert_eq!(code, 1, "findings still count: {out}{err}");
    let probes = |token: &str| fake.count_with("GET", "/api/v4/personal_access_tokens/self", token);
    assert_eq!(probes(&live), 1, "the scan's probe is the only one: {err}");
    assert_eq!(probes(&dead), 1, "{err}");
    let deletes =
        |token: &str| fake.count_with("DELETE", "/api/v4/personal_access_tokens/self", token);
    assert_eq!(deletes(&live), 1, "{err}");
    assert_eq!(
        deletes(&dead),
        0,
        "a key the scan found dead is not revoked: {err}"
    );
    assert!(!fake.is_live(&live));
    assert!(
        err.contains("already_revoked") || err.contains("already revoked"),
        "{err}"
    );
}

/// A file name that is not UTF-8 is reported exactly (`path_bytes`), so revoke re-reads the secret from it.
#[cfg(unix)]
#[test]
fn a_non_utf8_file_name_round_trips_from_the_report_to_revoke() {
    use std::os::unix::ffi::OsStrExt;
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let token = fakekeys::ghp("non-utf8-name");
    fake.live(&token);
    let name = std::ffi::OsStr::from_bytes(b"deploy-\xff\xfe.sh");
    std::fs::write(
        dir.path().join(name),
        format!("# fake token for a keysweep test\nexport GITHUB_TOKEN={token}\n"),
    )
    .expect("plant");
    // A valid name that differs only in the bytes a lossy decoding would replace: must not be confused.
    std::fs::write(
        dir.path().join("deploy-\u{FFFD}\u{FFFD}.sh"),
        "nothing here\n",
    )
    .expect("decoy");
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &["scan", ".", "-f", "json", "-o", "findings.json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report = read_json(&dir.path().join("findings.json"));
    let loc = &report["findings"][0]["locations"][0];
    assert_eq!(loc["path"], "deploy-\u{FFFD}\u{FFFD}.sh", "{report:#}");
    assert_eq!(loc["path_bytes"], "ZGVwbG95Lf/+LnNo", "{report:#}");
    // Human output shows the raw bytes escaped.
    let (_, out, _) = keysweep_in(&fake, dir.path(), &["scan", ".", "-f", "human"]);
    assert!(out.contains("deploy-\\xff\\xfe.sh"), "{out}");
    // SARIF names the file by its exact bytes, percent-encoded.
    let (_, out, _) = keysweep_in(&fake, dir.path(), &["scan", ".", "-f", "sarif"]);
    assert!(out.contains("deploy-%FF%FE.sh"), "{out}");
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &[
            "revoke",
            "--findings",
            "findings.json",
            "--yes",
            "--include-unlisted",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(github_revocations(&fake, &token), vec![vec![token.clone()]]);
}

/// The security team's journey as shipped: scan a service directory of a repository from one place, revoke
/// from another. The report records where each path is (repository-relative paths, an absolute root), so the
/// revoke re-reads every secret, matches the App Store Connect key to its inventory entry by public key, and
/// revokes the listed token; a report whose files are gone is an error that says how to point revoke at them.
#[test]
fn scan_then_revoke_from_another_directory_re_reads_every_secret() {
    let fake = Fake::start();
    let work = tempfile::tempdir().expect("tempdir");
    let repo = work.path().join("project");
    let api = repo.join("services/api");
    std::fs::create_dir_all(&api).expect("mkdir");
    crate::support::repo::TestRepo::init(&repo);
    let token = fakekeys::token("glpat-", "elsewhere", 20);
    fake.live(&token);
    std::fs::write(
        api.join("app.env"),
        format!("# fake token for a keysweep test\nGITLAB_TOKEN={token}\n"),
    )
    .expect("plant");
    let (pem, spki, _) = fakekeys::p256("elsewhere-asc");
    std::fs::write(api.join("AuthKey_ABCDE12345.p8"), &pem).expect("plant key");
    let ops = work.path().join("ops");
    std::fs::create_dir_all(&ops).expect("mkdir");
    std::fs::write(
        ops.join("inventory.toml"),
        format!(
            "[[key]]\n{}\n[[key]]\nprovider = \"app-store-connect\"\nkey_id = \"ABCDE12345\"\n\
             public_key_sha256 = \"{}\"\nowner = \"ios\"\n",
            secret_entry("gitlab", "gl-api", &token),
            fakekeys::sha256_hex(&spki)
        ),
    )
    .expect("inventory");
    // Scanned from the repository's parent, naming the service directory.
    let (code, out, err) = keysweep_in(
        &fake,
        work.path(),
        &[
            "scan",
            "project/services/api",
            "-f",
            "json",
            "-o",
            "ops/findings.json",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report = read_json(&ops.join("findings.json"));
    let f = finding_at(&report, "services/api/app.env");
    assert_eq!(
        f["locations"][0]["root"],
        repo.canonicalize()
            .expect("canonical")
            .to_string_lossy()
            .as_ref(),
        "paths are repository-relative, the root absolute: {report:#}"
    );
    // Revoked from the operations directory, which holds neither the repository nor its config.
    let args = [
        "revoke",
        "--findings",
        "findings.json",
        "--inventory",
        "inventory.toml",
        "--yes",
    ];
    let (code, out, err) = keysweep_in(&fake, &ops, &args);
    assert_eq!(
        code, 1,
        "the App Store Connect key stays manual: {out}{err}"
    );
    assert!(!out.contains("could not be re-read"), "{out}");
    assert!(
        out.contains("manual  app-store-connect  key_id=ABCDE12345")
            && out.contains("matched_by=public_key (strong)"),
        "{out}"
    );
    assert!(
        out.contains("revoked          gitlab             key_id=gl-api"),
        "{out}"
    );
    assert!(!fake.is_live(&token));
    // The repository moved away: nothing can be re-read, which is an error naming the fix.
    std::fs::rename(&repo, work.path().join("moved")).expect("move");
    let (code, out, err) = keysweep_in(&fake, &ops, &args);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("pass --root DIR"), "{out}");
    let mut with_root = args.to_vec();
    let moved = work.path().join("moved");
    with_root.extend(["--root", moved.to_str().expect("utf-8 path")]);
    let (code, out, err) = keysweep_in(&fake, &ops, &with_root);
    assert_eq!(code, 1, "re-read under --root: {out}{err}");
    assert!(!out.contains("could not be re-read"), "{out}");
}
