//! Key types through the real scanner: what each kind of leaked key file yields (rule, severity, fingerprint),
//! with every key generated inside the test.

use std::sync::Arc;

use super::Scanner;
use crate::keys::tests::run;
use crate::model::{BlobId, Match};
use crate::rules::{RuleSet, generate};

pub(super) fn scanner() -> Scanner {
    Scanner::new(Arc::new(RuleSet::builtin().expect("built-in rules load")))
        .expect("scanner builds")
}

/// The matches of `bytes`, as `(rule id, matched text)`.
fn scan(scanner: &Scanner, bytes: &[u8]) -> Vec<(String, Match)> {
    scanner
        .scan(BlobId::of_bytes(bytes), bytes)
        .into_iter()
        .map(|m| (scanner.rules.rules[m.rule].id.clone(), m))
        .collect()
}

/// Regression: an armourless `.p8` body on one line, followed by a line that starts with base64-alphabet
/// characters, was lost: the wrapped-line joining took the next line's start as more of the body, and the
/// joined text was no key. Joining now stops where the key stops, falling back to the single line.
#[test]
fn a_one_line_p8_body_followed_by_a_variable_is_found() {
    let scanner = scanner();
    let body = generate::generate("key-p256-pkcs8-body", "env-next-line").expect("generator");
    let mut lost = Vec::new();
    for next in [
        "SOME_VAR=value",
        "ABC=1",
        "Bz=2",
        "APP_ENV=production",
        "x",
        "NEXTVAR\nOTHER=1",
        "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6a7b8c9d0e1f2g3",
    ] {
        let env = format!("ASC_KEY_ID=2X9R4HXF34\nASC_PRIVATE_KEY={body}\n{next}\n");
        let found = scan(&scanner, env.as_bytes());
        let hit = found
            .iter()
            .find(|(id, _)| id == "app-store-connect.p8-body");
        match hit {
            Some((_, m)) if m.secret.reveal() == Some(body.as_str()) && m.key.is_some() => {}
            Some((_, m)) => lost.push((next, m.secret.reveal().map(str::to_string))),
            None => lost.push((next, None)),
        }
    }
    assert!(lost.is_empty(), "lost or joined: {lost:?}");
}

/// The same for every armourless body rule, on one line or wrapped at 64 columns: the key is found, cut where
/// it ends (a P-256 body with no App Store Connect evidence around it is the generic rule's).
#[test]
fn armourless_bodies_stop_where_the_key_stops() {
    let scanner = scanner();
    for (generator, rule) in [
        ("key-p256-pkcs8-body-wrapped", "private-key.ec-p256-body"),
        ("key-rsa-pkcs8-body", "private-key.rsa-pkcs8-body"),
        ("key-ed25519-openssh-body", "private-key.openssh-body"),
    ] {
        let body = generate::generate(generator, "next-line").expect("generator");
        for next in ["ABC=1", "Bz=2", "NEXTVAR\nOTHER=1"] {
            let env = format!("KEY={body}\n{next}\n");
            let found = scan(&scanner, env.as_bytes());
            let Some((_, m)) = found.iter().find(|(id, _)| id == rule) else {
                panic!("{rule} lost before {next:?}: {found:?}");
            };
            assert_eq!(m.secret.reveal(), Some(body.as_str()), "{rule} {next}");
            assert!(m.key.is_some(), "{rule} {next}");
        }
    }
}

/// The SHA-256 of the public key of a key, however it is written.
pub(super) fn public_key_sha256(text: &str) -> String {
    crate::keys::parse_private_key(text.as_bytes())
        .material()
        .expect("a key with a known public key")
        .public_key_sha256
        .clone()
}

