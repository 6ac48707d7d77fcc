//! The revocation audit log: append-only JSONL with an intent record before each provider call and an outcome
//! record after it, each flushed and fsynced. It never holds a raw secret (fingerprint and key id only). Read
//! first on every run: keys with a successful outcome are done; an intent without an outcome is "in doubt".

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The default audit log.
pub const DEFAULT_AUDIT_LOG: &str = ".keysweep-audit.jsonl";

/// One line of the log.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditRecord {
    /// RFC 3339 UTC time.
    pub ts: String,
    /// `intent` or `outcome`.
    pub event: String,
    /// Which run wrote it (process id and start time).
    pub run: String,
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// The revoking provider.
    pub provider: String,
    /// The provider's key id, when known.
    pub key_id: Option<String>,
    /// `revoke` or `probe`.
    pub action: String,
    /// For outcomes: `revoked`, `already_revoked`, `failed`, `failed_in_doubt` (timeout, 5xx, 429: the provider
    /// may have acted), `refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// For outcomes: the provider's answer in a few words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What an existing log says about each key (by provider and fingerprint).
#[derive(Clone, Debug, Default)]
pub struct AuditState {
    /// Keys with a `revoked` or `already_revoked` outcome, and that outcome.
    pub done: BTreeMap<(String, String), String>,
    /// Keys whose last revoke intent has no outcome after it.
    pub in_doubt: BTreeSet<(String, String)>,
    /// Lines that could not be read (a run killed mid-write leaves a torn last line).
    pub unreadable_lines: usize,
}

/// The open log.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
    run: String,
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Reads an existing log (a missing one is empty).
pub fn read_state(path: &Path) -> Result<AuditState> {
    let mut state = AuditState::default();
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(state),
        Err(e) => return Err(e).with_context(|| format!("reading audit log {}", path.display())),
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(r) = serde_json::from_str::<AuditRecord>(line) else {
            state.unreadable_lines += 1;
            continue;
        };
        let k = (r.provider.clone(), r.fingerprint.clone());
        match (r.event.as_str(), r.action.as_str()) {
            ("intent", "revoke") => {
                state.in_doubt.insert(k);
            }
            ("outcome", _) => {
                let o = r.outcome.as_deref().unwrap_or("");
                if o == "revoked" || o == "already_revoked" {
                    state.done.insert(k.clone(), o.to_string());
                }
                // Any recorded answer (even a failure, or a probe that found the key live) settles the doubt:
                // the provider answered and we know what happened.
                // …except a retryable failure: the provider may have acted before the answer was lost.
                if (r.action == "revoke" && o != "failed_in_doubt") || o == "already_revoked" {
                    state.in_doubt.remove(&k);
                }
            }
            _ => {}
        }
    }
    Ok(state)
}

impl AuditLog {
    /// Opens (creating) the log for appending, after reading what it already says.
    pub fn open(path: &Path) -> Result<(AuditLog, AuditState)> {
        let state = read_state(path)?;
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts
            .open(path)
            .with_context(|| format!("opening audit log {}", path.display()))?;
        // A run killed mid-write can leave a torn last line; start ours on a fresh one.
        let torn = std::fs::read(path)
            .map(|b| b.last().is_some_and(|&c| c != b'\n'))
            .unwrap_or(false);
        if torn {
            file.write_all(b"\n")
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing audit log {}", path.display()))?;
        }
        let run = format!("{}-{}", std::process::id(), now());
        Ok((
            AuditLog {
                path: path.to_path_buf(),
                file: Mutex::new(file),
                run,
            },
            state,
        ))
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&self, r: &AuditRecord) -> Result<()> {
        let mut line = serde_json::to_string(r).context("serializing an audit record")?;
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(line.as_bytes())
            .and_then(|()| f.flush())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing audit log {}", self.path.display()))
    }

    /// Records that a call is about to be made.
    pub fn intent(
        &self,
        fingerprint: &str,
        provider: &str,
        key_id: Option<&str>,
        action: &str,
    ) -> Result<()> {
        self.append(&AuditRecord {
            ts: now(),
            event: "intent".into(),
            run: self.run.clone(),
            fingerprint: fingerprint.into(),
            provider: provider.into(),
            key_id: key_id.map(str::to_string),
            action: action.into(),
            outcome: None,
            detail: None,
        })
    }

    /// Records what the call answered.
    pub fn outcome(
        &self,
        fingerprint: &str,
        provider: &str,
        key_id: Option<&str>,
        action: &str,
        outcome: &str,
        detail: &str,
    ) -> Result<()> {
        self.append(&AuditRecord {
            ts: now(),
            event: "outcome".into(),
            run: self.run.clone(),
            fingerprint: fingerprint.into(),
            provider: provider.into(),
            key_id: key_id.map(str::to_string),
            action: action.into(),
            outcome: Some(outcome.into()),
            detail: Some(detail.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intent_without_outcome_is_in_doubt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        {
            let (log, state) = AuditLog::open(&p).expect("open");
            assert!(state.done.is_empty());
            log.intent("fa", "gitlab", Some("k1"), "revoke")
                .expect("write");
            log.outcome("fa", "gitlab", Some("k1"), "revoke", "revoked", "204")
                .expect("write");
            log.intent("fb", "gitlab", None, "revoke").expect("write");
            log.intent("fc", "gitlab", None, "revoke").expect("write");
            log.outcome(
                "fc",
                "gitlab",
                None,
                "revoke",
                "failed_in_doubt",
                "timed out",
            )
            .expect("write");
        }
        // A torn last line, as a kill mid-write leaves it.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .and_then(|mut f| f.write_all(b"{\"ts\":"))
            .expect("append");
        let state = read_state(&p).expect("read");
        assert!(state.done.contains_key(&("gitlab".into(), "fa".into())));
        assert!(state.in_doubt.contains(&("gitlab".into(), "fb".into())));
        assert!(
            state.in_doubt.contains(&("gitlab".into(), "fc".into())),
            "a timeout stays in doubt"
        );
        assert_eq!(state.unreadable_lines, 1);
    }
}
