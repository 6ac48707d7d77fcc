//! OpenSSH private keys (`BEGIN OPENSSH PRIVATE KEY`, binary `openssh-key-v1`), decoded with `ssh-key`. Their
//! public key is stored in the clear, even in encrypted keys, and is written as the SubjectPublicKeyInfo that
//! OpenSSL would give the same key, so an OpenSSH key and its PEM form are one finding.

use pkcs1::RsaPublicKeyRef;
use pkcs8::der::Encode;
use pkcs8::der::asn1::UintRef;
use pkcs8::spki::AlgorithmIdentifierRef;
use ssh_key::public::{EcdsaPublicKey, KeyData};

use super::der::{self, DerError, OID_ED25519, OID_P256, OID_P384, OID_P521};
use crate::model::{FORMAT_OPENSSH, KeyMaterial};

/// The magic bytes every binary OpenSSH private key starts with.
pub(crate) const MAGIC: &[u8] = b"openssh-key-v1\0";

/// A decoded OpenSSH private key: its public key, and whether the private part is encrypted.
pub(crate) struct OpenSsh {
    /// The public key's material.
    pub key: KeyMaterial,
    /// The private part needs a passphrase.
    pub encrypted: bool,
}

/// Decodes a binary OpenSSH private key.
pub(crate) fn parse(bytes: &[u8]) -> Result<OpenSsh, DerError> {
    if !bytes.starts_with(MAGIC) {
        return Err(DerError::Malformed);
    }
    let Ok(key) = ssh_key::PrivateKey::from_bytes(bytes) else {
        return from_header(bytes);
    };
    let encrypted = key.is_encrypted();
    let key = material(key.public_key().key_data())?.with_format(FORMAT_OPENSSH);
    Ok(OpenSsh { key, encrypted })
}

/// The string (`u32` length, bytes) at `pos` of `bytes`, and the position after it.
fn string_at(bytes: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let len = usize::try_from(u32::from_be_bytes(
        bytes.get(pos..pos + 4)?.try_into().ok()?,
    ))
    .ok()?;
    let end = pos.checked_add(4)?.checked_add(len)?;
    Some((bytes.get(pos + 4..end)?, end))
}

/// A key whose private section `ssh-key` refuses, read from its clear header instead: the cipher name and the
/// first public key. OpenSSH writes such keys: an ECDSA scalar whose first byte is zero (1 key in 256) is
/// stored as a 31-byte mpint, which `ssh-key` rejects. The whole structure must still be complete.
fn from_header(bytes: &[u8]) -> Result<OpenSsh, DerError> {
    let header = || -> Option<(&[u8], &[u8])> {
        encoded_len(bytes)?;
        let (cipher, pos) = string_at(bytes, MAGIC.len())?;
        let (_kdf, pos) = string_at(bytes, pos)?;
        let (_kdf_options, pos) = string_at(bytes, pos)?;
        let (public, _) = string_at(bytes, pos + 4)?;
        Some((cipher, public))
    };
    let (cipher, public) = header().ok_or(DerError::Malformed)?;
    let public = ssh_key::PublicKey::from_bytes(public).map_err(|_| DerError::Malformed)?;
    Ok(OpenSsh {
        key: material(public.key_data())?.with_format(FORMAT_OPENSSH),
        encrypted: cipher != b"none",
    })
}

/// How many bytes the binary OpenSSH key at the start of `bytes` spans (magic, cipher, KDF, public keys, the
/// private section), read from its length fields; `None` if they run past the end. At most 16 keys are read.
pub(crate) fn encoded_len(bytes: &[u8]) -> Option<usize> {
    if !bytes.starts_with(MAGIC) {
        return None;
    }
    let mut pos = MAGIC.len();
    for _ in 0..3 {
        pos = string_at(bytes, pos)?.1;
    }
    let count = u32::from_be_bytes(bytes.get(pos..pos + 4)?.try_into().ok()?);
    pos += 4;
    if count > 16 {
        return None;
    }
    for _ in 0..=count {
        pos = string_at(bytes, pos)?.1;
    }
    Some(pos)
}

fn positive(m: &ssh_key::Mpint) -> Result<&[u8], DerError> {
    m.as_positive_bytes().ok_or(DerError::Malformed)
}

/// The SPKI form of an SSH public key; keys with no SPKI form (security keys) keep the SSH public key blob.
pub(crate) fn material(data: &KeyData) -> Result<KeyMaterial, DerError> {
    match data {
        KeyData::Ed25519(pk) => Ok(KeyMaterial::from_spki(
            "ed25519",
            der::spki(
                AlgorithmIdentifierRef {
                    oid: OID_ED25519,
                    parameters: None,
                },
                &pk.0,
            )?,
        )),
        KeyData::Ecdsa(ec) => {
            let curve = match ec {
                EcdsaPublicKey::NistP256(_) => OID_P256,
                EcdsaPublicKey::NistP384(_) => OID_P384,
                EcdsaPublicKey::NistP521(_) => OID_P521,
            };
            Ok(KeyMaterial::from_spki(
                &der::curve_name(curve),
                der::ec_spki(curve, ec.as_sec1_bytes())?,
            ))
        }
        KeyData::Rsa(rsa) => {
            let public = RsaPublicKeyRef {
                modulus: UintRef::new(positive(&rsa.n)?).map_err(|_| DerError::Malformed)?,
                public_exponent: UintRef::new(positive(&rsa.e)?)
                    .map_err(|_| DerError::Malformed)?,
            }
            .to_der()
            .map_err(|_| DerError::Malformed)?;
            Ok(KeyMaterial::from_spki("rsa", der::rsa_spki(&public)?))
        }
        KeyData::Dsa(dsa) => Ok(KeyMaterial::from_spki(
            "dsa",
            der::dsa_spki(
                positive(&dsa.p)?,
                positive(&dsa.q)?,
                positive(&dsa.g)?,
                positive(&dsa.y)?,
            )?,
        )),
        other => {
            let blob = ssh_key::PublicKey::from(other.clone())
                .to_bytes()
                .map_err(|_| DerError::Malformed)?;
            Ok(KeyMaterial::from_spki(
                &format!("ssh-{}", other.algorithm().as_str()),
                blob,
            ))
        }
    }
}
