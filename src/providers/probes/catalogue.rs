//! The probe catalogue: for each provider, the one read-only request that tells whether a leaked credential
//! works, and what its answers mean. Sources are each request's `docs` link; `docs/verify.md` repeats them for
//! people. A status a provider uses for more than one thing is "not proven" (unknown), never guessed.

use serde_json::Value;

use super::{Auth, Entry, Spec, Verb};
use crate::model::LiveState;
use crate::net::Response;

/// A request with the common defaults: `GET`, no extra headers or body, 200 live, 401 dead.
const fn request(
    kind: &'static str,
    applies: fn(&str) -> bool,
    path: &'static str,
    auth: Auth,
    docs: &'static str,
) -> Spec {
    Spec {
        kind,
        applies,
        method: Verb::Get,
        path,
        auth,
        headers: &[],
        body: None,
        live: &[200],
        dead: &[401],
        notes: &[],
        read: None,
        docs,
    }
}

fn any(_: &str) -> bool {
    true
}

fn json_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a Value> {
    v.pointer(pointer).filter(|x| !x.is_null())
}

/// A 200 whose body lacks what the provider always sends with a working credential is not proof.
const NO_PROOF: (LiveState, &str) = (
    LiveState::Unknown,
    "without the documented answer (not proven)",
);

/// A 200 is live when the body has `pointer` (neither null nor false), else not proof; other statuses are left
/// to the status lists.
fn proof(r: &Response, pointer: &str, says: &'static str) -> Option<(LiveState, &'static str)> {
    if r.status != 200 {
        return None;
    }
    let found = r
        .json()
        .is_some_and(|v| json_at(&v, pointer).is_some_and(|x| x != &Value::Bool(false)));
    Some(if found {
        (LiveState::Live, says)
    } else {
        NO_PROOF
    })
}

fn telegram_token(secret: &str) -> Option<&str> {
    let (id, rest) = secret.split_once(':')?;
    let ok = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then_some(secret)
}

