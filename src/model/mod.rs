//! The model floor: the data types every stage shares, and nothing else. It imports nothing of keysweep, so any
//! module may import it and no circle can pass through it. One type crosses each boundary of the pipeline:
//! sources hand the engine [`Blob`]s, the matcher returns [`Match`]es, the engine groups them into [`Finding`]s,
//! reports write a [`ScanReport`], and revocation ends in a [`RevocationOutcome`] per key.

mod blob;
mod finding;
mod format;
mod identity;
mod key;
mod matched;
pub mod path;
pub mod provider;
mod report;
mod revocation;
mod secret;
mod status;

pub use blob::{Blob, BlobId, Origin, short};
pub use finding::{
    CONTEXTS, Finding, InventoryHit, KeyInfo, LiveStatus, Liveness, Location, MatchedBy, Snippet,
    Strength, TEST_CONTEXT, sort_findings,
};
pub use format::{ColorChoice, FailOn, Format};
pub use identity::{fingerprint_key, fingerprint_token, secret_sha256};
pub use key::{EC_P256, FORMAT_OPENSSH, KeyMaterial};
pub use matched::{Detached, Match, ScannedBlob, Unread};
pub use report::{ScanError, ScanReport, Skip, Skipped, Summary};
pub use revocation::{LiveState, Probe, RevocationOutcome};
pub use secret::{Secret, Severity, redact, redact_as};
pub use status::ExitStatus;
