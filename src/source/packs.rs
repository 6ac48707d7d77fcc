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

use gix_pack::index::traverse::{Algorithm, Options, SafetyCheck};

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
        let on_blob = &on_blob;
        let processor = move |kind: gix_object::Kind,
                              data: &[u8],
                              entry: &gix_pack::index::Entry,
                              _: &dyn gix_features::progress::Progress|
              -> Result<(), Infallible> {
            if kind == gix_object::Kind::Blob {
                let mut id = [0u8; 20];
                id.copy_from_slice(&entry.oid.as_bytes()[..20]);
                on_blob(BlobId(id), data);
            }
            Ok(())
        };
        let result = bundle.index.traverse(
            &bundle.pack,
            &mut gix_features::progress::Discard,
            &interrupt,
            processor,
            Options {
                traversal: Algorithm::DeltaTreeLookup,
                thread_limit: Some(threads.max(1)),
                // Like the libgit2 path (strict hash verification off): zlib checks every stream, a damaged
                // object is skipped here and read (and reported) by the caller.
                check: SafetyCheck::SkipFileAndObjectChecksumVerificationAndNoAbortOnDecodeError,
                alloc_limit_bytes: Some(alloc_limit),
                make_pack_lookup_cache: || gix_pack::cache::Never,
            },
        );
        if let Err(e) = result {
            problems.push((idx, e.to_string()));
        }
    }
    problems
}
