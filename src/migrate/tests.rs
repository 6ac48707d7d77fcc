//! The translation on small configs written for these tests.

use super::*;

fn load(text: &str) -> (tempfile::TempDir, Import) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(".gitleaks.toml");
    std::fs::write(&path, text).expect("write config");
    let import = import_config(&path).expect("imports");
    (dir, import)
}

fn notes(import: &Import, level: Level) -> Vec<(usize, String)> {
    import
        .notes
        .iter()
        .filter(|n| n.level == level)
        .map(|n| (n.at.1, n.text.clone()))
        .collect()
}

fn has(notes: &[(usize, String)], line: usize, text: &str) -> bool {
    notes.iter().any(|(l, t)| *l == line && t.contains(text))
}

const CONFIG: &str = r#"title = "acme"

[extend]
useDefault = true
disabledRules = ["generic-api-key", "some-vendor-only-rule"]

[[rules]]
id = "acme-internal-token"
description = "Acme internal service token"
regex = '''\b(acme_(?:live|test)_[a-z0-9]{24})\b'''
secretGroup = 1
entropy = 3.2
keywords = ["acme_live", "ACME_TEST"]
path = '''\.(env|ya?ml)$'''

    [[rules.allowlists]]
    regexes = ['''acme_test_0{24}''']
    stopwords = ["sample"]
    paths = ['''^fixtures/''']

[[rules]]
id = "needs-lookahead"
regex = '''key=(?!none)[a-z]{12}'''
keywords = ["key="]

[[rules]]
id = "no-keywords"
regex = '''zz9_[A-Z0-9]{30}'''

[[rules]]
id = "files-only"
path = '''\.p12$'''

[[rules]]
id = "github-pat"
[[rules.allowlists]]
regexes = ['''ghp_x+''']

[allowlist]
description = "global"
paths = ['''(^|/)testdata/''', '''^src/[^/]+\.go$''']
regexes = ['''^EXAMPLE''']
stopwords = ["placeholder"]
commits = ["0123456789abcdef0123456789abcdef01234567"]

[[allowlists]]
regexTarget = "line"
regexes = ['''# nosecret''']

[[allowlists]]
condition = "AND"
paths = ['''docs/''']
stopwords = ["demo"]

[[allowlists]]
targetRules = ["acme-internal-token"]
stopwords = ["dummy"]
"#;

#[test]
fn rules_allowlists_and_extend_are_mapped_line_by_line() {
    let (_dir, import) = load(CONFIG);
    let mapped = notes(&import, Level::Mapped);
    let unmapped = notes(&import, Level::Unmapped);

    // The custom rule: translated regex, named group, keywords, entropy, path, allowlists.
    assert_eq!(import.rules.len(), 2, "{:#?}", import.notes);
    let rule = &import.rules[0];
    assert_eq!(rule.id, "custom.acme-internal-token");
    assert_eq!(rule.name, "Acme internal service token");
    assert_eq!(
        rule.pattern,
        r"(?-u:\b)(?P<secret>acme_(?:live|test)_[a-z0-9]{24})(?-u:\b)"
    );
    assert_eq!(rule.keywords, vec!["acme_live", "acme_test"]);
    assert_eq!(rule.entropy, Some(3.2));
    assert_eq!(rule.paths.include, vec!["*.env", "*.yml", "*.yaml"]);
    assert_eq!(rule.paths.exclude, vec!["fixtures/*"]);
    assert_eq!(
        rule.allow,
        vec!["acme_test_0{24}", "(?i)sample", "(?i)dummy"]
    );
    assert!(has(
        &mapped,
        7,
        "rule \"acme-internal-token\" → custom.acme-internal-token"
    ));
    assert!(has(&mapped, 56, "targetRules \"acme-internal-token\""));

    // Without keywords: the regex's literal prefix.
    assert_eq!(import.rules[1].id, "custom.no-keywords");
    assert_eq!(import.rules[1].keywords, vec!["zz9_"]);

    // What cannot be carried over is named with its line.
    assert!(has(&unmapped, 23, "look-around"), "{unmapped:#?}");
    assert!(has(&unmapped, 30, "file paths only"));
    assert!(has(&unmapped, 34, "extends gitleaks' default rule"));
    assert!(has(&unmapped, 5, "\"some-vendor-only-rule\""));
    assert!(has(&unmapped, 41, "^src/[^/]+"));
    assert!(has(&unmapped, 44, "commits (1)"));
    assert!(has(&unmapped, 47, "regexTarget = \"line\""));
    assert!(has(&unmapped, 51, "AND"));

    // extend and the global allowlist.
    assert!(has(&mapped, 4, "built-in rules"));
    assert_eq!(
        import.disable,
        vec![
            "generic.api-key",
            "generic.password",
            "generic.secret",
            "generic.token"
        ]
    );
    assert_eq!(import.allowlist.paths, vec!["testdata/*", "*/testdata/*"]);
    assert_eq!(import.allowlist.regexes, vec!["^EXAMPLE"]);
    assert_eq!(import.allowlist.stopwords, vec!["placeholder"]);
}

