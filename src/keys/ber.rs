//! A small BER reader for key containers. PKCS#12 files written by Windows, Java and older tools are BER, not
//! DER: constructed elements of indefinite length (closed by two zero bytes) and OCTET STRINGs split into
//! constructed chunks. The `der` crate reads DER only, so the container walk reads elements with this instead.
//!
//! Untrusted input: every length is checked against the bytes that remain, lengths take at most four bytes,
//! finding the end of an indefinite-length element follows at most [`MAX_DEPTH`] nested levels, and a
//! constructed OCTET STRING is joined at most that deep.

use std::borrow::Cow;

/// How deep nested indefinite-length elements (or constructed OCTET STRING chunks) are followed.
pub(crate) const MAX_DEPTH: usize = 32;
/// The most elements read from one constructed element's content.
pub(crate) const MAX_CHILDREN: usize = 10_000;

/// `SEQUENCE`.
pub(crate) const SEQUENCE: u8 = 0x30;
/// `INTEGER`.
pub(crate) const INTEGER: u8 = 0x02;
/// `OBJECT IDENTIFIER`.
pub(crate) const OID: u8 = 0x06;
/// `OCTET STRING`, primitive.
const OCTET_STRING: u8 = 0x04;
/// `OCTET STRING`, constructed (BER chunks).
const OCTET_STRING_CONSTRUCTED: u8 = 0x24;
/// `[0]`, constructed (an EXPLICIT tag).
pub(crate) const EXPLICIT_0: u8 = 0xA0;

/// One element: its identifier octet, its content (for an indefinite length, without the end marker) and the
/// whole element's bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet (tag numbers above 30 are not read).
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
    /// The element as it stands in the input, header and end marker included.
    pub raw: &'a [u8],
}

/// The element that starts `bytes`; `None` when its header or length does not fit.
pub(crate) fn read(bytes: &[u8]) -> Option<Tlv<'_>> {
    read_at(bytes, 0)
}

fn read_at(bytes: &[u8], depth: usize) -> Option<Tlv<'_>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let tag = *bytes.first()?;
    if tag & 0x1F == 0x1F {
        return None;
    }
    let first = *bytes.get(1)?;
    let (length, header) = match first {
        l if l < 0x80 => (Some(usize::from(l)), 2),
        0x80 => (None, 2),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7F);
            let length = bytes
                .get(2..2 + n)?
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (Some(length), 2 + n)
        }
        _ => return None,
    };
    match length {
        Some(length) => {
            let end = header.checked_add(length)?;
            Some(Tlv {
                tag,
                content: bytes.get(header..end)?,
                raw: bytes.get(..end)?,
            })
        }
        // Indefinite length: constructed elements only; the content runs to the end-of-contents marker.
        None if tag & 0x20 != 0 => {
            let mut pos = header;
            loop {
                let rest = bytes.get(pos..)?;
                if rest.starts_with(&[0, 0]) {
                    return Some(Tlv {
                        tag,
                        content: &bytes[header..pos],
                        raw: &bytes[..pos + 2],
                    });
                }
                pos += read_at(rest, depth + 1)?.raw.len();
            }
        }
        None => None,
    }
}

/// The elements inside a constructed element's content, at most [`MAX_CHILDREN`]; reading stops at the first
/// one that does not fit.
pub(crate) fn children(content: &[u8]) -> Vec<Tlv<'_>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() && out.len() < MAX_CHILDREN {
        let Some(tlv) = read(rest) else { break };
        rest = &rest[tlv.raw.len()..];
        out.push(tlv);
    }
    out
}

impl<'a> Tlv<'a> {
    /// The single element inside an `[0] EXPLICIT` tag.
    pub(crate) fn explicit(&self) -> Option<Tlv<'a>> {
        (self.tag == EXPLICIT_0)
            .then(|| read(self.content))
            .flatten()
    }

    /// The bytes of an OCTET STRING, its BER chunks joined.
    pub(crate) fn octets(&self) -> Option<Cow<'a, [u8]>> {
        match self.tag {
            OCTET_STRING => Some(Cow::Borrowed(self.content)),
            OCTET_STRING_CONSTRUCTED => {
                let mut out = Vec::new();
                join_chunks(self.content, 0, &mut out)?;
                Some(Cow::Owned(out))
            }
            _ => None,
        }
    }
}

fn join_chunks(content: &[u8], depth: usize, out: &mut Vec<u8>) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    for chunk in children(content) {
        match chunk.tag {
            OCTET_STRING => out.extend_from_slice(chunk.content),
            OCTET_STRING_CONSTRUCTED => join_chunks(chunk.content, depth + 1, out)?,
            _ => return None,
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definite_and_indefinite_lengths_and_chunked_octets() {
        // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "c" }, INTEGER 3 } then a byte.
        let bytes = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0, 0, 0x02, 0x01, 3,
            0, 0, 0xFF,
        ];
        let seq = read(&bytes).expect("sequence");
        assert_eq!(seq.raw.len(), bytes.len() - 1);
        let parts = children(seq.content);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].octets().as_deref(), Some(&b"abc"[..]));
        assert_eq!((parts[1].tag, parts[1].content), (INTEGER, &[3u8][..]));
        // Long-form definite length.
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend([7u8; 256]);
        assert_eq!(
            read(&long).and_then(|t| t.octets()).map(|o| o.len()),
            Some(256)
        );
    }

    #[test]
    fn lengths_past_the_end_unclosed_and_too_deep_elements_are_refused() {
        assert!(read(&[0x30, 0x05, 0x02, 0x01]).is_none());
        assert!(read(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_none());
        assert!(read(&[0x30, 0x85, 0, 0, 0, 0, 1, 0]).is_none());
        assert!(read(&[0x30, 0x80, 0x02, 0x01, 0x03]).is_none());
        // A primitive element cannot have an indefinite length.
        assert!(read(&[0x04, 0x80, 0, 0]).is_none());
        let nested = |levels: usize| {
            let mut bytes = [0x30, 0x80].repeat(levels);
            bytes.extend([0u8, 0].repeat(levels));
            bytes
        };
        assert!(read(&nested(MAX_DEPTH)).is_some());
        assert!(read(&nested(MAX_DEPTH + 2)).is_none());
        // A million nested levels: refused without exhausting the stack.
        assert!(read(&nested(1_000_000)).is_none());
    }
}
