//! Keeping a match: the filters a regex match passes before it counts (entropy, placeholders, the rule's allow
//! regexes and validator), the key ids around it, its line and column, a redacted snippet (see [`snippet`]), and
//! within one blob the collapse of overlapping sightings of one secret.

use regex_automata::util::captures::Captures;

use super::lines::LineIndex;
use super::snippet::snippet;
use super::{INLINE_ALLOW, Scanner, decode, entropy};
use crate::model::{BlobId, Match, Secret};
use crate::rules::RuleSet;
use crate::validate::{self, Validation};

/// One blob being matched: what each match needs to become a [`Match`], and the matches kept so far.
pub(super) struct BlobScan<'a> {
    pub(super) scanner: &'a Scanner,
    pub(super) blob: BlobId,
    pub(super) bytes: &'a [u8],
    /// Lines are indexed only once a regex has matched: most blobs with a keyword have no match.
    pub(super) lines: std::cell::OnceCell<LineIndex>,
    /// Whether a line carries an inline allow comment, by line: asked once per line however many matches it
    /// holds.
    pub(super) allowed: std::collections::HashMap<usize, bool>,
    /// What each validator said of each secret span: the rules of one key material (Apple's P-256 kinds, the
    /// catch-alls) match the same bytes, and a key parse costs more than the regex that found it.
    pub(super) validations: std::collections::HashMap<(&'a str, usize, usize), Validation>,
    pub(super) out: Vec<Match>,
}

impl BlobScan<'_> {
    /// Keeps a match of rule `r` if it passes the rule's entropy, placeholder, allow and validator filters.
    pub(super) fn keep(&mut self, r: usize, caps: &Captures) {
        let bytes = self.bytes;
        let rule = &self.scanner.rules.rules[r];
        let Some(whole) = caps.get_match() else {
            return;
        };
        let mut span = whole.range();
        let mut secret_span = caps
            .get_group_by_name("secret")
            .map_or(span.clone(), |s| s.range());
        if rule
            .def
            .validate
            .as_deref()
            .is_some_and(validate::decodes_keys)
            && let Some(len) = crate::keys::armourless_extent(&bytes[secret_span.clone()])
        {
            // A body joined with the line after it: the key ends before the match does.
            if span.end == secret_span.end {
                span.end = secret_span.start + len;
            }
            secret_span.end = secret_span.start + len;
        }
        let secret_bytes = &bytes[secret_span.clone()];
        if secret_bytes.is_empty() {
            return;
        }
        if let Some(min) = rule.def.entropy
            && entropy::shannon(secret_bytes) < min
        {
            return;
        }
        if self.scanner.is_placeholder(secret_bytes)
            || rule
                .allow_regexes()
                .iter()
                .any(|a| a.is_match(secret_bytes))
        {
            return;
        }
        let scanner = self.scanner;
        let validation = scanner.rules.rules[r].def.validate.as_deref().map(|v| {
            self.validations
                .entry((v, secret_span.start, secret_span.end))
                .or_insert_with(|| validate::validate(v, secret_bytes))
                .clone()
        });
        let (validated, key) = match validation {
            None => (false, None),
            Some(Validation::Invalid) => return,
            Some(Validation::Valid(key)) => (true, key),
            Some(Validation::Unverified(key)) => (false, key),
        };
        let lines = self.lines.get_or_init(|| LineIndex::new(bytes));
        let (line, column) = lines.line_col(bytes, secret_span.start);
        let end = lines.line_col(bytes, secret_span.end);
        let capture = |name: &str| {
            caps.get_group_by_name(name)
                .map(|m| String::from_utf8_lossy(&bytes[m.range()]).into_owned())
        };
        let around = clip(lines.window(line, rule.context_lines()), &secret_span);
        let window = &bytes[around.clone()];
        let key_id = capture("key_id").or_else(|| {
            context_capture(
                rule.key_id_context(),
                window,
                around.start,
                lines,
                (line, end.0),
                "key_id",
            )
        });
        let issuer_id = capture("issuer_id").or_else(|| {
            context_capture(
                rule.issuer_context(),
                window,
                around.start,
                lines,
                (line, end.0),
                "issuer_id",
            )
        });
        // A rule that needs evidence and finds none around the match leaves it to its catch-all; the file's
        // name may still prove it when the match is grouped (see `Match::gated`).
        let evidence_distance = if rule.needs_evidence() {
            let near = |regexes| nearest(regexes, window, around.start, lines, (line, end.0));
            let weak = near(rule.weak_evidence_context()).map(|d| d + WEAK);
            near(rule.evidence_context()).into_iter().chain(weak).min()
        } else {
            Some(0)
        };
        let (named, gated) = if evidence_distance.is_none() {
            let rules = &self.scanner.rules;
            match rule
                .def
                .context
                .otherwise
                .as_deref()
                .and_then(|id| rules.by_id(id))
            {
                Some(o) => (o, vec![r]),
                None => return,
            }
        } else {
            (r, Vec::new())
        };
        let generic = crate::model::provider::is_generic(&self.scanner.rules.rules[named].provider);
        self.out.push(Match {
            rule: named,
            blob: self.blob,
            span,
            secret_span: secret_span.clone(),
            secret: if generic {
                Secret::new(String::from_utf8_lossy(secret_bytes).into_owned()).generic()
            } else {
                Secret::new(String::from_utf8_lossy(secret_bytes).into_owned())
            },
            line,
            column,
            end,
            key_id,
            issuer_id,
            validated,
            key: key.map(Box::new),
            inline_allowed: inline_allowed(bytes, lines, &mut self.allowed, line),
            snippet: snippet(bytes, lines, line, end.0, &secret_span, generic),
            encoding: None,
            member: None,
            gated,
            evidence_distance: evidence_distance.unwrap_or(0),
        });
    }

    /// Keeps a match found in a decoded base64 value, placed where the value's characters that encode the secret
    /// are written: its line, column, snippet and inline allow come from the blob, its secret stays decoded.
    pub(super) fn relocate(&mut self, mut m: Match, value: &decode::Decoded) {
        let bytes = self.bytes;
        let lines = self.lines.get_or_init(|| LineIndex::new(bytes));
        let secret_span = value.source_range(&m.secret_span);
        m.span = value.source_range(&m.span);
        (m.line, m.column) = lines.line_col(bytes, secret_span.start);
        m.end = lines.line_col(bytes, secret_span.end);
        m.inline_allowed = inline_allowed(bytes, lines, &mut self.allowed, m.line);
        m.snippet = snippet(
            bytes,
            lines,
            m.line,
            m.end.0,
            &secret_span,
            m.secret.is_generic(),
        );
        m.secret_span = secret_span;
        m.encoding = Some("base64");
        self.out.push(m);
    }
}

