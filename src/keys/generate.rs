//! Deterministic example keys for rule checks and tests (`{{gen:key-…:SEED}}`): the same seed always gives the
//! same key, so rule files commit only the generator's name, never a usable key. EC and Ed25519 keys are real
//! keys whose secret is derived from the seed; RSA and DSA examples are structurally valid but mathematically
//! meaningless (random integers), which is all a parser sees and keeps generation instant.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pkcs1::RsaPrivateKeyRef;
use pkcs8::LineEnding;
use pkcs8::der::asn1::UintRef;
use pkcs8::der::{Decode, Encode};

use super::der::{OID_EC, OID_ED25519, OID_P256};

pub use super::seeded::seeded_bytes;

/// Every key generator name, for documentation and tests.
pub const GENERATORS: &[&str] = &[
    "key-p256-pkcs8-pem",
    "key-p256-pkcs8-pem-crlf",
    "key-p256-sec1-pem",
    "key-p256-sec1-escaped",
    "key-p256-pkcs8-escaped",
    "key-p256-pkcs8-escaped-crlf",
    "key-p256-pkcs8-body",
    "key-p256-pkcs8-body-wrapped",
    "key-p256-pkcs8-b64pem",
    "key-p256-pkcs8-concat",
    "key-p384-pkcs8-pem",
    "key-ed25519-pkcs8-pem",
    "key-ed25519-openssh",
    "key-rsa-pkcs1-pem",
    "key-rsa-pkcs8-pem",
    "key-rsa-pkcs8-escaped",
    "key-dsa-pem",
    "key-encrypted-pkcs8-pem",
    "key-encrypted-rsa-pem",
    "key-pgp-private",
    "key-pgp-private-encrypted",
    "key-rsa-pkcs8-body",
    "key-ed25519-openssh-body",
    "key-b64-ed25519-openssh",
    "key-putty-ppk",
    "key-putty-ppk-encrypted",
    "key-putty-ppk-v3",
    "key-putty-ppk-v3-encrypted",
    "key-pkcs12",
    "key-pkcs12-encrypted",
    "key-pkcs12-certs-only",
    "key-pkcs12-sealed",
    "key-pkcs12-ber",
    "key-pkcs12-large",
    "key-pkcs12-encrypted-ber",
    "key-pkcs12-encrypted-large",
    "key-pkcs12-sealed-ber",
    "key-pkcs12-sealed-large",
    "key-jks",
    "key-jceks",
    "key-jks-truststore",
    "key-minisign",
    "key-minisign-encrypted",
];

