//! Private-key decoding: PEM (PKCS#1, PKCS#8, SEC1, OpenSSH), escaped and armourless forms, base64 of PEM,
//! PuTTY `.ppk`, minisign secret keys, key containers (PKCS#12, JKS, JCEKS) given as base64, and where an
//! armourless body ends.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = keysweep::keys::parse_private_key(data);
    let _ = parsed.material();
    let _ = keysweep::keys::parsed_spki(data);
    let _ = keysweep::keys::p256_pkcs8_der(data);
    if let Some(end) = keysweep::keys::armourless_extent(data) {
        assert!(end <= data.len());
    }
    let _ = keysweep::keys::ppk_public_key(data);
    let _ = keysweep::keys::minisign_secret_key(data);
    let _ = keysweep::keys::container_contents(data);
    let _ = keysweep::keys::container_from_bytes(data);
    let _ = keysweep::sniff::is_key_container(data);
});
