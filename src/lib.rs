//! keysweep finds leaked private keys and API keys in directory trees and git histories, matches them against
//! the organisation's inventory of known keys, and can revoke what is exposed.
//!
//! The pipeline (DESIGN.md): sources → blobs (deduplicated by git blob id) → matcher → findings → enrich →
//! policy → report, and only when asked, revocation.

pub mod cli;
pub mod config;
pub mod finding;
pub mod inventory;
pub mod keys;
pub mod merge;
pub mod pipeline;
pub mod policy;
pub mod report;
pub mod revoke;
pub mod rules;
pub mod scan;
pub mod source;
pub mod sweep;

use std::io::Write;

use anyhow::{Context, Result};

use cli::{BaselineCommand, Cli, Command, InventoryCommand, KeysCommand, RulesCommand};

/// How a run ended; `main` maps it to the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Nothing found (0).
    Clean,
    /// Findings, or manual steps remaining for revoke (1).
    Findings,
    /// An error (2), even alongside findings.
    Error,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Command::Scan(args) => {
            let cfg =
                config::ScanConfig::resolve(&args.path, &args.source, &args.output, &args.common)?;
            if args.revoke {
                pipeline::run_scan_and_revoke(&cfg, args.yes, args.audit_log.as_deref())
            } else {
                pipeline::run_scan(&cfg)
            }
        }
        Command::Rules(RulesCommand::List { config }) => {
            let rules = rules::check::configured_rules(config.as_deref())?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for r in &rules.rules {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    r.id,
                    r.provider,
                    r.severity.as_str(),
                    r.name
                )?;
            }
            out.flush()?;
            Ok(ExitStatus::Clean)
        }
        Command::Rules(RulesCommand::Check { dir, config }) => {
            rules::check::run(dir.as_deref(), config.as_deref())
        }
        Command::Keys(KeysCommand::Fingerprint { files }) => keys::fingerprint_files(&files),
        Command::Baseline(BaselineCommand::Create(args)) => pipeline::run_baseline_create(&args),
        Command::Merge(args) => {
            let reports = args
                .files
                .iter()
                .map(|f| merge::read_report(f))
                .collect::<Result<Vec<_>>>()?;
            let report = merge::merge(reports);
            let rules = rules::RuleSet::builtin()?;
            pipeline::write_one(args.format, args.output.as_deref(), &rules, &report, false)?;
            Ok(pipeline::status_of(&report))
        }
        Command::Sweep(args) => sweep::run(&args),
        Command::CiEvent { event, field } => {
            let text = std::fs::read_to_string(&event)
                .with_context(|| format!("reading event {}", event.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", event.display()))?;
            let found = field.split('.').try_fold(&v, |v, k| v.get(k));
            match found {
                Some(serde_json::Value::String(s)) => println!("{s}"),
                Some(serde_json::Value::Null) | None => return Ok(ExitStatus::Findings),
                Some(other) => println!("{other}"),
            }
            Ok(ExitStatus::Clean)
        }
        Command::Inventory(InventoryCommand::Check { file }) => inventory::run_check(&file),
        Command::Revoke(args) => revoke::run(&args),
    }
}