/// `<id>/<token>` of a Discord webhook URL.
fn discord_webhook(secret: &str) -> Option<&str> {
    let (_, tail) = secret.split_once("/api/webhooks/")?;
    let (id, token) = tail.split_once('/')?;
    let ok = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then_some(tail)
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Every provider with a probe in this catalogue.
pub static CATALOGUE: &[Entry] = &[
    Entry {
        id: "stripe",
        also: &[],
        specs: &[Spec {
            live: &[200, 403],
            notes: &[(
                403,
                "a restricted key without the balance read permission: authenticated",
            )],
            ..request(
                "secret or restricted key",
                |s| {
                    ["sk_live_", "sk_test_", "rk_live_", "rk_test_"]
                        .iter()
                        .any(|p| s.starts_with(p))
                },
                "/v1/balance",
                Auth::Bearer,
                "https://docs.stripe.com/api/balance/balance_retrieve",
            )
        }],
        unprobed: "a webhook signing secret (whsec_) signs payloads and authenticates no API call",
        console: "https://dashboard.stripe.com/apikeys",
    },
    Entry {
        id: "openai",
        also: &[],
        specs: &[
            Spec {
                notes: &[(
                    403,
                    "not proven: OpenAI answers 403 to a key without this permission and from an unsupported region",
                )],
                ..request(
                    "admin key",
                    |s| s.starts_with("sk-admin-"),
                    "/v1/organization/projects?limit=1",
                    Auth::Bearer,
                    "https://platform.openai.com/docs/api-reference/projects/list",
                )
            },
            Spec {
                notes: &[(
                    403,
                    "not proven: OpenAI answers 403 to a key without the models permission and from an unsupported region",
                )],
                ..request(
                    "API key",
                    any,
                    "/v1/models",
                    Auth::Bearer,
                    "https://platform.openai.com/docs/api-reference/models/list",
                )
            },
        ],
        unprobed: "",
        console: "https://platform.openai.com/api-keys",
    },
    Entry {
        id: "anthropic",
        also: &[],
        specs: &[
            Spec {
                headers: &[("anthropic-version", "2023-06-01")],
                notes: &[(403, "not proven: permission_error")],
                ..request(
                    "admin key",
                    |s| s.starts_with("sk-ant-admin"),
                    "/v1/organizations/me",
                    Auth::Header("x-api-key"),
                    "https://docs.anthropic.com/en/api/admin-api/organization/get-me",
                )
            },
            Spec {
                headers: &[("anthropic-version", "2023-06-01")],
                notes: &[(403, "not proven: permission_error")],
                ..request(
                    "API key",
                    any,
                    "/v1/models",
                    Auth::Header("x-api-key"),
                    "https://docs.anthropic.com/en/api/models-list",
                )
            },
        ],
        unprobed: "",
        console: "https://console.anthropic.com/settings/keys",
    },
    Entry {
        id: "sendgrid",
        also: &[],
        specs: &[request(
            "API key",
            any,
            "/v3/scopes",
            Auth::Bearer,
            "https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions/retrieve-a-list-of-scopes-for-which-this-user-has-access",
        )],
        unprobed: "",
        console: "https://app.sendgrid.com/settings/api_keys",
    },
    Entry {
        id: "mailgun",
        also: &[],
        specs: &[Spec {
            live: &[200, 403],
            notes: &[(
                403,
                "authenticated but not permitted (a domain sending key)",
            )],
            ..request(
                "API key",
                any,
                "/v3/domains?limit=1",
                Auth::BasicPassword("api"),
                "https://documentation.mailgun.com/docs/mailgun/api-reference/authentication/",
            )
        }],
        unprobed: "",
        console: "https://app.mailgun.com/settings/api_security",
    },
    Entry {
        id: "mailchimp",
        also: &[],
        specs: &[request(
            "API key",
            any,
            "/3.0/ping",
            Auth::BasicPassword("keysweep"),
            "https://mailchimp.com/developer/marketing/api/ping/",
        )],
        unprobed: "",
        console: "https://admin.mailchimp.com/account/api/",
    },
    Entry {
        id: "twilio",
        also: &[],
        specs: &[Spec {
            dead: &[],
            notes: &[(
                401,
                "not proven: Twilio answers 401 to a dead token and to a token paired with another account's SID",
            )],
            ..request(
                "auth token with its Account SID",
                |s| is_hex(s, 32),
                "/2010-04-01/Accounts/{key_id}.json",
                Auth::BasicKeyId,
                "https://www.twilio.com/docs/usage/api/account#fetch-an-account-resource",
            )
        }],
        unprobed: "an API key SID (SK…) is an identifier; its secret is needed to authenticate",
        console: "https://console.twilio.com/",
    },
    Entry {
        id: "discord",
        also: &[],
        specs: &[
            Spec {
                dead: &[401, 404],
                notes: &[(404, "unknown webhook")],
                ..request(
                    "webhook URL",
                    |s| s.starts_with("https://"),
                    "/api/webhooks/{secret}",
                    Auth::Path(discord_webhook),
                    "https://discord.com/developers/docs/resources/webhook#get-webhook-with-token",
                )
            },
            request(
                "bot token",
                any,
                "/api/v10/users/@me",
                Auth::Scheme("Bot"),
                "https://discord.com/developers/docs/resources/user#get-current-user",
            ),
        ],
        unprobed: "",
        console: "https://discord.com/developers/applications",
    },
    Entry {
        id: "telegram",
        also: &[],
        specs: &[Spec {
            live: &[],
            notes: &[(404, "not proven: Telegram answers 404 to a malformed token")],
            read: Some(|r| proof(r, "/ok", "ok (the bot token works)")),
            ..request(
                "bot token",
                any,
                "/bot{secret}/getMe",
                Auth::Path(telegram_token),
                "https://core.telegram.org/bots/api#getme",
            )
        }],
        unprobed: "",
        console: "https://t.me/BotFather",
    },
    Entry {
        id: "huggingface",
        also: &[],
        specs: &[request(
            "access token",
            any,
            "/api/whoami-v2",
            Auth::Bearer,
            "https://huggingface.co/docs/huggingface_hub/package_reference/hf_api#huggingface_hub.HfApi.whoami",
        )],
        unprobed: "",
        console: "https://huggingface.co/settings/tokens",
    },
    Entry {
        id: "digitalocean",
        also: &[],
        specs: &[Spec {
            live: &[200, 403],
            notes: &[(
                403,
                "a custom-scoped token without account:read: authenticated",
            )],
            ..request(
                "personal or OAuth access token",
                |s| s.starts_with("dop_v1_") || s.starts_with("doo_v1_"),
                "/v2/account",
                Auth::Bearer,
                "https://docs.digitalocean.com/reference/api/digitalocean/#tag/Account/operation/account_get",
            )
        }],
        unprobed: "a refresh token (dor_v1_) is only exchanged for a new access token, which would rotate it",
        console: "https://cloud.digitalocean.com/account/api/tokens",
    },
    Entry {
        id: "heroku",
        also: &[],
        specs: &[Spec {
            headers: &[("Accept", "application/vnd.heroku+json; version=3")],
            ..request(
                "API key",
                any,
                "/account",
                Auth::Bearer,
                "https://devcenter.heroku.com/articles/platform-api-reference#account-info",
            )
        }],
        unprobed: "",
        console: "https://dashboard.heroku.com/account/applications",
    },
    Entry {
        id: "datadog",
        also: &[
            "https://api.datadoghq.eu",
            "https://api.us3.datadoghq.com",
            "https://api.us5.datadoghq.com",
            "https://api.ap1.datadoghq.com",
            "https://api.ap2.datadoghq.com",
            "https://api.uk1.datadoghq.com",
            "https://api.ddog-gov.com",
            "https://api.us2.ddog-gov.com",
        ],
        specs: &[Spec {
            live: &[],
            dead: &[403],
            read: Some(|r| proof(r, "/valid", "valid (the API key works)")),
            ..request(
                "API key",
                |s| is_hex(s, 32),
                "/api/v1/validate",
                Auth::Header("DD-API-KEY"),
                "https://docs.datadoghq.com/api/latest/authentication/#validate-api-key",
            )
        }],
        unprobed: "an application key works only together with its organisation's API key",
        console: "https://app.datadoghq.com/organization-settings/api-keys",
    },
    Entry {
        id: "newrelic",
        also: &["https://api.eu.newrelic.com"],
        specs: &[Spec {
            method: Verb::Post,
            headers: &[("Content-Type", "application/json")],
            body: Some(r#"{"query":"{ actor { user { id } } }"}"#),
            live: &[],
            read: Some(|r| {
                let bad_key = |e: &Value| {
                    let message = e
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    e.pointer("/extensions/error_code").and_then(Value::as_str)
                        == Some("BAD_API_KEY")
                        || message.contains("invalid api key")
                        || message.contains("bad api key")
                };
                let dead = "BAD_API_KEY (revoked or unknown)";
                graphql(
                    r,
                    "/data/actor/user",
                    "actor.user (the key works)",
                    bad_key,
                    dead,
                )
            }),
            ..request(
                "user API key",
                |s| s.starts_with("NRAK-"),
                "/graphql",
                Auth::Header("API-Key"),
                "https://docs.newrelic.com/docs/apis/nerdgraph/get-started/introduction-new-relic-nerdgraph/",
            )
        }],
        unprobed: "license and Insights insert keys only send data (a write); a query key needs its account id",
        console: "https://one.newrelic.com/api-keys",
    },
    Entry {
        id: "sentry",
        also: &[],
        specs: &[Spec {
            live: &[],
            read: Some(|r| proof(r, "/auth", "authenticated (the token works)")),
            ..request(
                "auth token",
                |s| s.starts_with("sntrys_") || s.starts_with("sntryu_"),
                "/api/0/",
                Auth::Bearer,
                "https://docs.sentry.io/api/auth/",
            )
        }],
        unprobed: "a DSN only sends events (a write)",
        console: "https://sentry.io/settings/account/api/auth-tokens/",
    },
    Entry {
        id: "cloudflare",
        also: &[],
        specs: &[
            Spec {
                live: &[],
                read: Some(cloudflare_verify),
                ..request(
                    "user API token",
                    |s| s.starts_with("cfut_"),
                    "/client/v4/user/tokens/verify",
                    Auth::Bearer,
                    "https://developers.cloudflare.com/api/resources/user/subresources/tokens/methods/verify/",
                )
            },
            Spec {
                live: &[],
                dead: &[],
                notes: &[(
                    401,
                    "not proven: an account-owned token of this format is verified under its account, not the user",
                )],
                read: Some(cloudflare_verify),
                ..request(
                    "API token (unprefixed)",
                    |s| s.len() == 40,
                    "/client/v4/user/tokens/verify",
                    Auth::Bearer,
                    "https://developers.cloudflare.com/api/resources/user/subresources/tokens/methods/verify/",
                )
            },
        ],
        unprobed: "an account token (cfat_) is verified under its account id, which it does not carry; a Global API \
                   key needs its account's e-mail address; an Origin CA key only signs certificates",
        console: "https://dash.cloudflare.com/profile/api-tokens",
    },
    Entry {
        id: "linear",
        also: &[],
        specs: &[
            linear("API key", |s| s.starts_with("lin_api_"), Auth::Scheme("")),
            linear("OAuth token", any, Auth::Bearer),
        ],
        unprobed: "",
        console: "https://linear.app/settings/account/security",
    },
    Entry {
        id: "notion",
        also: &[],
        specs: &[Spec {
            headers: &[("Notion-Version", "2022-06-28")],
            ..request(
                "integration token",
                any,
                "/v1/users/me",
                Auth::Bearer,
                "https://developers.notion.com/reference/get-self",
            )
        }],
        unprobed: "",
        console: "https://www.notion.so/profile/integrations",
    },
    Entry {
        id: "airtable",
        also: &[],
        specs: &[request(
            "personal access token",
            any,
            "/v0/meta/whoami",
            Auth::Bearer,
            "https://airtable.com/developers/web/api/get-user-id-scopes",
        )],
        unprobed: "",
        console: "https://airtable.com/create/tokens",
    },
    Entry {
        id: "asana",
        also: &[],
        specs: &[request(
            "personal access token",
            any,
            "/api/1.0/users/me",
            Auth::Bearer,
            "https://developers.asana.com/reference/getuser",
        )],
        unprobed: "",
        console: "https://app.asana.com/0/my-apps",
    },
    Entry {
        id: "postman",
        also: &[],
        specs: &[request(
            "API key",
            any,
            "/me",
            Auth::Header("X-Api-Key"),
            "https://learning.postman.com/docs/developer/postman-api/authentication/",
        )],
        unprobed: "",
        console: "https://go.postman.co/settings/me/api-keys",
    },
    Entry {
        id: "mapbox",
        also: &[],
        specs: &[Spec {
            live: &[],
            read: Some(|r| {
                let code = r.json()?.get("code")?.as_str()?.to_string();
                Some(match code.as_str() {
                    "TokenValid" => (LiveState::Live, "TokenValid (the token works)"),
                    "TokenExpired" => (LiveState::Dead, "TokenExpired"),
                    "TokenRevoked" => (LiveState::Dead, "TokenRevoked"),
                    "TokenInvalid" => (LiveState::Dead, "TokenInvalid"),
                    _ => (LiveState::Unknown, "an unlisted code (not proven)"),
                })
            }),
            ..request(
                "secret token",
                any,
                "/tokens/v2",
                Auth::Query("access_token"),
                "https://docs.mapbox.com/api/accounts/tokens/#retrieve-a-token",
            )
        }],
        unprobed: "",
        console: "https://console.mapbox.com/account/access-tokens/",
    },
    Entry {
        id: "vercel",
        also: &[],
        specs: &[Spec {
            notes: &[(
                403,
                "not proven: Vercel answers 403 to a token scoped away from the user as well",
            )],
            read: Some(|r| {
                dead_when(r, 403, |v| {
                    v.pointer("/error/invalidToken") == Some(&Value::Bool(true))
                })
                .then_some((
                    LiveState::Dead,
                    "invalidToken (revoked, expired or unknown)",
                ))
            }),
            ..request(
                "access token",
                any,
                "/v2/user",
                Auth::Bearer,
                "https://vercel.com/docs/rest-api/reference/endpoints/user/get-the-user",
            )
        }],
        unprobed: "",
        console: "https://vercel.com/account/settings/tokens",
    },
    Entry {
        id: "netlify",
        also: &[],
        specs: &[request(
            "personal access token",
            any,
            "/api/v1/user",
            Auth::Bearer,
            "https://open-api.netlify.com/#tag/user/operation/getCurrentUser",
        )],
        unprobed: "",
        console: "https://app.netlify.com/user/applications#personal-access-tokens",
    },
    Entry {
        id: "doppler",
        also: &[],
        specs: &[request(
            "personal, service or service account token",
            any,
            "/v3/me",
            Auth::Bearer,
            "https://docs.doppler.com/reference/auth-me",
        )],
        unprobed: "",
        console: "https://dashboard.doppler.com/",
    },
    Entry {
        id: "groq",
        also: &[],
        specs: &[request(
            "API key",
            any,
            "/openai/v1/models",
            Auth::Bearer,
            "https://console.groq.com/docs/api-reference#models-list",
        )],
        unprobed: "",
        console: "https://console.groq.com/keys",
    },
    Entry {
        id: "figma",
        also: &[],
        specs: &[Spec {
            notes: &[(
                403,
                "not proven: Figma answers 403 to a token without the current_user:read scope as well",
            )],
            read: Some(|r| {
                dead_when(r, 403, |v| {
                    v.get("err")
                        .and_then(Value::as_str)
                        .is_some_and(|e| e.eq_ignore_ascii_case("invalid token"))
                })
                .then_some((
                    LiveState::Dead,
                    "Invalid token (revoked, expired or unknown)",
                ))
            }),
            ..request(
                "personal access token",
                any,
                "/v1/me",
                Auth::Header("X-Figma-Token"),
                "https://www.figma.com/developers/api#get-me-endpoint",
            )
        }],
        unprobed: "",
        console: "https://www.figma.com/settings",
    },
    Entry {
        id: "dropbox",
        also: &[],
        specs: &[Spec {
            method: Verb::Post,
            headers: &[("Content-Type", "application/json")],
            body: Some("null"),
            ..request(
                "access token",
                any,
                "/2/users/get_current_account",
                Auth::Bearer,
                "https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account",
            )
        }],
        unprobed: "",
        console: "https://www.dropbox.com/account/connected_apps",
    },
    Entry {
        id: "pulumi",
        also: &[],
        specs: &[Spec {
            headers: &[("Accept", "application/vnd.pulumi+8")],
            ..request(
                "access token",
                any,
                "/api/user",
                Auth::Scheme("token"),
                "https://www.pulumi.com/docs/pulumi-cloud/reference/cloud-rest-api/",
            )
        }],
        unprobed: "",
        console: "https://app.pulumi.com/account/tokens",
    },
    Entry {
        id: "buildkite",
        also: &[],
        specs: &[request(
            "API access token",
            any,
            "/v2/access-token",
            Auth::Bearer,
            "https://buildkite.com/docs/apis/rest-api/access-token",
        )],
        unprobed: "",
        console: "https://buildkite.com/user/api-access-tokens",
    },
    Entry {
        id: "tailscale",
        also: &[],
        specs: &[request(
            "API access token",
            |s| s.starts_with("tskey-api-"),
            "/api/v2/tailnet/-/keys",
            Auth::Bearer,
            "https://tailscale.com/api#tag/keys/get/tailnet/{tailnet}/keys",
        )],
        unprobed: "an auth key only joins devices, an OAuth client secret is exchanged for a new token, and SCIM and \
                   webhook secrets authenticate no API call",
        console: "https://login.tailscale.com/admin/settings/keys",
    },
    Entry {
        id: "hashicorp",
        also: &[],
        specs: &[Spec {
            headers: &[("Content-Type", "application/vnd.api+json")],
            notes: &[(
                404,
                "not proven: a team or organization token has no account (HCP Terraform answers 404)",
            )],
            ..request(
                "Terraform Cloud API token",
                |s| s.contains(".atlasv1."),
                "/api/v2/account/details",
                Auth::Bearer,
                "https://developer.hashicorp.com/terraform/cloud-docs/api-docs/account#get-your-account-details",
            )
        }],
        unprobed: "a Vault token is only accepted by its own Vault server, whose address it does not carry",
        console: "https://app.terraform.io/app/settings/tokens",
    },
    Entry {
        id: "fastly",
        also: &[],
        specs: &[Spec {
            notes: &[(403, "not proven: a token without access to this call")],
            ..request(
                "API token",
                any,
                "/tokens/self",
                Auth::Header("Fastly-Key"),
                "https://www.fastly.com/documentation/reference/api/auth-tokens/user/",
            )
        }],
        unprobed: "",
        console: "https://manage.fastly.com/account/personal/tokens",
    },
    Entry {
        id: "brevo",
        also: &[],
        specs: &[Spec {
            dead: &[],
            read: Some(|r| {
                let ip = r
                    .json()
                    .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                    .is_some_and(|m| m.to_ascii_lowercase().contains("ip address"));
                match r.status {
                    401 if ip => Some((
                        LiveState::Unknown,
                        "the key is restricted to other IP addresses (not proven)",
                    )),
                    401 => Some((LiveState::Dead, "(revoked, expired or unknown)")),
                    _ => None,
                }
            }),
            ..request(
                "API key",
                any,
                "/v3/account",
                Auth::Header("api-key"),
                "https://developers.brevo.com/reference/getaccount",
            )
        }],
        unprobed: "",
        console: "https://app.brevo.com/settings/keys/api",
    },
    Entry {
        id: "contentful",
        also: &[],
        specs: &[request(
            "content management personal access token",
            any,
            "/users/me",
            Auth::Bearer,
            "https://www.contentful.com/developers/docs/references/content-management-api/#/reference/users/user/get-the-authenticated-user",
        )],
        unprobed: "",
        console: "https://app.contentful.com/account/profile/cma_tokens",
    },
    Entry {
        id: "supabase",
        also: &[],
        specs: &[request(
            "management API access token",
            |s| s.starts_with("sbp_"),
            "/v1/organizations",
            Auth::Bearer,
            "https://supabase.com/docs/reference/api/v1-list-all-organizations",
        )],
        unprobed: "a project's secret or service_role key is accepted only by its own project URL, which it does \
                   not carry",
        console: "https://supabase.com/dashboard/account/tokens",
    },
    Entry {
        id: "square",
        also: &["https://connect.squareupsandbox.com"],
        specs: &[request(
            "access token",
            |s| s.starts_with("EAAA") || s.starts_with("sq0atp-"),
            "/v2/merchants/me",
            Auth::Bearer,
            "https://developer.squareup.com/reference/square/merchants-api/retrieve-merchant",
        )],
        unprobed: "an OAuth application secret (sq0csp-) is only exchanged for tokens",
        console: "https://developer.squareup.com/apps",
    },
    Entry {
        id: "prefect",
        also: &[],
        specs: &[request(
            "API key",
            any,
            "/api/me/",
            Auth::Bearer,
            "https://app.prefect.cloud/api/docs",
        )],
        unprobed: "",
        console: "https://app.prefect.cloud/my/api-keys",
    },
];

/// Linear's GraphQL `viewer` query, with the key as `Authorization` (API keys bare, OAuth tokens as Bearer).
const fn linear(kind: &'static str, applies: fn(&str) -> bool, auth: Auth) -> Spec {
    Spec {
        method: Verb::Post,
        headers: &[("Content-Type", "application/json")],
        body: Some(r#"{"query":"{ viewer { id } }"}"#),
        live: &[],
        read: Some(|r| {
            let unauthenticated = |e: &Value| {
                e.pointer("/extensions/code").and_then(Value::as_str)
                    == Some("AUTHENTICATION_ERROR")
                    || e.pointer("/extensions/type").and_then(Value::as_str)
                        == Some("authentication error")
            };
            let dead = "AUTHENTICATION_ERROR (revoked or unknown)";
            graphql(
                r,
                "/data/viewer",
                "viewer (the key works)",
                unauthenticated,
                dead,
            )
        }),
        ..request(
            kind,
            applies,
            "/graphql",
            auth,
            "https://linear.app/developers/graphql#authentication",
        )
    }
}

/// A GraphQL answer: live when a 200 carries `data` at `pointer`; dead when an error is one `dead` recognises
/// (`dead_says` then);
/// a 200 with neither is not proof; other statuses are left to the status lists.
fn graphql(
    r: &Response,
    pointer: &str,
    says: &'static str,
    dead: fn(&Value) -> bool,
    dead_says: &'static str,
) -> Option<(LiveState, &'static str)> {
    let v = r.json()?;
    if r.status == 200 && json_at(&v, pointer).is_some() {
        return Some((LiveState::Live, says));
    }
    let rejected = v
        .get("errors")
        .and_then(Value::as_array)
        .is_some_and(|errors| errors.iter().any(dead));
    if rejected {
        Some((LiveState::Dead, dead_says))
    } else if r.status == 200 {
        Some(NO_PROOF)
    } else {
        None
    }
}

/// Whether a reply of this status carries the body that proves the credential dead.
fn dead_when(r: &Response, status: u16, says_dead: fn(&Value) -> bool) -> bool {
    r.status == status && r.json().is_some_and(|v| says_dead(&v))
}

/// Cloudflare's token verification: `result.status` says active, disabled or expired.
fn cloudflare_verify(r: &Response) -> Option<(LiveState, &'static str)> {
    let v = r.json()?;
    match json_at(&v, "/result/status").and_then(Value::as_str) {
        Some("active") if r.status == 200 => Some((LiveState::Live, "active (the token works)")),
        Some("disabled") => Some((
            LiveState::Disabled,
            "disabled (can be re-enabled: revoke it)",
        )),
        Some("expired") => Some((LiveState::Dead, "expired")),
        _ if r.status == 200 => Some(NO_PROOF),
        _ => None,
    }
}

/// The catalogue entry of a provider.
pub fn get(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.id == id)
}
