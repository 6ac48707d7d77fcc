//! Reporting: one [`ScanReport`] is written by interchangeable sinks — human text, JSON, JSONL, SARIF 2.1.0,
//! GitHub annotations and a Markdown summary. Secrets are redacted unless the report says `show_secrets`.

pub mod github;
pub mod human;
pub mod json;
pub mod markdown;
pub mod merge;
mod output;
pub mod sarif;

use std::io::{self, Write};

use crate::model::{Finding, Format, ScanReport};
use crate::rules::RuleSet;

pub use output::{create_output, write_one, write_reports};

/// What a sink needs besides the report.
pub struct ReportContext<'a> {
    /// Rules, for names and references.
    pub rules: &'a RuleSet,
    /// Print secrets unredacted.
    pub show_secrets: bool,
    /// Colour (human format on a terminal, no `NO_COLOR`).
    pub color: bool,
    /// The errors were already written to standard error: the human format counts them without listing them.
    pub errors_logged: bool,
}

/// An output format: writes the whole report of one run. Every format is a sink fed the same [`ScanReport`].
pub trait Sink {
    /// Writes `report` to `out`.
    fn write(
        &self,
        report: &ScanReport,
        ctx: &ReportContext<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()>;
}

/// The sink for a format.
pub fn sink(format: Format) -> &'static dyn Sink {
    match format {
        Format::Human => &human::Human,
        Format::Json => &json::Json,
        Format::Jsonl => &json::Jsonl,
        Format::Sarif => &sarif::Sarif,
        Format::Github => &github::Github,
        Format::Markdown => &markdown::Markdown,
    }
}

/// Writes `report` in `format`.
pub fn write(
    format: Format,
    report: &ScanReport,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    sink(format).write(report, ctx, out)
}

/// A finding's secret as output shows it: raw with `show_secrets`, else redacted.
pub fn shown_secret(f: &Finding, ctx: &ReportContext<'_>) -> String {
    if ctx.show_secrets {
        f.secret.reveal().map(str::to_string)
    } else {
        None
    }
    .unwrap_or_else(|| f.secret.redacted())
}

/// The rule's human name, else its id.
pub fn rule_name<'a>(f: &'a Finding, ctx: &'a ReportContext<'_>) -> &'a str {
    ctx.rules
        .get(&f.rule_id)
        .map_or(f.rule_id.as_str(), |r| r.name.as_str())
}

/// Says why a sighting matters beyond its file: a key gone from HEAD is still exposed in history.
pub const NOT_IN_HEAD: &str = "no longer in HEAD, but still exposed in git history: revoke it, deleting the file is not enough";

/// Why a finding's severity is below its rule's, in a few words (`test context`, `known example key`), if it is.
pub fn marks(f: &Finding) -> Option<String> {
    let mut marks = Vec::new();
    if let Some(c) = &f.context {
        marks.push(format!("{c} context"));
    }
    if f.known_example {
        marks.push("known example key".to_string());
    }
    (!marks.is_empty()).then(|| marks.join(", "))
}

/// `1234567` → `1.2 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
