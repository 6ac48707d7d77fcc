//! The keyword prefilter's inner loop: the aho-corasick keyword automaton re-laid as a compact table the matcher
//! walks over several stretches of a blob at once (see `Scanner::candidate_rules`), and the tests that hold it
//! to a naive reference.

use aho_corasick::Anchored;
use aho_corasick::automaton::{Automaton, StateID};

/// Entries of a [`KeywordTable`]: states × byte classes must fit. 2^18 (1 MiB of ids, of which only the rows in
/// use are ever touched: the allocation is zeroed lazily by the OS) holds about four times the built-in rules'
/// automaton (some 1,400 states × 49 classes).
const TABLE: usize = 1 << 18;

/// The keyword automaton re-laid as a dense table of 32-bit state ids, indexed so that no lookup needs a bounds check:
/// a state id is its row times the row stride (the number of byte classes), row + class always stays below
/// [`TABLE`], and the index is masked to it. The rows a scan walks (the start state and a few shallow ones)
/// stay in cache. Match states come first, so "is this a match" is one comparison.
pub(super) struct KeywordTable {
    /// Next state for (state id + byte class).
    trans: Box<[u32; TABLE]>,
    /// The class of each byte.
    classes: [u8; 256],
    /// The start state id.
    pub(super) start: u32,
    /// State ids below this are match states.
    pub(super) match_limit: u32,
    /// The row stride: the number of byte classes. Not rounded to a power of two, so that more rows fit; only
    /// a match (rare) divides by it.
    stride: u32,
    /// For each match state (by row), the keywords that end there.
    matches: Vec<Vec<usize>>,
}

