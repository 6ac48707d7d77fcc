//! Read-only liveness probes for providers whose leaked token proves itself with one documented request: an
//! identity or introspection call (`whoami`, `users/me`, `tokens/verify`, a model list), never a write. Each
//! provider is data in [`catalogue`] — the request (method, path, where the token goes, fixed headers or a fixed
//! read-only GraphQL query) and what the answer means — and one runner here sends it with a short timeout, reads
//! at most [`crate::net::MAX_BODY`] of the untrusted reply, and maps it to live, dead or "not proven". No detail
//! ever carries the token, the URL it was sent to, or more of the reply than a masked excerpt. `docs/verify.md`
//! documents every request; a test keeps the two in step.

pub mod catalogue;
#[cfg(test)]
mod tests;

use std::time::Duration;

use base64::Engine as _;
use reqwest::Method;

use super::liveness::ProbeTarget;
use super::registry::Call;
use super::{Ctx, LiveState, Probe, RevocationOutcome, excerpt, probe as answer, unknown};
use crate::net::{HttpError, Request, Response, join};

/// The longest one probe attempt waits for an answer (shorter still when `KEYSWEEP_HTTP_TIMEOUT_MS` says so).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the leaked credential goes in the request.
#[derive(Clone, Copy)]
pub enum Auth {
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// `Authorization: <scheme> <secret>` (`Bot`, `token`), or the bare secret when the scheme is empty.
    Scheme(&'static str),
    /// `<header>: <secret>`.
    Header(&'static str),
    /// HTTP Basic with this fixed user name and the secret as the password.
    BasicPassword(&'static str),
    /// HTTP Basic with the finding's key id (Twilio's Account SID) as the user and the secret as the password.
    BasicKeyId,
    /// A query parameter of this name (Mapbox's `access_token`).
    Query(&'static str),
    /// Part of the path, where it says `{secret}`: what the function extracts from the secret, `None` when the
    /// secret does not have the expected shape (nothing is sent then).
    Path(fn(&str) -> Option<&str>),
}

/// The method of a probe: a read, or the provider's documented read-only RPC or GraphQL query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// `GET`.
    Get,
    /// `POST` of a fixed read-only body.
    Post,
}

impl Verb {
    /// The HTTP method.
    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
        }
    }
}

impl std::fmt::Display for Verb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
        })
    }
}

/// What a reply's body says, where the status alone does not tell.
pub type Reader = fn(&Response) -> Option<(LiveState, &'static str)>;

/// One documented request for one kind of a provider's credentials.
pub struct Spec {
    /// The kind of credential, in words ("bot token").
    pub kind: &'static str,
    /// Whether a secret is of this kind (by its shape).
    pub applies: fn(&str) -> bool,
    /// The method (a read: GET, or the provider's documented read-only RPC/GraphQL POST).
    pub method: Verb,
    /// Path and query appended to the base URL; `{secret}` (with [`Auth::Path`]) and `{key_id}` are filled in.
    pub path: &'static str,
    /// Where the credential goes.
    pub auth: Auth,
    /// Fixed extra headers (API version pins, media types).
    pub headers: &'static [(&'static str, &'static str)],
    /// A fixed body (a read-only GraphQL query, Dropbox's `null` argument).
    pub body: Option<&'static str>,
    /// Statuses that prove the credential works.
    pub live: &'static [u16],
    /// Statuses that prove it does not.
    pub dead: &'static [u16],
    /// Words for a status, added to the detail ("not proven: …" for the ambiguous ones).
    pub notes: &'static [(u16, &'static str)],
    /// Reads the body first; `None` leaves the answer to the status lists.
    pub read: Option<Reader>,
    /// The provider's documentation of this request.
    pub docs: &'static str,
}

/// What keysweep probes of one provider: its requests, and the regions a key may belong to.
pub struct Entry {
    /// The provider id (a registry record with rules).
    pub id: &'static str,
    /// Other API bases tried, when the base URL is the default one, before a key is called dead: providers
    /// whose keys belong to one region (Datadog sites, New Relic's EU region).
    pub also: &'static [&'static str],
    /// The requests, the first whose `applies` accepts the secret is sent.
    pub specs: &'static [Spec],
    /// Which of the provider's credentials have no probe, and why.
    pub unprobed: &'static str,
    /// Where a person revokes or rolls the key.
    pub console: &'static str,
}

