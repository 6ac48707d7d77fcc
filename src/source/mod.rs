//! Input enumeration: every source (a directory tree, stdin, git history, the staged index, a diff range) turns
//! its input into blobs and hands them to a [`BlobSink`]. Sources know nothing of matching or output: the engine
//! implements the sink, so what a blob is matched with is decided above this module.

pub mod attribution;
pub mod before;
mod config_guard;
pub mod diff;
pub mod fs;
pub mod git;
#[cfg(test)]
mod history_readers_tests;
pub mod introductions;
pub mod mirror;
mod packs;
pub mod repos;
pub mod staged;
#[cfg(test)]
mod staged_tests;
#[cfg(test)]
pub(crate) mod testing;
mod tree_hits;

use crate::model::{Blob, BlobId, Detached, Origin, Skip};

/// Where sources put what they read. Shared by every worker thread of one scan; the engine implements it.
pub trait BlobSink: Sync {
    /// Whether the blob id has been seen already in this scan; marks it seen.
    fn first_sight(&self, id: BlobId) -> bool;

    /// A blob that may repeat: matched unless its id was seen, in which case only its origin is recorded.
    fn submit(&self, blob: Blob);

    /// File content that may repeat, borrowed from the caller's reused buffer (tree scans): the sink decides how
    /// to recognise repeats and computes the blob id only when it needs it.
    fn submit_bytes(&self, bytes: &[u8], origin: Origin);

    /// A blob the caller already knows to be unique (history sources dedupe ids before reading).
    fn scan_unique(&self, blob: Blob) {
        self.scan_unique_bytes(blob.id, &blob.bytes, blob.origin);
    }

    /// Like [`BlobSink::scan_unique`], for bytes the caller keeps (an object read from a git pack, no copy).
    fn scan_unique_bytes(&self, id: BlobId, bytes: &[u8], origin: Origin);

    /// Matches a unique blob whose origin the caller does not know yet. Nothing is counted or kept: the caller
    /// hands the result back with the origin ([`BlobSink::attach`]) once it knows it, or drops it.
    fn match_detached(&self, id: BlobId, bytes: &[u8]) -> Detached;

    /// Counts and keeps what [`BlobSink::match_detached`] found in the blob `id`, now that its origin is known:
    /// the same as [`BlobSink::scan_unique_bytes`] of its bytes with that origin.
    fn attach(&self, id: BlobId, detached: Detached, origin: Origin);

    /// Counts a skipped input.
    fn skip(&self, why: Skip);

    /// Counts a skipped input and remembers its path (listed by `-v`).
    fn skip_path(&self, why: Skip, path: String);

    /// Counts a directory that could not be read under `unreadable` and remembers its path, but not as a file.
    fn skip_unreadable_dir(&self, path: String);

    /// Records an input that failed, naming it (`location`) and the cause; the scan goes on.
    fn error(&self, location: String, message: String);
}
