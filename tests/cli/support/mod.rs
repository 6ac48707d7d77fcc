//! What every test module shares: the command builder and its environment policy ([`command`]), the FAKE key
//! and token generators ([`fakekeys`]), the git repository builder ([`repo`]), and the fake provider server
//! with the helpers that plant FAKE secrets in a scan root ([`fake_provider`]).

pub mod command;
pub mod fake_provider;
pub mod fakekeys;
pub mod repo;

pub use command::{keysweep, keysweep_std, program, scan_json};

// Every library item the tests use, and the only place they are named by their path in the crate: when the
// crate's modules move, these lines change and the tests do not.
pub use keysweep::cmd::rules::check as check_rules;
pub use keysweep::keys::{KeyParse, generate_example, parse_private_key};
pub use keysweep::model::BlobId;
pub use keysweep::model::{fingerprint_key, fingerprint_token, redact};
pub use keysweep::rules::RuleSet;
pub use keysweep::rules::generate::{generate, seeded_bytes};
pub use keysweep::scan::Scanner;
