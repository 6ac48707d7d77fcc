//! Snippets: the lines around a match with its own secret redacted, and every other secret of the blob masked on
//! them, so context never prints a secret. Masking costs about the same per match however many matches the blob
//! has: a snippet line looks only at the secrets written where it shows the line, and one automaton over the
//! first bytes of the blob's secret texts finds copies of them anywhere else on it.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};

use super::lines::LineIndex;
use crate::model::{Match, Snippet, redact_as};

/// Lines of context either side of a secret.
const SNIPPET_CONTEXT: usize = 2;
/// Characters of a line a snippet shows before it cuts the line with `…`.
const SNIPPET_MAX_CHARS: usize = 160;
/// Bytes of the blob a snippet line can show from where it starts showing them (a character takes at most four).
const SHOWN_BYTES: usize = 4 * SNIPPET_MAX_CHARS + 4;
/// A secret text shorter than this (in bytes, surrounding whitespace aside) is masked only where a match of it is
/// written; a longer one wherever it appears on a snippet line.
const MIN_COPY_BYTES: usize = 8;

/// Characters a snippet line shows before a secret that starts further along its line than [`LEAD_LIMIT`]: the
/// line is then shown from there, after `…`, so the secret is in view however long the line.
const LEAD_CHARS: usize = 60;
/// Characters before a secret up to which its line is shown from the start.
const LEAD_LIMIT: usize = 100;

/// Where a snippet line starts showing the blob's bytes: the line's start, except on the line where the secret
/// starts when that is more than [`LEAD_LIMIT`] characters along, [`LEAD_CHARS`] characters before it. Looks at
/// a bounded number of bytes, whatever the line's length.
fn shown_from(bytes: &[u8], range: &Range<usize>, secret: &Range<usize>) -> usize {
    if secret.start < range.start || secret.start >= range.end {
        return range.start;
    }
    let near = secret.start.saturating_sub(SHOWN_BYTES).max(range.start);
    if near == range.start
        && String::from_utf8_lossy(&bytes[near..secret.start])
            .chars()
            .count()
            <= LEAD_LIMIT
    {
        return range.start;
    }
    let mut at = secret.start;
    for _ in 0..LEAD_CHARS {
        if at <= range.start {
            break;
        }
        at -= 1;
        // Back over a character's continuation bytes (at most three: a run of stray ones is cut).
        let mut back = 0;
        while back < 3 && at > range.start && bytes[at] & 0xC0 == 0x80 {
            at -= 1;
            back += 1;
        }
    }
    at
}

/// The text a snippet line shows for the blob's line `range`, before the secret's own redaction or other
/// masking: from [`shown_from`] on, at most [`SHOWN_BYTES`] bytes from there and from the secret's end, the
/// secret replaced by its redaction (or `…` where the line holds only the secret's continuation), cut at
/// [`SNIPPET_MAX_CHARS`]. Also returns where the redaction is in the text (empty when the line holds none).
fn shown_line(
    bytes: &[u8],
    range: Range<usize>,
    secret: &Range<usize>,
    generic: bool,
) -> (String, Range<usize>) {
    let from = shown_from(bytes, &range, secret);
    let lead = if from > range.start { "…" } else { "" };
    let upto = |start: usize| range.end.min(start.saturating_add(SHOWN_BYTES));
    let (text, keep) = if range.end <= secret.start || range.start >= secret.end {
        (
            String::from_utf8_lossy(&bytes[from..upto(from)]).into_owned(),
            0..0,
        )
    } else {
        // The secret covers part of this line: keep what is outside it, mark the redaction once.
        let before = &bytes[from..secret.start.max(from)];
        let after = &bytes[secret.end.min(range.end)..upto(secret.end.min(range.end))];
        let marker = if secret.start >= range.start {
            redact_as(&String::from_utf8_lossy(&bytes[secret.clone()]), generic)
        } else {
            String::from("…")
        };
        let before = format!("{lead}{}", String::from_utf8_lossy(before));
        let keep = if secret.start >= range.start {
            before.len()..before.len() + marker.len()
        } else {
            0..0
        };
        (
            format!("{before}{marker}{}", String::from_utf8_lossy(after)),
            keep,
        )
    };
    let trimmed = text.trim_end_matches(['\r', '\n']);
    let text = if trimmed.chars().count() > SNIPPET_MAX_CHARS {
        trimmed
            .chars()
            .take(SNIPPET_MAX_CHARS)
            .chain("…".chars())
            .collect()
    } else {
        trimmed.to_string()
    };
    let keep = keep.start.min(text.len())..keep.end.min(text.len());
    (text, keep)
}

