//! The built-in rule set: every rule passes `rules check` (examples found through the real scanner,
//! negatives not, keywords present, references present), ids are unique and well-formed, checksummed tokens
//! are validated offline, and the real binary reports realistic leaks with the right ids, lines and columns.
//! Every token here is generated at test time; none is a real credential.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use crate::support::fakekeys::generated;
use crate::support::{BlobId, RuleSet, Scanner, check_rules, keysweep};

fn builtin() -> Arc<RuleSet> {
    Arc::new(RuleSet::builtin().expect("built-in rules load"))
}

/// `(rule id, secret, validated, key id)` of every match in `text`.
fn scan(text: &str) -> Vec<(String, String, bool, Option<String>)> {
    let rules = builtin();
    let scanner = Scanner::new(rules.clone()).expect("scanner builds");
    scanner
        .scan(BlobId::of_bytes(text.as_bytes()), text.as_bytes())
        .into_iter()
        .map(|m| {
            (
                rules.rules[m.rule].id.clone(),
                m.secret.reveal().expect("raw secret").to_string(),
                m.validated,
                m.key_id.clone(),
            )
        })
        .collect()
}

#[test]
fn every_builtin_rule_passes_check() {
    let problems = check_rules(builtin(), None).expect("check runs");
    assert!(problems.is_empty(), "rule problems: {problems:#?}");
}

#[test]
fn at_least_sixty_rules_with_unique_well_formed_ids() {
    let rules = builtin();
    assert!(rules.rules.len() >= 60, "only {} rules", rules.rules.len());
    let id_re = regex::Regex::new(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*$")
        .expect("valid regex");
    let mut seen = HashSet::new();
    for r in &rules.rules {
        assert!(id_re.is_match(&r.id), "malformed id {:?}", r.id);
        assert!(seen.insert(r.id.clone()), "duplicate id {:?}", r.id);
        let provider = r.id.split('.').next().expect("id has a dot");
        assert_eq!(
            provider, r.provider,
            "{}: id prefix is not the provider",
            r.id
        );
        assert!(
            !r.def.references.is_empty()
                && r.def.references.iter().all(|u| u.starts_with("https://")),
            "{}: references must be https URLs",
            r.id
        );
        if !r.provider.starts_with("private-key") && !r.provider.starts_with("app-store-connect") {
            assert!(!r.def.examples.is_empty(), "{}: no examples", r.id);
        }
    }
}

#[test]
fn github_token_with_valid_checksum_is_found_and_validated() {
    let token = generated("github-ghp", "integration");
    let found = scan(&format!("GITHUB_TOKEN={token}\n"));
    assert!(
        found
            .iter()
            .any(|(id, secret, validated, _)| id == "github.pat" && *secret == token && *validated),
        "{found:?}"
    );
}

#[test]
fn github_token_with_one_changed_checksum_character_is_not_found() {
    let token = generated("github-ghp", "integration");
    let last = token.chars().last().expect("non-empty");
    let changed = if last == 'a' { 'b' } else { 'a' };
    let broken = format!("{}{changed}", &token[..token.len() - 1]);
    let found = scan(&format!("GITHUB_TOKEN={broken}\n"));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn npm_pypi_gitlab_and_age_tokens_validate_offline() {
    for (generator, rule) in [
        ("npm", "npm.access-token"),
        ("pypi-macaroon", "pypi.upload-token"),
        ("gitlab-routable-glpat", "gitlab.pat-routable"),
        ("age-secret-key", "age.secret-key"),
    ] {
        let token = generated(generator, "offline");
        let found = scan(&format!("value = \"{token}\"\n"));
        assert!(
            found
                .iter()
                .any(|(id, secret, validated, _)| id == rule && *secret == token && *validated),
            "{rule}: {found:?}"
        );
    }
}

#[test]
fn aws_secret_access_key_is_reported_with_its_access_key_id() {
    let key_id = format!("AKIA{}", generated("base32-16", "aws-id"));
    let secret = generated("b64-40", "aws-secret");
    let text = format!(
        "[default]\nregion = eu-west-1\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    );
    let found = scan(&text);
    let (_, _, _, captured) = found
        .iter()
        .find(|(id, s, _, _)| id == "aws.secret-access-key" && *s == secret)
        .unwrap_or_else(|| panic!("no secret access key in {found:?}"));
    assert_eq!(captured.as_deref(), Some(key_id.as_str()));
    // The documentation pair is a placeholder.
    let docs = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
    assert!(scan(docs).is_empty());
}

#[test]
fn stripe_test_keys_are_low_and_live_keys_high() {
    let rules = builtin();
    let sev = |id: &str| rules.get(id).expect("rule exists").severity.as_str();
    assert_eq!(sev("stripe.test-secret-key"), "low");
    assert_eq!(sev("stripe.test-restricted-key"), "low");
    assert_eq!(sev("stripe.secret-key"), "high");
    assert_eq!(sev("stripe.restricted-key"), "high");
    let key = format!("sk_test_{}", generated("base62-99", "stripe"));
    let found = scan(&format!("STRIPE_SECRET_KEY={key}\n"));
    assert!(
        found
            .iter()
            .any(|(id, s, _, _)| id == "stripe.test-secret-key" && *s == key)
    );
}

#[test]
fn a_provider_rule_outranks_the_generic_rules_on_the_same_value() {
    let key = format!("sk_live_{}", generated("base62-32", "outrank"));
    let found = scan(&format!("stripe_api_key = \"{key}\"\n"));
    let ids: Vec<&str> = found.iter().map(|(id, ..)| id.as_str()).collect();
    assert_eq!(ids, ["stripe.secret-key"]);
}

#[test]
fn rules_list_prints_id_provider_severity_name_without_header() {
    let out = keysweep()
        .args(["rules", "list"])
        .current_dir(std::env::temp_dir())
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), builtin().rules.len());
    for line in &lines {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 4, "{line:?}");
        assert!(fields[0].contains('.'), "{line:?}");
        assert!(["high", "medium", "low"].contains(&fields[2]), "{line:?}");
        assert!(!fields[3].is_empty());
    }
    assert!(lines.contains(&"stripe.test-secret-key\tstripe\tlow\tStripe test secret key"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("userplane.api-key\tuserplane\thigh\t"))
    );
}

