//! How a run ended: a value returned up the stack and mapped to the process exit code only in `main`.

/// How a run ended; `main` maps it to the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Nothing found (0).
    Clean,
    /// Findings, or manual steps remaining for revoke (1).
    Findings,
    /// An error (2), even alongside findings.
    Error,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        }
    }
}
