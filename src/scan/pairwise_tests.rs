//! The collapse of overlapping matches and the masking of snippets once compared every match of a blob with
//! every other; the pairwise loops are kept here as the reference the near-linear versions are held to.

use super::keep::overlapping_pairs;
use super::lines::LineIndex;
use super::snippet::snippet;
use super::tests::{Rng, example_blob, examples};
use super::*;
use crate::model::{Secret, Snippet};
use crate::rules::generate;

/// The pairwise collapse [`dedup_overlaps`] replaced.
fn pairwise_dedup(rules: &RuleSet, matches: &mut Vec<Match>) {
    if matches.len() < 2 {
        return;
    }
    let fps: Vec<String> = matches
        .iter()
        .map(|m| m.fingerprint(&rules.rules[m.rule].id))
        .collect();
    let overlaps = |a: &Match, b: &Match| a.span.start < b.span.end && b.span.start < a.span.end;
    let mut drop = vec![false; matches.len()];
    for i in 0..matches.len() {
        for j in 0..matches.len() {
            if i == j || drop[j] || drop[i] || !overlaps(&matches[i], &matches[j]) {
                continue;
            }
            if super::keep::wins(rules, matches, i, j, fps[i] == fps[j]) {
                drop[j] = true;
            }
        }
    }
    let mut k = 0;
    matches.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
}

/// The pairwise masking [`redact_neighbours`] replaced.
fn pairwise_redact(bytes: &[u8], lines: &LineIndex, matches: &mut [Match]) {
    let spans: Vec<(Range<usize>, usize, usize)> = matches
        .iter()
        .map(|m| (m.secret_span.clone(), m.line, m.end.0))
        .collect();
    for (i, m) in matches.iter_mut().enumerate() {
        let first = m.snippet.first_line;
        let last = first + m.snippet.lines.len();
        for (j, (span, from, to)) in spans.iter().enumerate() {
            if i == j || *to < first || *from >= last {
                continue;
            }
            for l in (*from).max(first)..=(*to).min(last - 1) {
                let range = lines.line_range(l);
                let start = span.start.max(range.start);
                let end = span.end.min(range.end);
                if start >= end {
                    continue;
                }
                let raw = String::from_utf8_lossy(&bytes[start..end]);
                let raw = raw.trim_end_matches(['\r', '\n']);
                let text = &mut m.snippet.lines[l - first];
                if raw.is_empty() {
                    continue;
                }
                if let Some(at) = text.find(raw) {
                    text.replace_range(at..at + raw.len(), "…");
                } else {
                    let head: String = raw.chars().take(8).collect();
                    if let Some(at) = text.find(&head) {
                        text.replace_range(at.., "…");
                    }
                }
            }
        }
    }
}

/// A match of rule `rule` over `span` whose secret is `secret`, for the collapse (which looks at nothing else).
fn fake(rule: usize, span: Range<usize>, secret: &str, encoding: Option<&'static str>) -> Match {
    Match {
        rule,
        blob: BlobId([0; 20]),
        span: span.clone(),
        secret_span: span,
        secret: Secret::new(secret),
        line: 1,
        column: 1,
        end: (1, 1),
        key_id: None,
        issuer_id: None,
        validated: false,
        key: None,
        inline_allowed: false,
        snippet: Snippet::default(),
        encoding,
        member: None,
        gated: Vec::new(),
        evidence_distance: 0,
    }
}

/// Random sets of matches that overlap a lot (spans, rules of every specificity, a few secrets shared between
/// them, decoded or not): the sweep finds exactly the overlapping pairs, and the collapse keeps what the
/// pairwise loop kept.
#[test]
fn collapsing_judges_only_overlapping_pairs_and_keeps_what_the_pairwise_loop_kept() {
    let rules = RuleSet::builtin().expect("built-in rules load");
    let secrets = ["fake-one", "fake-two", "fake-three"];
    let mut rng = Rng(0x00c0_11a9_5e5e);
    let describe = |ms: &[Match]| -> Vec<(usize, Range<usize>, String)> {
        ms.iter()
            .map(|m| {
                let secret = m.secret.reveal().unwrap_or_default().to_string();
                (m.rule, m.span.clone(), secret)
            })
            .collect()
    };
    for round in 0..3000 {
        let n = rng.below(30) + 1;
        let matches: Vec<Match> = (0..n)
            .map(|_| {
                let start = rng.below(120);
                let span = start..start + rng.below(40);
                let rule = rng.below(rules.rules.len());
                let encoding = (rng.below(4) == 0).then_some("base64");
                fake(rule, span, secrets[rng.below(secrets.len())], encoding)
            })
            .collect();
        let overlaps =
            |a: &Match, b: &Match| a.span.start < b.span.end && b.span.start < a.span.end;
        let mut every: Vec<(usize, usize)> = Vec::new();
        for i in 0..n {
            for j in 0..n {
                if i != j && overlaps(&matches[i], &matches[j]) {
                    every.push((i, j));
                }
            }
        }
        assert_eq!(overlapping_pairs(&matches), every, "round {round}");
        let (mut want, mut got) = (matches.clone(), matches);
        pairwise_dedup(&rules, &mut want);
        dedup_overlaps(&rules, &mut got);
        assert_eq!(describe(&got), describe(&want), "round {round}");
    }
    // Matches that do not overlap (one rule's) make no pair at all, however many there are.
    let one_rule: Vec<Match> = (0..50_000)
        .map(|i| fake(0, i * 10..i * 10 + 9, "fake", None))
        .collect();
    assert!(overlapping_pairs(&one_rule).is_empty());
}

