//! Liveness (`--verify`): asks the provider whether an exposed credential still works, using only the leaked
//! credential itself (token introspection, or a JWT signed with the leaked key). Used by `scan --verify`, by
//! `revoke --verify`, and to settle keys left "in doubt" by an interrupted revocation run.

use std::sync::Arc;

use super::{Ctx, app_store_connect, github, gitlab, npm, slack, unknown, userplane};
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
    super::PROBED.contains(&provider)
}

/// Probes one key; `None` when the provider has no probe.
pub async fn probe(ctx: &Ctx, t: &ProbeTarget) -> Option<Probe> {
    if !has_probe(&t.provider) {
        return None;
    }
    let Some(secret) = t.secret.as_deref() else {
        return Some(unknown("the secret is not available to probe with"));
    };
    Some(match t.provider.as_str() {
        "github" => github::probe_token(ctx, secret).await,
        "gitlab" => gitlab::probe_token(ctx, secret).await,
        "slack" => slack::probe_token(ctx, secret).await,
        "npm" => npm::probe_token(ctx, secret).await,
        "userplane" => userplane::probe_token(ctx, secret).await,
        "app-store-connect" => match crate::keys::p256_pkcs8_der(secret.as_bytes()) {
            Some(der) => {
                app_store_connect::probe_key(
                    ctx,
                    &der,
                    t.key_id.as_deref(),
                    t.issuer_id.as_deref(),
                    t.individual,
                )
                .await
            }
            None => unknown("not an EC P-256 private key keysweep can decode"),
        },
        _ => return None,
    })
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

/// `scan --verify`: probes every finding whose provider has a probe, a few at a time, and sets `liveness`.
pub fn verify_findings(
    ctx: Arc<Ctx>,
    inventory: Option<&Inventory>,
    findings: &mut [Finding],
) -> anyhow::Result<()> {
    let mut targets: Vec<(usize, ProbeTarget)> = Vec::new();
    for (i, f) in findings.iter_mut().enumerate() {
        let t = target_of(f, inventory);
        if has_probe(&t.provider) {
            targets.push((i, t));
        } else {
            f.liveness = Some(Liveness {
                status: LiveStatus::Unknown,
                detail: format!("no liveness probe for provider {}", t.provider),
            });
        }
    }
    if targets.is_empty() {
        return Ok(());
    }
    let rt = super::runtime()?;
    let answers = rt.block_on(async {
        let sem = Arc::new(tokio::sync::Semaphore::new(4));
        let mut set = tokio::task::JoinSet::new();
        for (i, t) in targets {
            let ctx = ctx.clone();
            let sem = sem.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                (i, probe(&ctx, &t).await)
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
    for (i, p) in answers {
        if let Some(p) = p {
            findings[i].liveness = Some(to_liveness(&p));
        }
    }
    Ok(())
}
