//! Every probe of the catalogue against a fake provider on 127.0.0.1: the exact request (method, path, where the
//! token goes, fixed headers and body), a live answer, a dead one, and odd ones (500, a huge body, a body that
//! echoes the token, a stall). Secrets come from the rules' own generated examples, run through the scanner.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::Request as AxumRequest;
use axum::http::HeaderMap;
use axum::response::Response as AxumResponse;
use base64::Engine as _;

use super::catalogue::{CATALOGUE, get};
use super::{Auth, Entry, Spec, Verb, fill_region, run, run_on};
use crate::config::ProviderSection;
use crate::model::{BlobId, LiveState};
use crate::net::{HttpClient, RetryPolicy};
use crate::providers::Ctx;
use crate::providers::liveness::ProbeTarget;
use crate::rules::RuleSet;
use crate::scan::Scanner;

/// One request the fake saw.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    uri: String,
    headers: HeaderMap,
    body: String,
}

/// The fake's script and log.
#[derive(Default)]
struct State {
    reply: Mutex<(u16, String)>,
    delay: Mutex<Option<Duration>>,
    seen: Mutex<Vec<Seen>>,
}

/// A provider on 127.0.0.1 that answers every request with the scripted reply and records it.
struct Fake {
    base: String,
    state: Arc<State>,
}

impl Fake {
    async fn start() -> Fake {
        let state = Arc::new(State::default());
        let st = state.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let app = axum::Router::new().fallback(move |req: AxumRequest| handle(st.clone(), req));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Fake {
            base: format!("http://{addr}"),
            state,
        }
    }

    fn answer(&self, status: u16, body: impl Into<String>) {
        *self.state.reply.lock().expect("lock") = (status, body.into());
        self.state.seen.lock().expect("lock").clear();
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }
}