/// Blobs of rule examples glued to filler and to each other: every snippet line is masked as the pairwise loop
/// masked it, unless that loop left a secret's text on it (a copy that is no match, or another line's secret),
/// which is now masked too.
#[test]
fn masking_agrees_with_the_pairwise_loop_except_where_it_showed_a_secret() {
    let rules = Arc::new(RuleSet::builtin().expect("built-in rules load"));
    let scanner = Scanner::new(Arc::clone(&rules)).expect("scanner builds");
    let examples = examples(&rules);
    let mut rng = Rng(0x5a1_1e75);
    let (mut lines_seen, mut differ) = (0, 0);
    for round in 0..400 {
        let blob = example_blob(&mut rng, &examples);
        let text = as_text(&blob);
        let matches = scanner.scan(BlobId::of_bytes(&blob), &blob);
        if matches.is_empty() {
            continue;
        }
        let lines = LineIndex::new(&text);
        let mut fresh = matches;
        for m in &mut fresh {
            m.snippet = snippet(&text, &lines, m.line, m.end.0, &m.secret_span, false);
        }
        // Every secret's text, line by line, as written.
        let mut secrets: Vec<String> = Vec::new();
        for m in &fresh {
            for l in m.line..=m.end.0 {
                let range = lines.line_range(l);
                let (start, end) = (
                    m.secret_span.start.max(range.start),
                    m.secret_span.end.min(range.end),
                );
                if start < end {
                    let piece = String::from_utf8_lossy(&text[start..end]);
                    secrets.push(piece.trim().to_string());
                }
            }
        }
        secrets.retain(|s| s.len() >= 8 && !s.starts_with("-----"));
        let mut want = fresh.clone();
        pairwise_redact(&text, &lines, &mut want);
        let mut got = fresh;
        redact_neighbours(&text, &lines, &mut got);
        for (w, g) in want.iter().zip(&got) {
            for (old, new) in w.snippet.lines.iter().zip(&g.snippet.lines) {
                lines_seen += 1;
                let shows = |line: &str| secrets.iter().any(|s| line.contains(s.as_str()));
                assert!(!shows(new), "round {round}: {new:?} shows a secret");
                if old == new {
                    continue;
                }
                differ += 1;
                // One is the other cut short: a copy cut at the snippet width is masked now; a line is no longer
                // cut where it shows the first eight characters of a part written further along than it shows.
                let cut_short = |a: &str, b: &str| {
                    a.strip_suffix('…')
                        .is_some_and(|a| b.starts_with(a) && b.len() > a.len())
                };
                assert!(
                    shows(old) || cut_short(new, old) || cut_short(old, new),
                    "round {round}: {old:?} became {new:?} in {:?}",
                    String::from_utf8_lossy(&blob)
                );
            }
        }
    }
    assert!(
        lines_seen > 5000 && differ * 50 < lines_seen,
        "{differ} of {lines_seen} lines differ"
    );
}

/// Files as they are written (keys next to each other, tokens two to a line, a line cut at the snippet width
/// inside a token, CRLF, YAML and JSON values): every snippet is exactly what the pairwise loop made.
#[test]
fn masking_ordinary_files_is_what_the_pairwise_loop_did() {
    let rules = Arc::new(RuleSet::builtin().expect("built-in rules load"));
    let scanner = Scanner::new(Arc::clone(&rules)).expect("scanner builds");
    let gen_ = |name: &str, seed: &str| generate::generate(name, seed).expect("generator");
    let ghp = |i: usize| gen_("github-ghp", &format!("ordinary-{i}"));
    let pem = gen_("key-p256-pkcs8-pem", "ordinary");
    let rsa = gen_("key-rsa-pkcs1-pem", "ordinary");
    let escaped = gen_("pem-escaped-p256", "ordinary");
    let npm = gen_("npm", "ordinary");
    let long = "x".repeat(140);
    let files = [
        format!("{pem}{rsa}"),
        format!("# keys\n{pem}\nnext = 1\n{rsa}\nGH={}\n", ghp(0)),
        (1..40)
            .map(|i| format!("a{i} = {} b{i} = {}\n", ghp(2 * i), ghp(2 * i + 1)))
            .collect(),
        format!(
            "A={}\nB={long}={}\nC={long} {} {}\nD={}\n",
            ghp(1),
            ghp(2),
            ghp(3),
            ghp(4),
            ghp(5)
        ),
        format!(
            "A={}\r\nB={} C={}\r\n\r\nD={}\r\n",
            ghp(6),
            ghp(7),
            npm,
            ghp(8)
        ),
        format!(
            "service:\n  key: |\n    {}\n  token: {}\n  other: {}\n",
            pem.trim_end().replace('\n', "\n    "),
            ghp(9),
            npm
        ),
        format!(
            "{{\"private_key\": \"{escaped}\", \"token\": \"{}\", \"npm\": \"{npm}\"}}\n",
            ghp(10)
        ),
    ];
    for file in &files {
        let text = file.as_bytes();
        let matches = scanner.scan(BlobId::of_bytes(text), text);
        assert!(matches.len() >= 2, "{file}");
        let lines = LineIndex::new(text);
        let mut fresh = matches;
        for m in &mut fresh {
            m.snippet = snippet(text, &lines, m.line, m.end.0, &m.secret_span, false);
        }
        let mut want = fresh.clone();
        pairwise_redact(text, &lines, &mut want);
        let mut got = fresh;
        redact_neighbours(text, &lines, &mut got);
        for (w, g) in want.iter().zip(&got) {
            assert_eq!(g.snippet, w.snippet, "{file}");
        }
    }
}
