//! Matcher throughput: `Scanner::scan` over generated corpora, in bytes per second. One corpus is source-like
//! text with a few planted FAKE keys (generated here from fixed seeds, never real), the other has no rule
//! keyword at all, so it measures the prefilter alone (the cost of a clean blob).
//! `prefilter` times the keyword prefilter alone, blob by blob, over the tree named by `KEYSWEEP_BENCH_TREE`
//! when set (e.g. a cargo registry source directory).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keysweep::model::BlobId;
use keysweep::rules::RuleSet;
use keysweep::scan::Scanner;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};

const CORPUS_BYTES: usize = 8 << 20;

/// A FAKE P-256 key from a seed.
fn fake_key(seed: u32) -> String {
    let scalar = Sha256::digest(format!("keysweep bench fake key {seed}").as_bytes());
    p256::SecretKey::from_slice(&scalar)
        .expect("a SHA-256 is a valid P-256 scalar")
        .to_pkcs8_pem(LineEnding::LF)
        .expect("PKCS#8 encoding")
        .to_string()
}

/// Source-like lines (a small deterministic generator, no RNG crate needed).
fn source_like(bytes: usize, plant_keys: bool) -> Vec<u8> {
    let words = [
        "request", "response", "config", "value", "index", "buffer", "result", "error", "context",
        "handler", "client", "server", "cache", "path", "user", "options", "params", "stream",
    ];
    let mut out = String::with_capacity(bytes + 4096);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut line = 0u32;
    while out.len() < bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let w = |k: u64| words[(k % words.len() as u64) as usize];
        out.push_str(&format!(
            "    let {} = {}.{}({}, {});\n",
            w(x),
            w(x >> 8),
            w(x >> 16),
            w(x >> 24),
            x % 100_000
        ));
        line += 1;
        if plant_keys && line % 20_000 == 0 {
            out.push_str("// FAKE key for the benchmark\nconst KEY: &str = \"");
            out.push_str(&fake_key(line).replace('\n', "\\n"));
            out.push_str("\";\n");
        }
    }
    out.into_bytes()
}

fn bench_scan(c: &mut Criterion) {
    let rules = Arc::new(RuleSet::builtin().expect("built-in rules load"));
    let scanner = Scanner::new(rules).expect("scanner builds");
    let mut group = c.benchmark_group("scan");
    group.sample_size(20);
    for (name, corpus) in [
        ("source_with_keys", source_like(CORPUS_BYTES, true)),
        ("no_keyword", source_like(CORPUS_BYTES, false)),
    ] {
        let id = BlobId::of_bytes(&corpus);
        group.throughput(Throughput::Bytes(corpus.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(scanner.scan(id, black_box(&corpus))))
        });
    }
    group.finish();
}

/// Every file under `dir` (at most `budget` bytes in all), as separate blobs.
fn tree_blobs(dir: &std::path::Path, budget: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                total += bytes.len();
                out.push(bytes);
                if total >= budget {
                    return out;
                }
            }
        }
    }
    out
}

/// The keyword prefilter alone (`Scanner::candidate_rules`), blob by blob: over the tree named by
/// `KEYSWEEP_BENCH_TREE` (its first 256 MiB) when set, else over the generated source-like corpus cut into
/// 16 KiB blobs.
fn bench_prefilter(c: &mut Criterion) {
    let rules = Arc::new(RuleSet::builtin().expect("built-in rules load"));
    let scanner = Scanner::new(rules).expect("scanner builds");
    let blobs = match std::env::var_os("KEYSWEEP_BENCH_TREE") {
        Some(dir) => tree_blobs(std::path::Path::new(&dir), 256 << 20),
        None => source_like(CORPUS_BYTES, true)
            .chunks(16 << 10)
            .map(<[u8]>::to_vec)
            .collect(),
    };
    let total: usize = blobs.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("prefilter");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("candidate_rules", |b| {
        b.iter(|| {
            for blob in &blobs {
                black_box(scanner.candidate_rules(black_box(blob)));
            }
        })
    });
    group.finish();
}

fn bench_blob_id(c: &mut Criterion) {
    let corpus = source_like(CORPUS_BYTES, false);
    let mut group = c.benchmark_group("blob_id");
    group.throughput(Throughput::Bytes(corpus.len() as u64));
    group.bench_function("sha1", |b| {
        b.iter(|| black_box(BlobId::of_bytes(black_box(&corpus))))
    });
    group.finish();
}

criterion_group!(benches, bench_scan, bench_prefilter, bench_blob_id);
criterion_main!(benches);
