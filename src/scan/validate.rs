//! Offline validators named by rules (`validate = "…"`): checksums and key parses that confirm a candidate
//! without any network call. `Invalid` drops the candidate; `Unverified` keeps it with `validated: false`.

use crate::keys::{self, KeyMaterial, KeyParse};

/// What a validator says of a candidate secret.
#[derive(Debug)]
pub enum Validation {
    /// Confirmed (checksum holds, key parses); key material for private keys.
    Valid(Option<KeyMaterial>),
    /// Could not be confirmed either way (an encrypted key): still reported, `validated: false`.
    Unverified(Option<KeyMaterial>),
    /// Not a secret of this kind (bad checksum, not a key, a key of another type): dropped.
    Invalid,
}

/// Every validator name a rule may use.
pub const VALIDATORS: &[&str] = &[
    "private-key",
    "private-key-plain",
    "private-key-encrypted",
    "pkcs8-ec-p256",
];

/// Runs the named validator over a candidate's bytes. Unknown names are rejected when rules load.
pub fn validate(name: &str, secret: &[u8]) -> Validation {
    match name {
        "private-key" => match keys::parse_private_key(secret) {
            KeyParse::Parsed(k) => Validation::Valid(Some(k)),
            KeyParse::EncryptedWithPublic(k) => Validation::Unverified(Some(k)),
            KeyParse::Encrypted | KeyParse::Unparseable => Validation::Unverified(None),
            KeyParse::NotAKey => Validation::Invalid,
        },
        // Unencrypted keys only (encrypted ones are left to a `private-key-encrypted` rule).
        "private-key-plain" => match keys::parse_private_key(secret) {
            KeyParse::Parsed(k) => Validation::Valid(Some(k)),
            KeyParse::Unparseable => Validation::Unverified(None),
            _ => Validation::Invalid,
        },
        // Encrypted keys only: still a leak if the passphrase leaks too.
        "private-key-encrypted" => match keys::parse_private_key(secret) {
            KeyParse::Encrypted => Validation::Unverified(None),
            KeyParse::EncryptedWithPublic(k) => Validation::Unverified(Some(k)),
            _ => Validation::Invalid,
        },
        "pkcs8-ec-p256" => match keys::parse_private_key(secret) {
            // An OpenSSH ECDSA key on the same curve is not an App Store Connect key.
            KeyParse::Parsed(k) if k.algorithm == keys::EC_P256 && k.format != keys::FORMAT_OPENSSH => {
                Validation::Valid(Some(k))
            }
            _ => Validation::Invalid,
        },
        _ => Validation::Invalid,
    }
}
