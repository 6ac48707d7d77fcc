//! The story of the key that started keysweep: an App Store Connect `.p8` key committed as a file, pasted into a
//! JSON config with `\n` escapes, and stored base64-encoded in a `.env` — scanned with the real binary, it is one
//! finding with its Key ID, Issuer ID and the public-key fingerprint OpenSSL gives. Keys are generated at test
//! time (deterministic example generators), never committed.

use std::path::Path;

use serde_json::Value;

use crate::support::fakekeys::{example_key, sha256_hex};
use crate::support::{KeyParse, keysweep, parse_private_key, program, seeded_bytes};

const KEY_ID: &str = "2X9R4HXF34";
const ISSUER_ID: &str = "57246542-96fe-1a63-e053-0824d011072a";

/// `scan DIR --format json`, parsed; asserts the exit code.
fn scan_json(dir: &Path, code: i32) -> Value {
    let out = keysweep()
        .args(["scan", "--format", "json"])
        .arg(dir)
        .output()
        .expect("keysweep runs");
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

fn paths(finding: &Value) -> Vec<&str> {
    finding["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| l["path"].as_str().expect("path"))
        .collect()
}

/// `openssl pkey -pubout -outform DER | sha256sum` of a PEM file, when openssl is installed.
fn openssl_public_key_sha256(pem_file: &Path) -> Option<String> {
    let out = program("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(pem_file)
        .output()
        .ok()?;
    out.status.success().then(|| sha256_hex(&out.stdout))
}

fn library_public_key_sha256(candidate: &str) -> String {
    match parse_private_key(candidate.as_bytes()) {
        KeyParse::Parsed(k) => k.public_key_sha256,
        other => panic!("not a key: {other:?}"),
    }
}

#[test]
fn auth_key_file_is_one_validated_finding_with_its_key_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pem = example_key("key-p256-pkcs8-pem", "story");
    let file = dir.path().join(format!("AuthKey_{KEY_ID}.p8"));
    std::fs::write(&file, &pem).expect("write key");

    let report = scan_json(dir.path(), 1);
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    let f = &found[0];
    assert_eq!(f["rule_id"], "app-store-connect.p8");
    assert_eq!(f["provider"], "app-store-connect");
    assert_eq!(f["validated"], true);
    assert_eq!(f["key"]["key_id"], KEY_ID);
    assert_eq!(f["key"]["algorithm"], "ec-p256");
    // The armourless-body rule also matches inside the PEM: still one location.
    assert_eq!(paths(f), vec![format!("AuthKey_{KEY_ID}.p8").as_str()]);
    assert_eq!(
        (
            f["locations"][0]["line"].as_u64(),
            f["locations"][0]["column"].as_u64()
        ),
        (Some(1), Some(1))
    );
    // Never the key itself in the report.
    assert!(
        !report
            .to_string()
            .contains(&pem.lines().nth(1).expect("body line")[8..])
    );

    let want = openssl_public_key_sha256(&file).unwrap_or_else(|| {
        eprintln!("openssl not on PATH: comparing with the library instead");
        library_public_key_sha256(&pem)
    });
    assert_eq!(f["key"]["public_key_sha256"], want.as_str());
}

#[test]
fn the_same_key_escaped_in_json_and_base64_in_env_is_the_same_finding() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(format!("AuthKey_{KEY_ID}.p8")),
        example_key("key-p256-pkcs8-pem", "story"),
    )
    .expect("write key");
    let escaped = example_key("key-p256-pkcs8-escaped", "story");
    std::fs::write(
        dir.path().join("api_key.json"),
        format!(
            "{{\n  \"key_id\": \"{KEY_ID}\",\n  \"issuer_id\": \"{ISSUER_ID}\",\n  \"key\": \"{escaped}\",\n  \"in_house\": false\n}}\n"
        ),
    )
    .expect("write json");
    let b64 = example_key("key-b64-p256-pkcs8-pem", "story");
    std::fs::write(
        dir.path().join(".env"),
        format!("ASC_ISSUER_ID={ISSUER_ID}\nASC_PRIVATE_KEY_B64={b64}\nOTHER=1\n"),
    )
    .expect("write env");

    let report = scan_json(dir.path(), 1);
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    let f = &found[0];
    assert_eq!(f["rule_id"], "app-store-connect.p8");
    assert_eq!(f["validated"], true);
    assert_eq!(f["key"]["key_id"], KEY_ID);
    assert_eq!(f["key"]["issuer_id"], ISSUER_ID);
    assert_eq!(
        paths(f),
        vec![".env", &format!("AuthKey_{KEY_ID}.p8"), "api_key.json"]
    );
    assert_eq!(f["occurrences"], 3);
    // Redacted: the PEM marker and four characters, whatever form the secret was read in.
    assert_eq!(f["secret"], "-----BEGIN PRIVATE KEY-----MIGT…(redacted)");
}

