//! Shared by the targets: the built-in rules, and every output format written for a report.
#![allow(dead_code)] // each target uses part of it

use std::sync::{Arc, OnceLock};

use keysweep::model::{Format, ScanReport};
use keysweep::report::ReportContext;
use keysweep::rules::RuleSet;
use keysweep::scan::Scanner;

/// The built-in rule set, loaded once per process.
pub fn rules() -> &'static Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(RuleSet::builtin().expect("built-in rules load")))
}

/// The scanner over the built-in rules, built once per process.
pub fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(rules().clone()).expect("scanner builds"))
}

/// Writes `report` in every format, redacted and not (output of untrusted data must never panic).
pub fn write_all(report: &ScanReport) {
    for format in [
        Format::Human,
        Format::Json,
        Format::Jsonl,
        Format::Sarif,
        Format::Github,
        Format::Markdown,
    ] {
        for show_secrets in [false, true] {
            let ctx = ReportContext {
                rules: rules(),
                show_secrets,
                color: show_secrets,
                errors_logged: false,
            };
            let mut out = Vec::new();
            keysweep::report::write(format, report, &ctx, &mut out).expect("writing to memory");
        }
    }
}
