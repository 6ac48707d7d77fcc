//! Unit tests of key decoding: every encoding of one key gives one fingerprint, non-keys are `NotAKey`, and
//! fingerprints agree with OpenSSL and OpenSSH when their command-line tools are installed.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::*;
use crate::model::{EC_P256, FORMAT_OPENSSH};

fn gen_key(name: &str, seed: &str) -> String {
    generate_example(name, seed).expect("known generator")
}

fn fingerprint(candidate: &str) -> String {
    match parse_private_key(candidate.as_bytes()) {
        KeyParse::Parsed(k) => k.public_key_sha256,
        other => panic!("expected a parsed key, got {other:?} for {candidate:?}"),
    }
}

fn is_not_a_key(candidate: &str) -> bool {
    matches!(parse_private_key(candidate.as_bytes()), KeyParse::NotAKey)
}

#[test]
fn every_encoding_of_a_p256_key_has_one_fingerprint() {
    let pem = gen_key("key-p256-pkcs8-pem", "one");
    let want = fingerprint(&pem);
    let json = format!(
        "{{\"private_key\": \"{}\"}}",
        gen_key("key-p256-pkcs8-escaped", "one")
    );
    let indented: String = pem.lines().map(|l| format!("    {l}\n")).collect();
    let b64_wrapped = STANDARD
        .encode(&pem)
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    let double_escaped = gen_key("key-p256-pkcs8-escaped", "one").replace("\\n", "\\\\n");
    let forms = [
        gen_key("key-p256-pkcs8-pem-crlf", "one"),
        gen_key("key-p256-sec1-pem", "one"),
        gen_key("key-p256-sec1-escaped", "one"),
        gen_key("key-p256-pkcs8-escaped", "one"),
        gen_key("key-p256-pkcs8-escaped-crlf", "one"),
        gen_key("key-p256-pkcs8-body", "one"),
        gen_key("key-p256-pkcs8-body-wrapped", "one"),
        gen_key("key-p256-pkcs8-b64pem", "one"),
        gen_key("key-p256-pkcs8-concat", "one"),
        json,
        indented,
        b64_wrapped,
        double_escaped,
    ];
    for form in &forms {
        assert_eq!(fingerprint(form), want, "{form}");
    }
    assert_ne!(fingerprint(&gen_key("key-p256-pkcs8-pem", "two")), want);
}

#[test]
fn apple_style_bodies_are_200_characters() {
    let body = gen_key("key-p256-pkcs8-body", "apple");
    assert_eq!(body.len(), 200);
    assert!(body.starts_with("MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg"));
    let k = parse_private_key(body.as_bytes());
    assert_eq!(k.material().map(|k| k.algorithm.as_str()), Some(EC_P256));
}

#[test]
fn p256_pkcs8_der_is_the_same_for_every_encoding() {
    let want = p256_pkcs8_der(gen_key("key-p256-pkcs8-pem", "s").as_bytes()).expect("a P-256 key");
    for name in [
        "key-p256-sec1-pem",
        "key-p256-pkcs8-escaped",
        "key-p256-pkcs8-body",
        "key-p256-pkcs8-b64pem",
        "key-p256-sec1-escaped",
    ] {
        assert_eq!(
            p256_pkcs8_der(gen_key(name, "s").as_bytes()).as_deref(),
            Some(want.as_slice()),
            "{name}"
        );
    }
    // The DER signs: p256 reads it back as the same key.
    use p256::pkcs8::DecodePrivateKey;
    let secret = p256::SecretKey::from_pkcs8_der(&want).expect("valid PKCS#8");
    let spki = pkcs8::EncodePublicKey::to_public_key_der(&secret.public_key()).expect("SPKI");
    assert_eq!(
        hex::encode(Sha256::digest(spki.as_bytes())),
        fingerprint(&gen_key("key-p256-pkcs8-pem", "s"))
    );
    assert_eq!(
        p256_pkcs8_der(gen_key("key-ed25519-pkcs8-pem", "s").as_bytes()),
        None
    );
    assert_eq!(
        p256_pkcs8_der(gen_key("key-rsa-pkcs8-pem", "s").as_bytes()),
        None
    );
}

