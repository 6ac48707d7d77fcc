//! What revocation and liveness probing produce: a [`RevocationOutcome`] per key, and a [`Probe`]'s answer.

use serde::Serialize;

use super::secret::redact;

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
    /// Replaces every occurrence of `secret` in the outcome's text (a provider's reply may echo it) by its
    /// redacted form.
    pub fn scrub(&mut self, secret: &str) {
        let fix = |s: &mut String| scrub(s, secret);
        match self {
            RevocationOutcome::DryRun => {}
            RevocationOutcome::Revoked { detail }
            | RevocationOutcome::AlreadyRevoked { detail } => fix(detail),
            RevocationOutcome::ManualRequired { steps, url } => {
                steps.iter_mut().for_each(fix);
                url.iter_mut().for_each(fix);
            }
            RevocationOutcome::Refused { reason } | RevocationOutcome::Failed { reason, .. } => {
                fix(reason)
            }
        }
    }

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

impl Probe {
    /// Replaces every occurrence of `secret` in the probe's detail by its redacted form.
    pub fn scrub(&mut self, secret: &str) {
        scrub(&mut self.detail, secret);
    }
}

/// Replaces `secret` (when it is long enough to be one) in `text` by its redacted form.
fn scrub(text: &mut String, secret: &str) {
    if secret.len() >= 8 && text.contains(secret) {
        *text = text.replace(secret, &redact(secret));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_replies_that_echo_the_token_are_scrubbed() {
        let token = "glpat-FAKEFAKEFAKEFAKE0000";
        let mut o = RevocationOutcome::Failed {
            reason: format!("HTTP 400: {{\"token\": \"{token}\"}}"),
            retryable: false,
        };
        o.scrub(token);
        assert!(!o.detail().contains("FAKEFAKEFAKE"), "{}", o.detail());
        let mut p = Probe {
            state: LiveState::Unknown,
            detail: format!("echo {token}"),
        };
        p.scrub(token);
        assert!(!p.detail.contains("FAKEFAKEFAKE"), "{}", p.detail);
    }
}
