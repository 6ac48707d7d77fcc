//! What a rule's pattern tells the scanner about where its matches can be. When every match must contain one
//! of the rule's keywords and no match is longer than some bound, the matcher needs to run the regex only in
//! windows around the keyword occurrences the prefilter already found (see `Scanner::scan_rule`), instead of
//! over the whole blob. Both facts are read off the parsed pattern; when either cannot be shown, the rule is
//! searched over whole blobs as before, so the analysis may be conservative but never wrong.

use regex_automata::meta;
use regex_automata::util::syntax;
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, HirKind};

/// A rule's compiled pattern and how far its matches can reach from a keyword.
#[derive(Debug)]
pub struct ScanRegex {
    /// The pattern, compiled with the same settings as `regex::bytes::Regex` (leftmost-first, bytes).
    pub regex: meta::Regex,
    /// `Some(reach)`: every match contains an occurrence of one of the rule's keywords that starts at most
    /// `reach.before` bytes after the match does and at most `reach.after` bytes before the match ends.
    pub window: Option<Reach>,
    /// The pattern from the keyword on (see [`suffix`]), when the rule's keyword is not where its matches
    /// start: an anchored search for it at a keyword occurrence tells cheaply whether a match can use it.
    pub suffix: Option<meta::Regex>,
}

/// How far a match extends around the keyword occurrence it must contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    /// At most this many bytes of the match come before the keyword.
    pub before: usize,
    /// At most this many bytes of the match start at the keyword (the keyword itself included).
    pub after: usize,
}

impl Reach {
    fn then(self, before: usize, after: usize) -> Reach {
        Reach {
            before: self.before + before,
            after: self.after + after,
        }
    }

    fn max(self, other: Reach) -> Reach {
        Reach {
            before: self.before.max(other.before),
            after: self.after.max(other.after),
        }
    }
}

/// The regex engine settings of `regex::bytes::RegexBuilder` with a 50 MiB size limit.
fn syntax_config() -> syntax::Config {
    syntax::Config::new().utf8(false)
}

fn build(hir: &Hir) -> Result<meta::Regex, String> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .utf8_empty(false)
                .nfa_size_limit(Some(50 * (1 << 20)))
                .hybrid_cache_capacity(2 * (1 << 20)),
        )
        .build_from_hir(hir)
        .map_err(|e| e.to_string())
}

impl ScanRegex {
    /// Compiles `pattern` and works out its window for `keywords` (any case).
    pub fn new(pattern: &str, keywords: &[String]) -> Result<ScanRegex, String> {
        let hir = syntax::parse_with(pattern, &syntax_config()).map_err(|e| e.to_string())?;
        let regex = build(&hir)?;
        let keywords: Vec<Vec<u8>> = keywords
            .iter()
            .map(|k| k.as_bytes().to_ascii_lowercase())
            .filter(|k| !k.is_empty())
            .collect();
        let window = reach(&hir, &keywords);
        let suffix = match window {
            Some(w) if w.before > 0 => suffix(&hir, &keywords).map(|h| build(&h)).transpose()?,
            _ => None,
        };
        Ok(ScanRegex {
            regex,
            window,
            suffix,
        })
    }
}

/// Where every string `hir` matches has an occurrence of one of `keywords` (lowercase, compared
/// ASCII-case-insensitively), as a bound on the bytes before it and from it on; `None` when no such bound can
/// be shown.
fn reach(hir: &Hir, keywords: &[Vec<u8>]) -> Option<Reach> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Alternation(alts) => alts
            .iter()
            .map(|h| reach(h, keywords))
            .reduce(|a, b| Some(a?.max(b?)))
            .flatten(),
        HirKind::Repetition(r) => {
            // The occurrence in the first repetition; the others follow it.
            let more = r.max?.checked_sub(1)?;
            if r.min == 0 {
                return None;
            }
            let len = r.sub.properties().maximum_len()?;
            Some(reach(&r.sub, keywords)?.then(0, len.checked_mul(usize::try_from(more).ok()?)?))
        }
        HirKind::Class(class) if single_folded_byte(class).is_none() => None,
        HirKind::Capture(_) | HirKind::Concat(_) | HirKind::Literal(_) | HirKind::Class(_) => {
            let mut seq = Vec::new();
            flatten(hir, &mut seq);
            concat_reach(&seq, keywords).map(|(reach, _)| reach)
        }
    }
}

/// The expression from the keyword on, when [`reach`] found the keyword spelled in `hir`'s top-level
/// concatenation: it matches at the keyword of every match, so where it does not match (anchored) no match
/// uses that occurrence. Assertions and groups are left out, which only makes it match more.
fn suffix(hir: &Hir, keywords: &[Vec<u8>]) -> Option<Hir> {
    let mut seq = Vec::new();
    flatten(hir, &mut seq);
    let (_, at) = concat_reach(&seq, keywords)?;
    let items = seq[at?..].iter().map(|item| match item {
        Item::Byte { exact: Some(b), .. } => Hir::literal([*b]),
        Item::Byte {
            folded,
            exact: None,
        } => Hir::class(Class::Bytes(ClassBytes::new([
            ClassBytesRange::new(*folded, *folded),
            ClassBytesRange::new(folded.to_ascii_uppercase(), folded.to_ascii_uppercase()),
        ]))),
        Item::Sub(h) => (*h).clone(),
    });
    Some(Hir::concat(items.collect()))
}

