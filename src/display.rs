//! Text for people, made safe: anything that came from scanned data or a user's file (paths, author names, snippet
//! lines, rule names, error messages) is escaped before it reaches a terminal, and TOML errors name the line and
//! column without echoing the line, which may hold a secret. (Ids are shortened by characters by
//! `crate::model::short`.)

use std::borrow::Cow;
use std::fmt::Write as _;

/// Escapes what could rewrite or retitle a terminal: control characters (ESC, CR, newlines, BEL, DEL, C1) and
/// the bidirectional overrides that reorder text on screen, each written as `\u{…}`. Tabs stay. A byte of a file
/// name that is not UTF-8 (see [`crate::model::path`]) is written `\xNN`.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if let Some(b) = crate::model::path::escaped_byte(c) {
            let _ = write!(out, "\\x{b:02x}");
        } else if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    crate::model::path::is_escaped(c)
        || (c.is_control() && c != '\t')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// An error message in the user's words: libgit2's `; class=Reference (4); code=NotFound (-3)` tails, which
/// say nothing to a user, are dropped.
pub fn plain_error(message: &str) -> Cow<'_, str> {
    static TAIL: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let tail = TAIL.get_or_init(|| {
        regex::Regex::new(r"; class=[A-Za-z]+ \(-?\d+\)(; code=[A-Za-z]+ \(-?\d+\))?").ok()
    });
    match tail {
        Some(re) => re.replace_all(message, ""),
        None => Cow::Borrowed(message),
    }
}

/// An error for the terminal: its whole chain, in the user's words ([`plain_error`]), escaped ([`escape`]).
pub fn user_error(err: &anyhow::Error) -> String {
    escape(&plain_error(&format!("{err:#}"))).into_owned()
}

/// A TOML parse error as `what: line N, column M: message`, without the source line that the error's own `Display`
/// quotes: a token pasted into a config or inventory file must not be printed back.
pub fn toml_error(what: &str, text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end_matches('\n');
    match e.span() {
        Some(span) => {
            let upto = &text.as_bytes()[..span.start.min(text.len())];
            let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&upto[line_start..]).chars().count() + 1;
            format!("{what}: line {line}, column {column}: {message}")
        }
        None => format!("{what}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_in_file_names_are_shown_not_obeyed() {
        assert_eq!(escape("src/app.env"), "src/app.env");
        assert_eq!(
            escape("a\x1b]0;owned\x07b\rc\nd\te"),
            "a\\u{1b}]0;owned\\u{7}b\\u{d}c\\u{a}d\te"
        );
        assert_eq!(escape("x\u{202E}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
    }

    #[test]
    fn libgit2_class_and_code_tails_are_dropped() {
        let e = git2::Error::new(
            git2::ErrorCode::NotFound,
            git2::ErrorClass::Reference,
            "revspec 'nope' not found",
        );
        let err = anyhow::Error::new(e).context("\"nope\": unknown revision");
        assert_eq!(
            user_error(&err),
            "\"nope\": unknown revision: revspec 'nope' not found"
        );
        assert_eq!(
            plain_error("no tail here; class is fine"),
            "no tail here; class is fine"
        );
    }

    #[test]
    fn toml_errors_do_not_echo_the_line() {
        let text = "[scan]\nmax_file_size = ghp_FAKEFAKEFAKEFAKE\n";
        let e = toml::from_str::<toml::Value>(text).expect_err("invalid TOML");
        let shown = toml_error(".keysweep.toml", text, &e);
        assert!(!shown.contains("FAKEFAKE"), "{shown}");
        assert!(
            shown.starts_with(".keysweep.toml: line 2, column "),
            "{shown}"
        );
    }
}
