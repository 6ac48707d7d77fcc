//! The inventory stage: the organisation's known keys (`[[key]]` entries in TOML, or JSON), validated strictly
//! because revocation acts on them, and the matching of a finding to one entry — by public-key fingerprint, by
//! the SHA-256 of the secret, or by key id. The entry's provider chooses the revoker.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::FileConfig;
use crate::model::provider::{CANONICAL_PROVIDERS, is_generic};
use crate::model::{Finding, InventoryHit, MatchedBy, Strength, secret_sha256};
use crate::rules::RuleSet;

/// The fields an entry may have.
const FIELDS: &[&str] = &[
    "provider",
    "key_id",
    "issuer_id",
    "kind",
    "public_key_sha256",
    "secret_sha256",
    "owner",
    "note",
];

/// One known key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEntry {
    /// Canonical provider id; chooses the revoker.
    pub provider: String,
    /// What the provider calls the key.
    pub key_id: String,
    /// App Store Connect Issuer ID (team keys).
    pub issuer_id: Option<String>,
    /// `team` or `individual` (App Store Connect).
    pub kind: Option<String>,
    /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo.
    pub public_key_sha256: Option<String>,
    /// Lowercase hex SHA-256 of the exact token bytes.
    pub secret_sha256: Option<String>,
    /// Who owns it.
    pub owner: Option<String>,
    /// Free text.
    pub note: Option<String>,
}

impl InventoryEntry {
    /// Whether this is an individual (user) key rather than a team key.
    pub fn is_individual(&self) -> bool {
        self.kind.as_deref() == Some("individual")
    }
}

/// The organisation's known keys.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// Entries in file order.
    pub entries: Vec<InventoryEntry>,
}

/// Whether `s` is 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Every provider id an inventory may name under this configuration.
pub fn known_providers(file: &FileConfig, rules: &RuleSet) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = CANONICAL_PROVIDERS.iter().map(|s| s.to_string()).collect();
    for (id, p) in &file.providers {
        if p.is_http() {
            known.insert(id.clone());
        }
    }
    known.extend(rules.providers().map(str::to_string));
    known
}

/// JSON starts with `{` or with `[` followed by `{` or `]`; TOML's `[[key]]` does not.
fn looks_like_json(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('{')
        || t.strip_prefix('[')
            .is_some_and(|r| r.trim_start().starts_with(['{', ']']))
}

/// Parses inventory text (TOML `[[key]]`, or JSON: an array or `{"key": [...]}`) into raw entries.
pub fn parse_raw(path: &Path, text: &str) -> Result<Vec<Value>> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || looks_like_json(text);
    let doc: Value = if is_json {
        serde_json::from_str(text)
            .with_context(|| format!("inventory {}: not valid JSON", path.display()))?
    } else {
        toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "inventory {}",
                crate::display::toml_error(&path.display().to_string(), text, &e)
            )
        })?
    };
    match doc {
        Value::Array(a) => Ok(a),
        Value::Object(mut o) => {
            if let Some(k) = o.keys().find(|k| *k != "key") {
                anyhow::bail!(
                    "inventory {}: unknown top-level key {k:?} (expected [[key]] entries)",
                    path.display()
                );
            }
            match o.remove("key") {
                Some(Value::Array(a)) => Ok(a),
                None => Ok(Vec::new()),
                Some(_) => anyhow::bail!(
                    "inventory {}: `key` must be an array of entries",
                    path.display()
                ),
            }
        }
        _ => anyhow::bail!(
            "inventory {}: expected [[key]] entries or a JSON array",
            path.display()
        ),
    }
}

