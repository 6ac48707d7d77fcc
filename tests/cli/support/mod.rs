//! What every test module shares: the command builder and its environment policy ([`command`]), and the fake
//! provider server with the helpers that plant FAKE secrets in a scan root ([`fake_provider`]).

pub mod command;
pub mod fake_provider;

pub use command::{keysweep, keysweep_std, program};
