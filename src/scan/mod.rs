//! The matcher: one ASCII-case-insensitive aho-corasick automaton over every rule's keywords finds which rules
//! can match a blob; only those rules' regexes run, then entropy, placeholder filters and the rule's offline
//! validator. A blob with no keyword costs one pass of the automaton, walked as a compact table over a few
//! stretches of the blob at once.

pub mod entropy;
pub mod lines;
mod prefilter;
pub mod validate;

use std::sync::Arc;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};
use anyhow::{Context, Result};

use crate::finding::{Match, Secret, Snippet};
use crate::rules::RuleSet;
use crate::source::BlobId;
use lines::LineIndex;
use prefilter::KeywordTable;
use validate::Validation;

/// Comments that suppress a finding on their line or the next one.
pub const INLINE_ALLOW: &[&str] = &[
    "keysweep:allow",
    "gitleaks:allow",
    "trufflehog:ignore",
    "pragma: allowlist secret",
];

/// Words that mark a secret as a placeholder wherever they occur in it (ASCII case-insensitive).
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "xxxxxxxx",
    "placeholder",
    "dummy",
    "changeme",
    "redacted",
    "your_",
    "your-",
    "<your",
    "insert",
    "${",
    "{{",
    "0000000000",
    "1234567890",
    "abcdefghij",
];

/// How many stretches of a blob the keyword DFA walks at once.
const LANES: usize = 4;

/// Blobs shorter than this are walked in one lane.
const LANE_MIN_BYTES: usize = 1024;

/// The compiled matcher, shared by every worker thread.
pub struct Scanner {
    rules: Arc<RuleSet>,
    automaton: DFA,
    /// The unanchored start state of `automaton`.
    start: aho_corasick::automaton::StateID,
    /// `automaton` as a compact table, walked [`LANES`] lanes at once; `None` when it does not fit.
    table: Option<KeywordTable>,
    /// The longest keyword, in bytes: lanes of the interleaved scan overlap by one less than this.
    max_keyword_len: usize,
    /// For each keyword pattern, the rules it triggers.
    keyword_rules: Vec<Vec<usize>>,
    /// Extra placeholder words from configuration (lowercase).
    stopwords: Vec<String>,
}

