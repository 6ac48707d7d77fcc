//! What a source hands the engine: a [`Blob`] of bytes, its content id ([`BlobId`], the git blob SHA-1, so a file
//! on disk and the same content committed in history are one blob) and where it came from ([`Origin`]).

use std::fmt;

use sha1::{Digest, Sha1};

/// The git blob id (SHA-1 of `blob <len>\0<bytes>`) of a blob's content.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(pub [u8; 20]);

impl BlobId {
    /// Computes the id git would give these bytes.
    pub fn of_bytes(bytes: &[u8]) -> BlobId {
        let mut hasher = Sha1::new();
        hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
        hasher.update(bytes);
        BlobId(hasher.finalize().into())
    }

    /// Lowercase hex, as git prints it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 40 hex digits.
    pub fn from_hex(s: &str) -> Option<BlobId> {
        let bytes = hex::decode(s).ok()?;
        Some(BlobId(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.to_hex())
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Where a blob's bytes came from. Paths are relative to the scan root (or repository root), `/`-separated.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// A file in a directory tree.
    File {
        /// Path relative to the scan root.
        path: String,
    },
    /// Standard input.
    Stdin,
    /// A path in the git index (`--staged`).
    Staged {
        /// Path relative to the repository root.
        path: String,
    },
    /// A blob in git history; commit and path attribution is looked up after the scan, only for blobs
    /// with findings.
    GitBlob {
        /// A path the blob was seen under while enumerating, if any (used for file-name context).
        path: Option<String>,
        /// The commit that introduced the blob, when the source knows it (diff ranges).
        commit: Option<String>,
    },
}

impl Origin {
    /// The path this origin names, if it has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Origin::File { path } | Origin::Staged { path } => Some(path),
            Origin::GitBlob { path, .. } => path.as_deref(),
            Origin::Stdin => None,
        }
    }
}

/// One unit of content to match.
#[derive(Clone, Debug)]
pub struct Blob {
    /// The git blob id of `bytes`.
    pub id: BlobId,
    /// The content.
    pub bytes: Vec<u8>,
    /// Where it came from.
    pub origin: Origin,
}

impl Blob {
    /// Builds a blob, computing its id.
    pub fn new(bytes: Vec<u8>, origin: Origin) -> Blob {
        Blob {
            id: BlobId::of_bytes(&bytes),
            bytes,
            origin,
        }
    }
}

/// The first `n` characters of an id (a commit or blob id read from a file may be anything, not only hex).
pub fn short(id: &str, n: usize) -> &str {
    match id.char_indices().nth(n) {
        Some((at, _)) => &id[..at],
        None => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_cut_at_characters() {
        assert_eq!(short("0123456789abcdef", 12), "0123456789ab");
        assert_eq!(short("ééééééééééééééé", 12), "éééééééééééé");
        assert_eq!(short("abc", 12), "abc");
    }

    #[test]
    fn blob_id_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            BlobId::of_bytes(b"hello\n").to_hex(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            BlobId::of_bytes(b"").to_hex(),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
    }
}