impl KeywordTable {
    /// Copies the reachable part of `automaton` (built ASCII-case-insensitively from `keywords`, lowercase) into
    /// a table; `None` if states × classes exceed [`TABLE`].
    pub(super) fn new(
        automaton: &impl Automaton,
        start: StateID,
        keywords: &[impl AsRef<[u8]>],
    ) -> Option<KeywordTable> {
        // The byte classes come from the keywords alone: a byte moves the automaton only by equalling a keyword
        // byte (ASCII case aside), so each distinct keyword byte is a class with its other case, and every
        // other byte (the representative found below) shares class 0. Only one byte of each class is looked up.
        let mut classes = [u8::MAX; 256];
        let mut reps: Vec<u8> = vec![0];
        for &b in keywords.iter().flat_map(|k| k.as_ref()) {
            if classes[usize::from(b)] == u8::MAX {
                let class = u8::try_from(reps.len()).ok().filter(|&c| c < u8::MAX)?;
                reps.push(b);
                classes[usize::from(b)] = class;
                classes[usize::from(b.to_ascii_uppercase())] = class;
                classes[usize::from(b.to_ascii_lowercase())] = class;
            }
        }
        reps[0] = (0..=255u8).find(|&b| classes[usize::from(b)] == u8::MAX)?;
        for c in &mut classes {
            if *c == u8::MAX {
                *c = 0;
            }
        }
        // Every state reachable from the start, and its next row for each class (row-major). State ids index
        // the automaton's own tables, so a vector maps them to rows without hashing.
        let stride = reps.len();
        let mut rows: Vec<StateID> = Vec::new();
        let mut row_of: Vec<usize> = Vec::new();
        let mut visit = |sid: StateID, rows: &mut Vec<_>| -> usize {
            let i = sid.as_usize();
            if row_of.len() <= i {
                row_of.resize(i + 1, usize::MAX);
            }
            if row_of[i] == usize::MAX {
                row_of[i] = rows.len();
                rows.push(sid);
            }
            row_of[i]
        };
        visit(start, &mut rows);
        let mut next: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            if rows.len().checked_mul(stride)? > TABLE {
                return None;
            }
            for &b in &reps {
                let row = visit(automaton.next_state(Anchored::No, rows[i], b), &mut rows);
                next.push(row);
            }
            i += 1;
        }
        // Match states first.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&r| !automaton.is_match(rows[r]));
        let mut placed = vec![0usize; rows.len()];
        for (new, &old) in order.iter().enumerate() {
            placed[old] = new;
        }
        let id = |old: usize| -> u32 {
            u32::try_from(placed[old] * stride).expect("checked: rows * stride fits the table")
        };
        let mut trans: Box<[u32; TABLE]> = vec![0u32; TABLE]
            .into_boxed_slice()
            .try_into()
            .expect("the vector has TABLE entries");
        for old in 0..rows.len() {
            for class in 0..stride {
                trans[id(old) as usize + class] = id(next[old * stride + class]);
            }
        }
        let match_rows = order
            .iter()
            .take_while(|&&r| automaton.is_match(rows[r]))
            .count();
        let matches = order[..match_rows]
            .iter()
            .map(|&r| {
                (0..automaton.match_len(rows[r]))
                    .map(|i| automaton.match_pattern(rows[r], i).as_usize())
                    .collect()
            })
            .collect();
        Some(KeywordTable {
            trans,
            classes,
            start: id(0),
            match_limit: u32::try_from(match_rows * stride).ok()?,
            stride: u32::try_from(stride).ok()?,
            matches,
        })
    }

    /// The state after reading `byte` in state `sid`.
    #[inline(always)]
    pub(super) fn next(&self, sid: u32, byte: u8) -> u32 {
        let at = sid.wrapping_add(u32::from(self.classes[usize::from(byte)])) as usize;
        self.trans[at & (TABLE - 1)]
    }

    /// Walks `bytes` (which start at offset `base` of the blob) from state `sid`, reporting each keyword
    /// occurrence with the blob offset just past its end; true when `on_keyword` asked to stop.
    pub(super) fn scan(
        &self,
        bytes: &[u8],
        base: usize,
        mut sid: u32,
        on_keyword: &mut dyn FnMut(usize, usize) -> bool,
    ) -> bool {
        for (i, &b) in bytes.iter().enumerate() {
            sid = self.next(sid, b);
            if sid < self.match_limit && self.report(sid, base + i + 1, on_keyword) {
                return true;
            }
        }
        false
    }

    /// Reports the keywords that end at `end` in match state `sid`; true when `on_keyword` asked to stop.
    #[inline(never)]
    pub(super) fn report(
        &self,
        sid: u32,
        end: usize,
        on_keyword: &mut dyn FnMut(usize, usize) -> bool,
    ) -> bool {
        self.matches[(sid / self.stride) as usize]
            .iter()
            .any(|&kw| on_keyword(kw, end))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::Rng;
    use super::super::*;

    fn scanner() -> Scanner {
        Scanner::new(Arc::new(RuleSet::builtin().expect("built-in rules load")))
            .expect("scanner builds")
    }

    #[test]
    fn the_built_in_keywords_fit_the_compact_table() {
        // Without the table the keyword pass walks one lane straight off the DFA, about half as fast. Each
        // keyword byte adds up to one state: prefer short keywords (a token's prefix, not its whole fixed part).
        assert!(
            scanner().table.is_some(),
            "the built-in keywords no longer fit a KeywordTable"
        );
    }

    /// The naive reference: a rule is a candidate when any of its keywords occurs in the lowercased bytes.
    fn reference(scanner: &Scanner, bytes: &[u8]) -> Vec<usize> {
        let lower = bytes.to_ascii_lowercase();
        (0..scanner.rules.rules.len())
            .filter(|&r| {
                scanner.rules.rules[r].def.keywords.iter().any(|k| {
                    memchr::memmem::find(&lower, k.to_ascii_lowercase().as_bytes()).is_some()
                })
            })
            .collect()
    }

    /// The naive reference for keyword occurrences: every (end, keyword) in the lowercased bytes, in order.
    fn reference_hits(scanner: &Scanner, bytes: &[u8]) -> Vec<Hit> {
        let lower = bytes.to_ascii_lowercase();
        let mut out: Vec<Hit> = scanner
            .keywords
            .iter()
            .enumerate()
            .flat_map(|(keyword, k)| {
                (0..lower.len())
                    .filter(|&at| lower[at..].starts_with(k))
                    .map(move |at| Hit {
                        end: u32::try_from(at + k.len()).expect("test blobs are small"),
                        keyword: u32::try_from(keyword).expect("few keywords"),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort_unstable_by_key(|h| (h.end, h.keyword));
        out
    }

    /// Every distinct keyword of the built-in rules.
    fn keywords(scanner: &Scanner) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = scanner
            .rules
            .rules
            .iter()
            .flat_map(|r| r.def.keywords.iter().map(|k| k.as_bytes().to_vec()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// `keyword` in random ASCII case.
    fn mixed_case(rng: &mut Rng, keyword: &[u8]) -> Vec<u8> {
        keyword
            .iter()
            .map(|b| {
                if rng.below(2) == 0 {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect()
    }

    /// Filler that shares bytes with the keywords (so partial keywords abound) without planting many whole ones.
    fn filler(rng: &mut Rng, len: usize) -> Vec<u8> {
        const ALPHABET: &[u8] =
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.$:~/= \n\"\xff\x00";
        (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect()
    }

    /// A keyword picked at random, in random case.
    fn random_keyword(rng: &mut Rng, keywords: &[Vec<u8>]) -> Vec<u8> {
        let i = rng.below(keywords.len());
        mixed_case(rng, &keywords[i])
    }

    /// Writes `keyword` at `at`, cut short at the end of `buf` (nothing when `at` is past it).
    fn plant(buf: &mut [u8], at: usize, keyword: &[u8]) {
        let at = at.min(buf.len());
        let end = (at + keyword.len()).min(buf.len());
        buf[at..end].copy_from_slice(&keyword[..end - at]);
    }

    /// Candidates of the one-lane walk straight off the DFA (the path for automata too big for the table).
    fn one_lane_candidates(scanner: &Scanner, bytes: &[u8]) -> Vec<usize> {
        let mut hit = vec![false; scanner.rules.rules.len()];
        scanner.scan_one_lane(bytes, &mut |kw, _| {
            for &r in &scanner.keyword_rules[kw] {
                hit[r] = true;
            }
            false
        });
        (0..hit.len()).filter(|&i| hit[i]).collect()
    }

    #[test]
    fn candidate_rules_match_the_naive_reference() {
        let scanner = scanner();
        assert!(
            scanner.table.is_some(),
            "the built-in keywords fit the compact table"
        );
        let keywords = keywords(&scanner);
        let mut rng = Rng(0x5eed_1234_abcd_ef01);
        let sizes = [0, 1, 2, 3, 7, 31, 200, 1023, 1024, 1025, 4096, 4099, 20_000];
        for round in 0..400 {
            let len = if round < sizes.len() * 20 {
                sizes[round % sizes.len()]
            } else {
                rng.below(6_000)
            };
            let mut buf = filler(&mut rng, len);
            if len > 0 {
                // Keywords at random places, overlapping each other and cut short at the end.
                for _ in 0..rng.below(6) {
                    let kw = random_keyword(&mut rng, &keywords);
                    let at = rng.below(len);
                    plant(&mut buf, at, &kw);
                    if rng.below(2) == 0 && at + 1 < len {
                        let kw2 = random_keyword(&mut rng, &keywords);
                        plant(&mut buf, at + 1 + rng.below(kw.len()), &kw2);
                    }
                }
                // At both edges of the buffer.
                if rng.below(3) == 0 {
                    let kw = random_keyword(&mut rng, &keywords);
                    plant(&mut buf, 0, &kw);
                }
                if rng.below(3) == 0 {
                    let kw = random_keyword(&mut rng, &keywords);
                    plant(&mut buf, len.saturating_sub(kw.len()), &kw);
                }
                // Straddling the cuts between lanes.
                let stretch = len.div_ceil(LANES);
                for i in 1..LANES {
                    if rng.below(2) == 0 {
                        let kw = random_keyword(&mut rng, &keywords);
                        let at = (i * stretch).saturating_sub(rng.below(kw.len()) + 1);
                        plant(&mut buf, at.min(len - 1), &kw);
                    }
                }
            }
            let want = reference(&scanner, &buf);
            let found = scanner.candidate_rules(&buf);
            assert_eq!(found.rules, want, "round {round}, {len} bytes");
            if let Some(hits) = &found.hits {
                assert_eq!(hits, &reference_hits(&scanner, &buf), "round {round}, hits");
            }
            assert_eq!(
                one_lane_candidates(&scanner, &buf),
                want,
                "round {round}, one lane"
            );
            assert_eq!(scanner.could_match(&buf), !want.is_empty(), "round {round}");
        }
    }

    #[test]
    fn every_keyword_alone_at_every_lane_cut_is_found() {
        let scanner = scanner();
        let mut rng = Rng(42);
        for kw in keywords(&scanner) {
            for len in [kw.len(), 4097] {
                let stretch = len.div_ceil(LANES);
                for cut in 0..LANES {
                    for back in 0..kw.len() {
                        let mut buf = vec![b' '; len];
                        let at = (cut * stretch).saturating_sub(back).min(len - kw.len());
                        let planted = mixed_case(&mut rng, &kw);
                        plant(&mut buf, at, &planted);
                        assert_eq!(
                            scanner.candidate_rules(&buf).rules,
                            reference(&scanner, &buf),
                            "{:?} at {at} of {len}",
                            String::from_utf8_lossy(&kw)
                        );
                    }
                }
            }
        }
    }
}
