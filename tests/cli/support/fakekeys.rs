//! FAKE keys and tokens for every test, generated at run time and never committed. Each comes from a seed: the
//! same seed gives the same bytes, so reports, fingerprints and snapshots are stable, and two seeds give two
//! unrelated secrets. None of them is valid anywhere: P-256 keys come from a hash of the seed, tokens of real
//! formats come from the crate's own example generators (which compute checksums such as GitHub's CRC-32), and
//! the rest are shaped like a provider's tokens without being one.

use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};

/// A FAKE P-256 private key from a seed: (PKCS#8 PEM, SPKI DER of its public key, SPKI PEM).
pub fn p256(seed: &str) -> (String, Vec<u8>, String) {
    let sk = p256::SecretKey::from_slice(&Sha256::digest(format!("fake-key:{seed}").as_bytes()))
        .expect("a SHA-256 digest is a valid P-256 scalar");
    let pem = sk.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string();
    let spki = sk
        .public_key()
        .to_public_key_der()
        .expect("der")
        .as_bytes()
        .to_vec();
    let spki_pem = sk
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("pem");
    (pem, spki, spki_pem)
}

/// The PKCS#8 PEM of [`p256`]`(seed)`: what an App Store Connect `.p8` file or a `key.pem` holds.
pub fn p256_pem(seed: &str) -> String {
    p256(seed).0
}

/// A FAKE token shaped like a provider's: `prefix` and `len` characters derived from `seed`.
pub fn token(prefix: &str, seed: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
    let mut out = prefix.to_string();
    let mut block = Sha256::digest(format!("fake-token:{seed}").as_bytes()).to_vec();
    while out.len() < prefix.len() + len {
        for b in &block {
            if out.len() < prefix.len() + len {
                out.push(ALPHABET[*b as usize % ALPHABET.len()] as char);
            }
        }
        block = Sha256::digest(&block).to_vec();
    }
    out
}

/// A token of the test-only rule `kstest.token` (see `scan`): `kstest_` and 24 hex digits derived from the
/// seed. No provider issues these; the snapshots hold their fingerprints, so the derivation must not change.
pub fn kstest_token(seed: &str) -> String {
    let h = hex::encode(Sha256::digest(
        format!("keysweep fake token {seed}").as_bytes(),
    ));
    format!("kstest_{}", &h[..24])
}

/// A token from the crate's example generator `generator` (e.g. `github-ghp`, `npm`, `base62-32`), valid
/// checksum included.
pub fn generated(generator: &str, seed: &str) -> String {
    super::generate(generator, seed).unwrap_or_else(|| panic!("unknown generator {generator}"))
}

/// A FAKE GitHub classic token (`ghp_`) with a valid CRC-32/base62 checksum.
pub fn ghp(seed: &str) -> String {
    generated("github-ghp", seed)
}

/// A private key from the crate's key example generator `generator` (e.g. `key-p256-pkcs8-pem`,
/// `key-rsa-pkcs1-pem`, `key-b64-p256-pkcs8-pem`).
pub fn example_key(generator: &str, seed: &str) -> String {
    super::generate_example(generator, seed)
        .unwrap_or_else(|| panic!("unknown key generator {generator}"))
}

/// Lowercase hex SHA-256, as inventories hold secret and public-key hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
