//! Carrying out a confirmed plan: keys the audit log marks done are skipped, keys in doubt are probed first and
//! revoked only if still live, every call is bracketed by an intent and an outcome record, at most a few calls
//! per provider run at once, and GitHub tokens go in batches of up to 1000.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::plan::{Action, PlanItem};
use crate::model::{LiveState, RevocationOutcome};
use crate::providers::audit::{AuditLog, AuditState};
use crate::providers::liveness::{self, ProbeTarget, probe_audited};
use crate::providers::registry::{self, Call, Revoker};
use crate::providers::{self, Ctx};

/// Concurrent calls per provider.
const PER_PROVIDER: usize = 4;

/// What a task needs of one plan item (owned, so it can move into a task).
#[derive(Clone, Debug)]
struct Job {
    index: usize,
    fingerprint: String,
    provider: String,
    key_id: Option<String>,
    target: ProbeTarget,
    in_doubt: bool,
}

/// Records a revoke call's outcome; the call was made, so a failing log write is reported, not returned.
fn log_revoke_outcome(log: &AuditLog, job: &Job, o: &RevocationOutcome) {
    if let Err(e) = log.outcome(
        &job.fingerprint,
        &job.provider,
        job.key_id.as_deref(),
        "revoke",
        audit_name(o),
        &o.detail(),
    ) {
        eprintln!("keysweep: error: {e:#}");
    }
}

fn audit_failed(e: &anyhow::Error) -> RevocationOutcome {
    RevocationOutcome::Failed {
        reason: format!("{e:#}; nothing was called"),
        retryable: true,
    }
}

/// The outcome's name in the audit log. A retryable failure (timeout, 5xx, 429) may have been carried out by the
/// provider before the answer was lost, so it is logged as `failed_in_doubt` and the next run probes first.
fn audit_name(o: &RevocationOutcome) -> &'static str {
    match o {
        RevocationOutcome::Failed {
            retryable: true, ..
        } => "failed_in_doubt",
        other => other.name(),
    }
}