/// Two lines of context either side, with the secret replaced by its redacted form.
pub(super) fn snippet(
    bytes: &[u8],
    lines: &LineIndex,
    first: usize,
    last: usize,
    secret: &Range<usize>,
    generic: bool,
) -> Snippet {
    let from = first.saturating_sub(SNIPPET_CONTEXT).max(1);
    let to = (last + SNIPPET_CONTEXT).min(lines.line_count());
    Snippet {
        first_line: from,
        lines: (from..=to)
            .map(|l| shown_line(bytes, lines.line_range(l), secret, generic).0)
            .collect(),
    }
}

/// A snippet shows lines around its own secret; any other secret of the blob on those lines (a second key two
/// lines below, two tokens on one line) is masked too, and so is any copy of a secret of the blob, matched or
/// not, so context never prints a secret.
///
/// A snippet line is first masked as a pairwise comparison of matches would: each other match's part on that
/// line (in match order) at its first occurrence, or, where the line was cut inside it, from its first eight
/// characters on. Only the parts written where the line is shown are looked at: from the line's start and from
/// the own secret on, [`SHOWN_BYTES`] each. Then every remaining copy of a secret text of the blob is masked,
/// except inside the own secret's redaction, and so is the beginning of one where the line was cut inside it.
pub(super) fn redact_neighbours(bytes: &[u8], lines: &LineIndex, matches: &mut [Match]) {
    let pieces = Pieces::new(bytes, lines, matches);
    let copies = Copies::new(&pieces.texts);
    let mut near: Vec<&Piece> = Vec::new();
    for (i, m) in matches.iter_mut().enumerate() {
        let (own_line, secret, generic) = (m.line, m.secret_span.clone(), m.secret.is_generic());
        let first = m.snippet.first_line;
        for (k, text) in m.snippet.lines.iter_mut().enumerate() {
            let line = first + k;
            let range = lines.line_range(line);
            let view = shown_from(bytes, &range, &secret);
            let from_start = view..view.saturating_add(SHOWN_BYTES);
            near.clear();
            near.extend(pieces.starting_in(line, from_start.clone()));
            if secret.start < range.end && range.start < secret.end {
                // After the own secret's redaction the line shows what follows the secret; a part that starts
                // inside the secret may also reach past it.
                let from = secret.start.max(from_start.end);
                let to = secret.end.min(range.end).saturating_add(SHOWN_BYTES);
                if from < to {
                    near.extend(pieces.starting_in(line, from..to));
                }
            }
            near.retain(|p| p.owner != i);
            near.sort_unstable_by_key(|p| p.owner);
            let keep = if line == own_line {
                let keep = shown_line(bytes, range, &secret, generic).1;
                keep.start.min(text.len())..keep.end.min(text.len())
            } else {
                0..0
            };
            let cut = text.chars().count() > SNIPPET_MAX_CHARS;
            let mut shown = Shown { text, keep, cut };
            for p in &near {
                shown.mask_neighbour(&pieces.texts[p.text]);
            }
            if let Some(copies) = &copies {
                shown.mask_copies(copies);
            }
        }
    }
}

/// The part of one match's secret written on one line of the blob.
struct Piece {
    /// The line.
    line: usize,
    /// Offset of its first byte in the blob.
    start: usize,
    /// Index of the match.
    owner: usize,
    /// Index of its text (line breaks at its end dropped) in [`Pieces::texts`].
    text: usize,
}

