//! Organisation sweeps: many repositories — every repository below a directory, a list of paths and clone
//! URLs, or a GitHub organisation — each mirrored into a cache (fetched, not re-cloned, on later runs), its
//! history scanned once, and one combined report with the repository on every location. `--shard K/N` takes a
//! deterministic share so N machines split the work; per-repository results are kept in a small state
//! directory so an interrupted sweep resumes where it stopped.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use super::scan as pipeline;
use crate::cli::{SourceArgs, SweepArgs};
use crate::config::{FileConfig, ScanConfig};
use crate::model::{ExitStatus, ScanError, ScanReport};
use crate::report::merge;
use crate::rules::RuleSet;
use crate::source::mirror::{HostToken, default_cache, mirror};
use crate::source::repos::{
    Repo, RepoLocation, parse_shard, repos_in_dir, repos_in_github_org, repos_in_list, shard_of,
};

/// Where results of one sweep are kept until it completes.
fn state_dir(cache: &Path, key: &str) -> PathBuf {
    cache
        .join("sweeps")
        .join(hex::encode(&Sha256::digest(key.as_bytes())[..12]))
}

/// Scans one repository's history with `cfg`'s settings; the repository's name goes on every location.
fn scan_repo(
    repo: &Repo,
    cache: &Path,
    base_cfg: &ScanConfig,
    rules: &Arc<RuleSet>,
    auth: Option<&HostToken>,
) -> Result<ScanReport> {
    let path = match &repo.location {
        RepoLocation::Local(p) => p.clone(),
        RepoLocation::Remote(url) => mirror(url, cache, auth)?,
    };
    let mut cfg = base_cfg.clone();
    cfg.path = path;
    let mut report = pipeline::scan(&cfg, rules.clone())?;
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

/// Progress on standard error: a bar with the repository being scanned, the rate and the time left on a
/// terminal; with `-v` elsewhere (a CI log), a line per repository; nothing with `-q`, or in a log without `-v`.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines { total: usize },
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
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} repos, {per_sec}, ETA {eta} {msg}",
            )
            .expect("a valid progress template");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            return Progress::Bar(bar);
        }
        if verbose {
            Progress::Lines { total }
        } else {
            Progress::Quiet
        }
    }

    /// Repository `n` (1-based) is being scanned.
    fn start(&mut self, n: usize, repo: &str) {
        match self {
            Progress::Bar(b) => b.set_message(format!("scanning {}", crate::display::escape(repo))),
            Progress::Lines { total } => {
                eprintln!(
                    "keysweep: [{n}/{total}] {}: scanning",
                    crate::display::escape(repo)
                );
            }
            Progress::Quiet => {}
        }
    }

    /// Repository `n` (1-based) is done: `what` says how.
    fn done(&mut self, n: usize, repo: &str, what: &str) {
        match self {
            Progress::Bar(b) => {
                b.println(format!("{}: {what}", crate::display::escape(repo)));
                b.inc(1);
            }
            Progress::Lines { total } => {
                eprintln!(
                    "keysweep: [{n}/{total}] {}: {what}",
                    crate::display::escape(repo)
                );
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
        // The team's gitleaks or Betterleaks config from the environment, as gitleaks would read it.
        super::config::env_fallback(&mut cfg)?;
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
        let base = crate::providers::base_url(&cfg.file, "github");
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
    // GITHUB_TOKEN is sent to the configured GitHub's host only, whichever hosts the repository list names.
    let auth = HostToken::github(&crate::providers::base_url(&cfg.file, "github"));
    // The rules are compiled once for the whole sweep: each rule's regex the first time any repository needs it.
    let (rules, rule_errors) = pipeline::load_rules(&cfg)?;
    let saved_at = |repo: &Repo| {
        state.join(format!(
            "{}.json",
            hex::encode(&Sha256::digest(repo.name.as_bytes())[..12])
        ))
    };
    let resumed = repos.iter().filter(|r| saved_at(r).is_file()).count();
    if resumed > 0 && !args.common.quiet {
        eprintln!(
            "keysweep: resuming an interrupted sweep: {resumed} of {} repositories already scanned, not \
             scanned again (state in {}; delete it to start afresh)",
            repos.len(),
            crate::display::escape(&state.display().to_string())
        );
    }
    let mut progress = Progress::new(repos.len(), args.common.quiet, args.common.verbose);
    let mut reports = Vec::new();
    for (i, repo) in repos.iter().enumerate() {
        let saved = saved_at(repo);
        if let Ok(r) = merge::read_report(&saved) {
            progress.done(i + 1, &repo.name, "done in an earlier run");
            reports.push(r);
            continue;
        }
        progress.start(i + 1, &repo.name);
        let report = match scan_repo(repo, &cache, &cfg, &rules, auth.as_ref()) {
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
    report.errors.splice(0..0, rule_errors);
    report.summary.elapsed_ms = started.elapsed().as_millis() as u64;
    for e in &report.errors {
        eprintln!(
            "keysweep: error: {}: {}",
            crate::display::escape(&e.location),
            crate::display::escape(&e.message)
        );
    }
    crate::report::write_reports(&cfg, &rules, &report)?;
    // The sweep completed: forget its state so the next sweep scans afresh.
    let _ = std::fs::remove_dir_all(&state);
    Ok(report.status_failing_on(cfg.fail_on))
}
