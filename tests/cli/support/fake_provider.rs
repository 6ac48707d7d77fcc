//! Fake providers for revocation tests: one axum server on 127.0.0.1 that speaks just enough of GitHub, GitLab,
//! Slack, npm, Userplane, App Store Connect (verifying the ES256 JWT) and a generic key service, counts every
//! request, and can be scripted to answer 429/500, stall, or send malformed bodies. Plus helpers that build a
//! scan root with planted FAKE secrets, an inventory and a findings file, and run the real binary.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::fakekeys::sha256_hex;
use super::{BlobId, fingerprint_key, fingerprint_token, redact};

/// A scripted answer, consumed by the next matching request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status, headers and body instead.
    Status(u16, Vec<(&'static str, String)>, String),
    /// Sleep this long first, then answer normally.
    Delay(Duration),
}

/// One request the fake saw.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Authorization-ish header (Authorization or PRIVATE-TOKEN).
    pub auth: String,
    /// Body.
    pub body: String,
}

/// An App Store Connect key the fake knows.
#[derive(Clone, Debug)]
pub struct AscKey {
    /// SPKI PEM of the public key.
    pub public_pem: String,
    /// Expected `iss` (team) or None for `sub: "user"`.
    pub issuer: Option<String>,
    /// Still valid.
    pub live: bool,
}

/// The fake's mutable state.
#[derive(Default)]
pub struct State {
    /// Every request, in order.
    pub seen: Mutex<Vec<Seen>>,
    /// Tokens that work (and are not revoked).
    pub live: Mutex<HashSet<String>>,
    /// Scripted faults by "METHOD path-prefix".
    pub faults: Mutex<BTreeMap<String, VecDeque<Fault>>>,
    /// Tokens whose revocation is carried out but never answered (the "provider did it, answer lost" case).
    pub stall_revoke: Mutex<HashSet<String>>,
    /// Tokens whose revocation call is never answered and lands only after the next probe has seen the key
    /// live (a slow provider: the call is still in flight when someone asks).
    pub land_after_probe: Mutex<HashSet<String>>,
    /// Such calls that have arrived and not landed yet.
    pub in_flight: Mutex<HashSet<String>>,
    /// App Store Connect keys by key id.
    pub asc: Mutex<HashMap<String, AscKey>>,
    /// The generic key service: live key ids, and the bearer it wants.
    pub acme_live: Mutex<HashSet<String>>,
    /// Bearer token the generic key service accepts.
    pub acme_token: Mutex<String>,
}

/// A running fake provider server.
pub struct Fake {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its state.
    pub state: Arc<State>,
}

impl Fake {
    /// Starts the server on a free loopback port, on its own thread and runtime.
    pub fn start() -> Fake {
        let state = Arc::new(State::default());
        let st = state.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("test runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind loopback");
                tx.send(listener.local_addr().expect("addr"))
                    .expect("send addr");
                let app = axum::Router::new().fallback(move |req: Request| handle(st.clone(), req));
                axum::serve(listener, app).await.expect("serve");
            });
        });
        let addr = rx.recv().expect("server started");
        Fake {
            base: format!("http://{addr}"),
            state,
        }
    }

    /// Scripts faults for requests whose "METHOD path" starts with `key`.
    pub fn fault(&self, key: &str, faults: Vec<Fault>) {
        self.state
            .faults
            .lock()
            .expect("lock")
            .entry(key.to_string())
            .or_default()
            .extend(faults);
    }

    /// Makes a token valid.
    pub fn live(&self, token: &str) {
        self.state
            .live
            .lock()
            .expect("lock")
            .insert(token.to_string());
    }

    /// Whether a token still works.
    pub fn is_live(&self, token: &str) -> bool {
        self.state.live.lock().expect("lock").contains(token)
    }

    /// Requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    /// How many requests of this method had a path starting with `prefix`.
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.path.starts_with(prefix))
            .count()
    }

    /// Like [`Fake::count`], restricted to requests carrying `token` (in a header or the body).
    pub fn count_with(&self, method: &str, prefix: &str, token: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| {
                s.method == method
                    && s.path.starts_with(prefix)
                    && (s.auth.contains(token) || s.body.contains(token) || s.path.contains(token))
            })
            .count()
    }
}

fn reply(status: u16, body: Value) -> Response {
    reply_with(status, vec![], body.to_string())
}

