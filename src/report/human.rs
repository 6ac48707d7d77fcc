//! Human output: each finding with its rule, provider, severity, key ids, and every location with two lines of
//! redacted context; then a one-line summary. Colour only on a terminal and never with `NO_COLOR`.

use std::io::{self, Write};

use super::{ReportContext, ScanReport};

/// Writes the human report.
pub fn write(report: &ScanReport, ctx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let (bold, red, dim, reset) = if ctx.color {
        ("\x1b[1m", "\x1b[31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    for f in &report.findings {
        let name = ctx
            .rules
            .get(&f.rule_id)
            .map_or(f.rule_id.as_str(), |r| r.name.as_str());
        let secret = if ctx.show_secrets {
            f.secret.reveal().map(str::to_string)
        } else {
            None
        }
        .unwrap_or_else(|| f.secret.redacted());
        writeln!(
            out,
            "{bold}{red}{}{reset} {bold}{name}{reset} ({}, {}){}",
            f.severity.as_str().to_uppercase(),
            f.rule_id,
            f.provider,
            if f.validated { " [validated]" } else { "" }
        )?;
        writeln!(out, "  secret:      {secret}")?;
        writeln!(out, "  fingerprint: {}", f.fingerprint)?;
        if let Some(k) = &f.key {
            if let Some(id) = &k.key_id {
                writeln!(out, "  key id:      {id}")?;
            }
            if let Some(id) = &k.issuer_id {
                writeln!(out, "  issuer id:   {id}")?;
            }
            if let Some(fp) = &k.public_key_sha256 {
                writeln!(out, "  public key:  sha256:{fp}")?;
            }
        }
        if let Some(inv) = &f.inventory {
            writeln!(
                out,
                "  inventory:   {} (owner {}), matched by {} ({})",
                inv.key_id,
                inv.owner.as_deref().unwrap_or("-"),
                inv.matched_by,
                inv.strength
            )?;
        }
        if let Some(l) = &f.liveness {
            writeln!(out, "  liveness:    {} ({})", l.status, l.detail)?;
        }
        for loc in &f.locations {
            let repo = loc
                .repository
                .as_deref()
                .map(|r| format!("{r}: "))
                .unwrap_or_default();
            write!(
                out,
                "  {bold}{repo}{}:{}:{}{reset}",
                loc.path, loc.line, loc.column
            )?;
            if let Some(c) = &loc.commit {
                write!(out, " {dim}commit {}", &c[..c.len().min(12)])?;
                if let Some(a) = &loc.author {
                    write!(out, " by {a}")?;
                }
                if let Some(d) = &loc.date {
                    write!(out, " on {d}")?;
                }
                write!(out, "{reset}")?;
            }
            writeln!(out)?;
            if loc.in_head == Some(false) {
                writeln!(
                    out,
                    "    {red}no longer in HEAD, but still exposed in history: revoke it, deleting is not enough{reset}"
                )?;
            }
            if let Some(s) = &loc.snippet {
                for (i, line) in s.lines.iter().enumerate() {
                    let n = s.first_line + i;
                    let mark = if n == loc.line { ">" } else { " " };
                    writeln!(out, "    {dim}{mark}{n:>5} |{reset} {line}")?;
                }
            }
        }
        writeln!(out)?;
    }
    for e in &report.errors {
        writeln!(out, "{red}error{reset}: {}: {}", e.location, e.message)?;
    }
    let s = &report.summary;
    let sk = &s.skipped;
    writeln!(
        out,
        "{bold}{} finding(s){reset}, {} suppressed; scanned {} file(s), {} unique blob(s), {} bytes in {} ms; skipped {} binary, {} too large, {} unreadable, {} LFS pointer(s), {} missing object(s){}",
        s.findings,
        s.suppressed,
        s.files_scanned,
        s.blobs_scanned,
        s.bytes_scanned,
        s.elapsed_ms,
        sk.binary,
        sk.too_large,
        sk.unreadable,
        sk.lfs_pointer,
        sk.missing_object,
        if s.shallow {
            "; shallow clone: history is incomplete"
        } else {
            ""
        }
    )?;
    Ok(())
}
