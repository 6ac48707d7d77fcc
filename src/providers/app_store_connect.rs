//! App Store Connect (`.p8` EC P-256 keys): liveness by signing a short-lived ES256 JWT with the leaked key and
//! calling `GET /v1/apps?limit=1` (200/403 live; 401 is not proof of death: a wrong Key ID or Issuer ID gets it
//! too). There is no public revoke endpoint, so revocation is
//! `ManualRequired` with the exact steps in App Store Connect.

use reqwest::Method;
use serde::Serialize;

use super::Ctx;
use super::liveness::ProbeTarget;
use super::{LiveState, Probe, RevocationOutcome, excerpt, probe, unknown};
use crate::net::{Request, join, parse_apple_rate_limit};

/// The provider id.
pub const ID: &str = "app-store-connect";

/// Where team keys are managed.
pub const KEYS_URL: &str = "https://appstoreconnect.apple.com/access/integrations/api";

/// Lifetime of the probe's JWT (Apple accepts at most 20 minutes).
pub const JWT_LIFETIME_SECS: u64 = 10 * 60;

/// The JWT claims App Store Connect expects.
#[derive(Debug, Serialize)]
pub struct Claims {
    /// Issuer ID (team keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// `user` (individual keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expiry (Unix seconds), at most 20 minutes after `iat`.
    pub exp: u64,
    /// `appstoreconnect-v1`.
    pub aud: String,
}

/// Signs the probe's JWT with a PKCS#8 DER P-256 key.
pub fn sign_jwt(
    pkcs8_der: &[u8],
    key_id: &str,
    issuer_id: Option<&str>,
    individual: bool,
) -> anyhow::Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = Claims {
        iss: if individual {
            None
        } else {
            issuer_id.map(str::to_string)
        },
        sub: individual.then(|| "user".to_string()),
        iat: now,
        exp: now + JWT_LIFETIME_SECS,
        aud: "appstoreconnect-v1".into(),
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key_id.to_string());
    header.typ = Some("JWT".into());
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_der(pkcs8_der),
    )
    .map_err(|e| anyhow::anyhow!("signing the App Store Connect JWT for key {key_id}: {e}"))
}

/// Probes a key: sign a JWT, `GET /v1/apps?limit=1`.
pub async fn probe_key(
    ctx: &Ctx,
    pkcs8_der: &[u8],
    key_id: Option<&str>,
    issuer_id: Option<&str>,
    individual: bool,
) -> Probe {
    let Some(key_id) = key_id else {
        return unknown("no Key ID known for this key (name it in the inventory)");
    };
    if !individual && issuer_id.is_none() {
        return unknown("no Issuer ID known for this team key (set issuer_id in the inventory)");
    }
    let jwt = match sign_jwt(pkcs8_der, key_id, issuer_id, individual) {
        Ok(j) => j,
        Err(e) => return unknown(format!("{e:#}")),
    };
    let what = "GET /v1/apps?limit=1";
    let req = Request::new(Method::GET, join(&ctx.base_url(ID), "/v1/apps?limit=1")).bearer(&jwt);
    match ctx.http.send(&req).await {
        Ok(r) => {
            let remaining = r
                .headers
                .get("x-rate-limit")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_apple_rate_limit(v).1)
                .map(|n| format!(", {n} requests left this hour"))
                .unwrap_or_default();
            match r.status {
                200 => probe(
                    LiveState::Live,
                    format!("{what}: 200 (key works){remaining}"),
                ),
                403 => probe(
                    LiveState::Live,
                    format!("{what}: 403 (key authenticates, role lacks access){remaining}"),
                ),
                // Apple answers 401 alike for a revoked key and for a Key ID or Issuer ID that does not go
                // with it: not proof that the key is dead.
                401 => probe(
                    LiveState::Unknown,
                    format!(
                        "{what}: 401, not proven dead: the key is revoked, or the Key ID or Issuer ID used is \
                         wrong (check the inventory entry's key_id, issuer_id and kind (team or individual) \
                         against App Store Connect > Users and Access > Integrations){remaining}"
                    ),
                ),
                s => unknown(format!("{what}: HTTP {s}: {}", excerpt(&r.body))),
            }
        }
        Err(e) => unknown(format!("{what}: {e}")),
    }
}

/// The liveness probe of the provider table: the leaked key, decoded, signs the JWT.
pub async fn probe_leaked_key(ctx: &Ctx, t: &ProbeTarget, secret: &str) -> Probe {
    match crate::keys::p256_pkcs8_der(secret.as_bytes()) {
        Some(der) => {
            probe_key(
                ctx,
                &der,
                t.key_id.as_deref(),
                t.issuer_id.as_deref(),
                t.individual,
            )
            .await
        }
        None => unknown("not an EC P-256 private key keysweep can decode"),
    }
}

/// The manual steps (no public revoke endpoint).
pub fn manual(key_id: Option<&str>, individual: bool) -> RevocationOutcome {
    let key = key_id.unwrap_or("the key");
    let mut steps = if individual {
        vec![
            "Sign in to App Store Connect as the key's owner.".to_string(),
            "Open your profile → Individual API Key.".to_string(),
            format!("Revoke {key} and confirm."),
        ]
    } else {
        vec![
            "Sign in to App Store Connect as an Admin or Account Holder.".to_string(),
            "Users and Access → Integrations → App Store Connect API → Team Keys.".to_string(),
            format!("Click Edit, select {key}, click Revoke Key, and confirm."),
        ]
    };
    steps.push(
        "Revocation is irreversible; revoked keys stay listed for 30 days. Issue a new key for its users first."
            .into(),
    );
    steps.push(
        "After revoking, run `keysweep revoke --verify-only`: a key that still works is reported live (Apple's 401 \
         cannot prove it dead, as a wrong Key ID or Issuer ID gets it too)."
            .into(),
    );
    RevocationOutcome::ManualRequired {
        steps,
        url: Some(KEYS_URL.into()),
    }
}
