//! Local-store rules that need a look inside the store: shrink clears the edge chunks'
//! overhang, a blocked chunk refuses a grow before it is committed, symlinks cannot escape.

mod common;

use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, Cause, CreateRequest, DType, ErrorKind};

fn req(path: &str, shape: &[u64], chunks: &[u64]) -> CreateRequest {
    CreateRequest {
        fill_value: (-7).into(),
        ..common::create_request(path, shape, chunks, DType::Int32)
    }
}

fn ints(d: &ArrayData) -> Vec<i32> {
    d.bytes
        .chunks_exact(4)
        .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

#[tokio::test]
async fn shrink_then_grow_reads_fill_not_stale_data() {
    let tmp = tempfile::tempdir().unwrap();
    let b = LocalBackend::open_or_create(tmp.path()).unwrap();
    b.create(&req("a", &[6, 4], &[4, 3])).await.unwrap();
    let all = ArrayData::filled(DType::Int32, &[6, 4], &5.into()).unwrap();
    b.patch("a", &[0, 0], &all, false).await.unwrap();
    // Not chunk-aligned on either axis: rows 3.. and column 3 of the kept chunks are overhang.
    b.resize("a", &[3, 2], Cause::Resize).await.unwrap();
    assert_eq!(ints(&b.read("a", None).await.unwrap()), vec![5; 6]);
    b.resize("a", &[6, 4], Cause::Resize).await.unwrap();
    let got = ints(&b.read("a", None).await.unwrap());
    let want: Vec<i32> = (0..24)
        .map(|i| if i / 4 < 3 && i % 4 < 2 { 5 } else { -7 })
        .collect();
    assert_eq!(got, want);
    // The chunks wholly past the edge were erased, not just hidden.
    assert!(!tmp.path().join("a/c/1/1").exists());
    assert!(b.check("a").await.unwrap().is_empty());
}

/// A chunk that cannot be written (a directory in its place) is found before the grow is
/// committed: nothing is written and there is nothing to roll back. (Rollbacks after a write
/// that fails mid-way are tried in `tests/disk_full.rs`.)
#[tokio::test]
async fn a_blocked_chunk_refuses_a_grow_before_it_is_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let b = LocalBackend::open_or_create(tmp.path()).unwrap();
    b.create(&req("a", &[2, 2], &[2, 2])).await.unwrap();
    std::fs::create_dir_all(tmp.path().join("a/c/2/0/blocker")).unwrap();
    let d = ArrayData::filled(DType::Int32, &[4, 2], &1.into()).unwrap();
    let e = b.patch("a", &[2, 0], &d, true).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{e}");
    assert!(e.message.contains("a/c/2/0"), "{e}");
    assert_eq!(b.show("a").await.unwrap().shape, vec![2, 2]);
    let h = b.history("a").await.unwrap();
    let causes: Vec<_> = h.iter().map(|c| c.cause).collect();
    assert_eq!(causes, [Cause::Create]);
    assert!(!tmp.path().join("a/c/1/0").exists());
    std::fs::remove_dir_all(tmp.path().join("a/c/2")).unwrap();
    b.patch("a", &[2, 0], &d, true).await.unwrap();
    assert_eq!(ints(&b.read("a", None).await.unwrap())[4..], [1; 8]);
}

#[tokio::test]
async fn symlinks_out_of_the_store_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let b = LocalBackend::open_or_create(tmp.path().join("s")).unwrap();
    let ob = LocalBackend::open_or_create(outside.path()).unwrap();
    ob.create(&req("secret", &[2], &[2])).await.unwrap();
    std::os::unix::fs::symlink(outside.path(), tmp.path().join("s/link")).unwrap();
    for r in [
        b.show("link/secret").await.err(),
        b.read("link/secret", None).await.err(),
    ] {
        assert_eq!(r.unwrap().kind, ErrorKind::InvalidInput);
    }
    let d = ArrayData::filled(DType::Int32, &[1], &1.into()).unwrap();
    assert_eq!(
        b.patch("link/secret", &[0], &d, true)
            .await
            .unwrap_err()
            .kind,
        ErrorKind::InvalidInput
    );
    assert_eq!(
        b.show("../x").await.unwrap_err().kind,
        ErrorKind::InvalidInput
    );
}

#[tokio::test]
async fn history_survives_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let b = LocalBackend::open_or_create(tmp.path()).unwrap();
        b.create(&req("a", &[2], &[2])).await.unwrap();
        b.resize("a", &[5], Cause::Extend).await.unwrap();
    }
    let b = LocalBackend::open(tmp.path()).unwrap();
    let h = b.history("a").await.unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].cause, Cause::Extend);
    assert_eq!(
        (h[1].old_shape.clone(), h[1].new_shape.clone()),
        (Some(vec![2]), Some(vec![5]))
    );
}
