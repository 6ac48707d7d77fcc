//! The command line as clap sees it: every command and flag with its help text. Nothing here resolves or
//! validates beyond syntax; `config.rs` turns these raw flags into one immutable configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::model::Format;
use crate::model::{ColorChoice, FailOn};

/// Find leaked private keys and API keys in directories and git histories, match them to your inventory,
/// and revoke them.
#[derive(Debug, Parser)]
#[command(name = "keysweep", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a directory, a file, stdin (`-`) or a git repository's history for leaked secrets.
    Scan(ScanArgs),
    /// List or check detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Work with private key files.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Work with the inventory of the organisation's known keys.
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Plan and carry out revocation of exposed inventory keys (dry-run unless --yes).
    Revoke(RevokeArgs),
    /// Record current findings so later scans report only new ones.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Scan many repositories (a directory of them, a list, or a GitHub organisation).
    Sweep(SweepArgs),
    /// Merge JSON reports (from shards) or JSONL findings into one report, deduplicated by fingerprint.
    Merge(MergeArgs),
    /// Work with configuration: import a gitleaks or Betterleaks config and ignore file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output: `keysweep man > keysweep.1`.
    Man,
    /// Print one field of a GitHub Actions event payload (used by the Action's script).
    #[command(hide = true)]
    CiEvent {
        /// The event payload [default: $GITHUB_EVENT_PATH].
        #[arg(long, value_name = "FILE", env = "GITHUB_EVENT_PATH")]
        event: PathBuf,
        /// Dotted path of the field, e.g. pull_request.base.sha.
        field: String,
    },
}

/// Flags that choose what a scan reads.
#[derive(Clone, Debug, Default, Args)]
pub struct SourceArgs {
    /// Scan every blob reachable from every ref of the git repository at PATH.
    #[arg(long, conflicts_with_all = ["staged", "diff", "since"])]
    pub history: bool,
    /// With --history, also scan unreachable objects in the object database.
    #[arg(long, requires = "history")]
    pub all_objects: bool,
    /// Scan what `git commit` would record: index blobs that differ from HEAD.
    #[arg(long, conflicts_with_all = ["diff", "since"])]
    pub staged: bool,
    /// With --diff, --since or --staged, also report secrets the change did not add: those already in a changed
    /// file's version before the change (or in the file it was renamed from) [default: only what it adds].
    #[arg(long)]
    pub all_secrets_in_changed_files: bool,
    /// Scan only blobs introduced by commits in BASE..HEAD.
    #[arg(long, value_name = "BASE..HEAD", conflicts_with = "since")]
    pub diff: Option<String>,
    /// Shorthand for --diff REF..HEAD.
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,
    /// Follow checked-out submodules: with --history, scan each one's whole history; with --diff/--since, scan
    /// what the submodule commits a range's gitlink updates point to add beyond the base's (paths under the
    /// submodule's path). No effect on --staged: a submodule's files are committed in the submodule itself, so
    /// run the pre-commit hook there too [default: submodules are not followed].
    #[arg(long)]
    pub recurse_submodules: bool,
    /// Do not honour .gitignore, .ignore or .keysweepignore files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Scan only paths matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip paths matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip files, and members of archives, larger than this (e.g. 25MiB, 10MB, 1048576) [default: 25MiB].
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,
}

/// Flags that choose how results are written.
#[derive(Clone, Debug, Default, Args)]
pub struct OutputArgs {
    /// Output format [default: human, or `[output] format` in the config].
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<Format>,
    /// Write the main format to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write FORMAT to FILE from the same run (repeatable), e.g. --report sarif=out.sarif.
    #[arg(long, value_name = "FORMAT=FILE")]
    pub report: Vec<String>,
    /// Print secrets unredacted (files written with it are created mode 0600).
    #[arg(long)]
    pub show_secrets: bool,
    /// Colour human output: auto (on a terminal without NO_COLOR), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
    /// Which findings make the exit code 1: low (any), medium, high (by severity), or validated (checksum or
    /// key verified offline, or found live by --verify). The others are still reported.
    #[arg(long, value_enum, value_name = "LEVEL", default_value = "low")]
    pub fail_on: FailOn,
}

