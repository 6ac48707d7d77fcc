//! Findings files (`revoke --findings`: a JSON report, an array, or JSONL) and baselines, and the report
//! written back from what was read.
#![no_main]

use std::path::Path;

use keysweep::model::ScanReport;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = keysweep::policy::Baseline::parse(text, Path::new("baseline.json"));
    let Ok(findings) = keysweep::report::merge::parse_findings(text, Path::new("findings.json")) else {
        return;
    };
    let _ = keysweep::policy::Baseline::from_findings(&findings);
    common::write_all(&ScanReport::of_findings(findings));
});
