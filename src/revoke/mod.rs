//! The revocation stage (irreversible, so every safety of DESIGN.md's revocation contract lives here): plan from
//! findings re-matched against the inventory with secrets re-read from their locations, print the plan, and
//! only with `--yes` or `REVOKE` typed at a terminal call the providers — each call bracketed by audit-log
//! records so an interrupted run resumes without revoking twice. tokio lives only in this module.

pub mod audit;
mod execute;
pub mod http;
pub mod liveness;
pub mod plan;
pub mod providers;

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::ExitStatus;
use crate::cli::{Format, RevokeArgs};
use crate::config::{FileConfig, ProviderSection, ScanConfig};
use crate::finding::Finding;
use crate::inventory::Inventory;
use crate::report::ScanError;
use plan::{Action, PlanItem, SecretSource};

/// What happened to one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RevocationOutcome {
    /// Planned, not called (no `--yes`).
    DryRun,
    /// The provider revoked it (or accepted the revocation).
    Revoked {
        /// The provider's answer.
        detail: String,
    },
    /// It was revoked before (earlier run, or the provider says so).
    AlreadyRevoked {
        /// The provider's answer or the audit log's record.
        detail: String,
    },
    /// No API: a person has to do it.
    ManualRequired {
        /// The exact steps.
        steps: Vec<String>,
        /// Where to do it.
        url: Option<String>,
    },
    /// keysweep will not act on it.
    Refused {
        /// Why.
        reason: String,
    },
    /// The call failed.
    Failed {
        /// What went wrong and what to fix.
        reason: String,
        /// Whether running again may succeed.
        retryable: bool,
    },
}

impl RevocationOutcome {
    /// The snake_case name used in JSON and the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            RevocationOutcome::DryRun => "dry_run",
            RevocationOutcome::Revoked { .. } => "revoked",
            RevocationOutcome::AlreadyRevoked { .. } => "already_revoked",
            RevocationOutcome::ManualRequired { .. } => "manual_required",
            RevocationOutcome::Refused { .. } => "refused",
            RevocationOutcome::Failed { .. } => "failed",
        }
    }

    /// A one-line description.
    pub fn detail(&self) -> String {
        match self {
            RevocationOutcome::DryRun => "dry-run: nothing called".into(),
            RevocationOutcome::Revoked { detail }
            | RevocationOutcome::AlreadyRevoked { detail } => detail.clone(),
            RevocationOutcome::ManualRequired { url, .. } => {
                format!(
                    "manual steps{}",
                    url.as_ref().map(|u| format!(" at {u}")).unwrap_or_default()
                )
            }
            RevocationOutcome::Refused { reason } => reason.clone(),
            RevocationOutcome::Failed { reason, retryable } => {
                format!("{reason}{}", if *retryable { " (retryable)" } else { "" })
            }
        }
    }
}

/// What a liveness probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveState {
    /// The credential works.
    Live,
    /// It is revoked, expired or unknown to the provider.
    Dead,
    /// Disabled: unusable now but can be re-enabled (still to be revoked).
    Disabled,
    /// The probe could not tell.
    Unknown,
}

/// A probe's answer.
#[derive(Clone, Debug)]
pub struct Probe {
    /// What it found.
    pub state: LiveState,
    /// The provider's answer in a few words.
    pub detail: String,
}

/// What every provider call needs: the HTTP client and the `[providers.*]` configuration.
#[derive(Debug)]
pub struct Ctx {
    /// The shared client (retries, loopback guard).
    pub http: http::HttpClient,
    /// `[providers.<id>]` sections.
    pub providers: BTreeMap<String, ProviderSection>,
}

impl Ctx {
    /// A context from the configuration and the environment.
    pub fn new(file: &FileConfig) -> Result<Ctx> {
        Ok(Ctx {
            http: http::HttpClient::from_env()?,
            providers: file.providers.clone(),
        })
    }

    /// A provider's configuration section.
    pub fn section(&self, id: &str) -> Option<&ProviderSection> {
        self.providers.get(id)
    }

    /// A provider's base URL: `KEYSWEEP_<ID>_URL`, else `[providers.<id>] base_url`, else the default.
    pub fn base_url(&self, id: &str) -> String {
        if let Ok(v) = std::env::var(providers::url_env(id))
            && !v.is_empty()
        {
            return v;
        }
        self.section(id)
            .and_then(|s| s.base_url.clone())
            .or_else(|| providers::default_base(id).map(str::to_string))
            .unwrap_or_default()
    }
}

/// The small runtime the revocation stage runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime for provider calls")
}

