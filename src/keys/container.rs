//! Key containers: PKCS#12 (`.p12`, `.pfx`) and Java keystores (JKS, JCEKS). Each is read only far enough to
//! say whether it holds private (or secret) keys and, where a key or its certificate is in the clear, the
//! key's public key: a keyless bundle (certificates only, a trust store) is no leak.
//!
//! PKCS#12 is DER (RFC 7292): the `AuthenticatedSafe` is a list of content infos, plain `data` ones holding
//! safe bags in the clear and `encryptedData` ones whose bags need the password. Tools put the key (itself
//! encrypted, a *shrouded* key bag) in a plain section and the certificates in an encrypted one, so the key bag
//! is visible without the password. A Java keystore is a big-endian record list whose private key entries
//! carry their certificate chain in the clear; the chain's first certificate holds the key's public key.
//!
//! Every walk is bounded: DER nesting is followed a fixed number of levels, bag and entry counts are capped,
//! and every length is checked against the bytes that remain.

use pkcs8::der::asn1::{AnyRef, ObjectIdentifier};
use pkcs8::der::{Decode, Reader, SliceReader, Tag, Tagged};

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

/// One DER element: tag and content.
fn element<'a>(reader: &mut SliceReader<'a>) -> Option<AnyRef<'a>> {
    AnyRef::decode(reader).ok()
}

/// The elements inside a constructed element's content, at most [`MAX_ITEMS`].
fn children(content: &[u8]) -> Vec<AnyRef<'_>> {
    let Ok(mut reader) = SliceReader::new(content) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while !reader.is_finished() && out.len() < MAX_ITEMS {
        match element(&mut reader) {
            Some(e) => out.push(e),
            None => break,
        }
    }
    out
}

/// The content of `[0] EXPLICIT` around the single element inside it.
fn explicit(any: &AnyRef<'_>) -> Option<Vec<u8>> {
    (any.tag().number().value() == 0 && any.tag().is_context_specific())
        .then(|| any.value().to_vec())
}

fn oid(any: &AnyRef<'_>) -> Option<ObjectIdentifier> {
    (any.tag() == Tag::ObjectIdentifier)
        .then(|| ObjectIdentifier::from_bytes(any.value()).ok())
        .flatten()
}

/// The content octets of the OCTET STRING that `bytes` (one DER element) is.
fn octets(bytes: &[u8]) -> Option<&[u8]> {
    let mut reader = SliceReader::new(bytes).ok()?;
    let any = element(&mut reader)?;
    (any.tag() == Tag::OctetString).then(|| any.value())
}

/// The DER of one whole element that starts `bytes`.
fn first_element(bytes: &[u8]) -> Option<&[u8]> {
    let mut reader = SliceReader::new(bytes).ok()?;
    element(&mut reader)?;
    let end = usize::try_from(reader.position()).ok()?;
    bytes.get(..end)
}

/// A PKCS#12 file: `PFX { version 3, authSafe ContentInfo, macData? }`; `None` when it is no such file.
pub fn pkcs12(bytes: &[u8]) -> Option<Contents> {
    let pfx = AnyRef::from_der(first_element(bytes)?).ok()?;
    if pfx.tag() != Tag::Sequence {
        return None;
    }
    let fields = children(pfx.value());
    let (version, auth_safe) = (fields.first()?, fields.get(1)?);
    if version.tag() != Tag::Integer || version.value() != [3] || auth_safe.tag() != Tag::Sequence {
        return None;
    }
    let info = children(auth_safe.value());
    let mut contents = Contents::default();
    if oid(info.first()?)? != OID_DATA {
        // Public-key integrity mode (signedData): the bags are inside a signature we do not read.
        contents.sealed_sections += 1;
        return Some(contents);
    }
    let wrapped = explicit(info.get(1)?)?;
    let safe = AnyRef::from_der(octets(&wrapped)?).ok()?;
    let mut certs = Vec::new();
    let mut key_ids = Vec::new();
    for content_info in children(safe.value()) {
        let parts = children(content_info.value());
        let Some(kind) = parts.first().and_then(oid) else {
            continue;
        };
        if kind != OID_DATA {
            contents.sealed_sections += 1;
            continue;
        }
        let Some(bags) = parts
            .get(1)
            .and_then(explicit)
            .and_then(|w| octets(&w).map(<[u8]>::to_vec))
        else {
            continue;
        };
        if let Ok(bags) = AnyRef::from_der(&bags) {
            read_bags(bags.value(), 0, &mut contents, &mut certs, &mut key_ids);
        }
    }
    if contents.key.is_none() {
        // A shrouded key's public key is its certificate's, when that certificate is in the clear.
        contents.key = key_ids
            .iter()
            .find_map(|id| certs.iter().find(|(cid, _)| cid == id).map(|(_, k)| k))
            .and_then(|cert| certificate_key(cert));
    }
    Some(contents)
}

