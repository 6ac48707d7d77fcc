//! The scan command end to end: resolved config → rules → sources feeding the blob sink → findings →
//! policy → reports. Returns the exit status rather than exiting.

use std::fs::OpenOptions;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::ExitStatus;
use crate::cli::BaselineCreateArgs;
use crate::cli::Format;
use crate::config::{ScanConfig, SourceMode};
use crate::finding::{self, GroupStats};
use crate::policy::{Baseline, Policy};
use crate::report::{self, ReportContext, ScanError, ScanReport};
use crate::rules::RuleSet;
use crate::scan::Scanner;
use crate::source::attribution::GitScan;
use crate::source::dedup::BlobSink;
use crate::source::fs::{self, WalkOptions};
use crate::source::{diff, git, staged};

/// Loads the rules a config asks for; bad user rule files become errors in the report.
pub fn load_rules(cfg: &ScanConfig) -> Result<(Arc<RuleSet>, Vec<ScanError>)> {
    let (rules, errs) = RuleSet::load(true, &cfg.file.rules.paths, &cfg.file.rules.disable)?;
    let errors = errs
        .into_iter()
        .map(|e| ScanError {
            location: "rules".into(),
            message: format!("{e:#}"),
        })
        .collect();
    Ok((Arc::new(rules), errors))
}

/// Runs the scan a config describes and returns its report.
pub fn scan(cfg: &ScanConfig, rules: Arc<RuleSet>) -> Result<ScanReport> {
    let started = Instant::now();
    let scanner = Scanner::new(rules.clone())?.with_stopwords(&cfg.file.allowlist.stopwords);
    let sink = BlobSink::new(&scanner);
    let walk = WalkOptions {
        no_ignore: cfg.no_ignore,
        include: cfg.include.clone(),
        exclude: cfg.exclude.clone(),
        max_file_size: cfg.max_file_size,
        threads: cfg.threads,
    };
    let mut git_scan = None;
    match &cfg.mode {
        SourceMode::Stdin => fs::scan_stdin(cfg.max_file_size, &sink),
        SourceMode::Tree => {
            if !cfg.path.exists() {
                anyhow::bail!("{}: no such file or directory", cfg.path.display());
            }
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
            staged::scan_staged(&cfg.path, cfg.max_file_size, &sink)?;
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
    let mut findings = finding::group(&rules, blobs, &mut stats);
    if let Some(a) = attribution {
        a.apply(&mut findings);
    }
    if !matches!(cfg.mode, SourceMode::Tree | SourceMode::Stdin) {
        crate::policy::restrict_paths(&mut findings, &cfg.include, &cfg.exclude)?;
    }
    let policy = Policy::new(&cfg.file.allowlist, cfg.baseline.as_deref())?;
    let suppressed = policy.apply(&mut findings);
    let mut errors = errors;
    crate::revoke::enrich_findings(cfg, &mut findings, &mut errors);
    let mut not_live = 0;
    if cfg.only_live {
        let before = findings.len();
        findings.retain(|f| f.liveness.as_ref().is_some_and(|l| l.status == "live"));
        not_live = before - findings.len();
    }
    summary.findings = findings.len() as u64;
    summary.suppressed = (stats.inline_allowed + suppressed + not_live) as u64;
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(ScanReport {
        version: 1,
        findings,
        errors,
        summary,
    })
}

/// Opens an output file; created 0600 when it will hold secrets.
pub fn create_output(path: &Path, secret: bool) -> Result<std::fs::File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict permissions of {}", path.display()))?;
    }
    Ok(file)
}

/// Writes the main format (stdout or `-o`) and every `--report`.
pub fn write_reports(cfg: &ScanConfig, rules: &RuleSet, report: &ScanReport) -> Result<()> {
    let mut targets: Vec<(Format, Option<&Path>)> = vec![(cfg.format, cfg.output.as_deref())];
    targets.extend(cfg.reports.iter().map(|(f, p)| (*f, Some(p.as_path()))));
    for (format, path) in targets {
        // `-q`: nothing but errors (on standard error); machine formats asked for are still written.
        if cfg.quiet && path.is_none() && format == Format::Human {
            continue;
        }
        write_one(format, path, rules, report, cfg.show_secrets)?;
    }
    Ok(())
}

