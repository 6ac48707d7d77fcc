//! Where users run keysweep, tried the way they would: organisation sweeps (a directory of repositories,
//! shards merged back, a fake GitHub organisation on 127.0.0.1 with `file://` clone URLs, an interrupted sweep
//! resumed) and the GitHub Action's script against a scratch repository with a simulated pull_request event.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::command::bin;
use crate::support::fakekeys::p256_pem;
use crate::support::repo::{TestRepo, git};
use crate::support::{keysweep, keysweep_std, program};

/// A repository at `dir` whose history leaks key `seed` (committed, then deleted when `delete`).
fn leaky_repo(dir: &Path, seed: &str, delete: bool) {
    let repo = TestRepo::init(dir);
    repo.write("README.md", "# fake project for tests\n");
    repo.commit(0, "init");
    repo.write("deploy/key.pem", p256_pem(seed));
    repo.commit(1, "add deploy key (fake)");
    if delete {
        repo.remove("deploy/key.pem");
        repo.commit(2, "remove key");
    }
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// (fingerprint, repository, path, commit) of every location, sorted: what must agree between sweeps.
fn sightings(report: &Value) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for f in report["findings"].as_array().expect("findings") {
        for l in f["locations"].as_array().expect("locations") {
            out.push((
                f["fingerprint"].as_str().expect("fingerprint").to_string(),
                l["repository"].as_str().unwrap_or("").to_string(),
                l["path"].as_str().unwrap_or("").to_string(),
                l["commit"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn sweep_dir_shards_merge_to_the_unsharded_result() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("org");
    for i in 0..7 {
        leaky_repo(
            &root.join(format!("team-{}/repo-{i}", i % 2)),
            &format!("key-{i}"),
            i % 3 == 0,
        );
    }
    // One clean repository and one plain directory that is not a repository.
    let clean = TestRepo::init(&root.join("clean"));
    clean.write("main.rs", "fn main() {}\n");
    clean.commit(0, "init");
    std::fs::create_dir_all(root.join("not-a-repo")).expect("mkdir");
    let cache = tmp.path().join("cache");

    let out = keysweep()
        .args(["sweep", "--dir"])
        .arg(&root)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["-f", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let whole = json_of(&out);
    assert_eq!(
        whole["findings"].as_array().map(Vec::len),
        Some(7),
        "{whole:#}"
    );
    let repos: Vec<String> = sightings(&whole).into_iter().map(|s| s.1).collect();
    assert!(
        repos
            .iter()
            .all(|r| r.starts_with("team-") && !r.starts_with('/')),
        "{repos:?}"
    );

    let mut parts = Vec::new();
    for k in 1..=3 {
        let file = tmp.path().join(format!("shard-{k}.json"));
        let code = keysweep()
            .args(["sweep", "--dir"])
            .arg(&root)
            .arg("--cache-dir")
            .arg(&cache)
            .args(["--shard", &format!("{k}/3"), "-f", "json", "-o"])
            .arg(&file)
            .output()
            .expect("runs")
            .status
            .code();
        assert!(matches!(code, Some(0 | 1)), "shard {k} exit {code:?}");
        parts.push(file);
    }
    let merged = keysweep().arg("merge").args(&parts).output().expect("runs");
    let merged = json_of(&merged);
    assert_eq!(sightings(&merged), sightings(&whole));
    assert_eq!(
        merged["summary"]["blobs_scanned"],
        whole["summary"]["blobs_scanned"]
    );
}

/// A fake GitHub API: `GET /orgs/acme/repos` in pages of two, with `Link: rel="next"`.
fn serve_org(clone_urls: Vec<String>) -> (String, std::thread::JoinHandle<()>) {
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, HeaderValue, header};
    use axum::routing::get;
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
            let base = format!("http://{}", listener.local_addr().expect("address"));
            tx.send(base.clone()).expect("send base");
            let app = axum::Router::new()
                .route(
                    "/orgs/acme/repos",
                    get(|State((urls, base)): State<(Vec<String>, String)>, Query(q): Query<std::collections::HashMap<String, String>>| async move {
                        let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                        let items: Vec<Value> = urls
                            .iter()
                            .skip((page - 1) * 2)
                            .take(2)
                            .map(|u| serde_json::json!({ "full_name": u, "clone_url": u }))
                            .collect();
                        let mut headers = HeaderMap::new();
                        if page * 2 < urls.len() {
                            let next = format!("<{base}/orgs/acme/repos?per_page=100&type=all&page={}>; rel=\"next\"", page + 1);
                            headers.insert(header::LINK, HeaderValue::from_str(&next).expect("header"));
                        }
                        (headers, axum::Json(Value::Array(items)))
                    }),
                )
                .with_state((clone_urls, base));
            // The server lives as long as the test process.
            axum::serve(listener, app).await.expect("serve");
        });
    });
    (rx.recv().expect("server started"), handle)
}

#[test]
fn sweep_github_org_mirrors_clone_urls_and_reports_a_broken_one() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut urls = Vec::new();
    for i in 0..4 {
        let work = tmp.path().join(format!("src-{i}"));
        leaky_repo(&work, &format!("org-key-{i}"), true);
        let bare = tmp.path().join(format!("remote-{i}.git"));
        git2::Repository::init_bare(&bare).expect("bare");
        git(
            &work,
            &["push", "--quiet", "--all", &bare.display().to_string()],
        );
        urls.push(format!("file://{}", bare.display()));
    }
    urls.insert(
        2,
        format!("file://{}", tmp.path().join("missing.git").display()),
    );
    let (base, _server) = serve_org(urls.clone());
    let cache = tmp.path().join("cache");
    let run = || {
        keysweep()
            .env("KEYSWEEP_GITHUB_URL", &base)
            .args(["sweep", "--github-org", "acme", "--cache-dir"])
            .arg(&cache)
            .args(["-f", "json"])
            .output()
            .expect("runs")
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a broken repository is an error: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out);
    assert_eq!(
        report["findings"].as_array().map(Vec::len),
        Some(4),
        "{report:#}"
    );
    let errors = report["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]["where"]
            .as_str()
            .is_some_and(|w| w.contains("missing.git")),
        "{errors:?}"
    );
    // Mirrors are kept and fetched (not cloned again) on the next run.
    let mirrors = std::fs::read_dir(cache.join("repos"))
        .expect("mirrors")
        .count();
    assert_eq!(mirrors, 4);
    let again = json_of(&run());
    assert_eq!(sightings(&again), sightings(&report));
}

