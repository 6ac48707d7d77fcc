//! `keysweep scan`, end to end: resolved config → rules → sources feeding the engine → findings → attribution →
//! policy → enrichment → reports. Returns the exit status rather than exiting. `sweep` and `baseline create` run
//! the same [`scan`] per repository or once.

use std::collections::{BTreeSet, HashSet};
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;

use crate::config::{ScanConfig, SourceMode};
use crate::display::escape;
use crate::engine::{self, Engine, GroupStats};
use crate::model::{
    BlobId, ExitStatus, Finding, LiveStatus, Origin, ScanError, ScanReport, ScannedBlob,
};
use crate::policy::Policy;
use crate::rules::RuleSet;
use crate::scan::Scanner;
use crate::source::attribution::GitScan;
use crate::source::before::Change;
use crate::source::fs::{self, WalkOptions};
use crate::source::{diff, git, staged};

/// Loads the rules a config asks for; bad user rule files become errors in the report.
pub fn load_rules(cfg: &ScanConfig) -> Result<(Arc<RuleSet>, Vec<ScanError>)> {
    let (mut rules, mut errs) = RuleSet::load(true, &cfg.file.rules.paths, &cfg.file.rules.disable)
        .map_err(|e| match &cfg.config_file {
            Some(path) => anyhow::anyhow!(
                "config {}: line {}, key `rules.disable`: {e:#}",
                path.display(),
                cfg.file.disable_line
            ),
            None => e,
        })?;
    for (source, text) in &cfg.extra_rules {
        rules.add_file(text, source, &mut errs);
    }
    let errors = errs
        .into_iter()
        .map(|e| ScanError {
            location: "rules".into(),
            message: format!("{e:#}"),
        })
        .collect();
    Ok((Arc::new(rules), errors))
}

/// What a tree scan's root must be: a directory or a regular file. A FIFO, socket or device would be skipped
/// (or block), and a scan that read nothing must not pass as clean; a dangling link or a link loop is named as such.
fn check_root(path: &Path) -> Result<()> {
    let shown = crate::display::escape(&path.display().to_string()).into_owned();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e)
            if e.kind() == io::ErrorKind::NotFound && std::fs::symlink_metadata(path).is_err() =>
        {
            anyhow::bail!("{shown}: no such file or directory")
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            anyhow::bail!("{shown}: a symbolic link to nothing (its target does not exist)")
        }
        Err(e) => anyhow::bail!("{shown}: cannot read: {e}"),
    };
    if !meta.is_dir() && !meta.is_file() {
        anyhow::bail!(
            "{shown}: not a directory or a regular file (a FIFO, socket or device): nothing was scanned"
        );
    }
    Ok(())
}

/// Where a scan's paths are anchored: the absolute directory they are relative to (recorded on every location,
/// so `revoke` re-reads from anywhere) and, for a tree inside a git work tree, the tree's own path in it, put
/// before each path so that paths are repository-relative in every mode (SARIF and annotations point at files
/// that exist).
struct Anchor {
    root: Option<Arc<str>>,
    prefix: String,
}

impl Anchor {
    fn of(cfg: &ScanConfig) -> Anchor {
        let text = |p: &Path| Some(Arc::from(p.to_string_lossy().as_ref()));
        let none = Anchor {
            root: None,
            prefix: String::new(),
        };
        match &cfg.mode {
            SourceMode::Stdin => none,
            SourceMode::Tree => {
                let Ok(path) = std::fs::canonicalize(&cfg.path) else {
                    return none;
                };
                let dir = if path.is_file() {
                    path.parent().map_or(path.clone(), Path::to_path_buf)
                } else {
                    path
                };
                match crate::config::git_root(&dir) {
                    Some(top) => {
                        let inside = dir.strip_prefix(&top).unwrap_or(Path::new(""));
                        let prefix = if inside.as_os_str().is_empty() {
                            String::new()
                        } else {
                            crate::source::fs::relative_path(Path::new(""), inside) + "/"
                        };
                        Anchor {
                            root: text(&top),
                            prefix,
                        }
                    }
                    None => Anchor {
                        root: text(&dir),
                        prefix: String::new(),
                    },
                }
            }
            SourceMode::History { .. } | SourceMode::Staged | SourceMode::Diff { .. } => {
                // Opened as the sources open it: a hostile config (an include naming a FIFO) is refused.
                let repo = crate::source::git::open(&cfg.path).ok().map(|(r, _)| r);
                let dir = repo
                    .as_ref()
                    .map(|r| r.workdir().unwrap_or_else(|| r.path()).to_path_buf());
                Anchor {
                    root: dir
                        .and_then(|d| std::fs::canonicalize(d).ok())
                        .and_then(|d| text(&d)),
                    prefix: String::new(),
                }
            }
        }
    }
}