/// How near a context match (`start..end` in the blob) is to a secret on lines `secret` (first and last): 0 on
/// those lines, else the number of lines before them, else (after them) `AFTER` plus the number of lines after.
/// Whatever precedes a secret names it before whatever follows (`APNS_KEY_ID=…` then `APNS_KEY=…`, and the next
/// key's `ASC_KEY_ID=…` on the line below).
fn nearness(lines: &LineIndex, secret: (usize, usize), start: usize, end: usize) -> usize {
    let (first, last) = (
        lines.line_of(start),
        lines.line_of(end.saturating_sub(1).max(start)),
    );
    if last < secret.0 {
        secret.0 - last
    } else if first > secret.1 {
        AFTER + (first - secret.1)
    } else {
        0
    }
}

/// See [`nearness`]: context after a secret ranks behind any before it (windows span a few dozen lines).
const AFTER: usize = 1_000;

/// See [`nearness`]: weak evidence (`context.weak_evidence`) ranks behind any other at any distance.
const WEAK: usize = 1_000_000;

/// The [`nearness`] of the nearest match of any of `regexes` in `window` (which starts at `offset` in the blob) to a
/// secret on lines `secret`; `None` when none matches.
fn nearest(
    regexes: &[regex::bytes::Regex],
    window: &[u8],
    offset: usize,
    lines: &LineIndex,
    secret: (usize, usize),
) -> Option<usize> {
    regexes
        .iter()
        .flat_map(|re| re.find_iter(window))
        .map(|m| nearness(lines, secret, offset + m.start(), offset + m.end()))
        .min()
}

/// The first context regex that matches in `window` (which starts at `offset` in the blob), its `name` group
/// (else group 1) at the match [`nearest`] a secret on lines `secret`: of two keys in one file, each takes the id
/// next to it.
fn context_capture(
    regexes: &[regex::bytes::Regex],
    window: &[u8],
    offset: usize,
    lines: &LineIndex,
    secret: (usize, usize),
    name: &str,
) -> Option<String> {
    regexes.iter().find_map(|re| {
        re.captures_iter(window)
            .filter_map(|caps| {
                let m = caps.name(name).or_else(|| caps.get(1))?;
                Some((
                    nearness(lines, secret, offset + m.start(), offset + m.end()),
                    m.as_bytes(),
                ))
            })
            .min_by_key(|&(d, _)| d)
            .map(|(_, id)| String::from_utf8_lossy(id).into_owned())
    })
}

/// Bytes of context lines searched for key and issuer ids either side of a secret: lines longer than that (a
/// minified file) are searched only near it, so the search costs the same per match however long the line.
const CONTEXT_REACH: usize = 4096;

/// `window` cut to [`CONTEXT_REACH`] bytes either side of `secret`.
fn clip(window: std::ops::Range<usize>, secret: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    window.start.max(secret.start.saturating_sub(CONTEXT_REACH))
        ..window.end.min(secret.end.saturating_add(CONTEXT_REACH))
}

/// Whether `line` or the line before carries an inline allow comment (each line looked at once per blob).
fn inline_allowed(
    bytes: &[u8],
    lines: &LineIndex,
    memo: &mut std::collections::HashMap<usize, bool>,
    line: usize,
) -> bool {
    let mut check = |l: usize| {
        *memo.entry(l).or_insert_with(|| {
            let text = &bytes[lines.line_range(l)];
            INLINE_ALLOW
                .iter()
                .any(|a| memchr::memmem::find(text, a.as_bytes()).is_some())
        })
    };
    check(line) || (line > 1 && check(line - 1))
}

