//! Revoke re-reads every secret where the findings file says it is, and revokes only what it can read back:
//! a file deleted from the tree (its git blob), a key only in history, an escaped `.p8` inside JSON, a token
//! in a zip member, and secrets in swept repositories (each in its own repository, many in one, or in the
//! mirrors a sweep of clone URLs left in its cache).

use super::{acme_keys_config, github_revocations, secret_entry};
use crate::support::fake_provider::{
    Fake, Root, finding_at, keysweep_cmd, keysweep_in, read_json, run,
};
use crate::support::fakekeys;
use crate::support::repo::TestRepo;

#[test]
fn a_secret_deleted_from_the_tree_is_re_read_from_its_git_blob() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "from-git", 20);
    fake.live(&gl);
    root.plant_token("old.env", "gitlab.pat", "gitlab", &gl);
    root.inventory_entry(&secret_entry("gitlab", "gl", &gl));
    // Commit the file, then delete it from the work tree: only the blob remains.
    TestRepo::init(root.path()).commit(0, "add fake credentials");
    std::fs::remove_file(root.path().join("old.env")).expect("rm");
    let (code, out, err) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(!fake.is_live(&gl));
}

#[test]
fn a_key_only_in_git_history_is_re_read_from_its_blob_and_revoked_through_the_http_provider() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = TestRepo::init(dir.path());
    let (pem, spki, _) = fakekeys::p256("history-only");
    repo.write("deploy/signing.pem", &pem);
    repo.write("README.md", "fake repository for a keysweep test\n");
    let introduced = repo.commit(0, "add deploy key (fake)").to_string();
    repo.remove("deploy/signing.pem");
    repo.commit(1, "remove deploy key");
    // Config and inventory are written after the commits, untracked, like an operator's local files.
    acme_keys_config(dir.path(), &fake);
    fake.state
        .acme_live
        .lock()
        .expect("lock")
        .insert("deploy-2024".into());
    std::fs::write(
        dir.path().join("keys.toml"),
        format!(
            "[[key]]\nprovider = \"acme-keys\"\nkey_id = \"deploy-2024\"\npublic_key_sha256 = \"{}\"\nowner = \"ops\"\n",
            fakekeys::sha256_hex(&spki)
        ),
    )
    .expect("inventory");
    // The tree alone has nothing; the history has the key.
    let (code, out, err) = keysweep_in(&fake, dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &[
            "scan",
            ".",
            "--history",
            "-f",
            "json",
            "-o",
            "findings.json",
            "--inventory",
            "keys.toml",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report = read_json(&dir.path().join("findings.json"));
    let f = finding_at(&report, "deploy/signing.pem");
    assert_eq!(f["locations"][0]["commit"], introduced);
    assert_eq!(f["locations"][0]["in_head"], false);
    assert_eq!(f["inventory"]["key_id"], "deploy-2024");
    assert_eq!(f["inventory"]["matched_by"], "public_key");
    let mut cmd = keysweep_cmd(&fake);
    cmd.current_dir(dir.path())
        .args([
            "revoke",
            "--findings",
            "findings.json",
            "--inventory",
            "keys.toml",
            "--yes",
        ])
        .env("ACME_KEYS_TOKEN", "org-secret-fake");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("revoke  acme-keys          key_id=deploy-2024"),
        "{out}"
    );
    assert!(out.contains("revoked          acme-keys"), "{out}");
    assert_eq!(fake.count("DELETE", "/keys/deploy-2024"), 1);
    assert_eq!(fake.seen().len(), 1);
    let log = std::fs::read_to_string(dir.path().join(".keysweep-audit.jsonl")).expect("audit log");
    assert!(
        !log.contains("PRIVATE KEY") && !log.contains(pem.lines().nth(2).expect("a PEM body line")),
        "audit log holds the key"
    );
}

