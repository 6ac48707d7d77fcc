//! `keysweep revoke` and `scan --revoke`: load the configuration and inventory, build the plan from a findings
//! file (secrets re-read from their locations) or from this scan's findings, ask a person at a terminal, and run
//! the plan. The safety rules themselves live in [`crate::revoke`].

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;

use crate::cli::RevokeArgs;
use crate::config::{FileConfig, ScanConfig};
use crate::inventory::Inventory;
use crate::model::{ExitStatus, Finding, Format, LiveStatus, RevocationOutcome};
use crate::providers::audit;
use crate::report::merge::read_findings;
use crate::revoke::plan::{self, Action, SecretSource};
use crate::revoke::{RevokeOptions, run_plan};
use crate::rules::RuleSet;
use crate::source::mirror::default_cache;

/// `scan --revoke`: plans (and with `--yes` carries out) revocation of this scan's findings. The plan goes to
/// standard error so it never mixes with a machine-readable report on standard output.
pub fn run_after_scan(
    cfg: &ScanConfig,
    rules: &RuleSet,
    findings: &[Finding],
    yes: bool,
    audit_log: Option<&Path>,
) -> Result<ExitStatus> {
    let inventory = match &cfg.inventory {
        Some(p) => Some(Inventory::load(p, &cfg.file, rules)?),
        None => None,
    };
    // With --verify the scan has just probed every finding: no key is probed a second time here, and a key
    // the probe found dead is not revoked.
    let opts = RevokeOptions {
        yes,
        verify: false,
        audit_log: audit_log.map_or_else(
            || PathBuf::from(audit::DEFAULT_AUDIT_LOG),
            Path::to_path_buf,
        ),
        include_unlisted: false,
        resume: false,
        json: false,
        verify_only: false,
    };
    let mut items = plan::build(
        findings,
        inventory.as_ref(),
        &cfg.file,
        &SecretSource::InMemory,
        false,
    )?;
    for item in &mut items {
        let Some(live) = findings
            .iter()
            .find(|f| f.fingerprint == item.fingerprint)
            .and_then(|f| f.liveness.as_ref())
        else {
            continue;
        };
        let dead = live.status == LiveStatus::Dead;
        match (item.action, &mut item.outcome) {
            (Action::Revoke | Action::Manual, _) if dead => {
                item.action = Action::Refuse;
                item.reason = "the scan's --verify probe found it already revoked".into();
                item.outcome = Some(RevocationOutcome::AlreadyRevoked {
                    detail: format!("probe during the scan: {}", live.detail),
                });
            }
            (Action::Manual, Some(RevocationOutcome::ManualRequired { steps, .. })) => {
                steps.insert(0, format!("Liveness at scan time: {}.", live.detail));
            }
            _ => {}
        }
    }
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    run_plan(&cfg.file, items, &opts, &confirmed, &mut out)
}

/// `keysweep revoke`.
pub fn run(args: &RevokeArgs) -> Result<ExitStatus> {
    let findings = read_findings(&args.findings)?;
    // The configuration is looked for where the secrets are: --root, else the root the report recorded.
    let recorded = findings
        .iter()
        .flat_map(|f| &f.locations)
        .find(|l| l.repository.is_none())
        .and_then(|l| l.root.as_deref())
        .map(PathBuf::from);
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let anchor = args
        .root
        .clone()
        .or(recorded)
        .unwrap_or_else(|| root.clone());
    let file = match crate::config::discover(args.config.as_deref(), &anchor)? {
        Some((_, f)) => f,
        None => FileConfig::default(),
    };
    let (rules, _) = RuleSet::load(true, &file.rules.paths, &file.rules.disable)?;
    let inventory_path = args
        .inventory
        .clone()
        .or_else(|| file.inventory.path.clone());
    let inventory = match &inventory_path {
        Some(p) => Some(Inventory::load(p, &file, &rules)?),
        None => {
            eprintln!(
                "keysweep: no inventory (--inventory or [inventory] path): only --include-unlisted tokens can be revoked"
            );
            None
        }
    };
    let json = match args.format {
        None | Some(Format::Human) => false,
        Some(Format::Json) => true,
        Some(other) => anyhow::bail!("revoke writes human or json, not {other:?}"),
    };
    let cache = args.cache_dir.clone().unwrap_or_else(default_cache);
    let source = SecretSource::Reread {
        root: &root,
        explicit: args.root.is_some(),
        cache: &cache,
        rules: Arc::new(rules),
    };
    let items = plan::build(
        &findings,
        inventory.as_ref(),
        &file,
        &source,
        args.include_unlisted,
    )?;
    let opts = RevokeOptions {
        yes: args.yes,
        verify: args.verify,
        audit_log: args
            .audit_log
            .clone()
            .unwrap_or_else(|| PathBuf::from(audit::DEFAULT_AUDIT_LOG)),
        include_unlisted: args.include_unlisted,
        resume: args.resume,
        json,
        verify_only: args.verify_only || (args.verify && !args.yes),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_plan(&file, items, &opts, &confirmed, &mut out)
}

/// Asks for `REVOKE` on a terminal; false when stdin is not one.
fn confirmed(n: usize) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    if n == 0 {
        eprint!("Probe the keys' liveness now? Type REVOKE to continue: ");
    } else {
        eprint!(
            "Revoke {n} key{} now? This cannot be undone. Type REVOKE to continue: ",
            if n == 1 { "" } else { "s" }
        );
    }
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "REVOKE"
}
