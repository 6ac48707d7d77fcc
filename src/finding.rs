//! Findings: raw [`Match`]es from the matcher are grouped into one [`Finding`] per distinct secret (per key,
//! whatever its encoding), with every sighting as a [`Location`]. This is also where the identity of a secret
//! (its fingerprint) and the redacting [`Secret`] type live.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::keys::KeyMaterial;
use crate::rules::RuleSet;
use crate::source::{BlobId, Origin};

/// How bad a leak of this kind is, from the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Test keys and the like.
    Low,
    /// Real but limited credentials, or unverified private keys.
    Medium,
    /// Production credentials and private keys.
    High,
}

impl Severity {
    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// A secret's text. Its `Debug`, `Display` and `Serialize` are redacted; only [`Secret::reveal`] gives the
/// raw text, for `--show-secrets`, inventory hashing and revocation.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    text: String,
    /// True when `text` is already a redacted form (read back from a findings file).
    redacted_only: bool,
}

impl Secret {
    /// Wraps a raw secret.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret {
            text: text.into(),
            redacted_only: false,
        }
    }

    /// The raw secret, or `None` when only the redacted form is known.
    pub fn reveal(&self) -> Option<&str> {
        (!self.redacted_only).then_some(self.text.as_str())
    }

    /// The redacted form: enough of the start to recognise the kind, never enough to use it.
    pub fn redacted(&self) -> String {
        if self.redacted_only {
            return self.text.clone();
        }
        redact(&self.text)
    }
}

/// Redacts a secret's text: a PEM header plus four body characters, or a short prefix of a token.
pub fn redact(text: &str) -> String {
    // The head is the BEGIN marker alone: an escaped PEM (`…-----\\n…\\n-----END…-----`) is one line that
    // also ends with dashes, and must not be shown whole.
    let head_len = text
        .strip_prefix("-----BEGIN")
        .and_then(|rest| rest.find("-----"))
        .map_or(0, |end| "-----BEGIN".len() + end + "-----".len());
    let (head, body) = text.split_at(head_len);
    let body = body.trim_start_matches(['\r', '\n', '\\', 'n', '"', '\'', ' ', '\t', '+']);
    let visible = if head.is_empty() {
        (body.chars().count() / 5).min(8)
    } else {
        4
    };
    let prefix: String = body.chars().take(visible).collect();
    format!("{head}{prefix}…(redacted)")
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let redacted_only = text.ends_with("(redacted)");
        Ok(Secret {
            text,
            redacted_only,
        })
    }
}

/// What the key material of a finding tells: ids captured around it and its public-key fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// The provider's name for the key (App Store Connect Key ID, AWS access key id, …).
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
    /// `public_key`, `secret_hash` or `key_id`.
    pub matched_by: String,
    /// `strong` or `weak`.
    pub strength: String,
}

/// The result of a liveness probe (`--verify`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liveness {
    /// `live`, `dead` or `unknown`.
    pub status: String,
    /// What the provider answered, in a few words.
    pub detail: String,
}

/// Lines around a sighting, already redacted, for human output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snippet {
    /// 1-based number of the first line in `lines`.
    pub first_line: usize,
    /// The lines, secrets replaced by their redacted form.
    pub lines: Vec<String>,
}

/// One sighting of a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The repository, in sweeps.
    pub repository: Option<String>,
    /// Path relative to the scan or repository root; `-` for stdin.
    pub path: String,
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

