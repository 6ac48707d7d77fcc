//! Directory trees and stdin. The tree is walked in parallel with the `ignore` crate: `.gitignore` is honoured
//! inside a git work tree, `.keysweepignore` always (unless `--no-ignore`), hidden files are scanned, symlinks
//! are never followed, `.git/` is never walked as files, an ignore file that is a FIFO or a device is never
//! opened. Workers read, classify and match files themselves.

use std::io::Read;
use std::path::Path;

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

use super::BlobSink;
use crate::model::{Blob, Origin, Skip};
use crate::sniff::{is_key_file, is_lfs_pointer, looks_binary};

/// What the tree walk honours and skips.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// Ignore no ignore files at all.
    pub no_ignore: bool,
    /// Only paths matching these globs.
    pub include: Vec<String>,
    /// Never paths matching these globs.
    pub exclude: Vec<String>,
    /// Files larger than this are skipped.
    pub max_file_size: u64,
    /// Walker threads (0: all cores).
    pub threads: usize,
    /// Put before every path reported: the scanned directory's path inside its repository with a final `/`
    /// (paths are repository-relative in every mode), or nothing.
    pub prefix: String,
}

impl WalkOptions {
    /// How `path` under the scan root `root` is reported.
    fn name(&self, root: &Path, path: &Path) -> String {
        format!("{}{}", self.prefix, relative_path(root, path))
    }
}

/// The ignore file keysweep always honours.
pub const KEYSWEEP_IGNORE: &str = ".keysweepignore";

/// A file name in the lossless form of [`crate::model::path`]: exact on Unix, where names are bytes.
fn exact_name(name: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        crate::model::path::from_bytes(name.as_bytes()).into_owned()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned()
    }
}

/// A path relative to `root`, `/`-separated, in the lossless form of [`crate::model::path`].
pub fn relative_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = if rel.as_os_str().is_empty() {
        path.file_name().map(exact_name).unwrap_or_default()
    } else {
        exact_name(rel.as_os_str())
    };
    let s = s.replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The ignore files the walker reads in each directory, besides a repository's `.git/info/exclude`.
const IGNORE_FILES: [&str; 3] = [".gitignore", ".ignore", KEYSWEEP_IGNORE];
/// An ignore file larger than this is not read (a real one is a few KiB).
const MAX_IGNORE_FILE: u64 = 1 << 20;

/// The ignore files of `dir` that the walker must not open: those that are not regular files once links are
/// followed (a FIFO blocks the reader forever, `/dev/zero` never ends) or that are larger than
/// [`MAX_IGNORE_FILE`]. The walker opens ignore files itself, with no size or type check, so a directory with
/// such a file is walked apart, without ignore files (see [`scan_tree`]).
fn hostile_ignore_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let exclude = dir.join(".git").join("info").join("exclude");
    IGNORE_FILES
        .iter()
        .map(|name| dir.join(name))
        .chain(dir.join(".git").is_dir().then_some(exclude))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_file() || m.len() > MAX_IGNORE_FILE))
        .collect()
}

/// Walks `root` (a directory or one file) and submits every file to `sink`. A directory holding an ignore file
/// that cannot be read safely (see [`hostile_ignore_files`]) is reported as an error and walked on its own
/// without any ignore files: it is scanned in full rather than not at all.
pub fn scan_tree(root: &Path, opts: &WalkOptions, sink: &dyn BlobSink) -> anyhow::Result<()> {
    let report = |dir: &Path, file: &Path| {
        sink.error(
            opts.name(root, file),
            format!(
                "not a regular file, or over {} KiB: ignore files of {} not honoured, all of it scanned",
                MAX_IGNORE_FILE >> 10,
                if dir != root {
                    opts.name(root, dir)
                } else if opts.prefix.is_empty() {
                    ".".to_string()
                } else {
                    opts.prefix.trim_end_matches('/').to_string()
                }
            ),
        );
    };
    // The root and its parents up to the repository's root are read before the walk starts.
    let mut honour = !opts.no_ignore;
    let mut parents = honour;
    if honour && root.is_dir() {
        for file in hostile_ignore_files(root) {
            report(root, &file);
            honour = false;
        }
        // The walker reads the ignore files of every parent directory (`.gitignore` inside a repository).
        if let Ok(canonical) = root.canonicalize() {
            for d in canonical.ancestors().skip(1) {
                for file in hostile_ignore_files(d) {
                    report(d, &file);
                    parents = false;
                }
            }
        }
    }
    let apart = Apart::default();
    walk(
        root,
        root,
        honour,
        parents,
        honour.then(|| apart.clone()),
        opts,
        sink,
    )?;
    let apart = std::mem::take(&mut *apart.lock().expect("hostile directories lock"));
    for (dir, files) in apart {
        for file in &files {
            report(&dir, file);
        }
        walk(root, &dir, false, false, None, opts, sink)?;
    }
    Ok(())
}

/// Directories left out of a walk for a hostile ignore file, and that file.
type Apart = std::sync::Arc<std::sync::Mutex<Vec<(std::path::PathBuf, Vec<std::path::PathBuf>)>>>;

