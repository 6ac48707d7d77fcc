//! Key containers: PKCS#12 (`.p12`, `.pfx`) and Java keystores (JKS, JCEKS). Each is read only far enough to
//! say whether it holds private (or secret) keys and, where a key or its certificate is in the clear, the
//! key's public key: a keyless bundle (certificates in the clear only, a trust store) is no leak.
//!
//! PKCS#12 is DER or BER (RFC 7292; Windows and Java write indefinite lengths and chunked OCTET STRINGs, read
//! with [`super::ber`]): the `AuthenticatedSafe` is a list of content infos, plain `data` ones holding
//! safe bags in the clear and `encryptedData` ones whose bags need the password. Tools put the key (itself
//! encrypted, a *shrouded* key bag) in a plain section and the certificates in an encrypted one, so the key bag
//! is visible without the password. A Java keystore is a big-endian record list whose private key entries
//! carry their certificate chain in the clear; the chain's first certificate holds the key's public key.
//!
//! Sections encrypted with the password (`encryptedData`) are counted, not opened: they may hold keys.
//!
//! Every walk is bounded: nesting is followed a fixed number of levels, bag and entry counts are capped,
//! and every length is checked against the bytes that remain.

use std::borrow::Cow;

use pkcs8::der::Decode;
use pkcs8::der::asn1::ObjectIdentifier;

use super::ber::{self, Tlv};
use super::cursor::Cursor;
use super::der;
use crate::model::KeyMaterial;

/// The most bags or keystore entries read from one container (real ones hold a handful; a trust store a few
/// hundred certificates).
const MAX_ITEMS: usize = 10_000;
/// How deep nested safe-contents bags are followed.
const MAX_NESTING: usize = 4;

/// `pkcs7-data`.
const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `keyBag`: a PKCS#8 private key in the clear.
const OID_KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
/// `pkcs8ShroudedKeyBag`: an encrypted PKCS#8 private key.
const OID_SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
/// `certBag`.
const OID_CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
/// `secretBag`: a secret of any kind (a symmetric key).
const OID_SECRET_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.5");
/// `safeContentsBag`: nested bags.
const OID_SAFE_CONTENTS_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.6");
/// `x509Certificate` (the certificate type of a cert bag).
const OID_X509_CERT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
/// `localKeyId`: the attribute that pairs a key bag with its certificate's bag.
const OID_LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");

/// The magic number a JKS keystore starts with.
pub(crate) const JKS_MAGIC: [u8; 4] = [0xFE, 0xED, 0xFE, 0xED];
/// The magic number a JCEKS keystore starts with.
pub(crate) const JCEKS_MAGIC: [u8; 4] = [0xCE, 0xCE, 0xCE, 0xCE];

/// What a container holds.
#[derive(Debug, Default)]
pub struct Contents {
    /// Private or secret keys stored in the clear.
    pub plain_keys: usize,
    /// Private or secret keys that need the container's password.
    pub encrypted_keys: usize,
    /// Sections that need the password to be read at all (they may hold more keys).
    pub sealed_sections: usize,
    /// The public key of the first key, when it is in the clear or its certificate is.
    pub key: Option<KeyMaterial>,
}

impl Contents {
    /// Whether any key was seen.
    pub fn has_keys(&self) -> bool {
        self.plain_keys + self.encrypted_keys > 0
    }
}

fn oid(tlv: &Tlv<'_>) -> Option<ObjectIdentifier> {
    (tlv.tag == ber::OID)
        .then(|| ObjectIdentifier::from_bytes(tlv.content).ok())
        .flatten()
}

/// The bytes inside `[0] EXPLICIT OCTET STRING` (a `data` content info's content, a cert bag's certificate).
fn explicit_octets<'a>(tlv: &Tlv<'a>) -> Option<Cow<'a, [u8]>> {
    tlv.explicit()?.octets()
}