/// Every match's secret cut at line ends, sorted by line and offset, and the distinct texts of those parts.
struct Pieces {
    /// The parts.
    pieces: Vec<Piece>,
    /// Their distinct texts.
    texts: Vec<String>,
}

impl Pieces {
    /// Cuts every match's secret at line ends.
    fn new(bytes: &[u8], lines: &LineIndex, matches: &[Match]) -> Pieces {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut pieces = Vec::new();
        for (owner, m) in matches.iter().enumerate() {
            for line in m.line..=m.end.0 {
                let range = lines.line_range(line);
                let start = m.secret_span.start.max(range.start);
                let end = m.secret_span.end.min(range.end);
                if start >= end {
                    continue;
                }
                let raw = String::from_utf8_lossy(&bytes[start..end]);
                let raw = raw.trim_end_matches(['\r', '\n']);
                if raw.is_empty() {
                    continue;
                }
                let text = match ids.get(raw) {
                    Some(&id) => id,
                    None => {
                        let id = ids.len();
                        ids.insert(raw.to_string(), id);
                        id
                    }
                };
                pieces.push(Piece {
                    line,
                    start,
                    owner,
                    text,
                });
            }
        }
        pieces.sort_unstable_by_key(|p| (p.line, p.start, p.owner));
        let mut texts = vec![String::new(); ids.len()];
        for (text, id) in ids {
            texts[id] = text;
        }
        Pieces { pieces, texts }
    }

    /// The parts on `line` that start in `within`.
    fn starting_in(&self, line: usize, within: Range<usize>) -> &[Piece] {
        let at = |offset: usize| {
            self.pieces
                .partition_point(|p| (p.line, p.start) < (line, offset))
        };
        let (lo, hi) = (at(within.start), at(within.end));
        &self.pieces[lo..hi.max(lo)]
    }
}

/// The secret texts masked wherever they appear on a snippet line: long enough to be a secret, short enough to
/// fit on one, and not a PEM armour line (`-----END PRIVATE KEY-----` is no secret). One automaton finds where
/// their first [`MIN_COPY_BYTES`] bytes occur, and lookups check the whole text there: an automaton over the
/// whole texts would take some forty bytes of memory per byte of secret.
struct Copies<'t> {
    /// The texts' first bytes, each once.
    heads: AhoCorasick,
    /// For each head (a pattern of `heads`), the lengths of the texts that start with it, longest first.
    lengths: Vec<Vec<usize>>,
    /// For each head, the texts that start with it, sorted.
    starting: Vec<Vec<&'t str>>,
    /// The texts.
    texts: HashSet<&'t str>,
}

