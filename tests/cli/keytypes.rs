//! Key types and credential files through the real binary: binary PKCS#12 bundles and Java keystores found by
//! structure whatever their name (in a tree and in history), and the credential files whose rules apply to
//! their file names only (`.pgpass`). Every key, keystore and password is FAKE, generated at test time.

use std::path::Path;

use crate::support::fakekeys::generated;
use crate::support::repo::TestRepo;
use crate::support::scan_json;
use base64::Engine as _;

/// A generated container, as the binary file it stands for.
fn binary(generator: &str, seed: &str) -> Vec<u8> {
    let text = generated(generator, seed);
    base64::engine::general_purpose::STANDARD
        .decode(text.replace('\n', ""))
        .expect("base64")
}

/// `row` of every finding of `keysweep scan -f json <args>` in `dir`, sorted.
fn rows<T: Ord>(dir: &Path, args: &[&str], row: impl Fn(&serde_json::Value) -> T) -> Vec<T> {
    let (_, report) = scan_json(dir, args);
    let mut got: Vec<T> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(row)
        .collect();
    got.sort();
    got
}

/// A string field of a finding.
fn text(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or("-").to_string()
}

/// `(rule_id, severity, path, fingerprinted)` of every finding of `keysweep scan -f json <args>` in `dir`.
fn findings(dir: &Path, args: &[&str]) -> Vec<(String, String, String, bool)> {
    rows(dir, args, |f| {
        (
            text(&f["rule_id"]),
            text(&f["severity"]),
            text(&f["locations"][0]["path"]),
            f["key"]["public_key_sha256"].is_string(),
        )
    })
}

fn row(
    rule: &str,
    severity: &str,
    path: &str,
    fingerprinted: bool,
) -> (String, String, String, bool) {
    (rule.into(), severity.into(), path.into(), fingerprinted)
}

#[test]
fn key_containers_are_found_by_structure_and_credential_files_by_name() {
    let repo = TestRepo::new();
    repo.write("signing/dist.bin", binary("key-pkcs12-encrypted", "cli"));
    repo.write("android/upload", binary("key-jks", "cli-jks"));
    repo.write("certs/roots.p12", binary("key-pkcs12-certs-only", "cli"));
    repo.write("certs/trust.jks", binary("key-jks-truststore", "cli"));
    repo.write(
        "certs/exported.pfx",
        binary("key-pkcs12-encrypted-ber", "cli-ber"),
    );
    repo.write("certs/sealed.p12", binary("key-pkcs12-sealed", "cli"));
    let pgpass = format!(
        "db.internal:5432:app:app_rw:{}\n",
        generated("base62-20", "cli-pgpass")
    );
    repo.write(".pgpass", &pgpass);
    // The same line elsewhere is not a password file.
    repo.write("docs/connections.txt", &pgpass);
    repo.write(
        "home/.netrc",
        format!(
            "machine ci.corp.internal login bot password {}\n",
            generated("base62-20", "cli-netrc")
        ),
    );
    repo.write(
        "home/.git-credentials",
        format!(
            "https://bot:{}@git.corp.internal\n",
            generated("base62-20", "cli-gitcred")
        ),
    );
    let want = vec![
        row(
            "generic.git-credentials",
            "high",
            "home/.git-credentials",
            false,
        ),
        row("generic.netrc", "high", "home/.netrc", false),
        row("postgres.pgpass", "high", ".pgpass", false),
        row(
            "private-key.java-keystore",
            "medium",
            "android/upload",
            true,
        ),
        row(
            "private-key.pkcs12-encrypted",
            "medium",
            "certs/exported.pfx",
            true,
        ),
        row(
            "private-key.pkcs12-encrypted",
            "medium",
            "signing/dist.bin",
            true,
        ),
        row(
            "private-key.pkcs12-sealed",
            "low",
            "certs/sealed.p12",
            false,
        ),
    ];
    assert_eq!(findings(repo.path(), &["."]), want);
    repo.commit(1, "fake example credentials");
    let history: Vec<_> = findings(repo.path(), &["--history", "."]);
    assert_eq!(history, want);
}