/// One expected finding of the end-to-end test.
struct Expect {
    rule: &'static str,
    path: &'static str,
    line: usize,
    column: usize,
    secret: String,
}

fn run_scan(dir: &std::path::Path, show_secrets: bool) -> Value {
    let mut cmd = keysweep();
    cmd.args(["scan", "--format", "json"]).arg(dir);
    if show_secrets {
        cmd.arg("--show-secrets");
    }
    let out = cmd.output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn scan_of_a_realistic_project_reports_every_planted_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ghp = generated("github-ghp", "e2e");
    let slack = format!(
        "xoxb-{}-{}-{}",
        generated("digits-12", "e2e-s1"),
        generated("digits-13", "e2e-s2"),
        generated("base62-24", "e2e-s3")
    );
    let userplane = format!("uspl_{}", generated("base62-32", "e2e-u"));
    let stripe_test = format!("sk_test_{}", generated("base62-24", "e2e-st"));
    let npm = generated("npm", "e2e");
    let pg_password = generated("base62-20", "e2e-pg");
    let openai = format!("sk-proj-{}", generated("b64url-64", "e2e-oa"));

    // .env with Windows line ends; the secret's column is 1-based in code points.
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "# fake credentials generated by the keysweep test suite\r\nAPP_ENV=production\r\nGITHUB_TOKEN={ghp}\r\nUSERPLANE_API_KEY=\"{userplane}\"\r\n"
        ),
    )
    .expect("write .env");
    std::fs::write(
        dir.path().join("config.yml"),
        format!(
            "# fake values for tests\nslack:\n  bot_token: {slack}\nstripe:\n  secret_key: '{stripe_test}'\nnpm_token: {npm}\n"
        ),
    )
    .expect("write config.yml");
    std::fs::write(
        dir.path().join("settings.py"),
        format!(
            "# Fake settings (test fixture).\nDEBUG = False\nDATABASES_URL = \"postgres://app:{pg_password}@db.internal:5432/app\"\n# Ünïcode before the key on the same line:\nOPENAI = {{\"clé\": \"{openai}\"}}\n"
        ),
    )
    .expect("write settings.py");

    let expected = [
        Expect {
            rule: "github.pat",
            path: ".env",
            line: 3,
            column: 14,
            secret: ghp.clone(),
        },
        Expect {
            rule: "userplane.api-key",
            path: ".env",
            line: 4,
            column: 20,
            secret: userplane.clone(),
        },
        Expect {
            rule: "slack.bot-token",
            path: "config.yml",
            line: 3,
            column: 14,
            secret: slack.clone(),
        },
        Expect {
            rule: "stripe.test-secret-key",
            path: "config.yml",
            line: 5,
            column: 16,
            secret: stripe_test.clone(),
        },
        Expect {
            rule: "npm.access-token",
            path: "config.yml",
            line: 6,
            column: 12,
            secret: npm.clone(),
        },
        Expect {
            rule: "postgres.url-password",
            path: "settings.py",
            line: 3,
            column: 18,
            secret: format!("postgres://app:{pg_password}@db.internal"),
        },
        Expect {
            rule: "openai.project-key",
            path: "settings.py",
            line: 5,
            column: 19,
            secret: openai.clone(),
        },
    ];

    for show in [false, true] {
        let report = run_scan(dir.path(), show);
        let findings = report["findings"].as_array().expect("findings array");
        let got: Vec<&str> = findings
            .iter()
            .filter_map(|f| f["rule_id"].as_str())
            .collect();
        assert_eq!(findings.len(), expected.len(), "rule ids: {got:?}");
        for e in &expected {
            let f = findings
                .iter()
                .find(|f| f["rule_id"] == e.rule)
                .unwrap_or_else(|| panic!("no {} finding in {got:?}", e.rule));
            let loc = &f["locations"][0];
            assert_eq!(loc["path"], e.path, "{}", e.rule);
            assert_eq!(loc["line"], e.line, "{}", e.rule);
            assert_eq!(loc["column"], e.column, "{}", e.rule);
            let secret = f["secret"].as_str().expect("secret string");
            if show {
                assert_eq!(secret, e.secret, "{}", e.rule);
            } else {
                assert!(secret.ends_with("(redacted)"), "{}: {secret}", e.rule);
                assert!(!secret.contains(&e.secret), "{}: secret leaked", e.rule);
            }
        }
        let validated = |rule: &str| {
            findings
                .iter()
                .find(|f| f["rule_id"] == rule)
                .map(|f| f["validated"].clone())
        };
        assert_eq!(validated("github.pat"), Some(Value::Bool(true)));
        assert_eq!(validated("npm.access-token"), Some(Value::Bool(true)));
        let text = serde_json::to_string(&report).expect("serialises");
        if !show {
            for e in &expected {
                assert!(!text.contains(&e.secret), "{} appears unredacted", e.rule);
            }
        }
    }
}

