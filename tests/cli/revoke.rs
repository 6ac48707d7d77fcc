//! `keysweep revoke` and `scan --revoke` end to end: the real binary against fake providers on 127.0.0.1, with
//! generated FAKE tokens and keys planted in a temporary scan root.

use std::time::{Duration, Instant};

use crate::support::program;
use crate::support::repo::TestRepo;

use crate::support::fake_provider::{
    AscKey, Fake, Fault, Root, finding_at, keysweep_cmd, keysweep_in, read_json, run,
};
use crate::support::fakekeys;

fn secret_entry(provider: &str, key_id: &str, token: &str) -> String {
    format!(
        "provider = \"{provider}\"\nkey_id = \"{key_id}\"\nsecret_sha256 = \"{}\"\n",
        fakekeys::sha256_hex(token.as_bytes())
    )
}

#[test]
fn dry_run_prints_the_plan_and_calls_nothing() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "dry-gl", 20);
    let gh = fakekeys::token("ghp_", "dry-gh", 36);
    fake.live(&gl);
    fake.live(&gh);
    let fp = root.plant_token("ci/.env", "gitlab.pat", "gitlab", &gl);
    root.plant_token("deploy.sh", "github.pat", "github", &gh);
    root.inventory_entry(&secret_entry("gitlab", "gl-ci", &gl));
    root.inventory_entry(&secret_entry("github", "gh-deploy", &gh));
    let (code, out, err) = run(root.revoke(&fake, &[]));
    assert_eq!(code, 1, "a dry-run leaves keys exposed: {out}{err}");
    assert!(out.contains("dry-run, nothing will be called"), "{out}");
    assert!(out.contains(&format!("revoke  gitlab             key_id=gl-ci fingerprint={fp} matched_by=secret_hash (strong)")), "{out}");
    assert!(out.contains("key_id=gh-deploy"), "{out}");
    assert!(fake.seen().is_empty(), "dry-run called {:?}", fake.seen());
    assert!(fake.is_live(&gl) && fake.is_live(&gh));
    assert!(
        !out.contains(&gl) && !out.contains(&gh),
        "plan printed a secret"
    );
}

#[test]
fn revokes_inventory_tokens_with_every_self_revoking_provider_and_audits_without_secrets() {
    let fake = Fake::start();
    let mut root = Root::new();
    let tokens = [
        (
            "gitlab",
            "gitlab.pat",
            fakekeys::token("glpat-", "all-gl", 20),
        ),
        (
            "github",
            "github.pat",
            fakekeys::token("ghp_", "all-gh", 36),
        ),
        (
            "slack",
            "slack.bot-token",
            fakekeys::token("xoxb-", "all-sl", 40),
        ),
        ("npm", "npm.token", fakekeys::token("npm_", "all-npm", 36)),
    ];
    for (i, (provider, rule, token)) in tokens.iter().enumerate() {
        fake.live(token);
        root.plant_token(&format!("f{i}.env"), rule, provider, token);
        root.inventory_entry(&secret_entry(provider, &format!("{provider}-key"), token));
    }
    let (code, out, err) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(code, 0, "{out}{err}");
    for (provider, _, token) in &tokens {
        assert!(!fake.is_live(token), "{provider} token still live");
        assert!(
            out.contains(&format!("revoked          {provider}")),
            "{out}"
        );
    }
    assert_eq!(fake.count("POST", "/credentials/revoke"), 1);
    assert_eq!(
        fake.count("DELETE", "/api/v4/personal_access_tokens/self"),
        1
    );
    assert_eq!(fake.count("POST", "/auth.revoke"), 1);
    assert_eq!(fake.count("DELETE", "/-/npm/v1/tokens/token/"), 1);
    let log = std::fs::read_to_string(root.audit()).expect("audit log");
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"event\":\"intent\""))
            .count(),
        4
    );
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"outcome\":\"revoked\""))
            .count(),
        4
    );
    for (_, _, token) in &tokens {
        assert!(
            !log.contains(token.as_str()),
            "audit log holds a raw secret"
        );
    }
    // A second run finds them done in the log and calls nothing.
    let before = fake.seen().len();
    let (code, out, _) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(code, 0);
    assert!(out.contains("done in an earlier run"), "{out}");
    assert_eq!(fake.seen().len(), before);
}

