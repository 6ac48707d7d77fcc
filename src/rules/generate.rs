//! Example generators for rule checks. Rule examples that need a valid checksum or a real key are written as
//! `{{gen:NAME}}` (or `{{gen:NAME:SEED}}`) and expanded here at check time, deterministically, so no token with a
//! valid checksum and no usable key is ever committed. Names starting with `key-` are key generators
//! (`crate::keys::generate_example`); the rest are token generators.

use anyhow::{Result, bail};
use sha2::{Digest, Sha256};

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

/// `len` deterministic pseudo-random bytes from a seed string.
pub fn seeded_bytes(seed: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = 0u32;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(seed.as_bytes());
        h.update(counter.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        counter += 1;
    }
    out.truncate(len);
    out
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

/// Token generators.
fn token_example(name: &str, seed: &str) -> Option<String> {
    match name {
        // `base62-N`: N random base62 characters.
        n if n.starts_with("base62-") => Some(seeded_chars(
            seed,
            BASE62,
            n["base62-".len()..].parse().ok()?,
        )),
        _ => None,
    }
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
}
