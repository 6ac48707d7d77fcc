//! Planning a revocation: each finding is re-matched against the inventory and its secret re-read from the
//! recorded location (file under the scan root, or the blob in the repository) and checked against the
//! fingerprint — a findings file is never trusted. The result is one [`PlanItem`] per key: revoke by API, manual
//! steps, or a refusal with its reason. Nothing here calls a provider.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::reread::{Reader, reread};
use crate::config::{FileConfig, ProviderSection};
use crate::inventory::Inventory;
use crate::model::{Finding, KeyInfo, MatchedBy, RevocationOutcome, Strength};
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
    /// The secret could not be re-read from any recorded location: nothing can act on it (exit 2).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unread: bool,
    /// What happened (manual steps and refusals are known at plan time).
    pub outcome: Option<RevocationOutcome>,
    /// `--verify-only`: what the liveness probe found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<crate::model::Liveness>,
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
        /// Where locations that recorded no root are read (`--root`, else the current directory).
        root: &'a Path,
        /// Whether `root` was given: it then overrides the roots the findings recorded.
        explicit: bool,
        /// A sweep's cache directory, where repositories named by URL were mirrored.
        cache: &'a Path,
        /// The rules to re-find the secret with.
        rules: Arc<RuleSet>,
    },
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
    // One reader for the whole plan: each file and blob is read and scanned once, however many findings it holds.
    let mut reader = match source {
        SecretSource::Reread { root, explicit, .. } => Some(Reader::new(root, *explicit)),
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
        let (secret, reread_error) = match (source, &scanner, reader.as_mut()) {
            (SecretSource::Reread { cache, .. }, Some(scanner), Some(reader)) => {
                match reread(f, reader, cache, scanner) {
                    Ok(r) => {
                        let pk = r.spki.as_deref().map(|s| hex::encode(Sha256::digest(s)));
                        let algorithm = f.key.as_ref().and_then(|k| k.algorithm.clone());
                        trusted.key = (pk.is_some() || r.key_id.is_some() || r.issuer_id.is_some())
                            .then(|| {
                                Box::new(KeyInfo {
                                    key_id: r.key_id,
                                    issuer_id: r.issuer_id,
                                    public_key_sha256: pk,
                                    algorithm,
                                })
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
        let location = f.locations.first().map(|l| match &l.repository {
            // A sweep's plan names the repository of each location.
            Some(repo) => format!("{repo}: {}:{}", l.display_path(), l.line),
            None => format!("{}:{}", l.display_path(), l.line),
        });
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
            unread: reread_error.is_some(),
            outcome: None,
            liveness: None,
            secret: secret.clone(),
        };
        let unverified = || {
            format!(
                "the secret could not be re-read and checked against the fingerprint ({}); {}",
                reread_error.clone().unwrap_or_default(),
                if reread_error.as_deref().is_some_and(|e| {
                    e.split("; ")
                        .all(|t| t.ends_with("no secret with this fingerprint there now"))
                }) {
                    "its files changed since the scan: scan again"
                } else {
                    "run revoke where the findings' files are, or pass --root DIR (the directory their paths \
                     are relative to)"
                }
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
                    .is_some_and(ProviderSection::is_http);
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
            key: Some(Box::new(KeyInfo {
                key_id: Some(key_id.into()),
                issuer_id: issuer.map(str::to_string),
                ..Default::default()
            })),
            inventory: None,
            liveness: None,
            occurrences: 1,
            context: None,
            known_example: false,
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
}
