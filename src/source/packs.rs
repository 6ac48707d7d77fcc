//! Reading blobs straight out of a repository's pack files: each pack is traversed once with gitoxide's
//! delta tree (`gix-pack`), so every packed object is inflated exactly once, from its already decoded base, in
//! pack order, on as many threads as asked; every blob is handed to a callback. Random access
//! through delta chains (what an object database lookup does) decodes a base again for each of its deltas that
//! falls out of the cache; this pass never does.
//!
//! Only what is in this repository's own `objects/pack/*.idx` + `*.pack` is read here. Everything else — loose
//! objects, objects in alternates, objects a partial clone lacks, objects of a pack gix cannot read (a
//! SHA-256 repository, a damaged or truncated pack, an object over the allocation limit) — never reaches the
//! callback, and the caller reads it the ordinary way.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::model::BlobId;

/// The pack indexes (`*.idx`) under `objects/pack` of the object directory, by name.
fn pack_indexes(objects: &Path) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(objects.join("pack")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = dir
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    out.sort();
    out
}

/// How many objects the packs of the object directory `objects` hold, from their indexes' fan-out tables (a
/// blob in two packs counts twice; an index that cannot be read counts nothing).
pub fn packed_object_count(objects: &Path) -> usize {
    pack_indexes(objects)
        .iter()
        .filter_map(|idx| {
            use std::io::Read;
            let mut head = [0u8; 8 + 256 * 4];
            std::fs::File::open(idx).ok()?.read_exact(&mut head).ok()?;
            // Version 2 and later start with a magic number and a version; version 1 with the fan-out table.
            let fanout = if head[..4] == *b"\xfftOc" { 8 } else { 0 };
            let last = &head[fanout + 255 * 4..fanout + 256 * 4];
            Some(u32::from_be_bytes(last.try_into().ok()?) as usize)
        })
        .sum()
}

/// Traverses every pack of the object directory `objects` once, from `threads` threads at once, and calls
/// `on_blob(id, bytes)` for each blob in it (a blob in two packs twice). Objects are decoded whatever their
/// size up to `alloc_limit` bytes: a pack with a larger object stops there. Returns the packs that could not be
/// opened or traversed to the end, with the reason; what the caller wanted from them and did not get, it
/// reads the ordinary way.
pub fn for_each_packed_blob<F>(
    objects: &Path,
    threads: usize,
    alloc_limit: usize,
    on_blob: F,
) -> Vec<(PathBuf, String)>
where
    F: Fn(BlobId, &[u8]) + Sync,
{
    let mut problems = Vec::new();
    let interrupt = AtomicBool::new(false);
    for idx in pack_indexes(objects) {
        let bundle = match gix_pack::Bundle::at(&idx, gix_hash::Kind::Sha1) {
            Ok(b) => b,
            Err(e) => {
                problems.push((idx, e.to_string()));
                continue;
            }
        };
        let mapped = bundle
            .pack
            .entry_slice(0..bundle.pack.data_len() as u64)
            .unwrap_or_default();
        let result = with_pages_released(mapped, || {
            traverse(&bundle, threads, alloc_limit, &interrupt, &on_blob)
        });
        if let Err(e) = result {
            problems.push((idx, e.to_string()));
        }
    }
    problems
}

