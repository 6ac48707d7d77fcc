//! Rules are data: TOML files (the built-ins under `rules/`, embedded in the binary, plus any configured rule
//! directories) compiled into one [`RuleSet`]. A rule's regex is compiled the first time one of its keywords
//! occurs, so a pre-commit scan of one file touches only a handful of rules.

pub mod generate;
pub mod window;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::Deserialize;

use crate::model::Severity;
use crate::model::provider::is_generic;
use crate::validate;
use window::ScanRegex;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// One rule file: `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleDef>,
}

/// Path filters of a rule.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathsDef {
    /// The rule runs only on paths matching one of these globs (none: every path).
    #[serde(default)]
    pub include: Vec<String>,
    /// The rule never reports on paths matching one of these globs.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// Where a rule looks for a key id or issuer id that its pattern did not capture.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextDef {
    /// Regexes whose group `key_id` (else group 1) is the key id, searched within `lines` lines of the match.
    #[serde(default)]
    pub key_id: Vec<String>,
    /// Regexes whose group `issuer_id` (else group 1) is the issuer id, searched likewise.
    #[serde(default)]
    pub issuer_id: Vec<String>,
    /// Regexes over the file path whose group `key_id` (else group 1) is the key id (`AuthKey_<ID>.p8`).
    #[serde(default)]
    pub path_key_id: Vec<String>,
    /// How many lines before and after the match to search (default 10).
    pub lines: Option<usize>,
    /// Regexes searched like `key_id`: where one occurs, the secret is shown to be this rule's provider's. A
    /// rule with `evidence` or `path_evidence` names a match only with such evidence; `otherwise` names the
    /// others.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Regexes over the file name (`^AuthKey_[A-Z0-9]{10}\.p8$`) that are evidence.
    #[serde(default)]
    pub path_evidence: Vec<String>,
    /// Evidence like `evidence`, but weaker than any other rule's `evidence` however far (a bare Key ID
    /// assignment, which every Apple key has).
    #[serde(default)]
    pub weak_evidence: Vec<String>,
    /// The rule that names a match without evidence (a catch-all, e.g. `private-key.pem`); none: it is dropped.
    pub otherwise: Option<String>,
}

/// A rule as written in TOML.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// `<provider>.<name>`, stable.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Canonical provider id.
    pub provider: String,
    /// `high`, `medium` or `low`.
    pub severity: Severity,
    /// Prefilter literals (ASCII case-insensitive); the rule runs only where one occurs.
    pub keywords: Vec<String>,
    /// Rust regex (bytes); named group `secret` else the whole match; optional `key_id`, `issuer_id`.
    pub pattern: String,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    pub entropy: Option<f64>,
    /// Offline validator name (see `scan::validate::VALIDATORS`).
    pub validate: Option<String>,
    /// Path filters.
    #[serde(default)]
    pub paths: PathsDef,
    /// Key id / issuer id context.
    #[serde(default)]
    pub context: ContextDef,
    /// Regexes: a secret matching one is a placeholder, not a finding.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Each must yield a finding of this rule through the real scanner.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Each must not.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Where the format is documented.
    #[serde(default)]
    pub references: Vec<String>,
    /// Ids of provider rules that also match this rule's secrets by their shape: where one of them found the same
    /// bytes as this rule, only this rule reports them (a Clerk key assigned to `CLERK_SECRET_KEY` has Stripe's
    /// `sk_live_` shape).
    #[serde(default)]
    pub overrides: Vec<String>,
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// `<provider>.<name>`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Canonical provider id.
    pub provider: String,
    /// Severity.
    pub severity: Severity,
    /// The definition as written.
    pub def: RuleDef,
    /// Where the rule came from (`builtin:github.toml` or a path).
    pub source: String,
    regex: OnceLock<Result<ScanRegex, String>>,
    allow: OnceLock<Vec<Regex>>,
    key_id_context: OnceLock<Vec<Regex>>,
    issuer_context: OnceLock<Vec<Regex>>,
    evidence_context: OnceLock<Vec<Regex>>,
    weak_evidence_context: OnceLock<Vec<Regex>>,
    path_key_id: OnceLock<Vec<Regex>>,
    path_evidence: OnceLock<Vec<Regex>>,
    include: OnceLock<Option<GlobSet>>,
    exclude: OnceLock<Option<GlobSet>>,
}

