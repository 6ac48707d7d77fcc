//! `keysweep inventory check FILE`: validates an inventory file and reports every problem, naming the entry and
//! field.

use std::path::Path;

use anyhow::{Context, Result};

use crate::inventory::{known_providers, parse_raw, validate};
use crate::model::ExitStatus;
use crate::rules::RuleSet;

/// `keysweep inventory check FILE`: every problem on stderr, naming the entry and field; exit 2 on errors.
pub fn run(path: &Path) -> Result<ExitStatus> {
    let file = crate::config::discover(None, path)?
        .map(|(_, f)| f)
        .unwrap_or_default();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading inventory {}", path.display()))?;
    let raw = parse_raw(path, &text)?;
    let (rules, _) = RuleSet::load(true, &file.rules.paths, &[])?;
    let (entries, errors) = validate(&raw, &known_providers(&file, &rules));
    for e in &errors {
        eprintln!("keysweep: inventory {}: {e}", path.display());
    }
    if errors.is_empty() {
        println!(
            "{}: {} key{}, no problems",
            path.display(),
            entries.len(),
            if entries.len() == 1 { "" } else { "s" }
        );
        Ok(ExitStatus::Clean)
    } else {
        Ok(ExitStatus::Error)
    }
}
