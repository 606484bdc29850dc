//! Out-of-order and concurrent extend patches on the local backend converge to the in-order
//! result: any permutation (property test), and 8 processes × 50 patches at once.

mod common;

use std::sync::Arc;

use common::order::{check_history, run_workers, shuffled};
use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, Cause, CreateRequest, DType};
use proptest::prelude::*;

const COLS: u64 = 8;

/// The value every writer puts at (row, col): order cannot matter if the data agrees.
fn frame(row: u64) -> ArrayData {
    let bytes = (0..COLS)
        .flat_map(|c| ((row * 1000 + c) as i32).to_le_bytes())
        .collect();
    ArrayData::new(DType::Int32, vec![1, COLS], bytes).unwrap()
}

fn create_req(path: &str) -> CreateRequest {
    CreateRequest {
        resizable: vec![true, false],
        fill_value: (-1).into(),
        data: Some(frame(0)),
        ..common::create_request(path, &[1, COLS], &[3, COLS], DType::Int32)
    }
}

/// Patch `f` covers rows `start..start+len`: one row each normally, 1–3 rows each in a soak
/// run (mixed sizes). Its rows hold the same values as single-row frames.
fn span(f: u64, mixed: bool) -> (u64, u64) {
    if !mixed {
        return (f, 1);
    }
    // sizes 1, 2, 3, 1, 2, 3, ...: start(f) = sum of the sizes before f.
    let full = f / 3;
    let start = full * 6 + [0, 1, 3][(f % 3) as usize];
    (start, f % 3 + 1)
}

fn piece(f: u64, mixed: bool) -> ArrayData {
    let (start, len) = span(f, mixed);
    let bytes = (start..start + len).flat_map(|r| frame(r).bytes).collect();
    ArrayData::new(DType::Int32, vec![len, COLS], bytes).unwrap()
}

/// A soak run (EXTENT_SOAK=1): 500 patches per process of mixed sizes instead of 50 rows.
fn soak() -> bool {
    std::env::var("EXTENT_SOAK").is_ok_and(|v| v == "1")
}

fn expected(rows: u64) -> Vec<u8> {
    (0..rows).flat_map(|r| frame(r).bytes).collect()
}

/// Entry point of the worker processes (this test binary, re-executed with `--ignored`):
/// ignored in a normal run, and fails when run without its EXTENT_TEST_WORKER.
#[test]
#[ignore = "a worker process of the multi-process tests in this file"]
fn worker_entry() {
    let spec = std::env::var("EXTENT_TEST_WORKER")
        .expect("worker_entry runs only as a worker of the multi-process tests in this file");
    let mut parts = spec.split(';');
    let store = parts.next().unwrap().to_string();
    let frames: Vec<u64> = parts
        .next()
        .unwrap()
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    let extend = parts.next() == Some("extend");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = LocalBackend::open(&store).unwrap();
        for f in frames {
            let (start, _) = span(f, soak());
            b.patch("stack", &[start, 0], &piece(f, soak()), extend)
                .await
                .unwrap();
        }
    });
}

#[test]
fn eight_processes_extend_one_array_out_of_order() {
    eight_processes(true);
}

/// In bounds, writers share chunks (3 rows per chunk): the per-chunk locks keep every
/// read-modify-write whole.
#[test]
fn eight_processes_patch_shared_chunks_in_bounds() {
    eight_processes(false);
}

fn eight_processes(extend: bool) {
    const WORKERS: u64 = 8;
    let per = if soak() { 500 } else { 50 };
    let patches = WORKERS * per;
    let (last_start, last_len) = span(patches - 1, soak());
    let rows = last_start + last_len;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = LocalBackend::open_or_create(&store).unwrap();
    rt.block_on(b.create(&create_req("stack"))).unwrap();
    if !extend {
        rt.block_on(b.resize("stack", &[rows, COLS], Cause::Resize))
            .unwrap();
    }
    // Patch 0 (row 0) is written at creation; the rest are spread over the workers and shuffled.
    let all = shuffled((1..patches).collect(), 7);
    let mode = if extend { "extend" } else { "in-bounds" };
    run_workers(
        WORKERS,
        &all,
        |mine| format!("{};{};{}", store.display(), mine, mode),
        &[],
    );
    let data = rt.block_on(b.read("stack", None)).unwrap();
    assert_eq!(data.shape, vec![rows, COLS]);
    assert!(
        data.bytes == expected(rows),
        "concurrent result differs from the in-order result"
    );
    let h = rt.block_on(b.history("stack")).unwrap();
    check_history(&h, &[rows, COLS]);
    if soak() {
        eprintln!("soak: {WORKERS} processes x {per} patches of mixed sizes -> {rows} rows, bit-identical, {} structure changes journaled", h.len());
    }
}

#[test]
fn threads_in_one_process_converge_too() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = Arc::new(LocalBackend::open_or_create(tmp.path().join("s")).unwrap());
    rt.block_on(b.create(&create_req("stack"))).unwrap();
    let rows = 120;
    let all = shuffled((1..rows).collect(), 3);
    rt.block_on(async {
        let tasks: Vec<_> = all
            .chunks(15)
            .map(|part| {
                let (b, part) = (b.clone(), part.to_vec());
                tokio::spawn(async move {
                    for f in part {
                        b.patch("stack", &[f, 0], &frame(f), true).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let data = rt.block_on(b.read("stack", None)).unwrap();
    assert_eq!(data.bytes, expected(rows));
    check_history(&rt.block_on(b.history("stack")).unwrap(), &[rows, COLS]);
}

/// A block whose every element is a function of its global position.
fn block(off: &[u64], shape: &[u64]) -> ArrayData {
    let mut bytes = Vec::new();
    for i in 0..shape[0] {
        for j in 0..shape[1] {
            let v = ((off[0] + i) * 100 + off[1] + j) as u16;
            bytes.extend(v.to_le_bytes());
        }
    }
    ArrayData::new(DType::UInt16, shape.to_vec(), bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any permutation of a set of extend-patches gives the same array.
    #[test]
    fn any_permutation_gives_the_same_array(
        patches in proptest::collection::vec(((0u64..12, 0u64..9), (1u64..4, 1u64..4)), 1..8),
        seed in any::<u64>(),
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let run = |order: Vec<usize>| -> ArrayData {
            let tmp = tempfile::tempdir().unwrap();
            let b = LocalBackend::open_or_create(tmp.path()).unwrap();
            rt.block_on(async {
                b.create(&CreateRequest {
                    fill_value: 7.into(),
                    ..common::create_request("a", &[2, 2], &[3, 2], DType::UInt16)
                }).await.unwrap();
                for i in order {
                    let ((r, c), (h, w)) = patches[i];
                    b.patch("a", &[r, c], &block(&[r, c], &[h, w]), true).await.unwrap();
                }
                b.read("a", None).await.unwrap()
            })
        };
        let in_order = run((0..patches.len()).collect());
        let permuted = run(shuffled((0..patches.len() as u64).collect(), seed).into_iter().map(|i| i as usize).collect());
        prop_assert_eq!(&in_order, &permuted);
        let rows = patches.iter().map(|((r, _), (h, _))| r + h).max().unwrap().max(2);
        let cols = patches.iter().map(|((_, c), (_, w))| c + w).max().unwrap().max(2);
        prop_assert_eq!(in_order.shape, vec![rows, cols]);
    }
}
