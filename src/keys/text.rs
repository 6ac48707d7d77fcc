//! Text forms of a private key, undone down to bytes: PEM armour (LF or CRLF), PEM written inside a string with
//! `\n` escapes or as quoted, concatenated lines, the armourless base64 body, and base64 of a whole PEM. Only
//! text handling lives here; the bytes go to [`super::der`] and [`super::openssh`].

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD_INDIFFERENT, URL_SAFE_NO_PAD_INDIFFERENT};

/// The shortest base64 body of a real private key (an Ed25519 PKCS#8 key is 48 bytes, 64 characters).
const MIN_BODY_CHARS: usize = 60;

/// One armoured block found in a candidate.
#[derive(Debug)]
pub(crate) struct PemBlock {
    /// The label between `BEGIN ` and `-----`, upper-cased (`PRIVATE KEY`, `EC PRIVATE KEY`, …).
    pub label: String,
    /// RFC 1421 headers say the body is encrypted (`Proc-Type: 4,ENCRYPTED`).
    pub encrypted_headers: bool,
    /// The body is a placeholder (`...`, `<your key here>`, `XXXX`, too short).
    pub placeholder: bool,
    /// The decoded body, `None` if it is not valid base64.
    pub der: Option<Vec<u8>>,
}

/// Every `-----BEGIN …-----` block of `text`, in order. A block without its END line runs to the end of the
/// text (a truncated key).
pub(crate) fn pem_blocks(text: &str) -> Vec<PemBlock> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = after[..label_end].trim().to_ascii_uppercase();
        if label.len() > 40 || label.contains(['\n', '\r', '\\']) {
            rest = after;
            continue;
        }
        let body_and_rest = &after[label_end + 5..];
        let (body, next) = match body_and_rest.find("-----END ") {
            Some(end) => {
                let tail = &body_and_rest[end + "-----END ".len()..];
                let skip = tail.find("-----").map_or(tail.len(), |i| i + 5);
                (&body_and_rest[..end], &tail[skip..])
            }
            None => (body_and_rest, ""),
        };
        out.push(block(label, body));
        rest = next;
    }
    out
}

fn block(label: String, body: &str) -> PemBlock {
    let unescaped = unescape(&inside_quotes(body, true));
    let encrypted_headers =
        unescaped.contains("Proc-Type:") && unescaped.to_ascii_uppercase().contains("ENCRYPTED");
    // Header lines (`Proc-Type: …`, `DEK-Info: …`, PGP `Version: …`) are not part of the base64 body.
    // OpenPGP armour ends its body with a checksum line, `=` and four base64 characters (RFC 4880 §6.2).
    let body: String = unescaped
        .lines()
        .filter(|l| !l.contains(':') && !is_armour_checksum(l))
        .collect::<Vec<_>>()
        .join("\n");
    let placeholder = is_placeholder(&body);
    let der = if placeholder {
        None
    } else {
        decode_base64(&body)
    };
    PemBlock {
        label,
        encrypted_headers,
        placeholder,
        der,
    }
}

/// An OpenPGP armour checksum line: `=` then four base64 characters.
fn is_armour_checksum(line: &str) -> bool {
    let line = line.trim();
    line.len() == 5
        && line.starts_with('=')
        && line
            .bytes()
            .skip(1)
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// The bytes of an armourless candidate (a base64 body alone, or base64 of a whole PEM), `None` if it is not a
/// plausible base64 body.
pub(crate) fn armourless(text: &str) -> Option<Vec<u8>> {
    let body = unescape(&inside_quotes(text, false));
    if is_placeholder(&body) {
        return None;
    }
    decode_base64(&body)
}

/// Keeps what is inside quotes when the text has any (`"…\n" +` / `'…',` lines of source code); `inside` says
/// whether the text starts inside a string (a PEM body whose BEGIN line was in one).
fn inside_quotes(text: &str, inside: bool) -> String {
    let quote = text.chars().find(|c| *c == '"' || *c == '\'');
    let Some(q) = quote else {
        return text.to_string();
    };
    // An armourless candidate that does not start with a quote starts inside the string it was cut from.
    let mut inside = inside || !text.trim_start().starts_with(q);
    let mut out = String::with_capacity(text.len());
    let mut escaped = false;
    for c in text.chars() {
        if c == q && !escaped {
            inside = !inside;
            // Lines of a concatenated string are separate lines of the PEM.
            out.push('\n');
            continue;
        }
        escaped = c == '\\' && !escaped;
        if inside {
            out.push(c);
        }
    }
    out
}

/// Undoes string escapes: `\n`, `\r`, `\t` (however many backslashes precede them) become real white space,
/// `\/` becomes `/`.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        while chars.peek() == Some(&'\\') {
            chars.next();
        }
        match chars.peek() {
            Some('n') | Some('r') => {
                chars.next();
                out.push('\n');
            }
            Some('t') => {
                chars.next();
                out.push(' ');
            }
            _ => {}
        }
    }
    out
}

