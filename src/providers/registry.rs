//! The provider table: one record per provider keysweep knows beyond its rules — display name, default API base,
//! liveness probe, revoke method, manual steps and what the inventory's `key_id` holds for it. Adding a provider
//! means one record here (and a module for its calls) plus its rule file; the rules it owns are the rules whose
//! `provider` is its id. Everything that asks "can this provider be probed / revoked, and how" reads this table.

use std::future::Future;
use std::pin::Pin;

use super::liveness::ProbeTarget;
use super::{
    Ctx, app_store_connect, apple, github, gitlab, npm, private_key, probes, slack, userplane,
};
use crate::model::{Probe, RevocationOutcome};

/// A provider call in flight.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A liveness probe: asks the provider whether the leaked credential (`target.secret`, known to be present)
/// still works, using nothing but the credential itself.
pub type ProbeFn = for<'a> fn(&'a Ctx, &'a ProbeTarget, &'a str) -> Call<'a, Probe>;

/// How a provider's keys are revoked.
#[derive(Clone, Copy)]
pub enum Revoker {
    /// No public endpoint: the manual steps are reported.
    Manual,
    /// The leaked token revokes itself (`--include-unlisted` may add such tokens).
    SelfRevoke(for<'a> fn(&'a Ctx, &'a str) -> Call<'a, RevocationOutcome>),
    /// Many tokens in one call of at most `size` (GitHub's credential revocation API); one outcome for all.
    Batch {
        /// Most tokens per call.
        size: usize,
        /// The call.
        call: for<'a> fn(&'a Ctx, &'a [&'a str]) -> Call<'a, RevocationOutcome>,
    },
}

/// Everything keysweep knows about one provider.
pub struct Provider {
    /// The canonical id (`app-store-connect`), as rules, inventory and configuration spell it.
    pub id: &'static str,
    /// The name people know it by.
    pub name: &'static str,
    /// The API base URL, unless `KEYSWEEP_<ID>_URL` or `[providers.<id>] base_url` says otherwise.
    pub default_base: &'static str,
    /// The liveness probe, if the provider offers one.
    pub probe: Option<ProbeFn>,
    /// How its keys are revoked.
    pub revoke: Revoker,
    /// The steps a person takes to revoke a key (`key_id`, and whether it is an individual key).
    pub manual: fn(Option<&str>, bool) -> RevocationOutcome,
    /// What an inventory entry's `key_id` is for this provider.
    pub key_id: &'static str,
}

impl Provider {
    /// Whether a leaked token can revoke itself through the provider's API.
    pub fn self_revocable(&self) -> bool {
        !matches!(self.revoke, Revoker::Manual)
    }
}

/// Whether probing `t` with `secret` sends a request: a provider's own probe always does; a probe of the
/// [`probes::catalogue`] only when one of its requests applies to the secret and can be built.
pub fn probe_sends(ctx: &Ctx, t: &ProbeTarget, secret: &str) -> bool {
    match get(&t.provider) {
        Some(p) if p.probe.is_some() => {
            probes::catalogue::get(&t.provider).is_none() || probes::would_send(ctx, t, secret)
        }
        _ => false,
    }
}

/// A provider keysweep only probes, with the read-only request of [`probes::catalogue`]; its keys are revoked
/// by hand, or by a configured `kind = "http"` revoker.
macro_rules! probed {
    ($id:literal, $name:literal, $base:literal, $key_id:literal) => {
        Provider {
            id: $id,
            name: $name,
            default_base: $base,
            probe: Some(probes::probe),
            revoke: Revoker::Manual,
            manual: |_, _| probes::manual($id),
            key_id: $key_id,
        }
    };
}

