//! npm: `GET /-/whoami` tells whether a token works; the token deletes itself with
//! `DELETE /-/npm/v1/tokens/token/{key}` (the registry accepts the full token as the key, as `npm token revoke`
//! does), authenticated with the token.

use reqwest::Method;

use super::Ctx;
use super::{
    LiveState, Probe, RevocationOutcome, excerpt, probe, transport_failure, unexpected, unknown,
};
use crate::net::{Request, join, percent_encode};

/// The provider id.
pub const ID: &str = "npm";

/// `GET /-/whoami`: 200 live, 401 dead.
pub async fn probe_token(ctx: &Ctx, token: &str) -> Probe {
    let req = Request::new(Method::GET, join(&ctx.base_url(ID), "/-/whoami")).bearer(token);
    match ctx.http.send(&req).await {
        Ok(r) if r.status == 200 => {
            let user = r
                .json()
                .and_then(|v| {
                    v.get("username")
                        .and_then(|u| u.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "?".into());
            probe(LiveState::Live, format!("GET /-/whoami: 200, user {user}"))
        }
        Ok(r) if r.status == 401 => {
            probe(LiveState::Dead, "GET /-/whoami: 401 (revoked or unknown)")
        }
        Ok(r) => unknown(format!(
            "GET /-/whoami: HTTP {}: {}",
            r.status,
            excerpt(&r.body)
        )),
        Err(e) => unknown(format!("GET /-/whoami: {e}")),
    }
}

/// Deletes the token with itself: 200/204 revoked; 401/404 already revoked.
pub async fn revoke(ctx: &Ctx, token: &str) -> RevocationOutcome {
    let what = "DELETE /-/npm/v1/tokens/token/…";
    let url = join(
        &ctx.base_url(ID),
        &format!("/-/npm/v1/tokens/token/{}", percent_encode(token)),
    );
    match ctx
        .http
        .send(&Request::new(Method::DELETE, url).bearer(token))
        .await
    {
        Ok(r) if r.status == 200 || r.status == 204 => RevocationOutcome::Revoked {
            detail: format!("{what}: {}", r.status),
        },
        Ok(r) if r.status == 401 || r.status == 404 => RevocationOutcome::AlreadyRevoked {
            detail: format!(
                "{what}: {} — the registry no longer knows the token",
                r.status
            ),
        },
        Ok(r) => unexpected(what, &r),
        Err(e) => transport_failure(what, &e),
    }
}

/// The manual steps for a token outside the inventory.
pub fn manual(_key_id: Option<&str>, _individual: bool) -> RevocationOutcome {
    super::unlisted_token_steps(
        "delete it, or run `npm token revoke <id>` / delete it under Access Tokens on npmjs.com",
        "https://www.npmjs.com/settings/~/tokens",
    )
}