#[test]
fn already_revoked_answers_are_success() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "gone-gl", 20);
    let sl = fakekeys::token("xoxp-", "gone-sl", 40);
    root.plant_token("a.env", "gitlab.pat", "gitlab", &gl);
    root.plant_token("b.env", "slack.user-token", "slack", &sl);
    root.inventory_entry(&secret_entry("gitlab", "gl", &gl));
    root.inventory_entry(&secret_entry("slack", "sl", &sl));
    let (code, out, err) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("already_revoked").count(), 2, "{out}");
}

#[test]
fn unlisted_tokens_are_revoked_only_with_include_unlisted() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "unlisted", 20);
    fake.live(&gl);
    root.plant_token("x.env", "gitlab.pat", "gitlab", &gl);
    let (code, out, err) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("--include-unlisted"), "{out}");
    assert!(fake.seen().is_empty(), "an unlisted key was acted on");
    assert!(fake.is_live(&gl));
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--include-unlisted"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(!fake.is_live(&gl));
}

#[test]
fn retries_429_with_retry_after_500s_and_timeouts() {
    let fake = Fake::start();
    let mut root = Root::new();
    let a = fakekeys::token("glpat-", "retry-a", 20);
    let b = fakekeys::token("xoxb-", "retry-b", 40);
    let c = fakekeys::token("npm_", "retry-c", 36);
    for t in [&a, &b, &c] {
        fake.live(t);
    }
    root.plant_token("a.env", "gitlab.pat", "gitlab", &a);
    root.plant_token("b.env", "slack.bot-token", "slack", &b);
    root.plant_token("c.env", "npm.token", "npm", &c);
    root.inventory_entry(&secret_entry("gitlab", "a", &a));
    root.inventory_entry(&secret_entry("slack", "b", &b));
    root.inventory_entry(&secret_entry("npm", "c", &c));
    fake.fault(
        "DELETE /api/v4/personal_access_tokens/self",
        vec![Fault::Status(
            429,
            vec![("retry-after", "1".into())],
            "{\"message\":\"slow down\"}".into(),
        )],
    );
    let five_hundred = Fault::Status(500, vec![], "oops".into());
    fake.fault(
        "POST /auth.revoke",
        vec![five_hundred.clone(), five_hundred],
    );
    fake.fault(
        "DELETE /-/npm/v1/tokens/token/",
        vec![Fault::Delay(Duration::from_secs(5))],
    );
    let mut cmd = root.revoke(&fake, &["--yes"]);
    cmd.env("KEYSWEEP_HTTP_TIMEOUT_MS", "300");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        fake.count("DELETE", "/api/v4/personal_access_tokens/self"),
        2
    );
    assert_eq!(fake.count("POST", "/auth.revoke"), 3);
    assert_eq!(fake.count("DELETE", "/-/npm/v1/tokens/token/"), 2);
    assert!(!fake.is_live(&a) && !fake.is_live(&b) && !fake.is_live(&c));
}

