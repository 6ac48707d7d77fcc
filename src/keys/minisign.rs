//! minisign secret keys: base64 of `Ed`, the KDF (`Sc` for scrypt-encrypted keys, two zero bytes for
//! unencrypted ones), the checksum algorithm `B2`, the KDF salt and limits, then the key id, the Ed25519 secret
//! key (seed and public key) and a checksum, 158 bytes in all. An unencrypted key's public key is its last 32
//! bytes of secret key, written as the Ed25519 SubjectPublicKeyInfo.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pkcs8::spki::AlgorithmIdentifierRef;

use super::der::{self, OID_ED25519};
use crate::model::KeyMaterial;

/// The decoded length of every minisign secret key.
const LEN: usize = 158;

/// A minisign secret key: whether it is encrypted, and its public key when it is not.
pub struct Minisign {
    /// The key needs its password (the default; `minisign -G -W` writes unencrypted keys).
    pub encrypted: bool,
    /// The Ed25519 public key, for unencrypted keys.
    pub key: Option<KeyMaterial>,
}

/// Decodes the base64 line of a minisign secret key; `None` for anything else.
pub fn parse(text: &[u8]) -> Option<Minisign> {
    let line = text
        .split(|b| b.is_ascii_whitespace())
        .find(|l| !l.is_empty())?;
    if line.len() > 2 * LEN {
        return None;
    }
    let bytes = STANDARD.decode(line).ok()?;
    if bytes.len() != LEN || &bytes[..2] != b"Ed" || &bytes[4..6] != b"B2" {
        return None;
    }
    let encrypted = match &bytes[2..4] {
        b"Sc" => true,
        [0, 0] => false,
        _ => return None,
    };
    // Algorithms (6), salt (32), ops and memory limits (16), key id (8), then the 64-byte secret key.
    let key = (!encrypted)
        .then(|| {
            let public = &bytes[6 + 32 + 16 + 8 + 32..6 + 32 + 16 + 8 + 64];
            der::spki(
                AlgorithmIdentifierRef {
                    oid: OID_ED25519,
                    parameters: None,
                },
                public,
            )
            .ok()
        })
        .flatten()
        .map(|spki| KeyMaterial::from_spki("ed25519", spki).with_format("minisign"));
    Some(Minisign { encrypted, key })
}
