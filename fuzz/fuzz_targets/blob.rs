//! One blob through the whole matcher (keywords, rules, decoders, UTF-16, archives), grouped into findings
//! and written in every format. The first byte picks the file name the blob is seen under (names change which
//! rules apply and whether a binary file is read as a key file).
#![no_main]

use keysweep::engine::{GroupStats, group};
use keysweep::model::{BlobId, Origin, ScanReport, ScannedBlob};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const NAMES: &[&str] = &[
    "src/main.rs",
    "AuthKey_ABCDE12345.p8",
    ".env",
    "config/secrets.yml",
    "id_ed25519",
    "bundle.zip",
    "tests/fixtures/key.pem",
    "notes.txt",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let path = NAMES[usize::from(pick) % NAMES.len()].to_string();
    let scanner = common::scanner();
    let id = BlobId::of_bytes(bytes);
    let (matches, _unread) = scanner.scan_with_unread(id, bytes);
    if matches.is_empty() {
        return;
    }
    let blob = ScannedBlob {
        id,
        matches,
        origins: vec![Origin::File { path }],
    };
    let findings = group(common::rules(), vec![blob], &mut GroupStats::default());
    common::write_all(&ScanReport::of_findings(findings));
});
