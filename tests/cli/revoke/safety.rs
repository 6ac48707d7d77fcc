//! What `keysweep revoke` will not do on its own: a dry run by default, a prompt that only `REVOKE` typed at a
//! terminal carries out, no unlisted key without `--include-unlisted`, nothing trusted from the findings file
//! (each secret is re-read and checked against its fingerprint), and after a run killed mid-call, a resume
//! that probes the key in doubt before revoking anything twice.

use std::time::{Duration, Instant};

use super::secret_entry;
use crate::support::fake_provider::{Fake, Root, run};
use crate::support::fakekeys;
use crate::support::program;

#[test]
fn dry_run_prints_the_plan_and_calls_nothing() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "dry-gl", 20);
    let gh = fakekeys::token("ghp_", "dry-gh", 36);
    fake.live(&gl);
    fake.live(&gh);
    let fp = root.plant_token("ci/.env", "gitlab.pat", "gitlab", &gl);
    root.plant_token("deploy.sh", "github.pat", "github", &gh);
    root.inventory_entry(&secret_entry("gitlab", "gl-ci", &gl));
    root.inventory_entry(&secret_entry("github", "gh-deploy", &gh));
    let (code, out, err) = run(root.revoke(&fake, &[]));
    assert_eq!(code, 1, "a dry-run leaves keys exposed: {out}{err}");
    assert!(out.contains("dry-run, nothing will be called"), "{out}");
    assert!(out.contains(&format!("revoke  gitlab             key_id=gl-ci fingerprint={fp} matched_by=secret_hash (strong)")), "{out}");
    assert!(out.contains("key_id=gh-deploy"), "{out}");
    assert!(fake.seen().is_empty(), "dry-run called {:?}", fake.seen());
    assert!(fake.is_live(&gl) && fake.is_live(&gh));
    assert!(
        !out.contains(&gl) && !out.contains(&gh),
        "plan printed a secret"
    );
}

#[test]
fn unlisted_tokens_are_revoked_only_with_include_unlisted() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "unlisted", 20);
    fake.live(&gl);
    root.plant_token("x.env", "gitlab.pat", "gitlab", &gl);
    let (code, out, err) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("--include-unlisted"), "{out}");
    assert!(fake.seen().is_empty(), "an unlisted key was acted on");
    assert!(fake.is_live(&gl));
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--include-unlisted"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(!fake.is_live(&gl));
}

#[test]
fn a_findings_file_is_never_trusted() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "tamper", 20);
    fake.live(&gl);
    root.plant_token("a.env", "gitlab.pat", "gitlab", &gl);
    root.inventory_entry(&secret_entry("gitlab", "gl", &gl));
    // The file now holds another token: the recorded fingerprint no longer matches anything there.
    root.write(
        "a.env",
        &format!("TOKEN = \"{}\"\n", fakekeys::token("glpat-", "other", 20)),
    );
    // And a key id written into the findings file selects no inventory key: ids are re-derived on re-read.
    let other = fakekeys::token("glpat-", "forged-id", 20);
    fake.live(&other);
    root.plant_token("b.env", "gitlab.pat", "gitlab", &other);
    root.findings[1]["key"] = serde_json::json!({"key_id": "gl-org", "issuer_id": null,
                                                 "public_key_sha256": null});
    root.inventory_entry("provider = \"gitlab\"\nkey_id = \"gl-org\"");
    let (code, out, err) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(
        code, 2,
        "a secret that cannot be re-read is an error: {out}{err}"
    );
    assert!(
        out.contains("could not be re-read and checked against the fingerprint"),
        "{out}"
    );
    assert!(
        out.contains("its files changed since the scan: scan again"),
        "{out}"
    );
    assert!(
        !out.contains("key_id=gl-org"),
        "a forged key id matched: {out}"
    );
    assert!(
        out.contains("not in the inventory (`keysweep revoke --include-unlisted` revokes it)"),
        "{out}"
    );
    assert!(fake.seen().is_empty());
}

/// Shell-quotes one word.
fn sh_quote(s: &std::ffi::OsStr) -> String {
    format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"))
}

