//! The one HTTP client, used by revocation, liveness probes and the GitHub organisation listing: reqwest with
//! rustls, no redirects (a reply cannot send a request, or its credentials, to another host), retries of 429/5xx/timeouts with
//! exponential backoff and jitter (honouring `Retry-After` and rate-limit headers, capped), and the loopback
//! guard: with `KEYSWEEP_LOOPBACK_ONLY=1` any host that is not loopback is refused before a byte is sent.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};

/// Environment variable that restricts every request to loopback hosts (tests and CI set it).
pub const LOOPBACK_ONLY_ENV: &str = "KEYSWEEP_LOOPBACK_ONLY";

/// Retry and timeout knobs (`KEYSWEEP_RETRY_BASE_MS`, `KEYSWEEP_RETRY_MAX_MS`, `KEYSWEEP_HTTP_ATTEMPTS`,
/// `KEYSWEEP_HTTP_TIMEOUT_MS`).
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// First backoff delay; doubled per retry.
    pub base: Duration,
    /// Longest single wait, whatever `Retry-After` asks.
    pub cap: Duration,
    /// Per-attempt timeout.
    pub timeout: Duration,
}

/// The most of a response body read; the rest is dropped unread (a provider's answer is a few hundred bytes).
pub const MAX_BODY: usize = 1 << 20;

/// The longest any retry knob may ask for: an hour.
const MAX_KNOB_MS: u64 = 3_600_000;

/// A knob in milliseconds from the environment, clamped to [`MAX_KNOB_MS`].
fn env_ms(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
        .min(MAX_KNOB_MS)
}

impl RetryPolicy {
    /// The wait before retry number `attempt + 1`: the base doubled per attempt, plus up to half again of jitter,
    /// at most the cap; saturating, whatever the knobs say.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let backoff = self.base.saturating_mul(1 << attempt.min(16));
        backoff
            .saturating_add(jitter(
                (backoff / 2).saturating_add(Duration::from_millis(1)),
            ))
            .min(self.cap)
    }

    /// Defaults (5 attempts, 500 ms base, 60 s cap, 30 s timeout), overridden by the environment.
    pub fn from_env() -> RetryPolicy {
        RetryPolicy {
            attempts: env_ms("KEYSWEEP_HTTP_ATTEMPTS", 5).clamp(1, 20) as u32,
            base: Duration::from_millis(env_ms("KEYSWEEP_RETRY_BASE_MS", 500)),
            cap: Duration::from_millis(env_ms("KEYSWEEP_RETRY_MAX_MS", 60_000)),
            timeout: Duration::from_millis(env_ms("KEYSWEEP_HTTP_TIMEOUT_MS", 30_000)),
        }
    }
}

/// A provider's answer, body read as text.
#[derive(Clone, Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body (lossy UTF-8).
    pub body: String,
}

impl Response {
    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// Whether retries were exhausted on a retryable status.
    pub fn retryable(&self) -> bool {
        self.status == 429 || self.status >= 500
    }
}

/// Why no answer came back.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The loopback guard or a malformed URL refused the request; nothing was sent.
    #[error("refused to call {url}: {reason}")]
    Refused {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Connection errors or timeouts on every attempt.
    #[error("{method} {url}: {message} (after {attempts} attempts)")]
    Transport {
        /// Method.
        method: String,
        /// The URL.
        url: String,
        /// The last error.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// One request to send (possibly several times).
#[derive(Clone, Debug)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers (name, value).
    pub headers: Vec<(String, String)>,
    /// Body, sent as is.
    pub body: Option<String>,
    /// Per-attempt timeout, when shorter than the client's (liveness probes).
    pub timeout: Option<Duration>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout: None,
        }
    }

    /// Sets a per-attempt timeout; the client's own (`KEYSWEEP_HTTP_TIMEOUT_MS`) still applies when shorter.
    pub fn timeout(mut self, timeout: Duration) -> Request {
        self.timeout = Some(timeout);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Adds `Authorization: Bearer …`.
    pub fn bearer(self, token: &str) -> Request {
        self.header("Authorization", format!("Bearer {token}"))
    }

    /// Sets a JSON body.
    pub fn json(mut self, body: &serde_json::Value) -> Request {
        self.body = Some(body.to_string());
        self.header("Content-Type", "application/json")
    }
}

