//! Offline validators named by rules (`validate = "…"`): checksums and key parses that confirm a candidate
//! without any network call. `Invalid` drops the candidate; `Unverified` keeps it with `validated: false`.

use crate::keys::{self, KeyParse};
use crate::model::{EC_P256, FORMAT_OPENSSH, KeyMaterial};

/// What a validator says of a candidate secret.
#[derive(Clone, Debug)]
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
    "ppk",
    "ppk-encrypted",
    "pkcs12",
    "pkcs12-encrypted",
    "pkcs12-sealed",
    "java-keystore",
    "password",
    "minisign",
    "minisign-encrypted",
    "github-checksum",
    "pypi-macaroon",
    "jwt",
    "base64-basic-auth",
    "url-credentials",
    "bech32",
    "age-secret-key",
    "gitlab-routable",
];

/// Whether the named validator decodes private keys (and so a candidate may be cut to the key it holds, see
/// [`keys::armourless_extent`]).
pub fn decodes_keys(name: &str) -> bool {
    matches!(
        name,
        "private-key"
            | "private-key-plain"
            | "private-key-encrypted"
            | "pkcs8-ec-p256"
            | "pkcs12"
            | "pkcs12-encrypted"
            | "pkcs12-sealed"
    )
}

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
            KeyParse::Parsed(k) if k.algorithm == EC_P256 && k.format != FORMAT_OPENSSH => {
                Validation::Valid(Some(k))
            }
            _ => Validation::Invalid,
        },
        // A PuTTY key from its public lines on; whether it is encrypted is the rule's to say.
        "ppk" => match keys::ppk_public_key(secret) {
            KeyParse::Parsed(k) => Validation::Valid(Some(k)),
            KeyParse::Unparseable => Validation::Unverified(None),
            _ => Validation::Invalid,
        },
        "ppk-encrypted" => match keys::ppk_public_key(secret) {
            KeyParse::Parsed(k) => Validation::Unverified(Some(k)),
            KeyParse::Unparseable => Validation::Unverified(None),
            _ => Validation::Invalid,
        },
        // Key containers in base64: a bundle of certificates alone (a trust store) is no leak.
        "pkcs12" => match keys::container_contents(secret) {
            Some(c) if c.plain_keys > 0 => Validation::Valid(c.key),
            _ => Validation::Invalid,
        },
        "pkcs12-encrypted" => match keys::container_contents(secret) {
            Some(c) if c.plain_keys == 0 && c.encrypted_keys > 0 => Validation::Unverified(c.key),
            _ => Validation::Invalid,
        },
        // Nothing visible, but sections behind the password: they may hold keys (a trust store's certificates
        // look the same from outside).
        "pkcs12-sealed" => match keys::container_contents(secret) {
            Some(c) if !c.has_keys() && c.sealed_sections > 0 => Validation::Unverified(None),
            _ => Validation::Invalid,
        },
        "java-keystore" => match keys::container_contents(secret) {
            Some(c) if c.has_keys() => Validation::Unverified(c.key),
            _ => Validation::Invalid,
        },
        // A password from a credentials file (`.netrc`, `.pgpass`): not a default, a mask or a template.
        "password" => verdict(
            std::str::from_utf8(secret)
                .is_ok_and(|p| p.chars().count() >= 6 && !is_placeholder_password("", p)),
        ),
        "minisign" => match keys::minisign_secret_key(secret) {
            Some(k) if !k.encrypted => Validation::Valid(k.key),
            _ => Validation::Invalid,
        },
        "minisign-encrypted" => match keys::minisign_secret_key(secret) {
            Some(k) if k.encrypted => Validation::Unverified(None),
            _ => Validation::Invalid,
        },
        "github-checksum" => verdict(github_checksum_ok(secret)),
        "pypi-macaroon" => verdict(pypi_macaroon_ok(secret)),
        "jwt" => verdict(jwt_ok(secret)),
        "base64-basic-auth" => verdict(basic_auth_ok(secret)),
        "url-credentials" => verdict(url_credentials_ok(secret)),
        "bech32" => verdict(bech32_ok(secret)),
        // An age identity: its checksum holds, and its public key (the recipient) is derived.
        "age-secret-key" if bech32_ok(secret) => Validation::Valid(keys::age_public_key(secret)),
        "age-secret-key" => Validation::Invalid,
        "gitlab-routable" => verdict(gitlab_routable_ok(secret)),
        _ => Validation::Invalid,
    }
}

fn verdict(ok: bool) -> Validation {
    if ok {
        Validation::Valid(None)
    } else {
        Validation::Invalid
    }
}

