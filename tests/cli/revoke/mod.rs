//! `keysweep revoke` and `scan --revoke` end to end: the real binary against the fake providers of
//! `support::fake_provider` on 127.0.0.1, with generated FAKE tokens and keys planted in a temporary scan root.
//! [`providers`] covers each provider's API and its failures, [`safety`] what revoke refuses or waits for,
//! [`reread`] re-reading each secret where it was found (files, git blobs, archives, swept repositories), and
//! [`from_scan`] revoking what a scan found, in two steps or with `scan --revoke`.

mod from_scan;
mod providers;
mod reread;
mod safety;

use crate::support::fake_provider::{Fake, Root};
use crate::support::fakekeys;

/// An inventory entry's fields for `token` at `provider`, matched by the secret's SHA-256.
fn secret_entry(provider: &str, key_id: &str, token: &str) -> String {
    format!(
        "provider = \"{provider}\"\nkey_id = \"{key_id}\"\nsecret_sha256 = \"{}\"\n",
        fakekeys::sha256_hex(token.as_bytes())
    )
}

/// Writes `keysweep.toml` in the root, with the generic HTTP provider `acme-keys` pointed at the fake; returns
/// its path (for `--config`).
fn acme_config(root: &Root, fake: &Fake) -> std::path::PathBuf {
    let cfg = format!(
        "[providers.acme-keys]\nkind = \"http\"\nmethod = \"DELETE\"\nurl = \"{}/keys/{{key_id}}\"\n\
         headers = {{ Authorization = \"Bearer ${{ACME_KEYS_TOKEN}}\" }}\nrevoked = [204]\nalready_revoked = [404]\n",
        fake.base
    );
    let p = root.path().join("keysweep.toml");
    std::fs::write(&p, cfg).expect("config");
    p
}

/// Writes `.keysweep.toml` in `dir` (found there without `--config`) with `acme-keys` pointed at the fake, and
/// sets the organisation token the fake accepts.
fn acme_keys_config(dir: &std::path::Path, fake: &Fake) {
    std::fs::write(
        dir.join(".keysweep.toml"),
        format!(
            "[providers.acme-keys]\nkind = \"http\"\nmethod = \"DELETE\"\nurl = \"{}/keys/{{key_id}}\"\n\
             headers = {{ Authorization = \"Bearer ${{ACME_KEYS_TOKEN}}\" }}\nrevoked = [204]\nalready_revoked = [404]\n",
            fake.base
        ),
    )
    .expect("config");
    *fake.state.acme_token.lock().expect("lock") = "org-secret-fake".into();
}

/// The GitHub requests that carried `token` in a credential revocation body, and how many tokens each held.
fn github_revocations(fake: &Fake, token: &str) -> Vec<Vec<String>> {
    fake.seen()
        .iter()
        .filter(|s| s.method == "POST" && s.path == "/credentials/revoke")
        .map(|s| {
            let v: serde_json::Value = serde_json::from_str(&s.body).expect("JSON body");
            v["credentials"]
                .as_array()
                .expect("credentials array")
                .iter()
                .map(|c| c.as_str().expect("string").to_string())
                .collect::<Vec<_>>()
        })
        .filter(|creds| creds.iter().any(|c| c == token))
        .collect()
}
