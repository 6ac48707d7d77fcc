//! `scan --verify` with the catalogue probes (docs/verify.md), end to end: FAKE Stripe, OpenAI and Telegram
//! tokens in a tree, each provider's base URL pointed at the loopback fake through `KEYSWEEP_<ID>_URL`, and the
//! fake scripted to answer live, dead and broken. Nothing is sent without `--verify`, and no token reaches the
//! output.

use crate::support::fake_provider::{Fake, Fault, keysweep_cmd, run};
use crate::support::fakekeys::generated;

#[test]
fn scan_verify_probes_catalogue_providers_only_when_asked() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let stripe = format!("sk_test_51{}", generated("base62-97", "probe-stripe"));
    let openai = format!(
        "sk-proj-{}T3BlbkFJ{}",
        generated("b64url-74", "probe-oa1"),
        generated("b64url-74", "probe-oa2")
    );
    let telegram = format!(
        "{}:AA{}",
        generated("digits-10", "probe-tg1"),
        generated("b64url-33", "probe-tg2")
    );
    // A Stripe webhook signing secret authenticates no API call: nothing is sent for it, nothing audited.
    let webhook = format!("whsec_{}", generated("base62-32", "probe-whsec"));
    std::fs::create_dir(dir.path().join("src")).expect("mkdir");
    for (file, line) in [
        ("stripe.env", format!("STRIPE_SECRET_KEY={stripe}")),
        ("openai.env", format!("OPENAI_API_KEY={openai}")),
        ("telegram.env", format!("TELEGRAM_BOT_TOKEN={telegram}")),
        ("webhook.env", format!("STRIPE_WEBHOOK_SECRET={webhook}")),
    ] {
        std::fs::write(
            dir.path().join("src").join(file),
            format!("# fake credentials for a keysweep test\n{line}\n"),
        )
        .expect("plant");
    }
    let scan = |extra: &[&str]| {
        let mut cmd = keysweep_cmd(&fake);
        cmd.current_dir(dir.path())
            .env("KEYSWEEP_HTTP_ATTEMPTS", "1")
            .args(["scan", "src", "-f", "json"])
            .args(extra);
        for id in ["STRIPE", "OPENAI", "TELEGRAM"] {
            cmd.env(format!("KEYSWEEP_{id}_URL"), &fake.base);
        }
        let (code, out, err) = run(cmd);
        assert_eq!(code, 1, "{out}{err}");
        for secret in [&stripe, &openai, &telegram, &webhook] {
            assert!(
                !out.contains(secret.as_str()) && !err.contains(secret.as_str()),
                "{out}{err}"
            );
        }
        serde_json::from_str::<serde_json::Value>(&out).expect("json")
    };
    let liveness = |report: &serde_json::Value, provider: &str| {
        let f = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["provider"] == provider)
            .unwrap_or_else(|| panic!("no {provider} finding: {report:#}"));
        (
            f["liveness"]["status"]
                .as_str()
                .unwrap_or("null")
                .to_string(),
            f["liveness"]["detail"].as_str().unwrap_or("").to_string(),
        )
    };

    let report = scan(&[]);
    assert_eq!(liveness(&report, "stripe").0, "null");
    assert!(fake.seen().is_empty(), "a probe without --verify");

    fake.fault(
        "GET /v1/balance",
        vec![Fault::Status(200, vec![], "{}".into())],
    );
    fake.fault(
        "GET /v1/models",
        vec![Fault::Status(
            401,
            vec![],
            r#"{"error":{"code":"invalid_api_key"}}"#.into(),
        )],
    );
    fake.fault("GET /bot", vec![Fault::Status(500, vec![], "{}".into())]);
    let report = scan(&["--verify"]);
    let (status, detail) = liveness(&report, "stripe");
    assert_eq!(
        (status.as_str(), detail.starts_with("GET /v1/balance: 200")),
        ("live", true),
        "{detail}"
    );
    let (status, detail) = liveness(&report, "openai");
    assert_eq!(status, "dead", "{detail}");
    let (status, detail) = liveness(&report, "telegram");
    assert_eq!(status, "unknown", "{detail}");
    assert_eq!(fake.count_with("GET", "/v1/balance", &stripe), 1);
    assert_eq!(fake.count_with("GET", "/v1/models", &openai), 1);
    assert_eq!(fake.count_with("GET", "/bot", &telegram), 1);
    assert_eq!(fake.seen().len(), 3, "one request per probeable key");
    // The audit log brackets each request sent, and only those.
    let log = std::fs::read_to_string(dir.path().join(".keysweep-audit.jsonl")).expect("audit log");
    let providers: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("audit line"))
        .map(|r| {
            format!(
                "{} {}",
                r["event"].as_str().unwrap_or(""),
                r["provider"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(providers.len(), 6, "{log}");
    for p in ["stripe", "openai", "telegram"] {
        assert!(providers.contains(&format!("intent {p}")), "{log}");
        assert!(providers.contains(&format!("outcome {p}")), "{log}");
    }
    assert!(!log.contains(&webhook) && !log.contains(&stripe), "{log}");
}