/// The base62 alphabet of GitHub and npm token checksums (digits, upper, lower).
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC-32 (IEEE) of `body`, in base62, left-padded with `0` to 6 characters: the last six characters of a
/// GitHub (`ghp_` …) or npm (`npm_`) token, computed over the 30 random characters between prefix and checksum.
pub fn base62_crc32(body: &[u8]) -> String {
    let mut n = crc32fast::hash(body);
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| b as char).collect()
}

/// `<prefix>_<random><checksum6>`: the checksum is [`base62_crc32`] of the random part.
fn github_checksum_ok(token: &[u8]) -> bool {
    let Some(us) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &token[us + 1..];
    if body.len() <= 6 || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (random, check) = body.split_at(body.len() - 6);
    base62_crc32(random).as_bytes() == check
}

/// Decodes base64 in either alphabet, padded or not.
fn decode_base64_any(text: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{
        STANDARD_NO_PAD_INDIFFERENT, URL_SAFE_NO_PAD_INDIFFERENT,
    };
    let trimmed: &[u8] = {
        let end = text.iter().rposition(|&b| b != b'=').map_or(0, |p| p + 1);
        &text[..end]
    };
    if trimmed.iter().any(|&b| b == b'-' || b == b'_') {
        URL_SAFE_NO_PAD_INDIFFERENT.decode(trimmed).ok()
    } else {
        STANDARD_NO_PAD_INDIFFERENT.decode(trimmed).ok()
    }
}

/// One `type length data` field of a version-2 binary macaroon; `None` at end of input or on a bad varint.
fn macaroon_field<'a>(bytes: &'a [u8], pos: &mut usize) -> Option<(u64, &'a [u8])> {
    fn varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*pos)?;
            *pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    let kind = varint(bytes, pos)?;
    if kind == 0 {
        return Some((0, &[]));
    }
    let len = usize::try_from(varint(bytes, pos)?).ok()?;
    let end = pos.checked_add(len)?;
    let data = bytes.get(*pos..end)?;
    *pos = end;
    Some((kind, data))
}

/// `pypi-<base64url of a v2 macaroon>` located at `pypi.org` or `test.pypi.org`: version byte 2, location,
/// non-empty identifier, caveats, and a 32-byte signature ending the data.
fn pypi_macaroon_ok(token: &[u8]) -> bool {
    const LOCATION: u64 = 1;
    const IDENTIFIER: u64 = 2;
    const VID: u64 = 4;
    const SIGNATURE: u64 = 6;
    let Some(b64) = token.strip_prefix(b"pypi-") else {
        return false;
    };
    let Some(bytes) = decode_base64_any(b64) else {
        return false;
    };
    if bytes.first() != Some(&2) {
        return false;
    }
    let mut pos = 1;
    match macaroon_field(&bytes, &mut pos) {
        Some((LOCATION, loc)) if loc == b"pypi.org" || loc == b"test.pypi.org" => {}
        _ => return false,
    }
    match macaroon_field(&bytes, &mut pos) {
        Some((IDENTIFIER, id)) if !id.is_empty() => {}
        _ => return false,
    }
    if macaroon_field(&bytes, &mut pos) != Some((0, &[][..])) {
        return false;
    }
    // Caveats: each is fields up to an end-of-section; an empty section ends the list.
    loop {
        let mut fields = 0;
        loop {
            match macaroon_field(&bytes, &mut pos) {
                Some((0, _)) => break,
                Some((LOCATION | IDENTIFIER | VID, _)) => fields += 1,
                _ => return false,
            }
        }
        if fields == 0 {
            break;
        }
    }
    matches!(macaroon_field(&bytes, &mut pos), Some((SIGNATURE, sig)) if sig.len() == 32)
        && pos == bytes.len()
}

/// The secrets jwt.io's debugger signs its example tokens with, by algorithm: a token one of them verifies is
/// documentation copied around (the debugger's default token is on countless pages), not a credential.
const JWT_DEMO_SECRETS: &[(&str, jsonwebtoken::Algorithm)] = &[
    ("your-256-bit-secret", jsonwebtoken::Algorithm::HS256),
    ("your-384-bit-secret", jsonwebtoken::Algorithm::HS384),
    ("your-512-bit-secret", jsonwebtoken::Algorithm::HS512),
];