#[test]
fn an_escaped_p8_inside_json_is_re_read_and_revoked_through_the_http_provider() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    acme_keys_config(dir.path(), &fake);
    fake.state
        .acme_live
        .lock()
        .expect("lock")
        .insert("signing-7".into());
    let (pem, spki, _) = fakekeys::p256("escaped-json");
    std::fs::create_dir_all(dir.path().join("fastlane")).expect("mkdir");
    std::fs::write(
        dir.path().join("fastlane/api_key.json"),
        format!(
            "{{\"key_id\": \"2X9R4HXF34\", \"issuer_id\": \"57246542-96fe-1a63-e053-0824d011072a\", \
             \"key\": \"{}\", \"in_house\": false}}\n",
            pem.replace('\n', "\\n")
        ),
    )
    .expect("plant");
    std::fs::write(
        dir.path().join("keys.toml"),
        format!(
            "[[key]]\nprovider = \"acme-keys\"\nkey_id = \"signing-7\"\npublic_key_sha256 = \"{}\"\n",
            fakekeys::sha256_hex(&spki)
        ),
    )
    .expect("inventory");
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &["scan", "fastlane", "-f", "json", "-o", "findings.json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report = read_json(&dir.path().join("findings.json"));
    let f = finding_at(&report, "api_key.json");
    assert_eq!(f["key"]["public_key_sha256"], fakekeys::sha256_hex(&spki));
    let middle = pem.lines().nth(2).expect("a PEM body line");
    assert!(
        !report.to_string().contains(middle),
        "the findings file holds the key body"
    );
    let mut cmd = keysweep_cmd(&fake);
    cmd.current_dir(dir.path())
        .args([
            "revoke",
            "--findings",
            "findings.json",
            "--inventory",
            "keys.toml",
        ])
        .args(["--root", "fastlane", "--config", ".keysweep.toml", "--yes"])
        .env("ACME_KEYS_TOKEN", "org-secret-fake");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("matched_by=public_key (strong)"), "{out}");
    assert!(out.contains("revoked          acme-keys"), "{out}");
    assert_eq!(fake.count("DELETE", "/keys/signing-7"), 1);
    assert_eq!(fake.seen().len(), 1);
    assert!(
        !fake
            .state
            .acme_live
            .lock()
            .expect("lock")
            .contains("signing-7")
    );
}

