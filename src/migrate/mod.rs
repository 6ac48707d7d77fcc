//! Coming from gitleaks or Betterleaks: reads their config (`.betterleaks.toml`, `.gitleaks.toml`) and ignore
//! file (`.betterleaksignore`, `.gitleaksignore`) and says the same in keysweep's terms — custom rules in
//! keysweep's rule format (regexes translated and compiled by keysweep's engine), `[allowlist]` paths, regexes
//! and stopwords, `[rules] disable` for gitleaks default rules with an equivalent, and baseline fingerprints
//! for ignore entries — naming, with file and line, everything that has no equivalent. Every name and
//! pattern here came from a file someone else may have written: sizes are bounded and nothing is printed
//! unescaped.

pub mod goregex;
pub mod ids;
pub mod ignore;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::config::{AllowlistSection, FileConfig};
pub use ignore::IgnoreEntry;

/// Config file names gitleaks-compatible scanners read, in the order Betterleaks looks for them.
pub const CONFIG_NAMES: &[&str] = &[".betterleaks.toml", ".gitleaks.toml"];
/// Ignore file names, likewise.
pub const IGNORE_NAMES: &[&str] = &[".betterleaksignore", ".gitleaksignore"];
/// The largest config file read (bytes).
pub const MAX_CONFIG: u64 = 1024 * 1024;
/// The most rules imported from one config.
pub const MAX_RULES: usize = 2_000;
/// How many configs `[extend] path` may chain (gitleaks' own limit).
const MAX_EXTEND_DEPTH: usize = 2;

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
}

#[derive(Serialize)]
struct OutRuleFile<'a> {
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

// ---- the gitleaks / Betterleaks config as written -------------------------------------------------------------
// Keys are compared lower-cased: gitleaks reads its config through viper, which ignores key case.

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawConfig {
    extend: Option<RawExtend>,
    rules: Vec<RawRule>,
    allowlist: Option<RawAllowlist>,
    allowlists: Vec<RawAllowlist>,
    prefilter: Option<String>,
    filter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawExtend {
    path: Option<String>,
    url: Option<String>,
    usedefault: bool,
    disabledrules: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawRule {
    id: String,
    description: Option<String>,
    regex: Option<String>,
    path: Option<String>,
    secretgroup: Option<i64>,
    entropy: Option<f64>,
    keywords: Vec<String>,
    allowlist: Option<RawAllowlist>,
    allowlists: Vec<RawAllowlist>,
    required: Vec<toml::Value>,
    skipreport: bool,
    validate: Option<String>,
    filter: Option<String>,
    tokenefficiency: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct RawAllowlist {
    condition: Option<String>,
    commits: Vec<String>,
    paths: Vec<String>,
    regextarget: Option<String>,
    regexes: Vec<String>,
    stopwords: Vec<String>,
    targetrules: Vec<String>,
}

const TOP_KEYS: &[&str] = &[
    "title",
    "description",
    "extend",
    "rules",
    "allowlist",
    "allowlists",
    "minversion",
    "betterleaksminversion",
    "prefilter",
    "filter",
];
const RULE_KEYS: &[&str] = &[
    "id",
    "description",
    "regex",
    "path",
    "secretgroup",
    "entropy",
    "keywords",
    "tags",
    "allowlist",
    "allowlists",
    "required",
    "skipreport",
    "validate",
    "filter",
    "tokenefficiency",
    "specificity",
];
fn lowercase_keys(v: toml::Value) -> toml::Value {
    match v {
        toml::Value::Table(t) => toml::Value::Table(
            t.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), lowercase_keys(v)))
                .collect(),
        ),
        toml::Value::Array(a) => toml::Value::Array(a.into_iter().map(lowercase_keys).collect()),
        other => other,
    }
}

