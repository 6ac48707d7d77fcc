//! Coming from gitleaks or Betterleaks: reads their config (`.betterleaks.toml`, `.gitleaks.toml`) and ignore
//! file (`.betterleaksignore`, `.gitleaksignore`) and says the same in keysweep's terms — custom rules in
//! keysweep's rule format (regexes translated and compiled by keysweep's engine), `[allowlist]` paths, regexes
//! and stopwords, `[rules] disable` for gitleaks default rules with an equivalent, and baseline fingerprints
//! for ignore entries — naming, with file and line, everything that has no equivalent. Every name and
//! pattern here came from a file someone else may have written: sizes are bounded and nothing is printed
//! unescaped.

mod allowlist;
pub mod goregex;
pub mod ids;
pub mod ignore;
mod raw;
mod translate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::config::{AllowlistSection, FileConfig};
pub use ignore::IgnoreEntry;
pub use translate::{import_config, import_config_text};

/// Config file names gitleaks-compatible scanners read, in the order Betterleaks looks for them.
pub const CONFIG_NAMES: &[&str] = &[".betterleaks.toml", ".gitleaks.toml"];
/// The environment variables gitleaks and Betterleaks read a config from, in their precedence: a path
/// (Betterleaks' name first), then the config's text.
pub const CONFIG_ENV: &[(&str, EnvKind)] = &[
    ("BETTERLEAKS_CONFIG", EnvKind::Path),
    ("GITLEAKS_CONFIG", EnvKind::Path),
    ("BETTERLEAKS_CONFIG_TOML", EnvKind::Text),
    ("GITLEAKS_CONFIG_TOML", EnvKind::Text),
];

/// What a config environment variable holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvKind {
    /// A config file's path (relative to the current directory).
    Path,
    /// The config's text.
    Text,
}

/// Ignore file names, likewise.
pub const IGNORE_NAMES: &[&str] = &[".betterleaksignore", ".gitleaksignore"];
/// The largest config file read (bytes).
pub const MAX_CONFIG: u64 = 1024 * 1024;
/// The most rules imported from one config.
pub const MAX_RULES: usize = 2_000;
/// How many configs `[extend] path` may chain (gitleaks' own limit).
pub(crate) const MAX_EXTEND_DEPTH: usize = 2;

/// How a note reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Carried over (possibly with a stated difference).
    Mapped,
    /// Not carried over.
    Unmapped,
}

/// One line of the import report: where, what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// File and 1-based line (0: the file as a whole).
    pub at: (String, usize),
    /// Mapped or not.
    pub level: Level,
    /// What happened, in words (may hold text from the file: escape before printing).
    pub text: String,
}

impl Note {
    /// A note.
    pub fn new(at: (String, usize), level: Level, text: String) -> Note {
        Note { at, level, text }
    }

    /// The note as one escaped line: `file:line: mapped|not mapped: text`.
    pub fn render(&self) -> String {
        let what = match self.level {
            Level::Mapped => "mapped",
            Level::Unmapped => "not mapped",
        };
        let at = if self.at.1 > 0 {
            format!("{}:{}", self.at.0, self.at.1)
        } else {
            self.at.0.clone()
        };
        crate::display::escape(&format!("{at}: {what}: {}", self.text)).into_owned()
    }
}

/// A rule as keysweep writes it (the fields an import can fill).
#[derive(Clone, Debug, Serialize)]
pub struct OutRule {
    /// `custom.<gitleaks id>`.
    pub id: String,
    /// The description, else the id.
    pub name: String,
    /// Always `custom`.
    pub provider: String,
    /// Always `medium` (gitleaks rules have no severity).
    pub severity: String,
    /// Prefilter keywords.
    pub keywords: Vec<String>,
    /// The translated regex.
    pub pattern: String,
    /// Minimum entropy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entropy: Option<f64>,
    /// Path globs.
    #[serde(skip_serializing_if = "OutPaths::is_empty")]
    pub paths: OutPaths,
    /// Secret regexes that are placeholders (per-rule allowlist regexes and stopwords).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
}

