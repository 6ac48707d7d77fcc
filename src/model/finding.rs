//! What a scan reports about one distinct secret: the [`Finding`], every place it was seen ([`Location`]), and
//! what later stages add to it — key ids ([`KeyInfo`]), the inventory entry it matched ([`InventoryHit`]) and
//! the provider's liveness answer ([`Liveness`]). These are the shapes of the JSON output contract.

use serde::{Deserialize, Serialize};

use super::secret::{Secret, Severity};

/// What the key material of a finding tells: ids captured around it and its public-key fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// The provider's name for the key (App Store Connect Key ID, AWS access key id, an OpenPGP fingerprint, …).
    pub key_id: Option<String>,
    /// The App Store Connect Issuer ID.
    pub issuer_id: Option<String>,
    /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo, for private keys that parse.
    pub public_key_sha256: Option<String>,
    /// The key algorithm (`ec-p256`, `rsa`, `ed25519`, …) for private keys that parse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
}

/// How a finding matched an inventory entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryHit {
    /// The entry's key id.
    pub key_id: String,
    /// The entry's owner.
    pub owner: Option<String>,
    /// The entry's provider, which chooses the revoker.
    #[serde(default)]
    pub provider: String,
    /// What matched.
    pub matched_by: MatchedBy,
    /// How much the match proves.
    pub strength: Strength,
}

/// What a finding and an inventory entry have in common.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The public-key fingerprint of a private key.
    PublicKey,
    /// The SHA-256 of a token.
    SecretHash,
    /// The provider's key id only.
    KeyId,
}

impl std::fmt::Display for MatchedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl MatchedBy {
    /// The name used in output: `public_key`, `secret_hash` or `key_id`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::PublicKey => "public_key",
            MatchedBy::SecretHash => "secret_hash",
            MatchedBy::KeyId => "key_id",
        }
    }
}

/// How much an inventory match proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// A key id alone: another key may carry the same id.
    Weak,
    /// A fingerprint or secret hash, or a key id together with its issuer.
    Strong,
}

impl std::fmt::Display for Strength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Strength {
    /// The name used in output: `strong` or `weak`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Strong => "strong",
            Strength::Weak => "weak",
        }
    }
}

/// The result of a liveness probe (`--verify`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liveness {
    /// What the probe found.
    pub status: LiveStatus,
    /// What the provider answered, in a few words.
    pub detail: String,
}

/// A liveness probe's verdict as reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LiveStatus {
    /// The credential works.
    Live,
    /// Revoked, expired or unknown to the provider.
    Dead,
    /// The probe could not tell.
    Unknown,
}

impl std::fmt::Display for LiveStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl LiveStatus {
    /// The name used in output: `live`, `dead` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Live => "live",
            LiveStatus::Dead => "dead",
            LiveStatus::Unknown => "unknown",
        }
    }
}

/// Lines around a sighting, already redacted, for human output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Snippet {
    /// 1-based number of the first line in `lines`.
    pub first_line: usize,
    /// The lines, secrets replaced by their redacted form.
    pub lines: Vec<String>,
}

/// One sighting of a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The repository, in sweeps.
    pub repository: Option<String>,
    /// The absolute directory `path` is relative to (a repository's work tree, the scanned directory, or a
    /// sweep's repository or mirror), so that `revoke` re-reads the secret from anywhere. Absent for standard
    /// input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<std::sync::Arc<str>>,
    /// Path relative to the scan or repository root; `-` for stdin. Held in the lossless form of
    /// [`super::path`]; written lossily (a name that is not UTF-8 is exact in `path_bytes`).
    #[serde(serialize_with = "lossy_path")]
    pub path: String,
    /// The exact bytes of `path`, base64, when it is not UTF-8 (see [`super::path`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
    /// 1-based line of the secret's first character.
    pub line: usize,
    /// 1-based column of the secret's first character, in Unicode code points.
    pub column: usize,
    /// The git blob id of the content.
    pub blob: String,
    /// The commit that introduced it (history modes).
    pub commit: Option<String>,
    /// That commit's author.
    pub author: Option<String>,
    /// That commit's date (RFC 3339).
    pub date: Option<String>,
    /// Whether HEAD still contains it (history modes).
    pub in_head: Option<bool>,
    /// History and range modes: whether `commit` introduced the secret at this path (the earliest commit in
    /// which it appears there), or only carried it on (a later commit that changed something else in the
    /// file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<bool>,
    /// How the secret is encoded here (`base64`), when it is not written as itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// When `path` is an archive: the member the secret is in, as `dir/file` (`lib/app.jar!conf/app.yml` for a
    /// member of a nested archive); `line` and `column` are in that member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Line and column just past the secret, for SARIF regions.
    #[serde(skip)]
    pub end: Option<(usize, usize)>,
    /// Redacted context lines, for human output.
    #[serde(skip)]
    pub snippet: Option<Snippet>,
}

