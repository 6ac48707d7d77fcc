//! Reporting: one [`ScanReport`] is written by interchangeable sinks — human text, JSON, JSONL, SARIF 2.1.0,
//! GitHub annotations and a Markdown summary. Secrets are redacted unless the report says `show_secrets`.

pub mod github;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::cli::Format;
use crate::finding::Finding;
use crate::rules::RuleSet;

/// Inputs that could not be read or parsed, counted by cause.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Binary files (NUL in the first 8 KiB) that are not key files.
    pub binary: u64,
    /// Files over the size limit.
    pub too_large: u64,
    /// Files and directories that could not be read (permissions, vanished).
    pub unreadable: u64,
    /// Git LFS pointer files.
    pub lfs_pointer: u64,
    /// Objects missing from a partial clone.
    pub missing_object: u64,
}

/// Totals of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Files (or history paths) read, duplicates included.
    #[serde(default)]
    pub files_scanned: u64,
    /// Unique blobs matched.
    pub blobs_scanned: u64,
    /// Bytes of unique blobs matched.
    pub bytes_scanned: u64,
    /// What was skipped and why.
    pub skipped: Skipped,
    /// Whether the repository is a shallow clone (history is incomplete).
    pub shallow: bool,
    /// Findings reported.
    pub findings: u64,
    /// Findings suppressed by baseline, allowlists or inline comments.
    pub suppressed: u64,
    /// Wall time of the run.
    pub elapsed_ms: u64,
    /// Paths of skipped inputs with the reason (`binary`, `too large`, …), listed by `-v`; not serialized.
    #[serde(skip)]
    pub skipped_files: Vec<(String, String)>,
}

/// A problem with one input; the run went on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanError {
    /// The file, commit, object or URL.
    #[serde(rename = "where")]
    pub location: String,
    /// What went wrong.
    pub message: String,
}

/// Everything a run reports.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScanReport {
    /// Format version (1).
    pub version: u32,
    /// Findings, sorted.
    pub findings: Vec<Finding>,
    /// Inputs that failed.
    pub errors: Vec<ScanError>,
    /// Totals.
    pub summary: Summary,
}

/// What a sink needs besides the report.
pub struct ReportContext<'a> {
    /// Rules, for names and references.
    pub rules: &'a RuleSet,
    /// Print secrets unredacted.
    pub show_secrets: bool,
    /// Colour (human format on a terminal, no `NO_COLOR`).
    pub color: bool,
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
