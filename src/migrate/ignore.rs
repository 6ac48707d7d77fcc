//! `.gitleaksignore` / `.betterleaksignore`: one gitleaks fingerprint a line, `commit:file:rule-id:line` or
//! `file:rule-id:line`, `#` comments. keysweep suppresses by the secret's own fingerprint instead of its place,
//! so each entry is resolved: the file it names is read (at its commit, or as checked out), matched with the
//! rules in use, and the finding on the named line becomes a baseline fingerprint. The secret then stays
//! suppressed where it moves; an entry with no finding there is named.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::{Level, Note};
use crate::model::{BlobId, Finding, Origin, ScannedBlob};
use crate::rules::RuleSet;
use crate::scan::Scanner;

/// The largest ignore file read (bytes).
pub const MAX_IGNORE_FILE: u64 = 4 * 1024 * 1024;
/// The most entries resolved.
pub const MAX_ENTRIES: usize = 10_000;

/// One entry of an ignore file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreEntry {
    /// The commit of a history finding.
    pub commit: Option<String>,
    /// The file, `/`-separated, relative to the repository.
    pub path: String,
    /// gitleaks' rule id.
    pub rule: String,
    /// The 1-based line the finding starts on.
    pub line: usize,
    /// Where the entry is written (file, line), for the report.
    pub at: (String, usize),
}

/// One finding of a gitleaks or Betterleaks JSON report (what `--baseline-path` reads): the fields that say
/// where it is.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReportFinding {
    #[serde(rename = "RuleID", default)]
    rule_id: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    start_line: usize,
    #[serde(default)]
    commit: String,
}

/// Parses an ignore file's text, or a gitleaks/Betterleaks JSON report used as a baseline (text starting with
/// `[`); malformed entries become notes.
pub fn parse(text: &str, file: &str) -> (Vec<IgnoreEntry>, Vec<Note>) {
    if text.trim_start().starts_with('[') {
        return parse_report(text, file);
    }
    let mut entries = Vec::new();
    let mut notes = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = (file.to_string(), n + 1);
        if entries.len() == MAX_ENTRIES {
            notes.push(Note::new(
                at,
                Level::Unmapped,
                format!("more than {MAX_ENTRIES} entries: the rest are not read"),
            ));
            break;
        }
        let parts: Vec<&str> = line.split(':').collect();
        let (commit, rest) = match parts.len() {
            3 => (None, &parts[..]),
            4 => (Some(parts[0]), &parts[1..]),
            _ => {
                notes.push(Note::new(
                    at,
                    Level::Unmapped,
                    "not `commit:file:rule-id:line` or `file:rule-id:line`".into(),
                ));
                continue;
            }
        };
        let Ok(number) = rest[2].parse::<usize>() else {
            notes.push(Note::new(
                at,
                Level::Unmapped,
                "the line number is not a number".into(),
            ));
            continue;
        };
        let path = rest[0].replace('\\', "/");
        let safe_path = !path.is_empty()
            && !path.starts_with('/')
            && path.split('/').all(|c| c != ".." && c != ".");
        let safe_commit = commit.is_none_or(|c| {
            (4..=64).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if number == 0 || !safe_path || !safe_commit {
            notes.push(Note::new(
                at,
                Level::Unmapped,
                "a path outside the repository, a bad commit id or line 0".into(),
            ));
            continue;
        }
        entries.push(IgnoreEntry {
            commit: commit.map(str::to_ascii_lowercase),
            path,
            rule: rest[1].to_string(),
            line: number,
            at,
        });
    }
    (entries, notes)
}

/// A JSON report's findings as entries `commit:file:rule:line`, each checked as an ignore-file line is.
fn parse_report(text: &str, file: &str) -> (Vec<IgnoreEntry>, Vec<Note>) {
    let findings: Vec<ReportFinding> = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let note = format!(
                "not a gitleaks JSON report (line {}: {:?} error)",
                e.line(),
                e.classify()
            );
            return (
                Vec::new(),
                vec![Note::new(
                    (file.to_string(), e.line()),
                    Level::Unmapped,
                    note,
                )],
            );
        }
    };
    let lines: String = findings
        .iter()
        .take(MAX_ENTRIES + 1)
        .map(|f| {
            let at = if f.commit.is_empty() {
                String::new()
            } else {
                format!("{}:", f.commit)
            };
            format!(
                "{at}{}:{}:{}\n",
                f.file.replace(':', "\u{fffd}"),
                f.rule_id.replace(':', "-"),
                f.start_line
            )
        })
        .collect();
    let (mut entries, mut notes) = parse(&lines, file);
    // Entry N of the report, not line N of the generated text.
    for e in &mut entries {
        e.at.1 = 0;
    }
    for n in &mut notes {
        n.text = format!("finding #{} of the report: {}", n.at.1, n.text);
        n.at.1 = 0;
    }
    (entries, notes)
}

