//! Range and staged scans report what the change adds: a pull request that edits a file already holding a
//! secret, renames it or moves it is not blamed for that secret; one that adds a secret is, even inside a file
//! that had another. The summary counts the secrets it saw and did not report, and
//! `--all-secrets-in-changed-files` reports them.

use super::{at_path, findings, scan};
use crate::support::fakekeys::ghp;
use crate::support::repo::{TestRepo, git};

/// A repository whose first commit holds `app.env` with an old (FAKE) token and `README.md`.
fn with_old_secret() -> (TestRepo, String) {
    let t = TestRepo::new();
    t.write("README.md", "# fake repository for a keysweep test\n");
    t.write(
        "app.env",
        format!("# fake\nOLD_TOKEN={}\n", ghp("old-secret")),
    );
    let base = t.commit(0, "initial").to_string();
    (t, base)
}

#[test]
fn a_range_that_edits_a_file_with_an_old_secret_reports_only_what_it_adds() {
    let (t, base) = with_old_secret();
    // Appending a line is not adding the secret.
    t.write(
        "app.env",
        format!("# fake\nOLD_TOKEN={}\nDEBUG=1\n", ghp("old-secret")),
    );
    t.commit(1, "append a line");
    let range = format!("{base}..HEAD");
    let (code, report) = scan(t.path(), &["--diff", &range]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["pre_existing"], 1, "{report}");
    // A new token in the same file is the change's.
    t.write(
        "app.env",
        format!(
            "# fake\nOLD_TOKEN={}\nDEBUG=1\nNEW_TOKEN={}\n",
            ghp("old-secret"),
            ghp("new-secret")
        ),
    );
    t.commit(2, "add a token");
    let (code, report) = scan(t.path(), &["--diff", &range]);
    assert_eq!(code, 1, "{report}");
    let found = at_path(&report, "app.env");
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0]["locations"][0]["line"], 4, "{report}");
    assert_eq!(report["summary"]["pre_existing"], 1, "{report}");
    // Asked for, every secret in the changed files.
    let (code, report) = scan(
        t.path(),
        &["--diff", &range, "--all-secrets-in-changed-files"],
    );
    assert_eq!(code, 1, "{report}");
    assert_eq!(findings(&report).len(), 2, "{report}");
    assert_eq!(report["summary"]["pre_existing"], 0, "{report}");
}

#[test]
fn renaming_or_moving_a_file_with_an_old_secret_is_not_adding_it() {
    let (t, base) = with_old_secret();
    std::fs::create_dir(t.path().join("config")).expect("mkdir");
    git(t.path(), &["mv", "app.env", "config/app.env"]);
    // Staged: the pre-commit hook lets the move through.
    let (code, report) = scan(t.path(), &["--staged"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["pre_existing"], 1, "{report}");
    git(t.path(), &["commit", "-q", "-m", "move the config"]);
    let (code, report) = scan(t.path(), &["--diff", &format!("{base}..HEAD")]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["pre_existing"], 1, "{report}");
}

#[test]
fn staged_edits_of_a_file_with_a_committed_secret_pass_and_new_secrets_block() {
    let (t, _) = with_old_secret();
    t.write(
        "app.env",
        format!("# fake\nOLD_TOKEN={}\nDEBUG=1\n", ghp("old-secret")),
    );
    t.stage_all();
    let (code, report) = scan(t.path(), &["--staged"]);
    assert_eq!(code, 0, "{report}");
    t.write("other.env", format!("TOKEN={}\n", ghp("staged-new")));
    t.stage_all();
    let (code, report) = scan(t.path(), &["--staged"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(at_path(&report, "other.env").len(), 1, "{report}");
    assert_eq!(findings(&report).len(), 1, "{report}");
    // Human output says what it left out.
    let out = crate::support::keysweep()
        .args(["scan", "--staged", "-f", "human"])
        .arg(t.path())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 secret(s) already in the changed files"),
        "{text}"
    );
}
