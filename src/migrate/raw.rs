//! The gitleaks / Betterleaks config as written, and where each part of it is in the file (for the report).
//! Keys are compared lower-cased: gitleaks reads its config through viper, which ignores key case.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawConfig {
    pub(super) extend: Option<RawExtend>,
    pub(super) rules: Vec<RawRule>,
    pub(super) allowlist: Option<RawAllowlist>,
    pub(super) allowlists: Vec<RawAllowlist>,
    pub(super) prefilter: Option<String>,
    pub(super) filter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawExtend {
    pub(super) path: Option<String>,
    pub(super) url: Option<String>,
    pub(super) usedefault: bool,
    pub(super) disabledrules: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawRule {
    pub(super) id: String,
    pub(super) description: Option<String>,
    pub(super) regex: Option<String>,
    pub(super) path: Option<String>,
    pub(super) secretgroup: Option<i64>,
    pub(super) entropy: Option<f64>,
    pub(super) keywords: Vec<String>,
    pub(super) allowlist: Option<RawAllowlist>,
    pub(super) allowlists: Vec<RawAllowlist>,
    pub(super) required: Vec<toml::Value>,
    pub(super) skipreport: bool,
    pub(super) validate: Option<String>,
    pub(super) filter: Option<String>,
    pub(super) tokenefficiency: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawAllowlist {
    pub(super) condition: Option<String>,
    pub(super) commits: Vec<String>,
    pub(super) paths: Vec<String>,
    pub(super) regextarget: Option<String>,
    pub(super) regexes: Vec<String>,
    pub(super) stopwords: Vec<String>,
    pub(super) targetrules: Vec<String>,
}

pub(super) const TOP_KEYS: &[&str] = &[
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
pub(super) const RULE_KEYS: &[&str] = &[
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
pub(super) fn lowercase_keys(v: toml::Value) -> toml::Value {
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
pub(super) struct Lines<'a> {
    pub(super) file: String,
    pub(super) lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    pub(super) fn new(file: String, text: &'a str) -> Lines<'a> {
        Lines {
            file,
            lines: text.lines().collect(),
        }
    }

    pub(super) fn header(line: &str) -> String {
        line.trim().replace(' ', "").to_ascii_lowercase()
    }

    /// 1-based lines of every header equal to one of `names` (`[[rules]]`), from `from` up to `to`.
    pub(super) fn headers(&self, names: &[&str], from: usize, to: usize) -> Vec<usize> {
        (from..to.min(self.lines.len()))
            .filter(|&i| names.contains(&Self::header(self.lines[i]).as_str()))
            .map(|i| i + 1)
            .collect()
    }

    /// The 1-based line where `key` is assigned between lines `from` and `to` (1-based), else `from`.
    pub(super) fn key(&self, key: &str, from: usize, to: usize) -> usize {
        let start = from.saturating_sub(1);
        (start..to.min(self.lines.len()))
            .find(|&i| {
                let l = self.lines[i].trim_start().to_ascii_lowercase();
                l.strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with('='))
            })
            .map_or(from, |i| i + 1)
    }

    pub(super) fn at(&self, line: usize) -> (String, usize) {
        (self.file.clone(), line)
    }

    /// The section whose header is on line `from` (1-based): up to the next header.
    pub(super) fn place(&self, from: usize) -> Place {
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
pub(super) struct Place {
    pub(super) file: String,
    pub(super) line: usize,
    pub(super) end: usize,
    pub(super) keys: Vec<String>,
}

impl Place {
    /// Where `key` is assigned in the section, else its header.
    pub(super) fn key(&self, key: &str) -> (String, usize) {
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

    pub(super) fn head(&self) -> (String, usize) {
        let _ = self.end;
        (self.file.clone(), self.line)
    }
}