/// Which keysweep rules an entry's rule id stands for: `None` when it has no equivalent (then the finding on
/// that line is taken whatever its rule).
fn equivalent_rules(rule: &str, custom: &BTreeMap<String, String>) -> Option<Vec<String>> {
    if let Some(id) = custom.get(rule) {
        return Some(vec![id.clone()]);
    }
    super::ids::keysweep_ids(rule).map(|ids| ids.iter().map(|s| (*s).to_string()).collect())
}

/// Reads what an entry names: the blob at `commit:path` (or at `rev:path` for an entry without a commit when
/// `rev` is given), else the checked-out file under `root`. Bounded by `max_size`.
fn read(
    root: &Path,
    repo: Option<&git2::Repository>,
    commit: Option<&str>,
    path: &str,
    max_size: u64,
) -> Result<Vec<u8>, String> {
    if let Some(rev) = commit {
        let repo = repo.ok_or("not in a git repository")?;
        let obj = repo
            .revparse_single(&format!("{rev}:{path}"))
            .map_err(|_| format!("no file {path} at commit {rev}"))?;
        let blob = obj.peel_to_blob().map_err(|_| "not a file".to_string())?;
        if blob.size() as u64 > max_size {
            return Err("the file is over the size limit".into());
        }
        return Ok(blob.content().to_vec());
    }
    let file = root.join(path);
    let meta = std::fs::symlink_metadata(&file).map_err(|_| "no such file".to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > max_size {
        return Err("the file is over the size limit".into());
    }
    std::fs::read(&file).map_err(|e| format!("cannot read it: {e}"))
}

/// Resolves entries to the fingerprints of the findings they name, scanning each named file once with `rules`.
/// `custom` maps gitleaks ids of imported rules to their keysweep ids; `rev` reads entries without a commit
/// from that revision instead of the work tree (the Action reads them from the base commit).
pub fn resolve(
    entries: &[IgnoreEntry],
    root: &Path,
    rev: Option<&str>,
    rules: Arc<RuleSet>,
    stopwords: &[String],
    custom: &BTreeMap<String, String>,
    max_size: u64,
) -> (Vec<(String, String, String)>, Vec<Note>) {
    let mut notes = Vec::new();
    let mut found: Vec<(String, String, String)> = Vec::new();
    let repo = git2::Repository::discover(root).ok();
    let scanner = match Scanner::new(rules.clone()) {
        Ok(s) => s.with_stopwords(stopwords),
        Err(e) => {
            notes.push(Note::new(
                (String::new(), 0),
                Level::Unmapped,
                format!("cannot match ignore entries: {e:#}"),
            ));
            return (found, notes);
        }
    };
    let mut by_file: BTreeMap<(Option<String>, String), Vec<&IgnoreEntry>> = BTreeMap::new();
    for e in entries {
        let at = e.commit.clone().or_else(|| rev.map(str::to_string));
        by_file.entry((at, e.path.clone())).or_default().push(e);
    }
    for ((commit, path), list) in by_file {
        let findings: Vec<Finding> =
            match read(root, repo.as_ref(), commit.as_deref(), &path, max_size) {
                Ok(bytes) => {
                    let id = BlobId::of_bytes(&bytes);
                    let matches = scanner.scan(id, &bytes);
                    let blob = ScannedBlob {
                        id,
                        origins: vec![Origin::File { path: path.clone() }],
                        matches,
                    };
                    crate::engine::group(
                        &rules,
                        vec![blob],
                        &mut crate::engine::GroupStats::default(),
                    )
                }
                Err(why) => {
                    for e in list {
                        notes.push(Note::new(
                            e.at.clone(),
                            Level::Unmapped,
                            format!("{why}: entry not resolved"),
                        ));
                    }
                    continue;
                }
            };
        for e in list {
            let on_line: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.locations.iter().any(|l| l.line == e.line))
                .collect();
            let wanted = equivalent_rules(&e.rule, custom);
            let by_rule: Vec<&&Finding> = on_line
                .iter()
                .filter(|f| wanted.as_ref().is_some_and(|w| w.contains(&f.rule_id)))
                .collect();
            let chosen: Vec<&Finding> = if by_rule.is_empty() {
                on_line.clone()
            } else {
                by_rule.into_iter().copied().collect()
            };
            if chosen.is_empty() {
                notes.push(Note::new(
                    e.at.clone(),
                    Level::Unmapped,
                    format!("keysweep finds nothing on line {} of {}: entry not needed or the file changed", e.line, e.path),
                ));
                continue;
            }
            let names: Vec<&str> = chosen.iter().map(|f| f.rule_id.as_str()).collect();
            let how = if wanted
                .as_ref()
                .is_some_and(|w| chosen.iter().all(|f| w.contains(&f.rule_id)))
            {
                String::new()
            } else {
                format!(
                    " (by its line: gitleaks' `{}` has no keysweep rule of the same id)",
                    e.rule
                )
            };
            notes.push(Note::new(
                e.at.clone(),
                Level::Mapped,
                format!(
                    "{}:{} → baseline entry for {}{how}",
                    e.path,
                    e.line,
                    names.join(", ")
                ),
            ));
            for f in chosen {
                if !found.iter().any(|(fp, _, _)| *fp == f.fingerprint) {
                    found.push((f.fingerprint.clone(), f.rule_id.clone(), e.path.clone()));
                }
            }
        }
    }
    (found, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_malformed_lines() {
        let text = "# reviewed\n\nabc123def:src/app.env:generic-api-key:4\nconfig\\dev.yml:custom-rule:12\nnot an entry\n\
                    x:../../etc/passwd:r:1\nsrc/a:r:zero\n";
        let (entries, notes) = parse(text, ".gitleaksignore");
        assert_eq!(entries.len(), 2, "{notes:?}");
        assert_eq!(entries[0].commit.as_deref(), Some("abc123def"));
        assert_eq!(
            (entries[0].path.as_str(), entries[0].line),
            ("src/app.env", 4)
        );
        assert_eq!(entries[1].path, "config/dev.yml");
        assert_eq!(entries[1].at.1, 4);
        assert_eq!(
            notes.iter().map(|n| n.at.1).collect::<Vec<_>>(),
            vec![5, 6, 7]
        );
    }

    #[test]
    fn a_json_report_used_as_a_baseline() {
        let report = r#"[
          {"RuleID": "acme-token", "File": "src/app.env", "StartLine": 3, "Commit": "", "Secret": "REDACTED"},
          {"RuleID": "private-key", "File": "keys/a.pem", "StartLine": 1, "Commit": "0123abcd"},
          {"RuleID": "x", "File": "../../etc/passwd", "StartLine": 1, "Commit": ""}
        ]"#;
        let (entries, notes) = parse(report, "gitleaks-report.json");
        assert_eq!(entries.len(), 2, "{notes:?}");
        let first = &entries[0];
        assert_eq!(
            (first.path.as_str(), first.rule.as_str(), first.line),
            ("src/app.env", "acme-token", 3)
        );
        assert_eq!(entries[1].commit.as_deref(), Some("0123abcd"));
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].text.starts_with("finding #3 of the report"),
            "{notes:?}"
        );
        let (entries, notes) = parse("[{\"RuleID\": 1}]", "bad.json");
        assert!(entries.is_empty() && notes.len() == 1);
    }
}
