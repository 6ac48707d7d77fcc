//! PuTTY private keys (`.ppk`, versions 2 and 3): a text file of `Name: value` headers whose public key lines
//! are base64 of the SSH public key blob, in the clear even when the private lines are encrypted. The blob is
//! decoded with `ssh-key` and written as the SubjectPublicKeyInfo OpenSSL would give the same key, so a `.ppk`
//! and the OpenSSH or PEM form of its key are one finding.

use super::der::DerError;
use super::openssh;
use crate::model::KeyMaterial;

/// The first header of every `.ppk` file (followed by the version digit).
pub(crate) const MAGIC: &str = "PuTTY-User-Key-File-";

/// The most public key lines read (an RSA 16384-bit key needs 33 lines of 64 characters).
const MAX_PUBLIC_LINES: usize = 64;

/// A decoded `.ppk`: its public key, and whether the private lines are encrypted.
pub(crate) struct Ppk {
    /// The public key's material.
    pub key: KeyMaterial,
    /// The private lines need a passphrase.
    pub encrypted: bool,
}

/// Decodes the `.ppk` starting at the first [`MAGIC`] of `text`: `Malformed` when it is no such file,
/// `Unsupported` when its public key is of a kind `ssh-key` does not read.
pub(crate) fn parse(text: &str) -> Result<Ppk, DerError> {
    let start = text.find(MAGIC).ok_or(DerError::Malformed)?;
    let mut lines = text[start..].lines().map(str::trim_end);
    let first = lines.next().ok_or(DerError::Malformed)?;
    let version = first[MAGIC.len()..].split(':').next().unwrap_or("");
    if version != "2" && version != "3" {
        return Err(DerError::Malformed);
    }
    let mut encrypted = None;
    // Headers up to `Public-Lines`: `Encryption`, `Comment`.
    for line in lines.by_ref().take(8) {
        let (name, value) = line.split_once(": ").ok_or(DerError::Malformed)?;
        match name {
            "Encryption" => encrypted = Some(value != "none"),
            "Public-Lines" => {
                let encrypted = encrypted.ok_or(DerError::Malformed)?;
                let key = public_lines(value, lines)?;
                return Ok(Ppk { key, encrypted });
            }
            _ => {}
        }
    }
    Err(DerError::Malformed)
}

/// The public key of a `.ppk` text that starts at its `Public-Lines:` header (what the PuTTY rules match, the
/// comment line before it left out).
pub(crate) fn public_key(text: &str) -> Result<KeyMaterial, DerError> {
    let rest = text
        .trim_start()
        .strip_prefix("Public-Lines: ")
        .ok_or(DerError::Malformed)?;
    let mut lines = rest.lines().map(str::trim_end);
    let count = lines.next().ok_or(DerError::Malformed)?;
    public_lines(count, lines)
}

/// `count` (the `Public-Lines` value) lines of base64 from `lines`, decoded as an SSH public key blob.
fn public_lines<'a>(
    count: &str,
    mut lines: impl Iterator<Item = &'a str>,
) -> Result<KeyMaterial, DerError> {
    let count = count.parse::<usize>().map_err(|_| DerError::Malformed)?;
    if count == 0 || count > MAX_PUBLIC_LINES {
        return Err(DerError::Malformed);
    }
    let mut body = String::new();
    for _ in 0..count {
        body.push_str(lines.next().ok_or(DerError::Malformed)?);
    }
    let blob = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|_| DerError::Malformed)?
    };
    let public = ssh_key::PublicKey::from_bytes(&blob).map_err(|_| DerError::Unsupported)?;
    Ok(openssh::material(public.key_data())?.with_format("ppk"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncated_files_are_not_keys() {
        for text in [
            "PuTTY-User-Key-File-2: ssh-rsa\n",
            "PuTTY-User-Key-File-9: ssh-rsa\nEncryption: none\nPublic-Lines: 1\nAAAA\n",
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 99999\nAAAA\n",
            "PuTTY-User-Key-File-3: ssh-ed25519\nPublic-Lines: 1\nAAAA\n",
            "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPublic-Lines: 2\n!!!!\n",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }
}