/// Safe bags: keys counted, the first plain key decoded, certificates kept with their `localKeyId`.
fn read_bags(
    content: &[u8],
    depth: usize,
    contents: &mut Contents,
    certs: &mut Vec<(Vec<u8>, Vec<u8>)>,
    key_ids: &mut Vec<Vec<u8>>,
) {
    for bag in children(content) {
        let parts = children(bag.value());
        let (Some(kind), Some(value)) =
            (parts.first().and_then(oid), parts.get(1).and_then(explicit))
        else {
            continue;
        };
        let local_id = parts.get(2).and_then(|attrs| local_key_id(attrs.value()));
        match kind {
            k if k == OID_KEY_BAG => {
                contents.plain_keys += 1;
                if contents.key.is_none() {
                    contents.key = first_element(&value).and_then(|d| der::pkcs8(d).ok());
                }
            }
            k if k == OID_SHROUDED_KEY_BAG => {
                contents.encrypted_keys += 1;
                key_ids.extend(local_id);
            }
            k if k == OID_SECRET_BAG => contents.encrypted_keys += 1,
            k if k == OID_CERT_BAG => {
                let cert = children(&value)
                    .first()
                    .filter(|b| b.tag() == Tag::Sequence)
                    .map(|b| children(b.value()))
                    .filter(|p| p.first().and_then(oid) == Some(OID_X509_CERT))
                    .and_then(|p| p.get(1).and_then(explicit))
                    .and_then(|w| octets(&w).map(<[u8]>::to_vec));
                if let (Some(id), Some(cert)) = (local_id, cert)
                    && certs.len() < MAX_ITEMS
                {
                    certs.push((id, cert));
                }
            }
            k if k == OID_SAFE_CONTENTS_BAG && depth < MAX_NESTING => {
                if let Ok(inner) = AnyRef::from_der(first_element(&value).unwrap_or(&[])) {
                    read_bags(inner.value(), depth + 1, contents, certs, key_ids);
                }
            }
            _ => {}
        }
    }
}

/// The `localKeyId` value among a bag's attributes.
fn local_key_id(attrs: &[u8]) -> Option<Vec<u8>> {
    children(attrs).iter().find_map(|attr| {
        let parts = children(attr.value());
        (parts.first().and_then(oid) == Some(OID_LOCAL_KEY_ID))
            .then(|| {
                parts
                    .get(1)
                    .and_then(|set| children(set.value()).first().map(|v| v.value().to_vec()))
            })
            .flatten()
    })
}

/// The public key of an X.509 certificate (DER): the SubjectPublicKeyInfo of its `tbsCertificate`.
pub(crate) fn certificate_key(cert: &[u8]) -> Option<KeyMaterial> {
    let cert = AnyRef::from_der(first_element(cert)?).ok()?;
    let tbs = children(cert.value()).into_iter().next()?;
    let fields = children(tbs.value());
    // `version [0]` is optional; then serial, signature, issuer, validity, subject, subjectPublicKeyInfo.
    let skip = usize::from(fields.first()?.tag().is_context_specific());
    let spki = fields.get(skip + 5)?;
    if spki.tag() != Tag::Sequence {
        return None;
    }
    let spki_der = pkcs8::der::Encode::to_der(spki).ok()?;
    let info = pkcs8::spki::SubjectPublicKeyInfoRef::from_der(&spki_der).ok()?;
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
    Some(KeyMaterial::from_spki(&algorithm, spki_der))
}

/// A big-endian reader over a keystore that never reads past the end.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn u16(&mut self) -> Option<usize> {
        Some(usize::from(u16::from_be_bytes(
            self.take(2)?.try_into().ok()?,
        )))
    }

    fn u32(&mut self) -> Option<usize> {
        usize::try_from(u32::from_be_bytes(self.take(4)?.try_into().ok()?)).ok()
    }

    /// Java's modified UTF-8 string: a 16-bit length, then the bytes.
    fn utf(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }

    /// A certificate: its type (version 2 stores only), then a 32-bit length and the encoding.
    fn certificate(&mut self, version: usize) -> Option<&'a [u8]> {
        if version == 2 {
            self.utf()?;
        }
        let n = self.u32()?;
        self.take(n)
    }
}

/// A JKS or JCEKS keystore: private key entries (tag 1), trusted certificates (tag 2) and, in JCEKS, secret
/// key entries (tag 3, a serialised Java object whose end is not marked, so reading stops there); `None` when
/// the bytes are no keystore.
pub fn java_keystore(bytes: &[u8]) -> Option<Contents> {
    let mut c = Cursor { bytes, pos: 0 };
    let magic = c.take(4)?;
    if magic != JKS_MAGIC && magic != JCEKS_MAGIC {
        return None;
    }
    let version = c.u32()?;
    if version != 1 && version != 2 {
        return None;
    }
    let count = c.u32()?;
    let mut contents = Contents::default();
    for _ in 0..count.min(MAX_ITEMS) {
        let Some(tag) = c.u32() else { break };
        if c.utf().is_none() || c.take(8).is_none() {
            break;
        }
        match tag {
            1 => {
                contents.encrypted_keys += 1;
                let Some(n) = c.u32() else { break };
                if c.take(n).is_none() {
                    break;
                }
                let Some(chain) = c.u32() else { break };
                for i in 0..chain.min(MAX_ITEMS) {
                    let Some(cert) = c.certificate(version) else {
                        return Some(contents);
                    };
                    if i == 0 && contents.key.is_none() {
                        contents.key = certificate_key(cert);
                    }
                }
            }
            2 => {
                if c.certificate(version).is_none() {
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
