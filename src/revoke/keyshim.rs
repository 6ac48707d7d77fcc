//! TEMPORARY SHIM until `crate::keys::p256_pkcs8_der` lands from the `keys` branch: decodes only plain PKCS#8
//! PEM of an EC P-256 key. The lead swaps every `keyshim::p256_pkcs8_der` call for `crate::keys::p256_pkcs8_der`
//! at merge and deletes this file.

use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};

/// PKCS#8 DER of an EC P-256 private key given as plain PKCS#8 PEM (the shim's only encoding).
pub fn p256_pkcs8_der(candidate: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(candidate).ok()?;
    let key = p256::SecretKey::from_pkcs8_pem(text.trim()).ok()?;
    Some(key.to_pkcs8_der().ok()?.as_bytes().to_vec())
}