/// One position of a flattened concatenation.
enum Item<'h> {
    /// One byte, `folded` up to ASCII case: `exact` when only that byte matches, else either case of it.
    Byte { folded: u8, exact: Option<u8> },
    /// Anything else: a sub-expression with its own reach.
    Sub(&'h Hir),
}

/// The best reach a flattened concatenation offers: a keyword spelled by consecutive fixed bytes, or a
/// sub-expression with a reach of its own, plus the longest the rest of the sequence can be on either side;
/// and the index where the keyword starts when it is spelled in `seq` itself.
fn concat_reach(seq: &[Item], keywords: &[Vec<u8>]) -> Option<(Reach, Option<usize>)> {
    let max_len = |items: &[Item]| -> Option<usize> {
        items.iter().try_fold(0usize, |acc, item| match item {
            Item::Byte { .. } => acc.checked_add(1),
            Item::Sub(h) => acc.checked_add(h.properties().maximum_len()?),
        })
    };
    let mut best: Option<(Reach, Option<usize>)> = None;
    for i in 0..seq.len() {
        let inner = match &seq[i] {
            Item::Sub(h) => reach(h, keywords),
            Item::Byte { .. } => keywords
                .iter()
                .any(|k| spells(&seq[i..], k))
                .then_some(Reach {
                    before: 0,
                    after: 0,
                }),
        };
        let Some(inner) = inner else { continue };
        let (Some(before), Some(after)) = (max_len(&seq[..i]), max_len(&seq[i..])) else {
            continue;
        };
        let candidate = match &seq[i] {
            Item::Sub(h) => (
                inner.then(before, after - h.properties().maximum_len()?),
                None,
            ),
            Item::Byte { .. } => (inner.then(before, after), Some(i)),
        };
        let size = |r: Reach| r.before + r.after;
        if best.is_none_or(|(b, _)| size(candidate.0) < size(b)) {
            best = Some(candidate);
        }
    }
    best
}

/// Whether the sequence starts with the fixed bytes of `keyword`.
fn spells(seq: &[Item], keyword: &[u8]) -> bool {
    seq.len() >= keyword.len()
        && seq
            .iter()
            .zip(keyword)
            .all(|(item, k)| matches!(item, Item::Byte { folded, .. } if folded == k))
}

/// Lays a concatenation out as one item per fixed byte (`[Tt]`, or `t` in a literal) and one per other
/// sub-expression. Zero-width assertions take no position.
fn flatten<'h>(hir: &'h Hir, seq: &mut Vec<Item<'h>>) {
    match hir.kind() {
        HirKind::Look(_) | HirKind::Empty => {}
        HirKind::Literal(lit) => seq.extend(lit.0.iter().map(|&b| Item::Byte {
            folded: b.to_ascii_lowercase(),
            exact: Some(b),
        })),
        HirKind::Class(class) => seq.push(match single_folded_byte(class) {
            Some(folded) => Item::Byte {
                folded,
                exact: None,
            },
            None => Item::Sub(hir),
        }),
        HirKind::Capture(c) => flatten(&c.sub, seq),
        HirKind::Concat(items) => items.iter().for_each(|h| flatten(h, seq)),
        HirKind::Repetition(_) | HirKind::Alternation(_) => seq.push(Item::Sub(hir)),
    }
}

