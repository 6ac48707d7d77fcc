//! What a run reports as a whole: the [`ScanReport`] every output format writes (findings, errors, summary),
//! and why an input was not matched ([`Skip`]).

use serde::{Deserialize, Serialize};

use super::finding::{Finding, LiveStatus};
use super::format::FailOn;
use super::secret::Severity;
use super::status::ExitStatus;

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
    /// Range and staged scans: secrets in changed files that the change did not add (already in the file
    /// before it), not reported (`--all-secrets-in-changed-files` reports them).
    #[serde(default)]
    pub pre_existing: u64,
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

/// Why a blob was not matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Binary content that is not a key file.
    Binary,
    /// Over the size limit.
    TooLarge,
    /// Could not be read.
    Unreadable,
    /// A Git LFS pointer.
    LfsPointer,
    /// Missing from a partial clone.
    MissingObject,
}

impl Skip {
    /// How the reason reads in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Binary => "binary",
            Skip::TooLarge => "too large",
            Skip::Unreadable => "unreadable",
            Skip::LfsPointer => "LFS pointer",
            Skip::MissingObject => "missing object",
        }
    }
}

impl ScanReport {
    /// A report of findings alone (read from a findings file): no errors, a summary that counts only them.
    pub fn of_findings(findings: Vec<Finding>) -> ScanReport {
        ScanReport {
            version: 1,
            summary: Summary {
                findings: findings.len() as u64,
                ..Summary::default()
            },
            findings,
            errors: Vec::new(),
        }
    }

    /// The exit status this report implies: an error beats findings beats clean.
    pub fn status(&self) -> ExitStatus {
        self.status_failing_on(FailOn::Low)
    }

    /// [`ScanReport::status`] where only findings `fail_on` names count (the others are still reported).
    pub fn status_failing_on(&self, fail_on: FailOn) -> ExitStatus {
        let fails = |f: &Finding| match fail_on {
            FailOn::Low => true,
            FailOn::Medium => f.severity >= Severity::Medium,
            FailOn::High => f.severity >= Severity::High,
            FailOn::Validated => {
                f.validated
                    || f.liveness
                        .as_ref()
                        .is_some_and(|l| l.status == LiveStatus::Live)
            }
        };
        if !self.errors.is_empty() {
            ExitStatus::Error
        } else if self.findings.iter().any(fails) {
            ExitStatus::Findings
        } else {
            ExitStatus::Clean
        }
    }
}
