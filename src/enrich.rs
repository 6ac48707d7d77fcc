//! Enrichment, after grouping and policy: each finding is matched to the organisation's inventory (which entry,
//! by what, how strongly), named after it when the rules could not tell whose key it is, marked when it lies in
//! test data ([`context`]) or is a key published as an example ([`KnownExamples`]), and, with `--verify`, its
//! liveness is probed with the provider. Key material itself is derived earlier, by the matcher's validators.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use crate::config::ScanConfig;
use crate::inventory::Inventory;
use crate::model::provider::is_generic;
use crate::model::{Finding, ScanError, Severity, Strength, TEST_CONTEXT};
use crate::providers::{Ctx, audit, liveness};
use crate::rules::RuleSet;

/// Directory names (ASCII case-insensitive) that hold tests, fixtures or examples, anywhere in a path: vendored
/// copies count too (`third_party/zlib/tests/`, `vendor/x/testdata/`).
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "testdata",
    "test_data",
    "test-data",
    "__tests__",
    "__fixtures__",
    "__mocks__",
    "fixture",
    "fixtures",
    "spec",
    "specs",
    "example",
    "examples",
];

/// File-name endings (ASCII case-sensitive) of test sources: Go, Python, JavaScript/TypeScript, Ruby, Java and
/// Kotlin, Swift, C#.
const TEST_FILE_SUFFIXES: &[&str] = &[
    "_test.go",
    "_test.py",
    ".test.js",
    ".test.ts",
    ".test.jsx",
    ".test.tsx",
    ".test.mjs",
    ".spec.js",
    ".spec.ts",
    ".spec.jsx",
    ".spec.tsx",
    "_spec.rb",
    "Test.java",
    "Tests.java",
    "Test.kt",
    "Tests.kt",
    "Tests.swift",
    "Tests.cs",
];

/// Whether a path (also an archive member's, `dist.zip!tests/key.pem`) is test data, a fixture or an example: a
/// directory in [`TEST_DIRS`] or named `t`, or a test source file by name (`*_test.go`, `test_*.py`, `*.spec.ts`, …).
pub fn is_test_path(path: &str) -> bool {
    let mut parts = path.split(['/', '!']).filter(|p| !p.is_empty()).peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            return TEST_FILE_SUFFIXES.iter().any(|s| part.ends_with(s))
                || (part.starts_with("test_") && part.ends_with(".py"));
        }
        // `t/`: the test directory of git, Perl modules and their kin (lowercase only: a one-letter name is
        // seldom anything else, but `T/` is no convention).
        if part == "t" || TEST_DIRS.iter().any(|d| part.eq_ignore_ascii_case(d)) {
            return true;
        }
    }
    false
}

/// One step lower: high → medium → low.
fn lower(severity: Severity) -> Severity {
    match severity {
        Severity::High => Severity::Medium,
        Severity::Medium | Severity::Low => Severity::Low,
    }
}

/// Sets `context: "test"` (and lowers the severity one step) on findings whose every location is a test path.
pub fn context(findings: &mut [Finding]) {
    for f in findings {
        let test = !f.locations.is_empty()
            && f.locations.iter().all(|l| {
                let path = match &l.member {
                    Some(member) => format!("{}!{member}", l.path),
                    None => l.path.clone(),
                };
                is_test_path(&path)
            });
        if test && f.context.is_none() {
            f.context = Some(TEST_CONTEXT.to_string());
            f.severity = lower(f.severity);
        }
    }
}

/// One entry of `data/known-examples.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownExample {
    public_key_sha256: String,
    repository: String,
    path: String,
    note: Option<String>,
}

/// `data/known-examples.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownExamplesFile {
    key: Vec<KnownExample>,
}

/// Keys published as examples by their own projects, by public-key fingerprint (see `data/known-examples.toml`:
/// fingerprints and where each comes from, never a key).
#[derive(Debug, Default)]
pub struct KnownExamples {
    /// `public_key_sha256` → where it was published (`repository path`).
    by_public_key: HashMap<String, String>,
}

