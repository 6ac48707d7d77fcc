//! What every test module shares: the fake provider server and the helpers that plant FAKE secrets in a scan
//! root and run the real binary against it.

pub mod fake_provider;