/// `-v`: what has been read so far, on standard error while the sources run: a spinner with the rate on a
/// terminal, a line every five seconds in a log.
fn show_progress(sink: &Engine<'_>, done: &std::sync::atomic::AtomicBool, started: Instant) {
    let terminal = io::stderr().is_terminal();
    let bar = terminal.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .expect("a valid progress template"),
        );
        bar
    });
    let mut last_line = Instant::now();
    while !done.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let (files, blobs, bytes) = sink.counts();
        let secs = started.elapsed().as_secs_f64().max(0.001);
        let msg = format!(
            "{files} file(s), {blobs} unique blob(s), {} read ({}/s)",
            crate::report::human_bytes(bytes),
            crate::report::human_bytes((bytes as f64 / secs) as u64)
        );
        match &bar {
            Some(bar) => {
                bar.set_message(msg);
                bar.tick();
            }
            None if last_line.elapsed().as_secs() >= 5 => {
                eprintln!("keysweep: {msg}");
                last_line = Instant::now();
            }
            None => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

/// Range and staged scans report what the change adds: drops each sighting of a secret that the changed file
/// already held before the change (or the file it was renamed or copied from held), and returns how many
/// secrets that left with no sighting.
fn drop_pre_existing(
    cfg: &ScanConfig,
    change: &Change<'_>,
    scanner: &Scanner,
    rules: &RuleSet,
    findings: &mut Vec<Finding>,
) -> Result<u64> {
    let paths: BTreeSet<String> = findings
        .iter()
        .flat_map(|f| &f.locations)
        .map(|l| l.path.clone())
        .collect();
    if paths.is_empty() {
        return Ok(0);
    }
    let before =
        crate::source::before::contents_before(&cfg.path, change, &paths, cfg.max_file_size)?;
    let blobs: Vec<ScannedBlob> = before
        .into_iter()
        .filter_map(|(path, bytes)| {
            let id = BlobId::of_bytes(&bytes);
            let matches = scanner.scan(id, &bytes);
            (!matches.is_empty()).then(|| ScannedBlob {
                id,
                origins: vec![Origin::Staged { path }],
                matches,
            })
        })
        .collect();
    let had: HashSet<(String, String)> = engine::group(rules, blobs, &mut GroupStats::default())
        .into_iter()
        .flat_map(|f| {
            let fp = f.fingerprint;
            f.locations.into_iter().map(move |l| (fp.clone(), l.path))
        })
        .collect();
    let count = findings.len();
    for f in findings.iter_mut() {
        let fp = f.fingerprint.clone();
        let n = f.locations.len();
        f.locations
            .retain(|l| !had.contains(&(fp.clone(), l.path.clone())));
        f.occurrences = f.occurrences.saturating_sub(n - f.locations.len());
    }
    findings.retain(|f| !f.locations.is_empty());
    Ok((count - findings.len()) as u64)
}

/// `--staged`'s changes, being listed on another thread (see [`run_scan_report`]).
type PendingStaged = std::thread::JoinHandle<Result<staged::Staged>>;

/// Runs the scan a config describes and returns its report.
pub fn scan(cfg: &ScanConfig, rules: Arc<RuleSet>) -> Result<ScanReport> {
    scan_listed(cfg, rules, None)
}

/// [`scan`], with `--staged`'s changes already being listed by `pending`.
fn scan_listed(
    cfg: &ScanConfig,
    rules: Arc<RuleSet>,
    mut pending: Option<PendingStaged>,
) -> Result<ScanReport> {
    let started = Instant::now();
    let scanner = Scanner::new(rules.clone())?
        .with_stopwords(&cfg.file.allowlist.stopwords)
        .with_member_cap(cfg.max_file_size);
    let sink = Engine::new(&scanner);
    let anchor = Anchor::of(cfg);
    let walk = WalkOptions {
        no_ignore: cfg.no_ignore,
        include: cfg.include.clone(),
        exclude: cfg.exclude.clone(),
        max_file_size: cfg.max_file_size,
        threads: cfg.threads,
        prefix: anchor.prefix.clone(),
    };
    let mut git_scan = None;
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| -> Result<()> {
        if cfg.verbose && !cfg.quiet {
            scope.spawn(|| show_progress(&sink, &done, started));
        }
        let read = (|| -> Result<()> {
            match &cfg.mode {
                SourceMode::Stdin => fs::scan_stdin(cfg.max_file_size, &sink),
                SourceMode::Tree => {
                    check_root(&cfg.path)?;
                    fs::scan_tree(&cfg.path, &walk, &sink)?
                }
                SourceMode::History { all_objects } => {
                    let opts = git::HistoryOptions {
                        all_objects: *all_objects,
                        max_file_size: cfg.max_file_size,
                        recurse_submodules: cfg.recurse_submodules,
                    };
                    git_scan = Some(GitScan::History(git::scan_history(
                        &cfg.path, &opts, &sink,
                    )?));
                }
                SourceMode::Staged => {
                    let listed = match pending.take() {
                        Some(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?,
                        None => staged::Staged::list(&cfg.path)?,
                    };
                    listed.read(cfg.max_file_size, &sink)?;
                }
                SourceMode::Diff { base, head } => {
                    git_scan = Some(GitScan::Range(diff::scan_diff(
                        &cfg.path,
                        base,
                        head,
                        cfg.max_file_size,
                        cfg.recurse_submodules,
                        &sink,
                    )?));
                }
            }
            Ok(())
        })();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        read
    })?;
    let (mut blobs, errors, mut summary) = sink.finish();
    if !cfg.inline_allow {
        blobs
            .iter_mut()
            .flat_map(|b| b.matches.iter_mut())
            .for_each(|m| m.inline_allowed = false);
    }
    // History modes: who introduced each blob with findings, and whether HEAD still has it.
    let attribution = git_scan
        .as_ref()
        .map(|g| g.attribute(&mut blobs))
        .transpose()?;
    summary.shallow = git_scan.as_ref().is_some_and(GitScan::shallow);
    let mut stats = GroupStats::default();
    let mut findings = engine::group(&rules, blobs, &mut stats);
    if let Some(a) = attribution {
        a.apply(&mut findings);
    }
    for l in findings.iter_mut().flat_map(|f| f.locations.iter_mut()) {
        l.root.clone_from(&anchor.root);
    }
    let mut errors = errors;
    let change = match &cfg.mode {
        SourceMode::Diff { base, head } => Some(Change::Range { base, head }),
        SourceMode::Staged => Some(Change::Staged),
        _ => None,
    };
    if let Some(change) = change
        && !cfg.all_secrets_in_changed_files
    {
        match drop_pre_existing(cfg, &change, &scanner, &rules, &mut findings) {
            Ok(n) => summary.pre_existing = n,
            Err(e) => errors.push(ScanError {
                location: cfg.path.display().to_string(),
                message: format!(
                    "cannot tell which secrets the change added ({e:#}): every secret in the changed files is reported"
                ),
            }),
        }
    }
    if !matches!(cfg.mode, SourceMode::Tree | SourceMode::Stdin) {
        crate::policy::restrict_paths(&mut findings, &cfg.include, &cfg.exclude)?;
    }
    let mut policy = Policy::new(&cfg.file.allowlist, cfg.baseline.as_deref())?;
    if let Some(hook) = &cfg.suppress {
        policy = policy.with_fingerprints(&(hook.0)(&findings));
    }
    let suppressed = policy.apply(&mut findings);
    crate::enrich::enrich_findings(cfg, &rules, &mut findings, &mut errors);
    let excluded = crate::enrich::exclude_contexts(&mut findings, &cfg.exclude_context);
    let mut not_live = 0;
    if cfg.only_live {
        let before = findings.len();
        findings.retain(|f| {
            f.liveness
                .as_ref()
                .is_some_and(|l| l.status == LiveStatus::Live)
        });
        not_live = before - findings.len();
    }
    summary.findings = findings.len() as u64;
    summary.suppressed = (stats.inline_allowed + suppressed + excluded + not_live) as u64;
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(ScanReport {
        version: 1,
        findings,
        errors,
        summary,
    })
}

/// `keysweep scan --revoke`: the scan, then the revocation plan (carried out with `--yes`).
pub fn run_scan_and_revoke(
    cfg: &ScanConfig,
    yes: bool,
    audit_log: Option<&Path>,
) -> Result<ExitStatus> {
    let (status, report, rules) = run_scan_report(cfg)?;
    let revoked = super::revoke::run_after_scan(cfg, &rules, &report.findings, yes, audit_log)?;
    Ok(status.max(revoked))
}

/// `keysweep scan`.
pub fn run_scan(cfg: &ScanConfig) -> Result<ExitStatus> {
    run_scan_report(cfg).map(|(status, _, _)| status)
}

/// The scan command, returning its report too (for `--revoke`).
fn run_scan_report(cfg: &ScanConfig) -> Result<(ExitStatus, ScanReport, Arc<RuleSet>)> {
    // `--staged` (a pre-commit hook): which index entries differ from HEAD is listed on another core while the
    // rules load and the matcher builds; on a large repository each is about half of the run.
    let pending = matches!(cfg.mode, SourceMode::Staged).then(|| {
        let path = cfg.path.clone();
        std::thread::spawn(move || staged::Staged::list(&path))
    });
    let (rules, rule_errors) = load_rules(cfg)?;
    if cfg.threads > 0 {
        // A second build of the global pool fails harmlessly; the first one wins.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.threads)
            .build_global();
    }
    let mut report = scan_listed(cfg, rules.clone(), pending)?;
    report.errors.splice(0..0, rule_errors);
    log_to_stderr(cfg, &report);
    crate::report::write_reports(cfg, &rules, &report)?;
    if matches!(cfg.mode, SourceMode::Staged) && !report.findings.is_empty() && !cfg.quiet {
        eprint!("{}", blocked_commit_help(report.findings.len()));
    }
    Ok((report.status_failing_on(cfg.fail_on), report, rules))
}

/// What the pre-commit hook says when it blocks a commit (on standard error, whatever the format).
fn blocked_commit_help(n: usize) -> String {
    format!(
        "\nkeysweep blocked this commit: {n} secret(s) in the staged changes. What to do:\n\
         \x20 1. Take the secret out of the file and unstage it: `git restore --staged FILE` (or edit, then \
         `git add FILE` again). Read it from the environment or a secret manager instead.\n\
         \x20 2. If it was ever pushed or shared, rotate it: revoke the old one at its provider (`keysweep \
         revoke`, see the README) and issue a new one.\n\
         \x20 3. Not a secret (a test value, an example)? Put `keysweep:allow` in a comment on its line, \
         allowlist it in .keysweep.toml ([allowlist] paths or regexes), or baseline it: `keysweep baseline \
         create --staged -o keysweep-baseline.json`, then add `--baseline keysweep-baseline.json` to the hook's \
         args.\n\
         \x20 `git commit --no-verify` skips the hook; CI scans the pull request all the same.\n"
    )
}

/// Errors (and with `-v` the skipped files) go to standard error, in every format; the human report only counts
/// them. Messages name the input and the cause, never a secret.
fn log_to_stderr(cfg: &ScanConfig, report: &ScanReport) {
    let stderr = io::stderr();
    let mut err = stderr.lock();
    if cfg.verbose {
        for (path, why) in &report.summary.skipped_files {
            let _ = writeln!(err, "keysweep: skipped {}: {why}", escape(path));
        }
    }
    for e in &report.errors {
        let _ = writeln!(
            err,
            "keysweep: error: {}: {}",
            escape(&e.location),
            escape(&e.message)
        );
    }
}
