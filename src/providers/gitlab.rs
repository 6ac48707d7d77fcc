//! GitLab: a personal, project or group access token inspects (`GET /api/v4/personal_access_tokens/self`) and
//! revokes (`DELETE` of the same path, 204) itself; no other credential is needed.

use reqwest::Method;

use super::Ctx;
use super::{
    LiveState, Probe, RevocationOutcome, excerpt, probe, transport_failure, unexpected, unknown,
};
use crate::net::{Request, join};

/// The provider id.
pub const ID: &str = "gitlab";

const SELF: &str = "/api/v4/personal_access_tokens/self";

fn request(ctx: &Ctx, method: Method, token: &str) -> Request {
    Request::new(method, join(&ctx.base_url(ID), SELF)).header("PRIVATE-TOKEN", token)
}

/// `GET …/self`: 200 live unless it says revoked or inactive; 401 dead.
pub async fn probe_token(ctx: &Ctx, token: &str) -> Probe {
    match ctx.http.send(&request(ctx, Method::GET, token)).await {
        Ok(r) if r.status == 200 => match r.json() {
            Some(v) => {
                let revoked = v.get("revoked").and_then(|x| x.as_bool()) == Some(true);
                let inactive = v.get("active").and_then(|x| x.as_bool()) == Some(false);
                let name = v
                    .get("name")
                    .and_then(|x| x.as_str())
                    .unwrap_or("?")
                    .to_string();
                if revoked || inactive {
                    probe(
                        LiveState::Dead,
                        format!("GET {SELF}: token {name:?} is revoked or inactive"),
                    )
                } else {
                    probe(
                        LiveState::Live,
                        format!("GET {SELF}: 200, token {name:?} active"),
                    )
                }
            }
            None => unknown(format!(
                "GET {SELF}: 200 with a malformed body: {}",
                excerpt(&r.body)
            )),
        },
        Ok(r) if r.status == 401 => probe(
            LiveState::Dead,
            format!("GET {SELF}: 401 (revoked, expired or unknown)"),
        ),
        Ok(r) => unknown(format!(
            "GET {SELF}: HTTP {}: {}",
            r.status,
            excerpt(&r.body)
        )),
        Err(e) => unknown(format!("GET {SELF}: {e}")),
    }
}

/// `DELETE …/self` with the token: 204 revoked; 401/404 already revoked.
pub async fn revoke(ctx: &Ctx, token: &str) -> RevocationOutcome {
    let what = format!("DELETE {SELF}");
    match ctx.http.send(&request(ctx, Method::DELETE, token)).await {
        Ok(r) if r.status == 204 || r.status == 200 => RevocationOutcome::Revoked {
            detail: format!("{what}: {}", r.status),
        },
        Ok(r) if r.status == 401 || r.status == 404 => RevocationOutcome::AlreadyRevoked {
            detail: format!("{what}: {} — GitLab no longer accepts the token", r.status),
        },
        Ok(r) if r.status == 403 => RevocationOutcome::Failed {
            reason: format!(
                "{what}: 403 — the token may not revoke itself (scope); revoke it under Preferences → Access tokens: {}",
                excerpt(&r.body)
            ),
            retryable: false,
        },
        Ok(r) => unexpected(&what, &r),
        Err(e) => transport_failure(&what, &e),
    }
}

/// The manual steps for a token outside the inventory.
pub fn manual(_key_id: Option<&str>, _individual: bool) -> RevocationOutcome {
    super::unlisted_token_steps(
        "let the token revoke itself, or revoke it under Preferences → Access tokens",
        "https://gitlab.com/-/user_settings/personal_access_tokens",
    )
}