#[test]
fn malformed_answers_and_exhausted_retries_are_failures() {
    let fake = Fake::start();
    let mut root = Root::new();
    let sl = fakekeys::token("xoxb-", "malformed", 40);
    let gl = fakekeys::token("glpat-", "always-500", 20);
    fake.live(&sl);
    fake.live(&gl);
    root.plant_token("s.env", "slack.bot-token", "slack", &sl);
    root.plant_token("g.env", "gitlab.pat", "gitlab", &gl);
    root.inventory_entry(&secret_entry("slack", "s", &sl));
    root.inventory_entry(&secret_entry("gitlab", "g", &gl));
    fake.fault(
        "POST /auth.revoke",
        vec![Fault::Status(200, vec![], "<html>not json".into())],
    );
    fake.fault(
        "DELETE /api/v4/personal_access_tokens/self",
        vec![Fault::Status(503, vec![], "down".into()); 5],
    );
    let (code, out, err) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("auth.revoke: malformed answer"), "{out}");
    assert!(
        out.contains("unexpected HTTP 503 (retries exhausted)"),
        "{out}"
    );
    assert_eq!(
        fake.count("DELETE", "/api/v4/personal_access_tokens/self"),
        5
    );
}

fn acme_config(root: &Root, fake: &Fake) -> std::path::PathBuf {
    let cfg = format!(
        "[providers.acme-keys]\nkind = \"http\"\nmethod = \"DELETE\"\nurl = \"{}/keys/{{key_id}}\"\n\
         headers = {{ Authorization = \"Bearer ${{ACME_KEYS_TOKEN}}\" }}\nrevoked = [204]\nalready_revoked = [404]\n",
        fake.base
    );
    let p = root.path().join("keysweep.toml");
    std::fs::write(&p, cfg).expect("config");
    p
}

#[test]
fn generic_http_provider_revokes_with_org_credentials_and_names_the_env_var_on_401() {
    let fake = Fake::start();
    *fake.state.acme_token.lock().expect("lock") = "org-secret-fake".into();
    fake.state
        .acme_live
        .lock()
        .expect("lock")
        .insert("svc-17".into());
    let mut root = Root::new();
    let tok = fakekeys::token("acme_", "acme", 32);
    root.plant_token("svc.env", "generic.api-key", "generic", &tok);
    root.inventory_entry(&secret_entry("acme-keys", "svc-17", &tok));
    let cfg = acme_config(&root, &fake);
    let mut cmd = root.revoke(&fake, &["--yes", "--config"]);
    cmd.arg(&cfg).env("ACME_KEYS_TOKEN", "wrong-fake");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("fix the environment variable ACME_KEYS_TOKEN"),
        "{out}"
    );
    let mut cmd = root.revoke(&fake, &["--yes", "--config"]);
    cmd.arg(&cfg).env("ACME_KEYS_TOKEN", "org-secret-fake");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("DELETE"), "{out}");
    assert!(
        !fake
            .state
            .acme_live
            .lock()
            .expect("lock")
            .contains("svc-17")
    );
    assert_eq!(fake.count("DELETE", "/keys/svc-17"), 2);
}

#[test]
fn app_store_connect_is_manual_and_verify_proves_liveness_with_a_signed_jwt() {
    let fake = Fake::start();
    let mut root = Root::new();
    let (pem, spki, spki_pem) = fakekeys::p256("asc-team");
    let issuer = "57246542-96fe-1a63-e053-0824d011072a";
    fake.state.asc.lock().expect("lock").insert(
        "2X9R4HXF34".into(),
        AscKey {
            public_pem: spki_pem,
            issuer: Some(issuer.into()),
            live: true,
        },
    );
    let fp = root.plant_key("ios/renamed.p8", &pem, &spki, "2X9R4HXF34");
    root.inventory_entry(&format!(
        "provider = \"app-store-connect\"\nkey_id = \"2X9R4HXF34\"\nissuer_id = \"{issuer}\"\nkind = \"team\"\n\
         public_key_sha256 = \"{}\"\nowner = \"ci-signing\"",
        fakekeys::sha256_hex(&spki)
    ));
    // Dry-run: manual steps, no call.
    let (code, out, _) = run(root.revoke(&fake, &["--verify"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("manual  app-store-connect  key_id=2X9R4HXF34 fingerprint={fp} matched_by=public_key (strong)")), "{out}");
    assert!(
        out.contains("Team Keys") && out.contains("Revoke Key"),
        "{out}"
    );
    assert!(fake.seen().is_empty());
    // With --yes --verify: the fake checks the JWT and says live.
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--verify"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("Liveness now: GET /v1/apps?limit=1: 200 (key works), 3499 requests left"),
        "{out}"
    );
    // The operator revokes it; the next --verify proves it dead.
    fake.state
        .asc
        .lock()
        .expect("lock")
        .get_mut("2X9R4HXF34")
        .expect("key")
        .live = false;
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--verify"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("probe proves it dead"), "{out}");
    assert_eq!(fake.count("GET", "/v1/apps"), 2);
}