/// Within one blob: of overlapping matches with the same fingerprint keep the widest; where a catch-all rule
/// overlaps a provider rule, keep the provider rule.
///
/// Only overlapping pairs are judged ([`overlapping_pairs`]), in the order of a loop over every pair (by the
/// first match, then the second), so which matches are dropped does not depend on how the pairs were found.
pub(super) fn dedup_overlaps(rules: &RuleSet, matches: &mut Vec<Match>) {
    let pairs = overlapping_pairs(matches);
    if pairs.is_empty() {
        return;
    }
    let mut fps: Vec<Option<String>> = vec![None; matches.len()];
    for &(i, _) in &pairs {
        if fps[i].is_none() {
            let m = &matches[i];
            fps[i] = Some(m.fingerprint(&rules.rules[m.rule].id));
        }
    }
    let mut drop = vec![false; matches.len()];
    // The same match twice (a rule's own and a rule that left it to it for want of evidence): the first stays,
    // with the rules that wait for evidence of both.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (i, j) in pairs {
        if drop[j] || drop[i] {
            continue;
        }
        if wins(rules, matches, i, j, fps[i] == fps[j]) {
            drop[j] = true;
            if same_match(&matches[i], &matches[j]) {
                merged.push((i, j));
            }
        }
    }
    for (i, j) in merged {
        let gated = std::mem::take(&mut matches[j].gated);
        for g in gated {
            if !matches[i].gated.contains(&g) {
                matches[i].gated.push(g);
            }
        }
    }
    let mut k = 0;
    matches.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
}

/// Whether match `i` of `matches` drops match `j`, which it overlaps (`same_secret`: both have one
/// fingerprint): when it [`beats`] it, or when both are the same sighting named by the same rule and `i` comes
/// first.
pub(super) fn wins(
    rules: &RuleSet,
    matches: &[Match],
    i: usize,
    j: usize,
    same_secret: bool,
) -> bool {
    let (a, b) = (&matches[i], &matches[j]);
    beats(rules, a, b, same_secret) || (i < j && same_secret && same_match(a, b))
}

/// Whether two matches of one secret are the same sighting named by the same rule.
fn same_match(a: &Match, b: &Match) -> bool {
    a.rule == b.rule && a.span == b.span && a.encoding == b.encoding && a.member == b.member
}

/// Every pair of matches whose spans overlap, as `(i, j)` and `(j, i)`, sorted. A sweep over the matches in order
/// of their start keeps those still open there; the matches of one rule do not overlap each other, so few are
/// open at once and the work grows with the number of matches, not with its square.
pub(super) fn overlapping_pairs(matches: &[Match]) -> Vec<(usize, usize)> {
    let overlaps = |a: &Match, b: &Match| a.span.start < b.span.end && b.span.start < a.span.end;
    let mut order: Vec<usize> = (0..matches.len()).collect();
    order.sort_unstable_by_key(|&i| (matches[i].span.start, i));
    let mut open: Vec<usize> = Vec::new();
    let mut pairs = Vec::new();
    for b in order {
        // A match that ends before this one starts overlaps neither it nor any later one.
        let start = matches[b].span.start;
        open.retain(|&a| matches[a].span.end > start);
        for &a in &open {
            if overlaps(&matches[a], &matches[b]) {
                pairs.push((a, b));
                pairs.push((b, a));
            }
        }
        open.push(b);
    }
    pairs.sort_unstable();
    pairs
}

/// Whether overlapping match `a` wins over `b` (`same_secret`: both have one fingerprint). The same secret twice
/// (a PEM and the body inside it): a provider rule over a catch-all, then the match on the text as written over
/// one in a decoded value, then the wider span, then the nearer evidence (an APNs key after `APNS_KEY=` and
/// before the next key's `ASC_KEY_ID` is an APNs key), then the rule that names secrets (`RuleSet::rank`). Different
/// secrets: the more specific rule, then a rule that `overrides` the other when both found the same bytes (a Clerk
/// key named after Clerk also has Stripe's shape, `sk_live_…`).
pub(super) fn beats(rules: &RuleSet, a: &Match, b: &Match, same_secret: bool) -> bool {
    if same_secret {
        let key = |m: &Match| {
            let rank = rules.rank(m.rule);
            (
                rank.specificity,
                m.encoding.is_none(),
                m.span.len(),
                std::cmp::Reverse(m.evidence_distance),
                rank,
            )
        };
        key(a) > key(b)
    } else {
        let (ra, rb) = (&rules.rules[a.rule], &rules.rules[b.rule]);
        ra.specificity() > rb.specificity()
            || (ra.specificity() == rb.specificity()
                && a.secret_span == b.secret_span
                && a.encoding == b.encoding
                && ra.def.overrides.contains(&rb.id))
    }
}
