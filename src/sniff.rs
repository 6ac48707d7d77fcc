//! Content sniffing, below the sources and the matcher: whether bytes are binary, an archive (by magic number),
//! UTF-16 text or a Git LFS pointer, and whether a path names a key file. Sources use it to decide what to skip;
//! the matcher uses it to decide how to read what it is given.

/// The archive and compression formats whose members are matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveKind {
    /// Zip.
    Zip,
    /// Gzip.
    Gzip,
    /// Xz.
    Xz,
    /// Zstd.
    Zstd,
    /// Bzip2.
    Bzip2,
    /// Tar.
    Tar,
}

impl ArchiveKind {
    /// The format's name in messages (`zip`, `gzip`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveKind::Zip => "zip",
            ArchiveKind::Gzip => "gzip",
            ArchiveKind::Xz => "xz",
            ArchiveKind::Zstd => "zstd",
            ArchiveKind::Bzip2 => "bzip2",
            ArchiveKind::Tar => "tar",
        }
    }
}

/// The archive format `bytes` start with, by magic number.
pub fn archive_kind(bytes: &[u8]) -> Option<ArchiveKind> {
    if bytes.starts_with(b"PK\x03\x04") {
        Some(ArchiveKind::Zip)
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        Some(ArchiveKind::Gzip)
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(ArchiveKind::Xz)
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(ArchiveKind::Zstd)
    } else if bytes.len() >= 10
        && bytes.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&bytes[3])
        && bytes[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
    {
        // "BZh", the block size, then the first block's magic (pi in BCD), so text starting "BZh" is not one.
        Some(ArchiveKind::Bzip2)
    } else if bytes.get(257..262) == Some(b"ustar") {
        Some(ArchiveKind::Tar)
    } else {
        None
    }
}

/// Whether content is an archive whose members are matched (zip and its kin — jar, apk, docx —, tar, and the
/// gzip, xz, zstd and bzip2 compressors, alone or around a tar).
pub fn is_archive(bytes: &[u8]) -> bool {
    archive_kind(bytes).is_some()
}

/// Whether content that has NUL bytes is UTF-16 text rather than binary (the matcher transcodes it).
pub fn is_utf16_text(bytes: &[u8]) -> bool {
    utf16_order(bytes).is_some()
}

/// Whether content starts with a UTF-16 byte-order mark.
pub fn has_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// `Some(big_endian)` when the content is UTF-16 text.
pub fn utf16_order(bytes: &[u8]) -> Option<bool> {
    // An odd byte count (a stray byte at the end) still reads as UTF-16: the last byte is dropped.
    if bytes.len() < 4 {
        return None;
    }
    // A byte-order mark, but not UTF-32's (FF FE 00 00).
    if bytes.starts_with(&[0xFF, 0xFE]) && !bytes.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return Some(false);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Some(true);
    }
    // Without a mark: text in the ASCII range, so one byte of every pair is NUL and the other printable. Most
    // content fails the first pair, which keeps this check off the cost of matching ordinary text.
    if bytes[0] != 0 && bytes[1] != 0 {
        return None;
    }
    let sample = &bytes[..bytes.len().min(8192)];
    let pairs = sample.len() / 2;
    let ascii_pairs = |low: usize| {
        sample
            .chunks_exact(2)
            .filter(|p| p[1 - low] == 0 && is_texty(p[low]))
            .count()
    };
    let (le, be) = (ascii_pairs(0), ascii_pairs(1));
    // Non-ASCII characters (accented letters, CJK) break the pattern now and then; allow a few.
    if le * 10 >= pairs * 9 {
        Some(false)
    } else if be * 10 >= pairs * 9 {
        Some(true)
    } else {
        None
    }
}

fn is_texty(b: u8) -> bool {
    b.is_ascii_graphic() || matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// File extensions that hold keys and are scanned even when they look binary.
pub const KEY_FILE_EXTENSIONS: &[&str] = &[
    "p8", "pem", "key", "p12", "pfx", "der", "jks", "jceks", "keystore", "ppk", "asc", "gpg",
];

/// Whether a path names a key file by its extension.
pub fn is_key_file(path: &str) -> bool {
    path.rsplit_once('.').is_some_and(|(_, ext)| {
        KEY_FILE_EXTENSIONS
            .iter()
            .any(|k| ext.eq_ignore_ascii_case(k))
    })
}

/// Whether content is a key container, by structure: a Java keystore (JKS `FEEDFEED` or JCEKS `CECECECE`, then
/// version 1 or 2) or a PKCS#12 file (DER or BER `SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-… } }`). Such files are
/// matched (as their base64) whatever their name.
pub fn is_key_container(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) || bytes.starts_with(&[0xCE, 0xCE, 0xCE, 0xCE])
    {
        return matches!(bytes.get(4..8), Some([0, 0, 0, 1 | 2]));
    }
    // The outer SEQUENCE's header: short, indefinite (BER) or long (1 to 4 length bytes) form.
    let header = match (bytes.first(), bytes.get(1)) {
        (Some(0x30), Some(&len)) if len <= 0x80 => 2,
        (Some(0x30), Some(&len)) if (0x81..=0x84).contains(&len) => 2 + usize::from(len - 0x80),
        _ => return false,
    };
    const PKCS7: [u8; 10] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];
    bytes.get(header..header + 4) == Some(&[0x02, 0x01, 0x03, 0x30][..])
        && bytes
            .get(header + 4..header + 20)
            .is_some_and(|w| w.windows(PKCS7.len()).any(|o| o == PKCS7))
}

/// Whether content is binary, and so not matched: a NUL byte in the first 8 KiB, unless it is UTF-16 text
/// (matched as the text it holds), an archive (matched member by member) or a key container (matched as its
/// base64).
pub fn looks_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
        && !is_utf16_text(bytes)
        && !is_archive(bytes)
        && !is_key_container(bytes)
}

/// Whether content is a Git LFS pointer file rather than the content itself.
pub fn is_lfs_pointer(bytes: &[u8]) -> bool {
    bytes.len() < 1024 && bytes.starts_with(b"version https://git-lfs.github.com/spec/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_a_bom_and_an_odd_byte_count_is_text() {
        let mut bytes = vec![0xFF, 0xFE];
        for c in "token = abc".encode_utf16() {
            bytes.extend_from_slice(&c.to_le_bytes());
        }
        bytes.push(b'\n'); // the stray byte
        assert!(is_utf16_text(&bytes));
        assert!(!looks_binary(&bytes));
    }

    #[test]
    fn key_files_by_extension() {
        assert!(is_key_file("ios/AuthKey_ABC.p8"));
        assert!(is_key_file("x.PEM"));
        assert!(!is_key_file("main.rs"));
    }
}