#[test]
fn json_alone_takes_key_id_and_issuer_from_the_neighbouring_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let escaped = example_key("key-p256-pkcs8-escaped-crlf", "json");
    std::fs::write(
        dir.path().join("fastlane.json"),
        format!(
            "{{\"keyId\": \"{KEY_ID}\",\n\"issuerId\": \"{ISSUER_ID}\",\n\"key\": \"{escaped}\"}}\n"
        ),
    )
    .expect("write json");
    let report = scan_json(dir.path(), 1);
    let f = &findings(&report)[0];
    assert_eq!(f["key"]["key_id"], KEY_ID);
    assert_eq!(f["key"]["issuer_id"], ISSUER_ID);
    assert_eq!(
        f["key"]["public_key_sha256"],
        library_public_key_sha256(&example_key("key-p256-pkcs8-pem", "json")).as_str()
    );
}

#[test]
fn other_private_keys_are_private_key_findings_not_app_store_connect() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("rsa.pem"),
        example_key("key-rsa-pkcs8-pem", "o"),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("id_ed25519"),
        example_key("key-ed25519-openssh", "o"),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("enc.pem"),
        example_key("key-encrypted-pkcs8-pem", "o"),
    )
    .expect("write");
    let report = scan_json(dir.path(), 1);
    let found = findings(&report);
    let by_path = |p: &str| {
        found
            .iter()
            .find(|f| paths(f) == vec![p])
            .unwrap_or_else(|| panic!("no finding in {p}: {report:#}"))
    };
    assert_eq!(found.len(), 3, "{report:#}");
    assert_eq!(by_path("rsa.pem")["rule_id"], "private-key.pem");
    assert_eq!(by_path("rsa.pem")["key"]["algorithm"], "rsa");
    assert_eq!(by_path("id_ed25519")["key"]["algorithm"], "ed25519");
    let enc = by_path("enc.pem");
    assert_eq!(enc["rule_id"], "private-key.pem-encrypted");
    assert_eq!(enc["severity"], "medium");
    assert_eq!(enc["validated"], false);
}

#[test]
fn placeholders_public_keys_and_certificates_are_clean() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("README.md"),
        "Put your key in `AuthKey_XXXXXXXXXX.p8`:\n\n```\n-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----\n```\n\n\
         or `\"key\": \"-----BEGIN PRIVATE KEY-----\\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg...\\n-----END PRIVATE KEY-----\"`\n",
    )
    .expect("write");
    // The public half of a generated key, and a certificate-shaped block of the same bytes.
    let spki = match parse_private_key(example_key("key-p256-pkcs8-pem", "pub").as_bytes()) {
        KeyParse::Parsed(k) => k.spki_der,
        other => panic!("not a key: {other:?}"),
    };
    let body = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &spki);
    std::fs::write(
        dir.path().join("cert.pem"),
        format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"),
    )
    .expect("write");
    let report = scan_json(dir.path(), 0);
    assert!(findings(&report).is_empty(), "{report:#}");
}

