//! Planning a revocation: each finding is re-matched against the inventory and its secret re-read from the
//! recorded location (file under the scan root, or the blob in the repository) and checked against the
//! fingerprint — a findings file is never trusted. The result is one [`PlanItem`] per key: revoke by API, manual
//! steps, or a refusal with its reason. Nothing here calls a provider.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::FileConfig;
use crate::inventory::Inventory;
use crate::model::{
    BlobId, Finding, KeyInfo, MatchedBy, RevocationOutcome, Strength, fingerprint_key,
    fingerprint_token,
};
use crate::providers::{self, registry};
use crate::rules::RuleSet;
use crate::scan::Scanner;

/// What the plan does with a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Revoke through the provider's API.
    Revoke,
    /// Report the provider's manual steps.
    Manual,
    /// Do nothing, and say why.
    Refuse,
}

impl Action {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Revoke => "revoke",
            Action::Manual => "manual",
            Action::Refuse => "refuse",
        }
    }
}

/// One key of the plan.
#[derive(Clone, Debug, Serialize)]
pub struct PlanItem {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// The provider that revokes it (the inventory entry's, else the rule's).
    pub provider: String,
    /// The provider's key id.
    pub key_id: Option<String>,
    /// App Store Connect Issuer ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_id: Option<String>,
    /// App Store Connect individual key.
    #[serde(skip)]
    pub individual: bool,
    /// SHA-256 of the public key, recomputed from the re-read key.
    pub public_key_sha256: Option<String>,
    /// What the plan does.
    pub action: Action,
    /// How it matched the inventory, if it did.
    pub matched_by: Option<MatchedBy>,
    /// How much that match proves.
    pub strength: Option<Strength>,
    /// The inventory entry's owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The first recorded location (`path:line`).
    pub location: Option<String>,
    /// Why the plan chose this action.
    pub reason: String,
    /// What happened (manual steps and refusals are known at plan time).
    pub outcome: Option<RevocationOutcome>,
    /// The raw secret, re-read and checked against the fingerprint; never serialized.
    #[serde(skip)]
    pub secret: Option<String>,
}

/// Where the raw secrets come from.
pub enum SecretSource<'a> {
    /// Findings of this very scan (their secrets are in memory).
    InMemory,
    /// A findings file: re-read each secret under `root` (files, or blobs of the repository there), or for a
    /// sweep's report from the location's repository.
    Reread {
        /// The scan root the locations are relative to.
        root: &'a Path,
        /// A sweep's cache directory, where repositories named by URL were mirrored.
        cache: &'a Path,
        /// The rules to re-find the secret with.
        rules: Arc<RuleSet>,
    },
}

/// A secret re-read from its location and proven to be the finding's.
#[derive(Debug)]
pub struct Reread {
    /// The raw text.
    pub secret: String,
    /// DER SPKI of its public key, for private keys that decode.
    pub spki: Option<Vec<u8>>,
    /// The key id found again at that location (rule capture, context, or `AuthKey_<ID>.p8` file name).
    pub key_id: Option<String>,
    /// The issuer id found again at that location.
    pub issuer_id: Option<String>,
}

/// DER SubjectPublicKeyInfo of a PKCS#8 DER P-256 private key.
pub fn p256_spki_der(pkcs8_der: &[u8]) -> Option<Vec<u8>> {
    use p256::pkcs8::{DecodePrivateKey, EncodePublicKey};
    let key = p256::SecretKey::from_pkcs8_der(pkcs8_der).ok()?;
    Some(
        key.public_key()
            .to_public_key_der()
            .ok()?
            .as_bytes()
            .to_vec(),
    )
}

