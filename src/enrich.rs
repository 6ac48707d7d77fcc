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
use crate::providers::{Ctx, liveness};
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
/// directory in [`TEST_DIRS`], or a test source file by name (`*_test.go`, `test_*.py`, `*.spec.ts`, …).
pub fn is_test_path(path: &str) -> bool {
    let mut parts = path.split(['/', '!']).filter(|p| !p.is_empty()).peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            return TEST_FILE_SUFFIXES.iter().any(|s| part.ends_with(s))
                || (part.starts_with("test_") && part.ends_with(".py"));
        }
        if TEST_DIRS.iter().any(|d| part.eq_ignore_ascii_case(d)) {
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
        self.by_public_key.get(public_key_sha256).map(String::as_str)
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
        let validator = rules.get(&f.rule_id).and_then(|r| r.def.validate.as_deref());
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
        let done = Ctx::new(&cfg.file)
            .and_then(|ctx| liveness::verify_findings(Arc::new(ctx), inventory.as_ref(), findings));
        if let Err(e) = done {
            errors.push(ScanError {
                location: "--verify".into(),
                message: format!("{e:#}"),
            });
        }
    }
}
