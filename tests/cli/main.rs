//! keysweep's one integration-test binary: every module drives the real `keysweep` executable the way a user
//! does (a tree or a git repository built in a temp dir, fake providers on 127.0.0.1) and asserts exit codes,
//! reports and side effects. Shared machinery (the command builder and its environment policy, FAKE key and
//! token generators, the git repository builder, the fake provider server) lives in [`support`]. One binary
//! links once and runs every test in one process, in parallel.

mod support;

mod encodings;
mod git;
mod hostile;
mod integrations;
mod inventory;
mod keys;
mod keytypes;
mod migrate;
mod naming;
mod policy;
mod revoke;
mod rules;
mod scan;
