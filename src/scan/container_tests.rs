//! Key containers through the scanner: PKCS#12 bundles (DER, BER, over 64 KiB, sealed) and Java keystores
//! generated here, as base64 text and as binary files, and the files OpenSSL and keytool write when installed.

use super::key_tests::{on_path, outcomes, pem_public_key_sha256, public_key_sha256, scanner};
use crate::keys::tests::run;
use crate::rules::generate;

/// PKCS#12 bundles and Java keystores, as base64 text and as binary files: a key in the clear is high, a
/// password-protected one medium, a bundle whose content is all behind the password low (it may hold a key), a
/// bundle of certificates in the clear nothing; the fingerprint is the key's (from the clear key, or from its
/// certificate). PKCS#12 in DER, in BER (indefinite lengths, chunked OCTET STRINGs) and over 64 KiB alike.
#[test]
fn key_containers_are_found_as_text_and_as_binary_files() {
    use base64::Engine as _;
    let scanner = scanner();
    let want = public_key_sha256(&generate::generate("key-p256-pkcs8-pem", "box").expect("gen"));
    let plain = Some(("private-key.pkcs12", "high", true, true));
    let encrypted = Some(("private-key.pkcs12-encrypted", "medium", false, true));
    let sealed = Some(("private-key.pkcs12-sealed", "low", false, false));
    for (generator, expected) in [
        ("key-pkcs12", plain),
        ("key-pkcs12-ber", plain),
        ("key-pkcs12-large", plain),
        ("key-pkcs12-encrypted", encrypted),
        ("key-pkcs12-encrypted-ber", encrypted),
        ("key-pkcs12-encrypted-large", encrypted),
        ("key-pkcs12-sealed", sealed),
        ("key-pkcs12-sealed-ber", sealed),
        ("key-pkcs12-sealed-large", sealed),
        (
            "key-jks",
            Some(("private-key.java-keystore", "medium", false, true)),
        ),
        (
            "key-jceks",
            Some(("private-key.java-keystore-jceks", "medium", false, true)),
        ),
        ("key-pkcs12-certs-only", None),
        ("key-jks-truststore", None),
    ] {
        let text = generate::generate(generator, "box").expect("generator");
        let binary = base64::engine::general_purpose::STANDARD
            .decode(text.replace('\n', ""))
            .expect("base64");
        if generator.ends_with("-large") {
            assert!(binary.len() > 64 * 1024, "{generator}: {}", binary.len());
        }
        assert!(crate::sniff::is_key_container(&binary), "{generator}");
        assert!(!crate::sniff::looks_binary(&binary), "{generator}");
        let want = expected.map(|(id, severity, validated, fingerprinted)| {
            vec![(
                id.to_string(),
                severity,
                validated,
                fingerprinted.then(|| want.clone()),
            )]
        });
        for (form, bytes) in [
            (
                "text",
                format!("KEYSTORE_BASE64={text}\nNEXT=1\n").into_bytes(),
            ),
            ("binary", binary),
        ] {
            let got = outcomes(&scanner, &bytes);
            assert_eq!(
                got,
                want.clone().unwrap_or_default(),
                "{generator} as {form}"
            );
        }
    }
}

/// A BER bundle whose every constructed element has an indefinite length, the outer one too (no length for
/// the armourless cut to read), is read as far as a DER one.
#[test]
fn pkcs12_of_indefinite_length_throughout() {
    use base64::Engine as _;
    let scanner = scanner();
    let text = generate::generate("key-pkcs12-encrypted-ber", "indef").expect("generator");
    let der = base64::engine::general_purpose::STANDARD
        .decode(text.replace('\n', ""))
        .expect("base64");
    // Re-wrap the outer definite SEQUENCE as an indefinite one.
    let header = 2 + usize::from(der[1] & 0x7F) * usize::from(der[1] >= 0x80);
    let mut ber = vec![0x30, 0x80];
    ber.extend_from_slice(&der[header..]);
    ber.extend_from_slice(&[0, 0]);
    assert!(crate::sniff::is_key_container(&ber));
    let got = outcomes(&scanner, &ber);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "private-key.pkcs12-encrypted");
    assert!(got[0].3.is_some());
    let b64 = base64::engine::general_purpose::STANDARD.encode(&ber);
    let got = outcomes(&scanner, format!("PFX={b64}\nNEXT=1\n").as_bytes());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "private-key.pkcs12-encrypted");
}

