//! The `keysweep` binary: parse the command line, call the library, map the returned status to an exit code.

use clap::Parser;
use keysweep::{ExitStatus, cli::Cli};

// The static musl release build allocates with mimalloc (Cargo.toml overrides malloc for the C libraries too):
// with musl's allocator a history scan ran 2.5x slower, most of it in the kernel unmapping freed memory.
#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Caps glibc's malloc arenas at one per core. Its default, eight per core, lets each of a history scan's
/// threads (pack traversal, walk, workers) grow a heap of its own: on git/git's history that was about 60 MB
/// of peak RSS for nothing, the threads being CPU-bound on as many cores anyway.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn cap_malloc_arenas() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
    // SAFETY: called first thing in `main`, before any other thread exists, as mallopt requires; it only
    // sets a tuning parameter (a failure leaves the default).
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    cap_malloc_arenas();
    let cli = Cli::parse();
    let status = match keysweep::run(cli) {
        Ok(status) => status,
        Err(err) => {
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                // A closed pipe (`keysweep … | head`) is not an error worth a message.
                return;
            }
            eprintln!("keysweep: error: {}", keysweep::display::user_error(&err));
            ExitStatus::Error
        }
    };
    std::process::exit(status.code());
}
