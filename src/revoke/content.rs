//! A file or blob the plan re-reads secrets from, scanned once per plan: its matches indexed by fingerprint and
//! its lines indexed, so each finding located in it costs a lookup instead of a read and a scan.

use std::collections::HashMap;

use crate::model::{BlobId, fingerprint_key, fingerprint_token};
use crate::scan::Scanner;

/// One match of the scanner in a [`Content`], with what checking it against a finding needs.
pub(super) struct Found {
    /// The secret's text.
    pub(super) text: String,
    /// The rule that matched.
    pub(super) rule: usize,
    /// DER SPKI of its public key, when it is a private key that decodes.
    pub(super) spki: Option<Vec<u8>>,
    /// The key id the rule found with it.
    pub(super) key_id: Option<String>,
    /// The issuer id the rule found with it.
    pub(super) issuer_id: Option<String>,
    /// The rules that name it where the file's name is evidence (see `Match::gated`).
    pub(super) gated: Vec<usize>,
}

/// A file or blob read for the plan: its text, where its lines start, and the scanner's matches in it.
pub(super) struct Content {
    /// The text as read, invalid UTF-8 replaced, where secrets are looked for by position.
    text: String,
    /// Where each line of `text` starts; the text's length last when it ends with a line break.
    line_starts: Vec<usize>,
    /// The scanner's matches, in its order.
    found: Vec<Found>,
    /// The first match with a fingerprint, as its own rule gives it or as its key's.
    by_fingerprint: HashMap<String, usize>,
    /// Per rule id of a finding, the first match whose text has a fingerprint under that rule (built when a
    /// finding of that rule first asks).
    by_rule: HashMap<String, HashMap<String, usize>>,
}

impl Content {
    /// Scans `bytes` (blob `id`) and indexes what it found.
    pub(super) fn new(bytes: &[u8], id: BlobId, scanner: &Scanner) -> Content {
        let rules = scanner.rules();
        let mut found = Vec::new();
        let mut by_fingerprint = HashMap::new();
        for m in scanner.scan(id, bytes) {
            let Some(text) = m.secret.reveal() else {
                continue;
            };
            let spki = m
                .key
                .as_ref()
                .map(|k| k.spki_der.clone())
                .or_else(|| crate::keys::parsed_spki(text.as_bytes()));
            let i = found.len();
            by_fingerprint
                .entry(fingerprint_token(&rules.rules[m.rule].id, text))
                .or_insert(i);
            if let Some(spki) = &spki {
                by_fingerprint.entry(fingerprint_key(spki)).or_insert(i);
            }
            found.push(Found {
                text: text.to_string(),
                rule: m.rule,
                spki,
                key_id: m.key_id,
                issuer_id: m.issuer_id,
                gated: m.gated,
            });
        }
        let text = String::from_utf8_lossy(bytes).into_owned();
        let line_starts = line_starts(&text);
        Content {
            text,
            line_starts,
            found,
            by_fingerprint,
            by_rule: HashMap::new(),
        }
    }

    /// The first match (in the scanner's order) that is a finding's secret: a finding of rule `rule_id` with
    /// `fingerprint` is the secret of a match whose text has that fingerprint under the finding's rule or under
    /// its own, or whose key has it.
    pub(super) fn find(&mut self, rule_id: &str, fingerprint: &str) -> Option<&Found> {
        let found = &self.found;
        let under_rule = self.by_rule.entry(rule_id.to_string()).or_insert_with(|| {
            let mut index = HashMap::new();
            for (i, f) in found.iter().enumerate() {
                index
                    .entry(fingerprint_token(rule_id, &f.text))
                    .or_insert(i);
            }
            index
        });
        let first = [
            under_rule.get(fingerprint),
            self.by_fingerprint.get(fingerprint),
        ]
        .into_iter()
        .flatten()
        .min()?;
        self.found.get(*first)
    }

    /// The candidate secrets starting at a 1-based line and column (code points): a PEM block (also
    /// `\n`-escaped inside a string), a base64 key body, or a token. Used when no rule re-finds the secret there.
    pub(super) fn at_position(&self, line: usize, column: usize) -> Vec<String> {
        at_position(&self.text, &self.line_starts, line, column)
    }
}

