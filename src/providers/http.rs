//! The generic HTTP revoker for the organisation's own key services, configured as `[providers.<id>]` with
//! `kind = "http"` in `.keysweep.toml`: method, URL template (`{key_id}`, `{fingerprint}`), headers whose `${VAR}`
//! values come from the environment only, an optional body template, and which statuses mean revoked or already
//! revoked. It acts with the organisation's credentials on an inventory key id, never with the leaked secret.

use reqwest::Method;

use super::Ctx;
use super::{RevocationOutcome, excerpt, transport_failure, unexpected};
use crate::config::ProviderSection;
use crate::net::{Request, join};

/// Expands `${VAR}` from the environment; returns the names used, or the first missing one as the error.
pub fn expand_env(template: &str) -> Result<(String, Vec<String>), String> {
    let mut out = String::new();
    let mut used = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("unterminated ${{ in {template:?}"));
        };
        let name = &after[..end];
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => out.push_str(&v),
            _ => return Err(name.to_string()),
        }
        used.push(name.to_string());
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, used))
}

/// Expands `{key_id}` and `{fingerprint}`.
pub fn expand_key(template: &str, key_id: &str, fingerprint: &str, url: bool) -> String {
    let k = if url {
        crate::net::percent_encode(key_id)
    } else {
        key_id.to_string()
    };
    template
        .replace("{key_id}", &k)
        .replace("{fingerprint}", fingerprint)
}

/// Checks a `kind = "http"` section for what a revoke needs.
pub fn check_section(id: &str, s: &ProviderSection) -> Result<(), String> {
    if s.url.as_deref().is_none_or(str::is_empty) {
        return Err(format!("[providers.{id}] kind = \"http\" needs url"));
    }
    if s.revoked.is_empty() {
        return Err(format!(
            "[providers.{id}] kind = \"http\" needs revoked = [statuses]"
        ));
    }
    if let Some(m) = &s.method
        && Method::from_bytes(m.to_ascii_uppercase().as_bytes()).is_err()
    {
        return Err(format!(
            "[providers.{id}] method {m:?} is not an HTTP method"
        ));
    }
    Ok(())
}

/// Calls the configured revoker for one inventory key.
pub async fn revoke(ctx: &Ctx, id: &str, key_id: &str, fingerprint: &str) -> RevocationOutcome {
    let Some(s) = ctx.section(id) else {
        return RevocationOutcome::Failed {
            reason: format!("no [providers.{id}] in the configuration"),
            retryable: false,
        };
    };
    if let Err(reason) = check_section(id, s) {
        return RevocationOutcome::Failed {
            reason,
            retryable: false,
        };
    }
    let template = s.url.clone().unwrap_or_default();
    let url_t = if template.starts_with('/') {
        join(&ctx.base_url(id), &template)
    } else {
        template
    };
    let url = expand_key(&url_t, key_id, fingerprint, true);
    let method = Method::from_bytes(
        s.method
            .as_deref()
            .unwrap_or("DELETE")
            .to_ascii_uppercase()
            .as_bytes(),
    )
    .unwrap_or(Method::DELETE);
    let what = format!("{method} {url}");
    let mut req = Request::new(method, url.clone());
    let mut envs: Vec<String> = Vec::new();
    for (name, value) in &s.headers {
        match expand_env(value) {
            Ok((v, used)) => {
                envs.extend(used);
                req = req.header(name, v);
            }
            Err(missing) => {
                return RevocationOutcome::Failed {
                    reason: format!(
                        "[providers.{id}] header {name} needs the environment variable {missing}, which is not set"
                    ),
                    retryable: false,
                };
            }
        }
    }
    if let Some(body) = s.body.as_deref().filter(|b| !b.is_empty()) {
        req.body = Some(expand_key(body, key_id, fingerprint, false));
        if !s
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"))
        {
            req = req.header("Content-Type", "application/json");
        }
    }
    match ctx.http.send(&req).await {
        Ok(r) if s.revoked.contains(&r.status) => RevocationOutcome::Revoked {
            detail: format!("{what}: {}", r.status),
        },
        Ok(r) if s.already_revoked.contains(&r.status) => RevocationOutcome::AlreadyRevoked {
            detail: format!("{what}: {}", r.status),
        },
        Ok(r) if r.status == 401 || r.status == 403 => RevocationOutcome::Failed {
            reason: format!(
                "{what}: HTTP {} — the service rejected our credentials; fix {}: {}",
                r.status,
                if envs.is_empty() {
                    format!("the headers of [providers.{id}] (no ${{ENV_VAR}} is used)")
                } else {
                    format!("the environment variable {}", envs.join(", "))
                },
                excerpt(&r.body)
            ),
            retryable: false,
        },
        Ok(r) => unexpected(&what, &r),
        Err(e) => transport_failure(&what, &e),
    }
}
