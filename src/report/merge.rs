//! Reading reports back (findings files for `revoke`, reports for `merge`) and merging them (`keysweep merge`,
//! sweeps): combines JSON reports (from shards of a sweep, or separate runs) into one. Findings with
//! the same fingerprint become one finding with the union of their locations; errors are concatenated and
//! the summaries added up.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};

use crate::model::{Finding, Location, ScanReport, Summary, sort_findings};

/// Reads findings from a JSON report (`{"findings": […]}`), a JSON array, or JSONL.
pub fn read_findings(path: &Path) -> Result<Vec<Finding>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading findings {}", path.display()))?;
    parse_findings(&text, path)
}

/// Parses findings text read from `path` (see [`read_findings`]).
pub fn parse_findings(text: &str, path: &Path) -> Result<Vec<Finding>> {
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
            let arr = if v.is_array() {
                v
            } else {
                v.get("findings").cloned().unwrap_or_default()
            };
            return serde_json::from_value(arr).with_context(|| {
                format!("findings {}: not a keysweep JSON report", path.display())
            });
        }
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| {
                format!(
                    "findings {}:{}: not a keysweep finding",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect()
}

/// Reads one JSON report.
pub fn read_report(path: &Path) -> Result<ScanReport> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading report {}", path.display()))?;
    parse_report(&text, path)
}

/// Parses one report read from `path`: a JSON report, or findings alone (a JSON array or JSONL, as `--format
/// jsonl` writes), which become a report with no errors and a summary that counts only the findings.
pub fn parse_report(text: &str, path: &Path) -> Result<ScanReport> {
    let report = serde_json::from_str::<ScanReport>(text)
        .with_context(|| format!("{}: not a keysweep JSON report", path.display()));
    if report.is_ok() || !looks_like_findings(text) {
        return report;
    }
    Ok(ScanReport::of_findings(parse_findings(text, path)?))
}

/// Whether text is a JSON array or JSONL (several lines, each an object) rather than one report object.
fn looks_like_findings(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('[')
        || (t.starts_with('{')
            && t.lines().filter(|l| !l.trim().is_empty()).count() > 1
            && t.lines().all(|l| {
                let l = l.trim();
                l.is_empty() || (l.starts_with('{') && l.ends_with('}'))
            }))
}

fn add(into: &mut Summary, s: &Summary) {
    into.files_scanned += s.files_scanned;
    into.blobs_scanned += s.blobs_scanned;
    into.bytes_scanned += s.bytes_scanned;
    into.skipped.binary += s.skipped.binary;
    into.skipped.too_large += s.skipped.too_large;
    into.skipped.unreadable += s.skipped.unreadable;
    into.skipped.lfs_pointer += s.skipped.lfs_pointer;
    into.skipped.missing_object += s.skipped.missing_object;
    into.shallow |= s.shallow;
    into.suppressed += s.suppressed;
    into.pre_existing += s.pre_existing;
    into.elapsed_ms = into.elapsed_ms.max(s.elapsed_ms);
}

/// Merges reports: one finding per fingerprint, locations deduplicated and sorted.
pub fn merge(reports: Vec<ScanReport>) -> ScanReport {
    let mut by_fp: BTreeMap<String, Finding> = BTreeMap::new();
    // The locations already held per fingerprint: a findings file is untrusted, and one finding may carry
    // many thousands of locations.
    let mut seen: HashMap<String, HashSet<Location>> = HashMap::new();
    let mut errors = Vec::new();
    let mut summary = Summary::default();
    for r in reports {
        add(&mut summary, &r.summary);
        errors.extend(r.errors);
        for f in r.findings {
            let held = seen.entry(f.fingerprint.clone()).or_default();
            match by_fp.get_mut(&f.fingerprint) {
                None => {
                    let mut f = f;
                    f.locations.retain(|l| held.insert(l.clone()));
                    by_fp.insert(f.fingerprint.clone(), f);
                }
                Some(existing) => {
                    let before = existing.locations.len();
                    let theirs = f.locations.len();
                    for l in f.locations {
                        if held.insert(l.clone()) {
                            existing.locations.push(l);
                        }
                    }
                    let added = existing.locations.len() - before;
                    // All sightings new (another shard): add its count; some already known: add only the new ones.
                    existing.occurrences += if added == theirs {
                        f.occurrences
                    } else {
                        added
                    };
                    existing.validated |= f.validated;
                    // Test data in one report and not in another: the finding is no longer only in test data,
                    // and takes the higher of the two severities.
                    if existing.context != f.context {
                        existing.context = None;
                        existing.severity = existing.severity.max(f.severity);
                    }
                    if existing.key.is_none() {
                        existing.key = f.key;
                    }
                    if existing.inventory.is_none() {
                        existing.inventory = f.inventory;
                    }
                    if existing.liveness.is_none() {
                        existing.liveness = f.liveness;
                    }
                }
            }
        }
    }
    let mut findings: Vec<Finding> = by_fp.into_values().collect();
    for f in &mut findings {
        f.locations.sort_by(|a, b| {
            (&a.repository, &a.path, a.line, a.column, &a.commit).cmp(&(
                &b.repository,
                &b.path,
                b.line,
                b.column,
                &b.commit,
            ))
        });
    }
    sort_findings(&mut findings);
    errors.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
    errors.dedup();
    summary.findings = findings.len() as u64;
    ScanReport {
        version: 1,
        findings,
        errors,
        summary,
    }
}
