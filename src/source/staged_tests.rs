//! The cache-tree walk of `scan --staged` against libgit2's diff of HEAD's tree and the index (and against git
//! itself where libgit2 cannot read the index): the same entries, in the same order, for every kind of staged
//! change.

use std::path::Path;
use std::process::Command;

use git2::{Oid, Repository};
use tempfile::TempDir;

use super::staged::{changes_by_cache_tree, changes_by_libgit2};

/// Runs git in `dir` with no user or system configuration, fixed identity and dates.
fn git_output(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Fixture")
        .env("GIT_AUTHOR_EMAIL", "fixture@example.com")
        .env("GIT_COMMITTER_NAME", "Fixture")
        .env("GIT_COMMITTER_EMAIL", "fixture@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("git runs")
}

/// Runs git in `dir` (see [`git_output`]); returns its standard output.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// A repository with one commit of nested directories (so that most of the cache-tree stays valid).
fn base() -> TempDir {
    let t = TempDir::new().expect("temp dir");
    let d = t.path();
    git(d, &["init", "-q", "-b", "main", "."]);
    for dir in ["a", "a/b", "a/b/c", "d", "e-f", "e"] {
        for f in 0..3 {
            write(
                d,
                &format!("{dir}/file{f}.txt"),
                &format!("fake {dir} {f}\n"),
            );
        }
    }
    write(d, "top.txt", "fake top\n");
    write(d, "e.txt", "fake e\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    t
}

/// The staged entries by both ways, as (blob id, path) text.
fn both(dir: &Path) -> (Option<Vec<String>>, Vec<String>) {
    let repo = Repository::open(dir).expect("open");
    let (_, info) = super::git::open(dir).expect("open");
    let show = |v: Vec<(Oid, Vec<u8>)>| -> Vec<String> {
        v.into_iter()
            .map(|(id, p)| format!("{id} {}", String::from_utf8_lossy(&p)))
            .collect()
    };
    let fast = changes_by_cache_tree(&repo).map(show);
    let slow = show(changes_by_libgit2(&repo, &info).expect("libgit2 diff"));
    (fast, slow)
}

/// Asserts that the cache-tree walk applies and agrees with libgit2, and that `want` paths are what changed.
fn agree(dir: &Path, want: &[&str]) {
    let (fast, slow) = both(dir);
    let fast = fast.expect("the cache-tree walk applies");
    assert_eq!(fast, slow);
    let paths: Vec<&str> = fast
        .iter()
        .map(|l| l.split_once(' ').expect("id and path").1)
        .collect();
    assert_eq!(paths, want);
}

#[test]
fn nothing_staged_is_nothing() {
    let t = base();
    agree(t.path(), &[]);
}

#[test]
fn edits_additions_and_deletions_in_nested_directories() {
    let t = base();
    let d = t.path();
    write(d, "a/b/c/file1.txt", "fake edited\n");
    write(d, "a/b/new.txt", "fake new\n");
    write(d, "new-dir/x/y.txt", "fake deeper\n");
    write(d, "e-f/file9.txt", "fake next to e\n");
    std::fs::remove_file(d.join("d/file0.txt")).expect("rm");
    git(d, &["add", "-A"]);
    agree(
        d,
        &[
            "a/b/c/file1.txt",
            "a/b/new.txt",
            "e-f/file9.txt",
            "new-dir/x/y.txt",
        ],
    );
}

#[test]
fn a_rename_and_a_copy_are_their_new_paths() {
    let t = base();
    let d = t.path();
    git(d, &["mv", "a/b/file0.txt", "a/moved.txt"]);
    std::fs::copy(d.join("d/file1.txt"), d.join("d/copy.txt")).expect("copy");
    git(d, &["add", "d/copy.txt"]);
    agree(d, &["a/moved.txt", "d/copy.txt"]);
}

#[test]
fn a_mode_change_and_a_type_change_are_changes() {
    let t = base();
    let d = t.path();
    git(d, &["update-index", "--chmod=+x", "a/file0.txt"]);
    std::fs::remove_file(d.join("d/file2.txt")).expect("rm");
    std::os::unix::fs::symlink("file1.txt", d.join("d/file2.txt")).expect("symlink");
    git(d, &["add", "d/file2.txt"]);
    agree(d, &["a/file0.txt", "d/file2.txt"]);
}

#[test]
fn a_file_replacing_a_directory_and_a_directory_replacing_a_file() {
    let t = base();
    let d = t.path();
    git(d, &["rm", "-q", "-r", "--cached", "a/b/c"]);
    std::fs::remove_dir_all(d.join("a/b/c")).expect("rm");
    write(d, "a/b/c", "fake now a file\n");
    git(d, &["rm", "-q", "--cached", "top.txt"]);
    std::fs::remove_file(d.join("top.txt")).expect("rm");
    write(d, "top.txt/inside.txt", "fake now a directory\n");
    git(d, &["add", "-A"]);
    agree(d, &["a/b/c", "top.txt/inside.txt"]);
}

/// An intent-to-add entry stands for the empty blob, and libgit2 lists it so (reading it finds nothing); a
/// submodule's commit is never read.
#[test]
fn an_intent_to_add_entry_is_listed_as_libgit2_lists_it_and_a_submodule_is_not() {
    let t = base();
    let d = t.path();
    write(d, "later.txt", "fake later\n");
    git(d, &["add", "-N", "later.txt"]);
    let head = git(d, &["rev-parse", "HEAD"]);
    let info = format!("160000,{},vendor/sub", head.trim());
    git(d, &["update-index", "--add", "--cacheinfo", &info]);
    write(d, "e/file0.txt", "fake edit\n");
    git(d, &["add", "e/file0.txt"]);
    agree(d, &["e/file0.txt", "later.txt"]);
}

#[test]
fn a_repository_with_no_head_stages_everything() {
    let t = TempDir::new().expect("temp dir");
    let d = t.path();
    git(d, &["init", "-q", "-b", "main", "."]);
    write(d, "x/y.txt", "fake one\n");
    write(d, "z.txt", "fake two\n");
    git(d, &["add", "-A"]);
    agree(d, &["x/y.txt", "z.txt"]);
}

#[test]
fn an_index_without_a_cache_tree_compares_every_entry() {
    let t = base();
    let d = t.path();
    git(d, &["read-tree", "--empty"]);
    write(d, "a/b/file2.txt", "fake edit\n");
    git(d, &["add", "-A"]);
    agree(d, &["a/b/file2.txt"]);
}

#[test]
fn index_version_4_is_read() {
    let t = base();
    let d = t.path();
    git(d, &["update-index", "--index-version", "4"]);
    write(d, "a/b/c/file0.txt", "fake edit\n");
    git(d, &["add", "-A"]);
    agree(d, &["a/b/c/file0.txt"]);
}

#[test]
fn conflicted_entries_are_not_read() {
    let t = base();
    let d = t.path();
    git(d, &["checkout", "-q", "-b", "other"]);
    write(d, "a/file1.txt", "fake theirs\n");
    git(d, &["commit", "-q", "-am", "theirs"]);
    git(d, &["checkout", "-q", "main"]);
    write(d, "a/file1.txt", "fake ours\n");
    write(d, "d/file1.txt", "fake merged cleanly\n");
    git(d, &["commit", "-q", "-am", "ours"]);
    git(d, &["checkout", "-q", "other"]);
    write(d, "d/file2.txt", "fake from other\n");
    git(d, &["commit", "-q", "-am", "more"]);
    git(d, &["checkout", "-q", "main"]);
    let out = git_output(d, &["merge", "-q", "other"]);
    assert!(!out.status.success(), "the merge conflicts");
    assert!(git(d, &["ls-files", "-u"]).contains("a/file1.txt"));
    agree(d, &["d/file2.txt"]);
}

#[test]
fn a_split_index_is_read_whole() {
    let t = base();
    let d = t.path();
    git(d, &["update-index", "--split-index"]);
    write(d, "a/b/file1.txt", "fake edit\n");
    write(d, "d/added.txt", "fake added\n");
    git(d, &["add", "-A"]);
    assert!(d.join(".git").read_dir().expect("git dir").any(|e| {
        e.expect("entry")
            .file_name()
            .to_string_lossy()
            .starts_with("sharedindex.")
    }));
    let repo = Repository::open(d).expect("open");
    let fast: Vec<String> = changes_by_cache_tree(&repo)
        .expect("applies")
        .into_iter()
        .map(|(id, p)| format!("{id} {}", String::from_utf8_lossy(&p)))
        .collect();
    // git itself is the reference here: libgit2 does not read split indexes.
    let want: Vec<String> = git(
        d,
        &["diff", "--cached", "--raw", "--no-renames", "--no-abbrev"],
    )
    .lines()
    .filter_map(|l| {
        let (meta, path) = l.split_once('\t')?;
        Some(format!("{} {path}", meta.split(' ').nth(3)?))
    })
    .collect();
    assert_eq!(fast, want);
    assert_eq!(want.len(), 2);
}
