//! The `keysweep` binary: parse the command line, call the library, map the returned status to an exit code.

use clap::Parser;
use keysweep::{ExitStatus, cli::Cli};

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
