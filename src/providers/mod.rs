//! Providers: what each one really offers (DESIGN.md, revocation contract point 9) — a liveness probe, a revoke
//! action, the credentials it needs, and the manual steps when there is no public endpoint. One file per
//! provider plus the generic `http` revoker configured in `.keysweep.toml`. Reviewed Rust code, never templates
//! from rule files. Every call goes through the one HTTP client of [`crate::net`]; liveness probes
//! ([`liveness`]) serve both `scan --verify` and revocation.

pub mod app_store_connect;
pub mod apple;
pub mod audit;
pub mod github;
pub mod gitlab;
pub mod http;
pub mod liveness;
pub mod npm;
pub mod private_key;
pub mod probes;
pub mod registry;
pub mod slack;
pub mod userplane;

use std::collections::BTreeMap;

use anyhow::{Context, Result};

use crate::config::{FileConfig, ProviderSection};
use std::sync::{Arc, OnceLock};

use crate::model::{BlobId, LiveState, Probe, RevocationOutcome, redact};
use crate::net::{HttpClient, HttpError, Response};
use crate::rules::RuleSet;
use crate::scan::Scanner;

/// What every provider call needs: the HTTP client and the `[providers.*]` configuration.
#[derive(Debug)]
pub struct Ctx {
    /// The shared client (retries, loopback guard).
    pub http: HttpClient,
    /// `[providers.<id>]` sections.
    pub providers: BTreeMap<String, ProviderSection>,
}

impl Ctx {
    /// A context from the configuration and the environment.
    pub fn new(file: &FileConfig) -> Result<Ctx> {
        Ok(Ctx {
            http: HttpClient::from_env()?,
            providers: file.providers.clone(),
        })
    }

    /// A provider's configuration section.
    pub fn section(&self, id: &str) -> Option<&ProviderSection> {
        self.providers.get(id)
    }

    /// A provider's base URL (see [`base_url`]).
    pub fn base_url(&self, id: &str) -> String {
        resolve_base_url(&self.providers, id)
    }
}

/// The small runtime provider calls (probes and revocations) run on.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime for provider calls")
}

/// A provider's base URL under a configuration: `KEYSWEEP_<ID>_URL`, else `[providers.<id>] base_url`, else the
/// built-in default (empty when there is none).
pub fn base_url(file: &FileConfig, id: &str) -> String {
    resolve_base_url(&file.providers, id)
}

fn resolve_base_url(sections: &BTreeMap<String, ProviderSection>, id: &str) -> String {
    if let Ok(v) = std::env::var(url_env(id))
        && !v.is_empty()
    {
        return v;
    }
    sections
        .get(id)
        .and_then(|s| s.base_url.clone())
        .or_else(|| default_base(id).map(str::to_string))
        .unwrap_or_default()
}

/// The default API base URL of a built-in provider.
pub fn default_base(id: &str) -> Option<&'static str> {
    registry::get(id).map(|p| p.default_base)
}

/// The environment variable that overrides a provider's base URL: `KEYSWEEP_<ID>_URL`.
pub fn url_env(id: &str) -> String {
    format!("KEYSWEEP_{}_URL", id.to_ascii_uppercase().replace('-', "_"))
}

/// A short, single-line excerpt of a provider's body for messages, with every secret the built-in rules find in
/// it masked: a reply that echoes the request must not carry the token into outcomes or the audit log.
pub fn excerpt(body: &str) -> String {
    let one: String = mask_secrets(body)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one.chars().count() > 160 {
        format!("{}…", one.chars().take(160).collect::<String>())
    } else {
        one
    }
}

/// `text` with every secret the built-in rules find in it replaced by its redacted form.
pub fn mask_secrets(text: &str) -> String {
    static SCANNER: OnceLock<Option<Scanner>> = OnceLock::new();
    let scanner = SCANNER.get_or_init(|| {
        RuleSet::builtin()
            .ok()
            .and_then(|rules| Scanner::new(Arc::new(rules)).ok())
    });
    let Some(scanner) = scanner else {
        return text.to_string();
    };
    let bytes = text.as_bytes();
    let mut spans: Vec<std::ops::Range<usize>> = scanner
        .scan(BlobId::of_bytes(bytes), bytes)
        .into_iter()
        .filter(|m| m.encoding.is_none() && m.member.is_none())
        .map(|m| m.secret_span)
        .collect();
    spans.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in spans {
        if s.start < at || !text.is_char_boundary(s.start) || !text.is_char_boundary(s.end) {
            continue;
        }
        out.push_str(&text[at..s.start]);
        out.push_str(&redact(&text[s.clone()]));
        at = s.end;
    }
    out.push_str(&text[at..]);
    out
}

/// A transport error or guard refusal as an outcome.
pub fn transport_failure(what: &str, e: &HttpError) -> RevocationOutcome {
    RevocationOutcome::Failed {
        reason: format!("{what}: {e}"),
        retryable: matches!(e, HttpError::Transport { .. }),
    }
}

/// An answer the provider's documentation does not list.
pub fn unexpected(what: &str, r: &Response) -> RevocationOutcome {
    RevocationOutcome::Failed {
        reason: format!(
            "{what}: unexpected HTTP {}{}: {}",
            r.status,
            if r.retryable() {
                " (retries exhausted)"
            } else {
                ""
            },
            excerpt(&r.body)
        ),
        retryable: r.retryable(),
    }
}

/// A probe that could not tell.
pub fn unknown(detail: impl Into<String>) -> Probe {
    Probe {
        state: LiveState::Unknown,
        detail: detail.into(),
    }
}

/// Shorthand for a probe answer.
pub fn probe(state: LiveState, detail: impl Into<String>) -> Probe {
    Probe {
        state,
        detail: detail.into(),
    }
}

/// Manual steps for a key keysweep does not revoke by API: the provider's own, else how to configure a revoker.
pub fn manual_steps(provider: &str, key_id: Option<&str>, individual: bool) -> RevocationOutcome {
    match registry::get(provider) {
        Some(p) => (p.manual)(key_id, individual),
        None => RevocationOutcome::ManualRequired {
            steps: vec![format!(
                "keysweep has no revoker for provider {provider:?}: revoke the key in the provider's console, or \
                 configure a generic revoker as [providers.{provider}] kind = \"http\" in .keysweep.toml."
            )],
            url: None,
        },
    }
}

/// The manual steps for a token that could revoke itself but is not in the inventory.
pub fn unlisted_token_steps(what: &str, url: &str) -> RevocationOutcome {
    RevocationOutcome::ManualRequired {
        steps: vec![format!(
            "Not in the inventory: run `keysweep revoke --include-unlisted` to {what}."
        )],
        url: Some(url.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_mask_tokens_a_reply_echoes() {
        let token = crate::rules::generate::generate("github-ghp", "echo").expect("generator");
        let body = format!("{{\"message\": \"bad request\", \"sent\": \"{token}\"}}");
        let shown = excerpt(&body);
        assert!(!shown.contains(&token), "{shown}");
        assert!(shown.contains("(redacted)"), "{shown}");
        assert_eq!(excerpt("plain   words\nhere"), "plain words here");
    }
}