impl Location {
    /// The path for people to read: a blob that no ref reaches (found by `--all-objects`) has no path, so it is
    /// named by its id. A member of an archive is named after the archive: `dist.zip!conf/app.yml`.
    pub fn display_path(&self) -> std::borrow::Cow<'_, str> {
        let outer = if self.path.is_empty() {
            let id = &self.blob[..self.blob.len().min(12)];
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
    pub key: Option<KeyInfo>,
    /// The inventory entry it matched.
    pub inventory: Option<InventoryHit>,
    /// The liveness probe's answer, with `--verify`.
    pub liveness: Option<Liveness>,
    /// How many times it was seen (paths × commits in history modes).
    pub occurrences: usize,
    /// Where it was seen, sorted.
    pub locations: Vec<Location>,
}

/// A raw match from the matcher, self-contained so the blob's bytes can be dropped afterwards.
#[derive(Clone, Debug)]
pub struct Match {
    /// Index of the rule in the [`RuleSet`].
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
    pub key: Option<KeyMaterial>,
    /// An inline allow comment (`keysweep:allow`, …) on the line or the line before.
    pub inline_allowed: bool,
    /// Redacted context lines.
    pub snippet: Snippet,
    /// How the secret is encoded where it is written (`base64`), when not as itself.
    pub encoding: Option<&'static str>,
    /// The path inside the blob when the blob is an archive (`config/app.yml`, `inner.zip!key.p8`).
    pub member: Option<String>,
}

impl Match {
    /// The stable identity of this secret: the public key for private keys, else rule id and token.
    pub fn fingerprint(&self, rules: &RuleSet) -> String {
        match &self.key {
            Some(key) => fingerprint_key(&key.spki_der),
            None => fingerprint_token(
                &rules.rules[self.rule].id,
                self.secret.reveal().unwrap_or(""),
            ),
        }
    }
}

/// `sha256("key\0" + SPKI DER)`, lowercase hex.
pub fn fingerprint_key(spki_der: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"key\0");
    h.update(spki_der);
    hex::encode(h.finalize())
}

/// `sha256(rule_id + "\0" + token)`, lowercase hex.
pub fn fingerprint_token(rule_id: &str, token: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update(b"\0");
    h.update(token.as_bytes());
    hex::encode(h.finalize())
}