impl Scanner {
    /// Builds the keyword automaton; rule regexes are compiled lazily.
    pub fn new(rules: Arc<RuleSet>) -> Result<Scanner> {
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            for kw in &rule.def.keywords {
                let kw = kw.to_ascii_lowercase();
                match keywords.iter().position(|k| *k == kw) {
                    Some(p) => keyword_rules[p].push(i),
                    None => {
                        keywords.push(kw);
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        // One pass of a case-insensitive DFA over the raw bytes reports every keyword occurrence, overlapping
        // ones included, so every rule whose keyword occurs anywhere becomes a candidate. A DFA costs one table
        // lookup per byte whatever the number of keywords; the SIMD (Teddy) searchers measured slower with the
        // ~150 built-in keywords, several of which (`token`, `pat`) occur on most lines of source code. The
        // lookups of one lane depend on each other, so the scan runs several lanes at once (see `scan_lanes`).
        let automaton = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(&keywords)
            .context("building the keyword automaton")?;
        let start = automaton
            .start_state(Anchored::No)
            .context("the keyword automaton has no unanchored start state")?;
        let max_keyword_len = keywords.iter().map(String::len).max().unwrap_or(0);
        let table = KeywordTable::new(&automaton, start);
        Ok(Scanner {
            rules,
            automaton,
            table,
            start,
            max_keyword_len,
            keyword_rules,
            stopwords: Vec::new(),
        })
    }

    /// Adds placeholder words (from `[allowlist] stopwords`).
    pub fn with_stopwords(mut self, words: &[String]) -> Scanner {
        self.stopwords = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        self
    }

    /// The rules this scanner runs.
    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Whether any rule keyword occurs in `bytes`: when not, no rule can match and the blob needs no more work.
    pub fn could_match(&self, bytes: &[u8]) -> bool {
        let mut found = false;
        self.scan_lanes(bytes, &mut |_| {
            found = true;
            true
        });
        found
    }

    /// The rules whose keywords occur in `bytes`, in rule order.
    pub fn candidate_rules(&self, bytes: &[u8]) -> Vec<usize> {
        let mut keyword_hit = vec![false; self.keyword_rules.len()];
        let mut remaining = keyword_hit.len();
        if remaining > 0 {
            self.scan_lanes(bytes, &mut |kw| {
                if !keyword_hit[kw] {
                    keyword_hit[kw] = true;
                    remaining -= 1;
                }
                remaining == 0
            });
        }
        let mut hit = vec![false; self.rules.rules.len()];
        for (kw, rules) in self.keyword_rules.iter().enumerate() {
            if keyword_hit[kw] {
                for &r in rules {
                    hit[r] = true;
                }
            }
        }
        (0..hit.len()).filter(|&i| hit[i]).collect()
    }

    /// Runs the keyword DFA over `bytes` and calls `on_keyword` with the index of every keyword occurrence
    /// (some more than once) until it returns true.
    ///
    /// One DFA step is a table lookup that depends on the previous one, so a single pass is bound by memory
    /// latency, not bandwidth. The blob is cut into [`LANES`] stretches that are walked in step, each lane
    /// starting `max_keyword_len - 1` bytes before its stretch so that a keyword straddling a cut is still
    /// seen whole by the lane on its right: every occurrence ends inside some lane's stretch, and that lane
    /// started early enough to read all of it.
    fn scan_lanes(&self, bytes: &[u8], on_keyword: &mut dyn FnMut(usize) -> bool) {
        let overlap = self.max_keyword_len.saturating_sub(1);
        let Some(table) = &self.table else {
            self.scan_one_lane(bytes, on_keyword);
            return;
        };
        if bytes.len() < LANE_MIN_BYTES.max(overlap * 2 * LANES) {
            table.scan(bytes, table.start, on_keyword);
            return;
        }
        let stretch = bytes.len().div_ceil(LANES);
        let mut lanes: [&[u8]; LANES] = [&[]; LANES];
        for (i, lane) in lanes.iter_mut().enumerate() {
            let end = ((i + 1) * stretch).min(bytes.len());
            let begin = (i * stretch).saturating_sub(overlap).min(end);
            *lane = &bytes[begin..end];
        }
        let common = lanes.iter().map(|l| l.len()).min().unwrap_or(0);
        let heads = lanes.map(|l| &l[..common]);
        let mut sids = [table.start; LANES];
        for k in 0..common {
            let mut special = false;
            for (sid, head) in sids.iter_mut().zip(&heads) {
                *sid = table.next(*sid, head[k]);
                special |= *sid < table.match_limit;
            }
            if special {
                for &sid in &sids {
                    if sid < table.match_limit && table.report(sid, on_keyword) {
                        return;
                    }
                }
            }
        }
        for (lane, sid) in lanes.iter().zip(sids) {
            if table.scan(&lane[common..], sid, on_keyword) {
                return;
            }
        }
    }

    /// [`Scanner::scan_lanes`] for an automaton too big for a [`KeywordTable`]: one lane, straight off the DFA.
    fn scan_one_lane(&self, bytes: &[u8], on_keyword: &mut dyn FnMut(usize) -> bool) {
        let dfa = &self.automaton;
        let mut sid = self.start;
        for &b in bytes {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) && self.report(sid, on_keyword) {
                return;
            }
        }
    }

    /// Reports the keywords that end at DFA state `sid`; true when `on_keyword` asks to stop.
    #[inline(never)]
    fn report(
        &self,
        sid: aho_corasick::automaton::StateID,
        on_keyword: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        let dfa = &self.automaton;
        if !dfa.is_match(sid) {
            return false;
        }
        (0..dfa.match_len(sid)).any(|i| on_keyword(dfa.match_pattern(sid, i).as_usize()))
    }

    /// Every match in one blob, overlapping sightings of the same secret collapsed and catch-all rules dropped
    /// where a provider rule matched the same bytes.
    pub fn scan(&self, blob: BlobId, bytes: &[u8]) -> Vec<Match> {
        let candidates = self.candidate_rules(bytes);
        self.scan_candidates(blob, bytes, candidates)
    }

    /// [`Scanner::scan`] with the candidate rules already known (from [`Scanner::candidate_rules`]).
    pub fn scan_candidates(
        &self,
        blob: BlobId,
        bytes: &[u8],
        candidates: Vec<usize>,
    ) -> Vec<Match> {
        if candidates.is_empty() {
            return Vec::new();
        }
        // Lines are indexed only once a regex has matched: most blobs with a keyword have no match.
        let lines = std::cell::OnceCell::new();
        let mut out: Vec<Match> = Vec::new();
        for r in candidates {
            self.scan_rule(r, blob, bytes, &lines, &mut out);
        }
        dedup_overlaps(&self.rules, &mut out);
        if let Some(lines) = lines.get() {
            redact_neighbours(bytes, lines, &mut out);
        }
        out.sort_by_key(|m| (m.secret_span.start, m.rule));
        out
    }

    fn scan_rule(
        &self,
        r: usize,
        blob: BlobId,
        bytes: &[u8],
        lines: &std::cell::OnceCell<LineIndex>,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules.rules[r];
        let Some(re) = rule.regex() else { return };
        for caps in re.captures_iter(bytes) {
            let whole = caps.get(0).expect("group 0 always participates");
            let secret_m = caps.name("secret").unwrap_or(whole);
            let secret_bytes = secret_m.as_bytes();
            if secret_bytes.is_empty() {
                continue;
            }
            if let Some(min) = rule.def.entropy
                && entropy::shannon(secret_bytes) < min
            {
                continue;
            }
            if self.is_placeholder(secret_bytes)
                || rule
                    .allow_regexes()
                    .iter()
                    .any(|a| a.is_match(secret_bytes))
            {
                continue;
            }
            let (validated, key) = match rule
                .def
                .validate
                .as_deref()
                .map(|v| validate::validate(v, secret_bytes))
            {
                None => (false, None),
                Some(Validation::Invalid) => continue,
                Some(Validation::Valid(key)) => (true, key),
                Some(Validation::Unverified(key)) => (false, key),
            };
            let span = whole.range();
            let secret_span = secret_m.range();
            let lines = lines.get_or_init(|| LineIndex::new(bytes));
            let (line, column) = lines.line_col(bytes, secret_span.start);
            let end = lines.line_col(bytes, secret_span.end);
            let capture = |name: &str| {
                caps.name(name)
                    .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
            };
            let window = lines.window(line, rule.context_lines());
            let key_id = capture("key_id").or_else(|| {
                context_capture(rule.key_id_context(), &bytes[window.clone()], "key_id")
            });
            let issuer_id = capture("issuer_id")
                .or_else(|| context_capture(rule.issuer_context(), &bytes[window], "issuer_id"));
            out.push(Match {
                rule: r,
                blob,
                span,
                secret_span: secret_span.clone(),
                secret: Secret::new(String::from_utf8_lossy(secret_bytes).into_owned()),
                line,
                column,
                end,
                key_id,
                issuer_id,
                validated,
                key,
                inline_allowed: inline_allowed(bytes, lines, line),
                snippet: snippet(bytes, lines, line, end.0, &secret_span),
            });
        }
    }

    fn is_placeholder(&self, secret: &[u8]) -> bool {
        let lower = secret.to_ascii_lowercase();
        let has = |w: &str| memchr::memmem::find(&lower, w.as_bytes()).is_some();
        PLACEHOLDER_WORDS.iter().any(|w| has(w)) || self.stopwords.iter().any(|w| has(w))
    }
}

/// The first context regex that matches, its `name` group (else group 1).
fn context_capture(regexes: &[regex::bytes::Regex], window: &[u8], name: &str) -> Option<String> {
    regexes.iter().find_map(|re| {
        let caps = re.captures(window)?;
        let m = caps.name(name).or_else(|| caps.get(1))?;
        Some(String::from_utf8_lossy(m.as_bytes()).into_owned())
    })
}

fn inline_allowed(bytes: &[u8], lines: &LineIndex, line: usize) -> bool {
    let check = |l: usize| {
        let text = &bytes[lines.line_range(l)];
        INLINE_ALLOW
            .iter()
            .any(|a| memchr::memmem::find(text, a.as_bytes()).is_some())
    };
    check(line) || (line > 1 && check(line - 1))
}

const SNIPPET_CONTEXT: usize = 2;
const SNIPPET_MAX_CHARS: usize = 160;

/// Two lines of context either side, with the secret replaced by its redacted form.
fn snippet(
    bytes: &[u8],
    lines: &LineIndex,
    first: usize,
    last: usize,
    secret: &std::ops::Range<usize>,
) -> Snippet {
    let from = first.saturating_sub(SNIPPET_CONTEXT).max(1);
    let to = (last + SNIPPET_CONTEXT).min(lines.line_count());
    let mut out = Vec::new();
    for l in from..=to {
        let range = lines.line_range(l);
        let text = if range.end <= secret.start || range.start >= secret.end {
            String::from_utf8_lossy(&bytes[range]).into_owned()
        } else {
            // The secret covers part of this line: keep what is outside it, mark the redaction once.
            let before = &bytes[range.start..secret.start.max(range.start)];
            let after = &bytes[secret.end.min(range.end)..range.end];
            let marker = if secret.start >= range.start {
                crate::finding::redact(&String::from_utf8_lossy(&bytes[secret.clone()]))
            } else {
                String::from("…")
            };
            format!(
                "{}{}{}",
                String::from_utf8_lossy(before),
                marker,
                String::from_utf8_lossy(after)
            )
        };
        let text = text.trim_end_matches(['\r', '\n']);
        let text: String = if text.chars().count() > SNIPPET_MAX_CHARS {
            text.chars()
                .take(SNIPPET_MAX_CHARS)
                .chain("…".chars())
                .collect()
        } else {
            text.to_string()
        };
        out.push(text);
    }
    Snippet {
        first_line: from,
        lines: out,
    }
}

/// A snippet shows lines around its own secret; any other secret of the blob on those lines (a second key two
/// lines below, two tokens on one line) is masked too, so context never prints a secret.
fn redact_neighbours(bytes: &[u8], lines: &LineIndex, matches: &mut [Match]) {
    let spans: Vec<(std::ops::Range<usize>, usize, usize)> = matches
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
                    // The line was cut at the snippet width inside the secret: drop everything from its start.
                    let head: String = raw.chars().take(8).collect();
                    if let Some(at) = text.find(&head) {
                        text.replace_range(at.., "…");
                    }
                }
            }
        }
    }
}

