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

/// A token for clones from one host (`GITHUB_TOKEN` for the configured GitHub's web host).
pub struct HostToken {
    /// The host the token belongs to (`github.com`, a GitHub Enterprise host).
    pub host: String,
    /// The token.
    pub token: String,
}

impl HostToken {
    /// `GITHUB_TOKEN` for the web host of a GitHub API base (`https://api.github.com` → `github.com`,
    /// `https://ghe.example.com/api/v3` → `ghe.example.com`); `None` without a token or a host.
    pub fn github(api_base: &str) -> Option<HostToken> {
        let token = std::env::var("GITHUB_TOKEN")
            .ok()
            .filter(|t| !t.is_empty())?;
        let host = github_web_host(api_base)?;
        Some(HostToken { host, token })
    }
}

/// The web host of a GitHub API base: `api.` dropped (`https://api.github.com` → `github.com`).
fn github_web_host(api_base: &str) -> Option<String> {
    let host = reqwest::Url::parse(api_base)
        .ok()?
        .host_str()?
        .to_ascii_lowercase();
    Some(
        host.strip_prefix("api.")
            .map(str::to_string)
            .unwrap_or(host),
    )
}

/// The git configuration, as environment variables (`GIT_CONFIG_COUNT`/`_KEY_n`/`_VALUE_n`, never on the command
/// line, where every local user could read it), that sends `auth`'s token as basic credentials to
/// `https://<host>/` alone; nothing when `url` is not an https URL of that host.
pub fn auth_env(url: &str, auth: Option<&HostToken>) -> Vec<(String, String)> {
    let Some(auth) = auth else {
        return Vec::new();
    };
    let on_host = reqwest::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "https"
            && u.host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(&auth.host))
    });
    if !on_host {
        return Vec::new();
    }
    use base64::Engine as _;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{}", auth.token));
    // Entries the user's environment already passes to git keep their numbers.
    let n: usize = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    vec![
        ("GIT_CONFIG_COUNT".into(), (n + 1).to_string()),
        (
            format!("GIT_CONFIG_KEY_{n}"),
            format!("http.https://{}/.extraHeader", auth.host),
        ),
        (
            format!("GIT_CONFIG_VALUE_{n}"),
            format!("Authorization: basic {basic}"),
        ),
    ]
}

/// Mirrors a remote repository into the cache: `git clone --mirror` the first time, `git fetch` after. The
/// loopback guard applies before git runs; `auth`'s token goes only to its own host.
pub fn mirror(url: &str, cache: &Path, auth: Option<&HostToken>) -> Result<PathBuf> {
    crate::net::guard(url).map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = mirror_dir(url, cache);
    let mut git = Process::new("git");
    git.env("GIT_TERMINAL_PROMPT", "0");
    git.envs(auth_env(url, auth));
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
        bail!(
            "git could not mirror {}: {}",
            crate::net::redact_url(url),
            err.trim()
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> HostToken {
        HostToken {
            host: "github.com".into(),
            token: "ghp_FAKE_not_a_real_token".into(),
        }
    }

    #[test]
    fn sweep_sends_github_token_only_to_the_github_host_and_never_on_argv() {
        let env = auth_env("https://github.com/acme/app.git", Some(&auth()));
        let keys: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"GIT_CONFIG_COUNT"), "{keys:?}");
        let key = &env
            .iter()
            .find(|(k, _)| k.starts_with("GIT_CONFIG_KEY_"))
            .expect("key")
            .1;
        assert_eq!(key, "http.https://github.com/.extraHeader");
        for other in [
            "https://evil.example/acme/app.git",
            "https://github.com.evil.example/x.git",
            "http://github.com/acme/app.git",
            "git@github.com:acme/app.git",
            "file:///tmp/x",
        ] {
            assert!(auth_env(other, Some(&auth())).is_empty(), "{other}");
        }
        assert!(auth_env("https://github.com/a/b.git", None).is_empty());
    }

    #[test]
    fn github_web_host_from_the_api_base() {
        let host = github_web_host;
        assert_eq!(
            host("https://api.github.com").as_deref(),
            Some("github.com")
        );
        assert_eq!(
            host("https://ghe.example.com/api/v3").as_deref(),
            Some("ghe.example.com")
        );
    }
}