#[test]
fn a_token_inside_a_zip_is_re_read_from_the_archive_and_revoked() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let token = fakekeys::ghp("in-a-zip");
    fake.live(&token);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("conf/ci.env", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    std::io::Write::write_all(
        &mut zip,
        format!("# FAKE test token\nGH_TOKEN={token}\n").as_bytes(),
    )
    .expect("zip write");
    let bytes = zip.finish().expect("zip finish").into_inner();
    std::fs::write(dir.path().join("bundle.zip"), bytes).expect("plant");
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &["scan", ".", "-f", "json", "-o", "findings.json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report = read_json(&dir.path().join("findings.json"));
    let f = finding_at(&report, "bundle.zip");
    assert_eq!(f["rule_id"], "github.pat");
    assert_eq!(f["locations"][0]["member"], "conf/ci.env");
    assert_eq!(f["locations"][0]["line"], 2);
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

/// `sweep --dir repos -o report.json` in `dir` (which must find something), then `revoke --root repos --yes`
/// from that report with `inventory.toml`: the report and the revoke's exit code, stdout and stderr.
fn sweep_dir_then_revoke(
    fake: &Fake,
    dir: &std::path::Path,
) -> (serde_json::Value, (i32, String, String)) {
    let (code, out, err) = keysweep_in(
        fake,
        dir,
        &["sweep", "--dir", "repos", "-f", "json", "-o", "report.json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report = read_json(&dir.join("report.json"));
    let revoked = keysweep_in(
        fake,
        dir,
        &[
            "revoke",
            "--findings",
            "report.json",
            "--inventory",
            "inventory.toml",
            "--root",
            "repos",
            "--audit-log",
            "audit.jsonl",
            "--yes",
        ],
    );
    (report, revoked)
}

#[test]
fn revoke_from_a_sweep_report_re_reads_each_secret_in_its_own_repository() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let repos = dir.path().join("repos");
    let mut inventory = String::new();
    let mut tokens = Vec::new();
    // The same path in both repositories; in the second the file is gone from the work tree, so only its
    // blob remains.
    for name in ["team-a/api", "team-b/web"] {
        let token = fakekeys::token("glpat-", name, 20);
        fake.live(&token);
        let repo = repos.join(name);
        std::fs::create_dir_all(&repo).expect("mkdir");
        std::fs::write(
            repo.join("deploy.env"),
            format!("# fake token for a keysweep test\nGITLAB_TOKEN={token}\n"),
        )
        .expect("plant");
        TestRepo::init(&repo).commit(0, "add fake credentials");
        inventory.push_str(&format!(
            "[[key]]\n{}\n",
            secret_entry("gitlab", name, &token)
        ));
        tokens.push(token);
    }
    std::fs::remove_file(repos.join("team-b/web/deploy.env")).expect("rm");
    std::fs::write(dir.path().join("inventory.toml"), inventory).expect("inventory");
    let (report, (code, out, err)) = sweep_dir_then_revoke(&fake, dir.path());
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(2),
        "{report:#}"
    );
    assert_eq!(code, 0, "{out}{err}");
    for token in &tokens {
        assert!(!fake.is_live(token), "revoked: {out}{err}");
    }
    // The plan names each location's repository: the same path is in both.
    for repo in ["team-a/api", "team-b/web"] {
        assert!(
            out.contains(&format!("seen at {repo}: deploy.env:2")),
            "{out}"
        );
    }
}

#[test]
fn revoke_from_a_sweep_report_re_reads_many_locations_in_one_repository() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repos/team-a/api");
    std::fs::create_dir_all(repo.join("ci")).expect("mkdir");
    let tokens: Vec<String> = ["one", "two", "three"]
        .iter()
        .map(|seed| fakekeys::token("glpat-", seed, 20))
        .collect();
    // The first token in three files (one of them then deleted, so only its blob has it), the others in one
    // file together: five locations of three findings, all in one repository.
    let env = |ts: &[&String]| {
        let mut text = "# fake tokens for a keysweep test\n".to_string();
        for (i, t) in ts.iter().enumerate() {
            text.push_str(&format!("GITLAB_TOKEN_{i}={t}\n"));
        }
        text
    };
    let files = [
        ("deploy.env", env(&[&tokens[0]])),
        ("ci/staging.env", env(&[&tokens[0]])),
        ("old.env", env(&[&tokens[0]])),
        ("ci/prod.env", env(&[&tokens[1], &tokens[2]])),
    ];
    for (path, text) in &files {
        std::fs::write(repo.join(path), text).expect("plant");
    }
    TestRepo::init(&repo).commit(0, "add fake credentials");
    std::fs::remove_file(repo.join("old.env")).expect("rm");
    let mut inventory = String::new();
    for (i, token) in tokens.iter().enumerate() {
        fake.live(token);
        inventory.push_str(&format!(
            "[[key]]\n{}\n",
            secret_entry("gitlab", &format!("api-{i}"), token)
        ));
    }
    std::fs::write(dir.path().join("inventory.toml"), inventory).expect("inventory");
    let (report, (code, out, err)) = sweep_dir_then_revoke(&fake, dir.path());
    let findings = report["findings"].as_array().expect("findings");
    let locations: usize = findings
        .iter()
        .map(|f| f["locations"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!((findings.len(), locations), (3, 5), "{report:#}");
    assert!(
        findings
            .iter()
            .flat_map(|f| f["locations"].as_array().expect("locations"))
            .all(|l| l["repository"] == "team-a/api"),
        "{report:#}"
    );
    assert_eq!(code, 0, "{out}{err}");
    for token in &tokens {
        assert!(!fake.is_live(token), "revoked: {out}{err}");
    }
    assert_eq!(
        fake.count("DELETE", "/api/v4/personal_access_tokens/self"),
        3,
        "each key once"
    );
}

#[test]
fn revoke_from_a_sweep_of_clone_urls_reads_the_mirrors_in_the_cache() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = dir.path().join("origin");
    std::fs::create_dir_all(&origin).expect("mkdir");
    let token = fakekeys::token("glpat-", "mirrored", 20);
    fake.live(&token);
    std::fs::write(
        origin.join("ci.env"),
        format!("# fake token for a keysweep test\nGITLAB_TOKEN={token}\n"),
    )
    .expect("plant");
    TestRepo::init(&origin).commit(0, "add fake credentials");
    let url = format!("file://{}", origin.display());
    std::fs::write(dir.path().join("repos.txt"), format!("{url}\n")).expect("list");
    std::fs::write(
        dir.path().join("inventory.toml"),
        format!("[[key]]\n{}", secret_entry("gitlab", "mirrored", &token)),
    )
    .expect("inventory");
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &[
            "sweep",
            "--repos",
            "repos.txt",
            "--cache-dir",
            "cache",
            "-f",
            "json",
            "-o",
            "report.json",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(
        report["findings"][0]["locations"][0]["repository"], url,
        "{report:#}"
    );
    // The origin goes away; the mirror in the cache still has the blob.
    std::fs::remove_dir_all(&origin).expect("rm origin");
    let revoke = |extra: &[&str]| {
        let mut args = vec![
            "revoke",
            "--findings",
            "report.json",
            "--inventory",
            "inventory.toml",
            "--audit-log",
            "audit.jsonl",
            "--yes",
        ];
        args.extend_from_slice(extra);
        keysweep_in(&fake, dir.path(), &args)
    };
    // The report recorded where the mirror was; once the cache has moved, --cache-dir says where it is now.
    std::fs::rename(dir.path().join("cache"), dir.path().join("moved")).expect("move the cache");
    let (code, out, err) = revoke(&["--cache-dir", "elsewhere"]);
    assert_ne!(code, 0, "no mirror there: {out}{err}");
    assert!(fake.is_live(&token));
    assert!(
        err.contains("no git repository at") || out.contains("no git repository at"),
        "{out}{err}"
    );
    let (code, out, err) = revoke(&["--cache-dir", "moved"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!fake.is_live(&token));
}