/// Writes one report in one format to a file (or standard output when `path` is `None`).
pub fn write_one(
    format: Format,
    path: Option<&Path>,
    rules: &RuleSet,
    report: &ScanReport,
    show_secrets: bool,
) -> Result<()> {
    let color =
        path.is_none() && io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let ctx = ReportContext {
        rules,
        show_secrets,
        color,
    };
    match path {
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            report::write(format, report, &ctx, &mut out).and_then(|()| out.flush())?;
        }
        Some(p) => {
            let mut out = io::BufWriter::new(create_output(p, show_secrets)?);
            report::write(format, report, &ctx, &mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("writing {}", p.display()))?;
        }
    }
    Ok(())
}

/// `keysweep baseline create`: scans like `scan` (without any existing baseline) and records every finding's
/// fingerprint.
pub fn run_baseline_create(args: &BaselineCreateArgs) -> Result<ExitStatus> {
    let common = crate::cli::CommonArgs {
        config: args.config.clone(),
        ..Default::default()
    };
    let cfg = ScanConfig::resolve(
        &args.path,
        &args.source,
        &crate::cli::OutputArgs::default(),
        &common,
    )?;
    let (rules, rule_errors) = load_rules(&cfg)?;
    let report = scan(&cfg, rules)?;
    for e in rule_errors.iter().chain(&report.errors) {
        eprintln!("keysweep: error: {}: {}", e.location, e.message);
    }
    let baseline = Baseline::from_findings(&report.findings);
    let mut out = create_output(&args.output, false)?;
    serde_json::to_writer_pretty(&mut out, &baseline)
        .with_context(|| format!("writing {}", args.output.display()))?;
    writeln!(out).with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "keysweep: recorded {} finding(s) in {}",
        baseline.findings.len(),
        args.output.display()
    );
    Ok(if rule_errors.is_empty() && report.errors.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Error
    })
}

/// The exit status a report implies: error beats findings beats clean.
pub fn status_of(report: &ScanReport) -> ExitStatus {
    if !report.errors.is_empty() {
        ExitStatus::Error
    } else if !report.findings.is_empty() {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

/// `keysweep scan --revoke`: the scan, then the revocation plan (carried out with `--yes`).
pub fn run_scan_and_revoke(
    cfg: &ScanConfig,
    yes: bool,
    audit_log: Option<&Path>,
) -> Result<ExitStatus> {
    let (status, report) = run_scan_report(cfg)?;
    let revoked = crate::revoke::run_after_scan(cfg, &report.findings, yes, audit_log)?;
    Ok(status.max(revoked))
}

/// `keysweep scan`.
pub fn run_scan(cfg: &ScanConfig) -> Result<ExitStatus> {
    run_scan_report(cfg).map(|(status, _)| status)
}

/// The scan command, returning its report too (for `--revoke`).
fn run_scan_report(cfg: &ScanConfig) -> Result<(ExitStatus, ScanReport)> {
    let (rules, rule_errors) = load_rules(cfg)?;
    if cfg.threads > 0 {
        // A second build of the global pool fails harmlessly; the first one wins.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.threads)
            .build_global();
    }
    let mut report = scan(cfg, rules.clone())?;
    report.errors.splice(0..0, rule_errors);
    log_to_stderr(cfg, &report);
    write_reports(cfg, &rules, &report)?;
    Ok((status_of(&report), report))
}

/// Errors (and with `-v` the skipped files) go to standard error, unless the human report on standard output
/// already lists them. Messages name the input and the cause, never a secret.
fn log_to_stderr(cfg: &ScanConfig, report: &ScanReport) {
    let human_on_stdout = cfg.format == Format::Human && cfg.output.is_none() && !cfg.quiet;
    let stderr = io::stderr();
    let mut err = stderr.lock();
    if cfg.verbose {
        for (path, why) in &report.summary.skipped_files {
            let _ = writeln!(err, "keysweep: skipped {path}: {why}");
        }
    }
    if !human_on_stdout {
        for e in &report.errors {
            let _ = writeln!(err, "keysweep: error: {}: {}", e.location, e.message);
        }
    }
}
