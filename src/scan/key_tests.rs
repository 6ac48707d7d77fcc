//! Key types through the real scanner: what each kind of leaked key file yields (rule, severity, fingerprint),
//! with every key generated inside the test.

use std::sync::Arc;

use super::Scanner;
use crate::model::{BlobId, Match};
use crate::rules::{RuleSet, generate};

fn scanner() -> Scanner {
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
/// it ends.
#[test]
fn armourless_bodies_stop_where_the_key_stops() {
    let scanner = scanner();
    for (generator, rule) in [
        ("key-p256-pkcs8-body-wrapped", "app-store-connect.p8-body"),
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
fn public_key_sha256(text: &str) -> String {
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
