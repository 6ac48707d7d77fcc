//! Key material, the enrichment stage of private-key findings: decodes a private key in any form the rules find
//! (PEM with LF/CRLF, `\n`-escaped or line-by-line quoted PEM inside source, the armourless base64 body,
//! base64-of-PEM, OpenSSH, PuTTY `.ppk`), derives its public key and the SPKI SHA-256 fingerprint that makes every encoding
//! of one key one finding. Validators (`crate::validate`), `keys fingerprint` and the App Store Connect revoker
//! (`p256_pkcs8_der`, for ES256 JWTs) all go through here.

mod age;
mod ber;
mod container;
mod cursor;
mod der;
mod fake_containers;
pub mod generate;
mod minisign;
mod openssh;
mod pgp;
mod putty;
mod seeded;
mod text;

#[cfg(test)]
pub(crate) mod tests;

use crate::model::KeyMaterial;

pub use container::Contents;
pub use generate::generate_example;
pub use minisign::Minisign;

/// The outcome of decoding a candidate private key.
#[derive(Debug)]
pub enum KeyParse {
    /// A private key that parses.
    Parsed(KeyMaterial),
    /// An encrypted private key (the public key cannot be derived without its passphrase).
    Encrypted,
    /// An encrypted private key whose public key is stored in the clear (OpenSSH keys).
    EncryptedWithPublic(KeyMaterial),
    /// Looks like a private key but does not parse (corrupt or truncated).
    Unparseable,
    /// Not a private key at all (a public key, a certificate, a placeholder).
    NotAKey,
}

impl KeyParse {
    /// The key material, when the public key is known.
    pub fn material(&self) -> Option<&KeyMaterial> {
        match self {
            KeyParse::Parsed(k) | KeyParse::EncryptedWithPublic(k) => Some(k),
            _ => None,
        }
    }
}

/// The largest candidate worth decoding: a 16384-bit RSA key or a PGP key with many subkeys is far smaller; a
/// megabyte of base64 between two markers is a data blob, not a key.
const MAX_CANDIDATE: usize = 256 * 1024;

/// A candidate undone down to bytes.
enum Form {
    /// An armoured block (the first one in the candidate).
    Pem(text::PemBlock),
    /// An armourless body: DER or binary OpenSSH.
    Raw(Vec<u8>),
    /// Nothing that decodes.
    Nothing,
}

/// Undoes the text encodings of a candidate; base64 of a PEM is undone once.
fn form(text: &str, nested: bool) -> Form {
    if let Some(block) = text::pem_blocks(text).into_iter().next() {
        return Form::Pem(block);
    }
    let Some(bytes) = text::armourless(text) else {
        return Form::Nothing;
    };
    let trimmed = bytes.trim_ascii_start();
    if nested && trimmed.starts_with(b"-----BEGIN ") {
        // Anything decoded after the END line (text the candidate ran into) is ignored by the PEM reader.
        return form(&String::from_utf8_lossy(trimmed), false);
    }
    if bytes.starts_with(openssh::MAGIC) {
        return Form::Raw(bytes);
    }
    Form::Raw(der::first_element(&bytes).to_vec())
}

/// Decodes a candidate private key in any supported encoding: PEM (LF or CRLF, `\n`-escaped or quoted line by
/// line inside source), the armourless base64 body, or base64 of a whole PEM.
pub fn parse_private_key(candidate: &[u8]) -> KeyParse {
    if candidate.len() > MAX_CANDIDATE {
        return KeyParse::NotAKey;
    }
    let text = String::from_utf8_lossy(candidate);
    if text.contains(putty::MAGIC) {
        return match putty::parse(&text) {
            Ok(ppk) if ppk.encrypted => KeyParse::EncryptedWithPublic(ppk.key),
            Ok(ppk) => KeyParse::Parsed(ppk.key),
            Err(der::DerError::Unsupported) => KeyParse::Unparseable,
            Err(der::DerError::Malformed) => KeyParse::NotAKey,
        };
    }
    match form(&text, true) {
        Form::Pem(block) => parse_block(&block),
        Form::Raw(bytes) => parse_raw(&bytes),
        Form::Nothing => KeyParse::NotAKey,
    }
}

