//! OpenPGP secret keys (`-----BEGIN PGP PRIVATE KEY BLOCK-----`, RFC 4880 / RFC 9580): the first packet of the
//! decoded armour is read just far enough to give the key's fingerprint and whether it is protected by a
//! passphrase. A secret-key packet starts with the public key (version, creation time, algorithm, the
//! algorithm's public fields); a v4 fingerprint is SHA-1 over `0x99`, a two-byte length and that public part
//! (RFC 4880 §12.2), a v6 one SHA-256 over `0x9B`, a four-byte length and the same (RFC 9580 §5.5.4). Then
//! comes the S2K usage octet: zero means the secret fields are in the clear.
//!
//! Untrusted input: one packet header and one packet body are read, every length is checked against the bytes
//! that remain, and nothing recurses.

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::cursor::Cursor;
use crate::model::KeyMaterial;

/// What a secret-key packet says.
#[derive(Debug)]
pub(crate) struct SecretKey {
    /// The public key: its packet body as [`KeyMaterial::spki_der`], its fingerprint as the key id.
    pub key: KeyMaterial,
    /// The secret fields need a passphrase (S2K usage octet other than zero).
    pub encrypted: bool,
}

/// The packet tag of a secret key (a primary key; a secret subkey is tag 7).
const TAG_SECRET_KEY: u8 = 5;

/// One public field of a key.
#[derive(Clone, Copy)]
enum Field {
    /// A multiprecision integer: a two-byte bit count, then that many bits.
    Mpi,
    /// One length octet and that many bytes (a curve OID, ECDH's KDF parameters).
    Short,
    /// A fixed number of bytes (the native X25519/Ed25519/X448/Ed448 keys of RFC 9580).
    Fixed(usize),
}

use Field::{Fixed, Mpi, Short};

/// The public-key algorithm ids of RFC 9580 §9.1, each with its name and its public fields.
const ALGORITHMS: &[(&[u8], &str, &[Field])] = &[
    (&[1, 2, 3], "pgp-rsa", &[Mpi, Mpi]),
    (&[16, 20], "pgp-elgamal", &[Mpi, Mpi, Mpi]),
    (&[17], "pgp-dsa", &[Mpi, Mpi, Mpi, Mpi]),
    (&[18], "pgp-ecdh", &[Short, Mpi, Short]),
    (&[19], "pgp-ecdsa", &[Short, Mpi]),
    (&[22], "pgp-eddsa", &[Short, Mpi]),
    (&[25], "pgp-x25519", &[Fixed(32)]),
    (&[26], "pgp-x448", &[Fixed(56)]),
    (&[27], "pgp-ed25519", &[Fixed(32)]),
    (&[28], "pgp-ed448", &[Fixed(57)]),
];

/// The tag and body of the packet that starts `bytes` (old or new header format; partial lengths refused, a
/// key packet never has them).
fn packet(bytes: &[u8]) -> Option<(u8, &[u8])> {
    let mut r = Cursor::new(bytes);
    let head = r.u8()?;
    if head & 0x80 == 0 {
        return None;
    }
    let (tag, len) = if head & 0x40 != 0 {
        let first = r.u8()?;
        let len = match first {
            0..=191 => usize::from(first),
            192..=223 => ((usize::from(first) - 192) << 8) + usize::from(r.u8()?) + 192,
            255 => r.be(4)?,
            _ => return None,
        };
        (head & 0x3F, len)
    } else {
        let len = match head & 3 {
            0 => r.be(1)?,
            1 => r.be(2)?,
            2 => r.be(4)?,
            // Indeterminate: to the end of the data.
            _ => r.remaining(),
        };
        ((head >> 2) & 0x0F, len)
    };
    Some((tag, r.take(len)?))
}