/// The client every provider uses.
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: reqwest::Client,
    policy: RetryPolicy,
    loopback_only: bool,
}

/// Whether a URL's host is loopback (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The loopback guard for a git remote (`https://`, `http://`, `ssh://`, `git://`, scp-like `git@host:path`):
/// with `KEYSWEEP_LOOPBACK_ONLY=1`, any remote whose host is not loopback is refused before git runs. Local
/// paths and `file://` URLs pass.
pub fn guard(remote: &str) -> Result<(), HttpError> {
    if !std::env::var(LOOPBACK_ONLY_ENV).is_ok_and(|v| v == "1") {
        return Ok(());
    }
    let refused = |reason: String| HttpError::Refused {
        url: redact_url(remote),
        reason,
    };
    let url = match Url::parse(remote) {
        Ok(u) if u.scheme() == "file" => return Ok(()),
        Ok(u) if u.scheme().len() > 1 => u,
        // `git@host:path` (and a Windows drive letter, which has a one-letter scheme).
        _ => match remote.split_once(':') {
            Some((user_host, _)) if !user_host.contains('/') && remote.contains('@') => {
                let host = user_host.rsplit('@').next().unwrap_or(user_host);
                Url::parse(&format!("ssh://{host}/"))
                    .map_err(|e| refused(format!("not a valid remote: {e}")))?
            }
            _ => return Ok(()),
        },
    };
    if is_loopback(&url) {
        Ok(())
    } else {
        Err(refused(format!(
            "{LOOPBACK_ONLY_ENV}=1 allows only loopback hosts, not {:?}",
            url.host_str().unwrap_or("")
        )))
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for one URL path segment.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Joins a base URL and an endpoint path, keeping the base's own path (`…/api/v1` + `/public/me`).
pub fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// A small pseudo-random jitter in `[0, max)`, from the standard library's randomly seeded hasher.
/// A response body, at most [`MAX_BODY`] bytes of it: a reply of gigabytes costs a megabyte.
async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = MAX_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_BODY {
            break;
        }
    }
    Ok(body)
}

fn jitter(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(max.as_nanos() as u64);
    let nanos = max.as_nanos() as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(h.finish() % nanos)
}

/// A `Retry-After` value as a wait from `now`: delay-seconds, or an HTTP-date (IMF-fixdate, RFC 850 or asctime,
/// RFC 9110 §10.2.3); a date in the past means no wait. `None` when it is neither.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(s) = value.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long the provider asks us to wait: `Retry-After` (seconds or an HTTP-date), GitHub/GitLab reset headers
/// when nothing remains, or App Store Connect's `X-Rate-Limit: user-hour-lim:…;user-hour-rem:0;`.
pub fn requested_wait(headers: &HeaderMap) -> Option<Duration> {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(wait) =
        get("retry-after").and_then(|v| parse_retry_after(v, std::time::SystemTime::now()))
    {
        return Some(wait);
    }
    let remaining_zero = ["x-ratelimit-remaining", "ratelimit-remaining"]
        .iter()
        .any(|n| get(n) == Some("0"));
    if remaining_zero {
        for n in ["x-ratelimit-reset", "ratelimit-reset"] {
            if let Some(reset) = get(n).and_then(|v| v.parse::<u64>().ok()) {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                return Some(Duration::from_secs(reset.saturating_sub(now)));
            }
        }
    }
    if let Some(limits) = get("x-rate-limit") {
        let remaining = parse_apple_rate_limit(limits).1;
        if remaining == Some(0) {
            return Some(Duration::from_secs(3600));
        }
    }
    None
}

/// Parses App Store Connect's `user-hour-lim:3600;user-hour-rem:3599;` into (limit, remaining).
pub fn parse_apple_rate_limit(value: &str) -> (Option<u64>, Option<u64>) {
    let mut lim = None;
    let mut rem = None;
    for part in value.split(';') {
        if let Some((k, v)) = part.split_once(':') {
            match k.trim() {
                "user-hour-lim" => lim = v.trim().parse().ok(),
                "user-hour-rem" => rem = v.trim().parse().ok(),
                _ => {}
            }
        }
    }
    (lim, rem)
}

