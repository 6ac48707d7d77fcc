//! The pack pass (`packs.rs`, used by `git.rs`) against the object database: a repository with two packs
//! (one holding an unreachable blob), deltas, loose objects on top, binary, key-file, LFS and oversized blobs,
//! scanned with both history readers.

use std::path::Path;

use git2::{ObjectType, Oid, Repository};

use super::git::{FORCED_ORDER, HistoryOptions, Order, Reader, blob_id, oid_of, scan_history_with};
use super::testing::{RecordingSink, commit_files as commit, pack_and_prune};
use crate::model::BlobId;

/// Text of `n` numbered lines, the `changed`th one edited: versions of it delta well against each other.
fn lines(n: usize, changed: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            if i == changed {
                format!("line {i} edited, fake example content\n")
            } else {
                format!("line {i} of a fake example file\n")
            }
        })
        .collect::<String>()
        .into_bytes()
}

fn scan(path: &Path, all_objects: bool, reader: Reader) -> RecordingSink {
    let sink = RecordingSink::default();
    let opts = HistoryOptions {
        all_objects,
        max_file_size: 4096,
        recurse_submodules: false,
    };
    scan_history_with(path, &opts, &sink, reader).expect("history scan");
    sink
}

#[test]
fn the_pack_pass_reads_what_the_object_database_reads_from_packs_and_loose_objects() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = Repository::init_bare(dir.path()).expect("init");
    let mut binary = vec![0u8; 64];
    binary.extend_from_slice(b"fake example binary");
    let lfs = b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n".to_vec();
    let first = commit(
        &repo,
        &[
            ("notes.txt", lines(60, 0)),
            ("src/app.cfg", lines(40, 1)),
            ("img.bin", binary.clone()),
            ("AuthKey_FAKE.p8", binary.clone()),
            ("big.txt", lines(400, 2)),
            ("model.lfs", lfs),
        ],
        None,
    );
    let second = commit(
        &repo,
        &[
            ("notes.txt", lines(60, 7)),
            ("src/app.cfg", lines(40, 1)),
            ("moved/img.bin", binary.clone()),
            ("AuthKey_FAKE.p8", binary),
        ],
        Some(first),
    );
    let unreachable = repo
        .blob(b"fake example blob that no tree names\n")
        .expect("blob");
    pack_and_prune(&repo, &[unreachable]);
    // A second pack holding the same objects again, and a loose commit on top.
    pack_and_prune(&repo, &[]);
    let third = commit(
        &repo,
        &[("notes.txt", lines(60, 9)), ("new.txt", lines(5, 0))],
        Some(second),
    );
    let indexes = std::fs::read_dir(repo.path().join("objects/pack"))
        .expect("pack dir")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "idx"))
        .count();
    assert_eq!(indexes, 2);

    // Whichever of the walk and the pass sees a blob first: every blob named before it is decoded, every blob
    // decoded (and classified, the binary key file too) before it is named, or both at once.
    for (all_objects, order) in [false, true]
        .into_iter()
        .flat_map(|a| [Order::Together, Order::WalkFirst, Order::PassFirst].map(|o| (a, o)))
    {
        FORCED_ORDER.with(|o| o.set(order));
        let packs = scan(dir.path(), all_objects, Reader::Packs);
        FORCED_ORDER.with(|o| o.set(Order::Together));
        let plain = scan(dir.path(), all_objects, Reader::Libgit2);
        let case = format!("all_objects {all_objects}, {order:?}");
        assert_eq!(packs.errors(), Vec::new(), "{case}");
        assert_eq!(plain.errors(), Vec::new());
        assert_eq!(packs.blobs_sorted(), plain.blobs_sorted(), "{case}");
        assert_eq!(packs.skips_sorted(), plain.skips_sorted(), "{case}");
        let unreachable_seen = !packs.origins_of(unreachable).is_empty();
        assert_eq!(unreachable_seen, all_objects, "{case}");
    }

    // The pass itself: every packed blob is decoded (deltas included) to the bytes the database holds; the
    // loose ones are left to the caller.
    let tree_blobs = |c: Oid| -> Vec<Oid> {
        let mut out = Vec::new();
        let tree = repo.find_commit(c).expect("commit").tree().expect("tree");
        tree.walk(git2::TreeWalkMode::PreOrder, |_, e| {
            if e.kind() == Some(ObjectType::Blob) {
                out.push(e.id());
            }
            git2::TreeWalkResult::Ok
        })
        .expect("walk");
        out
    };
    let mut wanted: Vec<Oid> = [first, second, third]
        .into_iter()
        .flat_map(tree_blobs)
        .collect();
    wanted.sort();
    wanted.dedup();
    let decoded = std::sync::Mutex::new(Vec::new());
    let problems =
        super::packs::for_each_packed_blob(&dir.path().join("objects"), 2, 1 << 20, |id, bytes| {
            decoded.lock().expect("lock").push((id, bytes.to_vec()));
        });
    assert_eq!(problems, Vec::new());
    let decoded = decoded.into_inner().expect("lock");
    for (id, bytes) in &decoded {
        assert_eq!(bytes, repo.find_blob(oid_of(*id)).expect("blob").content());
    }
    let mut ids: Vec<BlobId> = decoded.into_iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    // Every packed blob (the unreachable one included), none of the loose commit's new ones.
    let in_third_only: Vec<Oid> = tree_blobs(third)
        .into_iter()
        .filter(|b| !tree_blobs(second).contains(b) && !tree_blobs(first).contains(b))
        .collect();
    assert!(!in_third_only.is_empty());
    let mut packed: Vec<BlobId> = wanted
        .iter()
        .filter(|b| !in_third_only.contains(b))
        .chain([&unreachable])
        .map(|o| blob_id(*o))
        .collect();
    packed.sort();
    assert_eq!(ids, packed);
}