/// Where each line of `text` starts: 0, then just past every line break.
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    starts
}

/// [`Content::at_position`] in `text`, whose lines start at `line_starts`.
fn at_position(text: &str, line_starts: &[usize], line: usize, column: usize) -> Vec<String> {
    let start_of_line = line_starts
        .get(line.saturating_sub(1))
        .copied()
        .unwrap_or(text.len());
    let Some(rest) = text.get(start_of_line..) else {
        return Vec::new();
    };
    let Some((off, _)) = rest.char_indices().nth(column.saturating_sub(1)) else {
        return Vec::new();
    };
    let rest = &rest[off..];
    let mut out = Vec::new();
    if rest.starts_with("-----BEGIN")
        && let Some(end) = rest.find("-----END")
        && let Some(close) = rest[end + 8..].find("-----")
    {
        out.push(rest[..end + 8 + close + 5].to_string());
    }
    let body = key_body(rest);
    if body.len() >= 64 {
        out.push(body.to_string());
    }
    for extra in ["", "."] {
        let tok: String = rest
            .chars()
            .take_while(|c| {
                c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || extra.contains(*c)
            })
            .collect();
        if !tok.is_empty() && !out.contains(&tok) {
            out.push(tok);
        }
    }
    out
}

/// A base64 key body starting at `rest`: base64 characters, `\n`/`\r` escapes, and line breaks followed by
/// indentation (the armourless `.p8` body, wrapped or not, and base64 of a whole PEM).
fn key_body(rest: &str) -> &str {
    let bytes = rest.as_bytes();
    let mut i = 0;
    let mut end = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=' {
            i += 1;
            end = i;
        } else if b == b'\\' && matches!(bytes.get(i + 1), Some(b'n' | b'r')) {
            i += 2;
        } else if b == b'\r' || b == b'\n' {
            i += 1;
            while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                i += 1;
            }
        } else {
            break;
        }
    }
    &rest[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The candidates at a position of `bytes`.
    fn at(bytes: &[u8], line: usize, column: usize) -> Vec<String> {
        let text = String::from_utf8_lossy(bytes);
        at_position(&text, &line_starts(&text), line, column)
    }

    #[test]
    fn token_at_position() {
        let bytes = b"a = 1\ntoken = \"glpat-abcDEF_123\"\n";
        assert_eq!(at(bytes, 2, 10), vec!["glpat-abcDEF_123".to_string()]);
        assert!(at(bytes, 9, 1).is_empty());
        assert!(
            at(bytes, 3, 1).is_empty(),
            "the empty line after the last break"
        );
    }

    /// Every encoding the key rules find is re-read from its position and yields the same public key.
    #[test]
    fn keys_at_position_in_every_encoding() {
        use crate::keys::{KeyParse, generate_example, parse_private_key};
        let spki_of = |text: &str| match parse_private_key(text.as_bytes()) {
            KeyParse::Parsed(k) => Some(k.spki_der),
            _ => None,
        };
        let pem = generate_example("key-p256-pkcs8-pem", "reread").expect("generator");
        let want = spki_of(&pem).expect("the generated key parses");
        for name in [
            "key-p256-pkcs8-pem",
            "key-p256-pkcs8-pem-crlf",
            "key-p256-pkcs8-escaped",
            "key-p256-pkcs8-escaped-crlf",
            "key-p256-pkcs8-body",
            "key-p256-pkcs8-body-wrapped",
            "key-p256-pkcs8-b64pem",
        ] {
            let enc = generate_example(name, "reread").expect("generator");
            // As a JSON/YAML value on line 2, column 10, indented continuation lines for wrapped bodies.
            let file = format!(
                "# fake key for a keysweep test\nkey: \"{}\"\nnext: 1\n",
                enc.replace('\n', "\n  ")
            );
            let col = "key: \"".chars().count() + 1;
            let found = at(file.as_bytes(), 2, col)
                .iter()
                .any(|c| spki_of(c).as_deref() == Some(want.as_slice()));
            assert!(found, "{name}: not re-read from {file:?}");
        }
    }
}
