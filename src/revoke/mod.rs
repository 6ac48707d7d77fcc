//! The revocation stage (irreversible, so every safety of DESIGN.md's revocation contract lives here): plan from
//! findings re-matched against the inventory with secrets re-read from their locations ([`plan`]), and only when
//! confirmed call the providers ([`execute`]) — each call bracketed by audit-log records ([`audit`]) so an
//! interrupted run resumes without revoking twice. tokio runs only here and in the providers' calls.

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
use crate::providers::{Ctx, audit};
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
    /// Probe liveness only (`--verify-only`, or `--verify` without `--yes`): never revoke.
    pub verify_only: bool,
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
    if opts.verify_only {
        return verify_only(file, items, opts, out);
    }
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
        // A dry run says what earlier runs did (the audit log is read, never written).
        let state = audit::read_state(&opts.audit_log).unwrap_or_default();
        for i in items.iter_mut().filter(|i| i.action == Action::Revoke) {
            let key = (i.provider.clone(), i.fingerprint.clone());
            i.outcome = Some(match state.done.get(&key) {
                Some(done) => RevocationOutcome::AlreadyRevoked {
                    detail: format!("done in an earlier run (audit log: {done}); not called again"),
                },
                None => RevocationOutcome::DryRun,
            });
            if state.in_doubt.contains(&key) {
                i.reason.push_str(
                    "; in doubt after an interrupted run (audit log): the next run probes it before any call",
                );
            }
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

/// `--verify-only`: probes each key whose secret was re-read and whose provider has a probe, records every
/// probe in the audit log, revokes nothing. 0 when every key is proven dead, 1 when one is live or could not be
/// told, 2 on a failure or a secret that could not be re-read.
fn verify_only(
    file: &FileConfig,
    mut items: Vec<PlanItem>,
    opts: &RevokeOptions,
    out: &mut dyn Write,
) -> Result<ExitStatus> {
    use crate::model::LiveState;
    use crate::providers::liveness::{self, ProbeTarget};
    if !opts.json {
        writeln!(
            out,
            "Verify only: each key's liveness is probed (the leaked credential is sent to its own provider), nothing is revoked."
        )?;
        print::plan(&items, false, out)?;
        out.flush()?;
    }
    let ctx = Arc::new(Ctx::new(file)?);
    let (log, _) = audit::AuditLog::open(&opts.audit_log)?;
    let rt = crate::providers::runtime()?;
    let mut failed = false;
    let mut all_dead = true;
    rt.block_on(async {
        for item in &mut items {
            let probe_able = matches!(item.action, Action::Revoke | Action::Manual)
                && item.secret.is_some()
                && liveness::has_probe(&item.provider);
            if !probe_able {
                all_dead = false;
                continue;
            }
            let target = ProbeTarget {
                provider: item.provider.clone(),
                secret: item.secret.clone(),
                key_id: item.key_id.clone(),
                issuer_id: item.issuer_id.clone(),
                individual: item.individual,
            };
            match liveness::probe_audited(&ctx, &log, &item.fingerprint, &target).await {
                Ok(Some(p)) => {
                    all_dead &= p.state == LiveState::Dead;
                    item.liveness = Some(liveness::to_liveness(&p));
                    if p.state == LiveState::Disabled {
                        if let Some(l) = item.liveness.as_mut() {
                            l.status = crate::model::LiveStatus::Live;
                            l.detail.push_str(" (disabled, not revoked)");
                        }
                    }
                }
                Ok(None) => all_dead = false,
                Err(e) => {
                    eprintln!("keysweep: error: {}", crate::display::user_error(&e));
                    failed = true;
                }
            }
        }
    });
    if opts.json {
        let v = serde_json::json!({ "version": 1, "dry_run": true, "verify_only": true, "items": items });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "Liveness now (audit log: {}):",
            crate::display::escape(&opts.audit_log.display().to_string())
        )?;
        for i in &items {
            let (status, detail) = match &i.liveness {
                Some(l) => (l.status.as_str(), l.detail.as_str()),
                None => (
                    "not probed",
                    "no re-read secret or no probe for this provider",
                ),
            };
            writeln!(
                out,
                "  {:<16} {:<18} key_id={}: {}",
                status,
                crate::display::escape(&i.provider),
                crate::display::escape(i.key_id.as_deref().unwrap_or("-")),
                crate::display::escape(detail)
            )?;
        }
    }
    out.flush()?;
    Ok(if failed || items.iter().any(|i| i.unread) {
        ExitStatus::Error
    } else if all_dead {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
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
