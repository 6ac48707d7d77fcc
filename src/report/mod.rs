//! Reporting: one [`ScanReport`] is written by interchangeable sinks — human text, JSON, JSONL, SARIF 2.1.0,
//! GitHub annotations and a Markdown summary. Secrets are redacted unless the report says `show_secrets`.

pub mod human;
pub mod json;

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
    /// Files that could not be read (permissions, vanished).
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

/// Writes `report` in `format`.
pub fn write(
    format: Format,
    report: &ScanReport,
    ctx: &ReportContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, ctx, out),
        Format::Json => json::write_json(report, ctx, out),
        Format::Jsonl => json::write_jsonl(report, ctx, out),
        Format::Sarif | Format::Github | Format::Markdown => Err(io::Error::other(format!(
            "format {format:?} is not implemented yet"
        ))),
    }
}