#[test]
fn interrupted_sweep_resumes_without_rescanning_done_repositories() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut lines = Vec::new();
    for i in 0..3 {
        let dir = tmp.path().join(format!("r{i}"));
        leaky_repo(&dir, &format!("resume-{i}"), false);
        lines.push(format!("r{i}"));
    }
    // The last entry never answers, so the first sweep is still running when it is killed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let hang = format!(
        "http://{}/stalled.git",
        listener.local_addr().expect("address")
    );
    let list = tmp.path().join("repos.txt");
    std::fs::write(&list, format!("{}\n{hang}\n", lines.join("\n"))).expect("write list");
    let cache = tmp.path().join("cache");
    let mut child = keysweep_std()
        .args(["sweep", "--repos"])
        .arg(&list)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["-f", "json", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    let saved = |cache: &PathBuf| -> usize {
        std::fs::read_dir(cache.join("sweeps"))
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count()
    };
    while saved(&cache) < 3 {
        assert!(
            Instant::now() < deadline,
            "the first sweep saved no progress"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill");
    child.wait().expect("reap");
    drop(listener);

    // Restart with the stalled entry gone from the same list: the three done repositories are not rescanned.
    std::fs::write(&list, format!("{}\n", lines.join("\n"))).expect("rewrite list");
    let out = keysweep()
        .args(["sweep", "--repos"])
        .arg(&list)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["-f", "json", "-v"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("done in an earlier run").count(),
        3,
        "{stderr}"
    );
    assert!(
        stderr.contains("resuming an interrupted sweep: 3 of 3 repositories already scanned"),
        "{stderr}"
    );
    let report = json_of(&out);
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(3));
    assert_eq!(saved(&cache), 0, "a completed sweep forgets its state");
}

/// Runs scripts/action.sh as the composite action does for a pull request, with keysweep on PATH.
pub(crate) fn run_action(
    repo: &Path,
    event: &Path,
    extra: &[(&str, &str)],
) -> (i32, String, PathBuf) {
    let mut env = vec![("GITHUB_EVENT_NAME", "pull_request")];
    env.extend_from_slice(extra);
    run_action_as(repo, event, &env)
}

/// Runs scripts/action.sh as the composite action does, with keysweep on PATH and `env` set (the event name
/// among it).
fn run_action_as(repo: &Path, event: &Path, extra: &[(&str, &str)]) -> (i32, String, PathBuf) {
    let bin_dir = bin().parent().expect("bin dir").to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let runner = repo.parent().expect("parent").join("runner");
    std::fs::create_dir_all(&runner).expect("mkdir");
    let summary = runner.join("summary.md");
    let outputs = runner.join("outputs");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action.sh");
    let mut cmd = program("bash");
    cmd.arg(script)
        .current_dir(repo)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("GITHUB_EVENT_PATH", event)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_TEMP", &runner)
        .env("INPUT_SARIF_FILE", runner.join("keysweep.sarif"));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.code().is_some(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().expect("code"), stdout, runner)
}

#[test]
fn action_on_a_pull_request_reports_only_what_it_adds_and_cannot_allowlist_itself() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("repo");
    let repo = TestRepo::init(&dir);
    repo.write("old/key.pem", p256_pem("already-in-base"));
    repo.write("README.md", "# fake project\n");
    let base = repo.commit(0, "base");
    // The pull request adds a key, and tries to silence it: a config allowlisting everything and an inline
    // allow comment. Neither may count, since policy comes from the base commit.
    repo.write(
        "app/new.pem",
        format!("# keysweep:allow\n{}", p256_pem("added-by-pr")),
    );
    repo.write(".keysweep.toml", "[allowlist]\npaths = [\"**\"]\n");
    let head = repo.commit(1, "pr");
    git(&dir, &["status", "--short"]);
    let event = tmp.path().join("event.json");
    let payload = serde_json::json!({
        "action": "synchronize",
        "pull_request": { "number": 7, "base": { "sha": base.to_string() }, "head": { "sha": head.to_string() } }
    });
    std::fs::write(&event, payload.to_string()).expect("write event");

    let (code, stdout, runner) = run_action(&dir, &event, &[]);
    assert_eq!(code, 1, "{stdout}");
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "{stdout}");
    assert!(errors[0].contains("file=app/new.pem"), "{stdout}");
    assert!(errors[0].contains("line=2"), "{stdout}");
    assert!(
        !stdout.contains("MIG"),
        "no key material in annotations: {stdout}"
    );
    let summary = std::fs::read_to_string(runner.join("summary.md")).expect("step summary written");
    assert!(summary.contains("app/new.pem"), "{summary}");
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(runner.join("keysweep.sarif")).expect("sarif"))
            .expect("JSON");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(1)
    );
    let outputs = std::fs::read_to_string(runner.join("outputs")).expect("outputs");
    assert!(outputs.contains("exit-code=1"), "{outputs}");

    // With fail-on-findings false the step passes but still reports.
    let (code, stdout, _) = run_action(&dir, &event, &[("INPUT_FAIL_ON_FINDINGS", "false")]);
    assert_eq!(code, 0);
    assert!(stdout.contains("::error"));
}

