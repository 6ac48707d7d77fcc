//! Archives in trees and histories: a `.p8` committed inside a `.zip`, a config inside a `.jar`, a `.tar.gz`
//! `.tar.xz` or `.tar.bz2` release bundle, a gzipped or zstd-compressed dump. Their members are matched like files of their own, archives inside archives
//! too (to [`MAX_DEPTH`]), within fixed budgets so that a zip bomb costs a bounded amount of work. An archive
//! that cannot be read (truncated, encrypted members) yields what could be read and nothing else.

use std::io::{Cursor, Read};

use crate::sniff::{ArchiveKind, is_archive};

/// How many layers are opened, a compressor and the archive it holds each counting one: `a.zip!b.tar.gz!c.txt`
/// is three deep (zip, gzip, tar). Also bounds a compressed file that decompresses to itself.
const MAX_DEPTH: usize = 6;
/// Largest member read, uncompressed; larger ones are skipped.
const MAX_MEMBER: u64 = 25 * 1024 * 1024;
/// Most bytes read out of one archive, uncompressed, nested members included.
const MAX_TOTAL: u64 = 256 * 1024 * 1024;
/// Most members read out of one archive, nested members included.
const MAX_MEMBERS: usize = 100_000;

/// What one archive may still cost.
struct Budget {
    bytes: u64,
    members: usize,
}

impl Budget {
    /// Whether nothing more may be read.
    fn spent(&self) -> bool {
        self.members == 0 || self.bytes == 0
    }

    /// Takes `n` bytes and one member from the budget; false when either is spent.
    fn take(&mut self, n: u64) -> bool {
        if self.members == 0 || n > self.bytes {
            return false;
        }
        self.members -= 1;
        self.bytes -= n;
        true
    }
}

/// Calls `member(path, bytes)` for each file inside the archive `bytes`, in archive order. Members of nested
/// archives are named by the path of each archive down to them, joined by `!` (`lib.jar!config/app.yml`); the
/// content of a bare compressed file is named by the name a gzip header records, else it is the empty path.
pub(super) fn members(bytes: &[u8], member: &mut dyn FnMut(&str, &[u8])) {
    let mut budget = Budget {
        bytes: MAX_TOTAL,
        members: MAX_MEMBERS,
    };
    walk(bytes, "", 1, &mut budget, member);
}

fn walk(
    bytes: &[u8],
    prefix: &str,
    depth: usize,
    budget: &mut Budget,
    f: &mut dyn FnMut(&str, &[u8]),
) {
    let mut visit = |name: &str, data: &[u8], budget: &mut Budget| {
        let path = match (prefix.is_empty(), name.is_empty()) {
            (true, _) => name.to_string(),
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}!{name}"),
        };
        if depth < MAX_DEPTH && is_archive(data) {
            walk(data, &path, depth + 1, budget, f);
        } else {
            f(&path, data);
        }
    };
    match crate::sniff::archive_kind(bytes) {
        Some(ArchiveKind::Zip) => {
            let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
                return;
            };
            for i in 0..zip.len() {
                if budget.spent() {
                    break;
                }
                let Ok(mut file) = zip.by_index(i) else {
                    continue;
                };
                if !file.is_file() || file.encrypted() {
                    continue;
                }
                let name = file.name().to_string();
                if let Some(data) = read_bounded(&mut file, budget) {
                    visit(&name, &data, budget);
                }
            }
        }
        Some(ArchiveKind::Gzip) => {
            // Concatenated gzip members (rotated logs) are one stream.
            let mut gz = flate2::read::MultiGzDecoder::new(bytes);
            if let Some(data) = read_bounded(&mut gz, budget) {
                let name = gz
                    .header()
                    .and_then(|h| h.filename())
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default();
                // A .tar.gz names its members, not the tar inside it.
                let name = if is_archive(&data) {
                    String::new()
                } else {
                    name
                };
                visit(&name, &data, budget);
            }
        }
        Some(ArchiveKind::Xz) => {
            // The decoder writes: a writer that refuses past the member limit bounds it.
            let mut out = Bounded(Vec::new());
            let ok = lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut out).is_ok();
            let len = out.0.len() as u64;
            if ok && budget.take(len) {
                visit("", &out.0, budget);
            }
        }
        Some(ArchiveKind::Zstd) => {
            let Ok(mut zstd) = ruzstd::decoding::StreamingDecoder::new(bytes) else {
                return;
            };
            if let Some(data) = read_bounded(&mut zstd, budget) {
                visit("", &data, budget);
            }
        }
        Some(ArchiveKind::Bzip2) => {
            // Concatenated streams (pbzip2's output) are one.
            let mut bz = bzip2::read::MultiBzDecoder::new(bytes);
            if let Some(data) = read_bounded(&mut bz, budget) {
                visit("", &data, budget);
            }
        }
        Some(ArchiveKind::Tar) => {
            let mut tar = tar::Archive::new(bytes);
            let Ok(entries) = tar.entries() else {
                return;
            };
            for entry in entries {
                let Ok(mut entry) = entry else {
                    break;
                };
                if budget.spent() {
                    break;
                }
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                if let Some(data) = read_bounded(&mut entry, budget) {
                    visit(&name, &data, budget);
                }
            }
        }
        None => f(prefix, bytes),
    }
}