/// How long a key left in doubt is given to settle before the second probe: `KEYSWEEP_SETTLE_MS` (default 5 s,
/// at most a minute).
fn settle_time() -> std::time::Duration {
    let ms = std::env::var("KEYSWEEP_SETTLE_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(5_000)
        .min(60_000);
    std::time::Duration::from_millis(ms)
}

/// Probes before revoking (in doubt, or `--verify`). `Some(outcome)` settles the key without a revoke call.
async fn precheck(ctx: &Ctx, log: &AuditLog, job: &Job, verify: bool) -> Option<RevocationOutcome> {
    if !job.in_doubt && !verify {
        return None;
    }
    let probe = match probe_audited(ctx, log, &job.fingerprint, &job.target).await {
        Ok(p) => p,
        Err(e) => return Some(audit_failed(&e)),
    };
    let doubt = if job.in_doubt {
        "in doubt after an interrupted run; "
    } else {
        ""
    };
    match probe {
        Some(p) if p.state == LiveState::Dead => Some(RevocationOutcome::AlreadyRevoked {
            detail: format!("{doubt}probe: {}", p.detail),
        }),
        Some(p)
            if job.in_doubt && (p.state == LiveState::Live || p.state == LiveState::Disabled) =>
        {
            // The earlier run's call may still be in flight at the provider (a killed run resumed at once): let
            // it settle and ask again before sending a second mutation, and record both answers.
            let settle = settle_time();
            tokio::time::sleep(settle).await;
            let again = liveness::probe(ctx, &job.target).await;
            let (name, detail) = match &again {
                Some(q) if q.state == LiveState::Dead => ("already_revoked", q.detail.clone()),
                Some(q) => ("live", q.detail.clone()),
                None => ("unknown", "no answer".to_string()),
            };
            let note = format!(
                "in doubt after an interrupted run; probed live ({}), again after {} ms: {detail}",
                p.detail,
                settle.as_millis()
            );
            if let Err(e) = log.outcome(
                &job.fingerprint,
                &job.provider,
                job.key_id.as_deref(),
                "probe",
                name,
                &note,
            ) {
                return Some(audit_failed(&e));
            }
            match again {
                Some(q) if q.state == LiveState::Dead => {
                    Some(RevocationOutcome::AlreadyRevoked { detail: note })
                }
                _ => None,
            }
        }
        Some(p) if p.state == LiveState::Live || p.state == LiveState::Disabled => None,
        other if job.in_doubt => {
            // Without a clear answer, repeat only where a repeated call is harmless: generic revokers that map
            // "already revoked" answers.
            let idempotent = ctx
                .section(&job.provider)
                .is_some_and(|s| s.is_http() && !s.already_revoked.is_empty());
            if idempotent {
                None
            } else {
                Some(RevocationOutcome::Refused {
                    reason: format!(
                        "in doubt: an earlier run sent a revocation without recording the answer, and liveness \
                         could not be established ({}); check the key by hand",
                        other
                            .map_or_else(|| "no probe for this provider".to_string(), |p| p.detail)
                    ),
                })
            }
        }
        _ => None,
    }
}

/// One revoke call for a non-batched provider, with its audit records.
async fn revoke_one(ctx: &Ctx, log: &AuditLog, job: &Job) -> RevocationOutcome {
    if let Err(e) = log.intent(
        &job.fingerprint,
        &job.provider,
        job.key_id.as_deref(),
        "revoke",
    ) {
        return audit_failed(&e);
    }
    let secret = job.target.secret.as_deref().unwrap_or("");
    let o = match registry::get(&job.provider).map(|p| p.revoke) {
        Some(Revoker::SelfRevoke(revoke)) => {
            let mut o = revoke(ctx, secret).await;
            o.scrub(secret);
            o
        }
        _ => {
            providers::http::revoke(
                ctx,
                &job.provider,
                job.key_id.as_deref().unwrap_or(""),
                &job.fingerprint,
            )
            .await
        }
    };
    log_revoke_outcome(log, job, &o);
    o
}

/// Tokens of a provider that revokes many in one call (GitHub): precheck each, then one call per `size` live
/// ones.
async fn batch(
    ctx: &Ctx,
    log: &AuditLog,
    jobs: Vec<Job>,
    verify: bool,
    size: usize,
    call: for<'a> fn(&'a Ctx, &'a [&'a str]) -> Call<'a, RevocationOutcome>,
) -> Vec<(usize, RevocationOutcome)> {
    let mut out = Vec::new();
    let mut to_call = Vec::new();
    for job in jobs {
        match precheck(ctx, log, &job, verify).await {
            Some(o) => out.push((job.index, o)),
            None => to_call.push(job),
        }
    }
    for chunk in to_call.chunks(size) {
        let mut intents_ok = Vec::new();
        for job in chunk {
            match log.intent(
                &job.fingerprint,
                &job.provider,
                job.key_id.as_deref(),
                "revoke",
            ) {
                Ok(()) => intents_ok.push(job),
                Err(e) => out.push((job.index, audit_failed(&e))),
            }
        }
        if intents_ok.is_empty() {
            continue;
        }
        let tokens: Vec<&str> = intents_ok
            .iter()
            .map(|j| j.target.secret.as_deref().unwrap_or(""))
            .collect();
        let mut o = call(ctx, &tokens).await;
        for token in &tokens {
            o.scrub(token);
        }
        for job in intents_ok {
            log_revoke_outcome(log, job, &o);
            out.push((job.index, o.clone()));
        }
    }
    out
}

