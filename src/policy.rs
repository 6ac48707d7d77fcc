//! Policy: what the organisation chose not to hear about. Drops locations under allowlisted paths, findings
//! whose secret matches an allowlisted regex, and findings recorded in a baseline (by fingerprint, so a
//! baselined secret that moves to another file stays suppressed). Inline allow comments and stopwords act
//! earlier, in the matcher.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::config::AllowlistSection;
use crate::model::Finding;

/// A baseline file: the fingerprints of findings accepted at some point.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version (1).
    pub version: u32,
    /// The accepted findings.
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding; only the fingerprint is used for matching, the rest helps reviewers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Its rule.
    #[serde(default)]
    pub rule_id: String,
    /// Where it was first seen (for reviewers).
    #[serde(default)]
    pub path: Option<String>,
}

impl Baseline {
    /// A baseline recording every finding.
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let findings = findings
            .iter()
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                path: f.locations.first().map(|l| l.path.clone()),
            })
            .collect();
        Baseline {
            version: 1,
            findings,
        }
    }

    /// Reads a baseline file; a keysweep JSON report is accepted as a baseline too (its findings'
    /// fingerprints are used).
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading baseline {}", path.display()))?;
        Baseline::parse(&text, path)
    }

    /// Parses baseline text read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline> {
        let baseline: Baseline = serde_json::from_str(text).with_context(|| {
            format!(
                "baseline {}: not a keysweep baseline or JSON report",
                path.display()
            )
        })?;
        if baseline.version != 1 {
            bail!(
                "baseline {}: unsupported version {}",
                path.display(),
                baseline.version
            );
        }
        Ok(baseline)
    }

    /// The set of baselined fingerprints.
    pub fn fingerprints(&self) -> HashSet<&str> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }
}

/// The compiled allowlist and baseline of a run.
#[derive(Debug, Default)]
pub struct Policy {
    paths: Option<GlobSet>,
    regexes: Vec<Regex>,
    baseline: HashSet<String>,
}

impl Policy {
    /// Compiles the `[allowlist]` section and reads the baseline; errors name the pattern or file.
    pub fn new(allow: &AllowlistSection, baseline: Option<&Path>) -> Result<Policy> {
        let paths = if allow.paths.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for g in &allow.paths {
                b.add(Glob::new(g).with_context(|| format!("[allowlist] paths: bad glob {g:?}"))?);
            }
            Some(b.build().context("[allowlist] paths")?)
        };
        let regexes = allow
            .regexes
            .iter()
            .map(|r| Regex::new(r).with_context(|| format!("[allowlist] regexes: bad regex {r:?}")))
            .collect::<Result<Vec<_>>>()?;
        let baseline = match baseline {
            Some(p) => Baseline::load(p)?
                .fingerprints()
                .into_iter()
                .map(str::to_string)
                .collect(),
            None => HashSet::new(),
        };
        Ok(Policy {
            paths,
            regexes,
            baseline,
        })
    }

    /// Also suppresses these fingerprints, as if a baseline listed them.
    pub fn with_fingerprints(mut self, fingerprints: &[String]) -> Policy {
        self.baseline.extend(fingerprints.iter().cloned());
        self
    }

    /// Removes what policy suppresses; returns how many findings were suppressed.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> usize {
        let before = findings.len();
        findings.retain_mut(|f| {
            if self.baseline.contains(&f.fingerprint) {
                return false;
            }
            if let Some(raw) = f.secret.reveal()
                && self.regexes.iter().any(|r| r.is_match(raw))
            {
                return false;
            }
            if let Some(paths) = &self.paths {
                let seen = f.locations.len();
                f.locations.retain(|l| !paths.is_match(&l.path));
                let removed = seen - f.locations.len();
                f.occurrences = f.occurrences.saturating_sub(removed).max(f.locations.len());
                return !f.locations.is_empty();
            }
            true
        });
        before - findings.len()
    }
}

/// `--include`/`--exclude` for git modes, where blobs are read by id: keeps only the locations whose path the
/// globs select (tree scans apply them while walking). Findings left with no location are dropped, not
/// counted as suppressed: they were outside what the user asked to scan.
pub fn restrict_paths(
    findings: &mut Vec<Finding>,
    include: &[String],
    exclude: &[String],
) -> Result<()> {
    if include.is_empty() && exclude.is_empty() {
        return Ok(());
    }
    let build = |globs: &[String], flag: &str| -> Result<Option<GlobSet>> {
        if globs.is_empty() {
            return Ok(None);
        }
        let mut b = GlobSetBuilder::new();
        for g in globs {
            b.add(Glob::new(g).with_context(|| format!("{flag} {g:?}: bad glob"))?);
        }
        Ok(Some(b.build()?))
    };
    let (inc, exc) = (build(include, "--include")?, build(exclude, "--exclude")?);
    findings.retain_mut(|f| {
        let seen = f.locations.len();
        f.locations.retain(|l| {
            inc.as_ref().is_none_or(|g| g.is_match(&l.path))
                && !exc.as_ref().is_some_and(|g| g.is_match(&l.path))
        });
        let removed = seen - f.locations.len();
        f.occurrences = f.occurrences.saturating_sub(removed).max(f.locations.len());
        !f.locations.is_empty()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Location, Secret, Severity};

    fn finding(fp: &str, path: &str, secret: &str) -> Finding {
        Finding {
            rule_id: "github.pat".into(),
            provider: "github".into(),
            severity: Severity::High,
            fingerprint: fp.into(),
            secret: Secret::new(secret),
            validated: true,
            key: None,
            inventory: None,
            liveness: None,
            occurrences: 1,
            context: None,
            known_example: false,
            locations: vec![Location {
                path: path.into(),
                line: 1,
                column: 1,
                blob: "0".repeat(40),
                ..Default::default()
            }],
        }
    }

    #[test]
    fn allowlisted_paths_regexes_and_baseline_suppress() {
        let allow = AllowlistSection {
            paths: vec!["**/testdata/**".into()],
            regexes: vec!["^tok_allowed".into()],
            stopwords: vec![],
        };
        let mut policy = Policy::new(&allow, None).expect("valid allowlist");
        policy.baseline.insert("b".repeat(64));
        let mut findings = vec![
            finding(&"a".repeat(64), "src/testdata/x.env", "tok_1"),
            finding(&"b".repeat(64), "moved/elsewhere.env", "tok_2"),
            finding(&"c".repeat(64), "app.env", "tok_allowed_3"),
            finding(&"d".repeat(64), "app.env", "tok_4"),
        ];
        assert_eq!(policy.apply(&mut findings), 3);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].fingerprint, "d".repeat(64));
    }

    #[test]
    fn bad_glob_is_named() {
        let allow = AllowlistSection {
            paths: vec!["a/{b".into()],
            ..AllowlistSection::default()
        };
        let err = Policy::new(&allow, None).expect_err("bad glob");
        assert!(format!("{err:#}").contains("a/{b"));
    }
}