/// Traverses one pack's delta tree, calling `on_blob` for each blob. The tree holds one index position (4 bytes)
/// per object beside gix's own bookkeeping, not a copy of the index entry with statistics as gix's
/// `index::File::traverse` does: on git/git's 849,014 objects that is 41 MB instead of 95 MB. Like the libgit2
/// reader (strict hash verification off), no object is hashed again: zlib checks every stream, and a stream
/// that fails stops the pack's pass, whose blobs the caller then reads (and reports) one by one.
fn traverse<F>(
    bundle: &gix_pack::Bundle,
    threads: usize,
    alloc_limit: usize,
    interrupt: &AtomicBool,
    on_blob: &F,
) -> Result<(), String>
where
    F: Fn(BlobId, &[u8]) + Sync,
{
    let index = &bundle.index;
    let pack = &bundle.pack;
    // Index positions in pack order, what the tree is built from (the offsets are read again from the index).
    let mut by_offset: Vec<(u64, u32)> = (0..index.num_objects())
        .map(|i| (index.pack_offset_at_index(i), i))
        .collect();
    by_offset.sort_unstable();
    let tree = gix_pack::cache::delta::Tree::from_offsets_in_pack(
        pack.path(),
        by_offset.into_iter().map(|(_, i)| i),
        &|i| index.pack_offset_at_index(*i),
        &|id| index.lookup(id).map(|i| index.pack_offset_at_index(i)),
        &mut gix_features::progress::Discard,
        interrupt,
        gix_hash::Kind::Sha1,
    )
    .map_err(|e| e.to_string())?;
    let inspect = |position: &mut u32,
                   _: &dyn gix_features::progress::Progress,
                   context: gix_pack::cache::delta::traverse::Context<'_>|
     -> Result<(), Infallible> {
        if context.entry.header.as_kind() == Some(gix_object::Kind::Blob) {
            let mut id = [0u8; 20];
            id.copy_from_slice(&index.oid_at_index(*position).as_bytes()[..20]);
            on_blob(BlobId(id), context.decompressed);
        }
        Ok(())
    };
    tree.traverse(
        |range, pack: &gix_pack::data::File| pack.entry_slice(range),
        pack,
        pack.pack_end() as u64,
        inspect,
        gix_pack::cache::delta::traverse::Options {
            object_progress: Box::new(gix_features::progress::Discard),
            size_progress: &mut gix_features::progress::Discard,
            thread_limit: Some(threads.max(1)),
            should_interrupt: interrupt,
            object_hash: gix_hash::Kind::Sha1,
            alloc_limit_bytes: Some(alloc_limit),
        },
    )
    .map(drop)
    .map_err(|e| e.to_string())
}

/// How often the pages of a pack being traversed are handed back to the page cache.
const RELEASE_EVERY: Duration = Duration::from_millis(10);

/// Runs `work` while a thread hands the pages of `mapped` (a read-only mapping of a pack file) back to the
/// kernel every [`RELEASE_EVERY`]: the traversal touches every page of the pack (its first step reads every
/// entry's header), and a mapped page stays in the process's resident set until it is unmapped, so a 500 MB
/// pack would add 500 MB to the peak RSS. A page used again afterwards is mapped again from the page cache
/// (a minor fault), with the same bytes.
fn with_pages_released<R: Send>(mapped: &[u8], work: impl FnOnce() -> R + Send) -> R {
    let (done, stop) = crossbeam_channel::bounded::<()>(0);
    std::thread::scope(|scope| {
        let releaser = std::thread::Builder::new()
            .name("keysweep-pack-pages".into())
            .spawn_scoped(scope, || {
                while let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
                    stop.recv_timeout(RELEASE_EVERY)
                {
                    release(mapped);
                }
            });
        let out = work();
        drop(done);
        if let Ok(releaser) = releaser {
            releaser.join().expect("the page releaser does not panic");
        }
        out
    })
}

/// Drops the process's mapping of the pages of `mapped`, a read-only file mapping (`MADV_DONTNEED`).
#[cfg(unix)]
#[allow(unsafe_code)]
fn release(mapped: &[u8]) {
    if mapped.is_empty() {
        return;
    }
    // The mapping starts on a page boundary; `mapped` starts there too (offset 0 of the pack), but align down
    // anyway rather than have the call fail with EINVAL.
    let page = 4096;
    let start = mapped.as_ptr() as usize;
    let aligned = start - start % page;
    let len = mapped.len() + (start - aligned);
    // SAFETY: `mapped` lies within gix's private read-only mapping of the pack file (from its page-aligned
    // start), which nothing writes. For such a mapping MADV_DONTNEED only drops the page table entries:
    // the next access, from any thread, maps the same file bytes again from the page cache, so every `&[u8]`
    // into it keeps reading what it read before. The call neither frees nor moves the mapping.
    unsafe {
        libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_DONTNEED);
    }
}

#[cfg(not(unix))]
fn release(_mapped: &[u8]) {}