/// Documentation stand-ins rather than a key: ellipses, `<…>` slots, `XXXX` runs, template syntax, or a body
/// too short to be any private key.
fn is_placeholder(body: &str) -> bool {
    if body.contains("...")
        || body.contains('…')
        || body.contains('<')
        || body.contains('>')
        || body.contains("XXXX")
        || body.contains("xxxx")
        || body.contains("{{")
        || body.contains("${")
    {
        return true;
    }
    body.bytes().filter(|b| is_base64_byte(*b)).count() < MIN_BODY_CHARS
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Decodes base64 (standard or URL-safe, padding optional) ignoring white space; `None` if anything else is in
/// the way.
fn decode_base64(body: &str) -> Option<Vec<u8>> {
    let mut clean = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            c if c.is_ascii_whitespace() => {}
            '=' => {}
            c if c.is_ascii() && is_base64_byte(c as u8) => clean.push(c),
            _ => return None,
        }
    }
    if clean.len() < MIN_BODY_CHARS {
        return None;
    }
    let engine = if clean.contains(['-', '_']) {
        URL_SAFE_NO_PAD_INDIFFERENT
    } else {
        STANDARD_NO_PAD_INDIFFERENT
    };
    // A candidate cut from text may carry one stray character past the body: drop it rather than fail.
    let usable = if clean.len() % 4 == 1 {
        clean.len() - 1
    } else {
        clean.len()
    };
    engine.decode(&clean.as_bytes()[..usable]).ok()
}

/// The base64 characters of an armourless body with the byte offset just past each: white space, and the
/// `\n`/`\r` escapes of a body written inside a string, are skipped; anything else ends the body. At most
/// `limit` characters are taken.
pub(crate) fn body_chars(text: &[u8], limit: usize) -> Vec<(u8, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() && out.len() < limit {
        match text[i] {
            b if is_base64_byte(b) => out.push((b, i + 1)),
            b'\\' if matches!(text.get(i + 1), Some(b'n' | b'r' | b't')) => i += 1,
            b if b.is_ascii_whitespace() => {}
            _ => break,
        }
        i += 1;
    }
    out
}

/// Decodes a body's characters (from [`body_chars`]); when the last group does not decode (text run into, or
/// one stray character), the whole groups of four before it.
pub(crate) fn decode_chars(chars: &[(u8, usize)]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = chars.iter().map(|&(c, _)| c).collect();
    let engine = if clean.iter().any(|c| matches!(c, b'-' | b'_')) {
        URL_SAFE_NO_PAD_INDIFFERENT
    } else {
        STANDARD_NO_PAD_INDIFFERENT
    };
    let whole = clean.len() / 4 * 4;
    if clean.len() % 4 > 1
        && let Ok(all) = engine.decode(&clean)
    {
        return Some(all);
    }
    engine.decode(&clean[..whole]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_quotes_are_undone() {
        assert_eq!(unescape(r"a\nb\r\nc\\nd\/e"), "a\nb\n\nc\nd/e");
        let src = "\\n\" +\n    \"QUJD\\n\" +\n    \"REVG\\n\"";
        let kept = unescape(&inside_quotes(src, true));
        assert_eq!(kept.split_whitespace().collect::<String>(), "QUJDREVG");
    }

    #[test]
    fn blocks_are_found_with_their_labels() {
        let text = "x -----BEGIN EC PRIVATE KEY-----\n<your key here>\n-----END EC PRIVATE KEY----- y \
                    -----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
        let blocks = pem_blocks(text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "EC PRIVATE KEY");
        assert!(blocks[0].placeholder);
        assert_eq!(blocks[1].label, "CERTIFICATE");
    }

    #[test]
    fn encrypted_headers_are_seen() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n\
                    -----END RSA PRIVATE KEY-----";
        assert!(pem_blocks(text)[0].encrypted_headers);
    }
}
