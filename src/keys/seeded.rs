//! Deterministic bytes from a seed, for the example generators (`generate`, `fake_containers`).

use sha2::{Digest, Sha256};

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