fn reply_with(status: u16, headers: Vec<(&'static str, String)>, body: String) -> Response {
    let mut b = Response::builder().status(StatusCode::from_u16(status).expect("status"));
    for (k, v) in headers {
        b = b.header(k, v);
    }
    b.header("content-type", "application/json")
        .body(Body::from(body))
        .expect("response")
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string()
}

async fn handle(st: Arc<State>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let auth = format!(
        "{} {}",
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or(""),
        headers
            .get("private-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    );
    st.seen.lock().expect("lock").push(Seen {
        method: method.to_string(),
        path: path.clone(),
        auth,
        body: body.clone(),
    });
    let key = format!("{method} {path}");
    let fault = {
        let mut faults = st.faults.lock().expect("lock");
        faults
            .iter_mut()
            .find(|(k, q)| key.starts_with(k.as_str()) && !q.is_empty())
            .and_then(|(_, q)| q.pop_front())
    };
    match fault {
        Some(Fault::Status(s, h, b)) => return reply_with(s, h, b),
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    let token = bearer(&headers);
    let is_live = |t: &str| st.live.lock().expect("lock").contains(t);
    let revoke = |t: &str| st.live.lock().expect("lock").remove(t);
    let stall = |t: &str| st.stall_revoke.lock().expect("lock").contains(t);
    let p = path.split('?').next().unwrap_or("").to_string();
    match (method.clone(), p.as_str()) {
        // GitHub
        (Method::GET, "/user") if is_live(&token) => reply(200, json!({"login": "octo-fake"})),
        (Method::GET, "/user") => reply(401, json!({"message": "Bad credentials"})),
        (Method::POST, "/credentials/revoke") => {
            let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let Some(creds) = v.get("credentials").and_then(Value::as_array) else {
                return reply(422, json!({"message": "credentials missing"}));
            };
            for c in creds {
                revoke(c.as_str().unwrap_or(""));
            }
            reply(202, json!({}))
        }
        // GitLab
        (_, "/api/v4/personal_access_tokens/self") => {
            let t = headers
                .get("private-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            if method == Method::GET {
                if is_live(&t) {
                    if st.in_flight.lock().expect("lock").remove(&t) {
                        revoke(&t);
                    }
                    reply(200, json!({"name": "ci", "active": true, "revoked": false}))
                } else {
                    reply(401, json!({"message": "401 Unauthorized"}))
                }
            } else if method == Method::DELETE {
                if st.land_after_probe.lock().expect("lock").contains(&t) && is_live(&t) {
                    st.in_flight.lock().expect("lock").insert(t.clone());
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                if !revoke(&t) {
                    return reply(401, json!({"message": "401 Unauthorized"}));
                }
                if stall(&t) {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                reply_with(204, vec![], String::new())
            } else {
                reply(405, json!({}))
            }
        }
        // Slack
        (Method::POST, "/auth.test") if is_live(&token) => {
            reply(200, json!({"ok": true, "team": "fake"}))
        }
        (Method::POST, "/auth.test") => reply(200, json!({"ok": false, "error": "invalid_auth"})),
        (Method::POST, "/auth.revoke") if revoke(&token) => {
            reply(200, json!({"ok": true, "revoked": true}))
        }
        (Method::POST, "/auth.revoke") => {
            reply(200, json!({"ok": false, "error": "token_revoked"}))
        }
        // npm
        (Method::GET, "/-/whoami") if is_live(&token) => reply(200, json!({"username": "fake"})),
        (Method::GET, "/-/whoami") => reply(401, json!({"error": "unauthorized"})),
        (Method::DELETE, p) if p.starts_with("/-/npm/v1/tokens/token/") => {
            let key = p.trim_start_matches("/-/npm/v1/tokens/token/");
            if key == token && revoke(&token) {
                reply_with(204, vec![], String::new())
            } else {
                reply(401, json!({"error": "unauthorized"}))
            }
        }
        // Userplane (base …/api/v1)
        (Method::GET, "/api/v1/public/me") => {
            if is_live(&token) {
                reply(200, json!({"data": {"id": "u1"}}))
            } else if token.contains("expired") {
                reply(401, json!({"code": "API_KEY_EXPIRED"}))
            } else {
                reply(401, json!({"code": "API_KEY_INVALID"}))
            }
        }
        // App Store Connect
        (Method::GET, "/v1/apps") => asc(&st, &token),
        // The generic key service
        (_, p) if p.starts_with("/keys/") => {
            let id = p.trim_start_matches("/keys/").to_string();
            if token != *st.acme_token.lock().expect("lock") {
                return reply(401, json!({"error": "bad org credentials"}));
            }
            if st.acme_live.lock().expect("lock").remove(&id) {
                reply_with(204, vec![], String::new())
            } else {
                reply(404, json!({"error": "no such key"}))
            }
        }
        _ => reply(404, json!({"error": "not found"})),
    }
}

/// Verifies an App Store Connect JWT: ES256 signature by the registered key, `kid`, `typ`, `aud`, `iss`/`sub`,
/// and a lifetime of at most 20 minutes.
fn asc(st: &State, jwt: &str) -> Response {
    let rate = vec![(
        "x-rate-limit",
        "user-hour-lim:3500;user-hour-rem:3499;".to_string(),
    )];
    let unauthorized = |why: &str| {
        reply_with(
            401,
            rate.clone(),
            json!({"errors": [{"status": "401", "code": "NOT_AUTHORIZED", "detail": why}]})
                .to_string(),
        )
    };
    let Ok(header) = jsonwebtoken::decode_header(jwt) else {
        return unauthorized("not a JWT");
    };
    if header.alg != jsonwebtoken::Algorithm::ES256 || header.typ.as_deref() != Some("JWT") {
        return unauthorized("alg/typ");
    }
    let Some(kid) = header.kid else {
        return unauthorized("no kid");
    };
    let Some(key) = st.asc.lock().expect("lock").get(&kid).cloned() else {
        return unauthorized("unknown kid");
    };
    let Ok(dk) = jsonwebtoken::DecodingKey::from_ec_pem(key.public_pem.as_bytes()) else {
        return unauthorized("bad registered key");
    };
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_audience(&["appstoreconnect-v1"]);
    v.set_required_spec_claims(&["exp", "aud", "iat"]);
    let Ok(data) = jsonwebtoken::decode::<Value>(jwt, &dk, &v) else {
        return unauthorized("signature or claims");
    };
    let c = data.claims;
    let iat = c.get("iat").and_then(Value::as_u64).unwrap_or(0);
    let exp = c.get("exp").and_then(Value::as_u64).unwrap_or(u64::MAX);
    if exp.saturating_sub(iat) > 20 * 60 {
        return unauthorized("exp more than 20 minutes after iat");
    }
    let ok_subject = match &key.issuer {
        Some(iss) => {
            c.get("iss").and_then(Value::as_str) == Some(iss.as_str()) && c.get("sub").is_none()
        }
        None => c.get("sub").and_then(Value::as_str) == Some("user") && c.get("iss").is_none(),
    };
    if !ok_subject {
        return unauthorized("iss/sub");
    }
    if !key.live {
        return unauthorized("revoked");
    }
    reply_with(200, rate, json!({"data": []}).to_string())
}

/// A scan root with planted secrets, a findings file and an inventory.
pub struct Root {
    /// The temporary directory (scan root).
    pub dir: tempfile::TempDir,
    /// Findings to write.
    pub findings: Vec<Value>,
    /// Inventory TOML.
    pub inventory: String,
}

impl Root {
    /// An empty root.
    pub fn new() -> Root {
        Root {
            dir: tempfile::tempdir().expect("tempdir"),
            findings: Vec::new(),
            inventory: String::new(),
        }
    }

    /// The root's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file under the root.
    pub fn write(&self, rel: &str, contents: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, contents).expect("write");
    }

    /// Plants a token in `rel` (as `TOKEN = "…"` on line 2) and records the finding a scan would report for it,
    /// redacted as in a findings file. Returns the finding's fingerprint.
    pub fn plant_token(&mut self, rel: &str, rule_id: &str, provider: &str, token: &str) -> String {
        let contents = format!("# fake credentials for a keysweep test\nTOKEN = \"{token}\"\n");
        self.write(rel, &contents);
        let fp = fingerprint_token(rule_id, token);
        self.findings.push(json!({
            "rule_id": rule_id, "provider": provider, "severity": "high", "fingerprint": fp,
            "secret": redact(token), "validated": true, "key": null, "inventory": null, "liveness": null,
            "occurrences": 1,
            "locations": [{"repository": null, "path": rel, "line": 2, "column": 10,
                           "blob": BlobId::of_bytes(contents.as_bytes()).to_hex(), "commit": null,
                           "author": null, "date": null, "in_head": null}]
        }));
        fp
    }

    /// Plants a PEM key file and records its finding (key fingerprint, public key hash, key id).
    pub fn plant_key(&mut self, rel: &str, pem: &str, spki: &[u8], key_id: &str) -> String {
        self.write(rel, pem);
        let fp = fingerprint_key(spki);
        self.findings.push(json!({
            "rule_id": "app-store-connect.p8", "provider": "app-store-connect", "severity": "high",
            "fingerprint": fp, "secret": redact(pem), "validated": true,
            "key": {"key_id": key_id, "issuer_id": null, "public_key_sha256": sha256_hex(spki)},
            "inventory": null, "liveness": null, "occurrences": 1,
            "locations": [{"repository": null, "path": rel, "line": 1, "column": 1,
                           "blob": BlobId::of_bytes(pem.as_bytes()).to_hex(), "commit": null,
                           "author": null, "date": null, "in_head": null}]
        }));
        fp
    }

    /// Adds an inventory entry (TOML fields, already formatted).
    pub fn inventory_entry(&mut self, fields: &str) {
        self.inventory.push_str("[[key]]\n");
        self.inventory.push_str(fields);
        self.inventory.push('\n');
    }

    /// Writes findings.json and inventory.toml; returns their paths.
    pub fn files(&self) -> (PathBuf, PathBuf) {
        let f = self.path().join("findings.json");
        std::fs::write(
            &f,
            serde_json::to_string_pretty(&json!({"version": 1, "findings": self.findings}))
                .expect("json"),
        )
        .expect("write findings");
        let i = self.path().join("inventory.toml");
        std::fs::write(&i, &self.inventory).expect("write inventory");
        (f, i)
    }

    /// The audit log path used by [`Root::revoke`].
    pub fn audit(&self) -> PathBuf {
        self.path().join("audit.jsonl")
    }

    /// `keysweep revoke` against the fake, with test knobs; extra args appended.
    pub fn revoke(&self, fake: &Fake, extra: &[&str]) -> std::process::Command {
        let (f, i) = self.files();
        let mut cmd = keysweep_cmd(fake);
        cmd.current_dir(self.path())
            .arg("revoke")
            .arg("--findings")
            .arg(f)
            .arg("--inventory")
            .arg(i)
            .arg("--root")
            .arg(self.path())
            .arg("--audit-log")
            .arg(self.audit())
            .args(extra);
        cmd
    }
}

/// The real binary under the test environment policy, every provider pointed at the fake, retries and
/// timeouts short, and `NO_COLOR` (some of these runs are on a terminal).
pub fn keysweep_cmd(fake: &Fake) -> std::process::Command {
    let mut cmd = super::keysweep_std();
    cmd.env("KEYSWEEP_RETRY_BASE_MS", "5")
        .env("KEYSWEEP_RETRY_MAX_MS", "50")
        .env("KEYSWEEP_HTTP_TIMEOUT_MS", "3000")
        .env("NO_COLOR", "1");
    for id in ["GITHUB", "GITLAB", "SLACK", "NPM", "APP_STORE_CONNECT"] {
        cmd.env(format!("KEYSWEEP_{id}_URL"), &fake.base);
    }
    cmd.env("KEYSWEEP_USERPLANE_URL", format!("{}/api/v1", fake.base));
    cmd
}

/// Runs a command; returns (exit code, stdout, stderr).
pub fn run(mut cmd: std::process::Command) -> (i32, String, String) {
    let out = cmd.output().expect("run keysweep");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `keysweep ARGS…` run in `dir` against the fake (clean environment, loopback only).
pub fn keysweep_in(fake: &Fake, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = keysweep_cmd(fake);
    cmd.current_dir(dir).args(args);
    run(cmd)
}

/// Reads a JSON file the binary wrote.
pub fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", path.display()))
}

/// The one finding whose first location has this path.
pub fn finding_at<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .find(|f| f["locations"][0]["path"] == path)
        .unwrap_or_else(|| panic!("no finding at {path}: {report:#}"))
}
