//! A repository's own git configuration is data from whoever wrote the repository: before libgit2 reads it, every
//! `include.path` / `includeIf.*.path` it names (and every config file on the way) must be a regular file. A FIFO
//! or a device there would block the scan forever or feed it without end.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// The most include levels followed (git's own limit is 10).
const MAX_DEPTH: usize = 10;
/// The largest config file read for this check.
const MAX_CONFIG: u64 = 1 << 20;

/// Checks the config files of the repository that contains `start` (as `git` would discover it).
pub fn check(start: &Path) -> Result<()> {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        let git_dir = match std::fs::symlink_metadata(&dot_git) {
            Ok(m) if m.is_dir() => Some(dot_git),
            Ok(m) if m.is_file() => gitfile_target(&dot_git, dir),
            _ if dir.join("HEAD").is_file() && dir.join("objects").is_dir() => {
                Some(dir.to_path_buf())
            }
            _ => None,
        };
        let Some(git_dir) = git_dir else {
            continue;
        };
        let mut configs = vec![git_dir.join("config")];
        if let Some(common) = read_small(&git_dir.join("commondir")) {
            let common = common.trim();
            if !common.is_empty() {
                configs.push(git_dir.join(common).join("config"));
            }
        }
        for config in configs {
            check_file(&config, 0)?;
        }
        return Ok(());
    }
    Ok(())
}

/// The directory a `.git` file (`gitdir: …`, linked worktrees and submodules) points to.
fn gitfile_target(file: &Path, dir: &Path) -> Option<PathBuf> {
    let text = read_small(file)?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    Some(dir.join(target))
}

/// A small regular file's text; `None` for anything else.
fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_CONFIG {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// Refuses a config file that exists but is not a regular file, then checks what it includes.
fn check_file(config: &Path, depth: usize) -> Result<()> {
    match std::fs::metadata(config) {
        Err(_) => return Ok(()), // missing: git skips it too
        Ok(m) if !m.is_file() => bail!(
            "{}: git config is not a regular file (a FIFO, socket or device): refusing to read the repository",
            config.display()
        ),
        Ok(_) => {}
    }
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let Some(text) = read_small(config) else {
        return Ok(());
    };
    let base = config.parent().unwrap_or(Path::new("."));
    for include in include_paths(&text) {
        let path = if let Some(rest) = include.strip_prefix("~/") {
            match std::env::var_os("HOME") {
                Some(home) => PathBuf::from(home).join(rest),
                None => continue,
            }
        } else {
            base.join(&include)
        };
        check_file(&path, depth + 1)?;
    }
    Ok(())
}

/// The `path` values of `[include]` and `[includeIf "…"]` sections, conditions not evaluated (every one is
/// checked).
fn include_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_include = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(section) = line.strip_prefix('[') {
            let name = section.split([']', ' ', '"', '.']).next().unwrap_or("");
            in_include =
                name.eq_ignore_ascii_case("include") || name.eq_ignore_ascii_case("includeif");
            // `[include] path = x` may share the header's line.
            let rest = section.split_once(']').map_or("", |(_, r)| r.trim());
            if in_include && let Some(v) = path_value(rest) {
                out.push(v);
            }
            continue;
        }
        if in_include && let Some(v) = path_value(line) {
            out.push(v);
        }
    }
    out
}

/// The value of a `path = …` line, unquoted.
fn path_value(line: &str) -> Option<String> {
    let (key, value) = line.split_once('=')?;
    if !key.trim().eq_ignore_ascii_case("path") {
        return None;
    }
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths_of_every_include_section() {
        let text = "[core]\n\tbare = false\n[include]\n\tpath = one.cfg\n[includeIf \"gitdir:~/x/\"]\n\
                    path = \"two.cfg\"\n[user]\n\tpath = not-an-include\n";
        assert_eq!(include_paths(text), vec!["one.cfg", "two.cfg"]);
    }

    #[cfg(unix)]
    #[test]
    fn git_config_include_naming_a_fifo_is_refused_not_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let git = dir.path().join(".git");
        std::fs::create_dir_all(&git).expect("mkdir");
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            return; // no mkfifo on this system
        }
        std::fs::write(
            git.join("config"),
            format!("[include]\n\tpath = {}\n", fifo.display()),
        )
        .expect("write config");
        let err = check(dir.path()).expect_err("a FIFO include is refused");
        assert!(format!("{err}").contains("not a regular file"), "{err}");
        std::fs::write(git.join("config"), "[core]\n\tbare = false\n").expect("write config");
        check(dir.path()).expect("a plain config passes");
    }
}