/// A rule's path globs.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OutPaths {
    /// Only these paths.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Never these.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl OutPaths {
    fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

/// What an import produced.
#[derive(Debug, Default)]
pub struct Import {
    /// The configs read, first the one named.
    pub sources: Vec<PathBuf>,
    /// Custom rules, each compiled by keysweep.
    pub rules: Vec<OutRule>,
    /// gitleaks rule id → keysweep id of each imported rule.
    pub custom_ids: BTreeMap<String, String>,
    /// `[allowlist]`.
    pub allowlist: AllowlistSection,
    /// `[rules] disable`.
    pub disable: Vec<String>,
    /// Ignore-file entries, resolved later against the files they name.
    pub ignore: Vec<IgnoreEntry>,
    /// The report.
    pub notes: Vec<Note>,
    /// Whether a config read says `[extend] useDefault = true`.
    pub use_default: bool,
}

#[derive(Serialize)]
pub(crate) struct OutRuleFile<'a> {
    rule: &'a [OutRule],
}

#[derive(Serialize)]
struct OutConfig<'a> {
    #[serde(skip_serializing_if = "OutRules::is_empty")]
    rules: OutRules<'a>,
    #[serde(skip_serializing_if = "OutAllow::is_empty")]
    allowlist: OutAllow<'a>,
}

#[derive(Serialize)]
struct OutRules<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    paths: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    disable: &'a [String],
}

impl OutRules<'_> {
    fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.disable.is_empty()
    }
}

#[derive(Serialize)]
struct OutAllow<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    paths: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    regexes: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    stopwords: &'a [String],
}

impl OutAllow<'_> {
    fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.regexes.is_empty() && self.stopwords.is_empty()
    }
}

impl Import {
    /// The custom rules as a keysweep rule file.
    pub fn rules_toml(&self) -> String {
        let body =
            toml::to_string(&OutRuleFile { rule: &self.rules }).expect("rules serialize to TOML");
        format!(
            "# Imported by `keysweep config import` from {}.\n{}\n",
            self.source_names(),
            body.trim_end()
        )
    }

    /// `.keysweep.toml`'s text; `rule_file` (relative to it) is listed under `[rules] paths`.
    pub fn config_toml(&self, rule_file: Option<&str>) -> String {
        let paths: Vec<String> = rule_file.map(str::to_string).into_iter().collect();
        let cfg = OutConfig {
            rules: OutRules {
                paths: &paths,
                disable: &self.disable,
            },
            allowlist: OutAllow {
                paths: &self.allowlist.paths,
                regexes: &self.allowlist.regexes,
                stopwords: &self.allowlist.stopwords,
            },
        };
        let body = toml::to_string(&cfg).expect("config serializes to TOML");
        format!(
            "# Imported by `keysweep config import` from {}; what could not be carried over was listed when it ran.\n{}\n",
            self.source_names(),
            body.trim_end()
        )
    }

    /// The imported policy as a config in memory (no rule directories: the rules come as text).
    pub fn file_config(&self) -> FileConfig {
        let mut cfg = FileConfig::default();
        cfg.rules.disable.clone_from(&self.disable);
        cfg.allowlist = self.allowlist.clone();
        cfg
    }

    fn source_names(&self) -> String {
        let names: Vec<String> = self
            .sources
            .iter()
            .map(|p| {
                p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            })
            .collect();
        names.join(", ")
    }

    fn note(&mut self, at: (String, usize), level: Level, text: impl Into<String>) {
        self.notes.push(Note::new(at, level, text.into()));
    }
}

/// The first of `names` that is a file in `dir`.
pub fn find_in(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// Reads a text file of at most `max` bytes.
pub fn read_bounded(path: &Path, max: u64) -> Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        bail!("{}: not a regular file", path.display());
    }
    if meta.len() > max {
        bail!(
            "{}: {} bytes, over the {max}-byte limit",
            path.display(),
            meta.len()
        );
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests;
