//! Configuration: `.keysweep.toml` (found at the git root of the scanned path, else in the path, or named by
//! `--config`) merged with flags into one immutable [`ScanConfig`]. Precedence: flag > environment > file >
//! default. Unknown keys and bad values are errors naming the file, line and key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cli::{CommonArgs, Format, OutputArgs, SourceArgs};

/// The config file's name.
pub const CONFIG_FILE: &str = ".keysweep.toml";

/// Default `--max-file-size`.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 25 * 1024 * 1024;

/// `[scan]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// Skip files larger than this.
    pub max_file_size: Option<String>,
    /// Leave out findings of these contexts (`test`).
    #[serde(default)]
    pub exclude_context: Vec<String>,
}

/// `[output]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// Default output format.
    pub format: Option<String>,
}

/// `[rules]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSection {
    /// Extra rule directories, relative to the config file.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// Rule ids to disable.
    #[serde(default)]
    pub disable: Vec<String>,
}

/// `[allowlist]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSection {
    /// Path globs never reported.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Secrets matching one of these regexes are not reported.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Secrets containing one of these words are placeholders.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

/// `[inventory]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySection {
    /// The inventory file, relative to the config file.
    pub path: Option<PathBuf>,
}

/// `[providers.<id>]`: base URLs and generic HTTP revokers.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSection {
    /// The provider's API base URL.
    pub base_url: Option<String>,
    /// `http` for a generic revoker.
    pub kind: Option<String>,
    /// HTTP method of a generic revoker.
    pub method: Option<String>,
    /// URL template (`{key_id}`, `{fingerprint}`).
    pub url: Option<String>,
    /// Header templates; `${VAR}` expands from the environment only.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body template.
    pub body: Option<String>,
    /// Statuses that mean revoked.
    #[serde(default)]
    pub revoked: Vec<u16>,
    /// Statuses that mean already revoked.
    #[serde(default)]
    pub already_revoked: Vec<u16>,
    /// Environment variable holding the organisation's credential for this provider.
    pub token_env: Option<String>,
}

impl ProviderSection {
    /// The one kind of provider section: a generic HTTP revoker for the organisation's own key service.
    pub const HTTP: &'static str = "http";

    /// Whether this section configures a generic HTTP revoker (`kind = "http"`).
    pub fn is_http(&self) -> bool {
        self.kind.as_deref() == Some(Self::HTTP)
    }
}

/// The whole `.keysweep.toml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `[scan]`.
    #[serde(default)]
    pub scan: ScanSection,
    /// `[output]`.
    #[serde(default)]
    pub output: OutputSection,
    /// `[rules]`.
    #[serde(default)]
    pub rules: RulesSection,
    /// `[allowlist]`.
    #[serde(default)]
    pub allowlist: AllowlistSection,
    /// `[inventory]`.
    #[serde(default)]
    pub inventory: InventorySection,
    /// `[providers.*]`.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderSection>,
    /// The line of `[rules] disable` (0 when absent), for errors about the ids it names.
    #[serde(skip)]
    pub disable_line: usize,
}

impl FileConfig {
    /// Reads and parses a config file; errors name the file, line and key.
    pub fn load(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        FileConfig::parse(&text, path)
    }

    /// Parses config text read from `path` (which names it in errors and anchors its relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<FileConfig> {
        let mut cfg: FileConfig = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "config {}",
                crate::display::toml_error(&path.display().to_string(), text, &e)
            )
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        cfg.check_values(text, base)
            .map_err(|e| anyhow::anyhow!("config {}: {e:#}", path.display()))?;
        cfg.disable_line = line_of(text, "disable");
        cfg.rules.paths = cfg.rules.paths.iter().map(|p| base.join(p)).collect();
        cfg.inventory.path = cfg.inventory.path.map(|p| base.join(p));
        Ok(cfg)
    }
}

/// The 1-based line where `key` is assigned in a TOML text (best effort: the first line starting with it).
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(0, |i| i + 1)
}

