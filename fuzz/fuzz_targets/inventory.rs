//! Inventories (TOML `[[key]]` or JSON): parsed and validated against the built-in providers.
#![no_main]

use std::path::Path;

use keysweep::config::FileConfig;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line starting with `[` or `{` decides JSON or TOML, as for a file of unknown extension.
    let Ok(raw) = keysweep::inventory::parse_raw(Path::new("inventory"), text) else {
        return;
    };
    let known = keysweep::inventory::known_providers(&FileConfig::default(), common::rules());
    let _ = keysweep::inventory::validate(&raw, &known);
});