/// PuTTY keys, versions 2 and 3: unencrypted ones are high, passphrase-protected ones medium, and both carry the
/// fingerprint of the key's PKCS#8 form (the public lines are in the clear).
#[test]
fn putty_keys_carry_their_fingerprint_and_encryption() {
    let scanner = scanner();
    let want = public_key_sha256(&generate::generate("key-ed25519-pkcs8-pem", "ppk").expect("gen"));
    for (generator, rule, severity, validated) in [
        ("key-putty-ppk", "private-key.putty", "high", true),
        ("key-putty-ppk-v3", "private-key.putty", "high", true),
        (
            "key-putty-ppk-encrypted",
            "private-key.putty-encrypted",
            "medium",
            false,
        ),
        (
            "key-putty-ppk-v3-encrypted",
            "private-key.putty-encrypted",
            "medium",
            false,
        ),
    ] {
        let ppk = generate::generate(generator, "ppk").expect("generator");
        assert_eq!(
            public_key_sha256(&ppk),
            want,
            "keys fingerprint reads {generator}"
        );
        let found = scan(&scanner, ppk.as_bytes());
        assert_eq!(found.len(), 1, "{generator}: {found:?}");
        let (id, m) = &found[0];
        assert_eq!(id, rule, "{generator}");
        assert_eq!(scanner.rules.rules[m.rule].severity.as_str(), severity);
        assert_eq!(m.validated, validated, "{generator}");
        let key = m.key.as_ref().expect("the public key");
        assert_eq!(key.public_key_sha256, want, "{generator}");
    }
}

/// The rule id, severity, validation and fingerprint of each match.
pub(super) fn outcomes(
    scanner: &Scanner,
    bytes: &[u8],
) -> Vec<(String, &'static str, bool, Option<String>)> {
    scan(scanner, bytes)
        .into_iter()
        .map(|(id, m)| {
            let severity = scanner.rules.rules[m.rule].severity.as_str();
            let fp = m.key.as_ref().map(|k| k.public_key_sha256.clone());
            (id, severity, m.validated, fp)
        })
        .collect()
}

pub(super) fn on_path(tool: &str, probe: &str) -> bool {
    std::process::Command::new(tool).arg(probe).output().is_ok()
}

/// The SHA-256 of the DER public key in a PEM file (`openssl pkey -pubin`/`x509 -pubkey` output).
pub(super) fn pem_public_key_sha256(pem: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let text = String::from_utf8_lossy(pem);
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN PUBLIC KEY"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("base64 public key");
    hex::encode(Sha256::digest(der))
}

/// What each remaining key type yields through the scanner: rule, severity, validated, and whether it carries
/// a fingerprint.
#[test]
fn every_key_type_yields_its_rule_severity_and_fingerprint() {
    let scanner = scanner();
    let gen_ = |spec: &str| generate::expand(spec).expect("example expands");
    let cases: Vec<(String, &str, &str, bool, bool)> = vec![
        (
            gen_("{{gen:key-encrypted-pkcs8-pem:t}}"),
            "private-key.pem-encrypted",
            "medium",
            false,
            false,
        ),
        (
            gen_("{{gen:key-encrypted-rsa-pem:t}}"),
            "private-key.pem-encrypted",
            "medium",
            false,
            false,
        ),
        (
            gen_(
                "users:\n- name: admin\n  user:\n    client-key-data: {{gen:key-b64-rsa-pkcs1-pem:t}}\n",
            ),
            "kubernetes.client-key",
            "high",
            true,
            true,
        ),
        (
            gen_(
                "users:\n- name: admin\n  user:\n    client-key-data: {{gen:key-b64-p256-sec1-pem:t}}\n",
            ),
            "kubernetes.client-key",
            "high",
            true,
            true,
        ),
        (
            gen_("users:\n- name: sa\n  user:\n    token: {{gen:base62-48:t}}\n"),
            "kubernetes.user-token",
            "high",
            false,
            false,
        ),
        (
            gen_("{{gen:age-secret-key:t}}\n"),
            "age.secret-key",
            "high",
            true,
            true,
        ),
        (
            gen_("{{gen:key-minisign:t}}"),
            "minisign.secret-key",
            "high",
            true,
            true,
        ),
        (
            gen_("{{gen:key-minisign-encrypted:t}}"),
            "minisign.secret-key-encrypted",
            "medium",
            false,
            false,
        ),
        (
            gen_("machine ci.corp.internal login bot password {{gen:base62-20:t}}\n"),
            "generic.netrc",
            "high",
            true,
            false,
        ),
        (
            gen_("https://bot:{{gen:base62-20:t}}@git.corp.internal\n"),
            "generic.git-credentials",
            "high",
            true,
            false,
        ),
    ];
    for (text, rule, severity, validated, fingerprint) in cases {
        let got = outcomes(&scanner, text.as_bytes());
        assert_eq!(got.len(), 1, "{rule}: {got:?}");
        let (id, sev, val, fp) = &got[0];
        assert_eq!(
            (id.as_str(), *sev, *val, fp.is_some()),
            (rule, severity, validated, fingerprint)
        );
    }
    // The kubeconfig's client key is the same finding as the key's PEM form.
    let pem = generate::generate("key-rsa-pkcs1-pem", "t").expect("gen");
    let kube = gen_("    client-key-data: {{gen:key-b64-rsa-pkcs1-pem:t}}\n");
    assert_eq!(
        outcomes(&scanner, kube.as_bytes())[0].3,
        Some(public_key_sha256(&pem))
    );
    // A minisign key's public key is the Ed25519 key's.
    let minisign = generate::generate("key-minisign", "t").expect("gen");
    let ed = generate::generate("key-ed25519-pkcs8-pem", "t").expect("gen");
    assert_eq!(
        outcomes(&scanner, minisign.as_bytes())[0].3,
        Some(public_key_sha256(&ed))
    );
}

