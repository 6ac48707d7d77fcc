//! Archives in trees and histories: a `.p8` committed inside a `.zip`, a config inside a `.jar`, a `.tar.gz`
//! `.tar.xz`, `.tar.zst` or `.tar.bz2` release bundle, a gzipped or zstd-compressed dump. Their members are
//! matched like files of their own, archives inside archives too (to [`MAX_DEPTH`]), within a fixed budget so
//! that a zip bomb costs a bounded amount of work and memory: every decompressor is a stream read through one
//! charged reader ([`budget`]), a tar inside a compressor is read member by member, never whole, and no member
//! is held past [`MAX_MEMBER`]. What was not read is told to the caller ([`Unread`]): members over the cap,
//! a spent budget, and content with an archive's magic that does not open as that archive, whose bytes are
//! matched as text instead (two magic bytes must not hide a secret).

mod budget;
#[cfg(test)]
mod tests;

use std::io::{Cursor, Read};

use crate::sniff::{ArchiveKind, archive_kind, is_archive};
use budget::{Budget, Charged, Member, read_member};

/// How many layers are opened, a compressor and the archive it holds each counting one: `a.zip!b.tar.gz!c.txt`
/// is three deep (zip, gzip, tar). Also bounds a compressed file that decompresses to itself.
const MAX_DEPTH: usize = 6;
/// Largest member read, uncompressed, by default (`--max-file-size` sets it); larger ones are skipped (and
/// counted).
pub const MAX_MEMBER: u64 = 25 * 1024 * 1024;
/// Most bytes decompressed or read out of one archive, nested members included, kept or not.
const MAX_TOTAL: u64 = 256 * 1024 * 1024;
/// Most members read out of one archive, nested members included.
const MAX_MEMBERS: usize = 100_000;
/// Largest xz decoder an xz stream may ask for, in KiB: the 64 MiB dictionary of `xz -9` and the decoder's
/// own buffers. The dictionary grows with the output, so a smaller stream costs less.
const MAX_XZ_MEMORY_KIB: u32 = 64 * 1024 + 1024;
/// How much of a decompressed stream is read before deciding whether it holds a tar (whose magic ends at 262).
const HEAD: u64 = 512;

pub use crate::model::Unread;

/// Calls `member(path, bytes)` for each file inside the archive `bytes`, in archive order, and tells what was
/// not read. Members of nested archives are named by the path of each archive down to them, joined by `!`
/// (`lib.jar!config/app.yml`); the content of a bare compressed file is named by the name a gzip header records,
/// else it is the empty path. Content that cannot be opened (an archive deeper than [`MAX_DEPTH`], or one that
/// yields no member) is itself a member, to be matched as text.
pub(super) fn members(
    bytes: &[u8],
    member_cap: u64,
    member: &mut dyn FnMut(&str, &[u8]),
) -> Unread {
    let budget = Budget::new(member_cap, MAX_TOTAL.max(member_cap), MAX_MEMBERS);
    walk(bytes, &budget, member)
}

/// [`members`] within `budget`.
fn walk(bytes: &[u8], budget: &Budget, member: &mut dyn FnMut(&str, &[u8])) -> Unread {
    let mut walker = Walker {
        budget,
        unread: Unread::default(),
        yielded: 0,
        member,
    };
    walker.visit("", bytes, 1);
    let mut unread = walker.unread;
    unread.budget_spent = budget.spent();
    unread
}

/// `name` inside the archive at `prefix`.
fn join(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}!{name}"),
    }
}

/// One walk through an archive and the archives inside it.
struct Walker<'a> {
    budget: &'a Budget,
    unread: Unread,
    /// Members yielded or counted so far: an archive that fails without raising it yielded nothing.
    yielded: usize,
    member: &'a mut dyn FnMut(&str, &[u8]),
}