/// The built-in providers.
pub static PROVIDERS: &[Provider] = &[
    Provider {
        id: app_store_connect::ID,
        name: "App Store Connect",
        default_base: "https://api.appstoreconnect.apple.com",
        probe: Some(|ctx, t, secret| Box::pin(app_store_connect::probe_leaked_key(ctx, t, secret))),
        revoke: Revoker::Manual,
        manual: app_store_connect::manual,
        key_id: "the 10-character Key ID (AuthKey_<KEYID>.p8); team keys also need issuer_id",
    },
    Provider {
        id: apple::APNS,
        name: "Apple Push Notification service (APNs)",
        default_base: "",
        probe: None,
        revoke: Revoker::Manual,
        manual: apple::manual_apns,
        key_id: "the 10-character Key ID (AuthKey_<KEYID>.p8)",
    },
    Provider {
        id: apple::SIGN_IN,
        name: "Sign in with Apple",
        default_base: "",
        probe: None,
        revoke: Revoker::Manual,
        manual: apple::manual_sign_in,
        key_id: "the 10-character Key ID (AuthKey_<KEYID>.p8)",
    },
    Provider {
        id: apple::MUSICKIT,
        name: "Apple MusicKit",
        default_base: "",
        probe: None,
        revoke: Revoker::Manual,
        manual: apple::manual_musickit,
        key_id: "the 10-character Key ID (AuthKey_<KEYID>.p8)",
    },
    Provider {
        id: apple::IN_APP_PURCHASE,
        name: "Apple In-App Purchase",
        default_base: "",
        probe: None,
        revoke: Revoker::Manual,
        manual: apple::manual_in_app_purchase,
        key_id: "the 10-character Key ID (SubscriptionKey_<KEYID>.p8)",
    },
    Provider {
        id: private_key::ID,
        name: "Private key (no known provider)",
        default_base: "",
        probe: None,
        revoke: Revoker::Manual,
        manual: private_key::manual,
        key_id: "a name for the key (where it is used)",
    },
    Provider {
        id: userplane::ID,
        name: "Userplane",
        default_base: "https://api.userplane.io/api/v1",
        probe: Some(|ctx, _, secret| Box::pin(userplane::probe_token(ctx, secret))),
        revoke: Revoker::Manual,
        manual: |key_id, _| userplane::manual(key_id),
        key_id: "the key's name or id in Account Settings → Developers",
    },
    Provider {
        id: github::ID,
        name: "GitHub",
        default_base: "https://api.github.com",
        probe: Some(|ctx, _, secret| Box::pin(github::probe_token(ctx, secret))),
        revoke: Revoker::Batch {
            size: github::BATCH,
            call: |ctx, tokens| Box::pin(github::revoke_batch(ctx, tokens)),
        },
        manual: github::manual,
        key_id: "a name for the token (GitHub tokens have no public id)",
    },
    Provider {
        id: gitlab::ID,
        name: "GitLab",
        default_base: "https://gitlab.com",
        probe: Some(|ctx, _, secret| Box::pin(gitlab::probe_token(ctx, secret))),
        revoke: Revoker::SelfRevoke(|ctx, secret| Box::pin(gitlab::revoke(ctx, secret))),
        manual: gitlab::manual,
        key_id: "the personal access token's id or name",
    },
    Provider {
        id: slack::ID,
        name: "Slack",
        default_base: "https://slack.com/api",
        probe: Some(|ctx, _, secret| Box::pin(slack::probe_token(ctx, secret))),
        revoke: Revoker::SelfRevoke(|ctx, secret| Box::pin(slack::revoke(ctx, secret))),
        manual: slack::manual,
        key_id: "a name for the token (the app or bot it belongs to)",
    },
    Provider {
        id: npm::ID,
        name: "npm",
        default_base: "https://registry.npmjs.org",
        probe: Some(|ctx, _, secret| Box::pin(npm::probe_token(ctx, secret))),
        revoke: Revoker::SelfRevoke(|ctx, secret| Box::pin(npm::revoke(ctx, secret))),
        manual: npm::manual,
        key_id: "the token's id (`npm token list`) or a name",
    },
    probed!(
        "stripe",
        "Stripe",
        "https://api.stripe.com",
        "the key's name in the dashboard (API keys)"
    ),
    probed!(
        "openai",
        "OpenAI",
        "https://api.openai.com",
        "the key's name in the project's API keys"
    ),
    probed!(
        "anthropic",
        "Anthropic",
        "https://api.anthropic.com",
        "the key's name in the console"
    ),
    probed!(
        "sendgrid",
        "SendGrid",
        "https://api.sendgrid.com",
        "the API key's name or id"
    ),
    probed!(
        "mailgun",
        "Mailgun",
        "https://api.mailgun.net",
        "the API key's description or id"
    ),
    probed!(
        "mailchimp",
        "Mailchimp",
        "https://{dc}.api.mailchimp.com",
        "the API key's label"
    ),
    probed!(
        "twilio",
        "Twilio",
        "https://api.twilio.com",
        "the Account SID (AC…) the auth token belongs to, or the API key SID"
    ),
    probed!(
        "discord",
        "Discord",
        "https://discord.com",
        "the application or webhook id"
    ),
    probed!(
        "telegram",
        "Telegram",
        "https://api.telegram.org",
        "the bot's user name"
    ),
    probed!(
        "huggingface",
        "Hugging Face",
        "https://huggingface.co",
        "the token's name"
    ),
    probed!(
        "digitalocean",
        "DigitalOcean",
        "https://api.digitalocean.com",
        "the token's name"
    ),
    probed!(
        "heroku",
        "Heroku",
        "https://api.heroku.com",
        "the authorization's id or description"
    ),
    probed!(
        "datadog",
        "Datadog",
        "https://api.datadoghq.com",
        "the key's name or id"
    ),
    probed!(
        "newrelic",
        "New Relic",
        "https://api.newrelic.com",
        "the key's id or name"
    ),
    probed!("sentry", "Sentry", "https://sentry.io", "the token's name"),
    probed!(
        "cloudflare",
        "Cloudflare",
        "https://api.cloudflare.com",
        "the token's name or id"
    ),
    probed!(
        "linear",
        "Linear",
        "https://api.linear.app",
        "the key's label"
    ),
    probed!(
        "notion",
        "Notion",
        "https://api.notion.com",
        "the integration's name"
    ),
    probed!(
        "airtable",
        "Airtable",
        "https://api.airtable.com",
        "the token's name"
    ),
    probed!(
        "asana",
        "Asana",
        "https://app.asana.com",
        "the token's description"
    ),
    probed!(
        "postman",
        "Postman",
        "https://api.getpostman.com",
        "the key's name"
    ),
    probed!(
        "mapbox",
        "Mapbox",
        "https://api.mapbox.com",
        "the token's name or id"
    ),
    probed!(
        "vercel",
        "Vercel",
        "https://api.vercel.com",
        "the token's name"
    ),
    probed!(
        "netlify",
        "Netlify",
        "https://api.netlify.com",
        "the token's description"
    ),
    probed!(
        "doppler",
        "Doppler",
        "https://api.doppler.com",
        "the token's name or slug"
    ),
    probed!("groq", "Groq", "https://api.groq.com", "the key's name"),
    probed!(
        "figma",
        "Figma",
        "https://api.figma.com",
        "the token's description"
    ),
    probed!(
        "dropbox",
        "Dropbox",
        "https://api.dropboxapi.com",
        "the app's name"
    ),
    probed!(
        "pulumi",
        "Pulumi",
        "https://api.pulumi.com",
        "the token's description"
    ),
    probed!(
        "buildkite",
        "Buildkite",
        "https://api.buildkite.com",
        "the token's description"
    ),
    probed!(
        "tailscale",
        "Tailscale",
        "https://api.tailscale.com",
        "the key's id (k…)"
    ),
    probed!(
        "hashicorp",
        "HashiCorp",
        "https://app.terraform.io",
        "the token's description"
    ),
    probed!(
        "fastly",
        "Fastly",
        "https://api.fastly.com",
        "the token's name or id"
    ),
    probed!("brevo", "Brevo", "https://api.brevo.com", "the key's name"),
    probed!(
        "contentful",
        "Contentful",
        "https://api.contentful.com",
        "the token's name"
    ),
    probed!(
        "supabase",
        "Supabase",
        "https://api.supabase.com",
        "the token's name"
    ),
    probed!(
        "square",
        "Square",
        "https://connect.squareup.com",
        "the application's name or id"
    ),
    probed!(
        "prefect",
        "Prefect",
        "https://api.prefect.cloud",
        "the key's name"
    ),
];

/// The record of a built-in provider.
pub fn get(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_canonical() {
        let mut ids: Vec<&str> = PROVIDERS.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), PROVIDERS.len(), "duplicate provider id");
        for id in ids {
            assert!(
                id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{id} is not lowercase and dash-separated"
            );
        }
    }

    /// A provider's record and its rule file are all it takes: the inventory knows a provider by its rules.
    #[test]
    fn every_provider_with_a_record_has_rules() {
        let rules = crate::rules::RuleSet::builtin().expect("built-in rules load");
        for p in PROVIDERS {
            assert!(
                rules.rules.iter().any(|r| r.provider == p.id),
                "provider {} has a record but no rule",
                p.id
            );
        }
    }
}
