//! Identity and hashes, exact because baselines, inventories and scripts depend on them (DESIGN.md "Identity and
//! hashes"): a finding's fingerprint and an inventory entry's secret hash.

use sha2::{Digest, Sha256};

/// `sha256("key\0" + SPKI DER)`, lowercase hex.
pub fn fingerprint_key(spki_der: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"key\0");
    h.update(spki_der);
    hex::encode(h.finalize())
}

/// `sha256(rule_id + "\0" + token)`, lowercase hex.
pub fn fingerprint_token(rule_id: &str, token: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update(b"\0");
    h.update(token.as_bytes());
    hex::encode(h.finalize())
}

/// Lowercase hex SHA-256 of a secret's exact bytes (the inventory's `secret_sha256`).
pub fn secret_sha256(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(
            fingerprint_token("github.pat", "x"),
            hex::encode(Sha256::digest(b"github.pat\0x"))
        );
    }
}
