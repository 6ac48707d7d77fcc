//! Provider ids: the canonical lowercase, `-`-separated strings that rules, inventory, config, JSON output and
//! environment variables share (DESIGN.md "Canonical provider ids").

/// Providers whose rules are catch-alls, outranked by any provider-specific rule on the same secret.
pub const GENERIC_PROVIDERS: &[&str] = &["generic", "private-key"];

/// Whether a provider id names a catch-all (`generic`, `private-key`) rather than a real provider.
pub fn is_generic(id: &str) -> bool {
    GENERIC_PROVIDERS.contains(&id)
}

/// The canonical provider ids an inventory entry may name (besides rule providers and `[providers.<id>]`
/// entries with `kind = "http"`).
pub const CANONICAL_PROVIDERS: &[&str] = &[
    "app-store-connect",
    "userplane",
    "github",
    "gitlab",
    "slack",
    "npm",
    "pypi",
    "aws",
    "stripe",
    "google",
    "openai",
    "anthropic",
    "azure",
    "twilio",
    "sendgrid",
    "private-key",
];
