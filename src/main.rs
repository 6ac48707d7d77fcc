//! The `keysweep` binary: parse the command line, call the library, map the returned status to an exit code.

use clap::Parser;
use keysweep::{ExitStatus, cli::Cli};

// The static musl release build allocates with mimalloc (Cargo.toml overrides malloc for the C libraries too):
// with musl's allocator a history scan ran 2.5x slower, most of it in the kernel unmapping freed memory.
#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
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
