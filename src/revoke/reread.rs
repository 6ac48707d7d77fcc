//! Re-reading a finding's secret for the plan: a findings file is never trusted, so each secret is read again
//! from its recorded location (a file under the scan root, a blob of the repository there, or the mirror of a
//! swept repository) and checked against the finding's fingerprint before anything acts on it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::model::{BlobId, Finding, fingerprint_key, fingerprint_token};
use crate::scan::Scanner;

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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn token_at_position() {
        let bytes = b"a = 1\ntoken = \"glpat-abcDEF_123\"\n";
        assert_eq!(
            at_position(bytes, 2, 10),
            vec!["glpat-abcDEF_123".to_string()]
        );
        assert!(at_position(bytes, 9, 1).is_empty());
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
