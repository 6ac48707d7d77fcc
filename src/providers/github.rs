//! GitHub: liveness with `GET /user`; revocation through the public credential-revocation API
//! (`POST /credentials/revoke`, `{"credentials":[…]}`, up to 1000 per request, 202 accepted, unauthenticated at
//! 60 requests per hour — or authenticated with the token named by `[providers.github] token_env`).

use reqwest::Method;

use super::Ctx;
use super::{
    LiveState, Probe, RevocationOutcome, excerpt, probe, transport_failure, unexpected, unknown,
};
use crate::net::{Request, join};

/// The provider id.
pub const ID: &str = "github";

/// Most credentials one revocation request may carry.
pub const BATCH: usize = 1000;

fn request(ctx: &Ctx, method: Method, path: &str) -> Request {
    Request::new(method, join(&ctx.base_url(ID), path))
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
}

/// `GET /user` with the token: 200 live, 401 dead.
pub async fn probe_token(ctx: &Ctx, token: &str) -> Probe {
    let req = request(ctx, Method::GET, "/user").bearer(token);
    match ctx.http.send(&req).await {
        Ok(r) if r.status == 200 => {
            let login = r
                .json()
                .and_then(|v| v.get("login").and_then(|l| l.as_str()).map(str::to_string))
                .unwrap_or_else(|| "?".into());
            probe(LiveState::Live, format!("GET /user: 200, user {login}"))
        }
        Ok(r) if r.status == 401 => probe(
            LiveState::Dead,
            "GET /user: 401 bad credentials (revoked, expired or unknown)",
        ),
        Ok(r) => unknown(format!(
            "GET /user: HTTP {}: {}",
            r.status,
            excerpt(&r.body)
        )),
        Err(e) => unknown(format!("GET /user: {e}")),
    }
}

/// Revokes up to [`BATCH`] tokens in one request; one outcome for the whole batch.
pub async fn revoke_batch(ctx: &Ctx, tokens: &[&str]) -> RevocationOutcome {
    let what = "POST /credentials/revoke";
    let mut req = request(ctx, Method::POST, "/credentials/revoke")
        .json(&serde_json::json!({ "credentials": tokens }));
    let token_env = ctx.section(ID).and_then(|s| s.token_env.clone());
    if let Some(env) = &token_env {
        match std::env::var(env) {
            Ok(t) if !t.is_empty() => req = req.bearer(&t),
            _ => {
                return RevocationOutcome::Failed {
                    reason: format!("[providers.github] token_env names {env}, which is not set"),
                    retryable: false,
                };
            }
        }
    }
    match ctx.http.send(&req).await {
        Ok(r) if r.status == 202 || r.status == 200 => RevocationOutcome::Revoked {
            detail: format!(
                "{what}: {} accepted; GitHub revokes asynchronously and notifies the owner",
                r.status
            ),
        },
        Ok(r) if r.status == 401 || r.status == 403 => RevocationOutcome::Failed {
            reason: match &token_env {
                Some(env) => format!(
                    "{what}: HTTP {} — GitHub rejected our credentials; fix the token in {env}: {}",
                    r.status,
                    excerpt(&r.body)
                ),
                None => format!(
                    "{what}: HTTP {} — GitHub refused the unauthenticated request (60/hour); set \
                     [providers.github] token_env to an environment variable holding a token: {}",
                    r.status,
                    excerpt(&r.body)
                ),
            },
            retryable: false,
        },
        Ok(r) if r.status == 422 => RevocationOutcome::Failed {
            reason: format!(
                "{what}: 422 GitHub did not accept the request: {}",
                excerpt(&r.body)
            ),
            retryable: false,
        },
        Ok(r) => unexpected(what, &r),
        Err(e) => transport_failure(what, &e),
    }
}

/// The manual steps for a token outside the inventory.
pub fn manual(_key_id: Option<&str>, _individual: bool) -> RevocationOutcome {
    super::unlisted_token_steps(
        "revoke it through GitHub's credential revocation API, or delete it under Settings → Developer settings → \
         Personal access tokens",
        "https://github.com/settings/tokens",
    )
}