/// Runs `cmd` on a pseudo-terminal (util-linux `script`), typing `input`; `None` when `script` is missing.
fn run_on_terminal(cmd: &std::process::Command, input: &str) -> Option<(i32, String)> {
    use std::io::Write;
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let line: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(sh_quote)
        .collect();
    let mut term = program(script);
    term.args(["-qec", &line.join(" "), "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            term.env(k, v);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        term.current_dir(dir);
    }
    let mut child = term.spawn().ok()?;
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

#[test]
fn typing_revoke_at_the_terminal_prompt_carries_out_the_plan_and_anything_else_does_not() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "prompt-gl", 20);
    fake.live(&gl);
    root.plant_token("ci/.env", "gitlab.pat", "gitlab", &gl);
    root.inventory_entry(&secret_entry("gitlab", "gl-prompt", &gl));

    let Some((code, out)) = run_on_terminal(&root.revoke(&fake, &[]), "no\n") else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    let (plan, prompt) = (
        out.find("key_id=gl-prompt"),
        out.find("Type REVOKE to continue"),
    );
    assert!(plan.is_some() && prompt.is_some(), "{out}");
    assert!(plan < prompt, "the prompt came before the plan: {out}");
    assert_eq!(code, 1, "declined: the key stays exposed: {out}");
    assert!(fake.seen().is_empty(), "declining called {:?}", fake.seen());
    assert!(fake.is_live(&gl));

    let (code, out) =
        run_on_terminal(&root.revoke(&fake, &[]), "REVOKE\n").expect("script ran before");
    assert_eq!(code, 0, "{out}");
    assert!(!fake.is_live(&gl), "typing REVOKE revoked nothing: {out}");
    assert!(!out.contains(&gl), "the terminal showed the secret");
}

