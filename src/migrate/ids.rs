//! Which keysweep built-in rules stand for a gitleaks default rule id, where the equivalence is obvious (the
//! same token format). Used for `[extend] disabledRules`, for ignore-file entries and for rules a config
//! overrides; an id not listed here is named as having no equivalent. A test holds every keysweep id to the
//! built-in rules.

/// gitleaks default rule id → keysweep rule ids, sorted by gitleaks id.
pub const GITLEAKS_TO_KEYSWEEP: &[(&str, &[&str])] = &[
    (
        "1password-service-account-token",
        &["1password.service-account-token"],
    ),
    ("age-secret-key", &["age.secret-key"]),
    ("airtable-personnal-access-token", &["airtable.pat"]),
    ("algolia-api-key", &["algolia.admin-api-key"]),
    ("alibaba-access-key-id", &["alibaba.access-key-id"]),
    ("anthropic-admin-api-key", &["anthropic.admin-key"]),
    ("anthropic-api-key", &["anthropic.api-key"]),
    ("artifactory-api-key", &["artifactory.api-key"]),
    (
        "artifactory-reference-token",
        &["artifactory.reference-token"],
    ),
    ("atlassian-api-token", &["atlassian.api-token"]),
    (
        "aws-access-token",
        &["aws.access-key-id", "aws.temporary-access-key-id"],
    ),
    (
        "aws-amazon-bedrock-api-key-long-lived",
        &["aws.bedrock-api-key"],
    ),
    (
        "aws-amazon-bedrock-api-key-short-lived",
        &["aws.bedrock-short-term-api-key"],
    ),
    ("azure-ad-client-secret", &["azure.client-secret"]),
    ("cloudflare-global-api-key", &["cloudflare.global-api-key"]),
    ("cloudflare-origin-ca-key", &["cloudflare.origin-ca-key"]),
    ("databricks-api-token", &["databricks.pat"]),
    ("digitalocean-access-token", &["digitalocean.oauth-token"]),
    ("digitalocean-pat", &["digitalocean.pat"]),
    (
        "digitalocean-refresh-token",
        &["digitalocean.refresh-token"],
    ),
    ("doppler-api-token", &["doppler.personal-token"]),
    ("dynatrace-api-token", &["dynatrace.api-token"]),
    ("facebook-access-token", &["facebook.access-token"]),
    ("facebook-secret", &["facebook.app-secret"]),
    ("fastly-api-token", &["fastly.api-token"]),
    (
        "flyio-access-token",
        &[
            "flyio.access-token",
            "flyio.access-token-v1",
            "flyio.user-token",
        ],
    ),
    ("gcp-api-key", &["google.api-key"]),
    (
        "generic-api-key",
        &[
            "generic.api-key",
            "generic.secret",
            "generic.token",
            "generic.password",
        ],
    ),
    (
        "github-app-token",
        &["github.user-to-server-token", "github.installation-token"],
    ),
    ("github-fine-grained-pat", &["github.fine-grained-pat"]),
    ("github-oauth", &["github.oauth-token"]),
    ("github-pat", &["github.pat"]),
    ("github-refresh-token", &["github.refresh-token"]),
    ("gitlab-cicd-job-token", &["gitlab.ci-job-token"]),
    ("gitlab-deploy-token", &["gitlab.deploy-token"]),
    (
        "gitlab-feature-flag-client-token",
        &["gitlab.feature-flags-client-token"],
    ),
    ("gitlab-feed-token", &["gitlab.feed-token"]),
    (
        "gitlab-incoming-mail-token",
        &["gitlab.incoming-mail-token"],
    ),
    ("gitlab-kubernetes-agent-token", &["gitlab.agent-token"]),
    ("gitlab-oauth-app-secret", &["gitlab.oauth-app-secret"]),
    ("gitlab-pat", &["gitlab.pat"]),
    ("gitlab-pat-routable", &["gitlab.pat-routable"]),
    ("gitlab-ptt", &["gitlab.pipeline-trigger-token"]),
    ("gitlab-rrt", &["gitlab.runner-registration-token"]),
    (
        "gitlab-runner-authentication-token",
        &["gitlab.runner-token"],
    ),
    ("gitlab-scim-token", &["gitlab.scim-token"]),
    ("grafana-cloud-api-token", &["grafana.cloud-token"]),
    (
        "grafana-service-account-token",
        &["grafana.service-account-token"],
    ),
    ("hashicorp-tf-api-token", &["hashicorp.terraform-api-token"]),
    ("huggingface-access-token", &["huggingface.access-token"]),
    (
        "huggingface-organization-api-token",
        &["huggingface.org-token"],
    ),
    ("jwt", &["generic.jwt"]),
    ("linear-api-key", &["linear.api-key"]),
    ("mailchimp-api-key", &["mailchimp.api-key"]),
    ("mailgun-private-api-token", &["mailgun.private-api-key"]),
    ("netlify-access-token", &["netlify.access-token"]),
    ("new-relic-insert-key", &["newrelic.insights-insert-key"]),
    ("new-relic-user-api-key", &["newrelic.user-api-key"]),
    ("notion-api-token", &["notion.integration-token"]),
    ("npm-access-token", &["npm.access-token"]),
    ("okta-access-token", &["okta.api-token"]),
    (
        "openai-api-key",
        &[
            "openai.api-key",
            "openai.project-key",
            "openai.service-account-key",
            "openai.admin-key",
        ],
    ),
    ("planetscale-password", &["planetscale.password"]),
    ("postman-api-token", &["postman.api-key"]),
    ("prefect-api-token", &["prefect.api-key"]),
    (
        "private-key",
        &["private-key.pem", "private-key.pem-encrypted"],
    ),
    ("pulumi-api-token", &["pulumi.access-token"]),
    ("pypi-upload-token", &["pypi.upload-token"]),
    ("rubygems-api-token", &["rubygems.api-key"]),
    ("sendgrid-api-token", &["sendgrid.api-key"]),
    ("sendinblue-api-token", &["brevo.api-key"]),
    ("sentry-org-token", &["sentry.org-auth-token"]),
    ("sentry-user-token", &["sentry.user-auth-token"]),
    (
        "shippo-api-token",
        &["shippo.live-token", "shippo.test-token"],
    ),
    ("shopify-access-token", &["shopify.access-token"]),
    ("shopify-custom-access-token", &["shopify.custom-app-token"]),
    (
        "shopify-private-app-access-token",
        &["shopify.private-app-password"],
    ),
    ("shopify-shared-secret", &["shopify.shared-secret"]),
    ("slack-app-token", &["slack.app-token"]),
    ("slack-bot-token", &["slack.bot-token"]),
    ("slack-config-access-token", &["slack.config-token"]),
    (
        "slack-config-refresh-token",
        &["slack.config-refresh-token"],
    ),
    ("slack-legacy-workspace-token", &["slack.workspace-token"]),
    ("slack-user-token", &["slack.user-token"]),
    ("slack-webhook-url", &["slack.webhook"]),
    ("sourcegraph-access-token", &["sourcegraph.access-token"]),
    ("square-access-token", &["square.access-token"]),
    (
        "stripe-access-token",
        &[
            "stripe.secret-key",
            "stripe.restricted-key",
            "stripe.test-secret-key",
            "stripe.test-restricted-key",
        ],
    ),
    ("telegram-bot-api-token", &["telegram.bot-token"]),
    ("twilio-api-key", &["twilio.api-key"]),
    ("twitter-bearer-token", &["twitter.bearer-token"]),
    ("vault-batch-token", &["hashicorp.vault-batch-token"]),
    ("vault-service-token", &["hashicorp.vault-service-token"]),
];

/// The keysweep rules equivalent to a gitleaks default rule id, if the equivalence is obvious.
pub fn keysweep_ids(gitleaks_id: &str) -> Option<&'static [&'static str]> {
    GITLEAKS_TO_KEYSWEEP
        .binary_search_by(|(id, _)| id.cmp(&gitleaks_id))
        .ok()
        .map(|i| GITLEAKS_TO_KEYSWEEP[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_id_is_a_builtin_rule_and_the_table_is_sorted() {
        let rules = crate::rules::RuleSet::builtin().expect("built-ins load");
        for (gl, ours) in GITLEAKS_TO_KEYSWEEP {
            for id in *ours {
                assert!(
                    rules.get(id).is_some(),
                    "{gl} → {id}: no such built-in rule"
                );
            }
        }
        assert!(GITLEAKS_TO_KEYSWEEP.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(keysweep_ids("github-pat"), Some(&["github.pat"][..]));
        assert_eq!(keysweep_ids("no-such-rule"), None);
    }
}
