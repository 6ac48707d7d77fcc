//! Writing reports where the user asked: standard output or files (`-o`, `--report FORMAT=FILE`), a file that
//! holds secrets created mode 0600.

use std::fs::OpenOptions;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};

use super::ReportContext;
use crate::config::ScanConfig;
use crate::model::{ColorChoice, Format, ScanReport};
use crate::rules::RuleSet;

/// Opens an output file; created 0600 when it will hold secrets.
pub fn create_output(path: &Path, secret: bool) -> Result<std::fs::File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict permissions of {}", path.display()))?;
    }
    Ok(file)
}

/// Writes the main format (stdout or `-o`) and every `--report`.
pub fn write_reports(cfg: &ScanConfig, rules: &RuleSet, report: &ScanReport) -> Result<()> {
    let mut targets: Vec<(Format, Option<&Path>)> = vec![(cfg.format, cfg.output.as_deref())];
    targets.extend(cfg.reports.iter().map(|(f, p)| (*f, Some(p.as_path()))));
    for (format, path) in targets {
        // `-q`: nothing but errors (on standard error); machine formats asked for are still written.
        if cfg.quiet && path.is_none() && format == Format::Human {
            continue;
        }
        write_one(
            format,
            path,
            rules,
            report,
            cfg.show_secrets,
            cfg.color,
            true,
        )?;
    }
    Ok(())
}

/// Writes one report in one format to a file (or standard output when `path` is `None`). `errors_logged`: the
/// run already wrote its errors to standard error, so the human format only counts them.
pub fn write_one(
    format: Format,
    path: Option<&Path>,
    rules: &RuleSet,
    report: &ScanReport,
    show_secrets: bool,
    color: ColorChoice,
    errors_logged: bool,
) -> Result<()> {
    let color = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            path.is_none() && io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let ctx = ReportContext {
        rules,
        show_secrets,
        color,
        errors_logged,
    };
    match path {
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            super::write(format, report, &ctx, &mut out).and_then(|()| out.flush())?;
        }
        Some(p) => {
            let mut out = io::BufWriter::new(create_output(p, show_secrets)?);
            super::write(format, report, &ctx, &mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("writing {}", p.display()))?;
        }
    }
    Ok(())
}