/// A PKCS#12 file: `PFX { version 3, authSafe ContentInfo, macData? }`, DER or BER; `None` when it is no such
/// file.
pub fn pkcs12(bytes: &[u8]) -> Option<Contents> {
    let pfx = ber::read(bytes)?;
    if pfx.tag != ber::SEQUENCE {
        return None;
    }
    let fields = ber::children(pfx.content);
    let (version, auth_safe) = (fields.first()?, fields.get(1)?);
    if version.tag != ber::INTEGER || version.content != [3] || auth_safe.tag != ber::SEQUENCE {
        return None;
    }
    let info = ber::children(auth_safe.content);
    let mut contents = Contents::default();
    if oid(info.first()?)? != OID_DATA {
        // Public-key integrity mode (signedData): the bags are inside a signature we do not read.
        contents.sealed_sections += 1;
        return Some(contents);
    }
    let safe_bytes = explicit_octets(info.get(1)?)?;
    let safe = ber::read(&safe_bytes)?;
    let mut found = Found::default();
    for content_info in ber::children(safe.content) {
        let parts = ber::children(content_info.content);
        let Some(kind) = parts.first().and_then(oid) else {
            continue;
        };
        if kind != OID_DATA {
            // `encryptedData` (or enveloped): bags that need the password, keys among them or not.
            contents.sealed_sections += 1;
            continue;
        }
        let Some(bags) = parts.get(1).and_then(explicit_octets) else {
            continue;
        };
        if let Some(bags) = ber::read(&bags) {
            read_bags(bags.content, 0, &mut contents, &mut found);
        }
    }
    if contents.key.is_none() {
        // A shrouded key's public key is its certificate's, when that certificate is in the clear.
        contents.key = found
            .key_ids
            .iter()
            .find_map(|id| {
                found
                    .certs
                    .iter()
                    .find(|(cid, _)| cid == id)
                    .map(|(_, k)| k)
            })
            .and_then(|cert| certificate_key(cert));
    }
    Some(contents)
}

/// What the bag walk keeps besides counts: certificates with their `localKeyId`, and the ids of shrouded keys.
#[derive(Default)]
struct Found {
    certs: Vec<(Vec<u8>, Vec<u8>)>,
    key_ids: Vec<Vec<u8>>,
}

/// Safe bags: keys counted, the first plain key decoded, certificates kept with their `localKeyId`.
fn read_bags(content: &[u8], depth: usize, contents: &mut Contents, found: &mut Found) {
    for bag in ber::children(content) {
        let parts = ber::children(bag.content);
        let (Some(kind), Some(value)) = (
            parts.first().and_then(oid),
            parts.get(1).and_then(Tlv::explicit),
        ) else {
            continue;
        };
        let local_id = parts.get(2).and_then(|attrs| local_key_id(attrs.content));
        match kind {
            k if k == OID_KEY_BAG => {
                contents.plain_keys += 1;
                if contents.key.is_none() {
                    contents.key = der::pkcs8(value.raw).ok();
                }
            }
            k if k == OID_SHROUDED_KEY_BAG => {
                contents.encrypted_keys += 1;
                if found.key_ids.len() < MAX_ITEMS {
                    found.key_ids.extend(local_id);
                }
            }
            k if k == OID_SECRET_BAG => contents.encrypted_keys += 1,
            k if k == OID_CERT_BAG => {
                let parts = ber::children(value.content);
                let cert = (parts.first().and_then(oid) == Some(OID_X509_CERT))
                    .then(|| parts.get(1).and_then(explicit_octets))
                    .flatten();
                if let (Some(id), Some(cert)) = (local_id, cert)
                    && found.certs.len() < MAX_ITEMS
                {
                    found.certs.push((id, cert.into_owned()));
                }
            }
            k if k == OID_SAFE_CONTENTS_BAG && depth < MAX_NESTING => {
                read_bags(value.content, depth + 1, contents, found);
            }
            _ => {}
        }
    }
}