#[test]
fn userplane_is_manual_and_its_probe_reads_error_codes_and_retries_rate_limits() {
    let fake = Fake::start();
    let mut root = Root::new();
    let live = fakekeys::token("uspl_", "up-live", 32);
    let gone = fakekeys::token("uspl_", "up-gone", 32);
    fake.live(&live);
    root.plant_token("a.env", "userplane.api-key", "userplane", &live);
    root.plant_token("b.env", "userplane.api-key", "userplane", &gone);
    root.inventory_entry(&secret_entry("userplane", "up-1", &live));
    root.inventory_entry(&secret_entry("userplane", "up-2", &gone));
    fake.fault(
        "GET /api/v1/public/me",
        vec![Fault::Status(
            429,
            vec![("retry-after", "0".into())],
            "{\"code\":\"RATE_LIMITED\"}".into(),
        )],
    );
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--verify"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("Account Settings → Developers"), "{out}");
    assert!(out.contains("type REVOKE"), "{out}");
    assert!(out.contains("API_KEY_INVALID"), "{out}");
    assert!(out.contains("GET /public/me: 200"), "{out}");
    assert_eq!(fake.count("GET", "/api/v1/public/me"), 3);
}

#[test]
fn a_run_killed_after_its_intent_resumes_and_revokes_each_key_once() {
    let fake = Fake::start();
    let mut root = Root::new();
    let stuck = fakekeys::token("glpat-", "kill-stuck", 20);
    let fine = fakekeys::token("glpat-", "kill-fine", 20);
    fake.live(&stuck);
    fake.live(&fine);
    fake.state
        .stall_revoke
        .lock()
        .expect("lock")
        .insert(stuck.clone());
    let fp_stuck = root.plant_token("a.env", "gitlab.pat", "gitlab", &stuck);
    let fp_fine = root.plant_token("b.env", "gitlab.pat", "gitlab", &fine);
    root.inventory_entry(&secret_entry("gitlab", "stuck", &stuck));
    root.inventory_entry(&secret_entry("gitlab", "fine", &fine));
    let mut cmd = root.revoke(&fake, &["--yes"]);
    cmd.env("KEYSWEEP_HTTP_TIMEOUT_MS", "600000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn keysweep");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = std::fs::read_to_string(root.audit()).unwrap_or_default();
        let stuck_intent = log
            .lines()
            .any(|l| l.contains(&fp_stuck) && l.contains("\"event\":\"intent\""));
        let fine_done = log
            .lines()
            .any(|l| l.contains(&fp_fine) && l.contains("\"outcome\":\"revoked\""));
        if stuck_intent && fine_done && fake.count_with("DELETE", "/api/v4", &stuck) == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first run never reached its stalled call: {log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill keysweep");
    let _ = child.wait();
    fake.state.stall_revoke.lock().expect("lock").clear();
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--resume"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("1 in doubt"), "{err}");
    assert!(
        out.contains("in doubt after an interrupted run; probe"),
        "{out}"
    );
    assert_eq!(
        fake.count_with("DELETE", "/api/v4", &stuck),
        1,
        "in-doubt key revoked twice"
    );
    assert_eq!(
        fake.count_with("DELETE", "/api/v4", &fine),
        1,
        "done key revoked twice"
    );
    assert_eq!(
        fake.count_with("GET", "/api/v4", &stuck),
        1,
        "in-doubt key not probed first"
    );
}

#[test]
fn the_loopback_guard_refuses_real_providers() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gh = fakekeys::token("ghp_", "guard", 36);
    root.plant_token("a.env", "github.pat", "github", &gh);
    root.inventory_entry(&secret_entry("github", "gh", &gh));
    let mut cmd = root.revoke(&fake, &["--yes"]);
    cmd.env("KEYSWEEP_GITHUB_URL", "https://api.github.com");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("refused to call https://api.github.com/credentials/revoke"),
        "{out}"
    );
    assert!(
        out.contains("KEYSWEEP_LOOPBACK_ONLY=1 allows only loopback hosts"),
        "{out}"
    );
}

