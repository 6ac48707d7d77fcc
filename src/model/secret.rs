//! The secret itself and how bad its leak is: [`Secret`] keeps a secret's text behind a redacting `Debug`,
//! `Display` and `Serialize`, so no log, error or report prints it unless asked; [`Severity`] is the rule's
//! judgement of a leak.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How bad a leak of this kind is, from the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Test keys and the like.
    Low,
    /// Real but limited credentials, or unverified private keys.
    Medium,
    /// Production credentials and private keys.
    High,
}

impl Severity {
    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// A secret's text. Its `Debug`, `Display` and `Serialize` are redacted; only [`Secret::reveal`] gives the
/// raw text, for `--show-secrets`, inventory hashing and revocation.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    text: String,
    /// True when `text` is already a redacted form (read back from a findings file).
    redacted_only: bool,
    /// Found by a catch-all rule (a password, a generic API key): no provider prefix to show, so the redacted
    /// form shows at most [`GENERIC_VISIBLE`] characters.
    generic: bool,
}

/// Characters of a secret found by a catch-all rule that its redacted form shows, at most.
pub const GENERIC_VISIBLE: usize = 3;

impl Secret {
    /// Wraps a raw secret.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret {
            text: text.into(),
            redacted_only: false,
            generic: false,
        }
    }

    /// The same secret, marked as found by a catch-all rule (see [`redact_as`]).
    pub fn generic(mut self) -> Secret {
        self.generic = true;
        self
    }

    /// Whether a catch-all rule found it.
    pub fn is_generic(&self) -> bool {
        self.generic
    }

    /// The raw secret, or `None` when only the redacted form is known.
    pub fn reveal(&self) -> Option<&str> {
        (!self.redacted_only).then_some(self.text.as_str())
    }

    /// The redacted form: enough of the start to recognise the kind, never enough to use it.
    pub fn redacted(&self) -> String {
        if self.redacted_only {
            return self.text.clone();
        }
        redact_as(&self.text, self.generic)
    }
}

/// Redacts a secret's text: a PEM header plus four body characters, or a short prefix of a token.
pub fn redact(text: &str) -> String {
    redact_as(text, false)
}

/// [`redact`], for a secret found by a catch-all rule when `generic`: a password or generic key has no provider
/// prefix worth showing, so at most [`GENERIC_VISIBLE`] characters of it are.
pub fn redact_as(text: &str, generic: bool) -> String {
    // The head is the BEGIN marker alone: an escaped PEM (`…-----\\n…\\n-----END…-----`) is one line that
    // also ends with dashes, and must not be shown whole.
    let head_len = text
        .strip_prefix("-----BEGIN")
        .and_then(|rest| rest.find("-----"))
        .map_or(0, |end| "-----BEGIN".len() + end + "-----".len());
    let (head, body) = text.split_at(head_len);
    let body = body.trim_start_matches(['\r', '\n', '\\', 'n', '"', '\'', ' ', '\t', '+']);
    let visible = if head.is_empty() {
        (body.chars().count() / 5).min(if generic { GENERIC_VISIBLE } else { 8 })
    } else {
        4
    };
    let prefix: String = body.chars().take(visible).collect();
    format!("{head}{prefix}…(redacted)")
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let redacted_only = text.ends_with("(redacted)");
        Ok(Secret {
            text,
            redacted_only,
            generic: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_a_prefix() {
        let s = Secret::new("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
        assert_eq!(s.redacted(), "ghp_abcd…(redacted)");
        assert!(!format!("{s:?}").contains("mnop"));
        // A password found by a catch-all rule shows three characters at most, however long.
        let password = Secret::new("correct-horse-battery-staple-and-more").generic();
        assert_eq!(password.redacted(), "cor…(redacted)");
        let pem =
            Secret::new("-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMG\n-----END PRIVATE KEY-----");
        assert_eq!(pem.redacted(), "-----BEGIN PRIVATE KEY-----MIGT…(redacted)");
        // An escaped PEM is one line ending in dashes: only the marker and four characters show.
        let escaped = Secret::new(
            r"-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMG\nAAAA\n-----END PRIVATE KEY-----\n",
        );
        assert_eq!(
            escaped.redacted(),
            "-----BEGIN PRIVATE KEY-----MIGT…(redacted)"
        );
    }

    #[test]
    fn redacted_secret_round_trips_without_revealing() {
        let s: Secret = serde_json::from_str("\"ghp_abcd…(redacted)\"").expect("valid JSON");
        assert_eq!(s.reveal(), None);
        assert_eq!(s.redacted(), "ghp_abcd…(redacted)");
    }

    #[test]
    fn escaped_pem_redaction_hides_the_body() {
        let escaped = "-----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49AgEGCCqG\\nSM49AwEHBG0w\\n-----END PRIVATE KEY-----";
        assert_eq!(
            redact(escaped),
            "-----BEGIN PRIVATE KEY-----MIGH…(redacted)"
        );
        let pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(redact(pem), "-----BEGIN EC PRIVATE KEY-----MHcC…(redacted)");
    }
}