/// Executes the plan's revoke items (and, with `verify`, probes manual ones), setting each item's outcome.
pub fn execute(
    ctx: Arc<Ctx>,
    log: Arc<AuditLog>,
    state: &AuditState,
    items: &mut [PlanItem],
    verify: bool,
) -> anyhow::Result<()> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut manual_probes: Vec<(usize, ProbeTarget)> = Vec::new();
    for (index, item) in items.iter_mut().enumerate() {
        let key = (item.provider.clone(), item.fingerprint.clone());
        let target = ProbeTarget {
            provider: item.provider.clone(),
            secret: item.secret.clone(),
            key_id: item.key_id.clone(),
            issuer_id: item.issuer_id.clone(),
            individual: item.individual,
        };
        match item.action {
            Action::Revoke => {
                if let Some(done) = state.done.get(&key) {
                    item.outcome = Some(RevocationOutcome::AlreadyRevoked {
                        detail: format!(
                            "done in an earlier run (audit log: {done}); not called again"
                        ),
                    });
                    continue;
                }
                jobs.push(Job {
                    index,
                    fingerprint: item.fingerprint.clone(),
                    provider: item.provider.clone(),
                    key_id: item.key_id.clone(),
                    target,
                    in_doubt: state.in_doubt.contains(&key),
                });
            }
            Action::Manual
                if verify && liveness::has_probe(&item.provider) && item.secret.is_some() =>
            {
                manual_probes.push((index, target));
            }
            _ => {}
        }
    }
    let rt = providers::runtime()?;
    let results: Vec<(usize, RevocationOutcome)> = rt.block_on(async {
        let mut set: JoinSet<Vec<(usize, RevocationOutcome)>> = JoinSet::new();
        let mut sems: BTreeMap<String, Arc<Semaphore>> = BTreeMap::new();
        let mut batched: BTreeMap<String, Vec<Job>> = BTreeMap::new();
        let mut rest = Vec::new();
        for job in jobs {
            match registry::get(&job.provider).map(|p| p.revoke) {
                Some(Revoker::Batch { .. }) => {
                    batched.entry(job.provider.clone()).or_default().push(job)
                }
                _ => rest.push(job),
            }
        }
        for (provider, jobs) in batched {
            let Some(Revoker::Batch { size, call }) = registry::get(&provider).map(|p| p.revoke)
            else {
                continue;
            };
            let (ctx, log) = (ctx.clone(), log.clone());
            set.spawn(async move { batch(&ctx, &log, jobs, verify, size, call).await });
        }
        for job in rest {
            let sem = sems
                .entry(job.provider.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(PER_PROVIDER)))
                .clone();
            let (ctx, log) = (ctx.clone(), log.clone());
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                let o = match precheck(&ctx, &log, &job, verify).await {
                    Some(o) => o,
                    None => revoke_one(&ctx, &log, &job).await,
                };
                vec![(job.index, o)]
            });
        }
        for (index, target) in manual_probes {
            let sem = sems
                .entry(target.provider.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(PER_PROVIDER)))
                .clone();
            let (ctx, log) = (ctx.clone(), log.clone());
            let fingerprint = items[index].fingerprint.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                let probe = match probe_audited(&ctx, &log, &fingerprint, &target).await {
                    Ok(p) => p,
                    Err(e) => return vec![(index, audit_failed(&e))],
                };
                match probe {
                    Some(p) if p.state == LiveState::Dead => vec![(
                        index,
                        RevocationOutcome::AlreadyRevoked {
                            detail: format!("probe proves it dead: {}", p.detail),
                        },
                    )],
                    Some(p) => {
                        let mut o = providers::manual_steps(
                            &target.provider,
                            target.key_id.as_deref(),
                            target.individual,
                        );
                        if let RevocationOutcome::ManualRequired { steps, .. } = &mut o {
                            steps.insert(0, format!("Liveness now: {}.", p.detail));
                        }
                        vec![(index, o)]
                    }
                    None => Vec::new(),
                }
            });
        }
        let mut all = Vec::new();
        while let Some(r) = set.join_next().await {
            match r {
                Ok(v) => all.extend(v),
                Err(e) => eprintln!("keysweep: error: a revocation task failed: {e}"),
            }
        }
        all
    });
    for (index, o) in results {
        items[index].outcome = Some(o);
    }
    // A task that died leaves its item without an outcome: that is a failure, not a success.
    for item in items.iter_mut().filter(|i| i.outcome.is_none()) {
        item.outcome = Some(RevocationOutcome::Failed {
            reason: "no outcome recorded (internal error)".into(),
            retryable: true,
        });
    }
    Ok(())
}
