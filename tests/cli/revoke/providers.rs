//! Each provider's revocation API through the real binary: GitHub, GitLab, Slack and npm revoke themselves (an
//! already-revoked answer is success), App Store Connect and Userplane are manual with a liveness probe (a
//! signed ES256 JWT for App Store Connect, team and individual keys), a generic HTTP provider revokes with
//! organisation credentials; 429s, 500s, timeouts and malformed answers are retried or reported, a rejected
//! credential names its environment variable, and the loopback guard refuses real hosts.

use std::time::Duration;

use super::{acme_config, secret_entry};
use crate::support::fake_provider::{AscKey, Fake, Fault, Root, run};
use crate::support::fakekeys;

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

#[test]
fn app_store_connect_is_manual_and_verify_proves_liveness_with_a_signed_jwt_but_not_death() {
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
    let (code, out, _) = run(root.revoke(&fake, &[]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("manual  app-store-connect  key_id=2X9R4HXF34 fingerprint={fp} matched_by=public_key (strong)")), "{out}");
    assert!(
        out.contains("Team Keys") && out.contains("Revoke Key"),
        "{out}"
    );
    assert!(fake.seen().is_empty());
    // --verify-only (or --verify without --yes): probed, audited, nothing revoked; live, so exit 1.
    let (code, out, err) = run(root.revoke(&fake, &["--verify"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("Verify only"), "{out}");
    assert!(
        out.contains(
            "live             app-store-connect  key_id=2X9R4HXF34: GET /v1/apps?limit=1: 200"
        ),
        "{out}"
    );
    let log = std::fs::read_to_string(root.audit()).expect("every probe is audited");
    assert!(
        log.contains("\"action\":\"probe\"") && log.contains("\"outcome\":\"live\""),
        "{log}"
    );
    assert!(log.contains("\"event\":\"intent\""), "{log}");
    // With --yes --verify: the fake checks the JWT and says live.
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--verify"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("Liveness now: GET /v1/apps?limit=1: 200 (key works), 3499 requests left"),
        "{out}"
    );
    // The operator revokes it: Apple's 401 is the same for a revoked key and for wrong ids, so the next
    // --verify does not call it dead; it says which inventory fields to check, and the key stays open (exit 1).
    fake.state
        .asc
        .lock()
        .expect("lock")
        .get_mut("2X9R4HXF34")
        .expect("key")
        .live = false;
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--verify"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("proves it dead"), "{out}");
    assert!(out.contains("401, not proven dead"), "{out}");
    assert!(out.contains("key_id, issuer_id and kind"), "{out}");
    assert_eq!(fake.count("GET", "/v1/apps"), 3);
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
