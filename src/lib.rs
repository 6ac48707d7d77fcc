//! keysweep finds leaked private keys and API keys in directory trees and git histories, matches them against
//! the organisation's inventory of known keys, and can revoke what is exposed.
//!
//! The pipeline (DESIGN.md, `docs/architecture.md`): sources → blobs (deduplicated by git blob id) → matcher →
//! findings → enrich → policy → report, and only when asked, revocation. Modules are layered one way: each
//! imports only from layers below it, with the shared data types in [`model`] at the bottom and one module per
//! command in [`cmd`] at the top (a test reads `src/` and holds it so).

pub mod cli;
pub mod cmd;
pub mod config;
pub mod display;
pub mod engine;
pub mod enrich;
pub mod inventory;
pub mod keys;
#[cfg(test)]
mod layers;
pub mod migrate;
pub mod model;
pub mod net;
pub mod policy;
pub mod providers;
pub mod report;
pub mod revoke;
pub mod rules;
pub mod scan;
pub mod sniff;
pub mod source;
pub mod validate;

pub use cmd::run;
pub use model::ExitStatus;
