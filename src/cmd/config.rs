//! `keysweep config import`, and `scan`'s reading of a gitleaks or Betterleaks config where there is no
//! `.keysweep.toml`: both translate with [`crate::migrate`], resolve ignore-file entries to fingerprints with
//! the rules the scan will use, and say line by line what was and was not carried over.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::cli::ConfigImportArgs;
use crate::config::{DEFAULT_MAX_FILE_SIZE, ScanConfig, SourceMode, SuppressHook, git_root};
use crate::display::escape;
use crate::migrate::{self, CONFIG_NAMES, IGNORE_NAMES, IgnoreEntry, Import, Level, Note};
use crate::model::{ExitStatus, Finding};
use crate::policy::{Baseline, BaselineEntry};
use crate::rules::RuleSet;

/// The rules a scan with this import would use: built-ins minus the disabled ones, plus the imported rules.
fn rules_of(import: &Import) -> Result<Arc<RuleSet>> {
    let (mut rules, mut errors) = RuleSet::load(true, &[], &import.disable)?;
    rules.add_file(&import.rules_toml(), "imported rules", &mut errors);
    if let Some(e) = errors.into_iter().next() {
        return Err(e.context("the imported rules do not load"));
    }
    Ok(Arc::new(rules))
}

/// Reads an ignore file's entries (malformed ones become notes).
fn read_ignore(import: &mut Import, path: &Path) -> Result<Vec<IgnoreEntry>> {
    let text = migrate::read_bounded(path, migrate::ignore::MAX_IGNORE_FILE)?;
    let (entries, notes) = migrate::ignore::parse(&text, &path.display().to_string());
    import.notes.extend(notes);
    Ok(entries)
}

/// Resolves ignore entries against the files they name (under `root`, or at `rev`) with the rules a scan with
/// this import would use; what does not resolve becomes a note.
fn resolve_ignore(
    import: &Import,
    entries: &[IgnoreEntry],
    root: &Path,
    rev: Option<&str>,
    max_size: u64,
) -> Result<(Vec<BaselineEntry>, Vec<Note>)> {
    let (found, notes) = migrate::ignore::resolve(
        entries,
        root,
        rev,
        rules_of(import)?,
        &import.allowlist.stopwords,
        &import.custom_ids,
        max_size,
    );
    let entries = found
        .into_iter()
        .map(|(fingerprint, rule_id, path)| BaselineEntry {
            fingerprint,
            rule_id,
            path: Some(path),
        })
        .collect();
    Ok((entries, notes))
}

/// Where gitleaks-format files are looked for: the git root of `path`, else `path` (its directory for a file).
fn places(path: &Path) -> Vec<PathBuf> {
    let dir = if path.is_file() {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        path.to_path_buf()
    };
    git_root(path).into_iter().chain([dir]).collect()
}

