//! Grouping: the matcher's raw matches, blob by blob, become one [`Finding`] per distinct secret (per key,
//! whatever its encoding), with every sighting of it as a [`Location`]. Per-path rule filters and file-name key
//! ids apply per origin here, because one blob can be seen under several paths.

use std::collections::BTreeMap;

use crate::model::{Finding, KeyInfo, Location, Origin, ScannedBlob, sort_findings};
use crate::rules::RuleSet;

/// Counts what grouping dropped, for the summary.
#[derive(Clone, Debug, Default)]
pub struct GroupStats {
    /// Sightings dropped by inline allow comments.
    pub inline_allowed: usize,
}

/// Groups matches into findings: one per fingerprint, the most specific rule naming it, every sighting a
/// location. Per-path rule filters and file-name key ids are applied per origin here.
pub fn group(rules: &RuleSet, blobs: Vec<ScannedBlob>, stats: &mut GroupStats) -> Vec<Finding> {
    let mut by_fp: BTreeMap<String, Finding> = BTreeMap::new();
    for blob in blobs {
        for m in &blob.matches {
            let rule = &rules.rules[m.rule];
            for origin in &blob.origins {
                let (outer, commit) = match origin {
                    Origin::File { path } | Origin::Staged { path } => (path.clone(), None),
                    Origin::Stdin => ("-".to_string(), None),
                    Origin::GitBlob { path, commit } => {
                        (path.clone().unwrap_or_default(), commit.clone())
                    }
                };
                // Rules see a member of an archive by its path in the archive's: `dist.zip!conf/app.yml`.
                let member_path = m.member.as_ref().map(|member| format!("{outer}!{member}"));
                let path = member_path.as_deref().or(origin.path());
                if !rule.applies_to_path(path) {
                    continue;
                }
                if m.inline_allowed {
                    stats.inline_allowed += 1;
                    continue;
                }
                let fp = m.fingerprint(&rule.id);
                let key_id = m
                    .key_id
                    .clone()
                    .or_else(|| path.and_then(|p| rule.key_id_from_path(p)));
                let entry = by_fp.entry(fp.clone()).or_insert_with(|| Finding {
                    rule_id: rule.id.clone(),
                    provider: rule.provider.clone(),
                    severity: rule.severity,
                    fingerprint: fp,
                    secret: m.secret.clone(),
                    validated: false,
                    key: None,
                    inventory: None,
                    liveness: None,
                    occurrences: 0,
                    locations: Vec::new(),
                });
                // The rule that names a secret is chosen in one place (`RuleSet::names_better`).
                let current = rules.by_id(&entry.rule_id);
                if current.is_none_or(|ci| rules.names_better(m.rule, ci)) {
                    entry.rule_id = rule.id.clone();
                    entry.provider = rule.provider.clone();
                    entry.severity = rule.severity;
                    entry.secret = m.secret.clone();
                }
                entry.validated |= m.validated;
                if key_id.is_some() || m.issuer_id.is_some() || m.key.is_some() {
                    let info = entry.key.get_or_insert_with(KeyInfo::default);
                    if info.key_id.is_none() {
                        info.key_id = key_id;
                    }
                    if info.issuer_id.is_none() {
                        info.issuer_id = m.issuer_id.clone();
                    }
                    if let Some(k) = &m.key {
                        info.public_key_sha256 = Some(k.public_key_sha256.clone());
                        info.algorithm = Some(k.algorithm.clone());
                    }
                }
                let location = Location {
                    repository: None,
                    path: outer,
                    line: m.line,
                    column: m.column,
                    blob: blob.id.to_hex(),
                    commit,
                    author: None,
                    date: None,
                    in_head: None,
                    encoding: m.encoding.map(str::to_string),
                    member: m.member.clone(),
                    end: Some(m.end),
                    snippet: Some(m.snippet.clone()),
                };
                if !entry.locations.contains(&location) {
                    entry.locations.push(location);
                }
            }
        }
    }
    let mut findings: Vec<Finding> = by_fp.into_values().collect();
    for f in &mut findings {
        f.locations.sort_by(|a, b| {
            (&a.path, &a.member, a.line, a.column).cmp(&(&b.path, &b.member, b.line, b.column))
        });
        f.occurrences = f.locations.len();
    }
    sort_findings(&mut findings);
    findings
}