/// Example generators for rule checks (`{{gen:key-…}}`); `None` for an unknown name.
pub fn generate_example(name: &str, seed: &str) -> Option<String> {
    // `key-b64-<generator>`: base64 of what that generator writes (fastlane's `is_key_content_base64`).
    if let Some(inner) = name.strip_prefix("key-b64-") {
        return Some(STANDARD.encode(generate_example(&format!("key-{inner}"), seed)?));
    }
    let seed = format!("keysweep example key {seed}");
    let p256_pkcs8 = || pem("PRIVATE KEY", &p256_pkcs8_der(&seed), LineEnding::LF);
    if ["key-pkcs12", "key-jks", "key-jceks"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        let spki =
            p256::pkcs8::EncodePublicKey::to_public_key_der(&p256_secret(&seed).public_key())
                .ok()?;
        return super::fake_containers::container_base64(
            name,
            &seed,
            &p256_pkcs8_der(&seed),
            spki.as_bytes(),
        );
    }
    Some(match name {
        "key-p256-pkcs8-pem" => p256_pkcs8(),
        "key-p256-pkcs8-pem-crlf" => pem("PRIVATE KEY", &p256_pkcs8_der(&seed), LineEnding::CRLF),
        "key-p256-sec1-pem" => pem("EC PRIVATE KEY", &p256_sec1_der(&seed), LineEnding::LF),
        "key-p256-sec1-escaped" => escaped(
            &pem("EC PRIVATE KEY", &p256_sec1_der(&seed), LineEnding::LF),
            "\\n",
        ),
        "key-p256-pkcs8-escaped" => escaped(&p256_pkcs8(), "\\n"),
        "key-p256-pkcs8-escaped-crlf" => escaped(&p256_pkcs8(), "\\r\\n"),
        "key-p256-pkcs8-body" => STANDARD.encode(p256_pkcs8_der(&seed)),
        "key-p256-pkcs8-body-wrapped" => wrap(&STANDARD.encode(p256_pkcs8_der(&seed)), 64),
        "key-p256-pkcs8-b64pem" => STANDARD.encode(p256_pkcs8()),
        "key-p256-pkcs8-concat" => concat(&p256_pkcs8()),
        "key-p384-pkcs8-pem" => {
            let secret = p384::SecretKey::from_slice(&seeded_bytes(&seed, 48)).ok()?;
            let der = p384::pkcs8::EncodePrivateKey::to_pkcs8_der(&secret).ok()?;
            pem("PRIVATE KEY", der.as_bytes(), LineEnding::LF)
        }
        "key-ed25519-pkcs8-pem" => pem("PRIVATE KEY", &ed25519_pkcs8_der(&seed), LineEnding::LF),
        "key-ed25519-openssh" => ed25519_openssh(&seed)?,
        "key-rsa-pkcs1-pem" => pem("RSA PRIVATE KEY", &fake_rsa_pkcs1(&seed), LineEnding::LF),
        "key-rsa-pkcs8-pem" => pem("PRIVATE KEY", &fake_rsa_pkcs8(&seed), LineEnding::LF),
        "key-rsa-pkcs8-escaped" => escaped(
            &pem("PRIVATE KEY", &fake_rsa_pkcs8(&seed), LineEnding::LF),
            "\\n",
        ),
        "key-rsa-pkcs8-body" => STANDARD.encode(fake_rsa_pkcs8(&seed)),
        "key-ed25519-openssh-body" => ed25519_openssh(&seed)?
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect(),
        "key-dsa-pem" => pem("DSA PRIVATE KEY", &fake_dsa(&seed), LineEnding::LF),
        "key-encrypted-pkcs8-pem" => pem(
            "ENCRYPTED PRIVATE KEY",
            &seeded_bytes(&seed, 240),
            LineEnding::LF,
        ),
        "key-encrypted-rsa-pem" => {
            let body = pem("RSA PRIVATE KEY", &seeded_bytes(&seed, 608), LineEnding::LF);
            let iv = hex::encode_upper(seeded_bytes(&format!("{seed} iv"), 16));
            body.replacen(
                "-----\n",
                &format!("-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,{iv}\n\n"),
                1,
            )
        }
        "key-pgp-private" => pgp_private(&seed, false),
        "key-pgp-private-encrypted" => pgp_private(&seed, true),
        "key-minisign" => minisign(&seed, false),
        "key-minisign-encrypted" => minisign(&seed, true),
        "key-putty-ppk" => putty(&seed, 2, false),
        "key-putty-ppk-encrypted" => putty(&seed, 2, true),
        "key-putty-ppk-v3" => putty(&seed, 3, false),
        "key-putty-ppk-v3-encrypted" => putty(&seed, 3, true),
        _ => return None,
    })
}