/// What `{{assign}}` in a rule's pattern stands for: the end of a name and the assignment that gives it a value,
/// in the languages and formats secrets are written in (`KEY=`, `key: `, `"key": "`, `key := "`, `$key = '`,
/// `key => `, `key ||= `, `key ??= `, `key value=`, a Go/TypeScript type between name and value), up to the
/// opening quote. A quote may be escaped once or twice (`{\"api_key\":\"…\"}`: JSON inside a JSON string, a
/// log line or a shell-quoted string).
pub const ASSIGN: &str = r#"(?:\\{1,3}"|["'`])?(?:\s{0,4}:?\s{1,4}(?i:string|str))?\s{0,16}(?:=|:|=>|:=|::=|:::=|\?=|\.=|\|\|=|\?\?=|>|,|value\s{0,4}=)\s{0,16}(?:\\{1,3}"|["'`])?"#;

/// A pattern with its macros expanded (`{{assign}}`, see [`ASSIGN`]). An unknown `{{name}}` is left alone, and
/// the regex compiler then rejects it.
pub fn expand_pattern(pattern: &str) -> String {
    pattern.replace("{{assign}}", ASSIGN)
}

fn compile(pattern: &str) -> Result<Regex, String> {
    regex::bytes::RegexBuilder::new(pattern)
        .size_limit(50 * (1 << 20))
        .build()
        .map_err(|e| e.to_string())
}

fn globset(globs: &[String]) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).with_context(|| format!("bad glob {g:?}"))?);
    }
    Ok(Some(b.build()?))
}

impl Rule {
    fn new(mut def: RuleDef, source: &str) -> Result<Rule> {
        def.pattern = expand_pattern(&def.pattern);
        let id = def.id.clone();
        let ctx = |field: &str| format!("rule {id:?} in {source}: field `{field}`");
        if !id.contains('.') || id.chars().any(|c| c.is_whitespace()) {
            bail!(
                "{}: id must be `<provider>.<name>` without spaces",
                ctx("id")
            );
        }
        if def.keywords.is_empty() || def.keywords.iter().any(|k| k.is_empty()) {
            bail!(
                "{}: at least one non-empty keyword is required",
                ctx("keywords")
            );
        }
        if let Some(v) = &def.validate
            && !validate::VALIDATORS.contains(&v.as_str())
        {
            bail!(
                "{}: unknown validator {v:?} (known: {})",
                ctx("validate"),
                validate::VALIDATORS.join(", ")
            );
        }
        if let Some(e) = def.entropy
            && !(0.0..=8.0).contains(&e)
        {
            bail!("{}: must be between 0 and 8 bits per byte", ctx("entropy"));
        }
        // Regexes and globs compile on first use (a built-in rule's never do unless a scan needs them);
        // `compile_all` checks them all, as `rules check` and loading a user rule file do.
        Ok(Rule {
            id: def.id.clone(),
            name: def.name.clone(),
            provider: def.provider.clone(),
            severity: def.severity,
            source: source.to_string(),
            regex: OnceLock::new(),
            allow: OnceLock::new(),
            key_id_context: OnceLock::new(),
            issuer_context: OnceLock::new(),
            evidence_context: OnceLock::new(),
            weak_evidence_context: OnceLock::new(),
            path_key_id: OnceLock::new(),
            path_evidence: OnceLock::new(),
            include: OnceLock::new(),
            exclude: OnceLock::new(),
            def,
        })
    }

    /// Compiles every regex of the rule now, returning the first error naming the field.
    pub fn compile_all(&self) -> Result<()> {
        let ctx = |field: &str| format!("rule {:?} in {}: field `{field}`", self.id, self.source);
        if let Err(e) = self.scan_regex_result() {
            bail!("{}: {e}", ctx("pattern"));
        }
        for (field, list) in [
            ("context.path_key_id", &self.def.context.path_key_id),
            ("context.path_evidence", &self.def.context.path_evidence),
            ("allow", &self.def.allow),
            ("context.key_id", &self.def.context.key_id),
            ("context.issuer_id", &self.def.context.issuer_id),
            ("context.evidence", &self.def.context.evidence),
            ("context.weak_evidence", &self.def.context.weak_evidence),
        ] {
            for p in list {
                compile(p).map_err(|e| anyhow::anyhow!("{}: {e}", ctx(field)))?;
            }
        }
        globset(&self.def.paths.include).with_context(|| ctx("paths.include"))?;
        globset(&self.def.paths.exclude).with_context(|| ctx("paths.exclude"))?;
        Ok(())
    }

    /// The rule's `paths.include` globs, built on first use; `None` when there are none (or they do not build).
    fn include(&self) -> Option<&GlobSet> {
        self.include
            .get_or_init(|| globset(&self.def.paths.include).ok().flatten())
            .as_ref()
    }

