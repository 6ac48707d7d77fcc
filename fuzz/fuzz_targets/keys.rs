//! Private-key decoding: PEM (PKCS#1, PKCS#8, SEC1, OpenSSH), escaped and armourless forms, base64 of PEM.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = keysweep::keys::parse_private_key(data);
    let _ = parsed.material();
    let _ = keysweep::keys::parsed_spki(data);
    let _ = keysweep::keys::p256_pkcs8_der(data);
});