#[test]
fn other_key_types_parse() {
    let algo = |name: &str| {
        parse_private_key(gen_key(name, "t").as_bytes())
            .material()
            .map(|k| k.algorithm.clone())
    };
    assert_eq!(algo("key-p384-pkcs8-pem").as_deref(), Some("ec-p384"));
    assert_eq!(algo("key-ed25519-pkcs8-pem").as_deref(), Some("ed25519"));
    assert_eq!(algo("key-ed25519-openssh").as_deref(), Some("ed25519"));
    assert_eq!(algo("key-rsa-pkcs1-pem").as_deref(), Some("rsa"));
    assert_eq!(algo("key-rsa-pkcs8-pem").as_deref(), Some("rsa"));
    assert_eq!(algo("key-dsa-pem").as_deref(), Some("dsa"));
    let format = |name: &str| {
        parse_private_key(gen_key(name, "t").as_bytes())
            .material()
            .map(|k| k.format)
    };
    assert_eq!(format("key-p256-pkcs8-pem"), Some("pkcs8"));
    assert_eq!(format("key-p256-sec1-pem"), Some("sec1"));
    assert_eq!(format("key-rsa-pkcs1-pem"), Some("pkcs1"));
    assert_eq!(format("key-ed25519-openssh"), Some(FORMAT_OPENSSH));
    // An OpenSSH Ed25519 key and the PKCS#8 form of the same seed are one key.
    assert_eq!(
        fingerprint(&gen_key("key-ed25519-openssh", "t")),
        fingerprint(&gen_key("key-ed25519-pkcs8-pem", "t"))
    );
    // PKCS#1 and PKCS#8 forms of one RSA key agree.
    assert_eq!(
        fingerprint(&gen_key("key-rsa-pkcs1-pem", "t")),
        fingerprint(&gen_key("key-rsa-pkcs8-pem", "t"))
    );
}

#[test]
fn encrypted_keys_are_encrypted() {
    for name in ["key-encrypted-pkcs8-pem", "key-encrypted-rsa-pem"] {
        assert!(
            matches!(
                parse_private_key(gen_key(name, "e").as_bytes()),
                KeyParse::Encrypted
            ),
            "{name}"
        );
    }
    // An armoured block whose packets are not a v4/v6 secret key is still a key, of a kind not read.
    let random = STANDARD.encode(crate::keys::seeded::seeded_bytes("pgp random", 300));
    let block = format!(
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{random}\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----\n"
    );
    assert!(matches!(
        parse_private_key(block.as_bytes()),
        KeyParse::Unparseable
    ));
}

#[test]
fn placeholders_public_keys_and_certificates_are_not_keys() {
    let pem = gen_key("key-p256-pkcs8-pem", "p");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    for candidate in [
        "-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----".to_string(),
        "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----".to_string(),
        "-----BEGIN EC PRIVATE KEY-----\nXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n-----END EC PRIVATE KEY-----".to_string(),
        "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA...\\n-----END RSA PRIVATE KEY-----".to_string(),
        format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----"),
        format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----"),
        STANDARD.encode(super::generate::GENERATORS.join(",")),
        "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg".to_string(),
        String::new(),
    ] {
        assert!(is_not_a_key(&candidate), "{candidate}");
    }
    // One line quoted from a key is a fragment; a key missing its last line looks like a key but does not parse.
    let lines: Vec<&str> = pem.lines().collect();
    let fragment = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[lines.len() - 1]);
    assert!(is_not_a_key(&fragment), "{fragment}");
    let truncated = format!(
        "{}\n{}\n",
        lines[..lines.len() - 2].join("\n"),
        lines[lines.len() - 1]
    );
    assert!(matches!(
        parse_private_key(truncated.as_bytes()),
        KeyParse::Unparseable
    ));
}