/// Where things are in a config's text: the lines of section headers, for the report.
struct Lines<'a> {
    file: String,
    lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    fn new(file: String, text: &'a str) -> Lines<'a> {
        Lines {
            file,
            lines: text.lines().collect(),
        }
    }

    fn header(line: &str) -> String {
        line.trim().replace(' ', "").to_ascii_lowercase()
    }

    /// 1-based lines of every header equal to one of `names` (`[[rules]]`), from `from` up to `to`.
    fn headers(&self, names: &[&str], from: usize, to: usize) -> Vec<usize> {
        (from..to.min(self.lines.len()))
            .filter(|&i| names.contains(&Self::header(self.lines[i]).as_str()))
            .map(|i| i + 1)
            .collect()
    }

    /// The 1-based line where `key` is assigned between lines `from` and `to` (1-based), else `from`.
    fn key(&self, key: &str, from: usize, to: usize) -> usize {
        let start = from.saturating_sub(1);
        (start..to.min(self.lines.len()))
            .find(|&i| {
                let l = self.lines[i].trim_start().to_ascii_lowercase();
                l.strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with('='))
            })
            .map_or(from, |i| i + 1)
    }

    fn at(&self, line: usize) -> (String, usize) {
        (self.file.clone(), line)
    }

    /// The section whose header is on line `from` (1-based): up to the next header.
    fn place(&self, from: usize) -> Place {
        let end = (from..self.lines.len())
            .find(|&i| self.lines[i].trim_start().starts_with('['))
            .map_or(self.lines.len(), |i| i + 1);
        Place {
            file: self.file.clone(),
            line: from,
            end,
            keys: self
                .lines
                .get(from.saturating_sub(1)..end.min(self.lines.len()))
                .unwrap_or_default()
                .iter()
                .map(|l| l.to_string())
                .collect(),
        }
    }
}

/// A section of a config (an allowlist), to name the line of each of its keys.
#[derive(Clone, Debug)]
struct Place {
    file: String,
    line: usize,
    end: usize,
    keys: Vec<String>,
}

impl Place {
    /// Where `key` is assigned in the section, else its header.
    fn key(&self, key: &str) -> (String, usize) {
        let found = self.keys.iter().position(|l| {
            let l = l.trim_start().to_ascii_lowercase();
            l.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        });
        (
            self.file.clone(),
            found.map_or(self.line, |i| self.line + i),
        )
    }

    fn head(&self) -> (String, usize) {
        let _ = self.end;
        (self.file.clone(), self.line)
    }
}

/// Imports a gitleaks or Betterleaks config file (and what its `[extend] path` names).
pub fn import_config(path: &Path) -> Result<Import> {
    let mut import = Import::default();
    import_into(&mut import, path, 0)?;
    let order: Vec<String> = import
        .sources
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    import
        .notes
        .sort_by_key(|n| (order.iter().position(|f| *f == n.at.0), n.at.1));
    import.disable.sort();
    import.disable.dedup();
    Ok(import)
}