impl FileConfig {
    /// Checks values serde cannot: sizes, formats, globs, regexes, provider kinds, rule directories (under
    /// `base`). Every bad value is reported, at once, each naming its line and key.
    fn check_values(&self, text: &str, base: &Path) -> Result<()> {
        let at = |section: &str, key: &str| {
            format!("line {}, key `{section}.{key}`", line_of(text, key))
        };
        let mut errors: Vec<String> = Vec::new();
        if let Some(size) = &self.scan.max_file_size
            && let Err(e) = parse_size(size)
        {
            errors.push(format!("{}: {e:#}", at("scan", "max_file_size")));
        }
        for c in &self.scan.exclude_context {
            if !crate::model::CONTEXTS.contains(&c.as_str()) {
                errors.push(format!(
                    "{}: unknown context {c:?} (known: {})",
                    at("scan", "exclude_context"),
                    crate::model::CONTEXTS.join(", ")
                ));
            }
        }
        if let Some(format) = &self.output.format
            && let Err(e) = parse_format(format)
        {
            errors.push(format!("{}: {e:#}", at("output", "format")));
        }
        for g in &self.allowlist.paths {
            if let Err(e) = globset::Glob::new(g) {
                errors.push(format!("{}: bad glob {g:?}: {e}", at("allowlist", "paths")));
            }
        }
        for r in &self.allowlist.regexes {
            if let Err(e) = regex::Regex::new(r) {
                errors.push(format!(
                    "{}: bad regex {r:?}: {e}",
                    at("allowlist", "regexes")
                ));
            }
        }
        for p in &self.rules.paths {
            if !base.join(p).exists() {
                errors.push(format!(
                    "{}: {}: no such rule directory or file",
                    at("rules", "paths"),
                    crate::display::escape(&p.display().to_string())
                ));
            }
        }
        for (id, p) in &self.providers {
            let section = format!("providers.{id}");
            if let Some(kind) = &p.kind
                && kind != ProviderSection::HTTP
            {
                errors.push(format!(
                    "{}: unknown kind {kind:?} (the only kind is \"http\")",
                    at(&section, "kind")
                ));
            }
            if p.is_http() && p.url.is_none() {
                errors.push(format!("[{section}]: kind = \"http\" needs `url`"));
            }
            if let Some(m) = &p.method
                && !matches!(
                    m.to_ascii_uppercase().as_str(),
                    "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
                )
            {
                errors.push(format!(
                    "{}: unsupported method {m:?}",
                    at(&section, "method")
                ));
            }
            for s in p.revoked.iter().chain(&p.already_revoked) {
                if !(100..=599).contains(s) {
                    errors.push(format!(
                        "{}: {s} is not an HTTP status",
                        at(&section, "revoked")
                    ));
                }
            }
        }
        match errors.len() {
            0 => Ok(()),
            1 => bail!("{}", errors[0]),
            n => bail!("{n} bad values:\n  {}", errors.join("\n  ")),
        }
    }
}

/// The git work-tree root containing `path`, if any.
pub fn git_root(path: &Path) -> Option<PathBuf> {
    let start = if path.is_file() { path.parent()? } else { path };
    let start = std::fs::canonicalize(start).ok()?;
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Finds the config: `--config`, else `.keysweep.toml` at the git root of `path`, else in `path`.
pub fn discover(explicit: Option<&Path>, path: &Path) -> Result<Option<(PathBuf, FileConfig)>> {
    if let Some(p) = explicit {
        return Ok(Some((p.to_path_buf(), FileConfig::load(p)?)));
    }
    let dir = if path.is_file() {
        path.parent().unwrap_or(Path::new("."))
    } else {
        path
    };
    for candidate in git_root(path).into_iter().chain([dir.to_path_buf()]) {
        let file = candidate.join(CONFIG_FILE);
        if file.is_file() {
            return Ok(Some((file.clone(), FileConfig::load(&file)?)));
        }
    }
    Ok(None)
}

/// Parses `25MiB`, `10MB`, `512k`, `1048576`.
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .with_context(|| format!("bad size {s:?}: expected a number like 25MiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => bail!("bad size {s:?}: unknown unit {other:?} (use B, KB, KiB, MB, MiB, GB, GiB)"),
    };
    n.checked_mul(mult)
        .with_context(|| format!("size {s:?} is too large"))
}

/// Which git objects a scan reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceMode {
    /// A directory tree or one file.
    Tree,
    /// Standard input.
    Stdin,
    /// Every blob reachable from every ref (and unreachable ones with `all_objects`).
    History {
        /// Include unreachable objects.
        all_objects: bool,
    },
    /// Index blobs that differ from HEAD.
    Staged,
    /// Blobs introduced by commits in `base..head`.
    Diff {
        /// The excluded end.
        base: String,
        /// The included end.
        head: String,
    },
}

/// One resolved, immutable configuration for a scan.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// What to scan.
    pub path: PathBuf,
    /// How to read it.
    pub mode: SourceMode,
    /// Follow submodules in history modes.
    pub recurse_submodules: bool,
    /// Range and staged scans: report secrets already in changed files before the change too.
    pub all_secrets_in_changed_files: bool,
    /// Honour no ignore files.
    pub no_ignore: bool,
    /// Include globs.
    pub include: Vec<String>,
    /// Exclude globs.
    pub exclude: Vec<String>,
    /// Size limit in bytes.
    pub max_file_size: u64,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Main output format.
    pub format: Format,
    /// Main output file.
    pub output: Option<PathBuf>,
    /// Extra (format, file) reports.
    pub reports: Vec<(Format, PathBuf)>,
    /// Print secrets.
    pub show_secrets: bool,
    /// When human output is coloured.
    pub color: crate::model::ColorChoice,
    /// Which findings fail the run.
    pub fail_on: crate::model::FailOn,
    /// Baseline file.
    pub baseline: Option<PathBuf>,
    /// Inventory file.
    pub inventory: Option<PathBuf>,
    /// Probe liveness.
    pub verify: bool,
    /// Keep only findings probed live.
    pub only_live: bool,
    /// Where `--verify` records its probes.
    pub audit_log: Option<PathBuf>,
    /// Findings of these contexts are left out (`--exclude-context`, else `[scan] exclude_context`).
    pub exclude_context: Vec<String>,
    /// Honour inline allow comments.
    pub inline_allow: bool,
    /// Quiet.
    pub quiet: bool,
    /// Verbose.
    pub verbose: bool,
    /// The config file used, if any.
    pub config_file: Option<PathBuf>,
    /// Its contents (defaults when none).
    pub file: FileConfig,
    /// Rule files given as text (source name, TOML), loaded after the built-ins: a gitleaks or Betterleaks
    /// config's rules, imported in memory when there is no `.keysweep.toml`.
    pub extra_rules: Vec<(String, String)>,
    /// Works out, from the scan's findings, fingerprints to suppress as a baseline's are: a `.gitleaksignore`
    /// read where there is no `.keysweep.toml`, whose entries are resolved only for the files findings are in.
    pub suppress: Option<SuppressHook>,
}