impl<'t> Copies<'t> {
    /// The automaton and lookups over the `texts` worth masking anywhere; `None` when there are none (or when
    /// the automaton would be too big to build: the matches' own parts are masked all the same).
    fn new(texts: &'t [String]) -> Option<Copies<'t>> {
        let mut ids: HashMap<&[u8], usize> = HashMap::new();
        let mut starting: Vec<Vec<&str>> = Vec::new();
        for text in texts {
            let text = text.trim();
            if !(MIN_COPY_BYTES..=SHOWN_BYTES).contains(&text.len()) || is_armour(text) {
                continue;
            }
            let next = ids.len();
            let id = *ids
                .entry(&text.as_bytes()[..MIN_COPY_BYTES])
                .or_insert(next);
            if id == starting.len() {
                starting.push(Vec::new());
            }
            starting[id].push(text);
        }
        if starting.is_empty() {
            return None;
        }
        let mut texts = HashSet::new();
        let mut lengths = Vec::with_capacity(starting.len());
        for bucket in &mut starting {
            bucket.sort_unstable();
            bucket.dedup();
            texts.extend(bucket.iter().copied());
            let mut l: Vec<usize> = bucket.iter().map(|t| t.len()).collect();
            l.sort_unstable_by(|a, b| b.cmp(a));
            l.dedup();
            lengths.push(l);
        }
        let mut heads = vec![&[][..]; ids.len()];
        for (head, id) in ids {
            heads[id] = head;
        }
        let heads = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(heads)
            .ok()?;
        Some(Copies {
            heads,
            lengths,
            starting,
            texts,
        })
    }

    /// Where the texts occur in `line` outside `keep`: leftmost first, the longest of those starting there,
    /// none inside another. When the line was cut at byte `cut` (its final `…`) inside what begins like one of
    /// the texts, the last range runs from there to the line's end.
    fn find(&self, line: &str, keep: &Range<usize>, cut: Option<usize>) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut free = 0;
        // All heads have one length, so at most one ends at each byte: the hits come in order of their start.
        for hit in self.heads.find_overlapping_iter(line) {
            let start = hit.start();
            if start < free || (start < keep.end && keep.start < hit.end()) {
                continue;
            }
            let id = hit.pattern().as_usize();
            let whole = self.lengths[id].iter().find(|&&len| {
                line.get(start..start + len)
                    .is_some_and(|text| self.texts.contains(text))
            });
            if let Some(&len) = whole
                && (start + len <= keep.start || keep.end <= start)
            {
                out.push(start..start + len);
                free = start + len;
            } else if let Some(cut) = cut
                && hit.end() <= cut
                && let Some(shown) = line.get(start..cut)
            {
                let bucket = &self.starting[id];
                let next = bucket.partition_point(|t| *t < shown);
                if bucket
                    .get(next)
                    .is_some_and(|t| t.len() > shown.len() && t.starts_with(shown))
                {
                    out.push(start..line.len());
                    break;
                }
            }
        }
        out
    }
}

/// Whether `text` is a PEM armour line alone (`-----BEGIN RSA PRIVATE KEY-----`).
fn is_armour(text: &str) -> bool {
    text.strip_prefix("-----BEGIN ")
        .or_else(|| text.strip_prefix("-----END "))
        .and_then(|t| t.strip_suffix("-----"))
        .is_some_and(|label| {
            label
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
        })
}

/// One snippet line being masked, and where on it the own secret's redaction is: copies of secrets found inside
/// the redaction (a PEM header of another key) are left alone.
struct Shown<'a> {
    /// The line.
    text: &'a mut String,
    /// The own redaction's bytes in `text` (empty when the line does not show it).
    keep: Range<usize>,
    /// Whether the line was cut at the snippet width (and ends with `…`).
    cut: bool,
}

impl Shown<'_> {
    /// Replaces `at` with `…`, moving the redaction's range with the text.
    fn replace(&mut self, at: Range<usize>) {
        let mark = "…".len();
        let start = |p: usize| match p {
            p if p < at.start => p,
            p if p < at.end => at.start,
            p => p - at.len() + mark,
        };
        let end = |p: usize| match p {
            p if p <= at.start => p,
            p if p <= at.end => at.start + mark,
            p => p - at.len() + mark,
        };
        self.keep = start(self.keep.start)..end(self.keep.end);
        self.text.replace_range(at, "…");
    }

    /// Masks another match's part of this line: its first occurrence, or where the line was cut inside it,
    /// everything from its first eight characters on.
    fn mask_neighbour(&mut self, raw: &str) {
        if let Some(at) = self.text.find(raw) {
            self.replace(at..at + raw.len());
        } else {
            let head: String = raw.chars().take(8).collect();
            if let Some(at) = self.text.find(&head) {
                let end = self.text.len();
                self.replace(at..end);
            }
        }
    }

    /// Masks every copy of a secret text that `copies` finds outside the own redaction, and the beginning of
    /// one where the line was cut inside it.
    fn mask_copies(&mut self, copies: &Copies<'_>) {
        let cut = (self.cut && self.text.ends_with('…')).then(|| self.text.len() - "…".len());
        let mut out = String::new();
        let mut last = 0;
        for at in copies.find(self.text.as_str(), &self.keep, cut) {
            out.push_str(&self.text[last..at.start]);
            out.push('…');
            last = at.end;
        }
        if !out.is_empty() {
            out.push_str(&self.text[last..]);
            *self.text = out;
        }
    }
}
