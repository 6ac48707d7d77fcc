//! Key material: the public side of a parsed private key, which makes every encoding of one key one finding.

use sha2::{Digest, Sha256};

/// The algorithm name of EC P-256 keys (App Store Connect `.p8` keys).
pub const EC_P256: &str = "ec-p256";
/// The format name of OpenSSH private keys (`KeyMaterial::format`).
pub const FORMAT_OPENSSH: &str = "openssh";

/// The public side of a parsed private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyMaterial {
    /// `ec-p256`, `ec-p384`, `rsa`, `ed25519`, …
    pub algorithm: String,
    /// DER SubjectPublicKeyInfo (for OpenSSH keys without an SPKI form: the SSH public key blob; for OpenPGP keys:
    /// the public-key packet body).
    pub spki_der: Vec<u8>,
    /// Lowercase hex SHA-256 of `spki_der`.
    pub public_key_sha256: String,
    /// The private key's container: `pkcs8`, `sec1`, `pkcs1`, `dsa`, `openssh` (empty when not known).
    pub format: &'static str,
    /// The key's own name where its format defines one: an OpenPGP key's fingerprint (upper-case hex).
    pub key_id: Option<String>,
}

impl KeyMaterial {
    /// Builds key material from an SPKI DER.
    pub fn from_spki(algorithm: &str, spki_der: Vec<u8>) -> KeyMaterial {
        let public_key_sha256 = hex::encode(Sha256::digest(&spki_der));
        KeyMaterial {
            algorithm: algorithm.to_string(),
            spki_der,
            public_key_sha256,
            format: "",
            key_id: None,
        }
    }

    /// The same material, naming the private key's container.
    pub fn with_format(mut self, format: &'static str) -> KeyMaterial {
        self.format = format;
        self
    }
}