impl HttpClient {
    /// Builds the client from the environment's policy and loopback guard.
    pub fn from_env() -> anyhow::Result<HttpClient> {
        let policy = RetryPolicy::from_env();
        let loopback_only = std::env::var(LOOPBACK_ONLY_ENV).is_ok_and(|v| v == "1");
        HttpClient::new(policy, loopback_only)
    }

    /// Builds a client.
    pub fn new(policy: RetryPolicy, loopback_only: bool) -> anyhow::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(policy.timeout)
            .user_agent(concat!("keysweep/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("building the HTTP client: {e}"))?;
        Ok(HttpClient {
            client,
            policy,
            loopback_only,
        })
    }

    /// [`HttpClient::send`] from synchronous code, on a small runtime of its own.
    pub fn send_blocking(&self, req: &Request) -> anyhow::Result<Response> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| anyhow::anyhow!("starting the async runtime for HTTP calls: {e}"))?;
        Ok(rt.block_on(self.send(req))?)
    }

    /// The retry policy.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// Checks a URL against the loopback guard without sending anything.
    pub fn check_url(&self, url: &str) -> Result<Url, HttpError> {
        let parsed = Url::parse(url).map_err(|e| HttpError::Refused {
            url: url.to_string(),
            reason: format!("not a valid URL: {e}"),
        })?;
        if parsed.scheme() != "https" && parsed.scheme() != "http" {
            return Err(HttpError::Refused {
                url: redact_url(url),
                reason: format!("scheme {:?} is not http(s)", parsed.scheme()),
            });
        }
        if parsed.scheme() == "http" && !is_loopback(&parsed) {
            return Err(HttpError::Refused {
                url: redact_url(url),
                reason: "plain http would send credentials in clear; use https".into(),
            });
        }
        if self.loopback_only && !is_loopback(&parsed) {
            return Err(HttpError::Refused {
                url: redact_url(url),
                reason: format!(
                    "{LOOPBACK_ONLY_ENV}=1 allows only loopback hosts, not {:?}",
                    parsed.host_str().unwrap_or("")
                ),
            });
        }
        Ok(parsed)
    }

    /// Sends a request, retrying 429/5xx answers and transport errors. After the last attempt a retryable
    /// status is returned as the response (the caller maps it to a retryable failure).
    pub async fn send(&self, req: &Request) -> Result<Response, HttpError> {
        let url = self.check_url(&req.url)?;
        let mut last_err = String::new();
        for attempt in 0..self.policy.attempts {
            let mut b = self.client.request(req.method.clone(), url.clone());
            for (k, v) in &req.headers {
                b = b.header(k, v);
            }
            if let Some(body) = &req.body {
                b = b.body(body.clone());
            }
            let timeout = req
                .timeout
                .map_or(self.policy.timeout, |t| t.min(self.policy.timeout));
            b = b.timeout(timeout);
            let last = attempt + 1 == self.policy.attempts;
            let backoff = self.policy.backoff(attempt);
            match b.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    let body = match read_capped(resp).await {
                        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                        Err(e) => {
                            last_err = format!("reading the body: {e}");
                            if !last {
                                tokio::time::sleep(backoff.min(self.policy.cap)).await;
                            }
                            continue;
                        }
                    };
                    let r = Response {
                        status,
                        headers,
                        body,
                    };
                    if !r.retryable() || last {
                        return Ok(r);
                    }
                    let wait = requested_wait(&r.headers).unwrap_or(backoff);
                    tokio::time::sleep(wait.min(self.policy.cap)).await;
                }
                Err(e) => {
                    last_err = if e.is_timeout() {
                        format!("timed out after {timeout:?}")
                    } else {
                        // Without the URL: reqwest errors name it, and it is ours anyway.
                        format!("{}", e.without_url())
                    };
                    if !last {
                        tokio::time::sleep(backoff.min(self.policy.cap)).await;
                    }
                }
            }
        }
        Err(HttpError::Transport {
            method: req.method.to_string(),
            url: redact_url(&req.url),
            message: last_err,
            attempts: self.policy.attempts,
        })
    }
}

