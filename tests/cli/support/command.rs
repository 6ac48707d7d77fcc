//! The one way tests start a process. [`keysweep`] is the real binary with the environment cleared and then
//! only what the tests rely on set ([`isolate`]): `PATH`, `HOME` (the temp dir), git cut off from the system
//! and user configuration (`GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_GLOBAL=/dev/null`), and
//! `KEYSWEEP_LOOPBACK_ONLY=1` so nothing can reach a real provider. No `NO_COLOR`, no `KEYSWEEP_*` or
//! `GITHUB_TOKEN` from the developer's shell: a test that needs another variable sets it itself. Other runners
//! (`setpriv`, `sh`, `bash`, `script`, git itself) start from [`program`], under the same policy.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command as StdCommand;

use assert_cmd::Command;

/// The path of the real `keysweep` binary cargo built for these tests.
pub fn bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("keysweep")
}

/// Clears `cmd`'s environment, then sets what every test process gets (see the module documentation).
pub fn isolate(cmd: &mut StdCommand) -> &mut StdCommand {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("KEYSWEEP_LOOPBACK_ONLY", "1")
}

/// Any program (looked up on `PATH`) under the test environment policy.
pub fn program(name: impl AsRef<OsStr>) -> StdCommand {
    let mut cmd = StdCommand::new(name);
    isolate(&mut cmd);
    cmd
}

/// The real binary under the test environment policy, as a std `Command` (to `spawn` it, or to hand it to
/// another runner).
pub fn keysweep_std() -> StdCommand {
    program(bin())
}

/// The real binary under the test environment policy.
pub fn keysweep() -> Command {
    Command::from_std(keysweep_std())
}

/// Runs `keysweep scan -f json <args>` in `dir`: the exit code and the JSON report.
pub fn scan_json(dir: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = keysweep()
        .current_dir(dir)
        .args(["scan", "-f", "json"])
        .args(args)
        .output()
        .expect("keysweep runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code().expect("an exit code"), report)
}