/// A PuTTY `.ppk` file of an Ed25519 key derived from the seed (the key `key-ed25519-pkcs8-pem` gives for the
/// same seed): its public lines are the real public key; encrypted private lines are random bytes, and the MAC
/// matches nothing.
fn putty(seed: &str, version: u8, encrypted: bool) -> String {
    fn ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
        let len = u32::try_from(bytes.len()).expect("short field");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(bytes);
    }
    let secret = ed25519_seed(seed);
    let public_key = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-ed25519");
    ssh_string(&mut blob, public_key.as_bytes());
    let public = wrap(&STANDARD.encode(&blob), 64);
    let private_bytes = if encrypted {
        seeded_bytes(&format!("{seed} priv"), 48)
    } else {
        let mut p = Vec::new();
        ssh_string(&mut p, &secret);
        p
    };
    let private = wrap(&STANDARD.encode(&private_bytes), 64);
    let (encryption, kdf) = match (encrypted, version) {
        (false, _) => ("none", String::new()),
        (true, 2) => ("aes256-cbc", String::new()),
        (true, _) => (
            "aes256-cbc",
            format!(
                "Key-Derivation: Argon2id\nArgon2-Memory: 8192\nArgon2-Passes: 13\nArgon2-Parallelism: 1\n\
                 Argon2-Salt: {}\n",
                hex::encode(seeded_bytes(&format!("{seed} salt"), 16))
            ),
        ),
    };
    let mac = hex::encode(seeded_bytes(
        &format!("{seed} mac"),
        if version == 2 { 20 } else { 32 },
    ));
    format!(
        "PuTTY-User-Key-File-{version}: ssh-ed25519\nEncryption: {encryption}\nComment: ed25519-key-example\n\
         Public-Lines: {}\n{public}\n{kdf}Private-Lines: {}\n{private}\nPrivate-MAC: {mac}\n",
        public.lines().count(),
        private.lines().count()
    )
}

/// A minisign secret key file of the Ed25519 key derived from the seed: unencrypted (`minisign -G -W`), or
/// with random bytes where an encrypted key's are.
fn minisign(seed: &str, encrypted: bool) -> String {
    let secret = ed25519_seed(seed);
    let public = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
    let mut bytes = b"Ed".to_vec();
    bytes.extend_from_slice(if encrypted { b"Sc" } else { &[0, 0] });
    bytes.extend_from_slice(b"B2");
    bytes.extend(seeded_bytes(&format!("{seed} salt"), 32));
    bytes.extend_from_slice(&33_554_432u64.to_le_bytes());
    bytes.extend_from_slice(&1_073_741_824u64.to_le_bytes());
    if encrypted {
        bytes.extend(seeded_bytes(&format!("{seed} sealed"), 104));
    } else {
        bytes.extend(seeded_bytes(&format!("{seed} key id"), 8));
        bytes.extend_from_slice(&secret);
        bytes.extend_from_slice(public.as_bytes());
        bytes.extend(seeded_bytes(&format!("{seed} checksum"), 32));
    }
    let kind = if encrypted {
        "encrypted secret key"
    } else {
        "secret key"
    };
    format!(
        "untrusted comment: minisign {kind}\n{}\n",
        STANDARD.encode(bytes)
    )
}

/// PEM armour with 64-character lines.
fn pem(label: &str, der: &[u8], ending: LineEnding) -> String {
    pkcs8::der::pem::encode_string(label, ending, der).expect("PEM encoding of bytes in memory")
}

/// One line, the line ends written as the escape `esc` (as in a JSON string).
fn escaped(pem: &str, esc: &str) -> String {
    pem.lines().map(|l| format!("{l}{esc}")).collect()
}

/// Each line a quoted string, concatenated with `+` (as in source code).
fn concat(pem: &str) -> String {
    pem.lines()
        .map(|l| format!("\"{l}\\n\""))
        .collect::<Vec<_>>()
        .join(" +\n    ")
}