/// Walks `start` (paths reported relative to `root`), honouring ignore files when `honour`; directories with a
/// hostile ignore file are left out and listed in `apart` for a walk of their own.
fn walk(
    root: &Path,
    start: &Path,
    honour: bool,
    parents: bool,
    apart: Option<Apart>,
    opts: &WalkOptions,
    sink: &dyn BlobSink,
) -> anyhow::Result<()> {
    let mut builder = WalkBuilder::new(start);
    builder
        .hidden(false)
        .follow_links(false)
        .parents(parents)
        .ignore(honour)
        .git_ignore(honour)
        .git_global(honour)
        .git_exclude(honour)
        .threads(opts.threads)
        .filter_entry(move |e| {
            if e.file_name() == ".git" {
                return false;
            }
            if let Some(apart) = &apart
                && e.depth() > 0
                && e.file_type().is_some_and(|t| t.is_dir())
            {
                let files = hostile_ignore_files(e.path());
                if !files.is_empty() {
                    apart
                        .lock()
                        .expect("hostile directories lock")
                        .push((e.path().to_path_buf(), files));
                    return false;
                }
            }
            true
        });
    if honour {
        builder.add_custom_ignore_filename(KEYSWEEP_IGNORE);
    }
    if !opts.include.is_empty() || !opts.exclude.is_empty() {
        let mut ob = OverrideBuilder::new(root);
        for g in &opts.include {
            ob.add(g)
                .map_err(|e| anyhow::anyhow!("--include {g:?}: {e}"))?;
        }
        for g in &opts.exclude {
            ob.add(&format!("!{g}"))
                .map_err(|e| anyhow::anyhow!("--exclude {g:?}: {e}"))?;
        }
        builder.overrides(ob.build()?);
    }
    let root_is_file = root.is_file();
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    // An unreadable directory (or a loop, with links followed) is recorded; the walk goes on.
                    // A directory counts as unreadable but not as a file; anything else (an unreadable
                    // ignore file) as both, like an unreadable file.
                    let path = walk_error_path(&err);
                    let is_dir = path
                        .and_then(|p| std::fs::symlink_metadata(p).ok())
                        .is_some_and(|m| m.is_dir());
                    let where_ = path
                        .map(|p| opts.name(root, p))
                        .unwrap_or_else(|| root.display().to_string());
                    if is_dir {
                        sink.skip_unreadable_dir(where_.clone());
                    } else {
                        sink.skip_path(Skip::Unreadable, where_.clone());
                    }
                    sink.error(where_, format!("cannot read: {}", walk_error_cause(&err)));
                    return WalkState::Continue;
                }
            };
            let Some(ft) = entry.file_type() else {
                return WalkState::Continue;
            };
            // Symlinks are never followed (a link can point outside the tree or into a loop); only regular
            // files are read.
            if !ft.is_file() {
                return WalkState::Continue;
            }
            let rel = if root_is_file {
                opts.name(Path::new(""), root)
            } else {
                opts.name(root, entry.path())
            };
            scan_file(entry.path(), rel, opts.max_file_size, sink);
            WalkState::Continue
        })
    });
    Ok(())
}

/// The path an `ignore` walk error is about, looking through its wrappers.
fn walk_error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// The cause of an `ignore` walk error without the path it wraps (the caller names the path).
fn walk_error_cause(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_cause(err),
        other => other.to_string(),
    }
}

/// Reads, classifies and submits one file. The size is checked on the open handle, so a file is opened and
/// read once; a file over the limit is never read.
pub fn scan_file(path: &Path, rel: String, max_size: u64, sink: &dyn BlobSink) {
    let unreadable = |rel: &str, e: std::io::Error| {
        sink.skip_path(Skip::Unreadable, rel.to_string());
        sink.error(rel.to_string(), format!("cannot read: {e}"));
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return unreadable(&rel, e),
    };
    let size = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return unreadable(&rel, e),
    };
    if size > max_size {
        sink.skip_path(Skip::TooLarge, rel);
        return;
    }
    // Each worker thread reads into one reused buffer; only content that can match is copied out.
    READ_BUFFER.with_borrow_mut(|bytes| {
        bytes.clear();
        bytes.reserve(size as usize + 1);
        // `take` guards against a file that grew since its size was read.
        if let Err(e) = (&mut file).take(max_size + 1).read_to_end(bytes) {
            return unreadable(&rel, e);
        }
        if bytes.len() as u64 > max_size {
            sink.skip_path(Skip::TooLarge, rel);
            return;
        }
        if looks_binary(bytes) && !is_key_file(&rel) {
            sink.skip_path(Skip::Binary, rel);
            return;
        }
        if is_lfs_pointer(bytes) {
            sink.skip_path(Skip::LfsPointer, rel);
            return;
        }
        sink.submit_bytes(bytes, Origin::File { path: rel });
        // A huge file's buffer is not kept for the rest of the walk.
        if bytes.capacity() > READ_BUFFER_KEEP {
            *bytes = Vec::new();
        }
    });
}

/// Buffers up to this size are kept between files.
const READ_BUFFER_KEEP: usize = 4 << 20;

thread_local! {
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads standard input as one blob.
pub fn scan_stdin(max_size: u64, sink: &dyn BlobSink) {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(max_size + 1)
        .read_to_end(&mut bytes)
    {
        sink.skip(Skip::Unreadable);
        sink.error("-".into(), format!("cannot read standard input: {e}"));
        return;
    }
    if bytes.len() as u64 > max_size {
        sink.skip_path(Skip::TooLarge, "-".into());
        return;
    }
    sink.submit(Blob::new(bytes, Origin::Stdin));
}