    /// The rule's `paths.exclude` globs, likewise.
    fn exclude(&self) -> Option<&GlobSet> {
        self.exclude
            .get_or_init(|| globset(&self.def.paths.exclude).ok().flatten())
            .as_ref()
    }

    /// Regexes over the file name that name the key id.
    fn path_key_id(&self) -> &[Regex] {
        Self::compiled(&self.path_key_id, &self.def.context.path_key_id)
    }

    /// Regexes over the file name that are evidence.
    fn path_evidence(&self) -> &[Regex] {
        Self::compiled(&self.path_evidence, &self.def.context.path_evidence)
    }

    fn scan_regex_result(&self) -> &Result<ScanRegex, String> {
        self.regex
            .get_or_init(|| ScanRegex::new(&self.def.pattern, &self.def.keywords))
    }

    /// The rule's pattern, compiled on first use; `None` if it does not compile.
    pub fn scan_regex(&self) -> Option<&ScanRegex> {
        self.scan_regex_result().as_ref().ok()
    }

    fn compiled<'a>(cell: &'a OnceLock<Vec<Regex>>, pats: &[String]) -> &'a [Regex] {
        cell.get_or_init(|| pats.iter().filter_map(|p| compile(p).ok()).collect())
    }

    /// Placeholder regexes.
    pub fn allow_regexes(&self) -> &[Regex] {
        Self::compiled(&self.allow, &self.def.allow)
    }

    /// Context regexes for the key id.
    pub fn key_id_context(&self) -> &[Regex] {
        Self::compiled(&self.key_id_context, &self.def.context.key_id)
    }

    /// Context regexes for the issuer id.
    pub fn issuer_context(&self) -> &[Regex] {
        Self::compiled(&self.issuer_context, &self.def.context.issuer_id)
    }

    /// Context regexes that are evidence of the rule's provider.
    pub fn evidence_context(&self) -> &[Regex] {
        Self::compiled(&self.evidence_context, &self.def.context.evidence)
    }

    /// Context regexes that are weak evidence of the rule's provider.
    pub fn weak_evidence_context(&self) -> &[Regex] {
        Self::compiled(&self.weak_evidence_context, &self.def.context.weak_evidence)
    }

    /// Whether the rule names a match only with evidence (`context.evidence`, `weak_evidence`, `path_evidence`).
    pub fn needs_evidence(&self) -> bool {
        !self.def.context.evidence.is_empty()
            || !self.def.context.weak_evidence.is_empty()
            || !self.def.context.path_evidence.is_empty()
    }

    /// Whether the file name of `path` (also of an archive member) is evidence for this rule.
    pub fn path_proves(&self, path: &str) -> bool {
        let name = file_name(path);
        self.path_evidence()
            .iter()
            .any(|re| re.is_match(name.as_bytes()))
    }

    /// How many lines around a match context is searched in.
    pub fn context_lines(&self) -> usize {
        self.def.context.lines.unwrap_or(10)
    }

    /// 0 for catch-all rules, 1 for provider-specific ones.
    pub fn specificity(&self) -> u8 {
        u8::from(!is_generic(&self.provider))
    }

    /// Whether the rule reports on this path (`None`: stdin or an unknown history path).
    pub fn applies_to_path(&self, path: Option<&str>) -> bool {
        let Some(path) = path else {
            return self.def.paths.include.is_empty();
        };
        if self.exclude().is_some_and(|g| g.is_match(path)) {
            return false;
        }
        self.include().is_none_or(|g| g.is_match(path))
    }

    /// A key id named by the file's path (`AuthKey_<ID>.p8`).
    pub fn key_id_from_path(&self, path: &str) -> Option<String> {
        let name = file_name(path);
        self.path_key_id().iter().find_map(|re| {
            let caps = re.captures(name.as_bytes())?;
            let m = caps.name("key_id").or_else(|| caps.get(1))?;
            Some(String::from_utf8_lossy(m.as_bytes()).into_owned())
        })
    }
}

/// The file name of a path, also of an archive member (`keys.zip!AuthKey_ABC.p8`).
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '!']).next().unwrap_or(path)
}

/// A rule's claim to name a secret, compared field by field in this order (see [`RuleSet::rank`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleRank {
    /// 1 for a provider rule, 0 for a catch-all.
    pub specificity: u8,
    /// The rule's severity.
    pub severity: Severity,
    /// Earlier rules rank higher.
    pub order: std::cmp::Reverse<usize>,
}

