//! The matcher: one ASCII-case-insensitive aho-corasick automaton over every rule's keywords finds which rules
//! can match a blob; only those rules' regexes run, then entropy, placeholder filters and the rule's offline
//! validator. A blob with no keyword costs one pass of the automaton, walked as a compact table over a few
//! stretches of the blob at once.

mod archive;
#[cfg(test)]
mod container_tests;
mod decode;
pub mod entropy;
mod keep;
#[cfg(test)]
mod key_tests;
pub mod lines;
#[cfg(test)]
mod pairwise_tests;
mod prefilter;
mod snippet;
#[cfg(test)]
mod tests;

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};
use anyhow::{Context, Result};
use regex_automata::{Anchored as ReAnchored, Input};

use crate::model::{BlobId, Match};
use crate::rules::RuleSet;
use crate::rules::window::ScanRegex;
use keep::{BlobScan, dedup_overlaps};
use prefilter::KeywordTable;
use snippet::redact_neighbours;

use crate::sniff::is_archive;
pub use archive::Unread;
pub use decode::as_text;

/// The largest binary key container rendered as base64 for matching (its validators decode at most 1 MiB of
/// base64).
const MAX_CONTAINER: usize = 768 * 1024;

/// Comments that suppress a finding on their line or the next one.
pub const INLINE_ALLOW: &[&str] = &[
    "keysweep:allow",
    "gitleaks:allow",
    "betterleaks:allow",
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
];

/// A run of this many consecutive letters or digits in order (`abcdefg`, `KLMnopq`, `3456789`) marks a typed-in
/// placeholder: in random base62 it occurs about once in 10^10 characters, in random hex once in 10^7.
const PLACEHOLDER_RUN: usize = 7;

/// Whether `secret` holds [`PLACEHOLDER_RUN`] letters (of either case) or digits in alphabetical order.
fn has_alphabet_run(secret: &[u8]) -> bool {
    let mut run = 1;
    for pair in secret.windows(2) {
        let (a, b) = (pair[0].to_ascii_lowercase(), pair[1].to_ascii_lowercase());
        let next = b.is_ascii_alphanumeric() && a.wrapping_add(1) == b;
        run = if next { run + 1 } else { 1 };
        if run >= PLACEHOLDER_RUN {
            return true;
        }
    }
    false
}

/// How many stretches of a blob the keyword DFA walks at once.
const LANES: usize = 4;

/// Blobs shorter than this are walked in one lane.
const LANE_MIN_BYTES: usize = 1024;

/// A blob with more keyword occurrences than one per this many bytes is searched whole by every candidate
/// rule: the occurrences are not kept (so they take at most as many bytes as the blob) and windows around them
/// would cover most of the blob anyway.
const HIT_DENSITY_LIMIT: usize = 8;

/// A rule searches windows around its keyword occurrences only while they cover less than 1/this of the blob.
const WINDOW_COVERAGE_LIMIT: usize = 2;

/// One keyword occurrence found by the prefilter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hit {
    /// Offset just past the occurrence (blobs of 4 GiB and more keep no hits).
    end: u32,
    /// Which keyword.
    keyword: u32,
}

impl Hit {
    fn end(self) -> usize {
        self.end as usize
    }

    fn keyword(self) -> usize {
        self.keyword as usize
    }
}

/// What the keyword prefilter found in one blob (see [`Scanner::candidate_rules`]).
#[derive(Debug)]
pub struct Candidates {
    /// The rules whose keywords occur, in rule order.
    pub rules: Vec<usize>,
    /// Every keyword occurrence, in blob order; `None` when there were too many to keep.
    hits: Option<Vec<Hit>>,
    /// Where words near which base64-encoded secrets are common occur (see [`decode::TRIGGERS`]): the offset
    /// just past each, in blob order; a scope of the whole blob when the occurrences were too many to keep.
    decode: Vec<(usize, decode::Scope)>,
}

impl Candidates {
    /// True when no rule can match.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.decode.is_empty()
    }
}

/// The compiled matcher, shared by every worker thread.
pub struct Scanner {
    rules: Arc<RuleSet>,
    /// The keyword DFA and its unanchored start state, for keywords too many for the table (built with the
    /// scanner then; otherwise only if a test asks).
    automaton: OnceLock<(DFA, aho_corasick::automaton::StateID)>,
    /// The keyword automaton as a compact table, walked [`LANES`] lanes at once; `None` when it does not fit.
    table: Option<KeywordTable>,
    /// The longest keyword, in bytes: lanes of the interleaved scan overlap by one less than this.
    max_keyword_len: usize,
    /// Each keyword pattern, lowercase.
    keywords: Vec<Vec<u8>>,
    /// For each keyword pattern, the rules it triggers.
    keyword_rules: Vec<Vec<usize>>,
    /// For each keyword pattern, its scope if it is a [`decode::TRIGGERS`] word.
    decode_triggers: Vec<Option<decode::Scope>>,
    /// Extra placeholder words from configuration (lowercase).
    stopwords: Vec<String>,
    /// Whether rules may search only around their keywords (see [`Scanner::plan`]); off in tests that hold the
    /// plans to whole-blob searches.
    plans: bool,
    /// The largest archive member read, uncompressed.
    member_cap: u64,
}

