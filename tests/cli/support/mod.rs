//! What every test module shares: the command builder and its environment policy ([`command`]), the FAKE key
//! and token generators ([`fakekeys`]), the git repository builder ([`repo`]), and the fake provider server
//! with the helpers that plant FAKE secrets in a scan root ([`fake_provider`]).

pub mod command;
pub mod fake_provider;
pub mod fakekeys;
pub mod repo;

pub use command::{keysweep, keysweep_std, program};
