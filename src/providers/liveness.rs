//! Liveness (`--verify`): asks the provider whether an exposed credential still works, using only the leaked
//! credential itself (token introspection, or a JWT signed with the leaked key). Used by `scan --verify`, by
//! `revoke --verify`, and to settle keys left "in doubt" by an interrupted revocation run.

use std::path::Path;
use std::sync::Arc;

use super::audit::AuditLog;
use super::{Ctx, registry, unknown};
use crate::inventory::Inventory;
use crate::model::{Finding, LiveState, LiveStatus, Liveness, Probe};

/// What a probe needs about one key.
#[derive(Clone, Debug, Default)]
pub struct ProbeTarget {
    /// The provider whose probe runs (the inventory entry's, else the rule's).
    pub provider: String,
    /// The raw secret, when known.
    pub secret: Option<String>,
    /// The provider's key id.
    pub key_id: Option<String>,
    /// App Store Connect Issuer ID.
    pub issuer_id: Option<String>,
    /// App Store Connect individual key (`sub: "user"`).
    pub individual: bool,
}

/// Whether a provider has a probe.
pub fn has_probe(provider: &str) -> bool {
    registry::get(provider).is_some_and(|p| p.probe.is_some())
}

/// Probes one key; `None` when the provider has no probe.
pub async fn probe(ctx: &Ctx, t: &ProbeTarget) -> Option<Probe> {
    let probe = registry::get(&t.provider)?.probe?;
    Some(match t.secret.as_deref() {
        Some(secret) => {
            let mut p = probe(ctx, t, secret).await;
            p.scrub(secret);
            p
        }
        None => unknown("the secret is not available to probe with"),
    })
}

/// A liveness probe, which sends the leaked credential to its provider, bracketed in the audit log like a
/// revocation: an intent before, the answer after (`already_revoked` when the probe proves the key dead, else
/// `live`, `disabled` or `unknown`). `Err` when the log cannot be written: then nothing is sent. A probe that
/// would send nothing ([`registry::probe_sends`]) is answered without a record.
pub async fn probe_audited(
    ctx: &Ctx,
    log: &AuditLog,
    fingerprint: &str,
    target: &ProbeTarget,
) -> Result<Option<crate::model::Probe>, anyhow::Error> {
    let sends = target
        .secret
        .as_deref()
        .is_some_and(|secret| registry::probe_sends(ctx, target, secret));
    if !sends {
        // Nothing leaves the machine (no probe, no secret, or a kind the provider cannot check): nothing to audit.
        return Ok(probe(ctx, target).await);
    }
    let key_id = target.key_id.as_deref();
    log.intent(fingerprint, &target.provider, key_id, "probe")?;
    let probe = probe(ctx, target).await;
    let (name, detail) = match &probe {
        Some(p) => (
            match p.state {
                LiveState::Dead => "already_revoked",
                LiveState::Live => "live",
                LiveState::Disabled => "disabled",
                LiveState::Unknown => "unknown",
            },
            p.detail.clone(),
        ),
        None => ("unknown", "no liveness probe for this provider".to_string()),
    };
    log.outcome(
        fingerprint,
        &target.provider,
        key_id,
        "probe",
        name,
        &detail,
    )?;
    Ok(probe)
}

/// A probe's answer as the finding's `liveness`.
pub fn to_liveness(p: &Probe) -> Liveness {
    Liveness {
        status: match p.state {
            LiveState::Live => LiveStatus::Live,
            LiveState::Dead | LiveState::Disabled => LiveStatus::Dead,
            LiveState::Unknown => LiveStatus::Unknown,
        },
        detail: p.detail.clone(),
    }
}

/// The probe target of a finding: the inventory entry's provider and ids first, then the rule's.
pub fn target_of(f: &Finding, inventory: Option<&Inventory>) -> ProbeTarget {
    let raw = f.secret.reveal();
    let entry = inventory
        .and_then(|i| i.match_finding(f, raw))
        .map(|(e, _)| e);
    ProbeTarget {
        provider: entry.map_or(f.provider.clone(), |e| e.provider.clone()),
        secret: raw.map(str::to_string),
        key_id: entry
            .map(|e| e.key_id.clone())
            .or_else(|| f.key.as_ref().and_then(|k| k.key_id.clone())),
        issuer_id: entry
            .and_then(|e| e.issuer_id.clone())
            .or_else(|| f.key.as_ref().and_then(|k| k.issuer_id.clone())),
        individual: entry.is_some_and(|e| e.is_individual()),
    }
}

/// `scan --verify`: probes every finding whose provider has a probe, a few at a time, and sets `liveness`. Each
/// probe is an intent and an outcome in the audit log at `log_path` (opened only when there is something to
/// probe); a probe whose intent cannot be written is not sent.
pub fn verify_findings(
    ctx: Arc<Ctx>,
    log_path: &Path,
    inventory: Option<&Inventory>,
    findings: &mut [Finding],
) -> anyhow::Result<()> {
    let mut targets: Vec<(usize, String, ProbeTarget)> = Vec::new();
    for (i, f) in findings.iter_mut().enumerate() {
        let t = target_of(f, inventory);
        if has_probe(&t.provider) {
            targets.push((i, f.fingerprint.clone(), t));
        } else {
            f.liveness = Some(Box::new(Liveness {
                status: LiveStatus::Unknown,
                detail: format!("no liveness probe for provider {}", t.provider),
            }));
        }
    }
    if targets.is_empty() {
        return Ok(());
    }
    let (log, _) = AuditLog::open(log_path)?;
    let log = Arc::new(log);
    let rt = super::runtime()?;
    let answers = rt.block_on(async {
        let sem = Arc::new(tokio::sync::Semaphore::new(4));
        let mut set = tokio::task::JoinSet::new();
        for (i, fingerprint, t) in targets {
            let ctx = ctx.clone();
            let log = log.clone();
            let sem = sem.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                (i, probe_audited(&ctx, &log, &fingerprint, &t).await)
            });
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            if let Ok(a) = r {
                out.push(a);
            }
        }
        out
    });
    let mut unaudited = None;
    for (i, answer) in answers {
        match answer {
            Ok(Some(p)) => findings[i].liveness = Some(Box::new(to_liveness(&p))),
            Ok(None) => {}
            Err(e) => unaudited = Some(e),
        }
    }
    match unaudited {
        Some(e) => Err(e.context("a probe could not be recorded in the audit log")),
        None => Ok(()),
    }
}