/// Flags shared by commands that scan.
#[derive(Clone, Debug, Default, Args)]
pub struct CommonArgs {
    /// Configuration file [default: .keysweep.toml at the git root of PATH, else in PATH].
    #[arg(long, value_name = "FILE", env = "KEYSWEEP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Worker threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Report only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Inventory of known keys to match findings against [default: `[inventory] path` in the config].
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Probe each finding's liveness with its provider and fill its `liveness` (network; off by default).
    #[arg(long)]
    pub verify: bool,
    /// Report only findings the provider confirmed live (implies --verify); dead and unknown ones count as
    /// suppressed.
    #[arg(long, alias = "only-verified")]
    pub only_live: bool,
    /// The append-only audit log where --verify records each probe (it sends a leaked credential to its
    /// provider), and `scan --revoke` each call [default: .keysweep-audit.jsonl in the current directory, as
    /// for `revoke`].
    #[arg(long, value_name = "FILE", env = "KEYSWEEP_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// Do not honour inline allow comments (`keysweep:allow`, …); the Action sets it on pull requests.
    #[arg(long)]
    pub no_inline_allow: bool,
    /// Leave out findings of this context (repeatable; they count as suppressed): `test` = every location is
    /// in test data, fixtures or examples (`tests/`, `testdata/`, `fixtures/`, `examples/`, `*_test.go`, …)
    /// [default: `[scan] exclude_context` in the config, else report them one severity lower].
    #[arg(long, value_name = "CONTEXT", value_parser = clap::builder::PossibleValuesParser::new(crate::model::CONTEXTS))]
    pub exclude_context: Vec<String>,
    /// Print only errors.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print progress and skipped files.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// `keysweep scan`.
#[derive(Clone, Debug, Args)]
pub struct ScanArgs {
    /// Directory, file or repository to scan; `-` reads standard input.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// What to read.
    #[command(flatten)]
    pub source: SourceArgs,
    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Shared flags.
    #[command(flatten)]
    pub common: CommonArgs,
    /// After scanning, plan revocation of this scan's inventory keys and print the plan on standard error
    /// (dry-run unless --yes; keys not in the inventory are only reported: `keysweep revoke
    /// --include-unlisted` revokes unlisted tokens).
    #[arg(long)]
    pub revoke: bool,
    /// With --revoke, carry out the plan without asking [default: dry-run, or type REVOKE at a prompt].
    #[arg(long, requires = "revoke")]
    pub yes: bool,
}

/// `keysweep rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// One rule per line: id, provider, severity, name (tab-separated, no header).
    List {
        /// Configuration file (for extra rule directories and disabled rules).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Compile rules and run every example and negative example through the real scanner.
    Check {
        /// A directory (or file) of rule files [default: built-ins and configured rule directories].
        dir: Option<PathBuf>,
        /// Configuration file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// `keysweep keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print `path<TAB>key_id or -<TAB>public_key_sha256` for each private key file.
    Fingerprint {
        /// Key files (`.p8`, PEM, …).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `tsv`: path, key id, public_key_sha256 per line; `toml`: inventory `[[key]]` entries to paste.
        #[arg(long, short = 'f', value_enum, default_value = "tsv")]
        format: FingerprintFormat,
    },
}

/// How `keys fingerprint` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FingerprintFormat {
    /// `path<TAB>key_id<TAB>public_key_sha256`.
    Tsv,
    /// Inventory entries (`[[key]]`), ready to paste into the inventory.
    Toml,
}

/// `keysweep inventory …`.
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Validate an inventory file: each problem on standard error naming the entry and field, exit 2 if any.
    /// `kind = "http"` providers come from the .keysweep.toml at the file's git root, else beside it.
    Check {
        /// The inventory (TOML or JSON).
        file: PathBuf,
    },
}

