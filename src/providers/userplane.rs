//! Userplane (`uspl_…` API keys): liveness with `GET /public/me` (200 live; 401 `API_KEY_INVALID` or
//! `API_KEY_EXPIRED` dead; 403 `API_KEY_DISABLED` disabled; 429 `RATE_LIMITED` retried). There is no public revoke
//! endpoint, so revocation is `ManualRequired` with the steps in Account Settings.

use reqwest::Method;

use super::Ctx;
use super::{LiveState, Probe, RevocationOutcome, excerpt, probe, unknown};
use crate::net::{Request, join};

/// The provider id.
pub const ID: &str = "userplane";

/// The Developers tab of the account settings.
pub const KEYS_URL: &str = "https://dash.userplane.io/_/account?tab=developers";

/// The error code in a Userplane answer (`code`, `error.code` or `error`), else the body itself.
fn code(body: &str) -> String {
    let v: Option<serde_json::Value> = serde_json::from_str(body).ok();
    v.and_then(|v| {
        v.get("code")
            .or_else(|| v.get("error").and_then(|e| e.get("code")))
            .or_else(|| v.get("error"))
            .and_then(|c| c.as_str())
            .map(str::to_string)
    })
    .unwrap_or_else(|| body.to_string())
}

/// `GET /public/me` with the key.
pub async fn probe_token(ctx: &Ctx, token: &str) -> Probe {
    let what = "GET /public/me";
    let req = Request::new(Method::GET, join(&ctx.base_url(ID), "/public/me")).bearer(token);
    match ctx.http.send(&req).await {
        Ok(r) => {
            let c = code(&r.body);
            match r.status {
                200 => probe(LiveState::Live, format!("{what}: 200 (key works)")),
                401 if c.contains("API_KEY_EXPIRED") => probe(
                    LiveState::Dead,
                    format!("{what}: 401 API_KEY_EXPIRED (expired)"),
                ),
                401 if c.contains("API_KEY_INVALID") => probe(
                    LiveState::Dead,
                    format!("{what}: 401 API_KEY_INVALID (revoked or unknown)"),
                ),
                401 => probe(LiveState::Dead, format!("{what}: 401 {}", excerpt(&c))),
                403 if c.contains("API_KEY_DISABLED") => probe(
                    LiveState::Disabled,
                    format!(
                        "{what}: 403 API_KEY_DISABLED (disabled, can be re-enabled: revoke it)"
                    ),
                ),
                s => unknown(format!("{what}: HTTP {s}: {}", excerpt(&r.body))),
            }
        }
        Err(e) => unknown(format!("{what}: {e}")),
    }
}

/// The manual steps (no public revoke endpoint).
pub fn manual(key_id: Option<&str>) -> RevocationOutcome {
    let key = key_id.unwrap_or("the key");
    RevocationOutcome::ManualRequired {
        steps: vec![
            "Sign in to Userplane as the key's owner (keys belong to the user who created them).".into(),
            "Account Settings → Developers.".into(),
            format!("Open the ⋯ menu of {key} → Revoke Key, and type REVOKE to confirm."),
            "Revocation deletes the key permanently. After it, run `keysweep revoke --verify-only` to prove the key \
             is dead (its 401 API_KEY_INVALID)."
                .into(),
        ],
        url: Some(KEYS_URL.into()),
    }
}