#[test]
fn generators_are_deterministic() {
    for name in super::generate::GENERATORS {
        assert_eq!(gen_key(name, "d"), gen_key(name, "d"), "{name}");
        assert_ne!(gen_key(name, "d"), gen_key(name, "e"), "{name}");
    }
    assert_eq!(generate_example("key-nope", "x"), None);
}

// ---- cross-checks against the OpenSSL and OpenSSH command-line tools (skipped when absent) ----

fn tool(name: &str) -> bool {
    Command::new(name)
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success() || name == "ssh-keygen")
}

/// Runs a command-line tool and returns its output, failing the test if it fails.
pub(crate) fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `openssl pkey -pubout -outform DER | sha256sum` of a key file.
fn openssl_fingerprint(path: &Path) -> String {
    let der = run(Command::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(path));
    hex::encode(Sha256::digest(der))
}

fn file_fingerprint(path: &Path) -> String {
    fingerprint(&std::fs::read_to_string(path).expect("key file"))
}

#[test]
fn fingerprints_match_openssl() {
    if !tool("openssl") {
        eprintln!("openssl not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for name in [
        "key-p256-pkcs8-pem",
        "key-p256-sec1-pem",
        "key-p384-pkcs8-pem",
        "key-ed25519-pkcs8-pem",
    ] {
        let path = dir.path().join(format!("{name}.pem"));
        std::fs::write(&path, gen_key(name, "openssl")).expect("write key");
        files.push(path);
    }
    // Real RSA, DSA and EC keys made by OpenSSL itself, in PKCS#8 and traditional forms.
    for (name, args) in [
        (
            "rsa",
            vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        ),
        (
            "ec",
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        ),
        ("ed25519", vec!["-algorithm", "ED25519"]),
    ] {
        let path = dir.path().join(format!("{name}.pem"));
        run(Command::new("openssl")
            .arg("genpkey")
            .args(&args)
            .arg("-out")
            .arg(&path));
        files.push(path.clone());
        if name == "ed25519" {
            continue; // Ed25519 has no traditional form.
        }
        let trad = dir.path().join(format!("{name}-traditional.pem"));
        run(Command::new("openssl")
            .args(["pkey", "-traditional", "-in"])
            .arg(&path)
            .arg("-out")
            .arg(&trad));
        files.push(trad);
    }
    let params = dir.path().join("dsa-params.pem");
    run(Command::new("openssl")
        .args([
            "genpkey",
            "-genparam",
            "-algorithm",
            "DSA",
            "-pkeyopt",
            "dsa_paramgen_bits:1024",
            "-out",
        ])
        .arg(&params));
    let dsa = dir.path().join("dsa.pem");
    run(Command::new("openssl")
        .args(["genpkey", "-paramfile"])
        .arg(&params)
        .arg("-out")
        .arg(&dsa));
    let dsa_trad = dir.path().join("dsa-traditional.pem");
    run(Command::new("openssl")
        .args(["pkey", "-traditional", "-in"])
        .arg(&dsa)
        .arg("-out")
        .arg(&dsa_trad));
    files.push(dsa_trad);
    for path in &files {
        assert_eq!(
            file_fingerprint(path),
            openssl_fingerprint(path),
            "{}",
            path.display()
        );
    }
    // Encrypted forms: PKCS#8 and the traditional Proc-Type headers.
    let enc = dir.path().join("enc.pem");
    run(Command::new("openssl")
        .args(["pkey", "-aes256", "-passout", "pass:example", "-in"])
        .arg(&files[0])
        .arg("-out")
        .arg(&enc));
    let enc_trad = dir.path().join("enc-trad.pem");
    run(Command::new("openssl")
        .args([
            "pkey",
            "-traditional",
            "-aes256",
            "-passout",
            "pass:example",
            "-in",
        ])
        .arg(dir.path().join("rsa.pem"))
        .arg("-out")
        .arg(&enc_trad));
    for path in [&enc, &enc_trad] {
        let text = std::fs::read(path).expect("key file");
        assert!(
            matches!(parse_private_key(&text), KeyParse::Encrypted),
            "{}",
            path.display()
        );
    }
}

#[test]
fn openssh_fingerprints_match_ssh_keygen() {
    if !tool("ssh-keygen") {
        eprintln!("ssh-keygen not on PATH: skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for (kind, pass) in [
        ("ed25519", ""),
        ("ecdsa", ""),
        ("rsa", ""),
        ("ed25519", "example passphrase"),
        ("ecdsa", "example passphrase"),
    ] {
        let path = dir.path().join(format!("id_{kind}_{}", pass.len()));
        let mut cmd = Command::new("ssh-keygen");
        cmd.args(["-q", "-t", kind, "-N", pass, "-C", "example", "-f"])
            .arg(&path);
        if kind == "rsa" {
            cmd.args(["-b", "1024"]);
        }
        run(&mut cmd);
        let want = if kind == "ed25519" {
            // The SSH blob ends with the 32-byte public key; its SPKI is a fixed prefix and those bytes.
            let line = std::fs::read_to_string(path.with_extension("pub")).expect("public key");
            let blob = STANDARD
                .decode(line.split_whitespace().nth(1).expect("base64 field"))
                .expect("base64");
            let mut spki = hex::decode("302a300506032b6570032100").expect("hex");
            spki.extend_from_slice(&blob[blob.len() - 32..]);
            hex::encode(Sha256::digest(spki))
        } else {
            // `ssh-keygen -e -m PKCS8` prints the public key as an SPKI PEM.
            let spki_pem = run(Command::new("ssh-keygen")
                .args(["-e", "-m", "PKCS8", "-f"])
                .arg(path.with_extension("pub")));
            let block = text::pem_blocks(&String::from_utf8_lossy(&spki_pem))
                .into_iter()
                .next()
                .expect("a PUBLIC KEY block");
            hex::encode(Sha256::digest(block.der.expect("base64 body")))
        };
        let text = std::fs::read(&path).expect("key file");
        match parse_private_key(&text) {
            KeyParse::Parsed(k) if pass.is_empty() => {
                assert_eq!(k.public_key_sha256, want, "{kind}")
            }
            KeyParse::EncryptedWithPublic(k) if !pass.is_empty() => {
                assert_eq!(k.public_key_sha256, want, "{kind}")
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
}

#[test]
fn p256_pkcs8_der_signs_an_es256_jwt_that_the_public_key_verifies() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use p256::ecdsa::signature::Verifier;
    use p256::pkcs8::DecodePublicKey;

    let sec1 = gen_key("key-p256-sec1-escaped", "jwt");
    let der = p256_pkcs8_der(sec1.as_bytes()).expect("a P-256 key");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("2X9R4HXF34".into());
    let claims = serde_json::json!({"iss": "57246542-96fe-1a63-e053-0824d011072a", "aud": "appstoreconnect-v1", "exp": 1});
    let jwt = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_der(&der),
    )
    .expect("ES256 signing");
    let (signed, signature) = jwt.rsplit_once('.').expect("three parts");
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    let signature = p256::ecdsa::Signature::from_slice(&signature).expect("r || s");
    let spki = match parse_private_key(sec1.as_bytes()) {
        KeyParse::Parsed(k) => k.spki_der,
        other => panic!("{other:?}"),
    };
    let verifier = p256::ecdsa::VerifyingKey::from_public_key_der(&spki).expect("SPKI");
    verifier
        .verify(signed.as_bytes(), &signature)
        .expect("the signature verifies with the key's public key");
}

/// Hostile input: every prefix of a generated container, PuTTY key and minisign key, and copies with bytes
/// flipped, decode to something or nothing, never a panic; and a container nested deeper than the walk follows
/// is read as far as it goes.
#[test]
fn truncated_and_corrupted_keys_and_containers_do_not_panic() {
    for name in [
        "key-pkcs12",
        "key-pkcs12-encrypted",
        "key-pkcs12-encrypted-ber",
        "key-pkcs12-sealed-ber",
        "key-jks",
        "key-jceks",
    ] {
        let text = gen_key(name, "hostile");
        let bytes = STANDARD.decode(text.replace('\n', "")).expect("base64");
        for cut in 0..bytes.len() {
            let _ = container_from_bytes(&bytes[..cut]);
        }
        let mut flipped = bytes.clone();
        for i in (0..flipped.len()).step_by(7) {
            flipped[i] ^= 0x5A;
            let _ = container_from_bytes(&flipped);
        }
    }
    for name in [
        "key-putty-ppk-v3",
        "key-pgp-private",
        "key-pgp-private-encrypted",
        "key-minisign",
        "key-ed25519-openssh-body",
    ] {
        let text = gen_key(name, "hostile");
        for cut in 0..text.len() {
            let prefix = &text.as_bytes()[..cut];
            let _ = parse_private_key(prefix);
            let _ = ppk_public_key(prefix);
            let _ = minisign_secret_key(prefix);
            let _ = armourless_extent(prefix);
        }
    }
    // A JKS that claims four billion entries, each a private key whose chain claims four billion certificates.
    let mut jks = vec![0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF];
    for _ in 0..1000 {
        jks.extend_from_slice(&[
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
    }
    assert!(container_from_bytes(&jks).is_some_and(|c| c.encrypted_keys == 1));
}

#[test]
fn an_openssh_ecdsa_key_with_a_short_scalar_is_read_from_its_header() {
    use p256::pkcs8::EncodePublicKey;
    fn string(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&u32::try_from(bytes.len()).expect("short").to_be_bytes());
        out.extend_from_slice(bytes);
    }
    // One P-256 scalar in 256 starts with a zero byte; OpenSSH then writes it as a 31-byte mpint.
    let mut scalar = [0x5au8; 32];
    scalar[0] = 0;
    let secret = p256::SecretKey::from_slice(&scalar).expect("a valid scalar");
    let point = secret.public_key().to_sec1_bytes();
    assert_eq!(point.len(), 65, "uncompressed");
    let mut public = Vec::new();
    string(&mut public, b"ecdsa-sha2-nistp256");
    string(&mut public, b"nistp256");
    string(&mut public, &point);
    let mut private = vec![1, 2, 3, 4, 1, 2, 3, 4];
    string(&mut private, b"ecdsa-sha2-nistp256");
    string(&mut private, b"nistp256");
    string(&mut private, &point);
    string(&mut private, &scalar[1..]);
    string(&mut private, b"example");
    let mut pad = 1u8;
    while private.len() % 8 != 0 {
        private.push(pad);
        pad += 1;
    }
    let mut blob = b"openssh-key-v1\0".to_vec();
    for s in [&b"none"[..], b"none", b""] {
        string(&mut blob, s);
    }
    blob.extend_from_slice(&1u32.to_be_bytes());
    string(&mut blob, &public);
    string(&mut blob, &private);
    let body = STANDARD.encode(&blob);
    let mut pem = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for chunk in body.as_bytes().chunks(70) {
        pem.push_str(std::str::from_utf8(chunk).expect("base64"));
        pem.push('\n');
    }
    pem.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    let want = hex::encode(Sha256::digest(
        secret
            .public_key()
            .to_public_key_der()
            .expect("SPKI")
            .as_bytes(),
    ));
    match parse_private_key(pem.as_bytes()) {
        KeyParse::Parsed(k) => {
            assert_eq!(k.public_key_sha256, want);
            assert_eq!(k.format, FORMAT_OPENSSH);
        }
        other => panic!("{other:?}"),
    }
}