/// The one lowercase ASCII byte every member of `class` equals up to case, if there is one (`[Tt]`).
fn single_folded_byte(class: &Class) -> Option<u8> {
    let members: Vec<u32> = match class {
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .flat_map(|r| u32::from(r.start())..=u32::from(r.end()))
            .take(3)
            .collect(),
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .flat_map(|r| u32::from(r.start())..=u32::from(r.end()))
            .take(3)
            .collect(),
    };
    let first = u8::try_from(*members.first()?).ok()?.to_ascii_lowercase();
    (members.len() <= 2
        && members.iter().all(|&m| {
            u8::try_from(m).is_ok_and(|b| b.is_ascii() && b.to_ascii_lowercase() == first)
        }))
    .then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(pattern: &str, keywords: &[&str]) -> Option<(usize, usize)> {
        let kws: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        ScanRegex::new(pattern, &kws)
            .expect("compiles")
            .window
            .map(|r| (r.before, r.after))
    }

    #[test]
    fn built_in_patterns_compile_small() {
        // A rule's regex is compiled the first time its keyword occurs, so a staged one-file change pays for
        // it: a repetition bounded in the thousands (`{64,4096}`) compiles to megabytes and tens of
        // milliseconds. Prefer `{64,}` after a literal prefix for tokens that may be that long.
        let rules = crate::rules::RuleSet::builtin().expect("built-in rules load");
        for rule in &rules.rules {
            let Some(re) = rule.scan_regex() else {
                continue;
            };
            let size =
                re.regex.memory_usage() + re.suffix.as_ref().map_or(0, meta::Regex::memory_usage);
            assert!(size < 1 << 20, "{}: {} KiB compiled", rule.id, size / 1024);
        }
    }

    #[test]
    fn literal_prefix_and_length_bound() {
        assert_eq!(window(r"ghp_[A-Za-z0-9]{36}", &["ghp_"]), Some((0, 40)));
        assert_eq!(
            window(r"(?-u)\b(?P<secret>ghp_[A-Za-z0-9]{36})\b", &["GHP_"]),
            Some((0, 40))
        );
        assert_eq!(
            window(r"[0-9a-f]{32}-us[0-9]{1,2}", &["-us"]),
            Some((32, 5))
        );
    }

    #[test]
    fn case_insensitive_keyword_across_groups() {
        assert_eq!(
            window(r"(?i-u)x=sk_(?P<s>live_[a-z]{4})", &["SK_LIVE"]),
            Some((2, 12))
        );
        assert_eq!(
            window(r"(?-u)(?i:tok)en=[0-9]{3}", &["token"]),
            Some((0, 9))
        );
    }

    #[test]
    fn every_branch_must_contain_a_keyword() {
        assert_eq!(window(r"(?:a|bb)token(?:x|yy)", &["token"]), Some((2, 7)));
        assert_eq!(
            window(
                r"(?:(?:^|[^a-z])token|_TOKEN|(?:access|auth)[_.-]?token)=[0-9]{4}",
                &["token"]
            ),
            Some((7, 10))
        );
        assert_eq!(
            window(r"(?:xapp-|1xoxb-)[0-9]{4}", &["xapp-", "xoxb-"]),
            Some((1, 9))
        );
        assert_eq!(window(r"(?:xapp-|other)[0-9]{4}", &["xapp-"]), None);
    }

    #[test]
    fn repetitions_reach_from_their_first_round() {
        assert_eq!(window(r"(?:key-[0-9]){2,3}", &["key-"]), Some((0, 15)));
        assert_eq!(window(r"(?:key-[0-9]){0,3}", &["key-"]), None);
        assert_eq!(window(r"(?:key-[0-9])+", &["key-"]), None);
    }

    #[test]
    fn unbounded_or_keyword_free_patterns_have_no_window() {
        assert_eq!(window(r"token\s*=\s*[a-z]+", &["token"]), None);
        assert_eq!(window(r"[a-z]*token=[a-z]{3}", &["token"]), None);
        assert_eq!(window(r"[0-9a-f]{32}", &["heroku"]), None);
        assert_eq!(window(r"(?:token)?[0-9]{4}", &["token"]), None);
        assert_eq!(window(r"t[a-z]ken", &["token"]), None);
    }

    #[test]
    fn unicode_case_folding_is_not_a_fixed_byte() {
        // `(?i)k` also matches KELVIN SIGN, which is not the keyword's byte.
        assert_eq!(window(r"(?i)key-[0-9]{4}", &["key-"]), None);
        assert_eq!(window(r"(?i-u)key-[0-9]{4}", &["key-"]), Some((0, 8)));
    }

    #[test]
    fn the_suffix_checks_the_pattern_from_the_keyword_on() {
        let kws = ["-US".to_string()];
        let re = ScanRegex::new(r"(?-u)\b[0-9a-f]{32}-us[0-9]{1,2}\b", &kws).expect("compiles");
        let suffix = re
            .suffix
            .expect("the keyword is in the top-level concatenation");
        let at = |hay: &[u8]| {
            let input = regex_automata::Input::new(hay).anchored(regex_automata::Anchored::Yes);
            suffix.search_half(&input).map(|m| m.offset())
        };
        assert_eq!(at(b"-us12 "), Some(5));
        assert_eq!(at(b"-user"), None);
        assert_eq!(at(b"x-us1"), None);
        // Keyword first: an anchored search of the pattern itself does the job, no suffix.
        let re = ScanRegex::new(r"-us[0-9]{2}", &kws).expect("compiles");
        assert!(re.window.is_some() && re.suffix.is_none());
    }

    #[test]
    fn builtin_catch_alls_are_searched_around_their_keywords() {
        // Their keywords (`token`, `secret`, `api`, `passw`) are on many lines of ordinary source code, so a
        // pattern edit that loses the window would slow every scan down.
        let rules = crate::rules::RuleSet::builtin().expect("built-in rules load");
        for id in [
            "generic.token",
            "generic.secret",
            "generic.api-key",
            "generic.password",
        ] {
            let re = rules
                .get(id)
                .and_then(|r| r.scan_regex())
                .expect("the rule compiles");
            let reach = re.window.unwrap_or_else(|| panic!("{id} has no window"));
            assert!(reach.before == 0 || re.suffix.is_some(), "{id}: {reach:?}");
        }
    }
}
