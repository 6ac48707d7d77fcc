//! Secrets stored in another encoding than the text around them.
//!
//! - **UTF-16 text** (PowerShell scripts, `.reg` exports and config files saved by Windows editors) has a NUL
//!   in every other byte, so it would be skipped as binary; it is transcoded to UTF-8 and matched as text.
//! - **Base64 values** (a Kubernetes `Secret`'s `data:`, a `*_B64` CI variable, `base64 -w0 < key.json`)
//!   hide the token's own prefix. Where a trigger word says such values are near, each base64 value near it
//!   is decoded and the decoded text matched like a blob of its own (see `Scanner::scan_candidates`).

use std::borrow::Cow;
use std::ops::Range;

use base64::Engine as _;

use crate::sniff::{has_bom, utf16_order};

/// How far from a trigger word base64 values are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scope {
    /// Values that start on the trigger's line or the next (`ASC_KEY_B64=…`, `echo … | base64 -d`,
    /// `KEY_BASE64: |` followed by wrapped lines).
    Line,
    /// Every value in the blob (a Kubernetes `Secret`'s `data:` entries may come before or after its `kind`).
    Blob,
}

/// Words near which base64-encoded secrets are common: explicit base64 (`ASC_KEY_B64`, `base64 -d`,
/// `base64encode(...)`), HTTP basic credentials (`Authorization: Basic …`, git's `extraheader`, whose password
/// is often a token), npm's `_auth`, and Kubernetes `Secret` manifests (YAML and JSON), whose `data:` values
/// are base64.
pub(super) const TRIGGERS: &[(&str, Scope)] = &[
    ("base64", Scope::Line),
    ("b64", Scope::Line),
    ("basic ", Scope::Line),
    ("_auth", Scope::Line),
    ("kind: secret", Scope::Blob),
    ("\"kind\": \"secret\"", Scope::Blob),
    ("\"kind\":\"secret\"", Scope::Blob),
];

/// The stretches of a blob whose base64 values are decoded, given the trigger occurrences (offset just past
/// each, and its scope) in blob order: disjoint, in order, the whole blob when any scope is.
pub(super) fn stretches(bytes: &[u8], triggers: &[(usize, Scope)]) -> Vec<Range<usize>> {
    if triggers.iter().any(|&(_, scope)| scope == Scope::Blob) {
        let whole = 0..bytes.len();
        return vec![whole];
    }
    let mut out: Vec<Range<usize>> = Vec::new();
    for &(end, _) in triggers {
        let start = memchr::memrchr(b'\n', &bytes[..end]).map_or(0, |i| i + 1);
        // Through the end of the next line.
        let mut stop = end;
        for _ in 0..2 {
            stop = memchr::memchr(b'\n', &bytes[stop..]).map_or(bytes.len(), |i| stop + i + 1);
        }
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(stop),
            _ => out.push(start..stop),
        }
    }
    out
}

/// Shortest base64 run worth decoding: 24 characters hold 18 bytes, shorter than any token with a prefix.
const MIN_RUN: usize = 24;
/// Longest base64 run decoded (a service-account JSON is about 3 KiB encoded; this leaves room for bundles).
const MAX_RUN: usize = 256 * 1024;
/// How many lines a wrapped base64 value (`base64` wraps at 76 columns, PEM bodies at 64) may span.
const MAX_WRAPPED_LINES: usize = 4096;

/// The bytes as text to match: UTF-16 (with a byte-order mark, or ASCII-range text with a NUL in every other
/// byte) transcoded to UTF-8, anything else as it is.
pub fn as_text(bytes: &[u8]) -> Cow<'_, [u8]> {
    match utf16_order(bytes) {
        Some(big_endian) => {
            let body = if has_bom(bytes) { &bytes[2..] } else { bytes };
            let units = body.chunks_exact(2).map(|p| {
                let pair = [p[0], p[1]];
                if big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            });
            let text: String = char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            Cow::Owned(text.into_bytes())
        }
        None => Cow::Borrowed(bytes),
    }
}