/// Validates raw entries; returns the entries that are valid and one message per problem, each naming the
/// entry (1-based index and key id) and the field.
pub fn validate(raw: &[Value], known: &BTreeSet<String>) -> (Vec<InventoryEntry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, v) in raw.iter().enumerate() {
        let n = i + 1;
        let key_id_text = v.get("key_id").and_then(Value::as_str).unwrap_or("?");
        let name = format!("entry {n} (key_id {key_id_text:?})");
        let Some(obj) = v.as_object() else {
            errors.push(format!("entry {n}: expected a table of fields"));
            continue;
        };
        let mut bad = false;
        for k in obj.keys() {
            if !FIELDS.contains(&k.as_str()) {
                errors.push(format!(
                    "{name}: unknown field {k:?} (expected one of {})",
                    FIELDS.join(", ")
                ));
                bad = true;
            }
        }
        let mut string = |field: &str, required: bool| -> Option<String> {
            match obj.get(field) {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
                Some(Value::String(_)) => {
                    errors.push(format!("{name}: {field}: must not be empty"));
                    bad = true;
                    None
                }
                Some(_) => {
                    errors.push(format!("{name}: {field}: must be a string"));
                    bad = true;
                    None
                }
                None => {
                    if required {
                        errors.push(format!("{name}: {field}: missing"));
                        bad = true;
                    }
                    None
                }
            }
        };
        let entry = InventoryEntry {
            provider: string("provider", true).unwrap_or_default(),
            key_id: string("key_id", true).unwrap_or_default(),
            issuer_id: string("issuer_id", false),
            kind: string("kind", false),
            public_key_sha256: string("public_key_sha256", false),
            secret_sha256: string("secret_sha256", false),
            owner: string("owner", false),
            note: string("note", false),
        };
        if !entry.provider.is_empty() && !known.contains(&entry.provider) {
            errors.push(format!(
                "{name}: provider: unknown provider {:?} (canonical ids such as app-store-connect, userplane, \
                 github, or a [providers.<id>] with kind = \"http\" in .keysweep.toml)",
                entry.provider
            ));
            bad = true;
        }
        if let Some(kind) = &entry.kind
            && kind != "team"
            && kind != "individual"
        {
            errors.push(format!(
                "{name}: kind: {kind:?} is not one of team, individual"
            ));
            bad = true;
        }
        for (field, value) in [
            ("public_key_sha256", &entry.public_key_sha256),
            ("secret_sha256", &entry.secret_sha256),
        ] {
            if let Some(h) = value
                && !is_sha256_hex(h)
            {
                errors.push(format!(
                    "{name}: {field}: expected 64 lowercase hex digits, got {} characters{}",
                    h.len(),
                    if h.bytes().any(|b| b.is_ascii_uppercase()) {
                        " (upper case)"
                    } else {
                        ""
                    }
                ));
                bad = true;
            }
        }
        if !entry.provider.is_empty() && !entry.key_id.is_empty() {
            let k = (entry.provider.clone(), entry.key_id.clone());
            if let Some(first) = seen.get(&k) {
                errors.push(format!(
                    "{name}: key_id: duplicate of entry {first} (provider {:?})",
                    entry.provider
                ));
                bad = true;
            } else {
                seen.insert(k, n);
            }
        }
        if !bad {
            entries.push(entry);
        }
    }
    (entries, errors)
}