#[test]
fn the_public_azure_storage_emulator_key_is_not_reported() {
    // Assembled at run time so the whole well-known key is never committed in one piece.
    let azurite = format!(
        "{}{}",
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
        "/K1SZFPTOtr/KBHBeksoGMGw=="
    );
    let text = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={azurite};\n"
    );
    assert!(scan(&text).is_empty(), "{:?}", scan(&text));
    let real = format!(
        "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey={}==;\n",
        generated("b64-86", "azure")
    );
    let found = scan(&real);
    assert!(
        found
            .iter()
            .any(|(id, _, _, key_id)| id == "azure.storage-account-key"
                && key_id.as_deref() == Some("acmeprod")),
        "{found:?}"
    );
}

#[test]
fn placeholders_and_hashes_are_not_reported() {
    let text = "\
GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
API_KEY=your-api-key-here
api_key = \"${API_KEY}\"
token: 9fceb02d0ae598e95dc970b74767f19372d61af8
secret: sha256:7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730
client_secret: 3f2b8a71-6a1f-4a8e-9a53-2f8e0c4b9d11
DATABASE_URL=postgres://user:password@localhost:5432/app
";
    assert!(scan(text).is_empty(), "{:?}", scan(text));
}

#[test]
fn tokens_are_found_in_every_common_placement() {
    let t = format!("sk_live_{}", generated("base62-32", "placements"));
    for text in [
        format!("STRIPE_KEY={t}\n"),
        format!("STRIPE_KEY=\"{t}\"\r\n"),
        format!("export STRIPE_KEY='{t}'\n"),
        format!("stripe:\n  key: {t}\n"),
        format!("{{\"stripe\": {{\"key\": \"{t}\"}}}}"),
        format!("stripe.api_key = \"{t}\"  # python\n"),
        format!("const key = `{t}`;\n"),
        format!("key := \"{t}\" // go\n"),
        format!("<stripe key=\"{t}\"/>\n"),
        format!("https://api.example.test/charge?key={t}&x=1\n"),
    ] {
        let found = scan(&text);
        assert!(
            found
                .iter()
                .any(|(id, secret, ..)| id == "stripe.secret-key" && *secret == t),
            "{text:?}: {found:?}"
        );
    }
}
