//! Allowlists: a global one into `[allowlist]`, a rule's own into that rule's `paths.exclude` and `allow`;
//! what keysweep's OR-of-parts allowlists cannot say is named.

use super::raw::{Lines, Place, RawAllowlist};
use super::{Import, Level, OutRule, goregex};

/// Whether an allowlist can be carried over as an OR of its parts; names what it cannot.
fn allowlist_usable(import: &mut Import, a: &RawAllowlist, at: &Place) -> bool {
    let kinds = [
        !a.commits.is_empty(),
        !a.paths.is_empty(),
        !a.regexes.is_empty(),
        !a.stopwords.is_empty(),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if a.condition
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("and"))
        && kinds > 1
    {
        import.note(
            at.key("condition"),
            Level::Unmapped,
            "allowlist with condition = \"AND\" over several kinds of check: keysweep's allowlists are ORs; not imported",
        );
        return false;
    }
    if !a.commits.is_empty() {
        import.note(
            at.key("commits"),
            Level::Unmapped,
            format!("allowlist commits ({}): keysweep does not allowlist by commit; baseline those findings instead (`keysweep baseline create`)", a.commits.len()),
        );
    }
    true
}

/// The regexes of an allowlist that test the secret, translated; names those that test something else.
fn secret_regexes(import: &mut Import, a: &RawAllowlist, at: &Place) -> Vec<String> {
    if a.regexes.is_empty() {
        return Vec::new();
    }
    let target = a
        .regextarget
        .as_deref()
        .unwrap_or("secret")
        .to_ascii_lowercase();
    if target != "secret" && !target.is_empty() {
        import.note(
            at.key("regextarget"),
            Level::Unmapped,
            format!("allowlist regexes with regexTarget = {target:?} ({}): keysweep's allowlist regexes test the secret only", a.regexes.len()),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for re in &a.regexes {
        let checked = goregex::translate(re, None).and_then(|t| {
            regex::RegexBuilder::new(&t.pattern)
                .size_limit(10 * (1 << 20))
                .build()
                .map(|_| t.pattern)
                .map_err(|e| {
                    e.to_string()
                        .lines()
                        .last()
                        .unwrap_or("")
                        .trim()
                        .to_string()
                })
        });
        match checked {
            Ok(p) => out.push(p),
            Err(why) => import.note(
                at.key("paths"),
                Level::Unmapped,
                format!("allowlist regex {re:?}: {why}"),
            ),
        }
    }
    out
}

fn globs_of(import: &mut Import, a: &RawAllowlist, at: &Place) -> Vec<String> {
    let mut out = Vec::new();
    for p in &a.paths {
        match goregex::path_globs(p) {
            Ok(g) => out.extend(g),
            Err(why) => import.note(
                at.key("paths"),
                Level::Unmapped,
                format!("allowlist path {p:?} has no exact glob ({why}); add an equivalent glob to [allowlist] paths by hand"),
            ),
        }
    }
    out
}

pub(super) fn import_global_allowlist(
    import: &mut Import,
    a: &RawAllowlist,
    lines: &Lines<'_>,
    line: usize,
) {
    let at = lines.place(line);
    if !allowlist_usable(import, a, &at) {
        return;
    }
    let globs = globs_of(import, a, &at);
    let regexes = secret_regexes(import, a, &at);
    let what = format!(
        "{} path glob(s), {} regex(es), {} stopword(s)",
        globs.len(),
        regexes.len(),
        a.stopwords.len()
    );
    let carried = globs.len() + regexes.len() + a.stopwords.len();
    import.allowlist.paths.extend(globs);
    import.allowlist.regexes.extend(regexes);
    import
        .allowlist
        .stopwords
        .extend(a.stopwords.iter().cloned());
    if carried > 0 {
        import.note(
            at.head(),
            Level::Mapped,
            format!("allowlist → [allowlist]: {what}"),
        );
    }
}

/// Carries a per-rule allowlist into the rule: paths to `paths.exclude`, secret regexes and stopwords to
/// `allow`. Returns what it carried.
pub(super) fn rule_allowlist(
    import: &mut Import,
    rule: &mut OutRule,
    a: &RawAllowlist,
    at: &Place,
) -> String {
    if !allowlist_usable(import, a, at) {
        return "nothing".into();
    }
    let globs = globs_of(import, a, at);
    let regexes = secret_regexes(import, a, at);
    let what = format!(
        "{} path glob(s), {} regex(es), {} stopword(s)",
        globs.len(),
        regexes.len(),
        a.stopwords.len()
    );
    rule.paths.exclude.extend(globs);
    rule.allow.extend(regexes);
    rule.allow.extend(
        a.stopwords
            .iter()
            .map(|w| format!("(?i){}", regex_syntax::escape(w))),
    );
    what
}