/// Files written by OpenSSL and keytool (when installed), scanned by name-less bytes: what OpenSSL 3 writes by
/// default (a shrouded key, certificates encrypted), its legacy form, a bundle without encryption, a bundle of
/// a certificate alone, keytool's PKCS#12, JKS, JCEKS and trust store.
#[test]
fn containers_written_by_openssl_and_keytool() {
    if !on_path("openssl", "version") || !on_path("keytool", "-help") {
        eprintln!("openssl or keytool not on PATH: skipped");
        return;
    }
    let scanner = scanner();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name);
    let openssl = |args: &[&str]| {
        run(std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path()))
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        "c.pem",
        "-days",
        "1",
        "-subj",
        "/CN=fake-example",
    ]);
    let export = [
        "pkcs12",
        "-export",
        "-inkey",
        "k.pem",
        "-in",
        "c.pem",
        "-passout",
        "pass:fake-example",
    ];
    openssl(&[&export[..], &["-out", "default.p12"]].concat());
    openssl(&[&export[..], &["-out", "legacy.p12", "-legacy"]].concat());
    // An Ed25519 key for the bundle in the clear: the base64 of a clear P-256 key inside one may line up as an
    // armourless `.p8` body, which the App Store Connect rule claims (the `naming` work asks evidence for that).
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", "e.pem"]);
    openssl(&[
        "req",
        "-x509",
        "-key",
        "e.pem",
        "-out",
        "e.crt",
        "-days",
        "1",
        "-subj",
        "/CN=fake-example",
    ]);
    let plain_fp = pem_public_key_sha256(&openssl(&["pkey", "-in", "e.pem", "-pubout"]));
    openssl(&[
        "pkcs12",
        "-export",
        "-inkey",
        "e.pem",
        "-in",
        "e.crt",
        "-passout",
        "pass:",
        "-out",
        "plain.p12",
        "-keypbe",
        "NONE",
        "-certpbe",
        "NONE",
    ]);
    // A certificate alone, encrypted (OpenSSL's default) and in the clear.
    for (out, pbe) in [("certs.p12", "AES-256-CBC"), ("clear-certs.p12", "NONE")] {
        openssl(&[
            "pkcs12", "-export", "-nokeys", "-in", "c.pem", "-out", out, "-passout", "pass:x",
            "-certpbe", pbe,
        ]);
    }
    // Over 64 KiB: a long chain in the clear beside the shrouded key (the key's own certificate among it).
    let chain = std::fs::read(path("c.pem"))
        .expect("certificate")
        .repeat(200);
    std::fs::write(path("chain.pem"), chain).expect("chain");
    openssl(
        &[
            &export[..],
            &[
                "-certfile",
                "chain.pem",
                "-certpbe",
                "NONE",
                "-out",
                "big.p12",
            ],
        ]
        .concat(),
    );
    let p256_fp = pem_public_key_sha256(&openssl(&["pkey", "-in", "k.pem", "-pubout"]));
    let keytool = |args: &[&str]| {
        run(std::process::Command::new("keytool")
            .args(args)
            .args(["-storepass", "fake-example", "-noprompt"])
            .current_dir(dir.path()))
    };
    let genkey = |store: &str, kind: &str| {
        keytool(&[
            "-genkeypair",
            "-keystore",
            store,
            "-storetype",
            kind,
            "-keypass",
            "fake-example",
            "-alias",
            "k",
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-dname",
            "CN=fake-example",
        ]);
        keytool(&[
            "-exportcert",
            "-rfc",
            "-keystore",
            store,
            "-storetype",
            kind,
            "-alias",
            "k",
            "-file",
            &format!("{store}.crt"),
        ]);
        pem_public_key_sha256(&openssl(&[
            "x509",
            "-in",
            &format!("{store}.crt"),
            "-pubkey",
            "-noout",
        ]))
    };
    let jks_fp = genkey("a.jks", "JKS");
    let jceks_fp = genkey("a.jceks", "JCEKS");
    genkey("keytool.p12", "PKCS12");
    keytool(&[
        "-importcert",
        "-keystore",
        "trust.jks",
        "-storetype",
        "JKS",
        "-alias",
        "c",
        "-file",
        "c.pem",
    ]);
    let one = |id: &str, severity, validated, fp: Option<&String>| {
        vec![(id.to_string(), severity, validated, fp.cloned())]
    };
    for (file, want) in [
        (
            "default.p12",
            one("private-key.pkcs12-encrypted", "medium", false, None),
        ),
        (
            "legacy.p12",
            one("private-key.pkcs12-encrypted", "medium", false, None),
        ),
        (
            "plain.p12",
            one("private-key.pkcs12", "high", true, Some(&plain_fp)),
        ),
        (
            "keytool.p12",
            one("private-key.pkcs12-encrypted", "medium", false, None),
        ),
        (
            "a.jks",
            one("private-key.java-keystore", "medium", false, Some(&jks_fp)),
        ),
        (
            "a.jceks",
            one(
                "private-key.java-keystore-jceks",
                "medium",
                false,
                Some(&jceks_fp),
            ),
        ),
        // Certificates behind the password: a trust store, or a key; it cannot be told without the password.
        (
            "certs.p12",
            one("private-key.pkcs12-sealed", "low", false, None),
        ),
        ("clear-certs.p12", vec![]),
        (
            "big.p12",
            one(
                "private-key.pkcs12-encrypted",
                "medium",
                false,
                Some(&p256_fp),
            ),
        ),
        ("trust.jks", vec![]),
    ] {
        let bytes = std::fs::read(path(file)).expect("container file");
        assert_eq!(outcomes(&scanner, &bytes), want, "{file}");
    }
}