/// The `localKeyId` value among a bag's attributes.
fn local_key_id(attrs: &[u8]) -> Option<Vec<u8>> {
    ber::children(attrs).iter().find_map(|attr| {
        let parts = ber::children(attr.content);
        (parts.first().and_then(oid) == Some(OID_LOCAL_KEY_ID))
            .then(|| {
                parts.get(1).and_then(|set| {
                    ber::children(set.content)
                        .first()
                        .and_then(Tlv::octets)
                        .map(Cow::into_owned)
                })
            })
            .flatten()
    })
}

/// The public key of an X.509 certificate (DER): the SubjectPublicKeyInfo of its `tbsCertificate`.
pub(crate) fn certificate_key(cert: &[u8]) -> Option<KeyMaterial> {
    let cert = ber::read(cert)?;
    let tbs = ber::children(cert.content).into_iter().next()?;
    let fields = ber::children(tbs.content);
    // `version [0]` is optional; then serial, signature, issuer, validity, subject, subjectPublicKeyInfo.
    let skip = usize::from(fields.first()?.tag == ber::EXPLICIT_0);
    let spki = fields.get(skip + 5)?;
    if spki.tag != ber::SEQUENCE {
        return None;
    }
    let info = pkcs8::spki::SubjectPublicKeyInfoRef::from_der(spki.raw).ok()?;
    let algorithm = match info.algorithm.oid {
        o if o == der::OID_RSA => "rsa".to_string(),
        o if o == der::OID_ED25519 => "ed25519".to_string(),
        o if o == der::OID_EC => info
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .map_or_else(|| "ec".to_string(), der::curve_name),
        o if o == der::OID_DSA => "dsa".to_string(),
        o => format!("spki-{o}"),
    };
    Some(KeyMaterial::from_spki(&algorithm, spki.raw.to_vec()))
}

/// Java's modified UTF-8 string: a 16-bit length, then the bytes.
fn utf<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    let n = c.be(2)?;
    c.take(n)
}

/// A certificate: its type (version 2 stores only), then a 32-bit length and the encoding.
fn certificate<'a>(c: &mut Cursor<'a>, version: usize) -> Option<&'a [u8]> {
    if version == 2 {
        utf(c)?;
    }
    let n = c.be(4)?;
    c.take(n)
}

/// A JKS or JCEKS keystore: private key entries (tag 1), trusted certificates (tag 2) and, in JCEKS, secret
/// key entries (tag 3, a serialised Java object whose end is not marked, so reading stops there); `None` when
/// the bytes are no keystore.
pub fn java_keystore(bytes: &[u8]) -> Option<Contents> {
    let mut c = Cursor::new(bytes);
    let magic = c.take(4)?;
    if magic != JKS_MAGIC && magic != JCEKS_MAGIC {
        return None;
    }
    let version = c.be(4)?;
    if version != 1 && version != 2 {
        return None;
    }
    let count = c.be(4)?;
    let mut contents = Contents::default();
    for _ in 0..count.min(MAX_ITEMS) {
        let Some(tag) = c.be(4) else { break };
        if utf(&mut c).is_none() || c.take(8).is_none() {
            break;
        }
        match tag {
            1 => {
                contents.encrypted_keys += 1;
                let Some(n) = c.be(4) else { break };
                if c.take(n).is_none() {
                    break;
                }
                let Some(chain) = c.be(4) else { break };
                for i in 0..chain.min(MAX_ITEMS) {
                    let Some(cert) = certificate(&mut c, version) else {
                        return Some(contents);
                    };
                    if i == 0 && contents.key.is_none() {
                        contents.key = certificate_key(cert);
                    }
                }
            }
            2 => {
                if certificate(&mut c, version).is_none() {
                    break;
                }
            }
            3 if magic == JCEKS_MAGIC => {
                contents.encrypted_keys += 1;
                break;
            }
            _ => break,
        }
    }
    Some(contents)
}