/// What a [`SuppressHook`] calls: a scan's findings in, fingerprints to suppress out.
pub type SuppressFn = dyn Fn(&[crate::model::Finding]) -> Vec<String> + Send + Sync;

/// A function from a scan's findings to fingerprints it suppresses (see [`ScanConfig::suppress`]).
#[derive(Clone)]
pub struct SuppressHook(pub std::sync::Arc<SuppressFn>);

impl std::fmt::Debug for SuppressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SuppressHook")
    }
}

/// Parses a format name as the CLI spells it.
pub fn parse_format(s: &str) -> Result<Format> {
    use clap::ValueEnum;
    Format::from_str(s, true).map_err(|_| {
        anyhow::anyhow!("unknown format {s:?} (human, json, jsonl, sarif, github, markdown)")
    })
}

impl ScanConfig {
    /// Resolves flags, environment and config file into one configuration.
    pub fn resolve(
        path: &Path,
        source: &SourceArgs,
        output: &OutputArgs,
        common: &CommonArgs,
    ) -> Result<ScanConfig> {
        let stdin = path == Path::new("-");
        let found = if stdin {
            discover(common.config.as_deref(), Path::new("."))?
        } else {
            discover(common.config.as_deref(), path)?
        };
        let (config_file, file) = match found {
            Some((p, f)) => (Some(p), f),
            None => (None, FileConfig::default()),
        };
        let mode = if stdin {
            SourceMode::Stdin
        } else if source.history {
            SourceMode::History {
                all_objects: source.all_objects,
            }
        } else if source.staged {
            SourceMode::Staged
        } else if let Some(range) = &source.diff {
            let (base, head) = range
                .split_once("..")
                .with_context(|| format!("--diff {range:?}: expected BASE..HEAD"))?;
            let head = if head.is_empty() { "HEAD" } else { head };
            SourceMode::Diff {
                base: base.to_string(),
                head: head.to_string(),
            }
        } else if let Some(since) = &source.since {
            SourceMode::Diff {
                base: since.clone(),
                head: "HEAD".to_string(),
            }
        } else {
            SourceMode::Tree
        };
        let max_file_size = match source
            .max_file_size
            .as_deref()
            .or(file.scan.max_file_size.as_deref())
        {
            Some(s) => parse_size(s).context("--max-file-size")?,
            None => DEFAULT_MAX_FILE_SIZE,
        };
        let format = match (output.format, &file.output.format) {
            (Some(f), _) => f,
            (None, Some(s)) => parse_format(s)
                .with_context(|| format!("config {:?}: [output] format", config_file))?,
            (None, None) => Format::Human,
        };
        let mut reports = Vec::new();
        for r in &output.report {
            let (f, p) = r
                .split_once('=')
                .with_context(|| format!("--report {r:?}: expected FORMAT=FILE"))?;
            reports.push((
                parse_format(f).with_context(|| format!("--report {r:?}"))?,
                PathBuf::from(p),
            ));
        }
        Ok(ScanConfig {
            path: path.to_path_buf(),
            mode,
            recurse_submodules: source.recurse_submodules,
            all_secrets_in_changed_files: source.all_secrets_in_changed_files,
            no_ignore: source.no_ignore,
            include: source.include.clone(),
            exclude: source.exclude.clone(),
            max_file_size,
            threads: common.threads.unwrap_or(0),
            format,
            output: output.output.clone(),
            reports,
            show_secrets: output.show_secrets,
            color: output.color,
            fail_on: output.fail_on,
            baseline: common.baseline.clone(),
            inventory: common
                .inventory
                .clone()
                .or_else(|| file.inventory.path.clone()),
            verify: common.verify || common.only_live,
            only_live: common.only_live,
            audit_log: common.audit_log.clone(),
            exclude_context: if common.exclude_context.is_empty() {
                file.scan.exclude_context.clone()
            } else {
                common.exclude_context.clone()
            },
            inline_allow: !common.no_inline_allow,
            quiet: common.quiet,
            verbose: common.verbose,
            config_file,
            file,
            extra_rules: Vec::new(),
            suppress: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("25MiB").expect("valid"), 25 << 20);
        assert_eq!(parse_size("10MB").expect("valid"), 10_000_000);
        assert_eq!(parse_size("1048576").expect("valid"), 1 << 20);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }
}
