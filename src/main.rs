//! The `keysweep` binary: parse the command line, call the library, map the returned status to an exit code.

use clap::Parser;
use keysweep::{ExitStatus, cli::Cli};

// Rust's allocations go to mimalloc (the static musl build's C libraries' too, see Cargo.toml). With musl's
// allocator a history scan ran 2.5x slower, most of it in the kernel unmapping freed memory. Against glibc's,
// history scans take 8-10% less CPU and 10-20% less wall time (rust-lang/cargo: 3.7-3.9 s of CPU against
// 4.0-4.2 s; git/git: 21.3 s against 26.4 s of wall time, peak RSS 285 MB against 260 MB): glibc's arenas,
// capped below, contend when one thread frees what another allocated, which the walk and the pack pass do
// for every blob.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Caps glibc's malloc arenas at one per core. glibc's malloc now serves the C libraries only (libgit2's reads
/// in the history walk and the workers); its default, eight arenas per core, let each thread grow a heap of its
/// own: on git/git's history that was about 60 MB of peak RSS for nothing, when it served Rust's allocations too.
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