#[test]
fn keys_fingerprint_prints_path_key_id_and_public_key_sha256() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p8 = dir.path().join(format!("AuthKey_{KEY_ID}.p8"));
    std::fs::write(&p8, example_key("key-p256-pkcs8-pem", "fp")).expect("write");
    let env = dir.path().join("ci.env");
    std::fs::write(
        &env,
        format!(
            "ASC_PRIVATE_KEY_B64={}\n",
            example_key("key-b64-p256-pkcs8-pem", "fp")
        ),
    )
    .expect("write");
    let want = library_public_key_sha256(&example_key("key-p256-pkcs8-pem", "fp"));
    keysweep()
        .args(["keys", "fingerprint"])
        .arg(&p8)
        .arg(&env)
        .assert()
        .code(0)
        .stdout(format!(
            "{}\t{KEY_ID}\t{want}\n{}\t-\t{want}\n",
            p8.display(),
            env.display()
        ));

    // A file that is missing or holds no key is named on stderr; the others are still printed; exit 2.
    let missing = dir.path().join("missing.p8");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "no key here\n").expect("write");
    let out = keysweep()
        .args(["keys", "fingerprint"])
        .arg(&missing)
        .arg(&text)
        .arg(&p8)
        .output()
        .expect("keysweep runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.p8"), "{stderr}");
    assert!(stderr.contains("notes.txt"), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\t{KEY_ID}\t{want}\n", p8.display())
    );
}

#[test]
fn context_lines_never_show_a_neighbouring_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ec = example_key("key-p256-sec1-pem", "near");
    let rsa = example_key("key-rsa-pkcs1-pem", "near");
    std::fs::write(dir.path().join("both.pem"), format!("{ec}{rsa}")).expect("write");
    let out = keysweep()
        .arg("scan")
        .arg(dir.path())
        .output()
        .expect("keysweep runs");
    assert_eq!(out.status.code(), Some(1));
    let human = String::from_utf8_lossy(&out.stdout);
    assert_eq!(human.matches("(redacted)").count(), 4, "{human}");
    for line in ec.lines().chain(rsa.lines()) {
        if !line.starts_with("-----") {
            assert!(!human.contains(&line[..16]), "{line} shown in:\n{human}");
        }
    }
}

/// Large input (run by the benchmark script): megabytes of base64 between PEM markers, with and without an END
/// line, a base64-of-PEM blob and an escaped one-line variant are data, not keys — and the scan finishes.
#[test]
#[ignore = "large input; run by benches/compare.sh"]
fn megabytes_of_base64_between_markers_are_not_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blob = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        seeded_bytes("large", 6_000_000),
    );
    let wrapped: String = blob
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
        .collect();
    let write =
        |name: &str, text: String| std::fs::write(dir.path().join(name), text).expect("write");
    write(
        "no-end.txt",
        format!("-----BEGIN PRIVATE KEY-----\n{wrapped}"),
    );
    write(
        "end.txt",
        format!("-----BEGIN PRIVATE KEY-----\n{wrapped}-----END PRIVATE KEY-----\n"),
    );
    write(
        "escaped.json",
        format!(
            "{{\"k\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\"}}\n",
            wrapped.replace('\n', "\\n")
        ),
    );
    write(
        "b64.env",
        format!(
            "K={}\n",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("-----BEGIN PRIVATE KEY-----\n{wrapped}")
            )
        ),
    );
    write(
        "many.txt",
        "x = '-----BEGIN PRIVATE KEY-----'\n".repeat(200_000),
    );
    let out = keysweep()
        .args(["scan", "--max-file-size", "100MiB", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("keysweep runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `keys fingerprint --format toml` prints inventory entries: an App Store Connect key's is valid as printed,
/// and matches the key when a scan finds it.
#[test]
fn keys_fingerprint_as_toml_prints_inventory_entries_ready_to_paste() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p8 = dir.path().join(format!("AuthKey_{KEY_ID}.p8"));
    std::fs::write(&p8, example_key("key-p256-pkcs8-pem", "toml")).expect("write");
    let out = keysweep()
        .args(["keys", "fingerprint", "--format", "toml"])
        .arg(&p8)
        .output()
        .expect("keysweep runs");
    assert_eq!(out.status.code(), Some(0));
    let inventory = dir.path().join("keys.toml");
    std::fs::write(&inventory, &out.stdout).expect("write inventory");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("key_id = \"{KEY_ID}\"")), "{text}");
    keysweep()
        .args(["inventory", "check"])
        .arg(&inventory)
        .assert()
        .code(0);
    let out = keysweep()
        .args(["scan", "-f", "json", "--inventory"])
        .arg(&inventory)
        .arg(&p8)
        .output()
        .expect("keysweep runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        v["findings"][0]["inventory"]["matched_by"], "public_key",
        "{v:#}"
    );
}