#[test]
fn written_files_load_as_keysweep_config_and_rules() {
    let (dir, import) = load(CONFIG);
    let cfg_path = dir.path().join(".keysweep.toml");
    std::fs::write(dir.path().join(".keysweep-rules.toml"), import.rules_toml())
        .expect("write rules");
    let text = import.config_toml(Some(".keysweep-rules.toml"));
    let cfg = crate::config::FileConfig::parse(&text, &cfg_path).expect("a valid .keysweep.toml");
    assert_eq!(cfg.allowlist.paths, import.allowlist.paths);
    let (rules, errors) = crate::rules::RuleSet::load(true, &cfg.rules.paths, &cfg.rules.disable)
        .expect("rules load");
    assert!(errors.is_empty(), "{errors:?}");
    assert!(rules.get("custom.acme-internal-token").is_some());
    assert!(rules.get("generic.api-key").is_none());
}

#[test]
fn extend_path_is_read_and_the_current_rule_wins() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("base.toml"),
        "[[rules]]\nid = \"tok\"\nregex = '''tok_[a-z]{10}'''\nkeywords = [\"tok_\"]\n\
         [[rules]]\nid = \"old\"\nregex = '''old_[a-z]{10}'''\nkeywords = [\"old_\"]\n",
    )
    .expect("write base");
    let main = dir.path().join(".gitleaks.toml");
    std::fs::write(
        &main,
        "[extend]\npath = \"base.toml\"\ndisabledRules = [\"old\"]\n\
         [[rules]]\nid = \"tok\"\nregex = '''tok_[a-z]{12}'''\nkeywords = [\"tok_\"]\n",
    )
    .expect("write main");
    let import = import_config(&main).expect("imports");
    let ids: Vec<&str> = import.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["custom.tok"]);
    assert_eq!(import.rules[0].pattern, "tok_[a-z]{12}");
    // gitleaks ran only these rules; keysweep keeps its own running, and says so.
    assert!(has(
        &notes(&import, Level::Unmapped),
        1,
        "no [extend] useDefault"
    ));

    // Outside the config's directory: named, not read.
    std::fs::write(&main, "[extend]\npath = \"../elsewhere.toml\"\n").expect("write");
    let import = import_config(&main).expect("imports");
    assert!(has(
        &notes(&import, Level::Unmapped),
        2,
        "below the config's directory"
    ));
}

#[test]
fn betterleaks_keys_and_viper_key_case() {
    let (_dir, import) = load(
        "prefilter = 'true'\n[[rules]]\nID = \"x\"\nRegex = '''x_(a{8})(b{8})'''\nSecretGroup = 2\nKeywords = [\"x_\"]\n\
         validate = 'http.get(\"u\", {})'\ntokenEfficiency = true\nmystery = 1\n",
    );
    assert_eq!(import.rules[0].pattern, "x_(a{8})(?P<secret>b{8})");
    let unmapped = notes(&import, Level::Unmapped);
    assert!(has(&unmapped, 1, "global `prefilter`"));
    assert!(has(&unmapped, 7, "`validate`"));
    assert!(has(&unmapped, 8, "`tokenefficiency`"));
    assert!(has(&unmapped, 9, "unknown key `mystery`"));
}

#[test]
fn hostile_input_is_bounded_and_escaped() {
    let huge = format!(
        "[[rules]]\nid = \"big\"\nregex = '''{}'''\nkeywords = [\"a\"]\n",
        "a".repeat(20_000)
    );
    let (_dir, import) = load(&huge);
    assert!(import.rules.is_empty());
    assert!(has(&notes(&import, Level::Unmapped), 3, "limit"));
    // A regex that compiles to more than keysweep's size limit is refused with the reason.
    let (_dir, import) =
        load("[[rules]]\nid = \"wide\"\nregex = '''k_(?:\\pL{200}){200}'''\nkeywords = [\"k_\"]\n");
    assert!(import.rules.is_empty(), "{:?}", import.notes);
    assert!(has(
        &notes(&import, Level::Unmapped),
        3,
        "regex engine refuses it"
    ));
    // A rule id with terminal escapes is printed escaped.
    let (_dir, import) = load("[[rules]]\nid = \"\\u001b]0;pwned\\u0007\"\n");
    let line = import.notes[0].render();
    assert!(
        !line.contains('\u{1b}') && line.contains("\\u{1b}"),
        "{line}"
    );
}

#[test]
fn ids_that_spell_the_same_keysweep_id_stay_apart() {
    let (_dir, import) = load(
        "[[rules]]\nid = \"acme.key\"\nregex = '''ak_[a-z]{16}'''\nkeywords = [\"ak_\"]\n\
         [[rules]]\nid = \"acme-key\"\nregex = '''bk_[a-z]{16}'''\nkeywords = [\"bk_\"]\n",
    );
    let ids: Vec<&str> = import.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["custom.acme-key", "custom.acme-key-2"]);
    assert_eq!(import.custom_ids["acme-key"], "custom.acme-key-2");
}