fn from_openssh(bytes: &[u8]) -> Result<KeyParse, der::DerError> {
    let key = openssh::parse(bytes)?;
    Ok(if key.encrypted {
        KeyParse::EncryptedWithPublic(key.key)
    } else {
        KeyParse::Parsed(key.key)
    })
}

/// An armourless body: only a structure that decodes is a key (random base64 is not).
fn parse_raw(bytes: &[u8]) -> KeyParse {
    match decode_any(bytes) {
        Ok(k) => k,
        Err(der::DerError::Unsupported) => KeyParse::Unparseable,
        Err(der::DerError::Malformed) => KeyParse::NotAKey,
    }
}

fn parse_block(block: &text::PemBlock) -> KeyParse {
    let label = block.label.as_str();
    if !label.contains("PRIVATE KEY") || block.placeholder {
        return KeyParse::NotAKey;
    }
    if label.contains("ENCRYPTED") || block.encrypted_headers {
        return KeyParse::Encrypted;
    }
    let Some(der) = &block.der else {
        return KeyParse::Unparseable;
    };
    if label == "PGP PRIVATE KEY BLOCK" {
        // Other packet layouts (a v3 key, a key we cannot read) are still keys.
        return match pgp::secret_key(der) {
            Some(k) if k.encrypted => KeyParse::EncryptedWithPublic(k.key),
            Some(k) => KeyParse::Parsed(k.key),
            None => KeyParse::Unparseable,
        };
    }
    let labelled = match label {
        "PRIVATE KEY" => der::pkcs8(der).map(KeyParse::Parsed),
        "EC PRIVATE KEY" => der::sec1(der).map(KeyParse::Parsed),
        "RSA PRIVATE KEY" => der::pkcs1(der).map(KeyParse::Parsed),
        "DSA PRIVATE KEY" => der::dsa(der).map(KeyParse::Parsed),
        "OPENSSH PRIVATE KEY" => from_openssh(der),
        _ => Err(der::DerError::Malformed),
    };
    // A mislabelled body (PKCS#1 under `BEGIN PRIVATE KEY`) still counts when it decodes as another form.
    match labelled.or_else(|_| decode_any(der)) {
        Ok(k) => k,
        // A line or two quoted from a key (documentation) is a fragment, not a leak of the key.
        Err(_) if der::declared_len(der).is_some_and(|n| der.len() * 2 < n) => KeyParse::NotAKey,
        // PGP key blocks and other armoured private keys we cannot decode are still keys.
        Err(_) => KeyParse::Unparseable,
    }
}

/// Binary OpenSSH or any DER private key form.
fn decode_any(bytes: &[u8]) -> Result<KeyParse, der::DerError> {
    if bytes.starts_with(openssh::MAGIC) {
        from_openssh(bytes)
    } else {
        der::any(bytes).map(KeyParse::Parsed)
    }
}

/// Where an armourless key body ends inside a candidate that runs on past it: a body on one line is often
/// followed by a line that starts with base64 characters (`SOME_VAR=value` in a `.env`), which a pattern that
/// joins wrapped lines takes as more of the body. The key's own length (its DER header, or the length fields of
/// a binary OpenSSH key) says how many characters it needs; the byte length of the candidate up to them (and
/// any `=` padding) is returned when text follows, `None` when nothing does or the candidate is no such body.
pub fn armourless_extent(candidate: &[u8]) -> Option<usize> {
    if candidate.len() > MAX_CANDIDATE || memchr::memmem::find(candidate, b"-----").is_some() {
        return None;
    }
    let chars = text::body_chars(candidate, MAX_CANDIDATE);
    let decoded = text::decode_chars(&chars)?;
    let len = if decoded.starts_with(openssh::MAGIC) {
        openssh::encoded_len(&decoded)?
    } else if decoded.first() == Some(&0x30) {
        // A BER container of indefinite length declares none: its end is found by reading it.
        der::declared_len(&decoded).or_else(|| ber::read(&decoded).map(|t| t.raw.len()))?
    } else {
        return None;
    };
    let needed = (len * 4).div_ceil(3);
    if needed == 0 || needed >= chars.len() {
        return None;
    }
    let mut end = chars[needed - 1].1;
    while candidate.get(end) == Some(&b'=') {
        end += 1;
    }
    Some(end)
}