impl KnownExamples {
    /// Parses a known-examples file's text.
    pub fn parse(text: &str) -> anyhow::Result<KnownExamples> {
        let file: KnownExamplesFile = toml::from_str(text)?;
        let mut by_public_key = HashMap::new();
        for k in file.key {
            anyhow::ensure!(
                crate::inventory::is_sha256_hex(&k.public_key_sha256),
                "public_key_sha256 {:?} of {} {} is not 64 lowercase hex digits",
                k.public_key_sha256,
                k.repository,
                k.path
            );
            let what = k.note.map(|n| format!(" ({n})")).unwrap_or_default();
            by_public_key.insert(
                k.public_key_sha256,
                format!("{} {}{what}", k.repository, k.path),
            );
        }
        Ok(KnownExamples { by_public_key })
    }

    /// The built-in table, embedded from `data/known-examples.toml`.
    pub fn builtin() -> &'static KnownExamples {
        static TABLE: OnceLock<KnownExamples> = OnceLock::new();
        TABLE.get_or_init(|| {
            KnownExamples::parse(include_str!("../data/known-examples.toml"))
                .expect("the embedded data/known-examples.toml parses (a test checks it)")
        })
    }

    /// Where the key with this public-key fingerprint was published, if it is a known example.
    pub fn source(&self, public_key_sha256: &str) -> Option<&str> {
        self.by_public_key
            .get(public_key_sha256)
            .map(String::as_str)
    }

    /// Marks findings of known example keys `known_example` at low severity.
    pub fn mark(&self, findings: &mut [Finding]) {
        for f in findings {
            let pk = f.key.as_ref().and_then(|k| k.public_key_sha256.as_deref());
            if pk.is_some_and(|pk| self.source(pk).is_some()) {
                f.known_example = true;
                f.severity = Severity::Low;
            }
        }
    }
}

/// A finding named by a catch-all rule (`private-key.pem`: the text said nothing of whose key it is) that the
/// inventory matched strongly is named after the entry's provider: its first rule with the same validator (a
/// P-256 key of an `app-store-connect` entry becomes `app-store-connect.p8`), else its first rule.
pub fn name_by_inventory(rules: &RuleSet, findings: &mut [Finding]) {
    for f in findings {
        let Some(hit) = f.inventory.as_deref() else {
            continue;
        };
        if hit.strength != Strength::Strong || !is_generic(&f.provider) || is_generic(&hit.provider)
        {
            continue;
        }
        let validator = rules
            .get(&f.rule_id)
            .and_then(|r| r.def.validate.as_deref());
        let of_provider = || rules.rules.iter().filter(|r| r.provider == hit.provider);
        let named = of_provider()
            .find(|r| {
                let v = r.def.validate.as_deref();
                v.is_some() && (v == validator || v == Some("pkcs8-ec-p256") && is_p256(f))
            })
            .or_else(|| of_provider().next());
        if let Some(rule) = named {
            f.rule_id.clone_from(&rule.id);
            f.provider.clone_from(&rule.provider);
            f.severity = rule.severity;
        }
    }
}

/// Whether a finding's key is an EC P-256 key.
fn is_p256(f: &Finding) -> bool {
    f.key
        .as_ref()
        .and_then(|k| k.algorithm.as_deref())
        .is_some_and(|a| a == "ec-p256")
}

/// Drops findings whose `context` is one of `excluded` (`--exclude-context`); returns how many.
pub fn exclude_contexts(findings: &mut Vec<Finding>, excluded: &[String]) -> usize {
    let before = findings.len();
    findings.retain(|f| {
        f.context
            .as_ref()
            .is_none_or(|c| !excluded.iter().any(|e| e == c))
    });
    before - findings.len()
}