/// One base64 value in a blob: where its characters are (one piece per line when wrapped) and what it decodes
/// to.
pub(super) struct Decoded {
    /// The pieces' byte ranges in the blob, in order; all but the last are whole lines of equal length.
    pieces: Vec<Range<usize>>,
    /// The decoded bytes, which are text.
    pub(super) text: Vec<u8>,
}

impl Decoded {
    /// The blob range of the base64 characters that encode decoded bytes `range`.
    pub(super) fn source_range(&self, range: &Range<usize>) -> Range<usize> {
        let start = self.source_offset(range.start / 3 * 4);
        let end = self.source_offset(range.end.div_ceil(3) * 4);
        start..end.max(start)
    }

    /// The blob offset of the `i`-th base64 character (or the end of the value).
    fn source_offset(&self, mut i: usize) -> usize {
        for piece in &self.pieces {
            if i < piece.len() {
                return piece.start + i;
            }
            i -= piece.len();
        }
        self.pieces.last().map_or(0, |p| p.end)
    }
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Every base64 value of at least [`MIN_RUN`] characters that starts in `within` and decodes to text (a
/// wrapped value may go on past it).
pub(super) fn base64_values(bytes: &[u8], within: Range<usize>) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut i = within.start;
    // A run that starts before the stretch is not a value starting in it.
    while i > 0 && i < bytes.len() && is_base64(bytes[i - 1]) && is_base64(bytes[i]) {
        i += 1;
    }
    while i < within.end.min(bytes.len()) {
        if !is_base64(bytes[i]) {
            i += 1;
            continue;
        }
        let mut pieces = vec![run_at(bytes, i)];
        // A value wrapped at a fixed width continues on the next line: every full line has the first's length.
        let width = pieces[0].len();
        while width >= 60 && pieces.len() < MAX_WRAPPED_LINES {
            let last = pieces.last().expect("one piece at least").clone();
            if last.len() != width
                || !bytes[last.end..]
                    .first()
                    .is_some_and(|&b| b == b'\n' || b == b'\r')
            {
                break;
            }
            let mut next = last.end;
            next += usize::from(bytes.get(next) == Some(&b'\r'));
            next += usize::from(bytes.get(next) == Some(&b'\n'));
            // Continuation lines may be indented (YAML block scalars).
            while bytes.get(next).is_some_and(|&b| b == b' ' || b == b'\t') {
                next += 1;
            }
            if !bytes.get(next).copied().is_some_and(is_base64) {
                break;
            }
            pieces.push(run_at(bytes, next));
        }
        let mut text = decode(bytes, &pieces);
        if text.is_none() && pieces.len() > 1 {
            // Equal-length lines of separate values (a list of hashes), not one wrapped value.
            pieces.truncate(1);
            text = decode(bytes, &pieces);
        }
        i = pieces.last().expect("one piece at least").end;
        if let Some(text) = text {
            out.push(Decoded { pieces, text });
        }
    }
    out
}

/// The run of base64 characters starting at `start`.
fn run_at(bytes: &[u8], start: usize) -> Range<usize> {
    let len = bytes[start..]
        .iter()
        .position(|&b| !is_base64(b))
        .unwrap_or(bytes.len() - start);
    start..start + len
}

/// The pieces' characters decoded, if they are base64 (standard or URL-safe, padding optional) of text.
fn decode(bytes: &[u8], pieces: &[Range<usize>]) -> Option<Vec<u8>> {
    let len: usize = pieces.iter().map(ExactSizeIterator::len).sum();
    if !(MIN_RUN..=MAX_RUN).contains(&len) {
        return None;
    }
    let chars: Vec<u8> = pieces
        .iter()
        .flat_map(|p| bytes[p.clone()].iter().copied())
        .collect();
    let url_safe = chars.iter().any(|&b| b == b'-' || b == b'_');
    if url_safe && chars.iter().any(|&b| b == b'+' || b == b'/') {
        return None;
    }
    // A plain word or identifier is not base64 of anything: real values mix cases and digits.
    let has = |f: fn(&u8) -> bool| chars.iter().any(f);
    if !(has(u8::is_ascii_lowercase) && has(u8::is_ascii_uppercase) && has(u8::is_ascii_digit)) {
        return None;
    }
    let whole = chars.len() / 4 * 4
        + if chars.len() % 4 == 1 {
            0
        } else {
            chars.len() % 4
        };
    let engine = if url_safe {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let text = engine.decode(&chars[..whole]).ok()?;
    is_text(&text).then_some(text)
}

/// Decoded bytes worth matching: UTF-8 without control characters other than whitespace.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| {
        s.chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sniff::is_utf16_text;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn utf16_with_and_without_a_mark_becomes_utf8() {
        let text = "key = \"fake-example\"\r\nnext line é\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let with_bom = [&[0xFF, 0xFE][..], &le].concat();
        let be_bom = [&[0xFE, 0xFF][..], &be].concat();
        for bytes in [&le, &be, &with_bom, &be_bom] {
            assert!(is_utf16_text(bytes));
            assert_eq!(as_text(bytes).as_ref(), text.as_bytes());
        }
        // Plain text and binary stay as they are.
        assert!(matches!(as_text(b"plain text"), Cow::Borrowed(_)));
        assert!(!is_utf16_text(&[
            0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0
        ]));
        assert!(!is_utf16_text(&[0xFF, 0xFE, 0, 0, b'a', 0, 0, 0]));
    }

    #[test]
    fn base64_values_decode_to_text_and_map_back() {
        let secret = "FAKE-example-token-0123456789-abcdefghij";
        let blob = format!("data:\n  token: {}\n  other: plainword\n", b64(secret));
        let values = base64_values(blob.as_bytes(), 0..blob.len());
        assert_eq!(values.len(), 1);
        let v = &values[0];
        assert_eq!(v.text, secret.as_bytes());
        let start = blob.find("token: ").expect("the value") + 7;
        assert_eq!(v.source_range(&(0..3)), start..start + 4);
        assert_eq!(v.source_range(&(3..5)), start + 4..start + 8);
    }

    #[test]
    fn wrapped_values_join_across_lines() {
        let secret = "FAKE example value that is long enough to wrap over two lines at 76 columns, more text";
        let encoded = b64(secret);
        let (first, rest) = encoded.split_at(76);
        let blob = format!("KEY_B64: |\n    {first}\n    {rest}\nnext: 1\n");
        let values = base64_values(blob.as_bytes(), 0..blob.len());
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].text, secret.as_bytes());
        let second_line = blob.find(rest).expect("the second line");
        // Decoded byte 57 is the first one encoded on the second line (76 characters hold 57 bytes).
        assert_eq!(values[0].source_range(&(57..60)).start, second_line);
    }

    #[test]
    fn stretches_cover_the_trigger_line_and_the_next() {
        let blob = b"a\nKEY_B64: |\n  xyz\nlater\nlast B64 here";
        let line = blob.iter().position(|&b| b == b'|').expect("a bar");
        let last = blob.len() - 5;
        let got = stretches(blob, &[(line - 3, Scope::Line), (last, Scope::Line)]);
        assert_eq!(got, vec![2..19, 25..blob.len()]);
        assert_eq!(stretches(blob, &[(line, Scope::Blob)]), vec![0..blob.len()]);
        // A value is decoded only where it starts inside the stretch.
        let value = b64("FAKE-example-token-0123456789-abcdefghij");
        let blob = format!("{value}\n");
        assert!(base64_values(blob.as_bytes(), 1..blob.len()).is_empty());
        assert_eq!(base64_values(blob.as_bytes(), 0..1).len(), 1);
    }

    #[test]
    fn words_binary_and_short_runs_are_not_values() {
        for blob in [
            "some_long_identifier_without_digits_at_all".to_string(),
            format!("x = {}", b64("short")),
            format!(
                "x = {}",
                base64::engine::general_purpose::STANDARD
                    .encode([0u8, 1, 2, 3, 255, 254, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0])
            ),
        ] {
            assert!(
                base64_values(blob.as_bytes(), 0..blob.len()).is_empty(),
                "{blob}"
            );
        }
    }
}