fn lossy_path<S: serde::Serializer>(path: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::path::lossy(path))
}

impl Location {
    /// The exact bytes of the file name: `path_bytes` when a report recorded them, else `path`'s own.
    pub fn raw_path(&self) -> std::borrow::Cow<'_, [u8]> {
        use base64::Engine as _;
        self.path_bytes
            .as_deref()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map_or_else(
                || super::path::to_bytes(&self.path),
                std::borrow::Cow::Owned,
            )
    }

    /// The path for people to read: a blob that no ref reaches (found by `--all-objects`) has no path, so it is
    /// named by its id. A member of an archive is named after the archive: `dist.zip!conf/app.yml`.
    pub fn display_path(&self) -> std::borrow::Cow<'_, str> {
        let outer = if self.path.is_empty() {
            let id = super::blob::short(&self.blob, 12);
            std::borrow::Cow::Owned(format!("(unreachable blob {id})"))
        } else {
            std::borrow::Cow::Borrowed(self.path.as_str())
        };
        match &self.member {
            Some(member) => std::borrow::Cow::Owned(format!("{outer}!{member}")),
            None => outer,
        }
    }
}

/// One distinct secret, with every place it was seen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Finding {
    /// The rule that found it (the most specific one when several did).
    pub rule_id: String,
    /// The canonical provider id.
    pub provider: String,
    /// From the rule.
    pub severity: Severity,
    /// Stable identity; see DESIGN.md "Identity and hashes".
    pub fingerprint: String,
    /// The secret, redacted unless `--show-secrets`.
    pub secret: Secret,
    /// Whether an offline validator (checksum, key parse) confirmed it.
    pub validated: bool,
    /// Key material and ids.
    pub key: Option<Box<KeyInfo>>,
    /// The inventory entry it matched.
    pub inventory: Option<Box<InventoryHit>>,
    /// The liveness probe's answer, with `--verify`.
    pub liveness: Option<Box<Liveness>>,
    /// How many times it was seen (paths × commits in history modes).
    pub occurrences: usize,
    /// Where it was seen, sorted.
    pub locations: Vec<Location>,
    /// `test` when every location is in test data, fixtures or examples (see `enrich::context`); its severity
    /// is then one step lower than its rule's. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// A key published as an example by its own documentation or test suite (recognised by its public key):
    /// reported at low severity. Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub known_example: bool,
}

/// The `context` of a finding whose every location is test data, a fixture or an example.
pub const TEST_CONTEXT: &str = "test";

/// Every `context` a finding can have, as `--exclude-context` and `[scan] exclude_context` accept them.
pub const CONTEXTS: &[&str] = &[TEST_CONTEXT];

/// Deterministic order: by first location, then rule id, then fingerprint.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let ka = a
            .locations
            .first()
            .map(|l| (l.path.as_str(), l.line, l.column));
        let kb = b
            .locations
            .first()
            .map(|l| (l.path.as_str(), l.line, l.column));
        (ka, &a.rule_id, &a.fingerprint).cmp(&(kb, &b.rule_id, &b.fingerprint))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_human_output_does_not_slice_a_non_ascii_blob_id() {
        let loc = Location {
            path: String::new(),
            blob: "éééééééééééééé".into(),
            ..Location::default()
        };
        assert_eq!(loc.display_path(), "(unreachable blob éééééééééééé)");
    }
}