/// The public key of a PuTTY `.ppk` cut from its `Public-Lines:` header on (whether the key is encrypted is not
/// in that part): `Parsed` with its material, `Unparseable` for a kind of key whose public key is not read,
/// `NotAKey` when the text holds no such lines.
pub fn ppk_public_key(text: &[u8]) -> KeyParse {
    if text.len() > MAX_CANDIDATE {
        return KeyParse::NotAKey;
    }
    match putty::public_key(&String::from_utf8_lossy(text)) {
        Ok(k) => KeyParse::Parsed(k),
        Err(der::DerError::Unsupported) => KeyParse::Unparseable,
        Err(der::DerError::Malformed) => KeyParse::NotAKey,
    }
}

/// The most base64 characters of a key container decoded (a user's keystore is a few KiB; a trust store of every
/// public root certificate is about 200 KiB and holds no key).
const MAX_CONTAINER_CHARS: usize = 1 << 20;

/// What a PKCS#12 file or Java keystore (JKS, JCEKS), given as base64 (as a CI variable holds it, or as the
/// matcher renders a binary one), holds; `None` when it is none of these.
pub fn container_contents(base64_text: &[u8]) -> Option<Contents> {
    let chars = text::body_chars(base64_text, MAX_CONTAINER_CHARS + 1);
    if chars.len() > MAX_CONTAINER_CHARS {
        return None;
    }
    container_from_bytes(&text::decode_chars(&chars)?)
}

/// What a binary PKCS#12 file or Java keystore holds; `None` when it is none of these.
pub fn container_from_bytes(bytes: &[u8]) -> Option<Contents> {
    if bytes.starts_with(&container::JKS_MAGIC) || bytes.starts_with(&container::JCEKS_MAGIC) {
        container::java_keystore(bytes)
    } else {
        container::pkcs12(bytes)
    }
}

/// The X25519 public key of an age secret key (`AGE-SECRET-KEY-1…`, its checksum not checked); `None` for
/// anything else.
pub fn age_public_key(text: &[u8]) -> Option<KeyMaterial> {
    age::public_key(text)
}

/// A minisign secret key (its base64 line); `None` for anything else.
pub fn minisign_secret_key(text: &[u8]) -> Option<Minisign> {
    minisign::parse(text)
}

/// The DER SubjectPublicKeyInfo of a candidate that parses as an unencrypted private key (any encoding
/// [`parse_private_key`] reads); `None` for anything else.
pub fn parsed_spki(candidate: &[u8]) -> Option<Vec<u8>> {
    match parse_private_key(candidate) {
        KeyParse::Parsed(k) => Some(k.spki_der),
        _ => None,
    }
}

/// The PKCS#8 DER of an EC P-256 private key given in any supported encoding (SEC1 and OpenSSH keys are
/// converted), for signing ES256 JWTs; `None` for anything else.
pub fn p256_pkcs8_der(candidate: &[u8]) -> Option<Vec<u8>> {
    use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    if candidate.len() > MAX_CANDIDATE {
        return None;
    }
    let text = String::from_utf8_lossy(candidate);
    let bytes = match form(&text, true) {
        Form::Pem(block) if block.placeholder || block.encrypted_headers => return None,
        Form::Pem(block) => block.der?,
        Form::Raw(bytes) => bytes,
        Form::Nothing => return None,
    };
    let secret = if bytes.starts_with(openssh::MAGIC) {
        let key = ssh_key::PrivateKey::from_bytes(&bytes).ok()?;
        match key.key_data() {
            ssh_key::private::KeypairData::Ecdsa(ssh_key::private::EcdsaKeypair::NistP256 {
                private,
                ..
            }) => p256::SecretKey::from_slice(private.as_slice()).ok()?,
            _ => return None,
        }
    } else {
        p256::SecretKey::from_pkcs8_der(&bytes)
            .or_else(|_| p256::SecretKey::from_sec1_der(&bytes))
            .ok()?
    };
    Some(secret.to_pkcs8_der().ok()?.as_bytes().to_vec())
}
