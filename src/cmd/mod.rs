//! The commands, one module each, above every stage: each resolves its configuration, runs the stages it needs
//! and returns an [`ExitStatus`] for `main` to map to the exit code. [`run`] dispatches a parsed command line.

pub mod baseline;
pub mod config;
pub mod inventory;
pub mod keys;
pub mod revoke;
pub mod rules;
pub mod scan;
pub mod sweep;

use std::path::Path;

use anyhow::{Context, Result};
use sha2::Digest;

use crate::cli::{
    BaselineCommand, Cli, Command, ConfigCommand, InventoryCommand, KeysCommand, MergeArgs,
    RulesCommand,
};
use crate::model::ExitStatus;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Command::Scan(args) => {
            let mut cfg = crate::config::ScanConfig::resolve(
                &args.path,
                &args.source,
                &args.output,
                &args.common,
            )?;
            config::fallback(&mut cfg)?;
            if args.revoke {
                scan::run_scan_and_revoke(&cfg, args.yes, args.common.audit_log.as_deref())
            } else {
                scan::run_scan(&cfg)
            }
        }
        Command::Rules(RulesCommand::List { config }) => rules::list(config.as_deref()),
        Command::Rules(RulesCommand::Check { dir, config }) => {
            rules::run(dir.as_deref(), config.as_deref())
        }
        Command::Keys(KeysCommand::Fingerprint { files, format }) => keys::run(&files, format),
        Command::Baseline(BaselineCommand::Create(args)) => baseline::run(&args),
        Command::Merge(args) => merge(&args),
        Command::Config(ConfigCommand::Import(args)) => config::import(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::CiEvent { event, field } => ci_event(&event, &field),
        Command::Completions { shell } => {
            // Generated into memory: the generator panics on a write error (`| head` closing the pipe).
            let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "keysweep", &mut script);
            std::io::Write::write_all(&mut std::io::stdout(), &script)?;
            Ok(ExitStatus::Clean)
        }
        Command::Man => {
            let cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(ExitStatus::Clean)
        }
        Command::Inventory(InventoryCommand::Check { file }) => inventory::run(&file),
        Command::Revoke(args) => revoke::run(&args),
    }
}

/// `keysweep merge`: reads JSON reports and writes them as one, deduplicated by fingerprint.
fn merge(args: &MergeArgs) -> Result<ExitStatus> {
    // The same report named twice (or two copies of it) is read once: its summary must not count twice.
    let mut seen = std::collections::HashMap::new();
    let mut reports = Vec::new();
    for f in &args.files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading report {}", f.display()))?;
        let digest: [u8; 32] = sha2::Sha256::digest(text.as_bytes()).into();
        if let Some(first) = seen.insert(digest, f) {
            eprintln!(
                "note: {} has the same content as {}; merged once",
                crate::display::escape(&f.display().to_string()),
                crate::display::escape(&first.display().to_string())
            );
            seen.insert(digest, first);
            continue;
        }
        reports.push(crate::report::merge::parse_report(&text, f)?);
    }
    let report = crate::report::merge::merge(reports);
    let rules = crate::rules::RuleSet::builtin()?;
    crate::report::write_one(
        args.format,
        args.output.as_deref(),
        &rules,
        &report,
        false,
        crate::model::ColorChoice::Auto,
        false,
    )?;
    Ok(report.status())
}

/// `keysweep ci-event`: prints one field of a GitHub Actions event payload (exit 1 when it is absent).
fn ci_event(event: &Path, field: &str) -> Result<ExitStatus> {
    let text = std::fs::read_to_string(event)
        .with_context(|| format!("reading event {}", event.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", event.display()))?;
    let found = field.split('.').try_fold(&v, |v, k| v.get(k));
    match found {
        Some(serde_json::Value::String(s)) => println!("{s}"),
        Some(serde_json::Value::Null) | None => return Ok(ExitStatus::Findings),
        Some(other) => println!("{other}"),
    }
    Ok(ExitStatus::Clean)
}
