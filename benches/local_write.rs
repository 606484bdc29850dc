//! The local write path, measured with criterion: an extend-patch of one frame (the array grows
//! by a chunk each time), an in-bounds patch of a whole chunk, a small patch inside a chunk
//! (read-modify-write), tiny extend-patches (metadata-bound), and reading a frame back.
//! Each durability is measured separately (`fsync` waits for the disk, `atomic` does not).
//!
//!   cargo bench --bench local_write                 # all (a few minutes)
//!   cargo bench --bench local_write -- extend_frame # one group
//!
//! The store lives in `EXTENT_BENCH_DIR` (default: a temp dir under /tmp, i.e. the disk
//! `scripts/compare.sh` measures). Every timed batch starts from a fresh array and deletes it
//! afterwards, so disk use stays bounded whatever criterion's iteration counts.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use extent::backend::local::{Durability, LocalBackend};
use extent::backend::{ArrayData, Backend, CreateRequest, DType, Selection};
use extent::bench::{frame, BenchConfig};

const FRAME: [u64; 3] = [1, 512, 512];
const SMALL: [u64; 2] = [1, 64];

fn cfg(shape: &[u64]) -> BenchConfig {
    BenchConfig {
        patch_shape: shape.to_vec(),
        dtype: DType::UInt16,
        count: 1,
        concurrency: 1,
        prefix: String::new(),
        in_bounds: false,
    }
}

fn create(rt: &tokio::runtime::Runtime, b: &LocalBackend, path: &str, shape: &[u64], rows: u64) {
    let mut s = shape.to_vec();
    s[0] *= rows;
    let mut resizable = vec![false; shape.len()];
    resizable[0] = true;
    let _ = rt.block_on(b.delete(path));
    rt.block_on(b.create(&CreateRequest {
        path: path.into(),
        shape: s,
        chunks: shape.to_vec(),
        dtype: DType::UInt16,
        resizable,
        fill_value: 0.into(),
        metadata: serde_json::json!({}),
        data: None,
    }))
    .expect("create the bench array");
}

fn at(shape: &[u64], i: u64) -> Vec<u64> {
    let mut o = vec![0; shape.len()];
    o[0] = i * shape[0];
    o
}

fn store(dir: &std::path::Path, d: Durability) -> LocalBackend {
    LocalBackend::open_or_create(dir)
        .expect("open the bench store")
        .with_durability(d)
}

fn bench(c: &mut Criterion) {
    let tmp = match std::env::var_os("EXTENT_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("a scratch directory");
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let frames: Vec<ArrayData> = (0..8).map(|i| frame(&cfg(&FRAME), i)).collect();
    let small: Vec<ArrayData> = (0..8).map(|i| frame(&cfg(&SMALL), i)).collect();
    let frame_bytes = frames[0].bytes.len() as u64;

    for (name, d) in [("atomic", Durability::Atomic), ("fsync", Durability::Fsync)] {
        let b = store(tmp.path(), d);

        // Extend-patch: frame i lands past the edge; the array grows by one chunk.
        let mut g = c.benchmark_group("extend_frame_1x512x512_u16");
        g.throughput(Throughput::Bytes(frame_bytes));
        g.bench_function(BenchmarkId::from_parameter(name), |bn| {
            bn.iter_custom(|iters| {
                create(&rt, &b, "grow", &FRAME, 0);
                let t = Instant::now();
                for i in 0..iters {
                    let data = &frames[(i % 8) as usize];
                    rt.block_on(b.patch("grow", &at(&FRAME, i), data, true))
                        .expect("extend patch");
                }
                let e = t.elapsed();
                rt.block_on(b.delete("grow")).expect("delete");
                e
            })
        });
        g.finish();

        // Tiny extend-patches: every one changes the shape (zarr.json + journal).
        let mut g = c.benchmark_group("extend_small_1x64_u16");
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::from_parameter(name), |bn| {
            bn.iter_custom(|iters| {
                create(&rt, &b, "small", &SMALL, 0);
                let t = Instant::now();
                for i in 0..iters {
                    let data = &small[(i % 8) as usize];
                    rt.block_on(b.patch("small", &at(&SMALL, i), data, true))
                        .expect("small patch");
                }
                let e = t.elapsed();
                rt.block_on(b.delete("small")).expect("delete");
                e
            })
        });
        g.finish();

        // In bounds: rewrite whole chunks of an array that is already large enough.
        create(&rt, &b, "fixed", &FRAME, 8);
        let mut g = c.benchmark_group("inbounds_frame_1x512x512_u16");
        g.throughput(Throughput::Bytes(frame_bytes));
        g.bench_function(BenchmarkId::from_parameter(name), |bn| {
            let mut i = 0u64;
            bn.iter(|| {
                i += 1;
                rt.block_on(b.patch(
                    "fixed",
                    &at(&FRAME, i % 8),
                    &frames[(i % 8) as usize],
                    false,
                ))
                .expect("in-bounds patch")
            })
        });
        g.finish();

        // A 1x64 patch inside a 512 KiB chunk: read, modify, re-encode, write.
        let mut g = c.benchmark_group("inbounds_rmw_1x64_in_512x512_u16");
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::from_parameter(name), |bn| {
            let mut i = 0u64;
            bn.iter(|| {
                i += 1;
                let off = [i % 8, (i * 7) % 512, 64 * (i % 8)];
                let data = ArrayData {
                    shape: vec![1, 1, 64],
                    ..small[(i % 8) as usize].clone()
                };
                rt.block_on(b.patch("fixed", &off, &data, false))
                    .expect("partial patch")
            })
        });
        g.finish();

        if d == Durability::Atomic {
            // The codec's share: the same extend-patches into an array without zstd (made by
            // rewriting zarr.json's codecs; extent itself always creates bytes + zstd 1).
            let mut g = c.benchmark_group("extend_frame_1x512x512_u16_codec");
            g.throughput(Throughput::Bytes(frame_bytes));
            for codec in ["zstd1", "none"] {
                g.bench_function(BenchmarkId::from_parameter(codec), |bn| {
                    bn.iter_custom(|iters| {
                        create(&rt, &b, "codec", &FRAME, 0);
                        if codec == "none" {
                            let meta = tmp.path().join("codec/zarr.json");
                            let mut m: serde_json::Value =
                                serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
                            m["codecs"] = serde_json::json!([
                                {"name": "bytes", "configuration": {"endian": "little"}}
                            ]);
                            std::fs::write(&meta, serde_json::to_vec(&m).unwrap()).unwrap();
                        }
                        let t = Instant::now();
                        for i in 0..iters {
                            let data = &frames[(i % 8) as usize];
                            rt.block_on(b.patch("codec", &at(&FRAME, i), data, true))
                                .expect("extend patch");
                        }
                        let e = t.elapsed();
                        rt.block_on(b.delete("codec")).expect("delete");
                        e
                    })
                });
            }
            g.finish();

            let mut g = c.benchmark_group("read_frame_1x512x512_u16");
            g.throughput(Throughput::Bytes(frame_bytes));
            g.bench_function("read", |bn| {
                let mut i = 0u64;
                bn.iter(|| {
                    i += 1;
                    let start = at(&FRAME, i % 8);
                    let end: Vec<u64> = start.iter().zip(&FRAME).map(|(s, n)| s + n).collect();
                    rt.block_on(b.read("fixed", Some(&Selection { start, end })))
                        .expect("read")
                })
            });
            g.finish();
        }
        rt.block_on(b.delete("fixed")).expect("delete");
    }
}

fn config() -> Criterion {
    // Small samples: disk-bound iterations take milliseconds and the machine is shared.
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