/// Every rule in use, indexed by id.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// The rules, in load order (built-ins first, by file name).
    pub rules: Vec<Rule>,
    index: HashMap<String, usize>,
    /// Providers of every rule loaded, disabled ones included: an inventory may name them.
    providers: BTreeSet<String>,
}

impl RuleSet {
    /// Index of the rule with this id.
    pub fn by_id(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id(id).map(|i| &self.rules[i])
    }

    /// The key id a file's path names, by the first rule whose `context.path_key_id` reads one
    /// (`AuthKey_<ID>.p8`).
    pub fn key_id_from_path(&self, path: &str) -> Option<String> {
        self.rules.iter().find_map(|r| r.key_id_from_path(path))
    }

    /// The provider a file's name is evidence for (`SubscriptionKey_<ID>.p8`: In-App Purchase), by the highest
    /// ranked rule whose `context.path_evidence` it matches.
    pub fn provider_named_by_path(&self, path: &str) -> Option<&str> {
        (0..self.rules.len())
            .filter(|&i| self.rules[i].path_proves(path))
            .max_by_key(|&i| self.rank(i))
            .map(|i| self.rules[i].provider.as_str())
    }

    /// The provider ids of every rule loaded, disabled rules included.
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        self.providers.iter().map(String::as_str)
    }

    /// How strongly rule `i` claims to name a secret it finds; the greater rank names it. The one place this
    /// decision is made: a provider rule over a catch-all, then the higher severity, then the rule listed first
    /// (so the name does not depend on which file was read first).
    pub fn rank(&self, i: usize) -> RuleRank {
        let r = &self.rules[i];
        RuleRank {
            specificity: r.specificity(),
            severity: r.severity,
            order: std::cmp::Reverse(i),
        }
    }

    /// Whether rule `a` names a secret rather than rule `b` when both find it (see [`RuleSet::rank`]).
    pub fn names_better(&self, a: usize, b: usize) -> bool {
        self.rank(a) > self.rank(b)
    }

    /// Adds a rule; an id already in the set is an error.
    pub fn push(&mut self, rule: Rule) -> Result<()> {
        if let Some(&i) = self.index.get(&rule.id) {
            bail!(
                "rule {:?} in {} has the same id as a rule in {}",
                rule.id,
                rule.source,
                self.rules[i].source
            );
        }
        self.index.insert(rule.id.clone(), self.rules.len());
        self.providers.insert(rule.provider.clone());
        self.rules.push(rule);
        Ok(())
    }

    /// Parses one TOML rule file's text into rules; `source` names it in errors.
    pub fn parse_file(text: &str, source: &str) -> Result<Vec<Rule>> {
        let file: RuleFile = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "invalid rule file {}",
                crate::display::toml_error(source, text, &e)
            )
        })?;
        Self::rules_of(file, source)
    }

    /// Parses a built-in rule file from its JSON form (see `build.rs`), or from its TOML when it has none or
    /// the JSON does not load (so that the error is the TOML parser's, naming the line).
    fn parse_builtin(text: &str, json: Option<&str>, source: &str) -> Result<Vec<Rule>> {
        match json.and_then(|json| serde_json::from_str::<RuleFile>(json).ok()) {
            Some(file) => Self::rules_of(file, source),
            None => Self::parse_file(text, source),
        }
    }

    /// A parsed rule file's rules, each checked (regexes compile later).
    fn rules_of(file: RuleFile, source: &str) -> Result<Vec<Rule>> {
        file.rule
            .into_iter()
            .map(|def| Rule::new(def, source))
            .collect()
    }

    /// Adds the rules of one rule file's text (`source` names it), each compiled now, as user rules are; what
    /// does not load is added to `errors`.
    pub fn add_file(&mut self, text: &str, source: &str, errors: &mut Vec<anyhow::Error>) {
        match Self::parse_file(text, source) {
            Ok(rules) => {
                for rule in rules {
                    if let Err(e) = rule.compile_all().and_then(|()| self.push(rule)) {
                        errors.push(e);
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }

    /// The built-in rules only.
    pub fn builtin() -> Result<RuleSet> {
        let mut set = RuleSet::default();
        for (&(name, text), &json) in BUILTIN_RULE_FILES.iter().zip(BUILTIN_RULE_JSON) {
            for rule in Self::parse_builtin(text, json, &format!("builtin:{name}"))? {
                set.push(rule)?;
            }
        }
        Ok(set)
    }

    /// Built-ins (unless `builtin` is false) plus every `*.toml` under `dirs`, minus `disable`d ids. User rules
    /// are compiled eagerly so a bad one is reported at start with its id and field; a bad file is an error
    /// returned alongside the rules that did load. A `disable`d id that names no rule is an error.
    pub fn load(
        builtin: bool,
        dirs: &[PathBuf],
        disable: &[String],
    ) -> Result<(RuleSet, Vec<anyhow::Error>)> {
        let mut set = if builtin {
            RuleSet::builtin()?
        } else {
            RuleSet::default()
        };
        let mut errors = Vec::new();
        for dir in dirs {
            for path in rule_files(dir)
                .with_context(|| format!("reading rule directory {}", dir.display()))?
            {
                match std::fs::read_to_string(&path)
                    .with_context(|| format!("reading rule file {}", path.display()))
                {
                    Ok(text) => set.add_file(&text, &path.display().to_string(), &mut errors),
                    Err(e) => errors.push(e),
                }
            }
        }
        let unknown: Vec<String> = disable
            .iter()
            .filter(|id| set.by_id(id).is_none())
            .map(|id| format!("{id:?}"))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "cannot disable {}: no such rule (`keysweep rules list` names them)",
                unknown.join(", ")
            );
        }
        if !disable.is_empty() {
            let kept: Vec<Rule> = set
                .rules
                .into_iter()
                .filter(|r| !disable.contains(&r.id))
                .collect();
            let providers = std::mem::take(&mut set.providers);
            set = RuleSet::default();
            for r in kept {
                set.push(r)?;
            }
            set.providers = providers;
        }
        Ok((set, errors))
    }
}

/// The `*.toml` files directly in `dir` (or `dir` itself if it is a file), sorted.
pub fn rule_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pattern: &str) -> Result<Rule> {
        let text = format!(
            "[[rule]]\nid = \"acme.key\"\nname = \"Acme key\"\nprovider = \"acme\"\nseverity = \"high\"\n\
             keywords = [\"acme\"]\npattern = '''{pattern}'''\n"
        );
        let mut rules = RuleSet::parse_file(&text, "test.toml")?;
        let rule = rules.pop().expect("one rule");
        rule.compile_all()?;
        Ok(rule)
    }

    #[test]
    fn assign_macro_expands_to_the_assignment_forms() {
        let r = rule(r"acme_key{{assign}}(?P<secret>[a-z0-9]{8})\b").expect("the rule loads");
        assert!(!r.def.pattern.contains("{{"), "{}", r.def.pattern);
        let re = &r.scan_regex().expect("a compiled pattern").regex;
        for line in [
            "acme_key=k1m2n3p4",
            "acme_key: \"k1m2n3p4\"",
            "\"acme_key\": \"k1m2n3p4\"",
            "acme_key := \"k1m2n3p4\"",
            "acme_key => 'k1m2n3p4'",
            "acme_key string = \"k1m2n3p4\"",
        ] {
            assert!(re.is_match(line.as_bytes()), "{line}");
        }
        assert!(!re.is_match(b"acme_key k1m2n3p4"));
    }

    /// Issue 13: JSON written inside a JSON string, a log line or a shell-quoted string escapes its quotes.
    #[test]
    fn assign_macro_reads_escaped_json() {
        let r = rule(r"acme_key{{assign}}(?P<secret>[a-z0-9]{8})\b").expect("the rule loads");
        let re = Regex::new(&r.def.pattern).expect("the expanded pattern compiles");
        for line in [
            r#"{\"acme_key\":\"k1m2n3p4\"}"#,
            r#""body": "{\"acme_key\": \"k1m2n3p4\", \"n\": 1}""#,
            r#"curl -d '{\"acme_key\":\"k1m2n3p4\"}' https://api.example.test"#,
            r#"log: "{\\\"acme_key\\\":\\\"k1m2n3p4\\\"}""#,
        ] {
            let caps = re.captures(line.as_bytes()).expect(line);
            assert_eq!(&caps["secret"], b"k1m2n3p4", "{line}");
        }
        // Four backslashes are no quote's escape (nor is a backslash alone).
        for line in [
            r#"{\\\\"acme_key\\\\":\\\\"k1m2n3p4\\\\"}"#,
            r"acme_key=\k1m2n3p4",
        ] {
            assert!(!re.is_match(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn an_unknown_macro_is_an_error_naming_the_pattern() {
        let e = rule(r"acme{{nope}}(?P<secret>[a-z]{8})").expect_err("an unknown macro is refused");
        assert!(format!("{e:#}").contains("field `pattern`"), "{e:#}");
    }
}