/// Whether `text` (found by rule `rule_id`, with `spki` when it is a key) is the finding's secret.
fn verify(f: &Finding, rule_id: &str, text: &str, spki: Option<Vec<u8>>) -> Option<Reread> {
    let spki = spki.or_else(|| match crate::keys::parse_private_key(text.as_bytes()) {
        crate::keys::KeyParse::Parsed(k) => Some(k.spki_der),
        _ => None,
    });
    let token_fp = fingerprint_token(&f.rule_id, text) == f.fingerprint
        || fingerprint_token(rule_id, text) == f.fingerprint;
    let key_fp = spki
        .as_deref()
        .is_some_and(|s| fingerprint_key(s) == f.fingerprint);
    (token_fp || key_fp).then(|| Reread {
        secret: text.to_string(),
        spki,
        key_id: None,
        issuer_id: None,
    })
}

/// A base64 key body starting at `rest`: base64 characters, `\n`/`\r` escapes, and line breaks followed by
/// indentation (the armourless `.p8` body, wrapped or not, and base64 of a whole PEM).
fn key_body(rest: &str) -> &str {
    let bytes = rest.as_bytes();
    let mut i = 0;
    let mut end = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=' {
            i += 1;
            end = i;
        } else if b == b'\\' && matches!(bytes.get(i + 1), Some(b'n' | b'r')) {
            i += 2;
        } else if b == b'\r' || b == b'\n' {
            i += 1;
            while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                i += 1;
            }
        } else {
            break;
        }
    }
    &rest[..end]
}

/// The candidate secrets starting at a 1-based line and column (code points): a PEM block (also `\n`-escaped
/// inside a string), a base64 key body, or a token. Used when no rule re-finds the secret there.
fn at_position(bytes: &[u8], line: usize, column: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let Some(start_of_line) = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .try_fold(0usize, |a, b| a.checked_add(b))
    else {
        return Vec::new();
    };
    let Some(rest) = text.get(start_of_line..) else {
        return Vec::new();
    };
    let Some((off, _)) = rest.char_indices().nth(column.saturating_sub(1)) else {
        return Vec::new();
    };
    let rest = &rest[off..];
    let mut out = Vec::new();
    if rest.starts_with("-----BEGIN")
        && let Some(end) = rest.find("-----END")
        && let Some(close) = rest[end + 8..].find("-----")
    {
        out.push(rest[..end + 8 + close + 5].to_string());
    }
    let body = key_body(rest);
    if body.len() >= 64 {
        out.push(body.to_string());
    }
    for extra in ["", "."] {
        let tok: String = rest
            .chars()
            .take_while(|c| {
                c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || extra.contains(*c)
            })
            .collect();
        if !tok.is_empty() && !out.contains(&tok) {
            out.push(tok);
        }
    }
    out
}

/// Where a sweep location's repository is: the mirror of a URL under `cache`, else a path (relative ones
/// under `root`, as `sweep --dir` names them; never through `..`).
fn repository_dir(name: &str, root: &Path, cache: &Path) -> Option<PathBuf> {
    if crate::source::mirror::looks_like_url(name) {
        return Some(crate::source::mirror::mirror_dir(name, cache));
    }
    let path = Path::new(name);
    (!path
        .components()
        .any(|c| c == std::path::Component::ParentDir))
    .then(|| root.join(path))
}

/// The repositories secrets are re-read from, each opened at most once per plan: a sweep's report names the
/// same repository on many locations of many findings.
pub struct Repositories<'a> {
    root: &'a Path,
    /// The repository containing `root`, once looked for.
    root_repo: Option<Option<git2::Repository>>,
    /// Sweep repositories by directory; `None` where there is no repository.
    swept: HashMap<PathBuf, Option<git2::Repository>>,
}

