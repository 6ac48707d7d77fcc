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

/// A byte reader that never reads past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn be(&mut self, n: usize) -> Option<usize> {
        Some(
            self.take(n)?
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
        )
    }

    /// A multiprecision integer: a two-byte bit count, then that many bits.
    fn mpi(&mut self) -> Option<()> {
        let bits = self.be(2)?;
        self.take(bits.div_ceil(8)).map(|_| ())
    }

    /// A field of one length octet and that many bytes (a curve OID, ECDH's KDF parameters).
    fn short_field(&mut self) -> Option<()> {
        let n = usize::from(self.u8()?);
        self.take(n).map(|_| ())
    }
}

/// The tag and body of the packet that starts `bytes` (old or new header format; partial lengths refused, a
/// key packet never has them).
fn packet(bytes: &[u8]) -> Option<(u8, &[u8])> {
    let mut r = Reader { bytes, pos: 0 };
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
            _ => bytes.len() - r.pos,
        };
        ((head >> 2) & 0x0F, len)
    };
    Some((tag, r.take(len)?))
}

/// The algorithm's name and how far its public fields reach, for the public-key algorithm ids of RFC 9580
/// §9.1; `None` for an unknown one.
fn public_fields(algorithm: u8, r: &mut Reader<'_>) -> Option<&'static str> {
    Some(match algorithm {
        1..=3 => {
            r.mpi()?;
            r.mpi()?;
            "pgp-rsa"
        }
        16 | 20 => {
            (0..3).try_for_each(|_| r.mpi())?;
            "pgp-elgamal"
        }
        17 => {
            (0..4).try_for_each(|_| r.mpi())?;
            "pgp-dsa"
        }
        18 => {
            r.short_field()?;
            r.mpi()?;
            r.short_field()?;
            "pgp-ecdh"
        }
        19 => {
            r.short_field()?;
            r.mpi()?;
            "pgp-ecdsa"
        }
        22 => {
            r.short_field()?;
            r.mpi()?;
            "pgp-eddsa"
        }
        25 => {
            r.take(32)?;
            "pgp-x25519"
        }
        26 => {
            r.take(56)?;
            "pgp-x448"
        }
        27 => {
            r.take(32)?;
            "pgp-ed25519"
        }
        28 => {
            r.take(57)?;
            "pgp-ed448"
        }
        _ => return None,
    })
}

/// The secret key that the decoded armour `bytes` starts with; `None` when the first packet is no v4 or v6
/// secret key whose public part reads.
pub(crate) fn secret_key(bytes: &[u8]) -> Option<SecretKey> {
    let (tag, body) = packet(bytes)?;
    if tag != TAG_SECRET_KEY {
        return None;
    }
    let mut r = Reader {
        bytes: body,
        pos: 0,
    };
    let version = r.u8()?;
    if version != 4 && version != 6 {
        return None;
    }
    r.take(4)?;
    let algorithm = r.u8()?;
    // v6 states the length of the public fields.
    let declared = if version == 6 { Some(r.be(4)?) } else { None };
    let fields_start = r.pos;
    let name = public_fields(algorithm, &mut r)?;
    if declared.is_some_and(|n| r.pos - fields_start != n) {
        return None;
    }
    let public = &body[..r.pos];
    let usage = r.u8()?;
    let fingerprint = if version == 4 {
        let len = u16::try_from(public.len()).ok()?;
        let mut h = Sha1::new();
        h.update([0x99]);
        h.update(len.to_be_bytes());
        h.update(public);
        hex::encode_upper(h.finalize())
    } else {
        let len = u32::try_from(public.len()).ok()?;
        let mut h = Sha256::new();
        h.update([0x9B]);
        h.update(len.to_be_bytes());
        h.update(public);
        hex::encode_upper(h.finalize())
    };
    let mut key = KeyMaterial::from_spki(name, public.to_vec()).with_format("openpgp");
    key.key_id = Some(fingerprint);
    Some(SecretKey {
        key,
        encrypted: usage != 0,
    })
}
