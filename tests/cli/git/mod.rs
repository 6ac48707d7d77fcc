//! Git sources end to end: repositories are built inside each test with git2 (fixed authors, dates and
//! messages; see `support::repo`), keys are generated in the test (P-256 from a seed, PKCS#8 PEM: fake and
//! never used), and the real CLI is run with `--history`, `--staged` or `--diff`. Assertions are on paths,
//! commits, authors, dates and `in_head`, not on exact rule ids (the private-key rules are evolving).

mod changes;
mod history;
mod repositories;
mod staged;
mod submodules;

use std::path::Path;

use serde_json::Value;

use crate::support::keysweep;

/// Runs `keysweep scan PATH ARGS --format json`; returns the exit code and the report.
fn scan(path: &Path, args: &[&str]) -> (i32, Value) {
    let out = keysweep()
        .arg("scan")
        .arg(path)
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("keysweep runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON report ({e}): stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), report)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings array")
}

/// The findings with a location at `path`.
fn at_path<'a>(report: &'a Value, path: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| {
            f["locations"]
                .as_array()
                .expect("locations")
                .iter()
                .any(|l| l["path"] == path)
        })
        .collect()
}
