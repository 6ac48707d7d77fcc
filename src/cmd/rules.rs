//! `keysweep rules list` and `keysweep rules check`. The check compiles every rule, runs each example and negative example through the real
//! scanner (prefilter, regex, entropy, placeholder filters, validator), and checks that every keyword occurs
//! in every positive example — otherwise the prefilter could hide a real match of the rule.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, bail};

use crate::config;
use crate::model::{BlobId, ExitStatus};
use crate::rules::RuleSet;
use crate::rules::generate;
use crate::scan::Scanner;

/// The rules a config selects: built-ins plus `[rules] paths`, minus `[rules] disable`. Without a keysweep
/// config, the gitleaks or Betterleaks policy `scan` would import here (its custom rules and disabled ones), said
/// on standard error as `scan` says it. Errors in user rule files fail the command.
pub fn configured_rules(config_file: Option<&Path>) -> Result<RuleSet> {
    let here = Path::new(".");
    let Some((_, file)) = config::discover(config_file, here)? else {
        let imported = super::config::find_imported(here, true)?;
        let (mut rules, mut errors) = match &imported {
            Some(i) => {
                i.announce();
                RuleSet::load(true, &[], &i.import.disable)?
            }
            None => RuleSet::load(true, &[], &[])?,
        };
        if let Some(i) = imported.filter(|i| !i.import.rules.is_empty()) {
            rules.add_file(&i.import.rules_toml(), &i.source, &mut errors);
        }
        return match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(rules),
        };
    };
    let (rules, errors) = RuleSet::load(true, &file.rules.paths, &file.rules.disable)?;
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    Ok(rules)
}

/// `keysweep rules list`: one rule per line, `id<TAB>provider<TAB>severity<TAB>name`, no header.
pub fn list(config_file: Option<&Path>) -> Result<ExitStatus> {
    let rules = configured_rules(config_file)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for r in &rules.rules {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            r.id,
            r.provider,
            r.severity.as_str(),
            r.name
        )?;
    }
    out.flush()?;
    Ok(ExitStatus::Clean)
}

/// One problem found by the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The rule id (or file) at fault.
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

/// Checks every rule of `rules` whose id is in `only` (all when `only` is `None`), scanning with the whole set
/// so that overlaps between rules are exercised as in a real scan.
pub fn check(rules: Arc<RuleSet>, only: Option<&[String]>) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for rule in &rules.rules {
        if let Err(e) = rule.compile_all() {
            problems.push(Problem {
                rule: rule.id.clone(),
                message: format!("{e:#}"),
            });
        }
    }
    if !problems.is_empty() {
        return Ok(problems);
    }
    let scanner = Scanner::new(rules.clone())?;
    for (i, rule) in rules.rules.iter().enumerate() {
        if only.is_some_and(|ids| !ids.contains(&rule.id)) {
            continue;
        }
        let mut problem = |message: String| {
            problems.push(Problem {
                rule: rule.id.clone(),
                message,
            })
        };
        if rule.def.examples.is_empty() {
            problem("has no examples".into());
        }
        if rule.def.references.is_empty() && rule.source.starts_with("builtin:") {
            problem("has no references".into());
        }
        for id in &rule.def.overrides {
            if rules.by_id(id).is_none() {
                problem(format!("overrides {id:?}, which is no rule"));
            }
        }
        let mut keyword_seen = vec![false; rule.def.keywords.len()];
        for (n, ex) in rule.def.examples.iter().enumerate() {
            let ex = match generate::expand(ex) {
                Ok(ex) => ex,
                Err(e) => {
                    problem(format!("example {}: {e:#}", n + 1));
                    continue;
                }
            };
            // Keywords are alternatives (any one makes the rule a candidate): each example needs one of them.
            let lower = ex.to_ascii_lowercase();
            let present: Vec<bool> = rule
                .def
                .keywords
                .iter()
                .map(|kw| lower.contains(&kw.to_ascii_lowercase()))
                .collect();
            for (seen, hit) in keyword_seen.iter_mut().zip(&present) {
                *seen |= hit;
            }
            if !present.is_empty() && !present.contains(&true) {
                problem(format!(
                    "no keyword ({}) occurs in example {}",
                    rule.def.keywords.join(", "),
                    n + 1
                ));
            }
            let found = scanner.scan(BlobId::of_bytes(ex.as_bytes()), ex.as_bytes());
            if !found.iter().any(|m| m.rule == i) {
                let others: Vec<&str> = found
                    .iter()
                    .map(|m| rules.rules[m.rule].id.as_str())
                    .collect();
                problem(format!(
                    "example {} yields no finding of this rule (found: {others:?})",
                    n + 1
                ));
            }
        }
        if !rule.def.examples.is_empty() {
            for (kw, seen) in rule.def.keywords.iter().zip(&keyword_seen) {
                if !seen {
                    problem(format!("keyword {kw:?} occurs in no example"));
                }
            }
        }
        for (n, ex) in rule.def.negative_examples.iter().enumerate() {
            let ex = match generate::expand(ex) {
                Ok(ex) => ex,
                Err(e) => {
                    problem(format!("negative example {}: {e:#}", n + 1));
                    continue;
                }
            };
            let found = scanner.scan(BlobId::of_bytes(ex.as_bytes()), ex.as_bytes());
            if found.iter().any(|m| m.rule == i) {
                problem(format!(
                    "negative example {} yields a finding of this rule",
                    n + 1
                ));
            }
        }
    }
    Ok(problems)
}

/// `keysweep rules check [DIR]`.
pub fn run(dir: Option<&Path>, config_file: Option<&Path>) -> Result<ExitStatus> {
    let (rules, only) = match dir {
        Some(d) => {
            // The directory's rules are checked alongside the built-ins, as a scan would run them.
            let (set, errors) = RuleSet::load(true, &[d.to_path_buf()], &[])?;
            if !errors.is_empty() {
                for e in &errors {
                    eprintln!("keysweep: error: {}", crate::display::user_error(e));
                }
                return Ok(ExitStatus::Error);
            }
            let ids: Vec<String> = set
                .rules
                .iter()
                .filter(|r| !r.source.starts_with("builtin:"))
                .map(|r| r.id.clone())
                .collect();
            if ids.is_empty() {
                bail!("{}: no rules found", d.display());
            }
            (set, Some(ids))
        }
        None => (configured_rules(config_file)?, None),
    };
    let n = only.as_ref().map_or(rules.rules.len(), Vec::len);
    let problems = check(Arc::new(rules), only.as_deref())?;
    for p in &problems {
        eprintln!(
            "keysweep: rule {}: {}",
            crate::display::escape(&p.rule),
            crate::display::escape(&p.message)
        );
    }
    if problems.is_empty() {
        println!("{n} rule(s) OK");
        Ok(ExitStatus::Clean)
    } else {
        eprintln!("{} problem(s) in {n} rule(s)", problems.len());
        Ok(ExitStatus::Error)
    }
}
