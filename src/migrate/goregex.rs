//! Go regular expressions (RE2 syntax, as gitleaks and Betterleaks write them) made into keysweep's: the
//! ASCII-only classes of Go (`\w`, `\d`, `\s`, `\b`) spelled out so the Unicode-aware Rust engine matches what
//! Go matched (and keeps its fast DFA, which Unicode word boundaries would cost), `\Q…\E` quoted, octal
//! escapes as hex, and gitleaks' `secretGroup` made the named group `secret`. Path regexes become globs where
//! a glob says exactly the same; otherwise the caller names the regex as not mapped.

use regex_syntax::hir::{self, Class, Hir, HirKind, Look};

/// The longest pattern accepted (bytes): gitleaks' longest default pattern is under 1 KiB.
pub const MAX_PATTERN: usize = 16 * 1024;

/// Rewrites a Go regex for Rust's `regex` crate. With `Some(n)`, group `n` (gitleaks' `secretGroup`; 0: the
/// first group) becomes the named group `secret`. Errors say what has no equivalent.
pub fn translate(go: &str, secret_group: Option<usize>) -> Result<Translated, String> {
    if go.len() > MAX_PATTERN {
        return Err(format!(
            "pattern of {} bytes, over the {MAX_PATTERN}-byte limit",
            go.len()
        ));
    }
    let chars: Vec<char> = go.chars().collect();
    let mut out = String::with_capacity(go.len() + 16);
    let mut notes = Vec::new();
    let mut class_depth = 0usize; // inside `[...]` (nested `[[:alpha:]]` counted)
    let mut groups = 0usize;
    let target = secret_group.map_or(usize::MAX, |g| g.max(1));
    let mut named_target = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err("trailing backslash".into());
                };
                i += 2;
                let inside = class_depth > 0;
                match e {
                    'b' | 'B' if !inside => {
                        out.push_str(if e == 'b' { r"(?-u:\b)" } else { r"(?-u:\B)" })
                    }
                    'w' => out.push_str(if inside { "0-9A-Za-z_" } else { "[0-9A-Za-z_]" }),
                    'W' => out.push_str(if inside { "[:^word:]" } else { "[^0-9A-Za-z_]" }),
                    'd' => out.push_str(if inside { "0-9" } else { "[0-9]" }),
                    'D' => out.push_str(if inside { "[:^digit:]" } else { "[^0-9]" }),
                    's' => out.push_str(if inside { r"\t\n\f\r " } else { r"[\t\n\f\r ]" }),
                    'S' => out.push_str(if inside {
                        "[:^space:]"
                    } else {
                        r"[^\t\n\f\r ]"
                    }),
                    'C' => return Err(r"`\C` (any single byte) has no equivalent".into()),
                    'Q' => {
                        let rest: String = chars[i..].iter().collect();
                        let (quoted, tail) = match rest.find(r"\E") {
                            Some(end) => (&rest[..end], end + 2),
                            None => (rest.as_str(), rest.len()),
                        };
                        if inside {
                            return Err(r"`\Q…\E` inside a character class".into());
                        }
                        out.push_str(&regex_syntax::escape(quoted));
                        i += rest[..tail].chars().count();
                    }
                    '0'..='7' => {
                        // Go reads up to three octal digits; Rust has no octal escapes by default.
                        let mut value = e.to_digit(8).expect("an octal digit");
                        let mut n = 1;
                        while n < 3
                            && let Some(d) = chars.get(i).and_then(|c| c.to_digit(8))
                        {
                            value = value * 8 + d;
                            i += 1;
                            n += 1;
                        }
                        if e != '0' && n == 1 {
                            return Err(format!(
                                "`\\{e}` is a back-reference, which neither Go nor Rust supports"
                            ));
                        }
                        out.push_str(&format!("\\x{{{value:02X}}}"));
                    }
                    '8' | '9' => {
                        return Err(format!(
                            "`\\{e}` is a back-reference, which neither Go nor Rust supports"
                        ));
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                continue;
            }
            '[' if class_depth > 0 && chars.get(i + 1) == Some(&':') => {
                // `[:alpha:]` inside a class: copy through its closing `:]`.
                let rest: String = chars[i..].iter().collect();
                let end = rest.find(":]").map_or(rest.len(), |e| e + 2);
                out.push_str(&rest[..end]);
                i += rest[..end].chars().count();
                continue;
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                i += 1;
                // A `]` right after `[` or `[^` is a literal in both dialects.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
                continue;
            }
            '{' if class_depth == 0 && !starts_repetition(&chars[i..]) => {
                // Go reads a `{` that opens no `{n}`, `{n,}` or `{n,m}` as a literal; Rust refuses it.
                out.push_str(r"\{");
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            '(' if class_depth == 0 => {
                let rest: String = chars[i..chars.len().min(i + 64)].iter().collect();
                let named = ["(?P<", "(?<"].iter().find(|p| {
                    rest.starts_with(**p) && !rest.starts_with("(?<=") && !rest.starts_with("(?<!")
                });
                if rest.starts_with("(?=")
                    || rest.starts_with("(?!")
                    || rest.starts_with("(?<=")
                    || rest.starts_with("(?<!")
                {
                    return Err(
                        "look-around (`(?=`, `(?!`, `(?<=`, `(?<!`) is not supported".into(),
                    );
                }
                let capturing = named.is_some() || !rest.starts_with("(?");
                if !capturing {
                    out.push('(');
                    i += 1;
                    continue;
                }
                groups += 1;
                let name_len = match named {
                    Some(prefix) => {
                        let close = rest.find('>').ok_or("unterminated group name")?;
                        let name = &rest[prefix.len()..close];
                        if groups != target && name == "secret" {
                            out.push_str("(?P<gitleaks_secret>");
                            i += rest[..=close].chars().count();
                            continue;
                        }
                        rest[..=close].chars().count()
                    }
                    None => 1,
                };
                if groups == target {
                    out.push_str("(?P<secret>");
                    named_target = true;
                    i += name_len;
                } else {
                    let text: String = chars[i..i + name_len].iter().collect();
                    out.push_str(&text);
                    i += name_len;
                }
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if let Some(secret_group) = secret_group.filter(|&g| g > 0)
        && !named_target
    {
        return Err(format!(
            "secretGroup = {secret_group}, but the regex has {groups} capture group(s)"
        ));
    }
    if secret_group == Some(0) && groups > 1 {
        notes.push(
            "no secretGroup and several groups: gitleaks took the first non-empty group, keysweep takes group 1"
                .to_string(),
        );
    }
    Ok(Translated {
        pattern: out,
        notes,
    })
}

/// Whether `chars` starts with a counted repetition, `{n}`, `{n,}` or `{n,m}`.
fn starts_repetition(chars: &[char]) -> bool {
    let text: String = chars.iter().take(24).collect();
    let Some(body) = text
        .strip_prefix('{')
        .and_then(|t| t.split_once('}'))
        .map(|(b, _)| b)
    else {
        return false;
    };
    let (min, max) = body.split_once(',').unwrap_or((body, "0"));
    !min.is_empty()
        && min.bytes().all(|b| b.is_ascii_digit())
        && max.bytes().all(|b| b.is_ascii_digit())
}

/// A translated regex and what changed in its meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The Rust pattern.
    pub pattern: String,
    /// Differences worth telling the user.
    pub notes: Vec<String>,
}

/// Keywords for a rule that has none: the literal prefixes (else suffixes) every match has, lowercased, each at
/// least three bytes, at most eight of them. `None` when the regex has no such literal.
pub fn derive_keywords(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    for kind in [
        hir::literal::ExtractKind::Prefix,
        hir::literal::ExtractKind::Suffix,
    ] {
        let mut extractor = hir::literal::Extractor::new();
        extractor.kind(kind);
        let seq = extractor.extract(&hir);
        let Some(lits) = seq.literals() else { continue };
        // Keywords compare ASCII case-insensitively: the Kelvin sign of `(?i)k` adds nothing.
        let mut words: Vec<String> = lits
            .iter()
            .filter(|l| l.as_bytes().is_ascii())
            .map(|l| String::from_utf8_lossy(l.as_bytes()).to_ascii_lowercase())
            .collect();
        words.sort();
        words.dedup();
        if !words.is_empty() && words.len() <= 8 && words.iter().all(|w| w.len() >= 3) {
            return Some(words);
        }
    }
    None
}

/// The most globs one path regex may expand to.
const MAX_GLOBS: usize = 64;

/// A path regex (matched anywhere in a `/`-separated path, as gitleaks does) as globs that together match
/// exactly the same paths (globset's default: `*` crosses `/`). Errors say which part a glob cannot say.
pub fn path_globs(re: &str) -> Result<Vec<String>, String> {
    if re.len() > MAX_PATTERN {
        return Err("path regex over the size limit".into());
    }
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(re)
        .map_err(|e| first_line(&e.to_string()))?;
    let alternatives = expand(&hir)?;
    let mut globs = Vec::new();
    for alt in alternatives {
        let mut body = String::new();
        let (mut start, mut end) = (false, false);
        let n = alt.len();
        for (k, piece) in alt.into_iter().enumerate() {
            match piece {
                Piece::Start if k == 0 => start = true,
                Piece::End if k + 1 == n => end = true,
                Piece::Start | Piece::End => return Err("an anchor in the middle".into()),
                Piece::Text(t) => body.push_str(&t),
            }
        }
        let glob = format!(
            "{}{body}{}",
            if start { "" } else { "*" },
            if end { "" } else { "*" }
        );
        let mut collapsed = String::with_capacity(glob.len());
        for c in glob.chars() {
            if !(c == '*' && collapsed.ends_with('*')) {
                collapsed.push(c);
            }
        }
        if !globs.contains(&collapsed) {
            globs.push(collapsed);
        }
    }
    Ok(globs)
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

/// One step of a glob being built.
#[derive(Clone, Debug)]
enum Piece {
    Start,
    End,
    Text(String),
}

/// Every way through `hir` as a sequence of glob pieces.
fn expand(hir: &Hir) -> Result<Vec<Vec<Piece>>, String> {
    let one = |p: Piece| Ok(vec![vec![p]]);
    match hir.kind() {
        HirKind::Empty => Ok(vec![vec![]]),
        HirKind::Literal(hir::Literal(bytes)) => {
            let text = std::str::from_utf8(bytes).map_err(|_| "a non-UTF-8 literal")?;
            one(Piece::Text(glob_literal(text)?))
        }
        HirKind::Class(class) => one(Piece::Text(glob_class(class)?)),
        HirKind::Look(Look::Start | Look::StartLF) => one(Piece::Start),
        HirKind::Look(Look::End | Look::EndLF) => one(Piece::End),
        HirKind::Look(_) => Err("a word boundary".into()),
        HirKind::Capture(c) => expand(&c.sub),
        HirKind::Repetition(r) => {
            let any = match r.sub.kind() {
                HirKind::Class(c) => is_any(c),
                _ => false,
            };
            match (any, r.min, r.max) {
                (true, 0, None) => one(Piece::Text("*".into())),
                (true, 1, None) => one(Piece::Text("?*".into())),
                (_, min, Some(max)) if max <= 4 => {
                    let sub = expand(&r.sub)?;
                    let mut all = Vec::new();
                    for count in min..=max {
                        let mut seqs: Vec<Vec<Piece>> = vec![vec![]];
                        for _ in 0..count {
                            seqs = product(&seqs, &sub)?;
                        }
                        all.extend(seqs);
                        if all.len() > MAX_GLOBS {
                            return Err("too many alternatives".into());
                        }
                    }
                    Ok(all)
                }
                _ => Err("a repetition other than `.*`, `.+` or a short count".into()),
            }
        }
        HirKind::Concat(subs) => {
            let mut seqs: Vec<Vec<Piece>> = vec![vec![]];
            for s in subs {
                seqs = product(&seqs, &expand(s)?)?;
            }
            Ok(seqs)
        }
        HirKind::Alternation(subs) => {
            let mut all = Vec::new();
            for s in subs {
                all.extend(expand(s)?);
                if all.len() > MAX_GLOBS {
                    return Err("too many alternatives".into());
                }
            }
            Ok(all)
        }
    }
}

fn product(a: &[Vec<Piece>], b: &[Vec<Piece>]) -> Result<Vec<Vec<Piece>>, String> {
    if a.len() * b.len() > MAX_GLOBS {
        return Err("too many alternatives".into());
    }
    Ok(a.iter()
        .flat_map(|x| {
            b.iter().map(move |y| {
                let mut v = x.clone();
                v.extend(y.iter().cloned());
                v
            })
        })
        .collect())
}

/// Whether a class matches every character but possibly the newline (`.`, `(?s).`): paths hold no newline.
fn is_any(class: &Class) -> bool {
    match class {
        Class::Unicode(c) => {
            let mut missing = c.clone();
            missing.negate();
            missing
                .ranges()
                .iter()
                .all(|r| r.start() == '\n' && r.end() == '\n')
        }
        Class::Bytes(_) => false,
    }
}

/// A literal as glob text: glob metacharacters in brackets.
fn glob_literal(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' | '?' | '[' | '{' | '}' | ',' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            ']' => out.push_str("[]]"),
            '\\' => return Err("a backslash in a path".into()),
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// A character class as a glob class (`[a-z]`, `[!/]`), or one character.
fn glob_class(class: &Class) -> Result<String, String> {
    let Class::Unicode(c) = class else {
        return Err("a byte class".into());
    };
    let ranges: Vec<(char, char)> = c.ranges().iter().map(|r| (r.start(), r.end())).collect();
    if let [(a, b)] = ranges[..]
        && a == b
    {
        return glob_literal(&a.to_string());
    }
    // A negated class (runs to the last char): say what it leaves out.
    let (negated, ranges) = if ranges.last().is_some_and(|r| r.1 == char::MAX) {
        let mut c = c.clone();
        c.negate();
        (
            true,
            c.ranges().iter().map(|r| (r.start(), r.end())).collect(),
        )
    } else {
        (false, ranges)
    };
    let mut items: Vec<String> = Vec::new();
    let mut dash = false;
    for (x, y) in ranges {
        if x == y && x == '-' {
            dash = true;
            continue;
        }
        if [x, y].iter().any(|c| matches!(c, ']' | '\\' | '-' | '[')) {
            return Err("a class naming `]`, `[`, `-` or a backslash".into());
        }
        items.push(if x == y {
            x.to_string()
        } else {
            format!("{x}-{y}")
        });
    }
    // `!` or `^` first would negate the class.
    if items.first().is_some_and(|i| i.starts_with(['!', '^'])) {
        items.rotate_left(1);
    }
    if items.first().is_some_and(|i| i.starts_with(['!', '^'])) || (items.is_empty() && !dash) {
        return Err("a class a glob cannot spell".into());
    }
    let mut out = String::from(if negated { "[!" } else { "[" });
    out.extend(items);
    if dash {
        out.push('-');
    }
    out.push(']');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rust(go: &str, group: usize) -> String {
        translate(go, Some(group)).expect("translates").pattern
    }

    #[test]
    fn ascii_classes_are_spelled_out() {
        assert_eq!(
            rust(r"\bkey_\w{4}\b", 0),
            r"(?-u:\b)key_[0-9A-Za-z_]{4}(?-u:\b)"
        );
        assert_eq!(rust(r"[\w.-]+\s\d", 0), r"[0-9A-Za-z_.-]+[\t\n\f\r ][0-9]");
        assert_eq!(rust(r"[^\S\W]", 0), r"[^[:^space:][:^word:]]");
        // A Unicode letter in Rust's `\w` is no word character in Go's.
        let re = regex::Regex::new(&rust(r"^\w+$", 0)).expect("compiles");
        assert!(re.is_match("abc_1"));
        assert!(!re.is_match("ключ"));
    }

    #[test]
    fn secret_group_becomes_named() {
        assert_eq!(rust(r"tok=(a+)(b+)", 2), r"tok=(a+)(?P<secret>b+)");
        assert_eq!(rust(r"tok=(?:x)(?P<val>a+)", 1), r"tok=(?:x)(?P<secret>a+)");
        assert_eq!(rust(r"(?i)tok=(a+)", 0), r"(?i)tok=(?P<secret>a+)");
        assert_eq!(rust(r"[(]tok=(a+)", 1), r"[(]tok=(?P<secret>a+)");
        assert!(translate(r"tok=(a+)", Some(3)).is_err());
        let t = translate(r"(a)|(b)", Some(0)).expect("translates");
        assert_eq!(t.notes.len(), 1, "first non-empty group differs: {t:?}");
    }

    #[test]
    fn go_only_syntax_is_rewritten_or_named() {
        assert_eq!(rust(r"\Qa.b\E+", 0), r"a\.b+");
        assert_eq!(rust(r"\101\0", 0), r"\x{41}\x{00}");
        assert!(
            translate(r"(a)\1", None)
                .expect_err("backref")
                .contains("back-reference")
        );
        assert!(
            translate(r"a(?=b)", None)
                .expect_err("lookahead")
                .contains("look-around")
        );
        assert!(translate(r"\C", None).is_err());
        assert_eq!(rust(r"[]a]", 0), r"[\]a]");
        assert_eq!(rust(r"[[:alpha:]_]", 0), r"[[:alpha:]_]");
        // A brace that opens no counted repetition is a literal in Go.
        assert_eq!(rust(r"^\$(?:\d+|{\d+})$", 0), r"^\$(?:[0-9]+|\{[0-9]+})$");
        assert_eq!(
            rust(r"\${{x}}a{2}b{1,}c{2,3}", 0),
            r"\$\{\{x}}a{2}b{1,}c{2,3}"
        );
    }

    #[test]
    fn keywords_from_literal_prefixes() {
        assert_eq!(
            derive_keywords(r"acme_[a-z0-9]{32}"),
            Some(vec!["acme_".into()])
        );
        assert_eq!(
            derive_keywords(r"(?i)(?:tok|key)_[a-z]{8}"),
            Some(vec!["key_".into(), "tok_".into()])
        );
        assert_eq!(derive_keywords(r"[a-f0-9]{40}"), None);
    }

    fn matches(globs: &[String], path: &str) -> bool {
        globs.iter().any(|g| {
            globset::Glob::new(g)
                .expect("valid glob")
                .compile_matcher()
                .is_match(path)
        })
    }

    #[test]
    fn path_regexes_become_equivalent_globs() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                r"node_modules",
                &["node_modules/a.js", "web/node_modules/x/y"],
                &["src/app.js"],
            ),
            (
                r"\.lock$",
                &["Cargo.lock", "a/b/yarn.lock"],
                &["a.lock/x", "lock"],
            ),
            (
                r"^docs/.*\.md$",
                &["docs/a.md", "docs/x/y.md"],
                &["src/docs/a.md", "docs/a.mdx"],
            ),
            (
                r"(^|/)tests?/",
                &["tests/a", "x/test/b", "test/c"],
                &["contest/a", "testing/a"],
            ),
            (r"(?i)readme", &["README.md", "a/ReadMe"], &["read.me"]),
            (r"fixtures/[a-z]+\.pem", &[], &[]),
            (r"(.*?)(jpg|png)$", &["a/b.jpg", "c.png"], &["a.jpeg"]),
            (
                r"^\.env\.example$",
                &[".env.example"],
                &["a/.env.example", ".env_example"],
            ),
        ];
        for (re, yes, no) in cases {
            let globs = match path_globs(re) {
                Ok(g) => g,
                Err(e) => {
                    assert!(yes.is_empty(), "{re}: {e}");
                    continue;
                }
            };
            let rx = regex::Regex::new(re).expect("valid regex");
            for p in *yes {
                assert!(rx.is_match(p), "{re} on {p}");
                assert!(matches(&globs, p), "{re} → {globs:?} on {p}");
            }
            for p in *no {
                assert!(!rx.is_match(p), "{re} on {p}");
                assert!(!matches(&globs, p), "{re} → {globs:?} on {p}");
            }
        }
        // What a glob cannot say exactly is refused rather than widened.
        assert!(path_globs(r"^src/[^/]+\.go$").is_err());
        assert!(path_globs(r"\bkey\b").is_err());
    }
}