fn wrap(s: &str, width: usize) -> String {
    s.as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn p256_secret(seed: &str) -> p256::SecretKey {
    // A SHA-256 output is a valid P-256 scalar except with probability ~2^-32; step the seed until it is.
    (0u32..)
        .find_map(|i| p256::SecretKey::from_slice(&seeded_bytes(&format!("{seed}/{i}"), 32)).ok())
        .expect("some SHA-256 output is a valid scalar")
}

/// PKCS#8 shaped as Apple's `.p8` files: the inner SEC1 key repeats the curve and carries the public key,
/// so the body is 200 characters starting `MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg`.
fn p256_pkcs8_der(seed: &str) -> Vec<u8> {
    let sec1 = p256_sec1_der(seed);
    let curve = pkcs8::der::asn1::AnyRef::from_der(&OID_P256.to_der().expect("OID encoding"))
        .expect("an encoded OID is valid DER")
        .to_der()
        .expect("re-encoding");
    pkcs8::PrivateKeyInfoRef::new(
        pkcs8::spki::AlgorithmIdentifierRef {
            oid: OID_EC,
            parameters: Some(pkcs8::der::asn1::AnyRef::from_der(&curve).expect("valid DER")),
        },
        pkcs8::der::asn1::OctetStringRef::new(&sec1).expect("short enough"),
    )
    .to_der()
    .expect("DER encoding of a PKCS#8 structure")
}

/// SEC1 with the named curve and the public key, as OpenSSL writes it.
fn p256_sec1_der(seed: &str) -> Vec<u8> {
    let secret = p256_secret(seed);
    let scalar = secret.to_bytes();
    let point = secret.public_key().to_sec1_bytes();
    sec1::EcPrivateKey {
        private_key: &scalar,
        parameters: Some(sec1::EcParameters::NamedCurve(OID_P256)),
        public_key: Some(&point),
    }
    .to_der()
    .expect("SEC1 encoding of a valid key")
}

fn ed25519_seed(seed: &str) -> [u8; 32] {
    seeded_bytes(seed, 32)
        .try_into()
        .expect("32 bytes requested")
}

/// PKCS#8 v1 as OpenSSL writes it (RFC 8410): the private key is an OCTET STRING holding the 32-byte seed.
fn ed25519_pkcs8_der(seed: &str) -> Vec<u8> {
    let secret = ed25519_seed(seed);
    let inner = pkcs8::der::asn1::OctetStringRef::new(&secret)
        .expect("short enough")
        .to_der()
        .expect("DER encoding of an OCTET STRING");
    pkcs8::PrivateKeyInfoRef::new(
        pkcs8::spki::AlgorithmIdentifierRef {
            oid: OID_ED25519,
            parameters: None,
        },
        pkcs8::der::asn1::OctetStringRef::new(&inner).expect("short enough"),
    )
    .to_der()
    .expect("DER encoding of a PKCS#8 structure")
}

/// An OpenPGP v4 secret key (EdDSA on Ed25519, as GnuPG writes it) with a user id, armoured with its CRC-24;
/// protected, its secret fields are random bytes behind an iterated and salted S2K and AES-256.
fn pgp_private(seed: &str, encrypted: bool) -> String {
    let signing = ed25519_dalek::SigningKey::from_bytes(
        &seeded_bytes(seed, 32).try_into().expect("32 bytes"),
    );
    let mut body = vec![4];
    body.extend_from_slice(&1_735_689_600u32.to_be_bytes());
    body.push(22);
    let oid = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];
    body.push(oid.len() as u8);
    body.extend_from_slice(&oid);
    body.extend_from_slice(&263u16.to_be_bytes());
    body.push(0x40);
    body.extend_from_slice(signing.verifying_key().as_bytes());
    if encrypted {
        body.extend_from_slice(&[254, 9, 3, 8]);
        body.extend(seeded_bytes(&format!("{seed} salt"), 8));
        body.push(0xFF);
        body.extend(seeded_bytes(&format!("{seed} iv"), 16));
        body.extend(seeded_bytes(&format!("{seed} sealed"), 54));
    } else {
        body.push(0);
        let secret = signing.to_bytes();
        let bits = 256 - secret[0].leading_zeros() as u16;
        let mut mpi = bits.to_be_bytes().to_vec();
        mpi.extend(secret.iter().skip_while(|b| **b == 0));
        let sum = mpi.iter().fold(0u16, |a, b| a.wrapping_add(u16::from(*b)));
        body.extend(mpi);
        body.extend_from_slice(&sum.to_be_bytes());
    }
    let packet = |tag: u8, body: &[u8]| {
        let mut out = vec![
            0xC0 | tag,
            u8::try_from(body.len()).expect("a short packet"),
        ];
        out.extend_from_slice(body);
        out
    };
    let mut bytes = packet(5, &body);
    bytes.extend(packet(13, b"fake-example <fake@example.com>"));
    let crc = bytes.iter().fold(0xB7_04CEu32, |mut crc, b| {
        crc ^= u32::from(*b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x100_0000 != 0 {
                crc ^= 0x186_4CFB;
            }
        }
        crc
    }) & 0xFF_FFFF;
    format!(
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{}\n={}\n-----END PGP PRIVATE KEY BLOCK-----\n",
        wrap(&STANDARD.encode(&bytes), 64),
        STANDARD.encode(&crc.to_be_bytes()[1..])
    )
}