/// The probe of every provider in the [`catalogue`] (the registry's `probe` for them): by the target's provider.
pub fn probe<'a>(ctx: &'a Ctx, t: &'a ProbeTarget, secret: &'a str) -> Call<'a, Probe> {
    Box::pin(run(ctx, t, secret))
}

/// The manual steps for a provider of the catalogue: its console, or a configured `http` revoker.
pub fn manual(id: &str) -> RevocationOutcome {
    let name = super::registry::get(id).map_or(id, |p| p.name);
    let console = catalogue::get(id).map(|e| e.console);
    RevocationOutcome::ManualRequired {
        steps: vec![
            format!(
                "Revoke or roll the key in {name}'s console{}, then replace it where it is used.",
                console.map(|c| format!(" ({c})")).unwrap_or_default()
            ),
            format!(
                "To revoke such keys from keysweep, configure a generic revoker as [providers.{id}] kind = \"http\" \
                 in .keysweep.toml."
            ),
        ],
        url: console.map(str::to_string),
    }
}

/// The catalogue entry of the target's provider, and the request of it that applies to this secret.
fn entry_and_spec(
    t: &ProbeTarget,
    secret: &str,
) -> Option<(&'static Entry, Option<&'static Spec>)> {
    let entry = catalogue::get(&t.provider)?;
    Some((entry, entry.specs.iter().find(|s| (s.applies)(secret))))
}

/// Probes one secret with its provider's request.
pub async fn run(ctx: &Ctx, t: &ProbeTarget, secret: &str) -> Probe {
    let Some((entry, spec)) = entry_and_spec(t, secret) else {
        return unknown(format!("no liveness probe for provider {}", t.provider));
    };
    let Some(spec) = spec else {
        return unknown(format!("not proven: {}", entry.unprobed));
    };
    let base = ctx.base_url(entry.id);
    let mut bases = vec![base.clone()];
    if super::default_base(entry.id) == Some(base.as_str()) {
        bases.extend(entry.also.iter().map(|b| b.to_string()));
    }
    run_on(ctx, spec, &bases, t, secret).await
}

/// Whether [`run`] sends a request for this secret: its provider is in the catalogue, one of its requests
/// applies to the secret, and that request can be built (the ids it needs are known).
pub fn would_send(ctx: &Ctx, t: &ProbeTarget, secret: &str) -> bool {
    match entry_and_spec(t, secret) {
        Some((entry, Some(spec))) => request(spec, &ctx.base_url(entry.id), t, secret).is_ok(),
        _ => false,
    }
}

/// Sends `spec` to each base in turn until one does not call the key dead: a key is dead only where every
/// region says so.
pub async fn run_on(
    ctx: &Ctx,
    spec: &Spec,
    bases: &[String],
    t: &ProbeTarget,
    secret: &str,
) -> Probe {
    let mut last = unknown("no API base to probe");
    for (i, base) in bases.iter().enumerate() {
        last = once(ctx, spec, base, t, secret).await;
        if last.state != LiveState::Dead {
            if i > 0
                && let Ok(url) = reqwest::Url::parse(base)
            {
                last.detail = format!("{} (at {})", last.detail, url.host_str().unwrap_or("?"));
            }
            return last;
        }
    }
    if bases.len() > 1 {
        last.detail = format!("{} (on each of {} regions)", last.detail, bases.len());
    }
    last
}

/// One request to one base.
async fn once(ctx: &Ctx, spec: &Spec, base: &str, t: &ProbeTarget, secret: &str) -> Probe {
    let what = format!("{} {}", spec.method, spec.path);
    let req = match request(spec, base, t, secret) {
        Ok(r) => r,
        Err(why) => return unknown(format!("not proven: {why}; nothing was sent")),
    };
    let mut p = match ctx.http.send(&req).await {
        Ok(r) => judge(spec, &what, &r),
        Err(e) => unknown(format!("{what}: {}", transport(&e))),
    };
    p.scrub(secret);
    if let Auth::Path(part) = spec.auth
        && let Some(part) = part(secret)
    {
        p.scrub(part);
    }
    p
}