#[test]
fn a_run_killed_after_its_intent_resumes_and_revokes_each_key_once() {
    let fake = Fake::start();
    let mut root = Root::new();
    let stuck = fakekeys::token("glpat-", "kill-stuck", 20);
    let fine = fakekeys::token("glpat-", "kill-fine", 20);
    fake.live(&stuck);
    fake.live(&fine);
    fake.state
        .stall_revoke
        .lock()
        .expect("lock")
        .insert(stuck.clone());
    let fp_stuck = root.plant_token("a.env", "gitlab.pat", "gitlab", &stuck);
    let fp_fine = root.plant_token("b.env", "gitlab.pat", "gitlab", &fine);
    root.inventory_entry(&secret_entry("gitlab", "stuck", &stuck));
    root.inventory_entry(&secret_entry("gitlab", "fine", &fine));
    let mut cmd = root.revoke(&fake, &["--yes"]);
    cmd.env("KEYSWEEP_HTTP_TIMEOUT_MS", "600000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn keysweep");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = std::fs::read_to_string(root.audit()).unwrap_or_default();
        let stuck_intent = log
            .lines()
            .any(|l| l.contains(&fp_stuck) && l.contains("\"event\":\"intent\""));
        let fine_done = log
            .lines()
            .any(|l| l.contains(&fp_fine) && l.contains("\"outcome\":\"revoked\""));
        if stuck_intent && fine_done && fake.count_with("DELETE", "/api/v4", &stuck) == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first run never reached its stalled call: {log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill keysweep");
    let _ = child.wait();
    fake.state.stall_revoke.lock().expect("lock").clear();
    let (code, out, err) = run(root.revoke(&fake, &["--yes", "--resume"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("1 in doubt"), "{err}");
    assert!(
        out.contains("in doubt after an interrupted run; probe"),
        "{out}"
    );
    assert_eq!(
        fake.count_with("DELETE", "/api/v4", &stuck),
        1,
        "in-doubt key revoked twice"
    );
    assert_eq!(
        fake.count_with("DELETE", "/api/v4", &fine),
        1,
        "done key revoked twice"
    );
    assert_eq!(
        fake.count_with("GET", "/api/v4", &stuck),
        1,
        "in-doubt key not probed first"
    );
}

/// Hostile input, point 21: a run killed while its DELETE was still in flight, resumed at once, probed the key
/// live and sent a second DELETE. The resume now lets a key in doubt settle and probes it again: the first call
/// lands, the second probe sees the key dead, and no second DELETE is sent; the audit log says so.
#[test]
fn a_resume_while_the_first_delete_is_in_flight_settles_before_sending_another() {
    let fake = Fake::start();
    let mut root = Root::new();
    let slow = fakekeys::token("glpat-", "late-landing", 20);
    fake.live(&slow);
    fake.state
        .land_after_probe
        .lock()
        .expect("lock")
        .insert(slow.clone());
    let fp = root.plant_token("a.env", "gitlab.pat", "gitlab", &slow);
    root.inventory_entry(&secret_entry("gitlab", "slow", &slow));
    let mut cmd = root.revoke(&fake, &["--yes"]);
    cmd.env("KEYSWEEP_HTTP_TIMEOUT_MS", "600000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn keysweep");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !fake.state.in_flight.lock().expect("lock").contains(&slow) {
        assert!(
            Instant::now() < deadline,
            "the first run never sent its DELETE"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("kill keysweep");
    let _ = child.wait();
    assert!(
        fake.is_live(&slow),
        "the first DELETE landed before the resume started"
    );
    let mut resume = root.revoke(&fake, &["--yes", "--resume"]);
    resume.env("KEYSWEEP_SETTLE_MS", "200");
    let (code, out, err) = run(resume);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        fake.count_with("DELETE", "/api/v4", &slow),
        1,
        "a second DELETE was sent while the first was in flight"
    );
    assert_eq!(
        fake.count_with("GET", "/api/v4", &slow),
        2,
        "probed, settled, probed again"
    );
    assert!(!fake.is_live(&slow));
    let log = std::fs::read_to_string(root.audit()).expect("audit log");
    let settled = log
        .lines()
        .find(|l| l.contains(&fp) && l.contains("probed live") && l.contains("again after 200 ms"))
        .unwrap_or_else(|| panic!("no settle record: {log}"));
    assert!(settled.contains("already_revoked"), "{settled}");
}

/// Hostile input, point 12: a findings file is untrusted, and so are the locations it names. A location that
/// is a FIFO blocked `revoke`, one linked to `/dev/zero` read until memory ran out, and a directory linked out
/// of `--root` let it read any file. Each is now refused, named with its cause, and nothing is called.
#[cfg(unix)]
#[test]
fn locations_that_are_fifos_devices_or_links_out_of_the_root_are_refused() {
    let fake = Fake::start();
    let mut root = Root::new();
    let outside = tempfile::tempdir().expect("tempdir");
    let tokens: Vec<String> = (0..3)
        .map(|i| fakekeys::token("glpat-", &format!("hostile-location-{i}"), 20))
        .collect();
    for (i, (rel, t)) in ["pipe.env", "zero.env", "linked/secret.env"]
        .iter()
        .zip(&tokens)
        .enumerate()
    {
        fake.live(t);
        root.plant_token(rel, "gitlab.pat", "gitlab", t);
        root.inventory_entry(&secret_entry("gitlab", &format!("gl-{i}"), t));
    }
    // Replace what was planted: a FIFO, a link to /dev/zero, and a directory link to a copy outside the root.
    std::fs::remove_file(root.path().join("pipe.env")).expect("rm");
    if !program("mkfifo")
        .arg(root.path().join("pipe.env"))
        .status()
        .is_ok_and(|s| s.success())
    {
        return;
    }
    std::fs::remove_file(root.path().join("zero.env")).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", root.path().join("zero.env")).expect("link");
    let linked = root.path().join("linked");
    std::fs::rename(&linked, outside.path().join("linked")).expect("move out");
    std::os::unix::fs::symlink(outside.path().join("linked"), &linked).expect("link");
    let started = Instant::now();
    let mut cmd = root.revoke(&fake, &["--yes"]);
    cmd.stdin(std::process::Stdio::null());
    let (code, out, err) = run(cmd);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "revoke blocked"
    );
    assert_ne!(code, 0, "{out}{err}");
    let text = format!("{out}{err}");
    assert!(
        text.contains("pipe.env") && text.contains("not a regular file"),
        "{text}"
    );
    assert!(text.contains("zero.env"), "{text}");
    assert!(text.contains("linked/secret.env"), "{text}");
    assert!(fake.seen().is_empty(), "called {:?}", fake.seen());
    assert!(tokens.iter().all(|t| fake.is_live(t)));
}

/// The dry-run plan reads the audit log and says what earlier runs did; `--verify-only` probes (every probe an
/// audit record, intent and answer) and revokes nothing; exit 0 once every key is proven dead.
#[test]
fn dry_runs_show_earlier_runs_and_verify_only_probes_without_revoking() {
    let fake = Fake::start();
    let mut root = Root::new();
    let gl = fakekeys::token("glpat-", "verify-only", 20);
    fake.live(&gl);
    let fp = root.plant_token("ci/.env", "gitlab.pat", "gitlab", &gl);
    root.inventory_entry(&secret_entry("gitlab", "gl-verify", &gl));
    // Read-only first: live, so exit 1, and nothing revoked.
    let (code, out, err) = run(root.revoke(&fake, &["--verify-only"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("live             gitlab             key_id=gl-verify"),
        "{out}"
    );
    assert!(fake.is_live(&gl));
    assert_eq!(fake.count("DELETE", "/api/v4"), 0, "verify-only revoked");
    let probes = |log: &str| {
        log.lines()
            .filter(|l| l.contains(&fp) && l.contains("\"action\":\"probe\""))
            .count()
    };
    let log = std::fs::read_to_string(root.audit()).expect("audit log");
    assert_eq!(probes(&log), 2, "intent and answer: {log}");
    // Revoked; the next dry run says so instead of planning the call again.
    let (code, out, err) = run(root.revoke(&fake, &["--yes"]));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(root.revoke(&fake, &[]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("done in an earlier run"), "{out}");
    // And the probe proves it dead.
    let (code, out, err) = run(root.revoke(&fake, &["--verify-only"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("dead             gitlab"), "{out}");
    let log = std::fs::read_to_string(root.audit()).expect("audit log");
    assert_eq!(probes(&log), 4, "{log}");
    assert!(!log.contains(&gl), "the audit log holds the token");
}