/// `(rule_id, path, line, secret)` of every finding, secrets shown.
fn secrets(dir: &Path) -> Vec<(String, String, u64, String)> {
    rows(dir, &["--show-secrets", "."], |f| {
        let at = &f["locations"][0];
        (
            text(&f["rule_id"]),
            text(&at["path"]),
            at["line"].as_u64().expect("line"),
            text(&f["secret"]),
        )
    })
}

/// `.pgpass` lines on other ports than 5432 (PgBouncer, a second cluster, CockroachDB), with wildcards and `\:`
/// inside fields; `.netrc` entries spread over lines, and the `default` entry.
#[test]
fn pgpass_on_any_listed_port_and_netrc_default_entries() {
    let repo = TestRepo::new();
    let pw = |seed: &str| generated("base62-20", seed);
    let (bouncer, replica, cockroach, escaped) = (pw("pb"), pw("pr"), pw("pc"), pw("pe"));
    repo.write(
        "ops/.pgpass",
        format!(
            "# fake example credentials\n\
             pgbouncer.internal:6432:app:app_ro:{bouncer}\n\
             replica.internal:5433:*:replicator:{replica}\n\
             *:26257:defaultdb:root:{cockroach}\n\
             db.internal:5432:app\\:v2:ops:{escaped}\\:x\n"
        ),
    );
    let (first, fallback) = (pw("nm"), pw("nd"));
    repo.write(
        "home/.netrc",
        format!(
            "machine a.corp.internal\n  login a\n  password {first}\n\ndefault\n  login fallback\n  password {fallback}\n"
        ),
    );
    let row = |rule: &str, path: &str, line: u64, secret: String| {
        (rule.to_string(), path.to_string(), line, secret)
    };
    let mut want = vec![
        row("generic.netrc", "home/.netrc", 3, first),
        row("generic.netrc", "home/.netrc", 7, fallback),
        row("postgres.pgpass", "ops/.pgpass", 2, bouncer),
        row("postgres.pgpass", "ops/.pgpass", 3, replica),
        row("postgres.pgpass", "ops/.pgpass", 4, cockroach),
        row(
            "postgres.pgpass",
            "ops/.pgpass",
            5,
            format!("{escaped}\\:x"),
        ),
    ];
    want.sort();
    assert_eq!(secrets(repo.path()), want);
}

/// A PGP secret key block is reported with its fingerprint as the key id, high in the clear and medium behind
/// a passphrase; `keys fingerprint` prints the same fingerprint.
#[test]
fn pgp_private_key_blocks_carry_their_fingerprint() {
    let repo = TestRepo::new();
    repo.write("keys/release.asc", generated("key-pgp-private", "cli-pgp"));
    repo.write(
        "keys/backup.asc",
        generated("key-pgp-private-encrypted", "cli-pgp-enc"),
    );
    let got = rows(repo.path(), &["."], |f| {
        (
            text(&f["rule_id"]),
            text(&f["severity"]),
            text(&f["locations"][0]["path"]),
            text(&f["key"]["key_id"]),
        )
    });
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str(), got[0].2.as_str()),
        ("private-key.pgp", "high", "keys/release.asc")
    );
    assert_eq!(
        (got[1].0.as_str(), got[1].1.as_str(), got[1].2.as_str()),
        ("private-key.pgp-encrypted", "medium", "keys/backup.asc")
    );
    for (_, _, path, key_id) in &got {
        assert_eq!(key_id.len(), 40, "{key_id}");
        let out = crate::support::keysweep()
            .current_dir(repo.path())
            .args(["keys", "fingerprint", path])
            .output()
            .expect("runs");
        let line = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(line.split('\t').nth(1), Some(key_id.as_str()), "{line}");
    }
}