impl Walker<'_> {
    /// Opens `bytes`, found at `path` and `depth` layers down, if it is an archive that may still be opened;
    /// yields it as a member otherwise.
    fn visit(&mut self, path: &str, bytes: &[u8], depth: usize) {
        match archive_kind(bytes) {
            Some(kind) if depth <= MAX_DEPTH => self.open(kind, bytes, path, depth),
            _ => self.found(path, bytes),
        }
    }

    /// Hands a member to the caller.
    fn found(&mut self, path: &str, bytes: &[u8]) {
        self.yielded += 1;
        (self.member)(path, bytes);
    }

    /// Counts a member over the cap.
    fn too_large(&mut self, path: String) {
        self.yielded += 1;
        self.unread.too_large.push(path);
    }

    /// Reads the archive `bytes` at `prefix`. One that fails before yielding anything is not an archive after
    /// all, or a broken one: the failure is recorded and its bytes are yielded to be matched as text. (One that
    /// fails after some members keeps them, as a truncated download does; a spent budget is no failure.)
    fn open(&mut self, kind: ArchiveKind, bytes: &[u8], prefix: &str, depth: usize) {
        let before = self.yielded;
        let result = match kind {
            ArchiveKind::Zip => self.zip(bytes, prefix, depth),
            ArchiveKind::Tar => self.tar(Charged::new(bytes, self.budget), prefix, depth),
            ArchiveKind::Gzip => {
                // Concatenated gzip members (rotated logs) are one stream.
                let mut gz = flate2::read::MultiGzDecoder::new(bytes);
                self.head(&mut gz).and_then(|head| {
                    let name = gz
                        .header()
                        .and_then(|h| h.filename())
                        .map(|n| String::from_utf8_lossy(n).into_owned())
                        .unwrap_or_default();
                    self.stream(head, &mut gz, &name, prefix, depth)
                })
            }
            ArchiveKind::Xz => {
                // Concatenated streams are one, as `xz -d` reads them.
                // The decoder's memory is held while it decodes: nested xz streams share the room.
                let limit = u64::from(MAX_XZ_MEMORY_KIB).min(self.budget.room() >> 10);
                let _hold = self.budget.hold(limit << 10);
                let limit = u32::try_from(limit).unwrap_or(MAX_XZ_MEMORY_KIB);
                let mut xz = lzma_rust2::XzReader::new_mem_limit(bytes, true, limit);
                self.head(&mut xz)
                    .and_then(|head| self.stream(head, &mut xz, "", prefix, depth))
            }
            ArchiveKind::Zstd => ruzstd::decoding::StreamingDecoder::new(bytes)
                .map_err(|e| e.to_string())
                .and_then(|mut zstd| {
                    let head = self.head(&mut zstd)?;
                    self.stream(head, &mut zstd, "", prefix, depth)
                }),
            ArchiveKind::Bzip2 => {
                // Concatenated streams (pbzip2's output) are one.
                let mut bz = bzip2::read::MultiBzDecoder::new(bytes);
                self.head(&mut bz)
                    .and_then(|head| self.stream(head, &mut bz, "", prefix, depth))
            }
        };
        let Err(cause) = result else {
            return;
        };
        if self.yielded == before && !self.budget.spent() {
            let why = format!(
                "not a readable {} archive ({cause}); its bytes were matched as text",
                kind.as_str()
            );
            self.unread.unreadable.push((prefix.to_string(), why));
            self.found(prefix, bytes);
        }
    }

    /// Each file of a zip, in order. Encrypted members are skipped; an error if a member could not be read.
    fn zip(&mut self, bytes: &[u8], prefix: &str, depth: usize) -> Result<(), String> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
        let mut failed = None;
        for i in 0..zip.len() {
            if self.budget.spent() {
                break;
            }
            let (path, read) = match zip.by_index(i) {
                Ok(mut file) if file.is_file() => (
                    join(prefix, file.name()),
                    read_member(Charged::new(&mut file, self.budget), self.budget),
                ),
                Ok(_) => continue,
                Err(zip::result::ZipError::UnsupportedArchive(why))
                    if why == zip::result::ZipError::PASSWORD_REQUIRED =>
                {
                    continue;
                }
                Err(e) => {
                    failed = Some(e.to_string());
                    continue;
                }
            };
            match read {
                Ok(Member::Data(data)) => self.visit(&path, &data, depth + 1),
                Ok(Member::TooLarge) => self.too_large(path),
                Err(e) => failed = Some(e),
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Each file of the tar streamed by `reader`, in order, read one at a time; an error where reading stopped.
    fn tar(&mut self, reader: impl Read, prefix: &str, depth: usize) -> Result<(), String> {
        let mut tar = tar::Archive::new(reader);
        let entries = tar.entries().map_err(|e| e.to_string())?;
        for entry in entries {
            let mut entry = entry.map_err(|e| e.to_string())?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = join(prefix, &String::from_utf8_lossy(&entry.path_bytes()));
            match read_member(&mut entry, self.budget)? {
                Member::Data(data) => self.visit(&path, &data, depth + 1),
                Member::TooLarge => self.too_large(path),
            }
            if self.budget.spent() {
                break;
            }
        }
        Ok(())
    }

    /// The first [`HEAD`] bytes out of a decompressor, charged.
    fn head(&self, decoder: &mut dyn Read) -> Result<Vec<u8>, String> {
        let mut head = Vec::new();
        Charged::new(decoder, self.budget)
            .take(HEAD)
            .read_to_end(&mut head)
            .map_err(|e| e.to_string())?;
        Ok(head)
    }

    /// The content of a compressor whose first bytes are `head` and the rest `decoder`'s: a tar is read member
    /// by member, anything else as one member named `name`.
    fn stream(
        &mut self,
        head: Vec<u8>,
        decoder: &mut dyn Read,
        name: &str,
        prefix: &str,
        depth: usize,
    ) -> Result<(), String> {
        let rest = Charged::new(decoder, self.budget);
        if depth < MAX_DEPTH && archive_kind(&head) == Some(ArchiveKind::Tar) {
            // A .tar.gz names its members, not the tar inside it.
            return self.tar(Cursor::new(head).chain(rest), prefix, depth + 1);
        }
        match read_member(Cursor::new(head).chain(rest), self.budget)? {
            Member::Data(data) => {
                // So does a compressed zip.
                let name = if is_archive(&data) { "" } else { name };
                self.visit(&join(prefix, name), &data, depth + 1);
            }
            Member::TooLarge => self.too_large(join(prefix, name)),
        }
        Ok(())
    }
}
