//! `keysweep inventory check` and inventory matching in `scan` (with `--verify` against a fake App Store
//! Connect on 127.0.0.1), through the real binary. Keys are generated FAKE keys.

use crate::support::fake_provider::{
    AscKey, Fake, finding_at, keysweep_cmd, keysweep_in, read_json, run,
};
use crate::support::fakekeys;

fn check(dir: &std::path::Path, file: &str, contents: &str) -> (i32, String, String) {
    std::fs::write(dir.join(file), contents).expect("write inventory");
    let mut cmd = keysweep_cmd(&Fake::start());
    cmd.current_dir(dir).args(["inventory", "check", file]);
    run(cmd)
}

#[test]
fn a_clean_inventory_passes_in_toml_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hash = fakekeys::sha256_hex(b"fake");
    let (code, out, err) = check(
        dir.path(),
        "keys.toml",
        &format!(
            "[[key]]\nprovider = \"app-store-connect\"\nkey_id = \"2X9R4HXF34\"\nkind = \"team\"\n\
             issuer_id = \"57246542-96fe-1a63-e053-0824d011072a\"\npublic_key_sha256 = \"{hash}\"\nowner = \"ci\"\n\
             [[key]]\nprovider = \"userplane\"\nkey_id = \"up-1\"\nsecret_sha256 = \"{hash}\"\n"
        ),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 keys, no problems"), "{out}");
    let json_obj = format!(
        "{{\"key\": [{{\"provider\": \"github\", \"key_id\": \"a\", \"secret_sha256\": \"{hash}\"}}]}}"
    );
    let (code, out, err) = check(dir.path(), "keys.json", &json_obj);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = check(
        dir.path(),
        "array.json",
        "[{\"provider\": \"npm\", \"key_id\": \"n\"}]",
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn every_problem_names_the_entry_and_field_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = check(
        dir.path(),
        "keys.toml",
        "[[key]]\nprovider = \"github\"\nkey_id = \"dup\"\n\
         [[key]]\nprovider = \"github\"\nkey_id = \"dup\"\n\
         [[key]]\nprovider = \"gitlab\"\nkey_id = \"dup\"\n\
         [[key]]\nprovider = \"acme\"\nkey_id = \"x\"\n\
         [[key]]\nprovider = \"slack\"\nkey_id = \"h\"\nsecret_sha256 = \"ABCDEF\"\n\
         [[key]]\nprovider = \"app-store-connect\"\nkey_id = \"k\"\nkind = \"robot\"\n\
         [[key]]\nprovider = \"npm\"\n",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("entry 2 (key_id \"dup\"): key_id: duplicate of entry 1"),
        "{err}"
    );
    assert!(
        !err.contains("entry 3"),
        "same id under another provider is fine: {err}"
    );
    assert!(
        err.contains("entry 4 (key_id \"x\"): provider: unknown provider \"acme\""),
        "{err}"
    );
    assert!(
        err.contains("entry 5 (key_id \"h\"): secret_sha256: expected 64 lowercase hex digits"),
        "{err}"
    );
    assert!(
        err.contains("entry 6 (key_id \"k\"): kind: \"robot\" is not one of team, individual"),
        "{err}"
    );
    assert!(
        err.contains("entry 7 (key_id \"?\"): key_id: missing"),
        "{err}"
    );
}

#[test]
fn http_providers_from_the_config_are_known() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".keysweep.toml"),
        "[providers.acme]\nkind = \"http\"\nurl = \"http://127.0.0.1:9/keys/{key_id}\"\nrevoked = [204]\n",
    )
    .expect("config");
    let (code, out, err) = check(
        dir.path(),
        "keys.toml",
        "[[key]]\nprovider = \"acme\"\nkey_id = \"x\"\n",
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn scan_matches_a_renamed_key_to_the_inventory_and_verify_probes_it() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (pem, _spki, spki_pem) = fakekeys::p256("scan-verify");
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    std::fs::write(dir.path().join("src/renamed-key.txt.pem"), &pem).expect("plant");
    let issuer = "57246542-96fe-1a63-e053-0824d011072a";
    std::fs::write(
        dir.path().join("keys.json"),
        format!(
            "[{{\"provider\": \"app-store-connect\", \"key_id\": \"ABCDE12345\", \"issuer_id\": \"{issuer}\", \
             \"secret_sha256\": \"{}\", \"owner\": \"ios\"}}]",
            fakekeys::sha256_hex(pem.trim_end().as_bytes())
        ),
    )
    .expect("inventory");
    fake.state.asc.lock().expect("lock").insert(
        "ABCDE12345".into(),
        AscKey {
            public_pem: spki_pem,
            issuer: Some(issuer.into()),
            live: true,
        },
    );
    let scan = |extra: &[&str]| {
        let args = [
            &[
                "scan",
                "src",
                "--format",
                "json",
                "--inventory",
                "keys.json",
            ],
            extra,
        ]
        .concat();
        keysweep_in(&fake, dir.path(), &args)
    };
    let (code, out, err) = scan(&[]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let f = &v["findings"][0];
    assert_eq!(f["inventory"]["key_id"], "ABCDE12345");
    assert_eq!(f["inventory"]["owner"], "ios");
    assert_eq!(f["inventory"]["matched_by"], "secret_hash");
    assert_eq!(f["inventory"]["strength"], "strong");
    assert!(f["liveness"].is_null(), "no probe without --verify");
    assert!(fake.seen().is_empty());
    let (code, out, err) = scan(&["--verify"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["findings"][0]["liveness"]["status"], "live", "{out}");
    assert_eq!(fake.count("GET", "/v1/apps"), 1);
    // The probe sent the leaked key to its provider: the audit log (shared with `revoke`, in the current
    // directory) brackets it with an intent and an outcome, and holds no secret.
    let log = std::fs::read_to_string(dir.path().join(".keysweep-audit.jsonl")).expect("audit log");
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line"))
        .collect();
    assert_eq!(records.len(), 2, "{log}");
    assert_eq!(records[0]["event"], "intent");
    assert_eq!(records[1]["event"], "outcome");
    for r in &records {
        assert_eq!(r["action"], "probe");
        assert_eq!(r["provider"], "app-store-connect");
        assert_eq!(r["key_id"], "ABCDE12345");
        assert_eq!(r["fingerprint"], v["findings"][0]["fingerprint"]);
    }
    assert_eq!(records[1]["outcome"], "live");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(!log.contains(&body[..40]), "{log}");
    // An audit log that cannot be written: nothing is sent, the scan says why and exits 2.
    let (code, _out, err) = scan(&["--verify", "--audit-log", "no-such-dir/audit.jsonl"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("audit log"), "{err}");
    let probes = fake.count("GET", "/v1/apps");
    assert_eq!(probes, 1, "no probe without its audit record");
}

const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";
const OTHER_ISSUER: &str = "69a6de70-0000-47e3-e053-5b8c7c11a4d1";

/// fastlane's API key JSON: key id, issuer id and the key as a `\n`-escaped PEM.
fn fastlane_json(key_id: &str, issuer: &str, pem: &str) -> String {
    format!(
        "{{\"key_id\": \"{key_id}\", \"issuer_id\": \"{issuer}\", \"key\": \"{}\", \"in_house\": false}}\n",
        pem.replace('\n', "\\n")
    )
}

#[test]
fn a_p8_key_id_from_its_file_name_matches_weakly_and_with_its_issuer_strongly() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("ios")).expect("mkdir");
    std::fs::create_dir_all(src.join("fastlane")).expect("mkdir");
    // None of these keys' fingerprints is in the inventory: only key ids (and issuers) can match.
    let (by_name, _, _) = fakekeys::p256("id-from-file-name");
    let (with_issuer, _, _) = fakekeys::p256("id-and-issuer");
    let (other_team, _, _) = fakekeys::p256("same-id-other-issuer");
    let (replaced, _, _) = fakekeys::p256("same-id-other-key");
    let (_, inventoried_spki, _) = fakekeys::p256("the-inventoried-key");
    std::fs::write(src.join("ios/AuthKey_2X9R4HXF34.p8"), &by_name).expect("plant");
    std::fs::write(
        src.join("fastlane/api_key.json"),
        fastlane_json("3Y8Q5JKL21", ISSUER, &with_issuer),
    )
    .expect("plant");
    std::fs::write(
        src.join("fastlane/other_team.json"),
        fastlane_json("7TEAM7ID77", OTHER_ISSUER, &other_team),
    )
    .expect("plant");
    std::fs::write(src.join("ios/AuthKey_4K3Y1D0NLY.p8"), &replaced).expect("plant");
    std::fs::write(
        dir.path().join("keys.toml"),
        format!(
            "[[key]]\nprovider = \"app-store-connect\"\nkey_id = \"2X9R4HXF34\"\nissuer_id = \"{ISSUER}\"\nowner = \"ios\"\n\
             [[key]]\nprovider = \"app-store-connect\"\nkey_id = \"3Y8Q5JKL21\"\nissuer_id = \"{ISSUER}\"\nowner = \"fastlane\"\n\
             [[key]]\nprovider = \"app-store-connect\"\nkey_id = \"7TEAM7ID77\"\nissuer_id = \"{ISSUER}\"\n\
             [[key]]\nprovider = \"app-store-connect\"\nkey_id = \"4K3Y1D0NLY\"\npublic_key_sha256 = \"{}\"\n",
            fakekeys::sha256_hex(&inventoried_spki)
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
            "-o",
            "findings.json",
            "--inventory",
            "keys.toml",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report = read_json(&dir.path().join("findings.json"));
    // The key id comes from the AuthKey_<KEYID>.p8 name; no issuer near it: weak (Apple key ids share the
    // shape of Team IDs).
    let f = finding_at(&report, "ios/AuthKey_2X9R4HXF34.p8");
    assert_eq!(f["key"]["key_id"], "2X9R4HXF34", "{f:#}");
    assert_eq!(f["inventory"]["matched_by"], "key_id", "{f:#}");
    assert_eq!(f["inventory"]["strength"], "weak");
    assert_eq!(f["inventory"]["owner"], "ios");
    // Key id and issuer id both captured next to the key: strong.
    let f = finding_at(&report, "fastlane/api_key.json");
    assert_eq!(f["key"]["key_id"], "3Y8Q5JKL21", "{f:#}");
    assert_eq!(f["key"]["issuer_id"], ISSUER);
    assert_eq!(f["inventory"]["matched_by"], "key_id");
    assert_eq!(f["inventory"]["strength"], "strong");
    // The same key id under another issuer is another team's key.
    let f = finding_at(&report, "fastlane/other_team.json");
    assert_eq!(f["key"]["key_id"], "7TEAM7ID77");
    assert!(f["inventory"].is_null(), "{f:#}");
    // The same key id with a fingerprint that contradicts the inventory's is another key.
    let f = finding_at(&report, "ios/AuthKey_4K3Y1D0NLY.p8");
    assert_eq!(f["key"]["key_id"], "4K3Y1D0NLY");
    assert!(f["inventory"].is_null(), "{f:#}");
    // revoke re-derives the ids from the files and keeps the strengths (App Store Connect keys are manual).
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &[
            "revoke",
            "--findings",
            "findings.json",
            "--inventory",
            "keys.toml",
            "--root",
            "src",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("key_id=2X9R4HXF34"), "{out}");
    assert!(out.contains("matched_by=key_id (weak)"), "{out}");
    assert!(out.contains("matched_by=key_id (strong)"), "{out}");
    assert_eq!(out.matches("matched_by=key_id").count(), 2, "{out}");
    assert!(fake.seen().is_empty());
}

#[test]
fn a_renamed_p8_matches_by_the_fingerprint_keys_fingerprint_printed() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (pem, spki, _) = fakekeys::p256("renamed-p8");
    std::fs::write(dir.path().join("AuthKey_9Z8Y7X6W5V.p8"), &pem).expect("key");
    // The operator fingerprints the downloaded key once, for the inventory.
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &["keys", "fingerprint", "AuthKey_9Z8Y7X6W5V.p8"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let fields: Vec<&str> = out.trim_end().split('\t').collect();
    assert_eq!(
        fields,
        [
            "AuthKey_9Z8Y7X6W5V.p8",
            "9Z8Y7X6W5V",
            fakekeys::sha256_hex(&spki).as_str()
        ],
        "{out}"
    );
    std::fs::write(
        dir.path().join("keys.toml"),
        format!(
            "[[key]]\nprovider = \"app-store-connect\"\nkey_id = \"9Z8Y7X6W5V\"\nissuer_id = \"{ISSUER}\"\n\
             public_key_sha256 = \"{}\"\nowner = \"release\"\n",
            fields[2]
        ),
    )
    .expect("inventory");
    // Later the key turns up under another name, with no key id anywhere near it.
    std::fs::create_dir_all(dir.path().join("src/certs")).expect("mkdir");
    std::fs::write(dir.path().join("src/certs/signing.p8"), &pem).expect("plant");
    let (code, out, err) = keysweep_in(
        &fake,
        dir.path(),
        &["scan", "src", "-f", "json", "--inventory", "keys.toml"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    let f = finding_at(&report, "certs/signing.p8");
    assert!(f["key"]["key_id"].is_null(), "{f:#}");
    assert_eq!(f["key"]["public_key_sha256"], fields[2]);
    assert_eq!(f["inventory"]["key_id"], "9Z8Y7X6W5V");
    assert_eq!(f["inventory"]["owner"], "release");
    assert_eq!(f["inventory"]["matched_by"], "public_key");
    assert_eq!(f["inventory"]["strength"], "strong");
}

#[test]
fn userplane_tokens_match_by_secret_hash_verify_fills_liveness_and_only_live_keeps_live_keys() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let live = fakekeys::token("uspl_", "inv-live", 32);
    let dead = fakekeys::token("uspl_", "inv-dead", 32);
    fake.live(&live);
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    std::fs::write(
        dir.path().join("src/live.env"),
        format!("# fake token for a keysweep test\nUSERPLANE_API_KEY={live}\n"),
    )
    .expect("plant");
    std::fs::write(
        dir.path().join("src/dead.env"),
        format!("# fake token for a keysweep test\nUSERPLANE_API_KEY={dead}\n"),
    )
    .expect("plant");
    std::fs::write(
        dir.path().join("keys.toml"),
        format!(
            "[[key]]\nprovider = \"userplane\"\nkey_id = \"up-prod\"\nsecret_sha256 = \"{}\"\nowner = \"growth\"\n",
            fakekeys::sha256_hex(live.as_bytes())
        ),
    )
    .expect("inventory");
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "src", "-f", "json", "--inventory", "keys.toml"];
        args.extend_from_slice(extra);
        let (code, out, err) = keysweep_in(&fake, dir.path(), &args);
        assert_eq!(code, 1, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v
    };
    let report = scan(&[]);
    let f = finding_at(&report, "live.env");
    assert_eq!(f["rule_id"], "userplane.api-key");
    assert_eq!(f["inventory"]["key_id"], "up-prod");
    assert_eq!(f["inventory"]["matched_by"], "secret_hash");
    assert_eq!(f["inventory"]["strength"], "strong");
    assert!(f["liveness"].is_null(), "no probe without --verify");
    assert!(finding_at(&report, "dead.env")["inventory"].is_null());
    assert!(fake.seen().is_empty());
    // --verify: 200 → live, 401 API_KEY_INVALID → dead.
    let report = scan(&["--verify"]);
    let f = finding_at(&report, "live.env");
    assert_eq!(f["liveness"]["status"], "live", "{f:#}");
    let f = finding_at(&report, "dead.env");
    assert_eq!(f["liveness"]["status"], "dead", "{f:#}");
    assert!(
        f["liveness"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("API_KEY_INVALID")),
        "{f:#}"
    );
    assert_eq!(fake.count("GET", "/api/v1/public/me"), 2);
    assert_eq!(fake.count_with("GET", "/api/v1/public/me", &live), 1);
    assert!(!out_has_secret(&report, &[&live, &dead]));
    // --only-live (alias --only-verified) probes without --verify and keeps only the live key; the dead one
    // counts as suppressed.
    for flag in ["--only-live", "--only-verified"] {
        let report = scan(&[flag]);
        let findings = report["findings"].as_array().expect("findings");
        assert_eq!(findings.len(), 1, "{report:#}");
        assert_eq!(findings[0]["liveness"]["status"], "live");
        assert_eq!(report["summary"]["suppressed"], 1, "{report:#}");
    }
    assert_eq!(fake.count("GET", "/api/v1/public/me"), 6);
}

fn out_has_secret(report: &serde_json::Value, secrets: &[&str]) -> bool {
    let text = report.to_string();
    secrets.iter().any(|s| text.contains(s))
}