impl<'a> Repositories<'a> {
    /// Nothing opened yet; locations without a repository are read under `root`.
    pub fn new(root: &'a Path) -> Repositories<'a> {
        Repositories {
            root,
            root_repo: None,
            swept: HashMap::new(),
        }
    }

    /// The repository containing the scan root, if any.
    fn root(&mut self) -> Option<&git2::Repository> {
        let root = self.root;
        self.root_repo
            .get_or_insert_with(|| git2::Repository::discover(root).ok())
            .as_ref()
    }

    /// The repository at `dir` (a swept repository), if there is one.
    fn swept(&mut self, dir: &Path) -> Option<&git2::Repository> {
        self.swept
            .entry(dir.to_path_buf())
            .or_insert_with(|| git2::Repository::open(dir).ok())
            .as_ref()
    }
}

/// Re-reads a finding's secret from its recorded locations and checks it against the fingerprint. A location
/// of a sweep is read in its own repository (see [`repository_dir`]); others under `root`.
pub fn reread(
    f: &Finding,
    repos: &mut Repositories<'_>,
    cache: &Path,
    scanner: &Scanner,
) -> Result<Reread, String> {
    let rules = scanner.rules();
    let root = repos.root;
    let mut tried = Vec::new();
    for loc in &f.locations {
        let swept = match loc.repository.as_deref() {
            Some(name) => match repository_dir(name, root, cache) {
                Some(dir) => Some(dir),
                None => {
                    tried.push(format!("repository {name} (outside the scan root)"));
                    continue;
                }
            },
            None => None,
        };
        let base = swept.as_deref().unwrap_or(root);
        let repo = match swept.as_deref() {
            Some(dir) => repos.swept(dir),
            None => repos.root(),
        };
        let mut contents: Vec<Vec<u8>> = Vec::new();
        if loc.path != "-" && !loc.path.is_empty() {
            let rel = Path::new(&loc.path);
            if rel.is_absolute()
                || rel
                    .components()
                    .any(|c| c == std::path::Component::ParentDir)
            {
                tried.push(format!("{} (outside the scan root)", loc.path));
            } else {
                let file = base.join(rel);
                match std::fs::read(&file) {
                    Ok(b) => contents.push(b),
                    Err(e) => tried.push(format!("{}: {e}", file.display())),
                }
            }
        }
        if let Some(repo) = repo
            && let Ok(oid) = git2::Oid::from_str(&loc.blob)
        {
            match repo.find_blob(oid) {
                Ok(b) => contents.push(b.content().to_vec()),
                Err(_) => tried.push(format!("blob {} not in {}", loc.blob, base.display())),
            }
        } else if let Some(dir) = &swept
            && repo.is_none()
        {
            tried.push(format!(
                "repository {}: no git repository at {}",
                loc.repository.as_deref().unwrap_or_default(),
                dir.display()
            ));
        }
        for bytes in &contents {
            for m in scanner.scan(BlobId::of_bytes(bytes), bytes) {
                let Some(text) = m.secret.reveal() else {
                    continue;
                };
                let spki = m.key.as_ref().map(|k| k.spki_der.clone());
                let rule = &rules.rules[m.rule];
                if let Some(mut r) = verify(f, &rule.id, text, spki) {
                    r.key_id = m
                        .key_id
                        .clone()
                        .or_else(|| rule.key_id_from_path(&loc.display_path()));
                    r.issuer_id = m.issuer_id.clone();
                    return Ok(r);
                }
            }
            for cand in at_position(bytes, loc.line, loc.column) {
                if let Some(mut r) = verify(f, &f.rule_id, &cand, None) {
                    r.key_id = rules
                        .get(&f.rule_id)
                        .and_then(|rule| rule.key_id_from_path(&loc.display_path()));
                    return Ok(r);
                }
            }
        }
        if !contents.is_empty() {
            tried.push(format!(
                "{}:{}: no secret with this fingerprint there now",
                loc.path, loc.line
            ));
        }
    }
    Err(if tried.is_empty() {
        "no recorded location to re-read".to_string()
    } else {
        tried.join("; ")
    })
}

/// Builds the plan. `include_unlisted` adds self-revocable tokens that are not in the inventory.
pub fn build(
    findings: &[Finding],
    inventory: Option<&Inventory>,
    file: &FileConfig,
    source: &SecretSource<'_>,
    include_unlisted: bool,
) -> anyhow::Result<Vec<PlanItem>> {
    let scanner = match source {
        SecretSource::Reread { rules, .. } => Some(Scanner::new(rules.clone())?),
        SecretSource::InMemory => None,
    };
    let mut repos = match source {
        SecretSource::Reread { root, .. } => Some(Repositories::new(root)),
        SecretSource::InMemory => None,
    };
    let empty = Inventory::default();
    let inventory = inventory.unwrap_or(&empty);
    let mut items = Vec::new();
    let mut seen = BTreeSet::new();
    for f in findings {
        // The trusted view of the finding: the secret, public key, key id and issuer id as re-read, never as
        // the file claims (a key id written into a findings file must not select an inventory key).
        let mut trusted = f.clone();
        let (secret, reread_error) = match (source, &scanner, repos.as_mut()) {
            (SecretSource::Reread { cache, .. }, Some(scanner), Some(repos)) => {
                match reread(f, repos, cache, scanner) {
                    Ok(r) => {
                        let pk = r.spki.as_deref().map(|s| hex::encode(Sha256::digest(s)));
                        let algorithm = f.key.as_ref().and_then(|k| k.algorithm.clone());
                        trusted.key = (pk.is_some() || r.key_id.is_some() || r.issuer_id.is_some())
                            .then_some(KeyInfo {
                                key_id: r.key_id,
                                issuer_id: r.issuer_id,
                                public_key_sha256: pk,
                                algorithm,
                            });
                        (Some(r.secret), None)
                    }
                    Err(e) => {
                        // Unverified: the file's key id may still name manual steps, but nothing is called for it.
                        if let Some(k) = trusted.key.as_mut() {
                            k.public_key_sha256 = None;
                        }
                        (None, Some(e))
                    }
                }
            }
            _ => (f.secret.reveal().map(str::to_string), None),
        };
        let hit = inventory.match_finding(&trusted, secret.as_deref());
        let location = f
            .locations
            .first()
            .map(|l| format!("{}:{}", l.path, l.line));
        let key = trusted.key.clone().unwrap_or_default();
        let mut item = PlanItem {
            fingerprint: f.fingerprint.clone(),
            provider: f.provider.clone(),
            key_id: key.key_id.clone(),
            issuer_id: key.issuer_id.clone(),
            individual: false,
            public_key_sha256: key.public_key_sha256.clone(),
            action: Action::Manual,
            matched_by: None,
            strength: None,
            owner: None,
            location,
            reason: String::new(),
            outcome: None,
            secret: secret.clone(),
        };
        let unverified = || {
            format!(
                "the secret could not be re-read and checked against the fingerprint ({})",
                reread_error.clone().unwrap_or_default()
            )
        };
        match hit {
            Some((entry, h)) => {
                item.provider = entry.provider.clone();
                item.key_id = Some(entry.key_id.clone());
                item.issuer_id = entry.issuer_id.clone().or(item.issuer_id);
                item.individual = entry.is_individual();
                item.owner = entry.owner.clone();
                item.matched_by = Some(h.matched_by);
                item.strength = Some(h.strength);
                let http = file
                    .providers
                    .get(&entry.provider)
                    .is_some_and(|p| p.kind.as_deref() == Some("http"));
                let api =
                    http || registry::get(&entry.provider).is_some_and(|p| p.self_revocable());
                if !api {
                    item.action = Action::Manual;
                    item.reason = format!(
                        "inventory key; {} has no public revoke endpoint",
                        entry.provider
                    );
                } else if h.strength == Strength::Weak {
                    item.action = Action::Refuse;
                    item.reason = "matched by key id alone (weak); add public_key_sha256 or secret_sha256 to the \
                                   inventory entry to revoke it"
                        .into();
                } else if secret.is_none() {
                    item.action = Action::Refuse;
                    item.reason = unverified();
                } else {
                    item.action = Action::Revoke;
                    item.reason = "inventory key".into();
                }
            }
            None => {
                let self_revocable = registry::get(&f.provider).is_some_and(|p| p.self_revocable());
                if include_unlisted && self_revocable && secret.is_some() {
                    item.action = Action::Revoke;
                    item.reason = "not in the inventory; --include-unlisted".into();
                } else if include_unlisted && self_revocable {
                    item.action = Action::Refuse;
                    item.reason = unverified();
                } else if reread_error.is_some() {
                    item.action = Action::Manual;
                    item.reason = format!("not matched to the inventory: {}", unverified());
                } else {
                    item.action = Action::Manual;
                    item.reason = if self_revocable {
                        "not in the inventory (`keysweep revoke --include-unlisted` revokes it)"
                            .into()
                    } else {
                        "not in the inventory".into()
                    };
                }
            }
        }
        // One item per key: a key matched twice (two encodings, two rules) is revoked once.
        let identity = match (&item.matched_by, &secret) {
            (Some(_), _) => format!(
                "{}\0{}",
                item.provider,
                item.key_id.clone().unwrap_or_default()
            ),
            (None, Some(s)) => format!(
                "{}\0{}",
                item.provider,
                hex::encode(Sha256::digest(s.as_bytes()))
            ),
            (None, None) => item.fingerprint.clone(),
        };
        if !seen.insert(identity) {
            continue;
        }
        item.outcome = match item.action {
            Action::Manual => Some(providers::manual_steps(
                &item.provider,
                item.key_id.as_deref(),
                item.individual,
            )),
            Action::Refuse => Some(RevocationOutcome::Refused {
                reason: item.reason.clone(),
            }),
            Action::Revoke => None,
        };
        items.push(item);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_at_position() {
        let bytes = b"a = 1\ntoken = \"glpat-abcDEF_123\"\n";
        assert_eq!(
            at_position(bytes, 2, 10),
            vec!["glpat-abcDEF_123".to_string()]
        );
        assert!(at_position(bytes, 9, 1).is_empty());
    }

    #[test]
    fn a_key_id_match_alone_is_weak_and_refused_for_api_providers() {
        use crate::inventory::InventoryEntry;
        use crate::model::{Secret, Severity};
        let finding = |key_id: &str, issuer: Option<&str>| Finding {
            rule_id: "gitlab.pat".into(),
            provider: "gitlab".into(),
            severity: Severity::High,
            fingerprint: "f".repeat(64),
            secret: Secret::new("glpat-fakefakefakefakefake"),
            validated: true,
            key: Some(KeyInfo {
                key_id: Some(key_id.into()),
                issuer_id: issuer.map(str::to_string),
                ..Default::default()
            }),
            inventory: None,
            liveness: None,
            occurrences: 1,
            locations: vec![],
        };
        let inventory = Inventory {
            entries: vec![InventoryEntry {
                provider: "gitlab".into(),
                key_id: "gl-1".into(),
                issuer_id: Some("team-a".into()),
                ..Default::default()
            }],
        };
        let plan = |f: Finding| {
            build(
                &[f],
                Some(&inventory),
                &FileConfig::default(),
                &SecretSource::InMemory,
                false,
            )
            .expect("plan")
            .remove(0)
        };
        let weak = plan(finding("gl-1", None));
        assert_eq!(weak.action, Action::Refuse);
        assert!(
            weak.reason.contains("key id alone (weak)"),
            "{}",
            weak.reason
        );
        let strong = plan(finding("gl-1", Some("team-a")));
        assert_eq!(
            (strong.action, strong.strength),
            (Action::Revoke, Some(Strength::Strong))
        );
        let other_team = plan(finding("gl-1", Some("team-b")));
        assert_eq!(
            other_team.matched_by, None,
            "another issuer's key with the same id"
        );
    }

    /// A sweep's report names one repository on many locations of many findings: it is opened once, and the
    /// scan root's repository not at all when no location needs it.
    #[test]
    fn a_swept_repository_is_opened_once_for_all_its_locations() {
        use crate::model::{Location, Secret, Severity};
        let dir = tempfile::tempdir().expect("temp dir");
        let repo_dir = dir.path().join("team/api");
        git2::Repository::init(&repo_dir).expect("init");
        // FAKE tokens for a keysweep test.
        let tokens = ["glpat-Xq7mT2vR9kLp4sWz8bNc", "glpat-Hd3fJ6gY2uE8aQ5rT1cV"];
        let b_env = format!("A={}\nB={}\n", tokens[0], tokens[1]);
        std::fs::write(repo_dir.join("b.env"), &b_env).expect("write");
        let location = |path: &str, line: usize| Location {
            repository: Some("team/api".into()),
            path: path.into(),
            line,
            column: 3,
            blob: BlobId::of_bytes(b_env.as_bytes()).to_hex(),
            ..Default::default()
        };
        let finding = |token: &str, locations: Vec<Location>| Finding {
            rule_id: "gitlab.pat".into(),
            provider: "gitlab".into(),
            severity: Severity::High,
            fingerprint: fingerprint_token("gitlab.pat", token),
            secret: Secret::new(token),
            validated: true,
            key: None,
            inventory: None,
            liveness: None,
            occurrences: locations.len(),
            locations,
        };
        let findings = [
            // The first location is gone from the work tree; the second still has the token.
            finding(tokens[0], vec![location("a.env", 1), location("b.env", 1)]),
            finding(tokens[1], vec![location("b.env", 2)]),
        ];
        let (rules, _) = RuleSet::load(true, &[], &[]).expect("built-in rules");
        let scanner = Scanner::new(Arc::new(rules)).expect("scanner");
        let mut repos = Repositories::new(dir.path());
        for (f, token) in findings.iter().zip(tokens) {
            let r = reread(f, &mut repos, &dir.path().join("cache"), &scanner).expect("re-read");
            assert_eq!(r.secret, token);
        }
        assert_eq!(
            repos.swept.keys().collect::<Vec<_>>(),
            [&repo_dir],
            "one repository, opened once"
        );
        assert!(repos.swept[&repo_dir].is_some());
        assert!(
            repos.root_repo.is_none(),
            "the root's repository was not needed"
        );
    }

    /// Every encoding the key rules find is re-read from its position and yields the same public key.
    #[test]
    fn keys_at_position_in_every_encoding() {
        use crate::keys::{KeyParse, generate_example, parse_private_key};
        let spki_of = |text: &str| match parse_private_key(text.as_bytes()) {
            KeyParse::Parsed(k) => Some(k.spki_der),
            _ => None,
        };
        let pem = generate_example("key-p256-pkcs8-pem", "reread").expect("generator");
        let want = spki_of(&pem).expect("the generated key parses");
        for name in [
            "key-p256-pkcs8-pem",
            "key-p256-pkcs8-pem-crlf",
            "key-p256-pkcs8-escaped",
            "key-p256-pkcs8-escaped-crlf",
            "key-p256-pkcs8-body",
            "key-p256-pkcs8-body-wrapped",
            "key-p256-pkcs8-b64pem",
        ] {
            let enc = generate_example(name, "reread").expect("generator");
            // As a JSON/YAML value on line 2, column 10, indented continuation lines for wrapped bodies.
            let file = format!(
                "# fake key for a keysweep test\nkey: \"{}\"\nnext: 1\n",
                enc.replace('\n', "\n  ")
            );
            let col = "key: \"".chars().count() + 1;
            let found = at_position(file.as_bytes(), 2, col)
                .iter()
                .any(|c| spki_of(c).as_deref() == Some(want.as_slice()));
            assert!(found, "{name}: not re-read from {file:?}");
        }
    }
}