fn ed25519_openssh(seed: &str) -> Option<String> {
    use ssh_key::private::{Ed25519Keypair, Ed25519PrivateKey, KeypairData};
    let secret = ed25519_seed(seed);
    let public = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
    let pair = Ed25519Keypair {
        public: ssh_key::public::Ed25519PublicKey(public.to_bytes()),
        private: Ed25519PrivateKey::from_bytes(&secret),
    };
    let key = ssh_key::PrivateKey::new(KeypairData::Ed25519(pair), "example@keysweep").ok()?;
    Some(key.to_openssh(ssh_key::LineEnding::LF).ok()?.to_string())
}

/// `len` seeded bytes as a positive integer with its top bit set (no leading zero to strip).
fn big(seed: &str, label: &str, len: usize) -> Vec<u8> {
    let mut b = seeded_bytes(&format!("{seed} {label}"), len);
    b[0] |= 0x80;
    b
}

/// A PKCS#1 `RSAPrivateKey` of random integers: parses like a 2048-bit key, signs nothing.
fn fake_rsa_pkcs1(seed: &str) -> Vec<u8> {
    let ints: Vec<Vec<u8>> = [
        ("n", 256),
        ("d", 256),
        ("p", 128),
        ("q", 128),
        ("dp", 128),
        ("dq", 128),
        ("qinv", 128),
    ]
    .iter()
    .map(|(l, n)| big(seed, l, *n))
    .collect();
    fn u(b: &[u8]) -> UintRef<'_> {
        UintRef::new(b).expect("non-empty integer")
    }
    RsaPrivateKeyRef {
        modulus: u(&ints[0]),
        public_exponent: u(&[0x01, 0x00, 0x01]),
        private_exponent: u(&ints[1]),
        prime1: u(&ints[2]),
        prime2: u(&ints[3]),
        exponent1: u(&ints[4]),
        exponent2: u(&ints[5]),
        coefficient: u(&ints[6]),
        other_prime_infos: None,
    }
    .to_der()
    .expect("DER encoding of integers")
}

fn fake_rsa_pkcs8(seed: &str) -> Vec<u8> {
    let inner = fake_rsa_pkcs1(seed);
    let info = pkcs8::PrivateKeyInfoRef::new(
        pkcs8::spki::AlgorithmIdentifierRef {
            oid: super::der::OID_RSA,
            parameters: Some(pkcs8::der::asn1::AnyRef::NULL),
        },
        pkcs8::der::asn1::OctetStringRef::new(&inner).expect("short enough"),
    );
    info.to_der().expect("DER encoding of a PKCS#8 structure")
}

/// The traditional DSA form of random integers.
fn fake_dsa(seed: &str) -> Vec<u8> {
    let ints = [
        vec![0u8],
        big(seed, "p", 256),
        big(seed, "q", 32),
        big(seed, "g", 256),
        big(seed, "y", 256),
        big(seed, "x", 32),
    ];
    ints.iter()
        .map(|b| UintRef::new(b).expect("non-empty integer"))
        .collect::<Vec<_>>()
        .to_der()
        .expect("DER encoding of integers")
}
