//! The revocation stage (irreversible, so every safety of DESIGN.md's revocation contract lives here): plan from
//! findings re-matched against the inventory with secrets re-read from their locations ([`plan`]), and only when
//! confirmed call the providers ([`execute`]) — each call bracketed by audit-log records ([`audit`]) so an
//! interrupted run resumes without revoking twice. tokio runs only here and in the providers' calls.

pub mod audit;
mod content;
mod execute;
pub mod plan;
mod print;
mod reread;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use crate::config::FileConfig;
use crate::model::{ExitStatus, RevocationOutcome};
use crate::providers::Ctx;
use plan::{Action, PlanItem};

/// How a revocation run behaves.
#[derive(Clone, Debug)]
pub struct RevokeOptions {
    /// Carry out the plan without asking.
    pub yes: bool,
    /// Probe liveness before revoking and for manual keys.
    pub verify: bool,
    /// The audit log.
    pub audit_log: PathBuf,
    /// Add self-revocable tokens that are not in the inventory.
    pub include_unlisted: bool,
    /// `--resume` was given (the log is read either way).
    pub resume: bool,
    /// Human or JSON.
    pub json: bool,
}

/// Prints the plan, executes it when confirmed, prints outcomes, and returns the exit status.
///
/// `confirm(n)` asks a person to confirm `n` revocations (0: probes only) when neither `--yes` nor JSON output
/// decides; the command supplies it.
pub fn run_plan(
    file: &FileConfig,
    mut items: Vec<PlanItem>,
    opts: &RevokeOptions,
    confirm: &dyn Fn(usize) -> bool,
    out: &mut dyn Write,
) -> Result<ExitStatus> {
    let to_call = items.iter().filter(|i| i.action == Action::Revoke).count();
    // `--verify` probes manual keys too, so a plan with nothing to revoke still calls out when asked to.
    let wants_calls = to_call > 0 || (opts.verify && !items.is_empty());
    // The plan is shown first: a person asked to type REVOKE has read what it will do.
    if !opts.json {
        print::plan(&items, !(opts.yes && wants_calls), out)?;
        out.flush()?;
    }
    let execute = wants_calls && (opts.yes || (!opts.json && confirm(to_call)));
    if execute {
        let ctx = Arc::new(Ctx::new(file)?);
        let (log, state) = audit::AuditLog::open(&opts.audit_log)?;
        if opts.resume || !state.in_doubt.is_empty() || !state.done.is_empty() {
            eprintln!(
                "keysweep: resuming from {}: {} key(s) done, {} in doubt (probed before any new call){}",
                opts.audit_log.display(),
                state.done.len(),
                state.in_doubt.len(),
                if state.unreadable_lines > 0 {
                    format!(", {} unreadable line(s) skipped", state.unreadable_lines)
                } else {
                    String::new()
                }
            );
        }
        execute::execute(ctx, Arc::new(log), &state, &mut items, opts.verify)?;
    } else {
        for i in items.iter_mut().filter(|i| i.action == Action::Revoke) {
            i.outcome = Some(RevocationOutcome::DryRun);
        }
    }
    if opts.json {
        let v = serde_json::json!({ "version": 1, "dry_run": !execute, "items": items });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
    } else {
        print::outcomes(&items, execute, out)?;
    }
    out.flush()?;
    Ok(status_of(&items))
}

/// 0 everything revoked or already revoked; 1 manual steps, refusals or a dry-run remain; 2 any failure, or a
/// secret that could not be re-read.
pub fn status_of(items: &[PlanItem]) -> ExitStatus {
    let mut status = ExitStatus::Clean;
    for i in items {
        if i.unread {
            status = ExitStatus::Error;
        }
        let s = match &i.outcome {
            Some(RevocationOutcome::Revoked { .. } | RevocationOutcome::AlreadyRevoked { .. }) => {
                ExitStatus::Clean
            }
            Some(RevocationOutcome::Failed { .. }) => ExitStatus::Error,
            _ => ExitStatus::Findings,
        };
        status = status.max(s);
    }
    status
}
