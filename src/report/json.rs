//! JSON (one object: findings, errors, summary) and JSONL (one finding per line) output, the contract scripts
//! and CI depend on (DESIGN.md "Output contract").

use std::io::{self, Write};

use serde_json::Value;

use super::ReportContext;
use crate::model::Finding;
use crate::model::ScanReport;

/// A finding as JSON, with the raw secret when `show_secrets`.
pub fn finding_value(f: &Finding, show_secrets: bool) -> Value {
    let mut v = serde_json::to_value(f).expect("findings serialize");
    if show_secrets && let Some(raw) = f.secret.reveal() {
        v["secret"] = Value::String(raw.to_string());
    }
    v
}

/// The whole report as one JSON object.
pub fn write_json(
    report: &ScanReport,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut v = serde_json::to_value(report).map_err(io::Error::other)?;
    v["findings"] = Value::Array(
        report
            .findings
            .iter()
            .map(|f| finding_value(f, ctx.show_secrets))
            .collect(),
    );
    serde_json::to_writer_pretty(&mut *out, &v).map_err(io::Error::other)?;
    writeln!(out)
}

/// One finding per line.
pub fn write_jsonl(
    report: &ScanReport,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    for f in &report.findings {
        serde_json::to_writer(&mut *out, &finding_value(f, ctx.show_secrets))
            .map_err(io::Error::other)?;
        writeln!(out)?;
    }
    Ok(())
}

/// The `json` format.
pub struct Json;

impl super::Sink for Json {
    fn write(
        &self,
        report: &ScanReport,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write_json(report, ctx, out)
    }
}

/// The `jsonl` format.
pub struct Jsonl;

impl super::Sink for Jsonl {
    fn write(
        &self,
        report: &ScanReport,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        write_jsonl(report, ctx, out)
    }
}