#[test]
fn action_on_a_clean_pull_request_passes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("repo");
    let repo = TestRepo::init(&dir);
    repo.write("README.md", "# fake project\n");
    let base = repo.commit(0, "base");
    repo.write(
        "src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a + b }\n",
    );
    let head = repo.commit(1, "pr");
    let event = tmp.path().join("event.json");
    let payload = serde_json::json!({ "pull_request": { "base": { "sha": base.to_string() }, "head": { "sha": head.to_string() } } });
    std::fs::write(&event, payload.to_string()).expect("write event");
    let (code, stdout, runner) = run_action(&dir, &event, &[]);
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("::error"));
    let outputs = std::fs::read_to_string(runner.join("outputs")).expect("outputs");
    assert!(outputs.contains("exit-code=0"), "{outputs}");
}

#[test]
fn sweep_refuses_a_real_github_under_the_loopback_guard() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = keysweep()
        .env("KEYSWEEP_GITHUB_URL", "https://api.github.com")
        .args(["sweep", "--github-org", "acme", "--cache-dir"])
        .arg(tmp.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refused to call https://api.github.com"),
        "{err}"
    );
}

#[test]
fn action_on_a_pull_request_that_edits_a_file_with_an_old_secret_passes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("repo");
    let repo = TestRepo::init(&dir);
    let old = p256_pem("old-in-base");
    repo.write("deploy/key.pem", &old);
    let base = repo.commit(0, "base");
    // The pull request appends a comment to the file: it adds no secret.
    repo.write("deploy/key.pem", format!("{old}# rotated next quarter\n"));
    let head = repo.commit(1, "pr");
    let event = tmp.path().join("event.json");
    let payload = serde_json::json!({ "pull_request": { "base": { "sha": base.to_string() }, "head": { "sha": head.to_string() } } });
    std::fs::write(&event, payload.to_string()).expect("write event");
    let (code, stdout, runner) = run_action(&dir, &event, &[]);
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("::error"), "{stdout}");
    let outputs = std::fs::read_to_string(runner.join("outputs")).expect("outputs");
    assert!(outputs.contains("exit-code=0"), "{outputs}");
}

