//! Organisation sweeps: many repositories — every repository below a directory, a list of paths and clone
//! URLs, or a GitHub organisation — each mirrored into a cache (fetched, not re-cloned, on later runs), its
//! history scanned once, and one combined report with the repository on every location. `--shard K/N` takes a
//! deterministic share so N machines split the work; per-repository results are kept in a small state
//! directory so an interrupted sweep resumes where it stopped.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::ExitStatus;
use crate::cli::{SourceArgs, SweepArgs};
use crate::config::{FileConfig, ScanConfig};
use crate::merge;
use crate::pipeline;
use crate::report::{ScanError, ScanReport};

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

/// Whether a repository name is a clone URL (mirrored) rather than a local path.
pub fn looks_like_url(s: &str) -> bool {
    s.contains("://") || (s.contains('@') && s.contains(':') && !Path::new(s).exists())
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

/// Refuses non-loopback hosts when `KEYSWEEP_LOOPBACK_ONLY=1` (the test harness and CI set it), with the same
/// test as the revocation client.
pub fn check_loopback(url: &str) -> Result<()> {
    use crate::revoke::http::{LOOPBACK_ONLY_ENV, is_loopback};
    if std::env::var(LOOPBACK_ONLY_ENV).is_ok_and(|v| v == "1") {
        let parsed = reqwest::Url::parse(url).with_context(|| format!("bad URL {url:?}"))?;
        if !is_loopback(&parsed) {
            bail!("refusing {url}: {LOOPBACK_ONLY_ENV}=1 allows only loopback hosts");
        }
    }
    Ok(())
}

/// The GitHub API base URL: `KEYSWEEP_GITHUB_URL`, else `[providers.github] base_url`, else api.github.com.
pub fn github_base(file: &FileConfig) -> String {
    std::env::var("KEYSWEEP_GITHUB_URL")
        .ok()
        .or_else(|| {
            file.providers
                .get("github")
                .and_then(|p| p.base_url.clone())
        })
        .unwrap_or_else(|| "https://api.github.com".to_string())
}

/// Every repository of a GitHub organisation, following pagination (`Link: rel="next"`).
pub fn repos_in_github_org(org: &str, base: &str) -> Result<Vec<Repo>> {
    let client = reqwest::blocking::Client::builder()
        .user_agent(concat!("keysweep/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(30))
        .build()?;
    let token = std::env::var("GITHUB_TOKEN").ok().filter(|t| !t.is_empty());
    let mut url = format!(
        "{}/orgs/{org}/repos?per_page=100&type=all",
        base.trim_end_matches('/')
    );
    let mut repos = Vec::new();
    for _page in 0..10_000 {
        check_loopback(&url)?;
        let mut req = client
            .get(&url)
            .header("Accept", "application/vnd.github+json");
        if let Some(t) = &token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().with_context(|| format!("GET {url}"))?;
        let status = resp.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            bail!(
                "GET {url}: {status}: check GITHUB_TOKEN (it needs read access to the organisation's repositories)"
            );
        }
        if !status.is_success() {
            bail!("GET {url}: {status}");
        }
        let next = resp
            .headers()
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(next_link);
        let page: Vec<serde_json::Value> = resp
            .json()
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

/// Where [`mirror`] keeps the mirror of `url` under `cache`.
pub fn mirror_dir(url: &str, cache: &Path) -> PathBuf {
    let id = hex::encode(&Sha256::digest(url.as_bytes())[..12]);
    cache.join("repos").join(format!("{id}.git"))
}

/// Mirrors a remote repository into the cache: `git clone --mirror` the first time, `git fetch` after.
pub fn mirror(url: &str, cache: &Path) -> Result<PathBuf> {
    let dir = mirror_dir(url, cache);
    let mut git = Process::new("git");
    git.env("GIT_TERMINAL_PROMPT", "0");
    if let Ok(token) = std::env::var("GITHUB_TOKEN")
        && !token.is_empty()
        && url.starts_with("https://")
    {
        use base64::Engine as _;
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
        git.args([
            "-c",
            &format!("http.extraHeader=Authorization: basic {basic}"),
        ]);
    }
    if dir.join("HEAD").is_file() {
        git.arg("-C")
            .arg(&dir)
            .args(["fetch", "--prune", "--quiet", "origin", "+refs/*:refs/*"]);
    } else {
        std::fs::create_dir_all(dir.parent().expect("cache/repos has a parent"))
            .with_context(|| format!("creating {}", cache.display()))?;
        git.args(["clone", "--mirror", "--quiet", url]).arg(&dir);
    }
    let out = git.output().context("running git (is it installed?)")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!("git could not mirror {url}: {}", err.trim());
    }
    Ok(dir)
}

/// Where results of one sweep are kept until it completes.
fn state_dir(cache: &Path, key: &str) -> PathBuf {
    cache
        .join("sweeps")
        .join(hex::encode(&Sha256::digest(key.as_bytes())[..12]))
}

/// The cache directory when `--cache-dir` is not given: `$XDG_CACHE_HOME/keysweep`, else `~/.cache/keysweep`.
pub fn default_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("keysweep")
}

/// Scans one repository's history with `cfg`'s settings; the repository's name goes on every location.
fn scan_repo(repo: &Repo, cache: &Path, base_cfg: &ScanConfig) -> Result<ScanReport> {
    let path = match &repo.location {
        RepoLocation::Local(p) => p.clone(),
        RepoLocation::Remote(url) => mirror(url, cache)?,
    };
    let mut cfg = base_cfg.clone();
    cfg.path = path;
    let (rules, rule_errors) = pipeline::load_rules(&cfg)?;
    let mut report = pipeline::scan(&cfg, rules)?;
    report.errors.splice(0..0, rule_errors);
    for f in &mut report.findings {
        for l in &mut f.locations {
            l.repository = Some(repo.name.clone());
        }
    }
    for e in &mut report.errors {
        e.location = format!("{}: {}", repo.name, e.location);
    }
    Ok(report)
}

/// Progress on a terminal (a bar) or in logs (a line every few seconds).
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines {
        total: usize,
        last: Instant,
        every: bool,
    },
    Quiet,
}

impl Progress {
    fn new(total: usize, quiet: bool, verbose: bool) -> Progress {
        if quiet {
            return Progress::Quiet;
        }
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .expect("a valid progress template");
            bar.set_style(style);
            return Progress::Bar(bar);
        }
        Progress::Lines {
            total,
            last: Instant::now(),
            every: verbose,
        }
    }

    fn done(&mut self, n: usize, repo: &str, what: &str) {
        match self {
            Progress::Bar(b) => {
                b.set_message(format!("{repo}: {what}"));
                b.inc(1);
            }
            Progress::Lines { total, last, every } => {
                if *every || last.elapsed() >= Duration::from_secs(5) || n == *total {
                    eprintln!("keysweep: [{n}/{total}] {repo}: {what}");
                    *last = Instant::now();
                }
            }
            Progress::Quiet => {}
        }
    }

    fn finish(self) {
        if let Progress::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}

/// `keysweep sweep`.
pub fn run(args: &SweepArgs) -> Result<ExitStatus> {
    let started = Instant::now();
    let source = SourceArgs {
        history: true,
        ..SourceArgs::default()
    };
    let anchor = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut cfg = ScanConfig::resolve(&anchor, &source, &args.output, &args.common)?;
    if args.common.config.is_none() {
        // A sweep uses the security team's configuration only: a repository must not allowlist its own leaks.
        cfg.file = FileConfig::default();
        cfg.config_file = None;
        cfg.inventory = args.common.inventory.clone();
    }
    let (repos, source_key) = if let Some(dir) = &args.dir {
        (
            repos_in_dir(dir)?,
            format!(
                "dir:{}",
                std::fs::canonicalize(dir).unwrap_or(dir.clone()).display()
            ),
        )
    } else if let Some(list) = &args.repos {
        (
            repos_in_list(list)?,
            format!(
                "list:{}",
                std::fs::canonicalize(list)
                    .unwrap_or(list.clone())
                    .display()
            ),
        )
    } else if let Some(org) = &args.github_org {
        let base = github_base(&cfg.file);
        (
            repos_in_github_org(org, &base)?,
            format!("github:{base}/{org}"),
        )
    } else {
        bail!("sweep needs --dir DIR, --repos FILE or --github-org ORG");
    };
    let (repos, shard_key) = match args.shard.as_deref() {
        Some(s) => {
            let (k, n) = parse_shard(s)?;
            (
                repos
                    .into_iter()
                    .filter(|r| shard_of(&r.name, n) == k)
                    .collect::<Vec<_>>(),
                format!(" shard {k}/{n}"),
            )
        }
        None => (repos, String::new()),
    };
    let cache = args.cache_dir.clone().unwrap_or_else(default_cache);
    let state = state_dir(&cache, &format!("{source_key}{shard_key}"));
    std::fs::create_dir_all(&state)
        .with_context(|| format!("creating sweep state {}", state.display()))?;
    if !args.common.quiet {
        eprintln!(
            "keysweep: sweeping {} repositor{}{shard_key}",
            repos.len(),
            if repos.len() == 1 { "y" } else { "ies" }
        );
    }
    let mut progress = Progress::new(repos.len(), args.common.quiet, args.common.verbose);
    let mut reports = Vec::new();
    for (i, repo) in repos.iter().enumerate() {
        let saved = state.join(format!(
            "{}.json",
            hex::encode(&Sha256::digest(repo.name.as_bytes())[..12])
        ));
        if let Ok(r) = merge::read_report(&saved) {
            progress.done(i + 1, &repo.name, "done in an earlier run");
            reports.push(r);
            continue;
        }
        let report = match scan_repo(repo, &cache, &cfg) {
            Ok(r) => r,
            Err(e) => {
                let error = ScanError {
                    location: repo.name.clone(),
                    message: format!("{e:#}"),
                };
                ScanReport {
                    version: 1,
                    findings: Vec::new(),
                    errors: vec![error],
                    summary: Default::default(),
                }
            }
        };
        let what = if report.errors.is_empty() {
            format!("{} finding(s)", report.findings.len())
        } else {
            "failed".into()
        };
        progress.done(i + 1, &repo.name, &what);
        // Only clean completions are remembered, so a failed repository is retried on the next run.
        if report.errors.is_empty() {
            let tmp = saved.with_extension("json.tmp");
            let written = serde_json::to_vec(&report)
                .map_err(anyhow::Error::from)
                .and_then(|bytes| {
                    std::fs::write(&tmp, bytes)?;
                    std::fs::rename(&tmp, &saved)?;
                    Ok(())
                });
            if let Err(e) = written {
                eprintln!(
                    "keysweep: warning: cannot save sweep state {}: {e:#}",
                    saved.display()
                );
            }
        }
        reports.push(report);
    }
    progress.finish();
    let mut report = merge::merge(reports);
    report.summary.elapsed_ms = started.elapsed().as_millis() as u64;
    if !args.common.quiet {
        for e in &report.errors {
            eprintln!("keysweep: error: {}: {}", e.location, e.message);
        }
    }
    let rules = pipeline::load_rules(&cfg)?.0;
    pipeline::write_reports(&cfg, &rules, &report)?;
    // The sweep completed: forget its state so the next sweep scans afresh.
    let _ = std::fs::remove_dir_all(&state);
    Ok(pipeline::status_of(&report))
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
