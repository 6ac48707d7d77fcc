//! Names backed by evidence, through the real binary: an EC P-256 key is an App Store Connect key only with
//! evidence (an `AuthKey_`/`ApiKey_` file name, App Store Connect or fastlane variables, a Key ID or Issuer ID
//! next to it, or an inventory entry), an APNs, Sign in with Apple, MusicKit or In-App Purchase key with theirs,
//! and a generic private key otherwise, each with its own revocation steps. Findings in test data carry
//! `context: "test"` one severity lower, and `--exclude-context test` (or `[scan] exclude_context`) leaves them
//! out. Every key is a FAKE generated from a seed.

use std::path::Path;

use serde_json::Value;

use crate::support::fake_provider::{Fake, finding_at, keysweep_in, read_json};
use crate::support::fakekeys::{example_key, p256, sha256_hex};

/// A key as a `\n`-escaped string (a `.env` or JSON value).
fn escaped(pem: &str) -> String {
    pem.trim_end().replace('\n', "\\n")
}

/// Writes `rel` under `root`, creating directories.
fn plant(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
    std::fs::write(p, text).expect("plant");
}

/// `scan` of `src` under `dir` with `args`: exit code and the JSON report.
fn scan_json(fake: &Fake, dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["scan", "src", "--no-ignore", "-f", "json", "-o", "r.json"];
    all.extend_from_slice(args);
    let (code, out, err) = keysweep_in(fake, dir, &all);
    let report = if code == 2 {
        Value::Null
    } else {
        read_json(&dir.join("r.json"))
    };
    (code, report, format!("{out}{err}"))
}

/// A tree with one P-256 key of every kind, each named only by what surrounds it.
fn apple_tree(src: &Path) {
    // An SSH host key (SEC1 PEM, as `ssh-keygen -t ecdsa -m PEM` writes it) in a vendored test suite.
    plant(
        src,
        "third_party/libfoo/tests/ssh_host_ecdsa_key",
        &example_key("key-p256-sec1-pem", "host-key"),
    );
    plant(src, "deploy/signing.pem", &p256("plain").0);
    plant(src, "ios/AuthKey_2X9R4HXF34.p8", &p256("asc").0);
    plant(
        src,
        "push/.env",
        &format!(
            "APNS_KEY_ID=ABCDE12345\nAPNS_TEAM_ID=TEAM123456\nAPNS_KEY=\"{}\"\n\
             ASC_KEY_ID=FGHIJ67890\nASC_ISSUER_ID=57246542-96fe-1a63-e053-0824d011072a\nASC_KEY=\"{}\"\n",
            escaped(&p256("apns").0),
            escaped(&p256("asc-next-to-apns").0)
        ),
    );
    plant(src, "store/SubscriptionKey_3Y8Q5JKL21.p8", &p256("iap").0);
    plant(
        src,
        "web/auth.json",
        &format!(
            "{{\"signInWithApple\": {{\"keyId\": \"SIWA123456\", \"privateKey\": \"{}\"}}}}\n",
            escaped(&p256("siwa").0)
        ),
    );
    plant(
        src,
        "music/musickit.yml",
        &format!(
            "musickit:\n  key_id: MUSIC12345\n  private_key: \"{}\"\n",
            escaped(&p256("music").0)
        ),
    );
}

#[test]
fn a_p256_key_is_named_by_its_evidence_and_an_ssh_host_key_in_tests_gets_no_app_store_connect_steps()
 {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    apple_tree(&src);
    let (code, report, text) = scan_json(&fake, dir.path(), &[]);
    assert_eq!(code, 1, "{text}");
    let named = |path: &str| {
        let f = finding_at(&report, path);
        (
            f["rule_id"].as_str().unwrap_or_default().to_string(),
            f["severity"].as_str().unwrap_or_default().to_string(),
            f["key"]["key_id"].as_str().map(str::to_string),
        )
    };
    let host = finding_at(&report, "third_party/libfoo/tests/ssh_host_ecdsa_key");
    assert_eq!(host["rule_id"], "private-key.pem", "{host:#}");
    assert_eq!(host["context"], "test");
    assert_eq!(host["severity"], "medium", "one step below the rule's high");
    let plain = finding_at(&report, "deploy/signing.pem");
    assert_eq!(
        plain["rule_id"], "private-key.pem",
        "no evidence: a generic key"
    );
    assert!(
        plain.get("context").is_none(),
        "absent outside test data: {plain:#}"
    );
    assert_eq!(
        named("ios/AuthKey_2X9R4HXF34.p8"),
        (
            "app-store-connect.p8".into(),
            "high".into(),
            Some("2X9R4HXF34".into())
        )
    );
    // Two keys in one file, each named by the evidence and the ids next to it.
    let asc = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["locations"][0]["path"] == "push/.env" && f["locations"][0]["line"] == 6)
        .expect("the App Store Connect key of push/.env");
    assert_eq!(asc["rule_id"], "app-store-connect.p8", "{asc:#}");
    assert_eq!(asc["key"]["key_id"], "FGHIJ67890");
    assert_eq!(
        asc["key"]["issuer_id"],
        "57246542-96fe-1a63-e053-0824d011072a"
    );
    assert_eq!(
        named("push/.env"),
        (
            "apple-apns.p8".into(),
            "high".into(),
            Some("ABCDE12345".into())
        )
    );
    assert_eq!(
        named("store/SubscriptionKey_3Y8Q5JKL21.p8"),
        (
            "apple-in-app-purchase.p8".into(),
            "high".into(),
            Some("3Y8Q5JKL21".into())
        )
    );
    assert_eq!(named("web/auth.json").0, "apple-sign-in.p8");
    assert_eq!(named("music/musickit.yml").0, "apple-musickit.p8");

    // The revocation plan gives each kind its own page; only the two App Store Connect keys get its steps.
    let (_, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &["revoke", "--findings", "r.json", "--root", "src"],
    );
    assert_eq!(
        out.matches("App Store Connect API → Team Keys").count(),
        2,
        "{out}{err}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("manual  apple-apns ") && l.contains("key_id=ABCDE12345")),
        "{out}"
    );
    assert!(
        out.contains("Certificates, Identifiers & Profiles → Keys → click ABCDE12345"),
        "{out}"
    );
    assert!(out.contains("Integrations → In-App Purchase"), "{out}");
    assert!(out.contains("manual  private-key"), "{out}");
    assert!(
        out.contains("public key is trusted (its public_key_sha256 names it): SSH authorized_keys"),
        "a generic key gets what replacing a key takes: {out}"
    );
    assert!(fake.seen().is_empty(), "manual steps call nothing");
}

