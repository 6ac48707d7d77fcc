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
pub mod pipeline;
pub mod report;
pub mod revoke;
pub mod rules;
pub mod scan;
pub mod source;

use std::io::Write;

use anyhow::Result;

use cli::{Cli, Command, InventoryCommand, KeysCommand, RulesCommand};

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
        Command::Inventory(InventoryCommand::Check { file }) => inventory::run_check(&file),
        Command::Revoke(args) => revoke::run(&args),
        other => anyhow::bail!("{} is not implemented yet", command_name(&other)),
    }
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Scan(_) => "scan",
        Command::Rules(_) => "rules",
        Command::Keys(_) => "keys",
        Command::Inventory(_) => "inventory",
        Command::Revoke(_) => "revoke",
        Command::Baseline(_) => "baseline",
        Command::Sweep(_) => "sweep",
        Command::Merge(_) => "merge",
    }
}