/// Encrypted OpenSSH keys written by ssh-keygen: medium, unvalidated, with the fingerprint of their public key
/// (kept in the clear); the same key unencrypted is high with the same fingerprint.
#[test]
fn encrypted_openssh_keys_are_medium_with_their_fingerprint() {
    if !on_path("ssh-keygen", "-?") {
        eprintln!("ssh-keygen not on PATH: skipped");
        return;
    }
    let scanner = scanner();
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("id_ed25519");
    run(std::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "fake example passphrase",
            "-C",
            "fake-example",
            "-f",
        ])
        .arg(&key));
    let encrypted = std::fs::read(&key).expect("key file");
    let got = outcomes(&scanner, &encrypted);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].1, got[0].2),
        ("private-key.pem-encrypted", "medium", false)
    );
    run(std::process::Command::new("ssh-keygen")
        .args(["-q", "-p", "-P", "fake example passphrase", "-N", "", "-f"])
        .arg(&key));
    let plain = outcomes(&scanner, &std::fs::read(&key).expect("key file"));
    assert_eq!(
        (plain[0].0.as_str(), plain[0].1, plain[0].2),
        ("private-key.pem", "high", true)
    );
    assert!(got[0].3.is_some());
    assert_eq!(plain[0].3, got[0].3);
}

/// An age identity's public key is the X25519 public key OpenSSL derives from the same secret.
#[test]
fn age_identities_carry_the_fingerprint_openssl_gives_their_x25519_key() {
    if !on_path("openssl", "version") {
        eprintln!("openssl not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let openssl = |args: &[&str]| {
        run(std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path()))
    };
    openssl(&["genpkey", "-algorithm", "X25519", "-out", "x.pem"]);
    let pkcs8 = openssl(&["pkey", "-in", "x.pem", "-outform", "DER"]);
    let want = pem_public_key_sha256(&openssl(&["pkey", "-in", "x.pem", "-pubout"]));
    // The PKCS#8 of an X25519 key ends with the 32-byte secret.
    let identity = generate::age_identity(&pkcs8[pkcs8.len() - 32..]);
    let got = outcomes(&scanner(), format!("{identity}\n").as_bytes());
    assert_eq!(
        got,
        vec![("age.secret-key".to_string(), "high", true, Some(want))]
    );
}