#[test]
fn a_findings_file_is_never_trusted() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "tamper", 20);
    fake.live(&gl);
    root.plant_token("a.env", "gitlab.pat", "gitlab", &gl);
    root.inventory_entry(&secret_entry("gitlab", "gl", &gl));
    // The file now holds another token: the recorded fingerprint no longer matches anything there.
    root.write(
        "a.env",
        &format!("TOKEN = \"{}\"\n", fakekeys::token("glpat-", "other", 20)),
    );
    // And a key id written into the findings file selects no inventory key: ids are re-derived on re-read.
    let other = fakekeys::token("glpat-", "forged-id", 20);
    fake.live(&other);
    root.plant_token("b.env", "gitlab.pat", "gitlab", &other);
    root.findings[1]["key"] = serde_json::json!({"key_id": "gl-org", "issuer_id": null,
                                                 "public_key_sha256": null});
    root.inventory_entry("provider = \"gitlab\"\nkey_id = \"gl-org\"");
    let (code, out, err) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("could not be re-read and checked against the fingerprint"),
        "{out}"
    );
    assert!(
        !out.contains("key_id=gl-org"),
        "a forged key id matched: {out}"
    );
    assert!(
        out.contains("not in the inventory (`keysweep revoke --include-unlisted` revokes it)"),
        "{out}"
    );
    assert!(fake.seen().is_empty());
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
fn individual_app_store_connect_keys_sign_with_sub_user() {
    let fake = Fake::start();
    let mut root = Root::new();
    let (pem, spki, spki_pem) = fakekeys::p256("asc-individual");
    fake.state.asc.lock().expect("lock").insert(
        "IND1234567".into(),
        AscKey {
            public_pem: spki_pem,
            issuer: None,
            live: true,
        },
    );
    root.plant_key("AuthKey_IND1234567.p8", &pem, &spki, "IND1234567");
    root.inventory_entry(&format!(
        "provider = \"app-store-connect\"\nkey_id = \"IND1234567\"\nkind = \"individual\"\npublic_key_sha256 = \"{}\"",
        fakekeys::sha256_hex(&spki)
    ));
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--verify", "--format", "json"]));
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON outcomes");
    let item = &v["items"][0];
    assert_eq!(item["action"], "manual");
    assert_eq!(item["outcome"]["outcome"], "manual_required");
    let steps = item["outcome"]["steps"].to_string();
    assert!(steps.contains("Individual API Key"), "{steps}");
    assert!(
        steps.contains("200 (key works)"),
        "the fake accepted the sub=user JWT: {steps}"
    );
    assert!(
        !out.contains("BEGIN PRIVATE KEY"),
        "JSON output holds no key"
    );
}

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
fn github_rejecting_our_configured_token_names_its_env_var() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gh = fakekeys::token("ghp_", "gh-401", 36);
    fake.live(&gh);
    root.plant_token("a.env", "github.pat", "github", &gh);
    root.inventory_entry(&secret_entry("github", "gh", &gh));
    let cfg = root.path().join("keysweep.toml");
    std::fs::write(
        &cfg,
        "[providers.github]\ntoken_env = \"GH_REVOKE_TOKEN\"\n",
    )
    .expect("config");
    fake.fault(
        "POST /credentials/revoke",
        vec![Fault::Status(
            401,
            vec![],
            "{\"message\":\"Bad credentials\"}".into(),
        )],
    );
    let mut cmd = root.revoke(&fake, &["--yes", "--config"]);
    cmd.arg(&cfg)
        .env("GH_REVOKE_TOKEN", "expired-org-token-fake");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("fix the token in GH_REVOKE_TOKEN"), "{out}");
    assert!(fake.seen()[0].auth.contains("expired-org-token-fake"));
    assert!(fake.is_live(&gh));
}

