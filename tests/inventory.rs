//! `keysweep inventory check` and inventory matching in `scan` (with `--verify` against a fake App Store
//! Connect on 127.0.0.1), through the real binary. Keys are generated FAKE keys.

mod common;

use common::{AscKey, Fake, fake_p256, keysweep_cmd, run, sha256_hex};

fn check(dir: &std::path::Path, file: &str, contents: &str) -> (i32, String, String) {
    std::fs::write(dir.join(file), contents).expect("write inventory");
    let mut cmd = keysweep_cmd(&Fake::start());
    cmd.current_dir(dir).args(["inventory", "check", file]);
    run(cmd)
}

#[test]
fn a_clean_inventory_passes_in_toml_and_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hash = sha256_hex(b"fake");
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
    let (pem, _spki, spki_pem) = fake_p256("scan-verify");
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    std::fs::write(dir.path().join("src/renamed-key.txt.pem"), &pem).expect("plant");
    let issuer = "57246542-96fe-1a63-e053-0824d011072a";
    std::fs::write(
        dir.path().join("keys.json"),
        format!(
            "[{{\"provider\": \"app-store-connect\", \"key_id\": \"ABCDE12345\", \"issuer_id\": \"{issuer}\", \
             \"secret_sha256\": \"{}\", \"owner\": \"ios\"}}]",
            sha256_hex(pem.trim_end().as_bytes())
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
    let mut cmd = keysweep_cmd(&fake);
    cmd.current_dir(dir.path()).args([
        "scan",
        "src",
        "--format",
        "json",
        "--inventory",
        "keys.json",
    ]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let f = &v["findings"][0];
    assert_eq!(f["inventory"]["key_id"], "ABCDE12345");
    assert_eq!(f["inventory"]["owner"], "ios");
    assert_eq!(f["inventory"]["matched_by"], "secret_hash");
    assert_eq!(f["inventory"]["strength"], "strong");
    assert!(f["liveness"].is_null(), "no probe without --verify");
    assert!(fake.seen().is_empty());
    let mut cmd = keysweep_cmd(&fake);
    cmd.current_dir(dir.path()).args([
        "scan",
        "src",
        "--format",
        "json",
        "--inventory",
        "keys.json",
        "--verify",
    ]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["findings"][0]["liveness"]["status"], "live", "{out}");
    assert_eq!(fake.count("GET", "/v1/apps"), 1);
}
