//! Slack: `auth.test` tells whether a token works; `auth.revoke` with the token revokes it
//! (`{"ok":true,"revoked":true}`); `token_revoked` / `invalid_auth` mean it already is.

use reqwest::Method;

use super::Ctx;
use super::{
    LiveState, Probe, RevocationOutcome, excerpt, probe, transport_failure, unexpected, unknown,
};
use crate::net::{Request, join};

/// The provider id.
pub const ID: &str = "slack";

/// Slack errors that mean the token no longer works.
const DEAD_ERRORS: &[&str] = &[
    "token_revoked",
    "invalid_auth",
    "account_inactive",
    "token_expired",
    "not_authed",
];

fn call(ctx: &Ctx, method: &str, token: &str) -> Request {
    Request::new(Method::POST, join(&ctx.base_url(ID), method))
        .bearer(token)
        .header("Content-Type", "application/x-www-form-urlencoded")
}

/// `auth.test`: `ok` live; a dead-token error dead.
pub async fn probe_token(ctx: &Ctx, token: &str) -> Probe {
    match ctx.http.send(&call(ctx, "auth.test", token)).await {
        Ok(r) if r.status == 200 => match r.json() {
            Some(v) if v.get("ok").and_then(|x| x.as_bool()) == Some(true) => {
                let team = v.get("team").and_then(|x| x.as_str()).unwrap_or("?");
                probe(LiveState::Live, format!("auth.test: ok, team {team}"))
            }
            Some(v) => {
                let err = v.get("error").and_then(|x| x.as_str()).unwrap_or("?");
                if DEAD_ERRORS.contains(&err) {
                    probe(LiveState::Dead, format!("auth.test: {err}"))
                } else {
                    unknown(format!("auth.test: {err}"))
                }
            }
            None => unknown(format!("auth.test: malformed answer: {}", excerpt(&r.body))),
        },
        Ok(r) => unknown(format!(
            "auth.test: HTTP {}: {}",
            r.status,
            excerpt(&r.body)
        )),
        Err(e) => unknown(format!("auth.test: {e}")),
    }
}

/// `auth.revoke` with the token.
pub async fn revoke(ctx: &Ctx, token: &str) -> RevocationOutcome {
    let what = "auth.revoke";
    match ctx.http.send(&call(ctx, what, token)).await {
        Ok(r) if r.status == 200 => match r.json() {
            Some(v) if v.get("ok").and_then(|x| x.as_bool()) == Some(true) => {
                if v.get("revoked").and_then(|x| x.as_bool()) == Some(true) {
                    RevocationOutcome::Revoked {
                        detail: format!("{what}: ok, revoked"),
                    }
                } else {
                    RevocationOutcome::Failed {
                        reason: format!("{what}: ok but not revoked: {}", excerpt(&r.body)),
                        retryable: false,
                    }
                }
            }
            Some(v) => {
                let err = v.get("error").and_then(|x| x.as_str()).unwrap_or("?");
                if DEAD_ERRORS.contains(&err) {
                    RevocationOutcome::AlreadyRevoked {
                        detail: format!("{what}: {err}"),
                    }
                } else {
                    RevocationOutcome::Failed {
                        reason: format!("{what}: Slack answered {err}"),
                        retryable: false,
                    }
                }
            }
            None => RevocationOutcome::Failed {
                reason: format!("{what}: malformed answer: {}", excerpt(&r.body)),
                retryable: true,
            },
        },
        Ok(r) => unexpected(what, &r),
        Err(e) => transport_failure(what, &e),
    }
}

/// The manual steps for a token outside the inventory.
pub fn manual(_key_id: Option<&str>, _individual: bool) -> RevocationOutcome {
    super::unlisted_token_steps(
        "call auth.revoke with it, or reinstall the app / regenerate the token in the app's settings",
        "https://api.slack.com/apps",
    )
}