/// `keysweep revoke`.
#[derive(Clone, Debug, Args)]
pub struct RevokeArgs {
    /// A findings file from `keysweep scan --format json` (or jsonl); its secrets are never used, each one is
    /// re-read from its location under --root.
    #[arg(long, value_name = "FILE")]
    pub findings: PathBuf,
    /// Inventory of known keys [default: `[inventory] path` in the config].
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Probe liveness before each revoke call and for keys needing manual steps (network; off by default).
    /// Without --yes it is --verify-only.
    #[arg(long)]
    pub verify: bool,
    /// Only probe each key's liveness (read-only: it sends the leaked credential to its own provider), record
    /// every probe in the audit log, revoke nothing. Exit 0 when every key is proven dead.
    #[arg(long, conflicts_with = "yes")]
    pub verify_only: bool,
    /// Carry out the plan without asking [default: dry-run, or type REVOKE at a prompt].
    #[arg(long)]
    pub yes: bool,
    /// The append-only audit log [default: .keysweep-audit.jsonl in the current directory].
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Say explicitly that this run continues an interrupted one (the log is always read).
    #[arg(long)]
    pub resume: bool,
    /// Also revoke self-revocable tokens (GitHub, GitLab, Slack, npm) that are not in the inventory (off by
    /// default).
    #[arg(long)]
    pub include_unlisted: bool,
    /// Where the findings' paths are relative to (secrets are re-read from there), overriding the absolute
    /// root each location recorded; for a sweep's report, the directory its repository names are relative to
    /// (`sweep --dir`) [default: each location's recorded root, else the current directory].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// For a sweep's report: the sweep's cache directory, where repositories given by URL were mirrored
    /// [default: ~/.cache/keysweep].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Configuration file [default: .keysweep.toml at the git root of --root, else in --root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format of the plan and outcomes [default: human].
    #[arg(long, short = 'f', value_parser = clap::builder::TypedValueParser::map(
        clap::builder::PossibleValuesParser::new(["human", "json"]),
        |s: String| <Format as clap::ValueEnum>::from_str(&s, false).expect("human and json are formats")))]
    pub format: Option<Format>,
}

/// `keysweep baseline …`.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan and write the findings' fingerprints to a baseline file.
    Create(BaselineCreateArgs),
}

/// `keysweep baseline create`.
#[derive(Clone, Debug, Args)]
pub struct BaselineCreateArgs {
    /// What to scan.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// What to read.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The baseline file to write.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

/// `keysweep sweep`.
#[derive(Clone, Debug, Args)]
pub struct SweepArgs {
    /// Every git repository below this directory.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["repos", "github_org"])]
    pub dir: Option<PathBuf>,
    /// A file with one repository path or clone URL per line.
    #[arg(long, value_name = "FILE", conflicts_with = "github_org")]
    pub repos: Option<PathBuf>,
    /// Every repository of a GitHub organisation (token from GITHUB_TOKEN).
    #[arg(long, value_name = "ORG")]
    pub github_org: Option<String>,
    /// Cache directory: mirrors of remote repositories under DIR/repos, the state of unfinished sweeps under
    /// DIR/sweeps [default: ~/.cache/keysweep].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Take only this machine's share: K of N (1-based).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Shared flags.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `keysweep merge`.
#[derive(Clone, Debug, Args)]
pub struct MergeArgs {
    /// JSON reports (or JSON/JSONL findings) to merge; the same report given twice counts once.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the merged report here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "json")]
    pub format: Format,
}

/// `keysweep config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write the .keysweep.toml equivalent to a gitleaks or Betterleaks config (its custom rules into a rule file
    /// beside it, its ignore file's entries into a baseline beside it) and print, line by line, what was mapped
    /// and what was not. Exit 0: everything mapped; 1: written, but some items have no equivalent; 2: error.
    Import(ConfigImportArgs),
}

/// `keysweep config import`.
#[derive(Clone, Debug, Args)]
pub struct ConfigImportArgs {
    /// The gitleaks or Betterleaks config [default: the one BETTERLEAKS_CONFIG/GITLEAKS_CONFIG names or
    /// BETTERLEAKS_CONFIG_TOML/GITLEAKS_CONFIG_TOML holds, else .betterleaks.toml, else .gitleaks.toml, at the git
    /// root of the current directory, else in it].
    #[arg(long, value_name = "PATH")]
    pub from: Option<PathBuf>,
    /// The ignore file (`commit:file:rule-id:line` entries), or a gitleaks/Betterleaks JSON report used with
    /// `--baseline-path` [default: .betterleaksignore, else .gitleaksignore, in the same place]. Its paths are
    /// relative to the git root of the current directory.
    #[arg(long, value_name = "PATH")]
    pub ignore: Option<PathBuf>,
    /// The keysweep config to write; a rule file (`<name>-rules.toml`) and a baseline (`<name>-baseline.json`)
    /// go beside it when there is something to put in them.
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = ".keysweep.toml"
    )]
    pub output: PathBuf,
    /// Overwrite files that already exist [default: refuse].
    #[arg(long)]
    pub force: bool,
    /// Read the files that ignore entries without a commit name from this revision instead of the work tree
    /// (the Action passes a pull request's base commit).
    #[arg(long, value_name = "REV")]
    pub rev: Option<String>,
}
