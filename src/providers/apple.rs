//! Apple's other P-256 keys — APNs auth keys, Sign in with Apple and MusicKit keys (the developer account's
//! Certificates, Identifiers & Profiles → Keys) and In-App Purchase keys (App Store Connect → Integrations). None
//! has a public revoke endpoint or a read-only probe, so each is `ManualRequired` with the steps on its own page;
//! App Store Connect API keys are [`super::app_store_connect`]'s.

use super::RevocationOutcome;

/// Provider id of APNs auth keys.
pub const APNS: &str = "apple-apns";
/// Provider id of Sign in with Apple keys.
pub const SIGN_IN: &str = "apple-sign-in";
/// Provider id of MusicKit (Media Services) keys.
pub const MUSICKIT: &str = "apple-musickit";
/// Provider id of In-App Purchase keys.
pub const IN_APP_PURCHASE: &str = "apple-in-app-purchase";

/// Where the developer account's keys (APNs, Sign in with Apple, MusicKit) are revoked.
pub const DEVELOPER_KEYS_URL: &str = "https://developer.apple.com/account/resources/authkeys/list";

/// Where In-App Purchase keys are managed.
pub const IN_APP_PURCHASE_URL: &str = "https://appstoreconnect.apple.com/access/integrations";

/// The steps for a key of the developer account's Keys page: `service` is what the key is enabled for, `stops`
/// what stops working when it is revoked.
fn developer_key(key_id: Option<&str>, service: &str, stops: &str) -> RevocationOutcome {
    let key = key_id.unwrap_or("the key");
    RevocationOutcome::ManualRequired {
        steps: vec![
            format!("Create a new key with {service} enabled and deploy it first: once {key} is revoked, {stops}."),
            "Sign in to developer.apple.com as the Account Holder or an Admin.".into(),
            format!("Certificates, Identifiers & Profiles → Keys → click {key} → Revoke (top right) → Revoke."),
            "Revocation is irreversible. One key can serve several services (APNs, Sign in with Apple, MusicKit, …): check which ones it has enabled before revoking.".into(),
        ],
        url: Some(DEVELOPER_KEYS_URL.into()),
    }
}

/// Manual steps for an APNs auth key.
pub fn manual_apns(key_id: Option<&str>, _individual: bool) -> RevocationOutcome {
    developer_key(
        key_id,
        "Apple Push Notifications service (APNs)",
        "APNs refuses the tokens it signed and push notifications stop",
    )
}

/// Manual steps for a Sign in with Apple key.
pub fn manual_sign_in(key_id: Option<&str>, _individual: bool) -> RevocationOutcome {
    developer_key(
        key_id,
        "Sign in with Apple",
        "client secrets signed with it are refused and users cannot sign in",
    )
}

/// Manual steps for a MusicKit (Media Services) key.
pub fn manual_musickit(key_id: Option<&str>, _individual: bool) -> RevocationOutcome {
    developer_key(
        key_id,
        "Media Services (MusicKit)",
        "developer tokens signed with it are refused by the Apple Music API",
    )
}

/// Manual steps for an In-App Purchase key.
pub fn manual_in_app_purchase(key_id: Option<&str>, _individual: bool) -> RevocationOutcome {
    let key = key_id.unwrap_or("the key");
    RevocationOutcome::ManualRequired {
        steps: vec![
            "Generate a new In-App Purchase key and move the App Store Server API calls and subscription offer signing to it first.".into(),
            "Sign in to App Store Connect as the Account Holder or an Admin.".into(),
            format!("Users and Access → Integrations → In-App Purchase (under Keys) → revoke {key} and confirm."),
            "Revocation is irreversible.".into(),
        ],
        url: Some(IN_APP_PURCHASE_URL.into()),
    }
}
