//! How a revocation plan and its outcomes read on a terminal.

use std::io::Write;

use super::plan::PlanItem;
use crate::display::escape;
use crate::model::{MatchedBy, RevocationOutcome};

/// Prints the plan: one block per key with its action, ids and why. `dry_run`: nothing is called unless a
/// person confirms at the prompt that follows. Everything but the action came from a
/// findings file or a provider, so it is escaped for the terminal.
pub fn plan(items: &[PlanItem], dry_run: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if items.is_empty() {
        return writeln!(out, "Revocation plan: nothing to revoke.");
    }
    writeln!(
        out,
        "Revocation plan ({} key{}){}:",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        if dry_run {
            " — dry-run, nothing will be called without --yes (or REVOKE typed at the prompt)"
        } else {
            ""
        }
    )?;
    for i in items {
        writeln!(
            out,
            "  {:<7} {:<18} key_id={} fingerprint={} matched_by={}{}",
            i.action.as_str(),
            escape(&i.provider),
            escape(i.key_id.as_deref().unwrap_or("-")),
            escape(&i.fingerprint),
            i.matched_by.map_or("-", MatchedBy::as_str),
            i.strength
                .map(|s| format!(" ({})", s.as_str()))
                .unwrap_or_default(),
        )?;
        writeln!(
            out,
            "          {}{}",
            escape(&i.reason),
            i.location
                .as_deref()
                .map(|l| format!("; seen at {}", escape(l)))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

/// Prints what happened to each key, with manual steps spelled out.
pub fn outcomes(items: &[PlanItem], executed: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{}:",
        if executed {
            "Outcomes"
        } else {
            "Outcomes (dry-run)"
        }
    )?;
    for i in items {
        let Some(o) = &i.outcome else { continue };
        writeln!(
            out,
            "  {:<16} {:<18} key_id={}: {}",
            o.name(),
            escape(&i.provider),
            escape(i.key_id.as_deref().unwrap_or("-")),
            escape(&o.detail())
        )?;
        if let RevocationOutcome::ManualRequired { steps, url } = o {
            for (n, s) in steps.iter().enumerate() {
                writeln!(out, "      {}. {}", n + 1, escape(s))?;
            }
            if let Some(u) = url {
                writeln!(out, "      {}", escape(u))?;
            }
        }
    }
    Ok(())
}
