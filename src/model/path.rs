//! File names from scanned data, kept exactly. Unix file names and git tree entries are bytes, not always UTF-8;
//! keysweep carries them as `String`s in which each byte that is not part of valid UTF-8 is one character of a
//! private-use range (U+F780..=U+F7FF, the byte plus U+F700). Characters of that range in a valid name are
//! written the same way, byte by byte, so the form is lossless and [`to_bytes`] gives the exact name back.
//! Reports write such a name lossily in `path` (U+FFFD per byte) and exactly in `path_bytes` (base64).

use std::borrow::Cow;

const BASE: u32 = 0xF700;

/// Whether `c` stands for one raw byte.
pub fn is_escaped(c: char) -> bool {
    (0xF780..=0xF7FF).contains(&u32::from(c))
}

/// The byte an escaped character stands for.
pub fn escaped_byte(c: char) -> Option<u8> {
    is_escaped(c).then(|| (u32::from(c) - BASE) as u8)
}

/// The lossless form of a file name's bytes.
pub fn from_bytes(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(is_escaped) => Cow::Borrowed(s),
        _ => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                for c in chunk.valid().chars() {
                    if is_escaped(c) {
                        push_bytes(&mut out, c.encode_utf8(&mut [0; 4]).as_bytes());
                    } else {
                        out.push(c);
                    }
                }
                push_bytes(&mut out, chunk.invalid());
            }
            Cow::Owned(out)
        }
    }
}

fn push_bytes(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(char::from_u32(BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
}

/// The exact bytes of a name in the lossless form.
pub fn to_bytes(name: &str) -> Cow<'_, [u8]> {
    if !name.chars().any(is_escaped) {
        return Cow::Borrowed(name.as_bytes());
    }
    let mut out = Vec::with_capacity(name.len());
    for c in name.chars() {
        match escaped_byte(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// The file a name in the lossless form names: its exact bytes on Unix (where names are bytes), else the text.
pub fn to_path(name: &str) -> std::path::PathBuf {
    path_of_bytes(&to_bytes(name))
}

/// The file the exact bytes of a name name.
pub fn path_of_bytes(raw: &[u8]) -> std::path::PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::path::PathBuf::from(std::ffi::OsStr::from_bytes(raw))
    }
    #[cfg(not(unix))]
    {
        std::path::PathBuf::from(String::from_utf8_lossy(raw).into_owned())
    }
}

/// The name as text, each raw byte shown as U+FFFD (what `String::from_utf8_lossy` shows, one per byte).
pub fn lossy(name: &str) -> Cow<'_, str> {
    if !name.chars().any(is_escaped) {
        return Cow::Borrowed(name);
    }
    Cow::Owned(
        name.chars()
            .map(|c| {
                if is_escaped(c) {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// The exact bytes, base64, of a name that [`lossy`] would change (None for every other name).
pub fn bytes_base64(name: &str) -> Option<String> {
    use base64::Engine as _;
    name.chars()
        .any(is_escaped)
        .then(|| base64::engine::general_purpose::STANDARD.encode(to_bytes(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_exactly() {
        let names: [&[u8]; 6] = [
            b"plain/name.txt",
            b"caf\xc3\xa9",
            b"bad\xff\xfe/x",
            b"\xef\x9e\x80 looks like an escape",
            b"trunc\xe2\x82",
            b"",
        ];
        for n in names {
            let s = from_bytes(n);
            assert_eq!(&*to_bytes(&s), n, "{s:?}");
        }
        assert_eq!(from_bytes(b"caf\xc3\xa9"), "café");
        assert!(matches!(from_bytes(b"plain"), Cow::Borrowed(_)));
        assert_eq!(lossy(&from_bytes(b"a\xffb")), "a\u{FFFD}b");
        assert_eq!(bytes_base64("plain"), None);
        assert_eq!(bytes_base64(&from_bytes(b"a\xff")).as_deref(), Some("Yf8="));
    }
}