#[test]
fn action_on_a_push_to_a_shallow_clone_deepens_it_or_fails_loudly() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let origin = tmp.path().join("origin");
    let repo = TestRepo::init(&origin);
    repo.write("old/key.pem", p256_pem("deep-in-history"));
    repo.commit(0, "add a key (fake)");
    repo.remove("old/key.pem");
    repo.write("README.md", "# fake project\n");
    repo.commit(1, "remove it");
    let event = tmp.path().join("event.json");
    std::fs::write(&event, "{}").expect("write event");
    let push = |dir: &Path| {
        let (code, stdout, _) = run_action_as(dir, &event, &[("GITHUB_EVENT_NAME", "push")]);
        (code, stdout)
    };
    // Deepened from its origin: the key in the first commit is found.
    let clone = tmp.path().join("clone");
    let url = format!("file://{}", origin.display());
    git(tmp.path(), &["clone", "-q", "--depth", "1", &url, "clone"]);
    let (code, stdout) = push(&clone);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("old/key.pem"), "{stdout}");
    // No origin to deepen from: an error, not a clean partial scan.
    let lonely = tmp.path().join("lonely");
    git(tmp.path(), &["clone", "-q", "--depth", "1", &url, "lonely"]);
    git(&lonely, &["remote", "remove", "origin"]);
    let (code, stdout) = push(&lonely);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("fetch-depth: 0"), "{stdout}");
}

/// Shell completions and the man page come from the command-line definition itself; the bash script loads in
/// a real bash and completes the subcommands, and the man page names them.
#[test]
fn completions_load_in_bash_and_the_man_page_lists_the_commands() {
    let out = crate::support::keysweep()
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("keysweep.bash");
    std::fs::write(&script, &out.stdout).expect("write");
    let check = program("bash")
        .arg("-c")
        .arg(
            "source \"$1\" && COMP_WORDS=(keysweep re) COMP_CWORD=1 && _keysweep keysweep re keysweep \
             && printf '%s\\n' \"${COMPREPLY[@]}\"",
        )
        .arg("bash")
        .arg(&script)
        .output()
        .expect("bash runs");
    let offered = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(offered.lines().any(|l| l == "revoke"), "{offered}");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = crate::support::keysweep()
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("keysweep"),
            "{shell}"
        );
    }
    let out = crate::support::keysweep()
        .arg("man")
        .output()
        .expect("runs");
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(man.contains(".TH keysweep 1"), "{man}");
    for command in ["scan", "revoke", "sweep", "merge"] {
        assert!(man.contains(command), "{command}");
    }
}
