//! Rules for several writers at once (handles in one process, tasks on one handle, `extent`
//! processes): out-of-order growth converges to what one writer in order leaves.

use extent::backend::{Cause, DType};
use serde_json::json;

use crate::rules::{frame, read_all, req, u16s};
use crate::rules_cli::ok_json;
use crate::Cx;

/// Four writers (separate handles, as separate programs would have) extend one array with
/// out-of-order frames at the same time: the result equals one writer in order.
pub async fn concurrent_writers_converge(cx: &Cx) {
    let width = 8u64;
    let frames = 24u64;
    cx.b()
        .create(&req("a", &[1, width], &[1, width], DType::UInt16))
        .await
        .unwrap();
    let writers = 4u64;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let b = cx.reopen();
        tasks.push(tokio::spawn(async move {
            // Writer w takes frames w, w+4, ..., newest first.
            let mine: Vec<u64> = (0..frames).filter(|f| f % writers == w).rev().collect();
            for f in mine {
                b.patch("a", &[f, 0], &frame(f, width), true).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let b = cx.b();
    let got = read_all(b, "a").await;
    let mut want = Vec::new();
    for f in 0..frames {
        want.extend(frame(f, width).bytes);
    }
    assert_eq!(got.shape, vec![frames, width]);
    assert!(
        got.bytes == want,
        "the bytes differ from the in-order result"
    );
    // Every growth was journaled: shapes chain from creation to the final one.
    let h = b.history("a").await.unwrap();
    assert_eq!(h[0].cause, Cause::Create);
    for pair in h.windows(2) {
        assert_eq!(pair[0].new_shape, pair[1].old_shape, "{h:?}");
    }
    assert_eq!(h.last().unwrap().new_shape, Some(vec![frames, width]));
    assert!(h[1..].iter().all(|e| e.cause == Cause::Patch), "{h:?}");
}

/// One writer with many patches in flight on one handle: growing patches out of order, then
/// in-bounds rewrites of rows that share chunks (two rows per chunk, so concurrent writes to
/// one chunk must not lose each other's rows). The result equals one writer in order.
pub async fn one_writer_many_in_flight(cx: &Cx) {
    use futures::stream::{self, StreamExt};
    let width = 8u64;
    let frames = 24u64;
    let b = cx.b();
    b.create(&req("a", &[2, width], &[2, width], DType::UInt16))
        .await
        .unwrap();
    // A fixed shuffle of 0..frames (7 is coprime with 24).
    let order: Vec<u64> = (0..frames).map(|i| (i * 7 + 3) % frames).collect();
    let results: Vec<_> = stream::iter(order.iter().copied())
        // Handed over (the writer is done with each frame): the no-copy path.
        .map(|f| async move { b.patch_owned("a", &[f, 0], frame(f, width), true).await })
        .buffer_unordered(6)
        .collect()
        .await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    let rewrite = |f: u64| u16s(&[1, width], (f * 100 + 1) as u16);
    let results: Vec<_> = stream::iter(order.iter().copied())
        .map(|f| async move { b.patch("a", &[f, 0], &rewrite(f), false).await })
        .buffer_unordered(6)
        .collect()
        .await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    let got = read_all(b, "a").await;
    let mut want = Vec::new();
    for f in 0..frames {
        want.extend(rewrite(f).bytes);
    }
    assert_eq!(got.shape, vec![frames, width]);
    assert!(got.bytes == want, "rows were lost or mixed up");
    let h = b.history("a").await.unwrap();
    for pair in h.windows(2) {
        assert_eq!(pair[0].new_shape, pair[1].old_shape, "{h:?}");
    }
    assert_eq!(h.last().unwrap().new_shape, Some(vec![frames, width]));
}

/// Four `extent patch --extend` processes at once, frames out of order (two frames share a
/// chunk): the array ends exactly as one writer in order would leave it.
pub async fn processes_extend_concurrently(cx: &Cx) {
    let width = 6u64;
    let frames = 16u64;
    let created = ok_json(
        cx,
        &[
            "create",
            "a",
            "--shape",
            &format!("2,{width}"),
            "--chunks",
            &format!("2,{width}"),
            "--dtype",
            "uint16",
            "--json",
        ],
    );
    assert_eq!(created["shape"], json!([2, width]));
    let writers = 4u64;
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let args: Vec<Vec<String>> = (2..frames)
                .filter(|f| f % writers == w)
                .rev()
                .map(|f| {
                    vec![
                        "patch".into(),
                        "a".into(),
                        "--offset".into(),
                        format!("{f},0"),
                        "--value".into(),
                        (f + 1).to_string(),
                        "--shape".into(),
                        format!("1,{width}"),
                        "--extend".into(),
                        "--json".into(),
                    ]
                })
                .collect();
            let store = cx.store.clone();
            let key = cx.api_key.clone();
            let home = cx.home.path().to_path_buf();
            std::thread::spawn(move || {
                for a in args {
                    let mut all = vec!["--store".to_string(), store.clone()];
                    if let Some(k) = &key {
                        all.extend(["--api-key".to_string(), k.clone()]);
                    }
                    all.extend(a.iter().cloned());
                    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
                    let out = crate::common::extent(&home, &refs);
                    assert!(
                        out.status.success(),
                        "extent {a:?} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a writer failed");
    }
    let b = cx.b();
    let got = read_all(b, "a").await;
    assert_eq!(got.shape, vec![frames, width]);
    let rows: Vec<f64> = (0..frames as usize)
        .map(|r| got.get_f64(r * width as usize))
        .collect();
    let want: Vec<f64> = (0..frames)
        .map(|f| if f < 2 { 0.0 } else { (f + 1) as f64 })
        .collect();
    assert_eq!(rows, want);
    let mut expected = Vec::new();
    for f in 0..frames {
        let v = if f < 2 { 0u16 } else { (f + 1) as u16 };
        for _ in 0..width {
            expected.extend(v.to_le_bytes());
        }
    }
    assert!(
        got.bytes == expected,
        "bytes differ from the in-order result"
    );
    // The journal, written by the four processes, chains without gaps.
    let h = b.history("a").await.unwrap();
    for pair in h.windows(2) {
        assert_eq!(pair[0].new_shape, pair[1].old_shape, "{h:?}");
    }
    assert_eq!(h.last().unwrap().new_shape, Some(vec![frames, width]));
    assert!(h.iter().all(|e| e.cause != Cause::Observed), "{h:?}");
}
