//! Example generators for rule checks. Rule examples that need a valid checksum or a real key are written as
//! `{{gen:NAME}}` (or `{{gen:NAME:SEED}}`) and expanded here at check time, deterministically, so no token with a
//! valid checksum and no usable key is ever committed. Names starting with `key-` are key generators
//! (`crate::keys::generate_example`); the rest are token generators.

use anyhow::{Result, bail};

pub use crate::keys::generate::seeded_bytes;

const OPEN: &str = "{{gen:";

/// Expands every `{{gen:NAME[:SEED]}}` in an example.
pub fn expand(example: &str) -> Result<String> {
    let mut out = String::with_capacity(example.len());
    let mut rest = example;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find("}}") else {
            bail!("unterminated {OPEN}…}} in example")
        };
        let spec = &after[..end];
        let (name, seed) = spec.split_once(':').map_or((spec, ""), |(n, s)| (n, s));
        match generate(name, seed) {
            Some(text) => out.push_str(&text),
            None => bail!("unknown example generator {name:?}"),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Runs one generator; `None` if the name is unknown.
pub fn generate(name: &str, seed: &str) -> Option<String> {
    if name.starts_with("key-") {
        return crate::keys::generate_example(name, seed);
    }
    token_example(name, seed)
}

/// `len` deterministic characters from `alphabet`.
pub fn seeded_chars(seed: &str, alphabet: &[u8], len: usize) -> String {
    seeded_bytes(seed, len)
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

/// Base62 alphabet (digits, upper, lower).
pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Character classes of the `CLASS-N` generators.
const CLASSES: &[(&str, &[u8])] = &[
    ("base62", BASE62),
    ("hex", b"0123456789abcdef"),
    ("HEX", b"0123456789ABCDEF"),
    ("lower", b"abcdefghijklmnopqrstuvwxyz0123456789"),
    ("upper", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    (
        "alpha",
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    ),
    ("digits", b"0123456789"),
    (
        "b64",
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    ),
    (
        "b64url",
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    ),
    ("base32", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
    ("base32lower", b"abcdefghijklmnopqrstuvwxyz234567"),
];

/// Token generators:
/// - `CLASS-N`: N random characters of a class (`base62`, `hex`, `HEX`, `lower`, `upper`, `alpha`, `digits`,
///   `b64`, `b64url`, `base32`, `base32lower`);
/// - `github-PREFIX` (`github-ghp`, …) and `npm`: a token whose last six characters are the CRC-32/base62
///   checksum of the 30 random ones;
/// - `pypi-macaroon`, `pypi-macaroon-test`: a structurally valid PyPI upload token (v2 macaroon);
/// - `jwt-hs256`: a signed JWT; `age-secret-key`: a bech32 age identity with a valid checksum;
/// - `gitlab-routable-PREFIX` (`gitlab-routable-glpat`, …): a routable GitLab token with a valid CRC-32;
/// - `basic-auth`: base64 of `user:password`; `basic-auth-json-key`: base64 of `_json_key:` and a (fake, keyless)
///   service-account key file of several lines, as Google's registries take it; `pem-escaped-p256`: a PKCS#8 P-256 PEM with `\n` escapes, as in
///   a JSON string.
fn token_example(name: &str, seed: &str) -> Option<String> {
    if let Some((class, len)) = name.rsplit_once('-')
        && let Some((_, alphabet)) = CLASSES.iter().find(|(c, _)| *c == class)
        && let Ok(len) = len.parse::<usize>()
    {
        return Some(seeded_chars(seed, alphabet, len));
    }
    if let Some(prefix) = name.strip_prefix("gitlab-routable-") {
        return Some(gitlab_routable(&format!("{prefix}-"), seed));
    }
    if let Some(prefix) = name.strip_prefix("github-") {
        return Some(crc32_token(&format!("{prefix}_"), seed));
    }
    match name {
        "npm" => Some(crc32_token("npm_", seed)),
        "pypi-macaroon" => Some(pypi_macaroon(b"pypi.org", seed)),
        "pypi-macaroon-test" => Some(pypi_macaroon(b"test.pypi.org", seed)),
        "jwt-hs256" => jwt_hs256(seed),
        "age-secret-key" => Some(age_secret_key(seed)),
        "basic-auth" => {
            use base64::Engine as _;
            let user = seeded_chars(&format!("{seed}/user"), b"abcdefghijklmnopqrstuvwxyz", 8);
            let pass = seeded_chars(&format!("{seed}/pass"), BASE62, 20);
            Some(base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")))
        }
        "basic-auth-json-key" => {
            use base64::Engine as _;
            let key_id = seeded_chars(&format!("{seed}/id"), b"0123456789abcdef", 40);
            let secret = seeded_chars(&format!("{seed}/key"), BASE62, 64);
            let key = format!(
                "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"acme-ci\",\n  \
                 \"private_key_id\": \"{key_id}\",\n  \"private_key\": \"{secret}\"\n}}\n"
            );
            Some(base64::engine::general_purpose::STANDARD.encode(format!("_json_key:{key}")))
        }
        "pem-escaped-p256" => pem_escaped_p256(seed),
        _ => None,
    }
}

/// `prefix` + 30 random base62 characters + their CRC-32 in base62 (GitHub and npm tokens).
pub fn crc32_token(prefix: &str, seed: &str) -> String {
    let random = seeded_chars(seed, BASE62, 30);
    let check = crate::validate::base62_crc32(random.as_bytes());
    format!("{prefix}{random}{check}")
}

/// A GitLab routable token (`glpat-…​.01.<len><crc>`) with a valid CRC-32.
fn gitlab_routable(prefix: &str, seed: &str) -> String {
    use crate::validate::base36;
    use base64::Engine as _;
    let routing = format!(
        "o:{}\nu:{}",
        base36(u64::from(seeded_bytes(seed, 1)[0]) + 1000, 1),
        base36(4242, 1)
    );
    let mut raw = seeded_bytes(&format!("{seed}/random"), 16);
    raw.extend_from_slice(routing.as_bytes());
    raw.push(routing.len() as u8);
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let signed = format!("{prefix}{payload}.01.{}", base36(payload.len() as u64, 2));
    let crc = base36(u64::from(crc32fast::hash(signed.as_bytes())), 7);
    format!("{signed}{crc}")
}

fn pypi_macaroon(location: &[u8], seed: &str) -> String {
    use base64::Engine as _;
    let field = |out: &mut Vec<u8>, kind: u8, data: &[u8]| {
        out.push(kind);
        let mut len = data.len();
        while len >= 0x80 {
            out.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        out.extend_from_slice(data);
    };
    let id = seeded_chars(&format!("{seed}/id"), b"0123456789abcdef", 32);
    let mut m = vec![2u8];
    field(&mut m, 1, location);
    field(
        &mut m,
        2,
        format!("{{\"version\": 1, \"uuid\": \"{id}\"}}").as_bytes(),
    );
    m.push(0);
    field(&mut m, 2, br#"{"version": 1, "permissions": "user"}"#);
    m.push(0);
    m.push(0);
    field(&mut m, 6, &seeded_bytes(&format!("{seed}/sig"), 32));
    format!(
        "pypi-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m)
    )
}

fn jwt_hs256(seed: &str) -> Option<String> {
    let claims = serde_json::json!({
        "sub": seeded_chars(&format!("{seed}/sub"), BASE62, 12),
        "iat": 1_700_000_000u64,
        "role": "service",
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&seeded_bytes(&format!("{seed}/key"), 32)),
    )
    .ok()
}

fn age_secret_key(seed: &str) -> String {
    age_identity(&seeded_bytes(seed, 32))
}

/// The age identity (`AGE-SECRET-KEY-1…`, checksum computed) of a 32-byte X25519 secret.
pub fn age_identity(bytes: &[u8]) -> String {
    const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    // 32 key bytes as 52 five-bit groups (the last one padded).
    let mut data = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            data.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        data.push(((acc << (5 - bits)) & 31) as u8);
    }
    let hrp = b"age-secret-key-";
    let mut with_zeros = data.clone();
    with_zeros.extend_from_slice(&[0; 6]);
    let poly = crate::validate::bech32_polymod(hrp, &with_zeros) ^ 1;
    data.extend((0..6).map(|i| ((poly >> (5 * (5 - i))) & 31) as u8));
    let body: String = data.iter().map(|&d| BECH32[d as usize] as char).collect();
    format!("AGE-SECRET-KEY-1{}", body.to_ascii_uppercase())
}

fn pem_escaped_p256(seed: &str) -> Option<String> {
    use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
    // A scalar from the seed; retry with a new seed in the (negligible) case it is out of range.
    let key = (0..16).find_map(|i| {
        p256::SecretKey::from_slice(&seeded_bytes(&format!("{seed}/{i}"), 32)).ok()
    })?;
    let pem = key.to_pkcs8_pem(LineEnding::LF).ok()?;
    Some(pem.replace('\n', "\\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_deterministically() {
        let a = expand("x={{gen:base62-10}} y").expect("known generator");
        assert_eq!(a, expand("x={{gen:base62-10}} y").expect("known generator"));
        assert_eq!(a.len(), "x= y".len() + 10);
        assert!(expand("{{gen:nope}}").is_err());
    }

    #[test]
    fn checksummed_tokens_validate() {
        use crate::validate::{Validation, validate};
        let valid = |name: &str, validator: &str| {
            let t = generate(name, "t").expect("known generator");
            matches!(validate(validator, t.as_bytes()), Validation::Valid(_))
        };
        assert!(valid("github-ghp", "github-checksum"));
        assert!(valid("npm", "github-checksum"));
        assert!(valid("pypi-macaroon", "pypi-macaroon"));
        assert!(valid("pypi-macaroon-test", "pypi-macaroon"));
        assert!(valid("jwt-hs256", "jwt"));
        assert!(valid("age-secret-key", "bech32"));
        assert!(valid("gitlab-routable-glpat", "gitlab-routable"));
        assert!(valid("basic-auth", "base64-basic-auth"));
        assert!(valid("basic-auth-json-key", "base64-basic-auth"));
        assert_eq!(generate("hex-8", "x").expect("class").len(), 8);
        assert!(
            generate("pem-escaped-p256", "x")
                .expect("key")
                .contains("\\n")
        );
    }
}