/// Whether an HMAC-signed token verifies with one of [`JWT_DEMO_SECRETS`].
fn jwt_signed_with_demo_secret(token: &[u8]) -> bool {
    let Some((message, signature)) = std::str::from_utf8(token)
        .ok()
        .and_then(|t| t.rsplit_once('.'))
    else {
        return false;
    };
    JWT_DEMO_SECRETS.iter().any(|(secret, alg)| {
        let key = jsonwebtoken::DecodingKey::from_secret(secret.as_bytes());
        jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, *alg).unwrap_or(false)
    })
}

/// Three base64url parts; the header a JSON object whose `alg` is a string other than `none`, the payload a
/// JSON object, the signature non-empty, and not one of jwt.io's examples (see [`JWT_DEMO_SECRETS`]).
fn jwt_ok(token: &[u8]) -> bool {
    let parts: Vec<&[u8]> = token.split(|&b| b == b'.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return false;
    };
    let json = |part: &[u8]| {
        decode_base64_any(part)
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .filter(serde_json::Value::is_object)
    };
    let alg_ok = json(header)
        .and_then(|h| {
            h.get("alg")
                .and_then(|a| a.as_str())
                .map(str::to_ascii_lowercase)
        })
        .is_some_and(|alg| !alg.is_empty() && alg != "none");
    alg_ok
        && json(payload).is_some()
        && decode_base64_any(signature).is_some_and(|s| !s.is_empty())
        && !jwt_signed_with_demo_secret(token)
}

/// Passwords that are documentation or local defaults rather than secrets.
const PLACEHOLDER_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "test",
    "admin",
    "root",
    "guest",
    "postgres",
    "mysql",
    "redis",
    "mongo",
    "mongodb",
    "rabbitmq",
    "user",
    "username",
    "changeit",
    "foobar",
    "foo",
    "bar",
    "mypassword",
    "yourpassword",
    "pa55word",
    "p@ssw0rd",
    "password1",
    "password123",
];

/// Whether a password is a placeholder: a well-known default, masked, a template or variable, or the user name.
fn is_placeholder_password(user: &str, pass: &str) -> bool {
    let lower = pass.to_ascii_lowercase();
    pass.is_empty()
        || PLACEHOLDER_PASSWORDS.contains(&lower.as_str())
        || pass
            .chars()
            .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.')
        || pass.starts_with(['$', '%', '<', '{', '[', '#', '@', ':'])
        || pass.ends_with(['>', '}', ']'])
        || lower == user.to_ascii_lowercase()
}

/// `text` with its `%XX` escapes decoded (as a URL's user info is written); bytes that do not form UTF-8 become
/// U+FFFD. A `%` not followed by two hex digits stays as it is.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `scheme://user:password@host`: the password is not a placeholder, a template or the user name again. User
/// and password are compared decoded (`p%40ssw0rd` is `p@ssw0rd`), so a password that begins with an escaped
/// character (`%21…`) is not taken for a `%VARIABLE%`.
fn url_credentials_ok(url: &[u8]) -> bool {
    let Ok(url) = std::str::from_utf8(url) else {
        return false;
    };
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return false;
    };
    let Some((user, pass)) = userinfo.split_once(':') else {
        return false;
    };
    let variable = pass.len() > 2 && pass.starts_with('%') && pass.ends_with('%');
    let (user, pass) = (percent_decoded(user), percent_decoded(pass));
    !host.is_empty() && !variable && !is_placeholder_password(&user, &pass)
}

/// Base64 of `user:password` (a Docker registry `auth`), printable, neither part empty nor a placeholder. The
/// password may span lines: Google's registries take a whole service-account key file as the password of user
/// `_json_key`.
fn basic_auth_ok(b64: &[u8]) -> bool {
    let Some(bytes) = decode_base64_any(b64) else {
        return false;
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return false;
    };
    let Some((user, pass)) = text.split_once(':') else {
        return false;
    };
    !user.is_empty()
        && user.chars().all(|c| !c.is_control())
        && pass
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        // A key file is JSON: its `{` does not mark a template.
        && (user == "_json_key" || !is_placeholder_password(user, pass))
}

/// `n` in lowercase base 36, left-padded with `0` to `width`.
pub fn base36(mut n: u64, width: usize) -> String {
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize] as char);
        n /= 36;
    }
    let body: String = digits.iter().rev().collect();
    format!("{body:0>width$}")
}

