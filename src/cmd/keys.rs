//! `keysweep keys fingerprint FILE...`: the public-key fingerprint of every private key in the given files, in
//! the form an inventory entry needs (`path<TAB>key_id or -<TAB>public_key_sha256`). Keys are found with the
//! built-in rules, so any encoding `scan` finds (PEM, escaped, armourless, base64-of-PEM) is fingerprinted, and
//! a key id comes from the file name as the rules' `context.path_key_id` read it (`AuthKey_<ID>.p8`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::cli::FingerprintFormat;
use crate::keys::{KeyParse, parse_private_key};
use crate::model::{BlobId, ExitStatus, KeyMaterial};
use crate::rules::RuleSet;
use crate::scan::Scanner;

/// One key found in a file.
struct FoundKey {
    key_id: Option<String>,
    key: KeyMaterial,
}

/// Every distinct key in `bytes`, in order of appearance.
fn keys_in(scanner: &Scanner, bytes: &[u8]) -> Result<Vec<FoundKey>> {
    let mut found: Vec<FoundKey> = Vec::new();
    let mut encrypted = false;
    for m in scanner.scan(BlobId::of_bytes(bytes), bytes) {
        match m.key {
            Some(key) => {
                if !found
                    .iter()
                    .any(|f| f.key.public_key_sha256 == key.public_key_sha256)
                {
                    found.push(FoundKey {
                        key_id: m.key_id.or_else(|| key.key_id.clone()),
                        key: *key,
                    });
                }
            }
            None => encrypted |= !m.validated,
        }
    }
    if found.is_empty() {
        // A file that is nothing but a key in a form no rule spells (an unusual wrapping) still counts.
        match parse_private_key(bytes) {
            KeyParse::Parsed(key) | KeyParse::EncryptedWithPublic(key) => found.push(FoundKey {
                key_id: key.key_id.clone(),
                key,
            }),
            KeyParse::Encrypted => bail!(
                "the private key is encrypted: its public key cannot be derived without the passphrase"
            ),
            KeyParse::Unparseable => {
                bail!("the private key does not parse (corrupt or truncated?)")
            }
            KeyParse::NotAKey if encrypted => bail!(
                "the private key is encrypted or does not parse: no public key can be derived"
            ),
            KeyParse::NotAKey => bail!("no private key found"),
        }
    }
    Ok(found)
}

/// One inventory entry for a key read from `path`: when its Key ID is known (from an `AuthKey_<ID>.p8` name or
/// the file's content), a key of `provider` (the one its file name is evidence for, else App Store Connect);
/// else an entry whose provider and key id are to be filled in.
fn write_entry(
    out: &mut dyn Write,
    path: &Path,
    key_id: Option<&str>,
    provider: Option<&str>,
    public_key_sha256: &str,
) -> std::io::Result<()> {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let shown = crate::display::escape(&path.display().to_string()).replace('\n', " ");
    writeln!(out, "# {shown}")?;
    writeln!(out, "[[key]]")?;
    match key_id {
        Some(id) => {
            let provider = provider.unwrap_or("app-store-connect");
            writeln!(out, "provider = {}", quote(provider))?;
            writeln!(out, "key_id = {}", quote(id))?;
            if provider == "app-store-connect" {
                writeln!(
                    out,
                    "# issuer_id = \"…\"              # the team's Issuer ID (App Store Connect > Integrations)"
                )?;
                writeln!(out, "kind = \"team\"                  # or \"individual\"")?;
            }
        }
        None => {
            writeln!(
                out,
                "provider = \"…\"                 # who issued this key"
            )?;
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            writeln!(out, "key_id = {}", quote(&stem))?;
        }
    }
    writeln!(out, "public_key_sha256 = {}", quote(public_key_sha256))?;
    writeln!(
        out,
        "# owner = \"…\"                  # who to call when it leaks"
    )?;
    writeln!(out)
}

/// `keysweep keys fingerprint FILE...`: prints `path<TAB>key_id or -<TAB>public_key_sha256` per key; a file
/// that cannot be read or holds no key is reported on stderr and the exit status becomes an error.
pub fn run(files: &[PathBuf], format: FingerprintFormat) -> Result<ExitStatus> {
    let scanner = Scanner::new(Arc::new(RuleSet::builtin()?))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut status = ExitStatus::Clean;
    for path in files {
        let result = std::fs::read(path)
            .with_context(|| format!("reading {}", path.display()))
            .and_then(|bytes| {
                keys_in(&scanner, &bytes).with_context(|| format!("{}", path.display()))
            });
        match result {
            Ok(keys) => {
                let name = path.file_name().map(|n| n.to_string_lossy());
                let from_name = name
                    .as_deref()
                    .and_then(|n| scanner.rules().key_id_from_path(n));
                let provider = name
                    .as_deref()
                    .and_then(|n| scanner.rules().provider_named_by_path(n));
                for k in keys {
                    let key_id = from_name.clone().or(k.key_id);
                    match format {
                        FingerprintFormat::Tsv => writeln!(
                            out,
                            "{}\t{}\t{}",
                            path.display(),
                            key_id.as_deref().unwrap_or("-"),
                            k.key.public_key_sha256
                        )?,
                        FingerprintFormat::Toml => {
                            write_entry(
                                &mut out,
                                path,
                                key_id.as_deref(),
                                provider,
                                &k.key.public_key_sha256,
                            )?;
                        }
                    }
                }
            }
            Err(e) => {
                out.flush()?;
                eprintln!("keysweep: error: {}", crate::display::user_error(&e));
                status = ExitStatus::Error;
            }
        }
    }
    out.flush()?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_come_from_apple_file_names_as_the_rules_spell_them() {
        let rules = RuleSet::builtin().expect("built-in rules load");
        let id = |p: &str| rules.key_id_from_path(p);
        assert_eq!(
            id("ios/AuthKey_2X9R4HXF34.p8").as_deref(),
            Some("2X9R4HXF34")
        );
        assert_eq!(id("ApiKey_ABCDE12345.p8").as_deref(), Some("ABCDE12345"));
        assert_eq!(
            id("SubscriptionKey_Z9Y8X7W6V5.p8").as_deref(),
            Some("Z9Y8X7W6V5")
        );
        assert_eq!(
            id("keys.zip!AuthKey_2X9R4HXF34.p8").as_deref(),
            Some("2X9R4HXF34")
        );
        assert_eq!(id("AuthKey_short.p8"), None);
        assert_eq!(id("OtherKey_2X9R4HXF34.p8"), None);
        assert_eq!(id("AuthKey_2X9R4HXF34.pem"), None);
    }
}
