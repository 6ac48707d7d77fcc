//! Hostile input, end to end: what a repository, a path or a config can do to the user's terminal, to the exit
//! code, or to the time a scan takes. One regression test per defect, named after it.

use std::time::{Duration, Instant};

use crate::support::fakekeys::ghp;
use crate::support::repo::TestRepo;
use crate::support::{keysweep, keysweep_std, program};

/// Makes a FIFO at `path`; false where `mkfifo` is missing.
fn mkfifo(path: &std::path::Path) -> bool {
    program("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn escape_sequences_in_file_names_do_not_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "x\u{1b}]0;owned\u{7}\r.env";
    std::fs::write(
        dir.path().join(name),
        format!("GITHUB_TOKEN={}\n", ghp("escape")),
    )
    .expect("write");
    let out = keysweep()
        .args(["scan", "--format", "human"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}') && !stdout.contains('\r'));
    assert!(
        stdout.contains("x\\u{1b}]0;owned\\u{7}\\u{d}.env"),
        "{stdout}"
    );
}

#[test]
fn scanning_a_fifo_or_a_device_is_an_error_not_a_clean_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("pipe");
    let mut paths = vec![std::path::PathBuf::from("/dev/zero")];
    if mkfifo(&fifo) {
        paths.push(fifo);
    }
    for path in paths {
        let out = keysweep()
            .arg("scan")
            .arg(&path)
            .timeout(Duration::from_secs(20))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a directory or a regular file"), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_named_as_such_not_as_a_missing_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::os::unix::fs::symlink(&b, &a).expect("link a");
    std::os::unix::fs::symlink(&a, &b).expect("link b");
    let out = keysweep().arg("scan").arg(&a).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("no such file"), "{err}");
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn human_format_writes_errors_to_stderr() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("rules")).expect("mkdir");
    std::fs::write(dir.path().join("rules/bad.toml"), "[[rule]]\nid = 1\n").expect("write");
    std::fs::write(
        dir.path().join(".keysweep.toml"),
        "[rules]\npaths = [\"rules\"]\n",
    )
    .expect("write");
    let out = keysweep()
        .args(["scan", "--format", "human"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("keysweep: error: rules:"), "{err}");
    assert!(!stdout.contains("bad.toml"), "{stdout}");
    assert!(stdout.contains("1 error(s)"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn git_config_include_naming_a_fifo_does_not_block_the_history_scan() {
    let repo = TestRepo::new();
    repo.write("a.txt", "hello\n");
    repo.stage_all();
    repo.commit(1, "first");
    let fifo = repo.path().join("pipe");
    if !mkfifo(&fifo) {
        return;
    }
    let config = repo.path().join(".git/config");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(&format!("[include]\n\tpath = {}\n", fifo.display()));
    std::fs::write(&config, text).expect("write config");
    for mode in ["--history", "--staged"] {
        let mut cmd = keysweep_std();
        cmd.args(["scan", mode])
            .arg(repo.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break Some(s);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let status = status.unwrap_or_else(|| panic!("scan {mode} blocked on a FIFO include"));
        assert_eq!(status.code(), Some(2), "{mode}");
    }
}

/// History, staged and diff modes report a file name that is not UTF-8 exactly too (`path_bytes`).
#[cfg(unix)]
#[test]
fn non_utf8_file_names_in_git_are_reported_exactly_in_every_mode() {
    use std::os::unix::ffi::OsStrExt;
    let repo = TestRepo::new();
    repo.write("README.md", "fake repository for a keysweep test\n");
    let base = repo.commit(0, "first").to_string();
    let name = std::ffi::OsStr::from_bytes(b"conf-\xe9.env");
    std::fs::write(
        repo.path().join(name),
        format!("GITHUB_TOKEN={}\n", ghp("non-utf8-history")),
    )
    .expect("write");
    repo.stage_all();
    let staged = |args: &[&str]| {
        let out = keysweep()
            .args(["scan", "-f", "json"])
            .args(args)
            .arg(repo.path())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let loc = v["findings"][0]["locations"][0].clone();
        assert_eq!(loc["path"], "conf-\u{FFFD}.env", "{args:?}: {v:#}");
        assert_eq!(loc["path_bytes"], "Y29uZi3pLmVudg==", "{args:?}: {v:#}");
    };
    staged(&["--staged"]);
    repo.commit(1, "add config");
    staged(&["--history"]);
    staged(&["--diff", &format!("{base}..HEAD")]);
}

/// An ignore file that is a FIFO (or a link to `/dev/zero`) blocked the tree walk forever: the walker opens
/// ignore files itself. Such a directory is now reported and scanned in full, without its ignore files; other
/// directories keep theirs.
#[cfg(unix)]
#[test]
fn ignore_files_that_are_fifos_or_devices_do_not_block_the_tree_scan() {
    let scan = |repo: &TestRepo| {
        let out = keysweep()
            .args(["scan", "-f", "json"])
            .arg(repo.path())
            .timeout(Duration::from_secs(20))
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let paths: Vec<String> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                f["locations"][0]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        (paths, v["errors"].to_string())
    };
    let token = |seed: &str| format!("GITHUB_TOKEN={}\n", ghp(seed));
    // A FIFO in a subdirectory: that directory is scanned whole, the root's .gitignore still holds.
    let repo = TestRepo::new();
    repo.write(".gitignore", "ignored.env\n");
    repo.write("ignored.env", token("fifo-ignored"));
    repo.write("sub/ignored.env", token("fifo-sub"));
    if !mkfifo(&repo.path().join("sub/.gitignore")) {
        return;
    }
    let (paths, errors) = scan(&repo);
    assert_eq!(paths, ["sub/ignored.env"], "{errors}");
    assert!(errors.contains("sub/.gitignore"), "{errors}");
    // The root's own: every hostile file named, the tree scanned without ignore files.
    let repo = TestRepo::new();
    repo.write("app.env", token("fifo-root"));
    let _ = std::fs::remove_file(repo.path().join(".git/info/exclude"));
    std::fs::create_dir_all(repo.path().join(".git/info")).expect("mkdir");
    assert!(mkfifo(&repo.path().join(".git/info/exclude")));
    std::os::unix::fs::symlink("/dev/zero", repo.path().join(".keysweepignore")).expect("link");
    let (paths, errors) = scan(&repo);
    assert_eq!(paths, ["app.env"], "{errors}");
    for file in [".git/info/exclude", ".keysweepignore"] {
        assert!(errors.contains(file), "{file}: {errors}");
    }
}