#[test]
fn an_inventory_entry_names_a_key_the_text_says_nothing_about() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (pem, spki, _) = p256("inventoried-bare");
    plant(&dir.path().join("src"), "certs/server.key", &pem);
    plant(
        dir.path(),
        "keys.toml",
        &format!(
            "[[key]]\nprovider = \"app-store-connect\"\nkey_id = \"2X9R4HXF34\"\npublic_key_sha256 = \"{}\"\n",
            sha256_hex(&spki)
        ),
    );
    let (code, report, text) = scan_json(&fake, dir.path(), &["--inventory", "keys.toml"]);
    assert_eq!(code, 1, "{text}");
    let f = finding_at(&report, "certs/server.key");
    assert_eq!(f["rule_id"], "app-store-connect.p8", "{f:#}");
    assert_eq!(f["provider"], "app-store-connect");
    assert_eq!(f["inventory"]["matched_by"], "public_key");
}

#[test]
fn exclude_context_test_leaves_test_data_out_by_flag_or_config() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    plant(&src, "testdata/server.pem", &p256("fixture").0);
    plant(&src, "spec/fixtures/client.pem", &p256("spec").0);
    // git's test directory, `t/`, in a vendored copy.
    plant(&src, "vendor/git/t/lib-httpd/ssl.pem", &p256("git-t").0);
    let (code, report, _) = scan_json(&fake, dir.path(), &[]);
    assert_eq!(code, 1, "still reported by default");
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(3));
    // Lowered to medium: `--fail-on high` lets them pass.
    let (code, _, text) = scan_json(&fake, dir.path(), &["--fail-on", "high"]);
    assert_eq!(code, 0, "{text}");
    let (code, report, text) = scan_json(&fake, dir.path(), &["--exclude-context", "test"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["findings"], Value::Array(vec![]));
    assert_eq!(report["summary"]["suppressed"], 3);
    // A real leak next to them still fails the scan.
    plant(&src, "deploy/prod.pem", &p256("prod").0);
    plant(
        src.parent().expect("dir"),
        "src/.keysweep.toml",
        "[scan]\nexclude_context = [\"test\"]\n",
    );
    let (code, report, text) = scan_json(&fake, dir.path(), &[]);
    assert_eq!(code, 1, "{text}");
    let paths: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| &f["locations"][0]["path"])
        .collect();
    assert_eq!(paths, [&Value::from("deploy/prod.pem")]);
    plant(
        &src,
        ".keysweep.toml",
        "[scan]\nexclude_context = [\"tests\"]\n",
    );
    let (code, _, text) = scan_json(&fake, dir.path(), &[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("exclude_context") && text.contains("\"tests\""),
        "{text}"
    );
    let (code, _, text) = scan_json(&fake, dir.path(), &["--exclude-context", "vendor"]);
    assert_eq!(code, 2, "{text}");
}

#[test]
fn sarif_markdown_and_github_reports_show_the_test_context() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    plant(&dir.path().join("src"), "tests/key.pem", &p256("reports").0);
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &[
            "scan",
            "src",
            "--report",
            "sarif=r.sarif",
            "--report",
            "markdown=r.md",
            "-f",
            "github",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let sarif = read_json(&dir.path().join("r.sarif"));
    let props = &sarif["runs"][0]["results"][0]["properties"];
    assert_eq!(props["context"], "test", "{props:#}");
    assert_eq!(props["severity"], "medium");
    let md = std::fs::read_to_string(dir.path().join("r.md")).expect("markdown");
    assert!(md.contains("| medium (test context) |"), "{md}");
    assert!(out.contains("Severity lowered: test context."), "{out}");
}

#[test]
fn keys_fingerprint_writes_an_in_app_purchase_entry_for_a_subscription_key_file() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    plant(
        dir.path(),
        "SubscriptionKey_3Y8Q5JKL21.p8",
        &p256("iap-entry").0,
    );
    plant(dir.path(), "AuthKey_2X9R4HXF34.p8", &p256("asc-entry").0);
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &[
            "keys",
            "fingerprint",
            "--format",
            "toml",
            "SubscriptionKey_3Y8Q5JKL21.p8",
            "AuthKey_2X9R4HXF34.p8",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "provider = \"apple-in-app-purchase\"\nkey_id = \"3Y8Q5JKL21\"\npublic_key_sha256"
        ),
        "{out}"
    );
    assert!(
        out.contains("provider = \"app-store-connect\"\nkey_id = \"2X9R4HXF34\"\n# issuer_id"),
        "{out}"
    );
    plant(dir.path(), "keys.toml", &out);
    let (code, out, err) = keysweep_in(&fake, dir.path(), &["inventory", "check", "keys.toml"]);
    assert_eq!(code, 0, "the entries are a valid inventory: {out}{err}");
}