#[test]
fn a_damaged_pack_is_read_object_by_object_and_only_the_damaged_blob_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = Repository::init_bare(dir.path()).expect("init");
    // Blobs that do not delta against each other (different pseudo-random text), so damaging one damages only it.
    let text = |seed: u64| -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..3000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b"abcdefghijklmnopqrstuvwxyz \n"[(x % 28) as usize]
            })
            .collect()
    };
    let files: Vec<(String, Vec<u8>)> =
        (0..6).map(|i| (format!("f{i}.txt"), text(i + 1))).collect();
    let named: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    commit(&repo, &named, None);
    pack_and_prune(&repo, &[]);
    let damaged = Oid::hash_object(ObjectType::Blob, &files[2].1).expect("hash");
    // Flip bytes in the middle of that blob's deflated data.
    let pack_dir = dir.path().join("objects/pack");
    let file_with = |ext: &str| {
        std::fs::read_dir(&pack_dir)
            .expect("pack dir")
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == ext))
            .expect("pack file")
    };
    let index = gix_pack::index::File::at(file_with("idx"), gix_hash::Kind::Sha1).expect("index");
    let at = index
        .lookup(gix_hash::ObjectId::from_bytes_or_panic(damaged.as_bytes()))
        .expect("the blob is packed");
    let offset = index.pack_offset_at_index(at) as usize;
    let pack_path = file_with("pack");
    let mut pack = std::fs::read(&pack_path).expect("read pack");
    for b in &mut pack[offset + 200..offset + 240] {
        *b ^= 0x5a;
    }
    let mut perms = std::fs::metadata(&pack_path).expect("meta").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack_path, perms).expect("writable");
    std::fs::write(&pack_path, &pack).expect("write pack");

    // The pass gives up on the pack and says why; the scan reads every blob the ordinary way.
    let problems =
        super::packs::for_each_packed_blob(&dir.path().join("objects"), 2, 1 << 20, |_, _| {});
    assert_eq!(problems.len(), 1, "{problems:?}");
    for (reader, order) in [
        (Reader::Packs, Order::Together),
        (Reader::Packs, Order::PassFirst),
        (Reader::Packs, Order::WalkFirst),
        (Reader::Libgit2, Order::Together),
    ] {
        FORCED_ORDER.with(|o| o.set(order));
        let sink = scan(dir.path(), false, reader);
        let errors = sink.errors();
        assert_eq!(errors.len(), 1, "{reader:?}: {errors:?}");
        assert!(errors[0].0.contains(&damaged.to_string()), "{errors:?}");
        assert!(errors[0].0.contains("f2.txt"), "{errors:?}");
        let scanned: Vec<BlobId> = sink.blobs_sorted().into_iter().map(|(id, _)| id).collect();
        let mut expected: Vec<BlobId> = files
            .iter()
            .filter(|(n, _)| n != "f2.txt")
            .map(|(_, b)| blob_id(Oid::hash_object(ObjectType::Blob, b).expect("hash")))
            .collect();
        expected.sort();
        assert_eq!(scanned, expected, "{reader:?}");
    }
}