/// A GitLab routable token: `<prefix><base64url payload>.<version 2>.<payload length 2><crc32 7>`, all in base
/// 36, the CRC-32 computed over everything before it and the length field equal to the payload's length.
fn gitlab_routable_ok(token: &[u8]) -> bool {
    let Ok(token) = std::str::from_utf8(token) else {
        return false;
    };
    if token.len() < 12 || !token.is_ascii() {
        return false;
    }
    let (signed, crc) = token.split_at(token.len() - 7);
    if base36(u64::from(crc32fast::hash(signed.as_bytes())), 7) != crc {
        return false;
    }
    let mut parts = signed.rsplitn(3, '.');
    let (Some(len), Some(_version), Some(head)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Some(dash) = head.find(['-', '_']) else {
        return false;
    };
    let payload = &head[dash + 1..];
    u64::from_str_radix(len, 36).is_ok_and(|n| n == payload.len() as u64)
}

/// The bech32 alphabet.
const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// The bech32 checksum polymod over human-readable part and data (BIP-173).
pub fn bech32_polymod(hrp: &[u8], data: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk = 1u32;
    let values = hrp
        .iter()
        .map(|&c| u32::from(c >> 5))
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|&c| u32::from(c & 31)))
        .chain(data.iter().map(|&d| u32::from(d)));
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ v;
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// A bech32 string (`AGE-SECRET-KEY-1…`) whose checksum holds, case-insensitively.
fn bech32_ok(text: &[u8]) -> bool {
    let lower = text.to_ascii_lowercase();
    let Some(sep) = lower.iter().rposition(|&b| b == b'1') else {
        return false;
    };
    let (hrp, data) = (&lower[..sep], &lower[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let Some(values) = data
        .iter()
        .map(|c| BECH32.iter().position(|a| a == c).map(|p| p as u8))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    bech32_polymod(hrp, &values) == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_crc32_matches_published_vectors() {
        // Vectors from public write-ups of the GitHub token format (random part → checksum).
        assert_eq!(base62_crc32(b"zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ"), "0mLq17");
        assert_eq!(base62_crc32(b"fIkRGaBu5PeKsznMzXQOg3kETH1Sgx"), "2oIfSC");
    }

    #[test]
    fn github_checksum() {
        let good = format!("ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ{}", "0mLq17");
        assert!(github_checksum_ok(good.as_bytes()));
        let bad = format!("ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ{}", "0mLq18");
        assert!(!github_checksum_ok(bad.as_bytes()));
    }

    #[test]
    fn base36_pads() {
        assert_eq!(base36(0, 2), "00");
        assert_eq!(base36(35, 2), "0z");
        assert_eq!(base36(36, 2), "10");
    }

    #[test]
    fn url_credentials() {
        // A fake password, for this test only. keysweep:allow
        let fake = b"postgres://app:S3cr3t-Tr0ub4dor@db.internal:5432/app";
        assert!(url_credentials_ok(fake));
        assert!(!url_credentials_ok(
            b"postgres://postgres:postgres@localhost/db"
        ));
        assert!(!url_credentials_ok(
            b"postgres://user:password@localhost/db"
        ));
        assert!(!url_credentials_ok(
            b"postgres://user:${DB_PASSWORD}@localhost/db"
        ));
        assert!(!url_credentials_ok(b"mysql://root:<password>@localhost/db"));
        // Percent-encoded passwords are judged decoded.
        assert!(!url_credentials_ok(
            b"mongodb://app:p%40ssw0rd@db.internal/app"
        ));
        assert!(!url_credentials_ok(
            b"mongodb://app:%DB_PASSWORD%@db.internal/app"
        ));
        // A fake password that begins with an escaped character. keysweep:allow
        assert!(url_credentials_ok(
            b"mongodb://app:%21Tr0ub4dor%3Ax9@db.internal/app"
        ));
        assert_eq!(percent_decoded("a%40b%3a%zz%"), "a@b:%zz%");
    }

    #[test]
    fn jwt_shape() {
        assert!(!jwt_ok(b"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.c2ln"));
        assert!(jwt_ok(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"));
        assert!(!jwt_ok(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0."));
    }

    #[test]
    fn tokens_signed_with_jwt_io_demo_secrets_are_examples() {
        use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
        let claims = serde_json::json!({"sub": "fake-example", "iat": 1_700_000_000});
        let sign = |alg: Algorithm, secret: &str| {
            encode(
                &Header::new(alg),
                &claims,
                &EncodingKey::from_secret(secret.as_bytes()),
            )
            .expect("signs")
        };
        for (alg, demo) in [
            (Algorithm::HS256, "your-256-bit-secret"),
            (Algorithm::HS384, "your-384-bit-secret"),
            (Algorithm::HS512, "your-512-bit-secret"),
        ] {
            assert!(!jwt_ok(sign(alg, demo).as_bytes()), "{demo}");
            assert!(jwt_ok(sign(alg, "a FAKE but private secret").as_bytes()));
        }
    }
}
