//! Mirrors of remote repositories in a cache directory: `sweep` clones each URL once and fetches it on later runs;
//! `revoke` re-reads a sweep's secrets from the same mirrors, so the origin need not be reachable.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// Whether a repository name is a clone URL (mirrored) rather than a local path.
pub fn looks_like_url(s: &str) -> bool {
    s.contains("://") || (s.contains('@') && s.contains(':') && !Path::new(s).exists())
}

/// Where [`mirror`] keeps the mirror of `url` under `cache`.
pub fn mirror_dir(url: &str, cache: &Path) -> PathBuf {
    let id = hex::encode(&Sha256::digest(url.as_bytes())[..12]);
    cache.join("repos").join(format!("{id}.git"))
}

/// Mirrors a remote repository into the cache: `git clone --mirror` the first time, `git fetch` after.
pub fn mirror(url: &str, cache: &Path) -> Result<PathBuf> {
    crate::net::guard(url).map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = mirror_dir(url, cache);
    let mut git = Process::new("git");
    git.env("GIT_TERMINAL_PROMPT", "0");
    if let Ok(token) = std::env::var("GITHUB_TOKEN")
        && !token.is_empty()
        && url.starts_with("https://")
    {
        use base64::Engine as _;
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
        git.args([
            "-c",
            &format!("http.extraHeader=Authorization: basic {basic}"),
        ]);
    }
    if dir.join("HEAD").is_file() {
        git.arg("-C")
            .arg(&dir)
            .args(["fetch", "--prune", "--quiet", "origin", "+refs/*:refs/*"]);
    } else {
        std::fs::create_dir_all(dir.parent().expect("cache/repos has a parent"))
            .with_context(|| format!("creating {}", cache.display()))?;
        git.args(["clone", "--mirror", "--quiet", url]).arg(&dir);
    }
    let out = git.output().context("running git (is it installed?)")?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!("git could not mirror {url}: {}", err.trim());
    }
    Ok(dir)
}

/// The cache directory when `--cache-dir` is not given: `$XDG_CACHE_HOME/keysweep`, else `~/.cache/keysweep`.
pub fn default_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("keysweep")
}
