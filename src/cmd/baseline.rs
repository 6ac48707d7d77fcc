//! `keysweep baseline create`: scans like `scan` (without any existing baseline) and records every finding's
//! fingerprint, so later scans report only new findings.

use std::io::Write;

use anyhow::{Context, Result};

use super::scan::{load_rules, scan};
use crate::cli::BaselineCreateArgs;
use crate::config::ScanConfig;
use crate::model::ExitStatus;
use crate::policy::Baseline;
use crate::report::create_output;

/// Runs `keysweep baseline create`.
pub fn run(args: &BaselineCreateArgs) -> Result<ExitStatus> {
    let common = crate::cli::CommonArgs {
        config: args.config.clone(),
        ..Default::default()
    };
    let mut cfg = ScanConfig::resolve(
        &args.path,
        &args.source,
        &crate::cli::OutputArgs::default(),
        &common,
    )?;
    // Without a .keysweep.toml, a gitleaks or Betterleaks policy counts here as it does for `scan`.
    super::config::fallback(&mut cfg)?;
    let (rules, rule_errors) = load_rules(&cfg)?;
    let report = scan(&cfg, rules)?;
    for e in rule_errors.iter().chain(&report.errors) {
        eprintln!(
            "keysweep: error: {}: {}",
            crate::display::escape(&e.location),
            crate::display::escape(&e.message)
        );
    }
    let baseline = Baseline::from_findings(&report.findings);
    let mut out = create_output(&args.output, false)?;
    serde_json::to_writer_pretty(&mut out, &baseline)
        .with_context(|| format!("writing {}", args.output.display()))?;
    writeln!(out).with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "keysweep: recorded {} finding(s) in {}",
        baseline.findings.len(),
        args.output.display()
    );
    Ok(if rule_errors.is_empty() && report.errors.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Error
    })
}
