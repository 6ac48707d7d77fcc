//! Rule files: parsed, loaded into a rule set beside the built-in rules' shape, every regex compiled, and a
//! short text scanned with them.
#![no_main]

use std::sync::Arc;

use keysweep::model::BlobId;
use keysweep::rules::RuleSet;
use keysweep::scan::Scanner;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(rules) = RuleSet::parse_file(text, "fuzz.toml") else {
        return;
    };
    let mut set = RuleSet::default();
    for rule in rules {
        if rule.compile_all().is_err() || set.push(rule).is_err() {
            return;
        }
    }
    let Ok(scanner) = Scanner::new(Arc::new(set)) else {
        return;
    };
    let _ = scanner.scan(BlobId::of_bytes(data), data);
});