fn import_into(import: &mut Import, path: &Path, depth: usize) -> Result<()> {
    let text = read_bounded(path, MAX_CONFIG)?;
    let shown = path.display().to_string();
    let value: toml::Value = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("config {}", crate::display::toml_error(&shown, &text, &e)))?;
    let value = lowercase_keys(value);
    let raw = RawConfig::deserialize(value.clone()).map_err(|e| {
        anyhow::anyhow!(
            "config {shown}: not a gitleaks or Betterleaks config: {}",
            e.message()
        )
    })?;
    import.sources.push(path.to_path_buf());
    let lines = Lines::new(shown.clone(), &text);
    let n = lines.lines.len();
    // Keys nobody reads.
    if let toml::Value::Table(top) = &value {
        for k in top.keys().filter(|k| !TOP_KEYS.contains(&k.as_str())) {
            import.note(
                lines.at(lines.key(k, 1, n)),
                Level::Unmapped,
                format!("unknown key `{k}`, ignored"),
            );
        }
    }
    // [extend]
    let extend_line = lines
        .headers(&["[extend]"], 0, n)
        .first()
        .copied()
        .unwrap_or(1);
    if let Some(ext) = &raw.extend {
        if ext.usedefault {
            import.note(
                lines.at(lines.key("usedefault", extend_line, n)),
                Level::Mapped,
                "useDefault = true → keysweep's built-in rules (always on; `keysweep rules list` names them)",
            );
        }
        if let Some(url) = &ext.url {
            import.note(
                lines.at(lines.key("url", extend_line, n)),
                Level::Unmapped,
                format!(
                    "extend.url {url:?}: keysweep never fetches a config; download it and import it"
                ),
            );
        }
        if let Some(p) = &ext.path {
            let at = lines.at(lines.key("path", extend_line, n));
            let rel = Path::new(p);
            let inside = rel.is_relative()
                && rel.components().all(|c| {
                    matches!(
                        c,
                        std::path::Component::Normal(_) | std::path::Component::CurDir
                    )
                });
            let target = path.parent().unwrap_or(Path::new(".")).join(rel);
            if depth + 1 > MAX_EXTEND_DEPTH {
                import.note(
                    at,
                    Level::Unmapped,
                    format!("extend.path {p:?}: more than {MAX_EXTEND_DEPTH} configs deep"),
                );
            } else if !inside {
                import.note(at, Level::Unmapped, format!("extend.path {p:?}: only a relative path below the config's directory is read"));
            } else if !target.is_file() {
                import.note(
                    at,
                    Level::Unmapped,
                    format!("extend.path {p:?}: no such file"),
                );
            } else {
                import_into(import, &target, depth + 1)?;
                import.note(
                    at,
                    Level::Mapped,
                    format!("extend.path {p:?} → its rules and allowlists, imported too"),
                );
            }
        }
        for id in &ext.disabledrules {
            let at = lines.at(lines.key("disabledrules", extend_line, n));
            if let Some(ours) = import.custom_ids.remove(id) {
                import.rules.retain(|r| r.id != ours);
                import.note(
                    at,
                    Level::Mapped,
                    format!("disabledRules {id:?}: the extended config's rule is not imported"),
                );
            } else if let Some(ours) = ids::keysweep_ids(id) {
                import.disable.extend(ours.iter().map(|s| (*s).to_string()));
                import.note(
                    at,
                    Level::Mapped,
                    format!("disabledRules {id:?} → [rules] disable {}", ours.join(", ")),
                );
            } else {
                import.note(
                    at,
                    Level::Unmapped,
                    format!(
                        "disabledRules {id:?}: keysweep has no rule known to be its equivalent"
                    ),
                );
            }
        }
    }
    // Betterleaks' Expr filters.
    for (key, v) in [("prefilter", &raw.prefilter), ("filter", &raw.filter)] {
        if v.is_some() {
            import.note(
                lines.at(lines.key(key, 1, n)),
                Level::Unmapped,
                format!(
                    "global `{key}` (a Betterleaks Expr expression) has no keysweep equivalent"
                ),
            );
        }
    }
    // [[rules]]
    let rule_lines = lines.headers(&["[[rules]]"], 0, n);
    if raw.rules.len() > MAX_RULES {
        bail!(
            "config {shown}: {} rules, over the limit of {MAX_RULES}",
            raw.rules.len()
        );
    }
    let mut targeted: Vec<(String, RawAllowlist, Place)> = Vec::new();
    for (i, rule) in raw.rules.iter().enumerate() {
        let from = rule_lines.get(i).copied().unwrap_or(1);
        let to = rule_lines.get(i + 1).copied().unwrap_or(n + 1);
        if let Some(toml::Value::Table(t)) = value.get("rules").and_then(|r| r.get(i)) {
            for k in t.keys().filter(|k| !RULE_KEYS.contains(&k.as_str())) {
                import.note(
                    lines.at(lines.key(k, from, to)),
                    Level::Unmapped,
                    format!("rule {:?}: unknown key `{k}`, ignored", rule.id),
                );
            }
        }
        import_rule(import, rule, &lines, from, to);
    }
    // Global allowlists.
    let mut globals: Vec<(&RawAllowlist, usize)> = Vec::new();
    if let Some(a) = &raw.allowlist {
        globals.push((
            a,
            lines
                .headers(&["[allowlist]"], 0, n)
                .first()
                .copied()
                .unwrap_or(1),
        ));
    }
    let list_lines = lines.headers(&["[[allowlists]]"], 0, n);
    for (k, a) in raw.allowlists.iter().enumerate() {
        globals.push((a, list_lines.get(k).copied().unwrap_or(1)));
    }
    for (a, line) in globals {
        if !a.targetrules.is_empty() {
            for id in &a.targetrules {
                targeted.push((id.clone(), a.clone(), lines.place(line)));
            }
            continue;
        }
        import_global_allowlist(import, a, &lines, line);
    }
    for (id, a, at) in targeted {
        match import.custom_ids.get(&id).cloned() {
            Some(ours) => {
                let Some(pos) = import.rules.iter().position(|r| r.id == ours) else { continue };
                let mut rule = import.rules[pos].clone();
                let what = rule_allowlist(import, &mut rule, &a, &at);
                import.rules[pos] = rule;
                import.note(at.key("targetrules"), Level::Mapped, format!("[[allowlists]] targetRules {id:?} → rule {ours}: {what}"));
            }
            None => import.note(
                at.key("targetrules"),
                Level::Unmapped,
                format!("[[allowlists]] targetRules {id:?}: keysweep cannot attach an allowlist to a built-in rule; use [allowlist] or a baseline"),
            ),
        }
    }
    Ok(())
}