/// Matches findings to the inventory (naming catch-all findings after a strong match), marks test contexts and
/// known example keys, and with `--verify` probes their liveness. Problems become errors.
pub fn enrich_findings(
    cfg: &ScanConfig,
    rules: &RuleSet,
    findings: &mut [Finding],
    errors: &mut Vec<ScanError>,
) {
    let inventory = match &cfg.inventory {
        Some(p) => match Inventory::load(p, &cfg.file, rules) {
            Ok(i) => Some(i),
            Err(e) => {
                errors.push(ScanError {
                    location: p.display().to_string(),
                    message: format!("{e:#}"),
                });
                None
            }
        },
        None => None,
    };
    if let Some(inv) = &inventory {
        inv.annotate(findings);
        name_by_inventory(rules, findings);
    }
    context(findings);
    KnownExamples::builtin().mark(findings);
    if cfg.verify {
        let log_path = cfg
            .audit_log
            .clone()
            .unwrap_or_else(|| audit::DEFAULT_AUDIT_LOG.into());
        let done = Ctx::new(&cfg.file).and_then(|ctx| {
            liveness::verify_findings(Arc::new(ctx), &log_path, inventory.as_ref(), findings)
        });
        if let Err(e) = done {
            errors.push(ScanError {
                location: "--verify".into(),
                message: format!("{e:#}"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyParse, parse_private_key};
    use crate::model::{InventoryHit, KeyInfo, Location, MatchedBy, Secret};
    use crate::rules::generate::generate;

    /// A finding of `rule_id` at `paths`, with the public key `pk`.
    fn finding(rule_id: &str, paths: &[&str], pk: Option<&str>) -> Finding {
        Finding {
            rule_id: rule_id.into(),
            provider: rule_id.split('.').next().unwrap_or_default().into(),
            severity: Severity::High,
            fingerprint: "f".repeat(64),
            secret: Secret::new("x"),
            validated: true,
            key: pk.map(|pk| {
                Box::new(KeyInfo {
                    public_key_sha256: Some(pk.into()),
                    algorithm: Some("ec-p256".into()),
                    ..KeyInfo::default()
                })
            }),
            inventory: None,
            liveness: None,
            occurrences: paths.len(),
            locations: paths
                .iter()
                .map(|p| Location {
                    path: (*p).into(),
                    ..Location::default()
                })
                .collect(),
            context: None,
            known_example: false,
        }
    }

    /// The public-key fingerprint of a key generated here from `seed` (never a committed key).
    fn generated_public_key(seed: &str) -> String {
        let pem = generate("key-p256-pkcs8-pem", seed).expect("generator");
        match parse_private_key(pem.as_bytes()) {
            KeyParse::Parsed(k) => k.public_key_sha256,
            _ => panic!("the generated key parses"),
        }
    }

    #[test]
    fn test_paths_are_test_directories_and_test_sources_anywhere_and_nothing_else() {
        for path in [
            "tests/keys/id_ecdsa",
            "test/server.key",
            "pkg/tls/testdata/key.pem",
            "third_party/boringssl/src/ssl/test/runner/key.pem",
            "src/__tests__/fixtures/key.pem",
            "Fixtures/AuthKey_2X9R4HXF34.p8",
            "spec/support/key.pem",
            "docs/examples/server.key",
            "internal/tls/handshake_test.go",
            "lib/test_ssl.py",
            "web/src/app.spec.ts",
            "dist.zip!tests/key.pem",
            // git's and Perl's `t/`, at the top and below a project root (a vendored git).
            "t/lib-gpg/keyring.gpg",
            "t/t5801/id_rsa",
            "vendor/git/t/lib-httpd/ssl.pem",
            "ext/Net-SSLeay/t/data/key.pem",
        ] {
            assert!(is_test_path(path), "{path}");
        }
        for path in [
            "key.pem",
            "deploy/signing.pem",
            "ios/AuthKey_2X9R4HXF34.p8",
            "contest/key.pem",
            "testing-tools/key.pem",
            "src/latest/key.pem",
            "test.pem",
            "tests",
            "t",
            "t.pem",
            "T/key.pem",
            "art/key.pem",
            "src/tls/key.pem",
            "-",
            "",
        ] {
            assert!(!is_test_path(path), "{path}");
        }
    }

    #[test]
    fn only_findings_entirely_in_test_data_get_the_test_context_one_severity_lower() {
        let mut findings = vec![
            finding("private-key.pem", &["tests/a.pem", "fixtures/b.pem"], None),
            finding("private-key.pem", &["tests/a.pem", "deploy/b.pem"], None),
            finding("kstest.token", &["examples/config.yml"], None),
        ];
        findings[2].severity = Severity::Low;
        context(&mut findings);
        assert_eq!(findings[0].context.as_deref(), Some(TEST_CONTEXT));
        assert_eq!(findings[0].severity, Severity::Medium);
        assert_eq!(findings[1].context, None, "also seen outside test data");
        assert_eq!(findings[1].severity, Severity::High);
        assert_eq!(findings[2].severity, Severity::Low, "low stays low");
        // Marking twice lowers once.
        context(&mut findings);
        assert_eq!(findings[0].severity, Severity::Medium);
        assert_eq!(exclude_contexts(&mut findings, &[TEST_CONTEXT.into()]), 2);
        assert_eq!(findings.len(), 1);
    }

    #[test]
    fn a_key_whose_fingerprint_is_in_the_table_is_a_known_example_at_low_severity() {
        let published = generated_public_key("published-example");
        let private = generated_public_key("someone's own key");
        let table = KnownExamples::parse(&format!(
            "[[key]]\npublic_key_sha256 = \"{published}\"\nrepository = \"example/project\"\npath = \"tests/key.pem\"\n"
        ))
        .expect("table parses");
        assert_eq!(
            table.source(&published),
            Some("example/project tests/key.pem")
        );
        let mut findings = vec![
            finding("private-key.pem", &["vendor/x/key.pem"], Some(&published)),
            finding("private-key.pem", &["deploy/key.pem"], Some(&private)),
            finding("kstest.token", &["a.env"], None),
        ];
        table.mark(&mut findings);
        assert!(findings[0].known_example);
        assert_eq!(findings[0].severity, Severity::Low);
        assert!(!findings[1].known_example);
        assert_eq!(findings[1].severity, Severity::High);
        assert!(!findings[2].known_example);
        let json = serde_json::to_value(&findings).expect("json");
        assert_eq!(json[0]["known_example"], true);
        assert!(json[1].get("known_example").is_none(), "absent when false");
        assert!(json[1].get("context").is_none(), "absent when none");
    }

    #[test]
    fn the_embedded_table_parses_and_holds_fingerprints_only() {
        let text = include_str!("../data/known-examples.toml");
        assert!(
            !text.contains("PRIVATE KEY-----"),
            "fingerprints, never keys"
        );
        let table = KnownExamples::parse(text).expect("parses");
        assert!(
            table.by_public_key.len() >= 30,
            "{}",
            table.by_public_key.len()
        );
        assert!(
            KnownExamples::builtin()
                .source(&generated_public_key("nobody"))
                .is_none()
        );
        assert!(
            KnownExamples::parse(
                "[[key]]\npublic_key_sha256 = \"ABC\"\nrepository = \"r\"\npath = \"p\"\n"
            )
            .is_err()
        );
    }

    #[test]
    fn a_strong_inventory_match_names_a_catch_all_finding_after_the_entry_provider() {
        let (rules, _) = RuleSet::load(true, &[], &[]).expect("built-in rules");
        let hit = |provider: &str, strength: Strength| {
            Some(Box::new(InventoryHit {
                key_id: "2X9R4HXF34".into(),
                owner: None,
                provider: provider.into(),
                matched_by: MatchedBy::PublicKey,
                strength,
            }))
        };
        let pk = generated_public_key("inventoried");
        let mut findings = vec![
            finding("private-key.pem", &["key.pem"], Some(&pk)),
            finding("private-key.pem", &["other.pem"], Some(&pk)),
            finding("apple-apns.p8", &["apns.env"], Some(&pk)),
        ];
        findings[0].inventory = hit("app-store-connect", Strength::Strong);
        findings[1].inventory = hit("app-store-connect", Strength::Weak);
        findings[2].inventory = hit("app-store-connect", Strength::Strong);
        name_by_inventory(&rules, &mut findings);
        assert_eq!(findings[0].rule_id, "app-store-connect.p8");
        assert_eq!(findings[0].provider, "app-store-connect");
        assert_eq!(
            findings[1].rule_id, "private-key.pem",
            "a weak match names nothing"
        );
        assert_eq!(
            findings[2].rule_id, "apple-apns.p8",
            "evidence already named it"
        );
    }
}
