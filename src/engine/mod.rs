//! The engine: above the sources and the matcher, it owns the compiled rules and the matcher, takes the blobs
//! sources yield ([`Engine`] implements [`crate::source::BlobSink`]), matches each unique blob once across all
//! cores, and groups the raw matches into findings ([`group`]).

mod group;
mod sink;

pub use group::{GroupStats, group};
pub use sink::Engine;
