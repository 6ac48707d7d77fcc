//! Human output: each finding with its rule, provider, severity, key ids, and every location with two lines of
//! redacted context (a multi-line secret such as a PEM key is one redacted line); then a one-line summary.
//! Colour only on a terminal and never with `NO_COLOR` (the caller decides and sets `ctx.color`).

use crate::display::escape;
use crate::model::short;
use std::io::{self, Write};

use super::{NOT_IN_HEAD, ReportContext, human_bytes, rule_name, shown_secret};
use crate::model::ScanReport;
use crate::model::{Location, Severity};

/// The `human` format.
pub struct Human;

impl super::Sink for Human {
    fn write(
        &self,
        report: &ScanReport,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write(report, ctx, out)
    }
}

struct Style {
    bold: &'static str,
    red: &'static str,
    yellow: &'static str,
    dim: &'static str,
    reset: &'static str,
}

impl Style {
    fn new(color: bool) -> Style {
        if color {
            Style {
                bold: "\x1b[1m",
                red: "\x1b[31m",
                yellow: "\x1b[33m",
                dim: "\x1b[2m",
                reset: "\x1b[0m",
            }
        } else {
            Style {
                bold: "",
                red: "",
                yellow: "",
                dim: "",
                reset: "",
            }
        }
    }
}

/// Writes the human report.
pub fn write(report: &ScanReport, ctx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let st = Style::new(ctx.color);
    let (bold, red, reset) = (st.bold, st.red, st.reset);
    for f in &report.findings {
        let sev = if f.severity == Severity::Low {
            st.yellow
        } else {
            red
        };
        writeln!(
            out,
            "{bold}{sev}{}{reset} {bold}{}{reset} ({}, {}){}",
            f.severity.as_str().to_uppercase(),
            escape(rule_name(f, ctx)),
            escape(&f.rule_id),
            escape(&f.provider),
            if f.validated { " [validated]" } else { "" }
        )?;
        writeln!(out, "  secret:      {}", escape(&shown_secret(f, ctx)))?;
        writeln!(out, "  fingerprint: {}", f.fingerprint)?;
        if let Some(c) = &f.context {
            writeln!(
                out,
                "  context:     {} (test data, fixture or example; severity lowered)",
                escape(c)
            )?;
        }
        if f.known_example {
            writeln!(
                out,
                "  example:     a key its own project publishes as an example: public, protects nothing"
            )?;
        }
        if let Some(k) = &f.key {
            if let Some(id) = &k.key_id {
                writeln!(out, "  key id:      {}", escape(id))?;
            }
            if let Some(id) = &k.issuer_id {
                writeln!(out, "  issuer id:   {}", escape(id))?;
            }
            if let Some(fp) = &k.public_key_sha256 {
                writeln!(out, "  public key:  sha256:{fp}")?;
            }
        }
        if let Some(inv) = &f.inventory {
            writeln!(
                out,
                "  inventory:   {} (owner {}), matched by {} ({})",
                escape(&inv.key_id),
                escape(inv.owner.as_deref().unwrap_or("-")),
                inv.matched_by,
                inv.strength
            )?;
        }
        if let Some(l) = &f.liveness {
            writeln!(
                out,
                "  liveness:    {} ({})",
                l.status.as_str(),
                escape(&l.detail)
            )?;
        }
        for loc in &f.locations {
            write_location(loc, &st, out)?;
        }
        writeln!(out)?;
    }
    for e in report.errors.iter().filter(|_| !ctx.errors_logged) {
        writeln!(
            out,
            "{red}error{reset}: {}: {}",
            escape(&e.location),
            escape(&e.message)
        )?;
    }
    let s = &report.summary;
    let sk = &s.skipped;
    let mut skipped = vec![
        format!("{} binary", sk.binary),
        format!("{} too large", sk.too_large),
        format!("{} unreadable", sk.unreadable),
    ];
    if sk.lfs_pointer > 0 {
        skipped.push(format!("{} LFS pointer(s)", sk.lfs_pointer));
    }
    if sk.missing_object > 0 {
        skipped.push(format!("{} missing object(s)", sk.missing_object));
    }
    let errors = if report.errors.is_empty() {
        String::new()
    } else {
        format!(", {red}{} error(s){reset}", report.errors.len())
    };
    writeln!(
        out,
        "{bold}{} finding(s){reset}, {} suppressed{errors}; scanned {} file(s), {} unique blob(s), {} in {} ms; skipped {}{}",
        s.findings,
        s.suppressed,
        s.files_scanned,
        s.blobs_scanned,
        human_bytes(s.bytes_scanned),
        s.elapsed_ms,
        skipped.join(", "),
        if s.pre_existing > 0 {
            format!(
                "; {} secret(s) already in the changed files before the change not reported \
                 (--all-secrets-in-changed-files)",
                s.pre_existing
            )
        } else {
            String::new()
        } + if s.shallow {
            "; shallow clone: history is incomplete"
        } else {
            ""
        }
    )?;
    Ok(())
}

fn write_location(loc: &Location, st: &Style, out: &mut dyn Write) -> io::Result<()> {
    let (bold, red, dim, reset) = (st.bold, st.red, st.dim, st.reset);
    let repo = loc
        .repository
        .as_deref()
        .map(|r| format!("{}: ", escape(r)))
        .unwrap_or_default();
    write!(
        out,
        "  {bold}{repo}{}:{}:{}{reset}",
        escape(&loc.display_path()),
        loc.line,
        loc.column
    )?;
    if let Some(e) = &loc.encoding {
        write!(out, " {dim}({}-encoded){reset}", escape(e))?;
    }
    if let Some(c) = &loc.commit {
        let how = if loc.introduced == Some(false) {
            "still in"
        } else {
            "introduced in"
        };
        write!(out, " {dim}{how} commit {}", escape(short(c, 12)))?;
        if let Some(a) = &loc.author {
            write!(out, " by {}", escape(a))?;
        }
        if let Some(d) = &loc.date {
            write!(out, " on {}", escape(d))?;
        }
        write!(out, "{reset}")?;
    }
    writeln!(out)?;
    if loc.in_head == Some(false) {
        writeln!(out, "    {red}{NOT_IN_HEAD}{reset}")?;
    }
    let Some(s) = &loc.snippet else {
        return Ok(());
    };
    // A secret spanning several lines (a PEM key) is shown once, redacted, on its first line; the lines it
    // covers are folded into that one (`12-16 |`).
    let last_secret_line = loc.end.map_or(loc.line, |(l, _)| l.max(loc.line));
    let width = (s.first_line + s.lines.len()).to_string().len().max(4);
    for (i, line) in s.lines.iter().enumerate() {
        let n = s.first_line + i;
        if n > loc.line && n <= last_secret_line {
            continue;
        }
        let line = escape(line);
        let sep = if line.is_empty() { "" } else { " " };
        if n == loc.line {
            let label = if last_secret_line > loc.line {
                format!("{n}-{last_secret_line}")
            } else {
                n.to_string()
            };
            writeln!(out, "    {dim}>{label:>width$} |{reset}{sep}{line}")?;
        } else {
            writeln!(out, "    {dim} {n:>width$} |{reset}{sep}{line}")?;
        }
    }
    Ok(())
}