/// The request `spec` describes, for this secret on this base.
pub fn request(spec: &Spec, base: &str, t: &ProbeTarget, secret: &str) -> Result<Request, String> {
    let base = fill_region(base, secret)?;
    let mut path = spec.path.to_string();
    if path.contains("{key_id}") {
        let id = t
            .key_id
            .as_deref()
            .filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric()))
            .ok_or("the request needs the key's account id, and none was found next to it")?;
        path = path.replace("{key_id}", id);
    }
    if let Auth::Path(part) = spec.auth {
        let part = part(secret).ok_or("the secret does not have the documented shape")?;
        path = path.replace("{secret}", part);
    }
    let mut url = join(&base, &path);
    if let Auth::Query(name) = spec.auth {
        let sep = if url.contains('?') { '&' } else { '?' };
        url = format!("{url}{sep}{name}={}", crate::net::percent_encode(secret));
    }
    let mut req = Request::new(spec.method.method(), url).timeout(PROBE_TIMEOUT);
    req = match spec.auth {
        Auth::Bearer => req.bearer(secret),
        Auth::Scheme("") => req.header("Authorization", secret),
        Auth::Scheme(scheme) => req.header("Authorization", format!("{scheme} {secret}")),
        Auth::Header(name) => req.header(name, secret),
        Auth::BasicPassword(user) => req.header("Authorization", basic(user, secret)),
        Auth::BasicKeyId => {
            let user = t.key_id.as_deref().unwrap_or_default();
            req.header("Authorization", basic(user, secret))
        }
        Auth::Query(_) | Auth::Path(_) => req,
    };
    for (name, value) in spec.headers {
        req = req.header(name, *value);
    }
    if let Some(body) = spec.body {
        req.body = Some(body.to_string());
    }
    Ok(req)
}

/// A base with `{dc}` (Mailchimp's data centre) takes it from the key's `-us21` suffix.
pub fn fill_region(base: &str, secret: &str) -> Result<String, String> {
    if !base.contains("{dc}") {
        return Ok(base.to_string());
    }
    let dc = secret
        .rsplit_once('-')
        .map(|(_, dc)| dc)
        .filter(|dc| {
            (2..=6).contains(&dc.len())
                && dc
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        .ok_or("the key has no data-centre suffix (-us21) to address its API")?;
    Ok(base.replace("{dc}", dc))
}

fn basic(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// The answer as live, dead or unknown: the body reader first, then the status lists.
fn judge(spec: &Spec, what: &str, r: &Response) -> Probe {
    let note = spec
        .notes
        .iter()
        .find(|(s, _)| *s == r.status)
        .map(|(_, n)| format!(" — {n}"))
        .unwrap_or_default();
    if let Some((state, says)) = spec.read.and_then(|read| read(r)) {
        return answer(state, format!("{what}: {} {says}{note}", r.status));
    }
    if spec.live.contains(&r.status) {
        answer(
            LiveState::Live,
            format!("{what}: {} (the credential works){note}", r.status),
        )
    } else if spec.dead.contains(&r.status) {
        answer(
            LiveState::Dead,
            format!("{what}: {} (revoked, expired or unknown){note}", r.status),
        )
    } else {
        unknown(format!(
            "{what}: HTTP {}{}: {}",
            r.status,
            if note.is_empty() {
                " (not proven)".to_string()
            } else {
                note
            },
            excerpt(&r.body)
        ))
    }
}

/// A transport error without the URL (which may carry the token in its path or query).
fn transport(e: &HttpError) -> String {
    match e {
        HttpError::Refused { reason, .. } => format!("refused: {reason}"),
        HttpError::Transport {
            message, attempts, ..
        } => format!("{message} (after {attempts} attempts)"),
    }
}