/// A rule id keysweep accepts: lowercase letters, digits, `-` and `_`.
fn keysweep_id(gitleaks_id: &str) -> String {
    let mut s: String = gitleaks_id
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        s.push_str("rule");
    }
    format!("custom.{s}")
}

fn import_rule(import: &mut Import, rule: &RawRule, lines: &Lines<'_>, from: usize, to: usize) {
    let at = |key: &str| lines.at(lines.key(key, from, to));
    let head = lines.at(from);
    let id = &rule.id;
    if id.is_empty() {
        import.note(head, Level::Unmapped, "a rule without an id");
        return;
    }
    let default_equivalent = ids::keysweep_ids(id);
    let Some(go) = &rule.regex else {
        if rule.path.is_some() {
            import.note(
                head,
                Level::Unmapped,
                format!("rule {id:?} matches file paths only; keysweep rules match content"),
            );
        } else if default_equivalent.is_some()
            || !rule.allowlists.is_empty()
            || rule.allowlist.is_some()
        {
            import.note(
                head,
                Level::Unmapped,
                format!("rule {id:?} has no regex: it extends gitleaks' default rule, and keysweep cannot attach an allowlist to a built-in rule; use [allowlist] or a baseline"),
            );
        } else {
            import.note(head, Level::Unmapped, format!("rule {id:?} has no regex"));
        }
        return;
    };
    let secret_group = match rule.secretgroup {
        None => 0,
        Some(g) if (0..=99).contains(&g) => g as usize,
        Some(g) => {
            import.note(
                at("secretgroup"),
                Level::Unmapped,
                format!("rule {id:?}: secretGroup = {g} is not a group number"),
            );
            return;
        }
    };
    let translated = match goregex::translate(go, Some(secret_group)) {
        Ok(t) => t,
        Err(why) => {
            import.note(
                at("regex"),
                Level::Unmapped,
                format!("rule {id:?}: its regex cannot be translated: {why}"),
            );
            return;
        }
    };
    let ours = keysweep_id(id);
    let mut keywords: Vec<String> = rule
        .keywords
        .iter()
        .filter(|k| !k.is_empty())
        .map(|k| k.to_ascii_lowercase())
        .collect();
    if keywords.is_empty() {
        match goregex::derive_keywords(&translated.pattern) {
            Some(words) => {
                import.note(at("regex"), Level::Mapped, format!("rule {id:?} has no keywords: keysweep prefilters on the literal(s) every match starts or ends with: {}", words.join(", ")));
                keywords = words;
            }
            None => {
                import.note(
                    head,
                    Level::Unmapped,
                    format!("rule {id:?} has no keywords and its regex no literal to use as one; keysweep rules need keywords (add `keywords` and import again)"),
                );
                return;
            }
        }
    }
    let mut out = OutRule {
        id: ours.clone(),
        name: rule
            .description
            .clone()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| id.clone()),
        provider: "custom".into(),
        severity: "medium".into(),
        keywords,
        pattern: translated.pattern,
        entropy: None,
        paths: OutPaths::default(),
        allow: Vec::new(),
    };
    for note in translated.notes {
        import.note(at("regex"), Level::Mapped, format!("rule {id:?}: {note}"));
    }
    if let Some(e) = rule.entropy.filter(|e| *e != 0.0) {
        if (0.0..=8.0).contains(&e) {
            out.entropy = Some(e);
        } else {
            import.note(
                at("entropy"),
                Level::Unmapped,
                format!("rule {id:?}: entropy {e} is outside 0–8 bits per byte"),
            );
        }
    }
    if let Some(p) = &rule.path {
        match goregex::path_globs(p) {
            Ok(globs) => out.paths.include = globs,
            Err(why) => import.note(
                at("path"),
                Level::Unmapped,
                format!("rule {id:?}: path {p:?} has no exact glob ({why}); the rule is imported for every path"),
            ),
        }
    }
    let allow_lines = lines.headers(
        &["[[rules.allowlists]]", "[rules.allowlist]"],
        from,
        to.saturating_sub(1),
    );
    for (k, a) in rule.allowlist.iter().chain(&rule.allowlists).enumerate() {
        let line = allow_lines.get(k).copied().unwrap_or(from);
        let what = rule_allowlist(import, &mut out, a, &lines.place(line));
        import.note(
            lines.at(line),
            Level::Mapped,
            format!("rule {id:?} allowlist → rule {ours}: {what}"),
        );
    }
    if !rule.required.is_empty() {
        import.note(at("required"), Level::Unmapped, format!("rule {id:?}: [[rules.required]] (composite rule): imported without its requirements, so it reports more"));
    }
    if rule.skipreport {
        import.note(
            at("skipreport"),
            Level::Unmapped,
            format!("rule {id:?}: skipReport: keysweep reports what this rule finds"),
        );
    }
    for (key, present) in [
        ("validate", rule.validate.is_some()),
        ("filter", rule.filter.is_some()),
        ("tokenefficiency", rule.tokenefficiency),
    ] {
        if present {
            import.note(
                at(key),
                Level::Unmapped,
                format!("rule {id:?}: Betterleaks `{key}` has no keysweep equivalent"),
            );
        }
    }
    // Compile it as keysweep will: through the rule file parser and the scanner's regex engine.
    let text = toml::to_string(&OutRuleFile {
        rule: std::slice::from_ref(&out),
    })
    .expect("a rule serializes");
    let checked = crate::rules::RuleSet::parse_file(&text, "import")
        .and_then(|mut rules| rules.pop().map(|r| r.compile_all()).unwrap_or(Ok(())));
    if let Err(e) = checked {
        let msg = format!("{e:#}");
        let why = msg
            .rsplit(": ")
            .next()
            .unwrap_or(&msg)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        import.note(
            at("regex"),
            Level::Unmapped,
            format!("rule {id:?}: keysweep's regex engine refuses it: {why}"),
        );
        return;
    }
    if let Some(prev) = import.custom_ids.insert(id.clone(), ours.clone()) {
        import.rules.retain(|r| r.id != prev);
        import.note(
            head.clone(),
            Level::Mapped,
            format!("rule {id:?} replaces the extended config's rule of that id"),
        );
    }
    let mut head_note = format!("rule {id:?} → {ours}");
    if let Some(builtin) = default_equivalent {
        head_note.push_str(&format!(
            " (it replaces gitleaks' default rule of that id; keysweep's {} still run: add them to [rules] disable to turn them off)",
            builtin.join(", ")
        ));
    }
    import.note(head, Level::Mapped, head_note);
    import.rules.push(out);
}