impl Inventory {
    /// Loads and validates an inventory; any invalid entry is an error (revocation acts on these entries).
    pub fn load(path: &Path, file: &FileConfig, rules: &RuleSet) -> Result<Inventory> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading inventory {}", path.display()))?;
        let raw = parse_raw(path, &text)?;
        let (entries, errors) = validate(&raw, &known_providers(file, rules));
        if !errors.is_empty() {
            let mut msg = format!(
                "inventory {}: {} invalid entr{} (run `keysweep inventory check`)",
                path.display(),
                errors.len(),
                if errors.len() == 1 { "y" } else { "ies" }
            );
            for e in &errors {
                let _ = write!(msg, "\n  {e}");
            }
            anyhow::bail!(msg);
        }
        Ok(Inventory { entries })
    }

    /// The entry a finding matches, and how. `raw_secret` is the secret's text when known (for `secret_sha256`).
    /// A fingerprint or secret-hash match does not depend on the rule's provider; a key-id match needs the same
    /// provider (or a generic rule) and no contradicting fingerprint, hash or issuer.
    pub fn match_finding(
        &self,
        f: &Finding,
        raw_secret: Option<&str>,
    ) -> Option<(&InventoryEntry, InventoryHit)> {
        let key = f.key.as_ref();
        let pk = key.and_then(|k| k.public_key_sha256.as_deref());
        let hit = |e: &InventoryEntry, matched_by: MatchedBy, strong: bool| InventoryHit {
            key_id: e.key_id.clone(),
            owner: e.owner.clone(),
            provider: e.provider.clone(),
            matched_by,
            strength: if strong {
                Strength::Strong
            } else {
                Strength::Weak
            },
        };
        if let Some(pk) = pk
            && let Some(e) = self
                .entries
                .iter()
                .find(|e| e.public_key_sha256.as_deref() == Some(pk))
        {
            return Some((e, hit(e, MatchedBy::PublicKey, true)));
        }
        let sh = raw_secret.map(secret_sha256);
        if let Some(sh) = &sh
            && let Some(e) = self
                .entries
                .iter()
                .find(|e| e.secret_sha256.as_deref() == Some(sh.as_str()))
        {
            return Some((e, hit(e, MatchedBy::SecretHash, true)));
        }
        let key_id = key.and_then(|k| k.key_id.as_deref())?;
        let issuer = key.and_then(|k| k.issuer_id.as_deref());
        let generic = is_generic(&f.provider);
        self.entries
            .iter()
            .filter(|e| e.key_id == key_id && (generic || e.provider == f.provider))
            // A different fingerprint, hash or issuer proves it is another key that shares the id.
            .filter(|e| !matches!((e.public_key_sha256.as_deref(), pk), (Some(a), Some(b)) if a != b))
            .filter(|e| !matches!((e.secret_sha256.as_deref(), &sh), (Some(a), Some(b)) if a != b))
            .find(|e| {
                !matches!((e.issuer_id.as_deref(), issuer), (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b))
            })
            .map(|e| {
                let strong = matches!((e.issuer_id.as_deref(), issuer), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
                (e, hit(e, MatchedBy::KeyId, strong))
            })
    }

    /// Sets each finding's `inventory` to the entry it matches (or `None`).
    pub fn annotate(&self, findings: &mut [Finding]) {
        for f in findings {
            let raw = f.secret.reveal().map(str::to_string);
            f.inventory = self
                .match_finding(f, raw.as_deref())
                .map(|(_, h)| Box::new(h));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyInfo, Secret, Severity};

    fn finding(provider: &str, key: Option<KeyInfo>, secret: &str) -> Finding {
        Finding {
            rule_id: format!("{provider}.x"),
            provider: provider.into(),
            severity: Severity::High,
            fingerprint: "f".repeat(64),
            secret: Secret::new(secret),
            validated: true,
            key: key.map(Box::new),
            inventory: None,
            liveness: None,
            occurrences: 1,
            context: None,
            known_example: false,
            locations: vec![],
        }
    }

    fn inv(entries: Vec<InventoryEntry>) -> Inventory {
        Inventory { entries }
    }

    #[test]
    fn key_id_alone_is_weak_and_issuer_makes_it_strong() {
        let e = InventoryEntry {
            provider: "app-store-connect".into(),
            key_id: "2X9R4HXF34".into(),
            issuer_id: Some("69a6de70-0000-47e3-e053-5b8c7c11a4d1".into()),
            ..Default::default()
        };
        let i = inv(vec![e]);
        let mut k = KeyInfo {
            key_id: Some("2X9R4HXF34".into()),
            ..Default::default()
        };
        let f = finding("app-store-connect", Some(k.clone()), "x");
        let (_, h) = i.match_finding(&f, None).expect("matches by id");
        assert_eq!(
            (h.matched_by.as_str(), h.strength.as_str()),
            ("key_id", "weak")
        );
        k.issuer_id = Some("69A6DE70-0000-47E3-E053-5B8C7C11A4D1".into());
        let f = finding("app-store-connect", Some(k.clone()), "x");
        assert_eq!(
            i.match_finding(&f, None).expect("matches").1.strength,
            Strength::Strong
        );
        k.issuer_id = Some("other".into());
        let f = finding("app-store-connect", Some(k), "x");
        assert!(i.match_finding(&f, None).is_none(), "another team's key");
    }

    #[test]
    fn secret_hash_matches_across_providers() {
        let e = InventoryEntry {
            provider: "userplane".into(),
            key_id: "k1".into(),
            secret_sha256: Some(secret_sha256("uspl_abc")),
            ..Default::default()
        };
        let i = inv(vec![e]);
        let f = finding("generic", None, "uspl_abc");
        let (_, h) = i.match_finding(&f, Some("uspl_abc")).expect("hash");
        assert_eq!(h.matched_by, MatchedBy::SecretHash);
        assert_eq!(h.provider, "userplane");
    }

    #[test]
    fn validation_names_entry_and_field() {
        let known: BTreeSet<String> = ["github".to_string()].into();
        let raw: Vec<Value> = serde_json::from_str(
            r#"[{"provider":"github","key_id":"a"},{"provider":"github","key_id":"a"},
                {"provider":"nope","key_id":"b","public_key_sha256":"ABC"},{"provider":"github","key_id":"c","kind":"robot"}]"#,
        )
        .expect("json");
        let (ok, errs) = validate(&raw, &known);
        assert_eq!(ok.len(), 1);
        assert!(
            errs.iter()
                .any(|e| e.starts_with("entry 2 (key_id \"a\"): key_id: duplicate of entry 1"))
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("entry 3 (key_id \"b\"): provider: unknown provider"))
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("entry 3 (key_id \"b\"): public_key_sha256:"))
        );
        assert!(
            errs.iter()
                .any(|e| e.starts_with("entry 4 (key_id \"c\"): kind:"))
        );
    }
}
