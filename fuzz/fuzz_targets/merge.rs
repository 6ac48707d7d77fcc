//! `keysweep merge`: reports (split at NUL bytes into up to four inputs) parsed, merged and written in every
//! format.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let reports: Vec<_> = text
        .split('\0')
        .take(4)
        .filter_map(|t| keysweep::report::merge::parse_report(t, Path::new("report.json")).ok())
        .collect();
    if reports.is_empty() {
        return;
    }
    let merged = keysweep::report::merge::merge(reports);
    common::write_all(&merged);
});