/// Whether an allowlist can be carried over as an OR of its parts; names what it cannot.
fn allowlist_usable(import: &mut Import, a: &RawAllowlist, at: &Place) -> bool {
    let kinds = [
        !a.commits.is_empty(),
        !a.paths.is_empty(),
        !a.regexes.is_empty(),
        !a.stopwords.is_empty(),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if a.condition
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("and"))
        && kinds > 1
    {
        import.note(
            at.key("condition"),
            Level::Unmapped,
            "allowlist with condition = \"AND\" over several kinds of check: keysweep's allowlists are ORs; not imported",
        );
        return false;
    }
    if !a.commits.is_empty() {
        import.note(
            at.key("commits"),
            Level::Unmapped,
            format!("allowlist commits ({}): keysweep does not allowlist by commit; baseline those findings instead (`keysweep baseline create`)", a.commits.len()),
        );
    }
    true
}

/// The regexes of an allowlist that test the secret, translated; names those that test something else.
fn secret_regexes(import: &mut Import, a: &RawAllowlist, at: &Place) -> Vec<String> {
    if a.regexes.is_empty() {
        return Vec::new();
    }
    let target = a
        .regextarget
        .as_deref()
        .unwrap_or("secret")
        .to_ascii_lowercase();
    if target != "secret" && !target.is_empty() {
        import.note(
            at.key("regextarget"),
            Level::Unmapped,
            format!("allowlist regexes with regexTarget = {target:?} ({}): keysweep's allowlist regexes test the secret only", a.regexes.len()),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for re in &a.regexes {
        let checked = goregex::translate(re, None).and_then(|t| {
            regex::RegexBuilder::new(&t.pattern)
                .size_limit(10 * (1 << 20))
                .build()
                .map(|_| t.pattern)
                .map_err(|e| {
                    e.to_string()
                        .lines()
                        .last()
                        .unwrap_or("")
                        .trim()
                        .to_string()
                })
        });
        match checked {
            Ok(p) => out.push(p),
            Err(why) => import.note(
                at.key("paths"),
                Level::Unmapped,
                format!("allowlist regex {re:?}: {why}"),
            ),
        }
    }
    out
}

fn globs_of(import: &mut Import, a: &RawAllowlist, at: &Place) -> Vec<String> {
    let mut out = Vec::new();
    for p in &a.paths {
        match goregex::path_globs(p) {
            Ok(g) => out.extend(g),
            Err(why) => import.note(
                at.key("paths"),
                Level::Unmapped,
                format!("allowlist path {p:?} has no exact glob ({why}); add an equivalent glob to [allowlist] paths by hand"),
            ),
        }
    }
    out
}

fn import_global_allowlist(import: &mut Import, a: &RawAllowlist, lines: &Lines<'_>, line: usize) {
    let at = lines.place(line);
    if !allowlist_usable(import, a, &at) {
        return;
    }
    let globs = globs_of(import, a, &at);
    let regexes = secret_regexes(import, a, &at);
    let what = format!(
        "{} path glob(s), {} regex(es), {} stopword(s)",
        globs.len(),
        regexes.len(),
        a.stopwords.len()
    );
    let carried = globs.len() + regexes.len() + a.stopwords.len();
    import.allowlist.paths.extend(globs);
    import.allowlist.regexes.extend(regexes);
    import
        .allowlist
        .stopwords
        .extend(a.stopwords.iter().cloned());
    if carried > 0 {
        import.note(
            at.head(),
            Level::Mapped,
            format!("allowlist → [allowlist]: {what}"),
        );
    }
}

/// Carries a per-rule allowlist into the rule: paths to `paths.exclude`, secret regexes and stopwords to
/// `allow`. Returns what it carried.
fn rule_allowlist(import: &mut Import, rule: &mut OutRule, a: &RawAllowlist, at: &Place) -> String {
    if !allowlist_usable(import, a, at) {
        return "nothing".into();
    }
    let globs = globs_of(import, a, at);
    let regexes = secret_regexes(import, a, at);
    let what = format!(
        "{} path glob(s), {} regex(es), {} stopword(s)",
        globs.len(),
        regexes.len(),
        a.stopwords.len()
    );
    rule.paths.exclude.extend(globs);
    rule.allow.extend(regexes);
    rule.allow.extend(
        a.stopwords
            .iter()
            .map(|w| format!("(?i){}", regex_syntax::escape(w))),
    );
    what
}

#[cfg(test)]
mod tests;
