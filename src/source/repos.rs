//! Which repositories a sweep scans: every repository below a directory, a list of paths and clone URLs, or a
//! GitHub organisation's repositories; and the deterministic `--shard K/N` share of them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use reqwest::Method;
use sha2::{Digest, Sha256};

use super::mirror::looks_like_url;
use crate::net::{HttpClient, Request};

/// One repository of a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    /// Stable identity: the path relative to `--dir`, the line of `--repos`, or the clone URL. Shards and
    /// report locations use it; never an absolute path of this machine.
    pub name: String,
    /// Where it is: a local path or a clone URL.
    pub location: RepoLocation,
}

/// A local repository or one to mirror.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepoLocation {
    /// A repository on this machine (work tree or bare).
    Local(PathBuf),
    /// A clone URL (`https://`, `ssh://`, `git@…`, `file://`).
    Remote(String),
}

/// Parses `K/N` (1-based).
pub fn parse_shard(s: &str) -> Result<(u64, u64)> {
    let (k, n) = s
        .split_once('/')
        .with_context(|| format!("--shard {s:?}: expected K/N, e.g. 2/5"))?;
    let k: u64 = k
        .trim()
        .parse()
        .with_context(|| format!("--shard {s:?}: K is not a number"))?;
    let n: u64 = n
        .trim()
        .parse()
        .with_context(|| format!("--shard {s:?}: N is not a number"))?;
    if n == 0 || k == 0 || k > n {
        bail!("--shard {s:?}: need 1 <= K <= N");
    }
    Ok((k, n))
}

/// The 1-based shard a repository belongs to among `n`: SHA-256 of its name, so every machine agrees.
pub fn shard_of(name: &str, n: u64) -> u64 {
    let digest = Sha256::digest(name.as_bytes());
    let first = u64::from_be_bytes(
        digest[..8]
            .try_into()
            .expect("a SHA-256 digest has 32 bytes"),
    );
    first % n + 1
}

fn is_repository(dir: &Path) -> bool {
    dir.join(".git").exists()
        || (dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir())
}

/// Every git repository below `root` (work trees and bare ones), not descending into repositories found.
pub fn repos_in_dir(root: &Path) -> Result<Vec<Repo>> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if is_repository(&dir) {
            let rel = crate::source::fs::relative_path(root, &dir);
            let name = if dir == root { ".".to_string() } else { rel };
            found.push(Repo {
                name,
                location: RepoLocation::Local(dir),
            });
            continue;
        }
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Repositories listed one per line (paths or clone URLs; `#` comments and blank lines skipped).
pub fn repos_in_list(file: &Path) -> Result<Vec<Repo>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let location = if looks_like_url(l) {
                RepoLocation::Remote(l.to_string())
            } else {
                RepoLocation::Local(base.join(l))
            };
            Repo {
                name: l.to_string(),
                location,
            }
        })
        .collect())
}

/// Every repository of a GitHub organisation, following pagination (`Link: rel="next"`).
///
/// Requests go through the one HTTP client ([`HttpClient`]): its loopback guard applies to every page, and no
/// redirect is followed, so a reply cannot send the token to another host.
pub fn repos_in_github_org(org: &str, base: &str) -> Result<Vec<Repo>> {
    let client = HttpClient::from_env()?;
    let token = std::env::var("GITHUB_TOKEN").ok().filter(|t| !t.is_empty());
    let mut url = format!(
        "{}/orgs/{org}/repos?per_page=100&type=all",
        base.trim_end_matches('/')
    );
    let mut repos = Vec::new();
    for _page in 0..10_000 {
        let mut req =
            Request::new(Method::GET, url.clone()).header("Accept", "application/vnd.github+json");
        if let Some(t) = &token {
            req = req.bearer(t);
        }
        let resp = client.send_blocking(&req)?;
        let status = resp.status;
        if status == 401 || status == 403 {
            bail!(
                "GET {url}: HTTP {status}: check GITHUB_TOKEN (it needs read access to the organisation's repositories)"
            );
        }
        if !(200..300).contains(&status) {
            bail!("GET {url}: HTTP {status}");
        }
        let next = resp
            .headers
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(next_link);
        let page: Vec<serde_json::Value> = serde_json::from_str(&resp.body)
            .with_context(|| format!("GET {url}: not a repository list"))?;
        for r in page {
            let clone = r["clone_url"].as_str().or_else(|| r["html_url"].as_str());
            if let Some(clone) = clone {
                repos.push(Repo {
                    name: clone.to_string(),
                    location: RepoLocation::Remote(clone.to_string()),
                });
            }
        }
        match next {
            Some(n) => url = n,
            None => return Ok(repos),
        }
    }
    bail!("GET {url}: too many pages")
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_deterministic_and_cover_everything() {
        let names: Vec<String> = (0..200).map(|i| format!("org/repo-{i}")).collect();
        let mut counts = [0usize; 3];
        for n in &names {
            let s = shard_of(n, 3);
            assert_eq!(s, shard_of(n, 3));
            counts[(s - 1) as usize] += 1;
        }
        assert_eq!(counts.iter().sum::<usize>(), 200);
        assert!(counts.iter().all(|&c| c > 40), "{counts:?}");
        assert_eq!(parse_shard("2/3").expect("valid"), (2, 3));
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
    }

    #[test]
    fn link_header_next() {
        let h = r#"<https://api.github.com/organizations/1/repos?page=2>; rel="next", <https://api.github.com/organizations/1/repos?page=5>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/organizations/1/repos?page=2")
        );
        assert_eq!(next_link(r#"<x>; rel="prev""#), None);
    }
}
