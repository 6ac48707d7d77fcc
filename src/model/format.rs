//! Output formats, as every command that writes a report names them.

use clap::ValueEnum;

/// When human output is coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always (also into files and pipes).
    Always,
    /// Never.
    Never,
}

/// Which findings fail a run (exit 1); the others are reported all the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding.
    #[default]
    Low,
    /// Findings of medium or high severity.
    Medium,
    /// Findings of high severity.
    High,
    /// Findings whose secret an offline check proved well-formed (checksum, key that decodes) or a
    /// `--verify` probe found live.
    Validated,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text, coloured on a terminal.
    Human,
    /// One JSON object with findings, errors and a summary.
    Json,
    /// One finding per line as JSON, no summary.
    Jsonl,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions `::error` annotations.
    Github,
    /// A Markdown summary (for `$GITHUB_STEP_SUMMARY`).
    Markdown,
}
