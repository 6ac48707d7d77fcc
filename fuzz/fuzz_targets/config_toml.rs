//! `.keysweep.toml`: parsed and checked as the scan command reads it, its allowlist compiled.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = keysweep::config::FileConfig::parse(text, Path::new("repo/.keysweep.toml")) else {
        return;
    };
    let _ = keysweep::policy::Policy::new(&cfg.allowlist, None);
});
