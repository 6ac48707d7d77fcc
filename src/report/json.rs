//! JSON (one object: findings, errors, summary) and JSONL (one finding per line) output, the contract scripts
//! and CI depend on (DESIGN.md "Output contract").

use std::io::{self, Write};

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
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

/// A finding as it is written: serialized straight from the finding, or with `show_secrets` through
/// [`finding_value`].
struct Written<'a> {
    finding: &'a Finding,
    show_secrets: bool,
}

impl Serialize for Written<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.show_secrets {
            finding_value(self.finding, true).serialize(s)
        } else {
            self.finding.serialize(s)
        }
    }
}

/// The report's findings, written one by one.
struct Findings<'a> {
    findings: &'a [Finding],
    show_secrets: bool,
}

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.findings.iter().map(|finding| Written {
            finding,
            show_secrets: self.show_secrets,
        }))
    }
}

/// The whole report as one JSON object, in the fields' order of [`ScanReport`], streamed: no copy of the
/// report is built in memory (a blob with 100,000 matches makes a report of that many findings).
pub fn write_json(
    report: &ScanReport,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    let mut obj = ser
        .serialize_struct("ScanReport", 4)
        .map_err(io::Error::other)?;
    obj.serialize_field("version", &report.version)
        .and_then(|()| {
            obj.serialize_field(
                "findings",
                &Findings {
                    findings: &report.findings,
                    show_secrets: ctx.show_secrets,
                },
            )
        })
        .and_then(|()| obj.serialize_field("errors", &report.errors))
        .and_then(|()| obj.serialize_field("summary", &report.summary))
        .and_then(|()| obj.end())
        .map_err(io::Error::other)?;
    writeln!(out)
}

/// One finding per line.
pub fn write_jsonl(
    report: &ScanReport,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    for f in &report.findings {
        let written = Written {
            finding: f,
            show_secrets: ctx.show_secrets,
        };
        serde_json::to_writer(&mut *out, &written).map_err(io::Error::other)?;
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