/// A URL for messages: the path's last segment is dropped when it may carry a token (npm's token deletion).
pub fn redact_url(url: &str) -> String {
    // Credentials in the URL itself (`https://user:token@host/…`) are never shown.
    let url = match Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string()
        }
        _ => url.to_string(),
    };
    if url.contains("/tokens/token/") {
        match url.rsplit_once('/') {
            Some((head, _)) => format!("{head}/…"),
            None => url,
        }
    } else {
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials_in_messages() {
        assert_eq!(
            redact_url("https://x-access-token:ghp_FAKE@github.com/a/b.git"),
            "https://github.com/a/b.git"
        );
        assert_eq!(
            redact_url("https://github.com/a/b.git"),
            "https://github.com/a/b.git"
        );
    }

    #[test]
    fn retry_backoff_near_u64_max_does_not_overflow() {
        let p = RetryPolicy {
            attempts: 20,
            base: Duration::from_millis(u64::MAX),
            cap: Duration::MAX,
            timeout: Duration::from_secs(1),
        };
        for attempt in [0, 1, 15, 16, 19, u32::MAX] {
            assert!(p.backoff(attempt) >= p.base.min(p.cap));
        }
        // Whatever the environment says, a knob is at most an hour.
        assert!(env_ms("KEYSWEEP_TEST_UNSET_KNOB", u64::MAX) <= MAX_KNOB_MS);
    }

    #[test]
    fn http_response_bodies_are_read_up_to_a_megabyte() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("address");
            let huge = 8 * MAX_BODY;
            tokio::spawn(async move {
                let (mut sock, _) = listener.accept().await.expect("accept");
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {huge}\r\n\r\n");
                let _ = sock.write_all(head.as_bytes()).await;
                let chunk = vec![b'x'; 64 * 1024];
                for _ in 0..huge / chunk.len() {
                    if sock.write_all(&chunk).await.is_err() {
                        break; // the client stopped reading: the point of the cap
                    }
                }
            });
            let client = HttpClient::new(RetryPolicy::from_env(), true).expect("client");
            let r = client
                .send(&Request::new(Method::GET, format!("http://{addr}/big")))
                .await
                .expect("an answer");
            assert_eq!(r.status, 200);
            assert_eq!(r.body.len(), MAX_BODY);
        });
    }

    #[test]
    fn joins_keep_the_base_path() {
        assert_eq!(
            join("https://api.userplane.io/api/v1/", "/public/me"),
            "https://api.userplane.io/api/v1/public/me"
        );
    }

    #[test]
    fn loopback_guard_refuses_real_hosts() {
        let c = HttpClient::new(RetryPolicy::from_env(), true).expect("client");
        assert!(c.check_url("https://api.github.com/user").is_err());
        assert!(c.check_url("http://127.0.0.1:9/x").is_ok());
        assert!(c.check_url("http://[::1]:9/x").is_ok());
        assert!(c.check_url("http://localhost:9/x").is_ok());
        assert!(c.check_url("http://127.0.0.1.evil.example/x").is_err());
        let open = HttpClient::new(RetryPolicy::from_env(), false).expect("client");
        assert!(
            open.check_url("http://keys.example.com/x").is_err(),
            "clear text"
        );
        assert!(open.check_url("https://keys.example.com/x").is_ok());
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        use std::time::{SystemTime, UNIX_EPOCH};
        // 1994-11-06 08:49:37 UTC, RFC 9110's own example date, in its three forms.
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let now = at - Duration::from_secs(90);
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(date, now),
                Some(Duration::from_secs(90)),
                "{date}"
            );
        }
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + Duration::from_secs(5)),
            Some(Duration::ZERO),
            "a date in the past means retry now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        let mut h = HeaderMap::new();
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(61));
        h.insert("retry-after", in_a_minute.parse().expect("header value"));
        let wait = requested_wait(&h).expect("an HTTP-date is honoured");
        assert!(
            wait > Duration::from_secs(50) && wait <= Duration::from_secs(61),
            "{wait:?}"
        );
    }

    #[test]
    fn apple_rate_limit_header() {
        assert_eq!(
            parse_apple_rate_limit("user-hour-lim:3500;user-hour-rem:0;"),
            (Some(3500), Some(0))
        );
    }
}
