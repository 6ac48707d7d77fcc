//! What revocation and liveness probing produce: a [`RevocationOutcome`] per key, and a [`Probe`]'s answer.

use serde::Serialize;

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
