//! The local watcher keeps each chunk directory's listing between polls and reads a directory
//! again only when it changed: it must still see every chunk written into a directory it
//! kept (a new chunk file), every chunk rewritten in place (same inode, the directory itself
//! unchanged) and every atomic rewrite (a new inode by rename), long after the directory's
//! listing was kept.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, DType, EventKind, WatchMessage, WatchReceiver};

/// Waits for a `ChunksWritten` event at `offset`, skipping others; fails after 10 s.
async fn written_at(rx: &mut WatchReceiver, offset: &[u64]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = tokio::time::timeout(left, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no chunk event at {offset:?} within 10 s"))
            .expect("the watch ended");
        if let WatchMessage::Event(e) = msg {
            if let EventKind::ChunksWritten { offset: o, .. } = &e.kind {
                if o == offset {
                    return;
                }
            }
        }
    }
}

fn row(value: i32) -> ArrayData {
    let bytes = std::iter::repeat_n(value.to_le_bytes(), 2)
        .flatten()
        .collect();
    ArrayData::new(DType::Int32, vec![1, 2], bytes).expect("data")
}

#[tokio::test(flavor = "multi_thread")]
async fn kept_listings_still_show_new_and_rewritten_chunks() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store.zarr");
    let b = LocalBackend::open_or_create(&dir).expect("store");
    // Chunks of one row × two columns: the chunks of a row share one directory, `c/0/`.
    let req = common::create_request("a", &[1, 8], &[1, 2], DType::Int32);
    b.create(&req).await.expect("create");
    b.patch("a", &[0, 0], &row(1), false).await.expect("patch");
    b.patch("a", &[0, 2], &row(2), false).await.expect("patch");
    let mut rx = b.watch("a").await.expect("watch");
    // The first look is the baseline; let the directories' changes age past the time their
    // listings are trusted from, and a few polls keep them.
    tokio::time::sleep(Duration::from_millis(1800)).await;

    // A new chunk file in the kept directory.
    b.patch("a", &[0, 4], &row(3), false).await.expect("patch");
    written_at(&mut rx, &[0, 4]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // A chunk rewritten in place, as a tool that does not write atomically would: same inode,
    // the directory untouched; only the file's size and time tell.
    let file = dir.join("a/c/0/0");
    assert!(file.is_file(), "chunk file {}", file.display());
    let before = std::fs::read(&file).expect("read chunk");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .expect("open chunk");
    f.seek(SeekFrom::End(0)).expect("seek");
    f.write_all(&[0]).expect("append a byte");
    drop(f);
    written_at(&mut rx, &[0, 0]).await;
    std::fs::write(&file, &before).expect("restore");
    written_at(&mut rx, &[0, 0]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // An atomic rewrite through extent (a new inode, renamed into the kept directory).
    b.patch("a", &[0, 2], &row(9), false).await.expect("patch");
    written_at(&mut rx, &[0, 2]).await;
}