/// Lowercase hex SHA-256 of a secret's exact bytes (the inventory's `secret_sha256`).
pub fn secret_sha256(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
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

/// Counts what grouping dropped, for the summary.
#[derive(Clone, Debug, Default)]
pub struct GroupStats {
    /// Sightings dropped by inline allow comments.
    pub inline_allowed: usize,
}

/// Groups matches into findings: one per fingerprint, the most specific rule naming it, every sighting a
/// location. Per-path rule filters and file-name key ids are applied per origin here.
pub fn group(rules: &RuleSet, blobs: Vec<ScannedBlob>, stats: &mut GroupStats) -> Vec<Finding> {
    let mut by_fp: BTreeMap<String, Finding> = BTreeMap::new();
    for blob in blobs {
        for m in &blob.matches {
            let rule = &rules.rules[m.rule];
            for origin in &blob.origins {
                let (outer, commit) = match origin {
                    Origin::File { path } | Origin::Staged { path } => (path.clone(), None),
                    Origin::Stdin => ("-".to_string(), None),
                    Origin::GitBlob { path, commit } => {
                        (path.clone().unwrap_or_default(), commit.clone())
                    }
                };
                // Rules see a member of an archive by its path in the archive's: `dist.zip!conf/app.yml`.
                let member_path = m.member.as_ref().map(|member| format!("{outer}!{member}"));
                let path = member_path.as_deref().or(origin.path());
                if !rule.applies_to_path(path) {
                    continue;
                }
                if m.inline_allowed {
                    stats.inline_allowed += 1;
                    continue;
                }
                let fp = m.fingerprint(rules);
                let key_id = m
                    .key_id
                    .clone()
                    .or_else(|| path.and_then(|p| rule.key_id_from_path(p)));
                let entry = by_fp.entry(fp.clone()).or_insert_with(|| Finding {
                    rule_id: rule.id.clone(),
                    provider: rule.provider.clone(),
                    severity: rule.severity,
                    fingerprint: fp,
                    secret: m.secret.clone(),
                    validated: false,
                    key: None,
                    inventory: None,
                    liveness: None,
                    occurrences: 0,
                    locations: Vec::new(),
                });
                // The most specific rule names the finding: a provider rule over a generic one, then the
                // higher severity.
                // Ties go to the rule listed first, so the name does not depend on which file was read first.
                let current = rules.by_id(&entry.rule_id);
                if current.is_none_or(|ci| {
                    let c = &rules.rules[ci];
                    (rule.specificity(), rule.severity, std::cmp::Reverse(m.rule))
                        > (c.specificity(), c.severity, std::cmp::Reverse(ci))
                }) {
                    entry.rule_id = rule.id.clone();
                    entry.provider = rule.provider.clone();
                    entry.severity = rule.severity;
                    entry.secret = m.secret.clone();
                }
                entry.validated |= m.validated;
                if key_id.is_some() || m.issuer_id.is_some() || m.key.is_some() {
                    let info = entry.key.get_or_insert_with(KeyInfo::default);
                    if info.key_id.is_none() {
                        info.key_id = key_id;
                    }
                    if info.issuer_id.is_none() {
                        info.issuer_id = m.issuer_id.clone();
                    }
                    if let Some(k) = &m.key {
                        info.public_key_sha256 = Some(k.public_key_sha256.clone());
                        info.algorithm = Some(k.algorithm.clone());
                    }
                }
                let location = Location {
                    repository: None,
                    path: outer,
                    line: m.line,
                    column: m.column,
                    blob: blob.id.to_hex(),
                    commit,
                    author: None,
                    date: None,
                    in_head: None,
                    encoding: m.encoding.map(str::to_string),
                    member: m.member.clone(),
                    end: Some(m.end),
                    snippet: Some(m.snippet.clone()),
                };
                if !entry.locations.contains(&location) {
                    entry.locations.push(location);
                }
            }
        }
    }
    let mut findings: Vec<Finding> = by_fp.into_values().collect();
    for f in &mut findings {
        f.locations.sort_by(|a, b| {
            (&a.path, &a.member, a.line, a.column).cmp(&(&b.path, &b.member, b.line, b.column))
        });
        f.occurrences = f.locations.len();
    }
    sort_findings(&mut findings);
    findings
}

/// Deterministic order: by first location, then rule id, then fingerprint.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let ka = a
            .locations
            .first()
            .map(|l| (l.path.clone(), l.line, l.column));
        let kb = b
            .locations
            .first()
            .map(|l| (l.path.clone(), l.line, l.column));
        (ka, &a.rule_id, &a.fingerprint).cmp(&(kb, &b.rule_id, &b.fingerprint))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_a_prefix() {
        let s = Secret::new("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
        assert_eq!(s.redacted(), "ghp_abcd…(redacted)");
        assert!(!format!("{s:?}").contains("mnop"));
        let pem =
            Secret::new("-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMG\n-----END PRIVATE KEY-----");
        assert_eq!(pem.redacted(), "-----BEGIN PRIVATE KEY-----MIGT…(redacted)");
        // An escaped PEM is one line ending in dashes: only the marker and four characters show.
        let escaped = Secret::new(
            r"-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMG\nAAAA\n-----END PRIVATE KEY-----\n",
        );
        assert_eq!(
            escaped.redacted(),
            "-----BEGIN PRIVATE KEY-----MIGT…(redacted)"
        );
    }

    #[test]
    fn redacted_secret_round_trips_without_revealing() {
        let s: Secret = serde_json::from_str("\"ghp_abcd…(redacted)\"").expect("valid JSON");
        assert_eq!(s.reveal(), None);
        assert_eq!(s.redacted(), "ghp_abcd…(redacted)");
    }

    #[test]
    fn escaped_pem_redaction_hides_the_body() {
        let escaped = "-----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49AgEGCCqG\\nSM49AwEHBG0w\\n-----END PRIVATE KEY-----";
        assert_eq!(
            redact(escaped),
            "-----BEGIN PRIVATE KEY-----MIGH…(redacted)"
        );
        let pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(redact(pem), "-----BEGIN EC PRIVATE KEY-----MHcC…(redacted)");
    }

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(
            fingerprint_token("github.pat", "x"),
            hex::encode(Sha256::digest(b"github.pat\0x"))
        );
    }
}