async fn handle(st: Arc<State>, req: AxumRequest) -> AxumResponse {
    let method = req.method().to_string();
    let uri = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    st.seen.lock().expect("lock").push(Seen {
        method,
        uri,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let delay = *st.delay.lock().expect("lock");
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let (status, body) = st.reply.lock().expect("lock").clone();
    AxumResponse::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("response")
}

/// A context whose every catalogue provider points at `base`, with one attempt and a short timeout.
fn ctx(base: &str, timeout: Duration) -> Ctx {
    let policy = RetryPolicy {
        attempts: 1,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(1),
        timeout,
    };
    Ctx {
        http: HttpClient::new(policy, true).expect("client"),
        providers: CATALOGUE
            .iter()
            .map(|e| {
                let section = ProviderSection {
                    base_url: Some(base.to_string()),
                    ..ProviderSection::default()
                };
                (e.id.to_string(), section)
            })
            .collect(),
    }
}

/// Kinds of credential the rules find but give no example of (rendered like rule examples).
const MORE_EXAMPLES: &[(&str, &str)] = &[(
    "tailscale",
    "TAILSCALE_API_KEY=tskey-api-k{{gen:base62-12:tsa1}}-{{gen:base62-33:tsa2}}",
)];

/// A fake secret (and the key id found next to it) for each spec: the provider's rule examples (and
/// [`MORE_EXAMPLES`]), generated and scanned by the real scanner, the first one the runner would send with this
/// spec.
fn samples() -> BTreeMap<(&'static str, &'static str), (String, Option<String>)> {
    let rules = Arc::new(RuleSet::builtin().expect("built-in rules"));
    let scanner = Scanner::new(rules.clone()).expect("scanner");
    let mut out = BTreeMap::new();
    for entry in CATALOGUE {
        let examples = rules
            .rules
            .iter()
            .filter(|r| r.provider == entry.id)
            .flat_map(|r| r.def.examples.iter().map(String::as_str))
            .chain(
                MORE_EXAMPLES
                    .iter()
                    .filter(|(id, _)| *id == entry.id)
                    .map(|(_, e)| *e),
            );
        {
            for example in examples {
                let text = crate::rules::generate::expand(example).expect("example expands");
                for m in scanner.scan(BlobId::of_bytes(text.as_bytes()), text.as_bytes()) {
                    if rules.rules[m.rule].provider != entry.id {
                        continue;
                    }
                    let Some(secret) = m.secret.reveal() else {
                        continue;
                    };
                    if let Some(spec) = entry.specs.iter().find(|s| (s.applies)(secret)) {
                        out.entry((entry.id, spec.kind))
                            .or_insert_with(|| (secret.to_string(), m.key_id.clone()));
                    }
                }
            }
        }
    }
    out
}

/// The documented live and dead answers of each spec, and what the dead one must read as.
fn replies(id: &str, kind: &str) -> ((u16, &'static str), (u16, &'static str, LiveState)) {
    let dead = LiveState::Dead;
    let unauthorized = (401, r#"{"error":"unauthorized"}"#, dead);
    match (id, kind) {
        ("telegram", _) => (
            (200, r#"{"ok":true,"result":{"id":1,"is_bot":true}}"#),
            (
                401,
                r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
                dead,
            ),
        ),
        ("datadog", _) => (
            (200, r#"{"valid":true}"#),
            (403, r#"{"errors":["Forbidden"]}"#, dead),
        ),
        ("newrelic", _) => (
            (200, r#"{"data":{"actor":{"user":{"id":1}}}}"#),
            (
                200,
                r#"{"errors":[{"extensions":{"error_code":"BAD_API_KEY"},"message":"Bad API Key or no API Key provided"}]}"#,
                dead,
            ),
        ),
        ("sentry", _) => (
            (
                200,
                r#"{"version":"0","auth":{"scopes":["org:read"]},"user":null}"#,
            ),
            unauthorized,
        ),
        ("cloudflare", "user API token") => (
            (
                200,
                r#"{"success":true,"result":{"id":"x","status":"active"}}"#,
            ),
            unauthorized,
        ),
        ("cloudflare", _) => (
            (
                200,
                r#"{"success":true,"result":{"id":"x","status":"active"}}"#,
            ),
            (
                200,
                r#"{"success":true,"result":{"id":"x","status":"expired"}}"#,
                dead,
            ),
        ),
        ("linear", _) => (
            (200, r#"{"data":{"viewer":{"id":"u1"}}}"#),
            (
                400,
                r#"{"errors":[{"message":"Authentication required","extensions":{"code":"AUTHENTICATION_ERROR"}}]}"#,
                dead,
            ),
        ),
        ("mapbox", _) => (
            (200, r#"{"code":"TokenValid","token":{}}"#),
            (401, r#"{"code":"TokenInvalid"}"#, dead),
        ),
        ("vercel", _) => (
            (200, r#"{"user":{"id":"u"}}"#),
            (
                403,
                r#"{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}"#,
                dead,
            ),
        ),
        ("figma", _) => (
            (200, r#"{"id":"1"}"#),
            (403, r#"{"status":403,"err":"Invalid token"}"#, dead),
        ),
        ("discord", "webhook URL") => (
            (200, r#"{"id":"1"}"#),
            (404, r#"{"message":"Unknown Webhook","code":10015}"#, dead),
        ),
        ("twilio", _) => (
            (200, r#"{"sid":"AC"}"#),
            (
                401,
                r#"{"code":20003,"message":"Authenticate"}"#,
                LiveState::Unknown,
            ),
        ),
        ("brevo", _) => (
            (200, r#"{"email":"x"}"#),
            (
                401,
                r#"{"code":"unauthorized","message":"Key not found"}"#,
                dead,
            ),
        ),
        _ => ((200, r#"{"id":"1"}"#), unauthorized),
    }
}

fn target(id: &str, key_id: Option<String>, secret: &str) -> ProbeTarget {
    ProbeTarget {
        provider: id.to_string(),
        secret: Some(secret.to_string()),
        key_id,
        ..ProbeTarget::default()
    }
}

fn basic_of(headers: &HeaderMap) -> String {
    let v = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .unwrap_or("");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v)
        .unwrap_or_default();
    String::from_utf8_lossy(&raw).into_owned()
}

/// The fake saw exactly the documented request, with the credential where the spec says.
fn assert_request(entry: &Entry, spec: &Spec, seen: &[Seen], secret: &str, key_id: Option<&str>) {
    let what = format!("{} {}", entry.id, spec.kind);
    assert_eq!(seen.len(), 1, "{what}: one request: {seen:?}");
    let s = &seen[0];
    assert_eq!(s.method, spec.method.to_string(), "{what}");
    let mut path = spec.path.replace("{key_id}", key_id.unwrap_or(""));
    if let Auth::Path(part) = spec.auth {
        path = path.replace("{secret}", part(secret).expect("documented shape"));
    }
    let header = |n: &str| {
        s.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    match spec.auth {
        Auth::Query(name) => assert_eq!(s.uri, format!("{path}?{name}={secret}"), "{what}"),
        _ => assert_eq!(s.uri, path, "{what}"),
    }
    match spec.auth {
        Auth::Bearer => assert_eq!(
            header("authorization"),
            format!("Bearer {secret}"),
            "{what}"
        ),
        Auth::Scheme("") => assert_eq!(header("authorization"), secret, "{what}"),
        Auth::Scheme(scheme) => {
            assert_eq!(
                header("authorization"),
                format!("{scheme} {secret}"),
                "{what}"
            )
        }
        Auth::Header(name) => assert_eq!(header(name), secret, "{what}"),
        Auth::BasicPassword(user) => {
            assert_eq!(basic_of(&s.headers), format!("{user}:{secret}"), "{what}")
        }
        Auth::BasicKeyId => assert_eq!(
            basic_of(&s.headers),
            format!("{}:{secret}", key_id.unwrap_or("")),
            "{what}"
        ),
        Auth::Query(_) | Auth::Path(_) => {
            assert!(
                header("authorization").is_empty(),
                "{what}: no other credential"
            )
        }
    }
    for (name, value) in spec.headers {
        assert_eq!(header(name), *value, "{what}: header {name}");
    }
    assert_eq!(s.body, spec.body.unwrap_or(""), "{what}: body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_probe_sends_its_documented_request_and_reads_live_dead_and_odd_answers() {
    let fake = Fake::start().await;
    let ctx = ctx(&fake.base, Duration::from_secs(5));
    let samples = samples();
    let mut probed = 0;
    for entry in CATALOGUE {
        for spec in entry.specs {
            let what = format!("{} {}", entry.id, spec.kind);
            let (secret, key_id) = samples
                .get(&(entry.id, spec.kind))
                .unwrap_or_else(|| panic!("{what}: no rule example is of this kind"))
                .clone();
            let t = target(entry.id, key_id.clone(), &secret);
            let ((live_status, live_body), (dead_status, dead_body, dead_state)) =
                replies(entry.id, spec.kind);
            let clean = |detail: &str| {
                assert!(
                    !detail.contains(&secret),
                    "{what}: the secret in {detail:?}"
                );
                assert!(
                    detail.chars().count() < 500,
                    "{what}: a long detail {detail:?}"
                );
            };

            fake.answer(live_status, live_body);
            let p = run(&ctx, &t, &secret).await;
            assert_eq!(p.state, LiveState::Live, "{what}: {}", p.detail);
            assert!(
                p.detail
                    .starts_with(&format!("{} {}", spec.method, spec.path)),
                "{}",
                p.detail
            );
            clean(&p.detail);
            assert_request(entry, spec, &fake.seen(), &secret, key_id.as_deref());

            fake.answer(dead_status, dead_body);
            let p = run(&ctx, &t, &secret).await;
            assert_eq!(p.state, dead_state, "{what}: {}", p.detail);
            clean(&p.detail);

            fake.answer(500, r#"{"error":"internal"}"#);
            let p = run(&ctx, &t, &secret).await;
            assert_eq!(p.state, LiveState::Unknown, "{what}: {}", p.detail);
            clean(&p.detail);

            // A reply that echoes the token is masked; an unlisted status proves nothing.
            fake.answer(418, format!(r#"{{"echo":"{secret}","auth":{{"x":1}}}}"#));
            let p = run(&ctx, &t, &secret).await;
            assert_eq!(p.state, LiveState::Unknown, "{what}: {}", p.detail);
            clean(&p.detail);

            // Three megabytes of junk with a 200: read up to the cap, never dead; a probe that needs the
            // documented body does not call it live either.
            fake.answer(200, "x".repeat(3 << 20));
            let p = run(&ctx, &t, &secret).await;
            assert_ne!(p.state, LiveState::Dead, "{what}: {}", p.detail);
            if spec.live.is_empty() {
                assert_eq!(p.state, LiveState::Unknown, "{what}: {}", p.detail);
            }
            clean(&p.detail);
            probed += 1;
        }
    }
    assert!(probed >= CATALOGUE.len(), "{probed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_provider_is_unknown_after_the_timeout() {
    let fake = Fake::start().await;
    fake.answer(200, "{}");
    *fake.state.delay.lock().expect("lock") = Some(Duration::from_secs(5));
    let ctx = ctx(&fake.base, Duration::from_millis(200));
    let secret = format!("sk_test_{}", "Ab1".repeat(10));
    let started = std::time::Instant::now();
    let p = run(&ctx, &target("stripe", None, &secret), &secret).await;
    assert_eq!(p.state, LiveState::Unknown, "{}", p.detail);
    assert!(p.detail.contains("timed out"), "{}", p.detail);
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regional_key_is_dead_only_when_every_region_says_so() {
    let (us, eu) = (Fake::start().await, Fake::start().await);
    let ctx = ctx(&us.base, Duration::from_secs(5));
    let spec = &get("datadog").expect("datadog").specs[0];
    let secret = "0123456789abcdef0123456789abcdef";
    let t = target("datadog", None, secret);
    let bases = [us.base.clone(), eu.base.clone()];
    us.answer(403, r#"{"errors":["Forbidden"]}"#);
    eu.answer(200, r#"{"valid":true}"#);
    let p = run_on(&ctx, spec, &bases, &t, secret).await;
    assert_eq!(p.state, LiveState::Live, "{}", p.detail);
    assert!(p.detail.ends_with("(at 127.0.0.1)"), "{}", p.detail);
    assert_eq!((us.seen().len(), eu.seen().len()), (1, 1));
    eu.answer(403, r#"{"errors":["Forbidden"]}"#);
    let p = run_on(&ctx, spec, &bases, &t, secret).await;
    assert_eq!(p.state, LiveState::Dead, "{}", p.detail);
    assert!(p.detail.contains("each of 2 regions"), "{}", p.detail);
    // With the base URL overridden (as here), only that base is asked.
    us.answer(403, r#"{"errors":["Forbidden"]}"#);
    eu.answer(200, r#"{"valid":true}"#);
    let p = run(&ctx, &t, secret).await;
    assert_eq!(p.state, LiveState::Dead, "{}", p.detail);
    assert!(eu.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_without_a_read_only_probe_send_nothing() {
    let fake = Fake::start().await;
    fake.answer(200, "{}");
    let ctx = ctx(&fake.base, Duration::from_secs(5));
    let cases = [
        ("stripe", format!("whsec_{}", "Ab1".repeat(11))),
        ("digitalocean", format!("dor_v1_{}", "ab12".repeat(16))),
        (
            "tailscale",
            format!("tskey-auth-k{}-{}", "Ab1".repeat(4), "Cd2".repeat(11)),
        ),
        ("datadog", "ab12".repeat(10)),
        ("twilio", format!("SK{}", "ab12".repeat(8))),
        // An auth token without its Account SID next to it.
        ("twilio", "ab12".repeat(8)),
        ("telegram", "12345678:AA bad token".to_string()),
    ];
    for (id, secret) in cases {
        let p = run(&ctx, &target(id, None, &secret), &secret).await;
        assert_eq!(p.state, LiveState::Unknown, "{id}: {}", p.detail);
        assert!(p.detail.starts_with("not proven"), "{id}: {}", p.detail);
        assert!(!p.detail.contains(&secret), "{}", p.detail);
        assert!(fake.seen().is_empty(), "{id}: a request was sent");
    }
}

#[test]
fn probes_only_read() {
    for entry in CATALOGUE {
        for spec in entry.specs {
            match spec.method {
                Verb::Get => assert!(spec.body.is_none(), "{}", entry.id),
                Verb::Post => {
                    let body = spec.body.unwrap_or_default();
                    let graphql_query =
                        body.starts_with(r#"{"query":"{"#) && !body.contains("mutation");
                    assert!(
                        graphql_query || body == "null",
                        "{}: a POST must be a documented read-only call: {body}",
                        entry.id
                    );
                }
            }
        }
    }
}

#[test]
fn mailchimp_keys_name_their_data_centre() {
    let key = format!("{}-us21", "ab12".repeat(8));
    assert_eq!(
        fill_region("https://{dc}.api.mailchimp.com", &key).as_deref(),
        Ok("https://us21.api.mailchimp.com")
    );
    assert!(fill_region("https://{dc}.api.mailchimp.com", "ab12ab12").is_err());
    assert!(fill_region("https://{dc}.api.mailchimp.com", "x-evil.example/").is_err());
    assert_eq!(
        fill_region("http://127.0.0.1:9", &key).as_deref(),
        Ok("http://127.0.0.1:9")
    );
}

/// Thirty providers at least, each with a registry record that probes through the catalogue.
#[test]
fn the_catalogue_and_the_registry_agree() {
    use crate::providers::liveness::has_probe;
    use crate::providers::registry::PROVIDERS;
    for entry in CATALOGUE {
        assert!(has_probe(entry.id), "{} has no registry record", entry.id);
    }
    let probed = PROVIDERS.iter().filter(|p| p.probe.is_some()).count();
    assert!(probed >= 30, "{probed} providers have a probe");
    // A catalogue provider is only probed: its keys are revoked by hand or by a configured `http` revoker.
    for entry in CATALOGUE {
        let record = PROVIDERS.iter().find(|p| p.id == entry.id).expect("record");
        assert!(!record.self_revocable(), "{}", entry.id);
    }
}

/// `docs/verify.md` documents every request: its method and path, and the provider's documentation.
#[test]
fn every_probe_is_documented() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/docs/verify.md")).expect("docs/verify.md");
    for entry in CATALOGUE {
        for spec in entry.specs {
            let request = format!("`{} {}`", spec.method, spec.path);
            assert!(
                doc.contains(&request),
                "docs/verify.md lacks {request} ({})",
                entry.id
            );
            assert!(
                doc.contains(spec.docs),
                "docs/verify.md lacks {} ({})",
                spec.docs,
                entry.id
            );
        }
    }
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README.md");
    assert!(
        readme.contains("docs/verify.md"),
        "the README links docs/verify.md"
    );
}