/// Within one blob: of overlapping matches with the same fingerprint keep the widest; where a catch-all rule
/// overlaps a provider rule, keep the provider rule.
fn dedup_overlaps(rules: &RuleSet, matches: &mut Vec<Match>) {
    if matches.len() < 2 {
        return;
    }
    let fps: Vec<String> = matches.iter().map(|m| m.fingerprint(rules)).collect();
    let overlaps = |a: &Match, b: &Match| a.span.start < b.span.end && b.span.start < a.span.end;
    let mut drop = vec![false; matches.len()];
    for i in 0..matches.len() {
        for j in 0..matches.len() {
            if i == j || drop[j] || drop[i] || !overlaps(&matches[i], &matches[j]) {
                continue;
            }
            let (a, b) = (&matches[i], &matches[j]);
            let (ra, rb) = (&rules.rules[a.rule], &rules.rules[b.rule]);
            let a_wins = if fps[i] == fps[j] {
                // The same secret twice (a PEM and the body inside it): the more specific rule, then the wider span.
                (ra.specificity(), a.span.len(), std::cmp::Reverse(a.rule))
                    > (rb.specificity(), b.span.len(), std::cmp::Reverse(b.rule))
            } else {
                ra.specificity() > rb.specificity()
            };
            if a_wins {
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
