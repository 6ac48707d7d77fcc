//! A Markdown summary for `$GITHUB_STEP_SUMMARY`: a headline count and one table row per location (severity,
//! rule, location, commit, key id, validated/inventory), secrets redacted unless `--show-secrets`. A clean run
//! says so in one line.

use std::io::{self, Write};

use super::{NOT_IN_HEAD, ReportContext, human_bytes, shown_secret};
use crate::model::ScanReport;

/// The `markdown` format.
pub struct Markdown;

impl super::Sink for Markdown {
    fn write(
        &self,
        report: &ScanReport,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let s = &report.summary;
        let n = report.findings.len();
        if n == 0 {
            writeln!(out, "### keysweep: no secrets found")?;
        } else {
            writeln!(
                out,
                "### keysweep: {n} secret{} found",
                if n == 1 { "" } else { "s" }
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "Scanned {} file(s), {} unique blob(s), {}; {} suppressed; {} error(s).",
            s.files_scanned,
            s.blobs_scanned,
            human_bytes(s.bytes_scanned),
            s.suppressed,
            report.errors.len()
        )?;
        if n > 0 {
            writeln!(out)?;
            writeln!(
                out,
                "| severity | rule | location | commit | key id | secret | validated | inventory |"
            )?;
            writeln!(out, "|---|---|---|---|---|---|---|---|")?;
            for f in &report.findings {
                let key_id = f
                    .key
                    .as_ref()
                    .and_then(|k| k.key_id.as_deref())
                    .unwrap_or("");
                let inventory = f
                    .inventory
                    .as_ref()
                    .map(|i| {
                        format!(
                            "{} ({}, {})",
                            i.owner.as_deref().unwrap_or(&i.key_id),
                            i.matched_by,
                            i.strength
                        )
                    })
                    .unwrap_or_else(|| "not listed".into());
                let secret = shown_secret(f, ctx);
                for loc in &f.locations {
                    let repo = loc
                        .repository
                        .as_deref()
                        .map(|r| format!("{r}: "))
                        .unwrap_or_default();
                    let mut commit = loc
                        .commit
                        .as_deref()
                        .map(|c| format!("`{}`", crate::model::short(c, 12)))
                        .unwrap_or_default();
                    if loc.in_head == Some(false) {
                        commit.push_str(" (not in HEAD: revoke it)");
                    }
                    writeln!(
                        out,
                        "| {} | `{}` | `{}` | {} | {} | `{}` | {} | {} |",
                        match super::marks(f) {
                            Some(m) => format!("{} ({m})", f.severity.as_str()),
                            None => f.severity.as_str().to_string(),
                        },
                        cell(&f.rule_id),
                        cell(&format!(
                            "{repo}{}:{}:{}",
                            loc.display_path(),
                            loc.line,
                            loc.column
                        )),
                        commit,
                        cell(key_id),
                        cell(&secret.replace(['\r', '\n'], " ")),
                        if f.validated { "yes" } else { "no" },
                        cell(&inventory)
                    )?;
                }
            }
            if report
                .findings
                .iter()
                .flat_map(|f| &f.locations)
                .any(|l| l.in_head == Some(false))
            {
                writeln!(out)?;
                writeln!(out, "A key marked \"not in HEAD\" is {NOT_IN_HEAD}.")?;
            }
        }
        if !report.errors.is_empty() {
            writeln!(out)?;
            writeln!(out, "**Errors** (the scan went on):")?;
            writeln!(out)?;
            for e in &report.errors {
                writeln!(out, "- `{}`: {}", cell(&e.location), cell(&e.message))?;
            }
        }
        Ok(())
    }
}

/// Makes text safe inside a table cell: no pipes, backticks or line breaks, control characters and the raw bytes
/// of a file name that is not UTF-8 escaped.
fn cell(s: &str) -> String {
    crate::display::escape(&s.replace(['\r', '\n'], " "))
        .replace('|', "\\|")
        .replace('`', "'")
}