/// A decoder's output, refused past [`MAX_MEMBER`].
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.0.len() + buf.len()) as u64 > MAX_MEMBER {
            return Err(std::io::Error::other("over the member limit"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads a member whole if it is within [`MAX_MEMBER`] and the budget; `None` otherwise (or if unreadable).
fn read_bounded(reader: &mut dyn Read, budget: &mut Budget) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    reader.take(MAX_MEMBER + 1).read_to_end(&mut data).ok()?;
    let len = data.len() as u64;
    (len <= MAX_MEMBER && budget.take(len)).then_some(data)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("zip entry");
            w.write_all(data).expect("zip write");
        }
        w.finish().expect("zip finish").into_inner()
    }

    fn tar_gz_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).expect("tar entry");
        }
        let tar = b.into_inner().expect("tar finish");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).expect("gzip write");
        gz.finish().expect("gzip finish")
    }

    fn all(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        members(bytes, &mut |p, d| out.push((p.to_string(), d.to_vec())));
        out
    }

    #[test]
    fn zip_tar_gz_and_nested_archives_yield_their_members() {
        let inner = tar_gz_of(&[("etc/app.env", b"FAKE=1\n"), ("README", b"example\n")]);
        let outer = zip_of(&[("a.txt", b"fake text"), ("dist/bundle.tar.gz", &inner)]);
        assert!(is_archive(&outer) && is_archive(&inner));
        let got = all(&outer);
        let names: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "a.txt",
                "dist/bundle.tar.gz!etc/app.env",
                "dist/bundle.tar.gz!README"
            ]
        );
        assert_eq!(got[1].1, b"FAKE=1\n");
    }

    #[test]
    fn tar_xz_tar_zst_tar_bz2_and_bare_xz_are_opened() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "dir/a.txt", &b"fake\n"[..])
            .expect("tar entry");
        let tar = tar.into_inner().expect("tar finish");
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut &tar[..], &mut xz).expect("xz");
        let zst = ruzstd::encoding::compress_to_vec(
            &tar[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&tar).expect("bzip2 write");
        let bz = bz.finish().expect("bzip2 finish");
        assert!(!is_archive(
            b"BZh is how this text starts, not a bzip2 stream"
        ));
        for bytes in [&xz, &zst, &bz] {
            assert_eq!(
                all(bytes),
                vec![("dir/a.txt".to_string(), b"fake\n".to_vec())]
            );
        }
        let mut bare = Vec::new();
        lzma_rs::xz_compress(&mut &b"FAKE dump\n"[..], &mut bare).expect("xz");
        assert_eq!(all(&bare), vec![(String::new(), b"FAKE dump\n".to_vec())]);
        // A .tar.xz inside a zip inside a .tar.gz: five layers, all opened.
        let inner = zip_of(&[("nested/files.tar.xz", &xz)]);
        let got = all(&tar_gz_of(&[("release.zip", &inner)]));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "release.zip!nested/files.tar.xz!dir/a.txt");
    }

    #[test]
    fn a_bare_gzip_is_its_content() {
        let mut gz = flate2::GzBuilder::new()
            .filename("dump.sql")
            .write(Vec::new(), flate2::Compression::default());
        gz.write_all(b"-- fake example\n").expect("gzip write");
        let bytes = gz.finish().expect("gzip finish");
        assert_eq!(
            all(&bytes),
            vec![("dump.sql".to_string(), b"-- fake example\n".to_vec())]
        );
    }

    #[test]
    fn truncated_archives_yield_what_could_be_read() {
        let zip = zip_of(&[("a.txt", b"fake text")]);
        assert!(all(&zip[..zip.len() / 2]).len() <= 1);
        assert!(all(b"PK\x03\x04 not really a zip").is_empty());
    }

    #[test]
    fn members_over_the_limits_are_not_read_past_them() {
        // A member that inflates past the member limit (a zip bomb's) is dropped after MAX_MEMBER + 1 bytes.
        let mut plenty = Budget {
            bytes: u64::MAX,
            members: 10,
        };
        let mut bomb = std::io::repeat(0).take(MAX_MEMBER * 4);
        assert!(read_bounded(&mut bomb, &mut plenty).is_none());
        assert_eq!(bomb.limit(), MAX_MEMBER * 3 - 1);
        // The archive's budget: bytes, then members.
        let mut budget = Budget {
            bytes: 100,
            members: 2,
        };
        assert_eq!(
            read_bounded(&mut &[1u8; 10][..], &mut budget).map(|d| d.len()),
            Some(10)
        );
        assert!(read_bounded(&mut &[1u8; 91][..], &mut budget).is_none());
        assert!(read_bounded(&mut &[1u8; 90][..], &mut budget).is_some());
        assert!(read_bounded(&mut &[1u8; 0][..], &mut budget).is_none());
    }

    #[test]
    fn reading_stops_when_the_archive_budget_is_spent() {
        let files: Vec<(String, Vec<u8>)> = (0..5)
            .map(|i| (format!("f{i}.txt"), b"fake".to_vec()))
            .collect();
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let zip = zip_of(&refs);
        let mut seen = Vec::new();
        let mut budget = Budget {
            bytes: 1 << 20,
            members: 2,
        };
        walk(&zip, "", 1, &mut budget, &mut |p, _| {
            seen.push(p.to_string())
        });
        assert_eq!(seen, ["f0.txt", "f1.txt"]);
        assert!(budget.spent());
    }

    #[test]
    fn nesting_stops_at_the_depth_limit() {
        let mut bytes = zip_of(&[("key.txt", b"fake")]);
        for i in 0..MAX_DEPTH + 1 {
            bytes = zip_of(&[(&format!("level{i}.zip"), &bytes)]);
        }
        let got = all(&bytes);
        assert_eq!(got.len(), 1);
        // The innermost archives are left closed: one member that is itself an archive.
        assert!(is_archive(&got[0].1), "{}", got[0].0);
        assert_eq!(got[0].0.matches('!').count(), MAX_DEPTH - 1);
    }
}