/// How a revocation run behaves.
#[derive(Clone, Debug)]
pub struct RevokeOptions {
    /// Carry out the plan without asking.
    pub yes: bool,
    /// Probe liveness before revoking and for manual keys.
    pub verify: bool,
    /// The audit log.
    pub audit_log: PathBuf,
    /// Add self-revocable tokens that are not in the inventory.
    pub include_unlisted: bool,
    /// `--resume` was given (the log is read either way).
    pub resume: bool,
    /// Human or JSON.
    pub json: bool,
}

/// `scan`: match findings to the inventory and, with `--verify`, probe their liveness. Problems become errors.
pub fn enrich_findings(cfg: &ScanConfig, findings: &mut [Finding], errors: &mut Vec<ScanError>) {
    let inventory = match &cfg.inventory {
        Some(p) => match Inventory::load(p, &cfg.file) {
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
    }
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

/// `scan --revoke`: plans (and with `--yes` carries out) revocation of this scan's findings. The plan goes to
/// standard error so it never mixes with a machine-readable report on standard output.
pub fn run_after_scan(
    cfg: &ScanConfig,
    findings: &[Finding],
    yes: bool,
    audit_log: Option<&Path>,
) -> Result<ExitStatus> {
    let inventory = match &cfg.inventory {
        Some(p) => Some(Inventory::load(p, &cfg.file)?),
        None => None,
    };
    // With --verify the scan has just probed every finding: no key is probed a second time here, and a key
    // the probe found dead is not revoked.
    let opts = RevokeOptions {
        yes,
        verify: false,
        audit_log: audit_log.map_or_else(
            || PathBuf::from(audit::DEFAULT_AUDIT_LOG),
            Path::to_path_buf,
        ),
        include_unlisted: false,
        resume: false,
        json: false,
    };
    let mut items = plan::build(
        findings,
        inventory.as_ref(),
        &cfg.file,
        &SecretSource::InMemory,
        false,
    )?;
    for item in &mut items {
        let Some(live) = findings
            .iter()
            .find(|f| f.fingerprint == item.fingerprint)
            .and_then(|f| f.liveness.as_ref())
        else {
            continue;
        };
        let dead = live.status == "dead";
        match (item.action, &mut item.outcome) {
            (Action::Revoke | Action::Manual, _) if dead => {
                item.action = Action::Refuse;
                item.reason = "the scan's --verify probe found it already revoked".into();
                item.outcome = Some(RevocationOutcome::AlreadyRevoked {
                    detail: format!("probe during the scan: {}", live.detail),
                });
            }
            (Action::Manual, Some(RevocationOutcome::ManualRequired { steps, .. })) => {
                steps.insert(0, format!("Liveness at scan time: {}.", live.detail));
            }
            _ => {}
        }
    }
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    run_plan(&cfg.file, items, &opts, &mut out)
}

/// Reads findings from a JSON report (`{"findings": […]}`), a JSON array, or JSONL.
pub fn read_findings(path: &Path) -> Result<Vec<Finding>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading findings {}", path.display()))?;
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            let arr = if v.is_array() {
                v
            } else {
                v.get("findings").cloned().unwrap_or_default()
            };
            return serde_json::from_value(arr).with_context(|| {
                format!("findings {}: not a keysweep JSON report", path.display())
            });
        }
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| {
                format!(
                    "findings {}:{}: not a keysweep finding",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect()
}

/// `keysweep revoke`.
pub fn run(args: &RevokeArgs) -> Result<ExitStatus> {
    let root = args.root.clone();
    let file = match crate::config::discover(args.config.as_deref(), &root)? {
        Some((_, f)) => f,
        None => FileConfig::default(),
    };
    let inventory_path = args
        .inventory
        .clone()
        .or_else(|| file.inventory.path.clone());
    let inventory = match &inventory_path {
        Some(p) => Some(Inventory::load(p, &file)?),
        None => {
            eprintln!(
                "keysweep: no inventory (--inventory or [inventory] path): only --include-unlisted tokens can be revoked"
            );
            None
        }
    };
    let json = match args.format {
        None | Some(Format::Human) => false,
        Some(Format::Json) => true,
        Some(other) => anyhow::bail!("revoke writes human or json, not {other:?}"),
    };
    let findings = read_findings(&args.findings)?;
    let (rules, _) = crate::rules::RuleSet::load(true, &file.rules.paths, &file.rules.disable)?;
    let cache = args
        .cache_dir
        .clone()
        .unwrap_or_else(crate::sweep::default_cache);
    let source = SecretSource::Reread {
        root: &root,
        cache: &cache,
        rules: Arc::new(rules),
    };
    let items = plan::build(
        &findings,
        inventory.as_ref(),
        &file,
        &source,
        args.include_unlisted,
    )?;
    let opts = RevokeOptions {
        yes: args.yes,
        verify: args.verify,
        audit_log: args
            .audit_log
            .clone()
            .unwrap_or_else(|| PathBuf::from(audit::DEFAULT_AUDIT_LOG)),
        include_unlisted: args.include_unlisted,
        resume: args.resume,
        json,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_plan(&file, items, &opts, &mut out)
}

/// Asks for `REVOKE` on a terminal; false when stdin is not one.
fn confirmed(n: usize) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    if n == 0 {
        eprint!("Probe the keys' liveness now? Type REVOKE to continue: ");
    } else {
        eprint!(
            "Revoke {n} key{} now? This cannot be undone. Type REVOKE to continue: ",
            if n == 1 { "" } else { "s" }
        );
    }
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "REVOKE"
}

/// Prints the plan, executes it when confirmed, prints outcomes, and returns the exit status.
fn run_plan(
    file: &FileConfig,
    mut items: Vec<PlanItem>,
    opts: &RevokeOptions,
    out: &mut dyn Write,
) -> Result<ExitStatus> {
    let to_call = items.iter().filter(|i| i.action == Action::Revoke).count();
    // `--verify` probes manual keys too, so a plan with nothing to revoke still calls out when asked to.
    let wants_calls = to_call > 0 || (opts.verify && !items.is_empty());
    let execute = wants_calls && (opts.yes || (!opts.json && confirmed(to_call)));
    if !opts.json {
        print_plan(&items, !execute, out)?;
    }
    if execute {
        let ctx = Arc::new(Ctx::new(file)?);
        let (log, state) = audit::AuditLog::open(&opts.audit_log)?;
        if opts.resume || !state.in_doubt.is_empty() || !state.done.is_empty() {
            eprintln!(
                "keysweep: resuming from {}: {} key(s) done, {} in doubt (probed before any new call){}",
                opts.audit_log.display(),
                state.done.len(),
                state.in_doubt.len(),
                if state.unreadable_lines > 0 {
                    format!(", {} unreadable line(s) skipped", state.unreadable_lines)
                } else {
                    String::new()
                }
            );
        }
        execute::execute(ctx, Arc::new(log), &state, &mut items, opts.verify)?;
    } else {
        for i in items.iter_mut().filter(|i| i.action == Action::Revoke) {
            i.outcome = Some(RevocationOutcome::DryRun);
        }
    }
    if opts.json {
        let v = serde_json::json!({ "version": 1, "dry_run": !execute, "items": items });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
    } else {
        print_outcomes(&items, execute, out)?;
    }
    out.flush()?;
    Ok(status_of(&items))
}

/// 0 everything revoked or already revoked; 1 manual steps, refusals or a dry-run remain; 2 any failure.
pub fn status_of(items: &[PlanItem]) -> ExitStatus {
    let mut status = ExitStatus::Clean;
    for i in items {
        let s = match &i.outcome {
            Some(RevocationOutcome::Revoked { .. } | RevocationOutcome::AlreadyRevoked { .. }) => {
                ExitStatus::Clean
            }
            Some(RevocationOutcome::Failed { .. }) => ExitStatus::Error,
            _ => ExitStatus::Findings,
        };
        status = status.max(s);
    }
    status
}

fn print_plan(items: &[PlanItem], dry_run: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if items.is_empty() {
        return writeln!(out, "Revocation plan: nothing to revoke.");
    }
    writeln!(
        out,
        "Revocation plan ({} key{}){}:",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        if dry_run {
            " — dry-run, nothing will be called (use --yes to carry it out)"
        } else {
            ""
        }
    )?;
    for i in items {
        writeln!(
            out,
            "  {:<7} {:<18} key_id={} fingerprint={} matched_by={}{}",
            i.action.as_str(),
            i.provider,
            i.key_id.as_deref().unwrap_or("-"),
            i.fingerprint,
            i.matched_by.as_deref().unwrap_or("-"),
            i.strength
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
        )?;
        writeln!(
            out,
            "          {}{}",
            i.reason,
            i.location
                .as_deref()
                .map(|l| format!("; seen at {l}"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

fn print_outcomes(items: &[PlanItem], executed: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{}:",
        if executed {
            "Outcomes"
        } else {
            "Outcomes (dry-run)"
        }
    )?;
    for i in items {
        let Some(o) = &i.outcome else { continue };
        writeln!(
            out,
            "  {:<16} {:<18} key_id={}: {}",
            o.name(),
            i.provider,
            i.key_id.as_deref().unwrap_or("-"),
            o.detail()
        )?;
        if let RevocationOutcome::ManualRequired { steps, url } = o {
            for (n, s) in steps.iter().enumerate() {
                writeln!(out, "      {}. {s}", n + 1)?;
            }
            if let Some(u) = url {
                writeln!(out, "      {u}")?;
            }
        }
    }
    Ok(())
}