/// Where an imported gitleaks-format policy came from.
enum Origin {
    /// A config file found beside the scanned tree, or named by a path variable.
    File(PathBuf, Option<&'static str>),
    /// A config's text in an environment variable.
    Text(&'static str, String),
}

/// The first of gitleaks' and Betterleaks' config variables that is set and not empty, in their precedence.
fn env_config() -> Option<Origin> {
    migrate::CONFIG_ENV.iter().find_map(|&(var, kind)| {
        let value = std::env::var(var).ok().filter(|v| !v.is_empty())?;
        Some(match kind {
            migrate::EnvKind::Path => Origin::File(PathBuf::from(value), Some(var)),
            migrate::EnvKind::Text => Origin::Text(var, value),
        })
    })
}

/// A gitleaks-format policy found for a command that has no keysweep config: the import, the ignore file's
/// entries, the directory they are relative to, and what was used (escaped, for the notice).
pub(crate) struct Imported {
    pub import: Import,
    pub entries: Vec<IgnoreEntry>,
    pub dir: PathBuf,
    /// The config's name as errors in its rules are reported (its path, or `$VARIABLE`).
    pub source: String,
    used: Vec<String>,
}

impl Imported {
    /// Says on standard error what is used and warns of each item with no equivalent.
    pub fn announce(&self) {
        eprintln!(
            "keysweep: no {}: using {} (gitleaks format; `keysweep config import` writes the equivalent .keysweep.toml)",
            crate::config::CONFIG_FILE,
            self.used.join(" and ")
        );
        for note in self
            .import
            .notes
            .iter()
            .filter(|n| n.level == Level::Unmapped)
        {
            eprintln!("keysweep: warning: {}", note.render());
        }
    }
}

/// The gitleaks-format policy for a command run at `start` without a keysweep config, in gitleaks' precedence:
/// `BETTERLEAKS_CONFIG`/`GITLEAKS_CONFIG` (a path), then `BETTERLEAKS_CONFIG_TOML`/`GITLEAKS_CONFIG_TOML` (the
/// text), then `.betterleaks.toml`/`.gitleaks.toml` where `.keysweep.toml` would be; the ignore file from there
/// too. With `repo_files` false (a sweep), only the environment counts: a repository's files never do.
pub(crate) fn find_imported(start: &Path, repo_files: bool) -> Result<Option<Imported>> {
    let found = if repo_files {
        places(start).into_iter().find_map(|d| {
            let c = migrate::find_in(&d, CONFIG_NAMES);
            let i = migrate::find_in(&d, IGNORE_NAMES);
            (c.is_some() || i.is_some()).then_some((d, c, i))
        })
    } else {
        None
    };
    let (dir, file, ignore) = found.unwrap_or_else(|| (start.to_path_buf(), None, None));
    let origin = env_config().or_else(|| file.map(|p| Origin::File(p, None)));
    if origin.is_none() && ignore.is_none() {
        return Ok(None);
    }
    let source = match &origin {
        Some(Origin::File(p, _)) => p.display().to_string(),
        Some(Origin::Text(var, _)) => format!("${var}"),
        None => String::new(),
    };
    let (mut import, mut used) = match &origin {
        Some(Origin::File(p, var)) => {
            let import = match var {
                Some(v) => migrate::import_config(p).with_context(|| v.to_string())?,
                None => migrate::import_config(p)?,
            };
            let shown = escape(&p.display().to_string()).into_owned();
            let shown = match var {
                Some(v) => format!("{shown} (from {v})"),
                None => shown,
            };
            (import, vec![shown])
        }
        Some(Origin::Text(var, text)) => (
            migrate::import_config_text(var, text)?,
            vec![format!("${var}")],
        ),
        None => (Import::default(), Vec::new()),
    };
    let entries = match &ignore {
        Some(p) => {
            used.push(escape(&p.display().to_string()).into_owned());
            read_ignore(&mut import, p)?
        }
        None => Vec::new(),
    };
    Ok(Some(Imported {
        import,
        entries,
        dir,
        source,
        used,
    }))
}

/// `scan` and `baseline create` without a `.keysweep.toml` (and without `--config`): read a gitleaks or
/// Betterleaks policy ([`find_imported`]), say so on standard error once, and warn of each item with no
/// equivalent. A broken config is an error, as a broken `.keysweep.toml` is.
pub fn fallback(cfg: &mut ScanConfig) -> Result<()> {
    if cfg.config_file.is_some() {
        return Ok(());
    }
    let start = if cfg.mode == SourceMode::Stdin {
        Path::new(".")
    } else {
        cfg.path.as_path()
    };
    apply(cfg, find_imported(start, true)?);
    Ok(())
}

/// A sweep without `--config`: the security team's gitleaks or Betterleaks config from the environment, never
/// a swept repository's.
pub fn env_fallback(cfg: &mut ScanConfig) -> Result<()> {
    apply(cfg, find_imported(Path::new("."), false)?);
    Ok(())
}

/// The imported policy into a scan's config: allowlists, disabled rules, custom rules, ignore entries.
fn apply(cfg: &mut ScanConfig, imported: Option<Imported>) {
    let Some(imported) = imported else {
        return;
    };
    if !cfg.quiet {
        imported.announce();
    }
    let Imported {
        import,
        entries,
        dir,
        source,
        ..
    } = imported;
    cfg.file = import.file_config();
    if !import.rules.is_empty() {
        cfg.extra_rules = vec![(source, import.rules_toml())];
    }
    if !entries.is_empty() {
        // Entries are resolved after the scan, and only those naming a file a finding is in: a clean pre-commit
        // run reads none of them.
        let (quiet, max_size) = (cfg.quiet, cfg.max_file_size);
        cfg.suppress = Some(SuppressHook(Arc::new(move |findings: &[Finding]| {
            let paths: HashSet<&str> = findings
                .iter()
                .flat_map(|f| &f.locations)
                .map(|l| l.path.as_str())
                .collect();
            let wanted: Vec<IgnoreEntry> = entries
                .iter()
                .filter(|e| paths.contains(e.path.as_str()))
                .cloned()
                .collect();
            if wanted.is_empty() {
                return Vec::new();
            }
            let (found, notes) = match resolve_ignore(&import, &wanted, &dir, None, max_size) {
                Ok(r) => r,
                Err(e) => (
                    Vec::new(),
                    vec![Note::new(
                        (String::new(), 0),
                        Level::Unmapped,
                        format!("{e:#}"),
                    )],
                ),
            };
            if !quiet {
                for note in notes.iter().filter(|n| n.level == Level::Unmapped) {
                    eprintln!("keysweep: warning: {}", note.render());
                }
            }
            found.into_iter().map(|e| e.fingerprint).collect()
        })));
    }
}

/// `keysweep config import`.
pub fn import(args: &ConfigImportArgs) -> Result<ExitStatus> {
    let here = Path::new(".");
    let root = git_root(here).unwrap_or_else(|| here.to_path_buf());
    let look = |names: &[&str]| places(here).iter().find_map(|d| migrate::find_in(d, names));
    // Without --from, gitleaks' precedence: its config variables, then the file.
    let env = if args.from.is_none() {
        env_config()
    } else {
        None
    };
    let from = args.from.clone().or_else(|| match &env {
        Some(Origin::File(p, _)) => Some(p.clone()),
        Some(Origin::Text(..)) => None,
        None => look(CONFIG_NAMES),
    });
    let ignore = args.ignore.clone().or_else(|| look(IGNORE_NAMES));
    if from.is_none() && ignore.is_none() && env.is_none() {
        bail!(
            "no {} or {} here or at the git root; name them with --from and --ignore",
            CONFIG_NAMES.join(", "),
            IGNORE_NAMES.join(", ")
        );
    }
    let mut import = match (&from, &env) {
        (Some(p), _) => migrate::import_config(p)?,
        (None, Some(Origin::Text(var, text))) => migrate::import_config_text(var, text)?,
        (None, _) => Import::default(),
    };
    let baseline = match ignore.as_deref() {
        Some(p) => {
            let entries = read_ignore(&mut import, p)?;
            let (found, notes) = resolve_ignore(
                &import,
                &entries,
                &root,
                args.rev.as_deref(),
                DEFAULT_MAX_FILE_SIZE,
            )?;
            import.notes.extend(notes);
            import.ignore = entries;
            Some(found)
        }
        None => None,
    };

    let out = &args.output;
    let stem = out
        .file_stem()
        .map_or_else(|| "keysweep".into(), |s| s.to_string_lossy().into_owned());
    let rules_file = out.with_file_name(format!("{stem}-rules.toml"));
    let baseline_file = out.with_file_name(format!("{stem}-baseline.json"));
    let mut writes: Vec<(&Path, String)> = Vec::new();
    let rule_ref = rules_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    if !import.rules.is_empty() {
        writes.push((&rules_file, import.rules_toml()));
    }
    let rule_ref = (!import.rules.is_empty()).then_some(rule_ref).flatten();
    writes.push((out, import.config_toml(rule_ref.as_deref())));
    if let Some(entries) = baseline {
        let b = Baseline {
            version: 1,
            findings: entries,
        };
        let text = serde_json::to_string_pretty(&b).context("serializing the baseline")? + "\n";
        writes.push((&baseline_file, text));
    }
    let existing: Vec<String> = writes
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| escape(&p.display().to_string()).into_owned())
        .collect();
    if !existing.is_empty() && !args.force {
        bail!(
            "{} already exist(s); pass --force to overwrite",
            existing.join(", ")
        );
    }
    for (p, text) in &writes {
        std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
    }

    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    for note in &import.notes {
        writeln!(w, "{}", note.render())?;
    }
    let unmapped = import
        .notes
        .iter()
        .filter(|n| n.level == Level::Unmapped)
        .count();
    let written: Vec<String> = writes
        .iter()
        .map(|(p, _)| escape(&p.display().to_string()).into_owned())
        .collect();
    writeln!(
        w,
        "wrote {}: {} rule(s), {} allowlist path(s), {} allowlist regex(es), {} stopword(s), {} rule(s) disabled, {} ignore entr(ies); {unmapped} item(s) not mapped",
        written.join(", "),
        import.rules.len(),
        import.allowlist.paths.len(),
        import.allowlist.regexes.len(),
        import.allowlist.stopwords.len(),
        import.disable.len(),
        import.ignore.len(),
    )?;
    if writes.iter().any(|(p, _)| *p == baseline_file.as_path()) {
        writeln!(
            w,
            "scan with --baseline {} (the Action: `baseline` input) to honour the ignore entries",
            escape(&baseline_file.display().to_string())
        )?;
    }
    if !import.rules.is_empty() {
        writeln!(
            w,
            "the imported rules have no examples yet: `keysweep rules check` asks for them"
        )?;
    }
    Ok(if unmapped == 0 {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}
