//! age X25519 identities (`AGE-SECRET-KEY-1…`): bech32 of the 32-byte X25519 secret. The public key (the
//! `age1…` recipient) is derived and written as an X25519 SubjectPublicKeyInfo (RFC 8410), so an inventory can
//! name an age identity by its public key. The checksum is checked by the validator, not here.

use pkcs8::der::asn1::ObjectIdentifier;
use pkcs8::spki::AlgorithmIdentifierRef;

use super::der;
use crate::model::KeyMaterial;

/// `id-X25519`.
const OID_X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");

/// The bech32 alphabet.
const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// The public key of an age secret key (its checksum not checked); `None` when the text is no such key.
pub(crate) fn public_key(text: &[u8]) -> Option<KeyMaterial> {
    let lower = text.to_ascii_lowercase();
    let data = lower.strip_prefix(b"age-secret-key-1")?;
    // 52 characters of key (260 bits: 256 and 4 of padding), then 6 of checksum.
    if data.len() != 58 {
        return None;
    }
    let mut secret = Vec::with_capacity(32);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in &data[..52] {
        let v = BECH32.iter().position(|a| a == c)?;
        acc = (acc << 5) | u32::try_from(v).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            secret.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    let secret: [u8; 32] = secret.try_into().ok()?;
    let public = curve25519_dalek::MontgomeryPoint::mul_base_clamped(secret);
    let spki = der::spki(
        AlgorithmIdentifierRef {
            oid: OID_X25519,
            parameters: None,
        },
        public.as_bytes(),
    )
    .ok()?;
    Some(KeyMaterial::from_spki("x25519", spki).with_format("age"))
}
