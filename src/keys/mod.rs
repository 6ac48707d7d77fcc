//! Key material: decodes a private key in any form the rules find (PEM with LF/CRLF, `\n`-escaped PEM inside a
//! string, the armourless base64 body, base64-of-PEM), derives its public key and the SPKI SHA-256 fingerprint
//! that identifies it across encodings.

use sha2::{Digest, Sha256};

/// The algorithm name of EC P-256 keys (App Store Connect `.p8` keys).
pub const EC_P256: &str = "ec-p256";

/// The public side of a parsed private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMaterial {
    /// `ec-p256`, `ec-p384`, `rsa`, `ed25519`, …
    pub algorithm: String,
    /// DER SubjectPublicKeyInfo (for OpenSSH keys without an SPKI form: the SSH public key blob).
    pub spki_der: Vec<u8>,
    /// Lowercase hex SHA-256 of `spki_der`.
    pub public_key_sha256: String,
}

impl KeyMaterial {
    /// Builds key material from an SPKI DER.
    pub fn from_spki(algorithm: &str, spki_der: Vec<u8>) -> KeyMaterial {
        let public_key_sha256 = hex::encode(Sha256::digest(&spki_der));
        KeyMaterial {
            algorithm: algorithm.to_string(),
            spki_der,
            public_key_sha256,
        }
    }
}

/// The outcome of decoding a candidate private key.
#[derive(Debug)]
pub enum KeyParse {
    /// A private key that parses.
    Parsed(KeyMaterial),
    /// An encrypted private key (the public key cannot be derived without its passphrase).
    Encrypted,
    /// Looks like a private key but does not parse (corrupt or truncated).
    Unparseable,
    /// Not a private key at all (a public key, a certificate, a placeholder).
    NotAKey,
}

/// Decodes a candidate private key in any supported encoding.
pub fn parse_private_key(candidate: &[u8]) -> KeyParse {
    let _ = candidate;
    KeyParse::Unparseable
}

/// `keysweep keys fingerprint FILE...`: prints `path<TAB>key_id or -<TAB>public_key_sha256` per key.
pub fn fingerprint_files(files: &[std::path::PathBuf]) -> anyhow::Result<crate::ExitStatus> {
    let _ = files;
    anyhow::bail!("keys fingerprint is not implemented yet")
}

/// Example generators for rule checks (`{{gen:key-…}}`); `None` for an unknown name.
pub fn generate_example(name: &str, seed: &str) -> Option<String> {
    let _ = (name, seed);
    None
}