/// The keyword DFA over `keywords` (lowercase) and its unanchored start state.
fn keyword_dfa(keywords: &[impl AsRef<[u8]>]) -> Result<(DFA, aho_corasick::automaton::StateID)> {
    let dfa = DFA::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .start_kind(StartKind::Unanchored)
        .prefilter(false)
        .build(keywords)
        .context("building the keyword automaton")?;
    let start = dfa
        .start_state(Anchored::No)
        .context("the keyword automaton has no unanchored start state")?;
    Ok((dfa, start))
}

impl Scanner {
    /// Builds the keyword automaton; rule regexes are compiled lazily.
    pub fn new(rules: Arc<RuleSet>) -> Result<Scanner> {
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut index =
            |kw: &str, keywords: &mut Vec<String>, keyword_rules: &mut Vec<Vec<usize>>| {
                let kw = kw.to_ascii_lowercase();
                *seen.entry(kw.clone()).or_insert_with(|| {
                    keywords.push(kw);
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                })
            };
        for (i, rule) in rules.rules.iter().enumerate() {
            for kw in &rule.def.keywords {
                let p = index(kw, &mut keywords, &mut keyword_rules);
                keyword_rules[p].push(i);
            }
        }
        // The decode triggers are keywords of no rule: a hit only turns on base64 decoding near it.
        let mut decode_triggers = vec![None; keywords.len()];
        for &(kw, scope) in decode::TRIGGERS {
            let p = index(kw, &mut keywords, &mut keyword_rules);
            decode_triggers.resize(keywords.len(), None);
            decode_triggers[p] = Some(scope);
        }
        // One pass of a case-insensitive DFA over the raw bytes reports every keyword occurrence, overlapping
        // ones included, so every rule whose keyword occurs anywhere becomes a candidate. A DFA costs one table
        // lookup per byte whatever the number of keywords; the SIMD (Teddy) searchers measured slower with the
        // ~150 built-in keywords, several of which (`token`, `pat`) occur on most lines of source code. The
        // lookups of one lane depend on each other, so the scan runs several lanes at once (see `scan_lanes`).
        // The table is filled from aho-corasick's contiguous NFA: cheaper to build than its DFA (a cold start of
        // one small file is mostly building the matcher), and faster to read while it is copied into the table
        // than the noncontiguous NFA it is built from (0.7 ms less CPU per cold start). A keyword set too large
        // for the NFA or the table (user rules with very many keywords) is searched with the DFA instead.
        let max_keyword_len = keywords.iter().map(String::len).max().unwrap_or(0);
        let table = aho_corasick::nfa::contiguous::NFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&keywords)
            .ok()
            .and_then(|nfa| {
                let start = nfa.start_state(Anchored::No).ok()?;
                KeywordTable::new(&nfa, start, &keywords)
            });
        let automaton = OnceLock::new();
        if table.is_none() {
            let _ = automaton.set(keyword_dfa(&keywords)?);
        }
        Ok(Scanner {
            rules,
            automaton,
            table,
            max_keyword_len,
            keywords: keywords.into_iter().map(String::into_bytes).collect(),
            keyword_rules,
            decode_triggers,
            stopwords: Vec::new(),
            plans: true,
            member_cap: archive::MAX_MEMBER,
        })
    }

    /// Sets the largest archive member read (`--max-file-size`; 25 MiB by default).
    pub fn with_member_cap(mut self, cap: u64) -> Scanner {
        self.member_cap = cap;
        self
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

    /// Whether any rule keyword occurs in `bytes`, stopping at the first. Only the prefilter tests use it (it
    /// is how they drive the early stop of [`Scanner::scan_lanes`]): every scan path needs the candidate rules
    /// whenever a keyword occurs, so it calls [`Scanner::candidate_rules`] once instead of paying a second pass.
    #[cfg(test)]
    pub fn could_match(&self, bytes: &[u8]) -> bool {
        let mut found = false;
        self.scan_lanes(bytes, &mut |_, _| {
            found = true;
            true
        });
        found
    }

    /// The rules whose keywords occur in `bytes`, and where those keywords are.
    pub fn candidate_rules(&self, bytes: &[u8]) -> Candidates {
        let mut keyword_hit = vec![false; self.keyword_rules.len()];
        let cap = (bytes.len() / HIT_DENSITY_LIMIT).max(64);
        let mut hits = u32::try_from(bytes.len()).ok().map(|_| Vec::new());
        if !keyword_hit.is_empty() {
            self.scan_lanes(bytes, &mut |kw, end| {
                keyword_hit[kw] = true;
                if let Some(h) = &mut hits {
                    match (u32::try_from(end), u32::try_from(kw)) {
                        (Ok(end), Ok(keyword)) if h.len() < cap => h.push(Hit { end, keyword }),
                        _ => hits = None,
                    }
                }
                false
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
        let rules: Vec<usize> = (0..hit.len()).filter(|&i| hit[i]).collect();
        if let Some(h) = &mut hits {
            // Lanes report out of order, and an occurrence inside the overlap of two lanes twice.
            h.sort_unstable_by_key(|h| (h.end, h.keyword));
            h.dedup();
        }
        let decode = match &hits {
            Some(h) => h
                .iter()
                .filter_map(|h| Some((h.end(), self.decode_triggers[h.keyword()]?)))
                .collect(),
            None => {
                let any = keyword_hit
                    .iter()
                    .zip(&self.decode_triggers)
                    .any(|(&hit, trigger)| hit && trigger.is_some());
                if any {
                    vec![(0, decode::Scope::Blob)]
                } else {
                    Vec::new()
                }
            }
        };
        Candidates {
            rules,
            hits,
            decode,
        }
    }

    /// Runs the keyword DFA over `bytes` and calls `on_keyword(keyword, end)` for every keyword occurrence (an
    /// occurrence where two lanes overlap may come twice, and not in blob order) until it returns true.
    ///
    /// One DFA step is a table lookup that depends on the previous one, so a single pass is bound by memory
    /// latency, not bandwidth. The blob is cut into [`LANES`] stretches that are walked in step, each lane
    /// starting `max_keyword_len - 1` bytes before its stretch so that a keyword straddling a cut is still
    /// seen whole by the lane on its right: every occurrence ends inside some lane's stretch, and that lane
    /// started early enough to read all of it.
    fn scan_lanes(&self, bytes: &[u8], on_keyword: &mut dyn FnMut(usize, usize) -> bool) {
        let overlap = self.max_keyword_len.saturating_sub(1);
        let Some(table) = &self.table else {
            self.scan_one_lane(bytes, on_keyword);
            return;
        };
        if bytes.len() < LANE_MIN_BYTES.max(overlap * 2 * LANES) {
            table.scan(bytes, 0, table.start, on_keyword);
            return;
        }
        let stretch = bytes.len().div_ceil(LANES);
        let mut lanes: [&[u8]; LANES] = [&[]; LANES];
        let mut begins = [0usize; LANES];
        for (i, lane) in lanes.iter_mut().enumerate() {
            let end = ((i + 1) * stretch).min(bytes.len());
            begins[i] = (i * stretch).saturating_sub(overlap).min(end);
            *lane = &bytes[begins[i]..end];
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
                for (&sid, &begin) in sids.iter().zip(&begins) {
                    if sid < table.match_limit && table.report(sid, begin + k + 1, on_keyword) {
                        return;
                    }
                }
            }
        }
        for ((lane, sid), begin) in lanes.iter().zip(sids).zip(begins) {
            if table.scan(&lane[common..], begin + common, sid, on_keyword) {
                return;
            }
        }
    }

    /// The keyword DFA (built by [`Scanner::new`] whenever the table is not).
    fn dfa(&self) -> &(DFA, aho_corasick::automaton::StateID) {
        self.automaton.get_or_init(|| {
            let keywords: Vec<&[u8]> = self.keywords.iter().map(Vec::as_slice).collect();
            keyword_dfa(&keywords).expect("the keyword DFA builds: its NFA did")
        })
    }

    /// [`Scanner::scan_lanes`] for an automaton too big for a [`KeywordTable`]: one lane, straight off the DFA.
    fn scan_one_lane(&self, bytes: &[u8], on_keyword: &mut dyn FnMut(usize, usize) -> bool) {
        let (dfa, start) = self.dfa();
        let mut sid = *start;
        for (i, &b) in bytes.iter().enumerate() {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) && self.report(sid, i + 1, on_keyword) {
                return;
            }
        }
    }

    /// Reports the keywords that end at `end`, in DFA state `sid`; true when `on_keyword` asks to stop.
    #[inline(never)]
    fn report(
        &self,
        sid: aho_corasick::automaton::StateID,
        end: usize,
        on_keyword: &mut dyn FnMut(usize, usize) -> bool,
    ) -> bool {
        let (dfa, _) = self.dfa();
        if !dfa.is_match(sid) {
            return false;
        }
        (0..dfa.match_len(sid)).any(|i| on_keyword(dfa.match_pattern(sid, i).as_usize(), end))
    }

    /// Every match in one blob, overlapping sightings of the same secret collapsed and catch-all rules dropped
    /// where a provider rule matched the same bytes.
    ///
    /// UTF-16 content is matched as the text it holds (see [`as_text`]), an archive member by member (see
    /// [`is_archive`]).
    pub fn scan(&self, blob: BlobId, bytes: &[u8]) -> Vec<Match> {
        self.scan_with_unread(blob, bytes).0
    }

    /// [`Scanner::scan`], also telling what of an archive was not read (nothing for other content): the caller
    /// knows the blob's name, and counts or reports it.
    pub fn scan_with_unread(&self, blob: BlobId, bytes: &[u8]) -> (Vec<Match>, Unread) {
        if is_archive(bytes) {
            self.scan_archive(blob, bytes)
        } else {
            (self.scan_text(blob, bytes), Unread::default())
        }
    }

    /// [`Scanner::scan`] of content that is not an archive: transcoded if UTF-16, then matched.
    fn scan_text(&self, blob: BlobId, bytes: &[u8]) -> Vec<Match> {
        if crate::sniff::is_key_container(bytes) && bytes.len() <= MAX_CONTAINER {
            // A binary PKCS#12 file or Java keystore is matched as the base64 a CI variable would hold: the same
            // rules find both, and the match is on line 1 of the rendering.
            use base64::Engine as _;
            let text = base64::engine::general_purpose::STANDARD.encode(bytes);
            let candidates = self.candidate_rules(text.as_bytes());
            return self.scan_candidates(blob, text.as_bytes(), candidates);
        }
        let text = as_text(bytes);
        let candidates = self.candidate_rules(&text);
        self.scan_candidates(blob, &text, candidates)
    }

    /// Every match in each member of an archive, named by the member's path inside it, and what was not read.
    /// Members are skipped as binary files are (NUL in the first 8 KiB, unless a key file by name). Content the
    /// archive reader could not open (an archive nested too deep, or bytes with an archive's magic that are no
    /// such archive, the blob itself included) is matched as text.
    fn scan_archive(&self, blob: BlobId, bytes: &[u8]) -> (Vec<Match>, Unread) {
        // Archives are opened one at a time in the whole process: what one holds is bounded (see
        // `archive::budget`), and two at once on two cores would double it. They are rare among files.
        static OPENING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = OPENING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = Vec::new();
        let unread = archive::members(bytes, self.member_cap, &mut |path, data| {
            if crate::sniff::looks_binary(data) && !crate::sniff::is_key_file(path) {
                return;
            }
            for mut m in self.scan_text(blob, data) {
                m.member = (!path.is_empty()).then(|| path.to_string());
                out.push(m);
            }
        });
        (out, unread)
    }

    /// [`Scanner::scan`] with the candidate rules already known (from [`Scanner::candidate_rules`] over `bytes`,
    /// which [`as_text`] has transcoded already).
    pub fn scan_candidates(
        &self,
        blob: BlobId,
        bytes: &[u8],
        candidates: Candidates,
    ) -> Vec<Match> {
        self.scan_with(blob, bytes, candidates, true)
    }

    /// [`Scanner::scan_candidates`], also matching base64 values when `decode` and a trigger word occurred.
    fn scan_with(
        &self,
        blob: BlobId,
        bytes: &[u8],
        candidates: Candidates,
        decode: bool,
    ) -> Vec<Match> {
        if candidates.is_empty() {
            return Vec::new();
        }
        let mut scan = BlobScan {
            scanner: self,
            blob,
            bytes,
            lines: std::cell::OnceCell::new(),
            allowed: std::collections::HashMap::new(),
            validations: std::collections::HashMap::new(),
            out: Vec::new(),
        };
        for &r in &candidates.rules {
            let Some(re) = self.rules.rules[r].scan_regex() else {
                continue;
            };
            let plan = if self.plans {
                self.plan(r, re, bytes, &candidates)
            } else {
                Plan::Whole
            };
            match plan {
                Plan::Whole => {
                    for caps in re.regex.captures_iter(Input::new(bytes)) {
                        scan.keep(r, &caps);
                    }
                }
                Plan::Windows(windows) => {
                    for w in windows {
                        let input = Input::new(bytes).span(w);
                        if re.regex.search_half(&input).is_none() {
                            continue;
                        }
                        for caps in re.regex.captures_iter(input) {
                            scan.keep(r, &caps);
                        }
                    }
                }
                Plan::Starts(starts) => {
                    // Leftmost-first iteration over the whole blob, done at the only places a match can start:
                    // the first match at or after the end of the previous one.
                    let mut caps = re.regex.create_captures();
                    let mut resume = 0;
                    for span in starts {
                        if span.start < resume {
                            continue;
                        }
                        let input = Input::new(bytes).span(span).anchored(ReAnchored::Yes);
                        if re.regex.search_half(&input).is_none() {
                            continue;
                        }
                        re.regex.search_captures(&input, &mut caps);
                        if let Some(m) = caps.get_match() {
                            resume = m.end().max(m.start() + 1);
                            scan.keep(r, &caps);
                        }
                    }
                }
            }
        }
        if decode && !candidates.decode.is_empty() {
            // Each base64 value near a trigger is matched as a blob of its own (not decoded again), its matches
            // moved to where the value is written.
            let values = decode::stretches(bytes, &candidates.decode)
                .into_iter()
                .flat_map(|within| decode::base64_values(bytes, within));
            for value in values {
                let inner = self.candidate_rules(&value.text);
                for m in self.scan_with(blob, &value.text, inner, false) {
                    scan.relocate(m, &value);
                }
            }
        }
        let mut out = scan.out;
        dedup_overlaps(&self.rules, &mut out);
        if let Some(lines) = scan.lines.get() {
            redact_neighbours(bytes, lines, &mut out);
        }
        out.sort_by_key(|m| (m.secret_span.start, m.rule));
        out
    }

    /// Where in a blob of `len` bytes rule `r` must search. Every match of a rule with a [`Reach`] contains an
    /// occurrence of one of its keywords, so it lies inside the stretch that reach spans around that occurrence,
    /// and a search limited to the stretch (look-around still sees the whole blob) finds it. A rule whose
    /// matches start at the keyword is tried anchored at each occurrence; others search the stretches, merged
    /// where they overlap. The whole blob is searched when the rule has no reach, the occurrences were too many
    /// to keep, or the stretches would cover most of the blob.
    fn plan(&self, r: usize, re: &ScanRegex, bytes: &[u8], candidates: &Candidates) -> Plan {
        let (Some(reach), Some(hits)) = (re.window, candidates.hits.as_ref()) else {
            return Plan::Whole;
        };
        let len = bytes.len();
        let mut spans: Vec<Range<usize>> = hits
            .iter()
            .filter(|h| self.keyword_rules[h.keyword()].contains(&r))
            .map(|h| h.end() - self.keywords[h.keyword()].len())
            .filter(|&start| {
                // Where the rest of the pattern cannot follow the keyword, no match uses this occurrence.
                re.suffix.as_ref().is_none_or(|suffix| {
                    let input = Input::new(bytes)
                        .span(start..(start + reach.after).min(len))
                        .anchored(ReAnchored::Yes);
                    suffix.search_half(&input).is_some()
                })
            })
            .map(|start| start.saturating_sub(reach.before)..(start + reach.after).min(len))
            .collect();
        // Hits come in order of their end; keywords of different lengths can swap the starts.
        spans.sort_unstable_by_key(|s| (s.start, s.end));
        if reach.before == 0 {
            spans.dedup_by_key(|s| s.start);
            return Plan::Starts(spans);
        }
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
        for s in spans {
            match merged.last_mut() {
                Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
                _ => merged.push(s),
            }
        }
        let covered: usize = merged.iter().map(ExactSizeIterator::len).sum();
        if covered * WINDOW_COVERAGE_LIMIT < len {
            Plan::Windows(merged)
        } else {
            Plan::Whole
        }
    }

    fn is_placeholder(&self, secret: &[u8]) -> bool {
        let lower = secret.to_ascii_lowercase();
        let has = |w: &str| memchr::memmem::find(&lower, w.as_bytes()).is_some();
        PLACEHOLDER_WORDS.iter().any(|w| has(w))
            || self.stopwords.iter().any(|w| has(w))
            || has_alphabet_run(&lower)
    }
}

/// How one rule searches one blob (see [`Scanner::plan`]).
enum Plan {
    /// Every match, over the whole blob.
    Whole,
    /// Every match inside each of these disjoint stretches.
    Windows(Vec<Range<usize>>),
    /// A match anchored at the start of each stretch (in order, skipping starts inside an earlier match).
    Starts(Vec<Range<usize>>),
}
