//! The matcher's raw output: a [`Match`] is one sighting of a secret in one blob, self-contained so the blob's
//! bytes can be dropped; a [`ScannedBlob`] is a blob with its matches and every origin its content had.

use std::ops::Range;

use super::blob::{BlobId, Origin};
use super::finding::Snippet;
use super::identity::{fingerprint_key, fingerprint_token};
use super::key::KeyMaterial;
use super::secret::Secret;

/// A raw match from the matcher, self-contained so the blob's bytes can be dropped afterwards.
#[derive(Clone, Debug)]
pub struct Match {
    /// Index of the rule in the rule set that matched.
    pub rule: usize,
    /// The blob matched.
    pub blob: BlobId,
    /// Byte range of the whole regex match.
    pub span: Range<usize>,
    /// Byte range of the secret.
    pub secret_span: Range<usize>,
    /// The secret's text as written.
    pub secret: Secret,
    /// 1-based line of the secret's first byte.
    pub line: usize,
    /// 1-based column of the secret's first character, in code points.
    pub column: usize,
    /// Line and column just past the secret.
    pub end: (usize, usize),
    /// Key id captured by the rule or from context.
    pub key_id: Option<String>,
    /// Issuer id captured by the rule or from context.
    pub issuer_id: Option<String>,
    /// Whether the rule's validator confirmed it.
    pub validated: bool,
    /// Parsed key material, for private keys.
    pub key: Option<Box<KeyMaterial>>,
    /// An inline allow comment (`keysweep:allow`, …) on the line or the line before.
    pub inline_allowed: bool,
    /// Redacted context lines.
    pub snippet: Snippet,
    /// How the secret is encoded where it is written (`base64`), when not as itself.
    pub encoding: Option<&'static str>,
    /// The path inside the blob when the blob is an archive (`config/app.yml`, `inner.zip!key.p8`).
    pub member: Option<String>,
    /// Rules that need evidence matched here without any in the text, so `rule` is their catch-all: where the
    /// file's name is evidence for one of them (`AuthKey_<ID>.p8`), the highest ranked of those names the match.
    pub gated: Vec<usize>,
    /// How far the nearest evidence of its rule's provider is from the secret, in lines, what precedes it ranking
    /// before what follows (0 for a rule that needs none): of two rules that name one secret, the nearer does.
    pub evidence_distance: usize,
}

impl Match {
    /// The stable identity of this secret: the public key for private keys, else the id of the rule that matched
    /// (`rule_id`) and the token.
    pub fn fingerprint(&self, rule_id: &str) -> String {
        match &self.key {
            Some(key) => fingerprint_key(&key.spki_der),
            None => fingerprint_token(rule_id, self.secret.reveal().unwrap_or("")),
        }
    }
}

/// A blob that produced matches, with every origin its content was seen under.
#[derive(Clone, Debug)]
pub struct ScannedBlob {
    /// The blob id.
    pub id: BlobId,
    /// Every origin with this content.
    pub origins: Vec<Origin>,
    /// The matches in it.
    pub matches: Vec<Match>,
}

/// What of an archive was not read, for the caller to count and report; empty for content that is no archive.
/// Paths are inside the archive, the empty path naming the archive itself.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Unread {
    /// Members over the member cap (`--max-file-size`), skipped after that many bytes.
    pub too_large: Vec<String>,
    /// Whether the archive's budget (of bytes and members) ran out before its end.
    pub budget_spent: bool,
    /// Content with an archive's magic that yielded no member, with the cause; its bytes were matched as text.
    pub unreadable: Vec<(String, String)>,
}

impl Unread {
    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.too_large.is_empty() && !self.budget_spent && self.unreadable.is_empty()
    }
}

/// What matching one unique blob found before its origin was known, kept by the source until it knows the
/// origin (a history scan decodes blobs in pack order, before its walk has named them). Nothing is counted
/// until then: a blob never named is as if never read.
#[derive(Debug, Default)]
pub struct Detached {
    /// The blob's size in bytes.
    pub len: u64,
    /// Its matches and what of it was not read; `None` (the common case) when both are empty.
    pub found: Option<Box<(Vec<Match>, Unread)>>,
}