/// The GitHub requests that carried `token` in a credential revocation body, and how many tokens each held.
fn github_revocations(fake: &Fake, token: &str) -> Vec<Vec<String>> {
    fake.seen()
        .iter()
        .filter(|s| s.method == "POST" && s.path == "/credentials/revoke")
        .map(|s| {
            let v: serde_json::Value = serde_json::from_str(&s.body).expect("JSON body");
            v["credentials"]
                .as_array()
                .expect("credentials array")
                .iter()
                .map(|c| c.as_str().expect("string").to_string())
                .collect::<Vec<_>>()
        })
        .filter(|creds| creds.iter().any(|c| c == token))
        .collect()
}

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

fn acme_keys_config(dir: &std::path::Path, fake: &Fake) {
    std::fs::write(
        dir.join(".keysweep.toml"),
        format!(
            "[providers.acme-keys]\nkind = \"http\"\nmethod = \"DELETE\"\nurl = \"{}/keys/{{key_id}}\"\n\
             headers = {{ Authorization = \"Bearer ${{ACME_KEYS_TOKEN}}\" }}\nrevoked = [204]\nalready_revoked = [404]\n",
            fake.base
        ),
    )
    .expect("config");
    *fake.state.acme_token.lock().expect("lock") = "org-secret-fake".into();
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

/// Shell-quotes one word.
fn sh_quote(s: &std::ffi::OsStr) -> String {
    format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"))
}

/// Runs `cmd` on a pseudo-terminal (util-linux `script`), typing `input`; `None` when `script` is missing.
fn run_on_terminal(cmd: &std::process::Command, input: &str) -> Option<(i32, String)> {
    use std::io::Write;
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let line: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(sh_quote)
        .collect();
    let mut term = program(script);
    term.args(["-qec", &line.join(" "), "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            term.env(k, v);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        term.current_dir(dir);
    }
    let mut child = term.spawn().ok()?;
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

#[test]
fn typing_revoke_at_the_terminal_prompt_carries_out_the_plan_and_anything_else_does_not() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "prompt-gl", 20);
    fake.live(&gl);
    root.plant_token("ci/.env", "gitlab.pat", "gitlab", &gl);
    root.inventory_entry(&secret_entry("gitlab", "gl-prompt", &gl));

    let Some((code, out)) = run_on_terminal(&root.revoke(&fake, &[]), "no\n") else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert!(out.contains("Type REVOKE to continue"), "{out}");
    assert_eq!(code, 1, "declined: the key stays exposed: {out}");
    assert!(fake.seen().is_empty(), "declining called {:?}", fake.seen());
    assert!(fake.is_live(&gl));

    let (code, out) =
        run_on_terminal(&root.revoke(&fake, &[]), "REVOKE\n").expect("script ran before");
    assert_eq!(code, 0, "{out}");
    assert!(!fake.is_live(&gl), "typing REVOKE revoked nothing: {out}");
    assert!(!out.contains(&gl), "the terminal showed the secret");
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
    let (code, out, err) = revoke(&["--cache-dir", "elsewhere"]);
    assert_ne!(code, 0, "no mirror there: {out}{err}");
    assert!(fake.is_live(&token));
    assert!(
        err.contains("no git repository at") || out.contains("no git repository at"),
        "{out}{err}"
    );
    let (code, out, err) = revoke(&["--cache-dir", "cache"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!fake.is_live(&token));
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
