//! `keysweep scan` of a directory tree as a user runs it: each test builds a tree in a temp dir with the
//! test-only rules in a config beside it ([`Fixture`]), runs the real binary, and asserts exit codes and
//! output. [`reports`] holds the output contracts (JSON, JSONL, SARIF against the OASIS schema, GitHub
//! annotations, Markdown, human text, snapshots of each); [`inputs`] what the walk reads and skips and how
//! bad inputs are reported. Every secret here is FAKE and generated at test time: P-256 keys from a seed,
//! tokens of a test-only rule (`kstest.token`) that no provider issues.

mod inputs;
mod probes;
mod reports;

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

use crate::support::command::bin;
use crate::support::{keysweep, keysweep_std, program};

/// The test-only rules (a medium token and a low one), loaded through `--config`.
const TEST_RULES: &str = r#"
# Test-only rules for FAKE tokens; no provider issues these.
[[rule]]
id = "kstest.token"
name = "keysweep test token (fake)"
provider = "kstest"
severity = "medium"
keywords = ["kstest_"]
pattern = '''kstest_[0-9a-f]{24}'''
references = ["https://example.invalid/kstest-token"]

[[rule]]
id = "kstest.low"
name = "keysweep low-severity test token (fake)"
provider = "kstest"
severity = "low"
keywords = ["kslow_"]
pattern = '''kslow_[0-9a-f]{24}'''
"#;

/// A temp dir holding a tree to scan (`tree/`) and the test config with its rules (`cfg/`).
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let f = Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::create_dir_all(f.tree()).expect("tree dir");
        f.write_cfg("rules/test.toml", TEST_RULES);
        f.write_cfg("keysweep.toml", "[rules]\npaths = [\"rules\"]\n");
        f
    }

    fn tree(&self) -> PathBuf {
        self.dir.path().join("tree")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("cfg/keysweep.toml")
    }

    fn write_cfg(&self, rel: &str, text: &str) {
        let p = self.dir.path().join("cfg").join(rel);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write config");
    }

    /// Writes a file under the tree, creating directories.
    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.tree().join(rel);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write file");
        p
    }

    /// `keysweep scan <tree> --config <cfg>` with a clean environment, plus `args`.
    fn scan(&self, args: &[&str]) -> Command {
        let mut cmd = keysweep();
        cmd.arg("scan")
            .arg(self.tree())
            .arg("--config")
            .arg(self.config())
            .args(args);
        cmd
    }

    fn scan_json(&self, args: &[&str]) -> (Value, Output) {
        let out = self
            .scan(&[&["--format", "json"], args].concat())
            .output()
            .expect("runs");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (v, out)
    }

    /// Replaces the temp dir's path in text.
    fn normalise(&self, text: &str) -> String {
        text.replace(&self.tree().display().to_string(), "[TREE]")
            .replace(&self.dir.path().display().to_string(), "[TMP]")
    }

    /// Scans the tree to JSON with the tree's directory `dir` closed (mode 000), then reopens it. Root reads
    /// through permissions: when `blocked` says so, the scan runs as `nobody` through `setpriv` if it is
    /// there. The last value says whether permission errors were provoked at all (not for root without
    /// `setpriv`).
    #[cfg(unix)]
    fn scan_json_with_dir_closed(
        &self,
        dir: &str,
        blocked: impl FnOnce() -> bool,
    ) -> (Value, Output, bool) {
        use std::os::unix::fs::PermissionsExt;
        let closed = self.tree().join(dir);
        let mode = |m| std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(m));
        mode(0o000).expect("chmod");
        let blocked = blocked();
        let as_nobody = !blocked && setpriv_available();
        let mut cmd = if as_nobody {
            for d in [
                self.dir.path().to_path_buf(),
                self.tree(),
                self.dir.path().join("cfg"),
                self.dir.path().join("cfg/rules"),
            ] {
                std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
            }
            let mut c = program("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(bin());
            c
        } else {
            keysweep_std()
        };
        let out = cmd
            .arg("scan")
            .arg(self.tree())
            .arg("--config")
            .arg(self.config())
            .args(["--format", "json"])
            .output()
            .expect("runs");
        mode(0o755).expect("chmod back");
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        let enforced = blocked || as_nobody;
        if !enforced {
            eprintln!(
                "running as root without setpriv: permission errors cannot be provoked, skipping those assertions"
            );
        }
        (v, out, enforced)
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Paths of every location of every finding in a JSON report, sorted.
fn paths(v: &Value) -> Vec<String> {
    let mut p: Vec<String> = v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .flat_map(|f| f["locations"].as_array().expect("locations").clone())
        .map(|l| l["path"].as_str().expect("path").to_string())
        .collect();
    p.sort();
    p
}

/// Whether `setpriv` can run the binary as `nobody` here (root cannot otherwise provoke permission errors; the
/// binary's directories may not be open to `nobody`).
fn setpriv_available() -> bool {
    program("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin())
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}
