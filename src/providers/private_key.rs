//! Private keys of no known provider (`private-key.*` rules: SSH, TLS and signing keys, and P-256 keys with no
//! evidence of whose they are): no endpoint to call and no console to name, so revocation is `ManualRequired`
//! with what replacing such a key takes. An inventory entry with a real provider takes over (its provider's steps).

use super::RevocationOutcome;

/// The provider id (a catch-all, see `model::provider::GENERIC_PROVIDERS`).
pub const ID: &str = "private-key";

/// Manual steps for a private key of no known provider (an SSH, TLS or signing key, or a P-256 key with no
/// evidence of whose it is): nothing to call, the key is replaced wherever its public key is trusted.
pub fn manual(key_id: Option<&str>, _individual: bool) -> RevocationOutcome {
    let key = key_id.map_or_else(|| "the key".to_string(), |id| format!("the key {id}"));
    RevocationOutcome::ManualRequired {
        steps: vec![
            format!("Find where {key}'s public key is trusted (its public_key_sha256 names it): SSH authorized_keys and host keys, deploy keys, TLS certificates, signing or JWT verification keys, an Apple or cloud console."),
            "Issue a new key pair there, move its users to it, then remove or revoke the old public key (for a certificate: revoke it at its CA).".into(),
            "If it is a provider's key after all (an App Store Connect .p8, say), add it to the inventory with that provider and its key_id: the provider's own steps then apply.".into(),
        ],
        url: None,
    }
}
