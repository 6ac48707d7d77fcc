//! Grouping: the matcher's raw matches, blob by blob, become one [`Finding`] per distinct secret (per key,
//! whatever its encoding), with every sighting of it as a [`Location`]. Per-path rule filters and file-name key
//! ids apply per origin here, because one blob can be seen under several paths.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};

use crate::model::{Finding, Location, Origin, ScannedBlob, sort_findings};
use crate::rules::RuleSet;

/// Counts what grouping dropped, for the summary.
#[derive(Clone, Debug, Default)]
pub struct GroupStats {
    /// Sightings dropped by inline allow comments.
    pub inline_allowed: usize,
}

/// Groups matches into findings: one per fingerprint, the most specific rule naming it, every sighting a
/// location. Per-path rule filters, file-name key ids and file-name evidence are applied per origin here.
pub fn group(rules: &RuleSet, blobs: Vec<ScannedBlob>, stats: &mut GroupStats) -> Vec<Finding> {
    let mut by_fp: BTreeMap<String, Finding> = BTreeMap::new();
    // Locations by a hash of the finding's fingerprint and the whole location (to indexes in the finding's
    // locations), so a sighting seen before (the same blob under two origins with one path) is found without
    // comparing it to every location so far. A location equal to one at such an index is in the finding.
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::new();
    let hasher = RandomState::new();
    for blob in blobs {
        let last = blob.origins.len().saturating_sub(1);
        for mut m in blob.matches {
            for (k, origin) in blob.origins.iter().enumerate() {
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
                // A match that needed evidence it lacked in the text is its rule's where the file name proves it.
                let named = m
                    .gated
                    .iter()
                    .copied()
                    .filter(|&g| path.is_some_and(|p| rules.rules[g].path_proves(p)))
                    .max_by_key(|&g| rules.rank(g))
                    .unwrap_or(m.rule);
                let rule = &rules.rules[named];
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
                    context: None,
                    known_example: false,
                    // Most secrets are seen once: room for one sighting, not the four a first push makes.
                    locations: Vec::with_capacity(1),
                });
                // The rule that names a secret is chosen in one place (`RuleSet::names_better`).
                let current = rules.by_id(&entry.rule_id);
                if current.is_none_or(|ci| rules.names_better(named, ci)) {
                    entry.rule_id = rule.id.clone();
                    entry.provider = rule.provider.clone();
                    entry.severity = rule.severity;
                    entry.secret = m.secret.clone();
                }
                entry.validated |= m.validated;
                if key_id.is_some() || m.issuer_id.is_some() || m.key.is_some() {
                    let info = entry.key.get_or_insert_with(Box::default);
                    if info.key_id.is_none() {
                        info.key_id =
                            key_id.or_else(|| m.key.as_ref().and_then(|k| k.key_id.clone()));
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
                    root: None,
                    path_bytes: crate::model::path::bytes_base64(&outer),
                    path: outer,
                    line: m.line,
                    column: m.column,
                    blob: blob.id.to_hex(),
                    commit,
                    author: None,
                    date: None,
                    in_head: None,
                    introduced: None,
                    encoding: m.encoding.map(str::to_string),
                    member: m.member.clone(),
                    end: Some(m.end),
                    // The last sighting takes the snippet: a blob may hold 100,000 matches.
                    snippet: Some(if k == last {
                        std::mem::take(&mut m.snippet)
                    } else {
                        m.snippet.clone()
                    }),
                };
                let key = hasher.hash_one((&entry.fingerprint, &location));
                let same_hash = seen.entry(key).or_default();
                if !same_hash
                    .iter()
                    .any(|&k| entry.locations.get(k) == Some(&location))
                {
                    same_hash.push(entry.locations.len());
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use aho_corasick::AhoCorasick;

    use super::*;
    use crate::model::BlobId;
    use crate::rules::generate::generate;
    use crate::scan::Scanner;

    /// Hostile input, point 8: work per blob was quadratic in its matches (100k tokens in a 3.3 MB file took
    /// 53 s and 958 MB): the collapse of overlapping matches, the masking of snippets and the grouping each
    /// compared every match with every other. 20k fake tokens, two to a line, each line followed by a comment
    /// with a copy of a far-away token glued into a word (no match, but the token's text): every token is found
    /// once, grouped once per path, and no snippet shows any token, not even that copy.
    #[test]
    fn many_matches_in_one_blob_are_found_grouped_and_never_shown_in_a_snippet() {
        const N: usize = 20_000;
        let tokens: Vec<String> = (0..N)
            .map(|i| generate("github-ghp", &format!("many-{i}")).expect("generator"))
            .collect();
        let mut text = String::new();
        let mut want = HashMap::new();
        for (pair, two) in tokens.chunks(2).enumerate() {
            let head = format!("k{pair} = ");
            let line = 2 * pair + 1;
            want.insert((line, head.len() + 1), &two[0]);
            want.insert((line, head.len() + two[0].len() + 3), &two[1]);
            let far = &tokens[(2 * pair + N / 2) % N];
            text.push_str(&format!("{head}{}, {}\n# was x{far}y\n", two[0], two[1]));
        }
        let (rules, _) = RuleSet::load(true, &[], &[]).expect("built-in rules");
        let rules = Arc::new(rules);
        let scanner = Scanner::new(Arc::clone(&rules)).expect("scanner");
        let id = BlobId::of_bytes(text.as_bytes());
        let matches = scanner.scan(id, text.as_bytes());
        assert_eq!(matches.len(), N, "every token once, no copy");
        for m in &matches {
            assert_eq!(rules.rules[m.rule].id, "github.pat");
            assert_eq!(
                m.secret.reveal(),
                want.get(&(m.line, m.column)).map(|t| t.as_str()),
                "line {} column {}",
                m.line,
                m.column
            );
        }
        let shows_a_token = AhoCorasick::new(&tokens).expect("automaton");
        for m in &matches {
            let shown = m.snippet.first_line..m.snippet.first_line + m.snippet.lines.len();
            assert_eq!(
                shown,
                m.line.saturating_sub(2).max(1)..(m.line + 3).min(N + 1)
            );
            for line in &m.snippet.lines {
                assert!(!shows_a_token.is_match(line), "{line}");
            }
        }
        let origin = |path: &str| Origin::File { path: path.into() };
        let blobs = vec![ScannedBlob {
            id,
            // The same path twice is one sighting.
            origins: vec![origin("a.env"), origin("b.env"), origin("a.env")],
            matches,
        }];
        let findings = group(&rules, blobs, &mut GroupStats::default());
        assert_eq!(findings.len(), N);
        for f in &findings {
            let paths: Vec<&str> = f.locations.iter().map(|l| l.path.as_str()).collect();
            assert_eq!(paths, ["a.env", "b.env"]);
            assert_eq!(f.occurrences, 2);
        }
    }
}