/// The algorithm's name, its public fields read; `None` for an unknown algorithm or fields that do not fit.
fn public_fields(algorithm: u8, r: &mut Cursor<'_>) -> Option<&'static str> {
    let (_, name, fields) = ALGORITHMS
        .iter()
        .find(|(ids, _, _)| ids.contains(&algorithm))?;
    for field in *fields {
        let n = match field {
            Mpi => r.be(2)?.div_ceil(8),
            Short => usize::from(r.u8()?),
            Fixed(n) => *n,
        };
        r.take(n)?;
    }
    Some(name)
}

/// The secret key that the decoded armour `bytes` starts with; `None` when the first packet is no v4 or v6
/// secret key whose public part reads.
pub(crate) fn secret_key(bytes: &[u8]) -> Option<SecretKey> {
    let (tag, body) = packet(bytes)?;
    if tag != TAG_SECRET_KEY {
        return None;
    }
    let mut r = Cursor::new(body);
    let version = r.u8()?;
    if version != 4 && version != 6 {
        return None;
    }
    r.take(4)?;
    let algorithm = r.u8()?;
    // v6 states the length of the public fields.
    let declared = if version == 6 { Some(r.be(4)?) } else { None };
    let fields_start = r.pos();
    let name = public_fields(algorithm, &mut r)?;
    if declared.is_some_and(|n| r.pos() - fields_start != n) {
        return None;
    }
    let public = &body[..r.pos()];
    let usage = r.u8()?;
    let fingerprint = if version == 4 {
        let len = u16::try_from(public.len()).ok()?;
        fingerprint::<Sha1>(0x99, &len.to_be_bytes(), public)
    } else {
        let len = u32::try_from(public.len()).ok()?;
        fingerprint::<Sha256>(0x9B, &len.to_be_bytes(), public)
    };
    let mut key = KeyMaterial::from_spki(name, public.to_vec()).with_format("openpgp");
    key.key_id = Some(fingerprint);
    Some(SecretKey {
        key,
        encrypted: usage != 0,
    })
}

/// The fingerprint of a public part: a hash over a version's prefix octet, its length and the bytes, in
/// upper-case hex as GnuPG prints it.
fn fingerprint<D: Digest>(prefix: u8, len: &[u8], public: &[u8]) -> String {
    let mut h = D::new();
    h.update([prefix]);
    h.update(len);
    h.update(public);
    hex::encode_upper(h.finalize())
}

#[cfg(test)]
mod tests {
    use crate::keys::generate::generate_example;
    use crate::keys::{KeyParse, parse_private_key};

    fn gen_key(name: &str, seed: &str) -> String {
        generate_example(name, seed).expect("known generator")
    }

    /// A PGP secret key gives its v4 fingerprint (the key id) and the public-key packet as its public key, in the
    /// clear or behind a passphrase alike; the passphrase's presence is read from the S2K usage octet.
    #[test]
    fn pgp_secret_keys_give_their_fingerprint_and_say_whether_they_are_protected() {
        let plain = match parse_private_key(gen_key("key-pgp-private", "pgp").as_bytes()) {
            KeyParse::Parsed(k) => k,
            other => panic!("{other:?}"),
        };
        let sealed = match parse_private_key(gen_key("key-pgp-private-encrypted", "pgp").as_bytes())
        {
            KeyParse::EncryptedWithPublic(k) => k,
            other => panic!("{other:?}"),
        };
        let fp = plain.key_id.clone().expect("a fingerprint");
        assert_eq!(fp.len(), 40);
        assert!(
            fp.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()),
            "{fp}"
        );
        assert_eq!(plain.algorithm, "pgp-eddsa");
        assert_eq!(plain.format, "openpgp");
        // One key, so one fingerprint and one public key, protected or not.
        assert_eq!(sealed.key_id, plain.key_id);
        assert_eq!(sealed.public_key_sha256, plain.public_key_sha256);
        // The same key with headers, CRLF line ends and `\n` escapes.
        let text = gen_key("key-pgp-private", "pgp").replace(
            "-----\n\n",
            "-----\nVersion: GnuPG v2\nComment: fake example\n\n",
        );
        for form in [
            text.clone(),
            text.replace('\n', "\r\n"),
            text.replace('\n', "\\n"),
        ] {
            match parse_private_key(form.as_bytes()) {
                KeyParse::Parsed(k) => assert_eq!(k.key_id.as_deref(), Some(fp.as_str())),
                other => panic!("{other:?}"),
            }
        }
        // Another seed, another key.
        match parse_private_key(gen_key("key-pgp-private", "other").as_bytes()) {
            KeyParse::Parsed(k) => assert_ne!(k.key_id, plain.key_id),
            other => panic!("{other:?}"),
        }
    }

    /// The fingerprint is the one GnuPG computes (its `keyid` is the fingerprint's last 16 hex digits), for the
    /// generated keys and, when gpg is installed, for keys gpg itself generates and exports.
    #[test]
    fn pgp_fingerprints_agree_with_gnupg() {
        let Ok(version) = std::process::Command::new("gpg").arg("--version").output() else {
            eprintln!("gpg not on PATH: skipped");
            return;
        };
        assert!(version.status.success());
        let home = tempfile::tempdir().expect("temp dir");
        let gpg = |args: &[&str], input: Option<&[u8]>| {
            use std::io::Write;
            let mut child = std::process::Command::new("gpg")
                .args(["--homedir"])
                .arg(home.path())
                .args([
                    "--batch",
                    "--no-tty",
                    "--pinentry-mode",
                    "loopback",
                    "--passphrase",
                    "",
                ])
                .args(args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("gpg runs");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.unwrap_or_default())
                .expect("write");
            let out = child.wait_with_output().expect("gpg ends");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        for name in ["key-pgp-private", "key-pgp-private-encrypted"] {
            let armour = gen_key(name, "gnupg");
            let packets = gpg(&["--list-packets"], Some(armour.as_bytes()));
            let keyid = packets
                .lines()
                .find_map(|l| l.trim().strip_prefix("keyid: "))
                .expect("gpg names the key id")
                .to_string();
            let fp = match parse_private_key(armour.as_bytes()) {
                KeyParse::Parsed(k) | KeyParse::EncryptedWithPublic(k) => {
                    k.key_id.expect("fingerprint")
                }
                other => panic!("{other:?}"),
            };
            assert_eq!(&fp[24..], keyid, "{name}");
        }
        // Keys gpg makes: Ed25519 unprotected, RSA with a passphrase.
        for (algo, pass) in [("ed25519", ""), ("rsa2048", "fake-example")] {
            let uid = format!("fake-{algo} <fake-{algo}@example.com>");
            let mut args = vec![
                "--passphrase",
                pass,
                "--quick-generate-key",
                &uid,
                algo,
                "sign",
                "never",
            ];
            if pass.is_empty() {
                args = vec!["--quick-generate-key", &uid, algo, "sign", "never"];
            }
            gpg(&args, None);
            let colons = gpg(&["--with-colons", "--fingerprint", &uid], None);
            let want = colons
                .lines()
                .find_map(|l| l.strip_prefix("fpr:"))
                .and_then(|l| l.split(':').find(|f| f.len() == 40))
                .expect("gpg's fingerprint")
                .to_string();
            let armour = gpg(
                &[
                    "--passphrase",
                    pass,
                    "--armor",
                    "--export-secret-keys",
                    &uid,
                ],
                None,
            );
            match parse_private_key(armour.as_bytes()) {
                KeyParse::Parsed(k) if pass.is_empty() => {
                    assert_eq!(k.key_id, Some(want), "{algo}")
                }
                KeyParse::EncryptedWithPublic(k) if !pass.is_empty() => {
                    assert_eq!(k.key_id, Some(want), "{algo}")
                }
                other => panic!("{algo}: {other:?}"),
            }
        }
    }
}
