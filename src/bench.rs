//! `extent bench`: how fast a store takes extend-patches (in order and shuffled), or patches
//! into an array grown beforehand (`--in-bounds`), and gives them back, with every byte
//! verified. An operator's question: does it keep up?

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::backend::{
    fmt_shape, ArrayData, Backend, Cause, CreateRequest, DType, Error, ErrorKind, Result, Selection,
};

#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Shape of one patch; axis 0 is the one that grows.
    pub patch_shape: Vec<u64>,
    pub dtype: DType,
    pub count: u64,
    pub concurrency: usize,
    /// Parent group for the scratch arrays.
    pub prefix: String,
    /// One write phase instead of the two extending ones: the array is grown to its full
    /// shape before the clock starts, and the frames go in bounds, shuffled.
    pub in_bounds: bool,
}

/// The phase names, in the order they run.
pub const IN_ORDER: &str = "write in order";
pub const SHUFFLED: &str = "write shuffled";
pub const IN_BOUNDS: &str = "write in bounds";

impl BenchConfig {
    /// Progress steps of a run: each write phase's patches (and its array's set-up), and the
    /// read of every frame.
    pub fn steps(&self) -> u64 {
        if self.in_bounds {
            self.count * 2
        } else {
            self.count * 3
        }
    }
}

/// Throughput and latency of one phase.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseResult {
    pub phase: String,
    pub patches: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub mb_per_s: f64,
    pub patches_per_s: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// Frames are generated before the clock starts when they all fit in this much memory;
/// otherwise each is generated just before its patch, inside the timed phase.
const PREGENERATE_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub store: String,
    pub patch_shape: Vec<u64>,
    pub dtype: DType,
    pub count: u64,
    pub concurrency: usize,
    pub phases: Vec<PhaseResult>,
    pub verified: bool,
    /// The frames were made before timing (false: their generation is inside the timings).
    pub pregenerated: bool,
}

/// Frame `i`: a pattern that differs per frame and per element, so a misplaced frame shows.
/// Element `k` of frame `i` is `((i * 2654435761) ^ k) * 0x9e3779b97f4a7c15 >> 17`, truncated to
/// the dtype (`scripts/zarr_peer.py` builds the same bytes). Floats hold that value mod 65536
/// (finite and exact), bools its lowest bit. Generated with a fixed element width so it runs
/// at memory speed and does not weigh on the timings.
pub fn frame(cfg: &BenchConfig, i: u64) -> ArrayData {
    let n: u64 = cfg.patch_shape.iter().product();
    let size = cfg.dtype.size();
    let mut bytes = vec![0u8; n as usize * size];
    let seed = i.wrapping_mul(2654435761);
    let value = move |k: usize| (seed ^ k as u64).wrapping_mul(0x9e3779b97f4a7c15) >> 17;
    fn fill<const N: usize>(bytes: &mut [u8], f: impl Fn(usize) -> [u8; N]) {
        for (k, e) in bytes.chunks_exact_mut(N).enumerate() {
            *<&mut [u8; N]>::try_from(e).expect("chunks_exact") = f(k);
        }
    }
    match (cfg.dtype, size) {
        (DType::Bool, _) => fill::<1>(&mut bytes, |k| [(value(k) & 1) as u8]),
        (d, 4) if d.is_float() => {
            fill::<4>(&mut bytes, |k| ((value(k) % 65536) as f32).to_le_bytes())
        }
        (d, 8) if d.is_float() => {
            fill::<8>(&mut bytes, |k| ((value(k) % 65536) as f64).to_le_bytes())
        }
        (_, 1) => fill::<1>(&mut bytes, |k| [value(k) as u8]),
        (_, 2) => fill::<2>(&mut bytes, |k| (value(k) as u16).to_le_bytes()),
        (_, 4) => fill::<4>(&mut bytes, |k| (value(k) as u32).to_le_bytes()),
        (_, 8) => fill::<8>(&mut bytes, |k| value(k).to_le_bytes()),
        // Any other width (none today): the low bytes of the value.
        (_, s) => {
            for (k, e) in bytes.chunks_exact_mut(s).enumerate() {
                let le = value(k).to_le_bytes();
                let m = s.min(8);
                e[..m].copy_from_slice(&le[..m]);
            }
        }
    }
    ArrayData {
        dtype: cfg.dtype,
        shape: cfg.patch_shape.clone(),
        bytes,
    }
}

fn offset(cfg: &BenchConfig, i: u64) -> Vec<u64> {
    let mut o = vec![0; cfg.patch_shape.len()];
    o[0] = i * cfg.patch_shape[0];
    o
}

fn summarize(phase: &str, lat: &mut [Duration], bytes: u64, wall: Duration) -> PhaseResult {
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .map(|d| d.as_secs_f64() * 1e3)
            .unwrap_or(0.0)
    };
    let secs = wall.as_secs_f64().max(1e-9);
    PhaseResult {
        phase: phase.into(),
        patches: lat.len() as u64,
        bytes,
        seconds: secs,
        mb_per_s: bytes as f64 / secs / 1e6,
        patches_per_s: lat.len() as f64 / secs,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
    }
}

/// A deterministic shuffle within windows of 16 (a detector's out-of-order arrival).
fn shuffled(count: u64) -> Vec<u64> {
    let mut v: Vec<u64> = (1..count).collect();
    let mut s = 0x853c49e6748fea9bu64;
    for w in v.chunks_mut(16) {
        for i in (1..w.len()).rev() {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            w.swap(i, (s >> 33) as usize % (i + 1));
        }
    }
    v
}

/// Runs the benchmark; `progress` is told after each patch or read (done, total).
pub async fn run(
    store: Arc<dyn Backend>,
    cfg: &BenchConfig,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<BenchReport> {
    if cfg.patch_shape.is_empty() || cfg.patch_shape.contains(&0) || cfg.count == 0 {
        return Err(Error::invalid_input(
            "--shape-per-patch must be positive on every axis and --count > 0",
        ));
    }
    let frame_bytes = crate::backend::checked_elements(&cfg.patch_shape)? * cfg.dtype.size() as u64;
    let total_steps = cfg.steps();
    let mut step = 0u64;
    let mut phases = Vec::new();
    let mut verified = true;
    // Frames are made before each phase's clock when they fit, and handed over to the store
    // (as a writer hands over a frame it is done with); otherwise made as they are sent.
    let pregenerate = frame_bytes.saturating_mul(cfg.count) <= PREGENERATE_BYTES;
    let writes = if cfg.in_bounds {
        vec![(IN_BOUNDS, shuffled(cfg.count))]
    } else {
        vec![
            (IN_ORDER, (1..cfg.count).collect::<Vec<_>>()),
            (SHUFFLED, shuffled(cfg.count)),
        ]
    };
    for (name, order) in writes {
        let path = format!(
            "{}/{}-{}",
            cfg.prefix,
            name.replace(' ', "-"),
            std::process::id()
        );
        match store.delete(&path).await {
            Ok(()) => {}
            Err(e) if e.kind == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut resizable = vec![false; cfg.patch_shape.len()];
        resizable[0] = true;
        // One patch per chunk; the first frame is written at creation (Tiled needs a block).
        let first = frame(cfg, 0);
        store
            .create(&CreateRequest {
                path: path.clone(),
                shape: cfg.patch_shape.clone(),
                chunks: cfg.patch_shape.clone(),
                dtype: cfg.dtype,
                resizable,
                fill_value: 0.into(),
                metadata: serde_json::json!({"extent_bench": true}),
                data: Some(first),
            })
            .await?;
        if name == IN_BOUNDS {
            let mut full = cfg.patch_shape.clone();
            full[0] = cfg
                .count
                .checked_mul(full[0])
                .ok_or_else(|| Error::invalid_input("--count × the patch's rows is too large"))?;
            store.resize(&path, &full, Cause::Resize).await?;
        }
        let extend = name != IN_BOUNDS;
        let mut ready: Vec<Option<ArrayData>> = (0..cfg.count)
            .map(|i| (pregenerate && i > 0).then(|| frame(cfg, i)))
            .collect();
        let started = Instant::now();
        let results: Vec<Result<Duration>> = stream::iter(order)
            .map(|i| {
                let data = ready[i as usize].take().unwrap_or_else(|| frame(cfg, i));
                let (store, path) = (store.clone(), path.clone());
                let off = offset(cfg, i);
                async move {
                    let t = Instant::now();
                    store.patch_owned(&path, &off, data, extend).await?;
                    Ok(t.elapsed())
                }
            })
            .buffer_unordered(cfg.concurrency.max(1))
            .inspect(|_| {
                step += 1;
                progress(step, total_steps);
            })
            .collect()
            .await;
        let wall = started.elapsed();
        let mut lat = results.into_iter().collect::<Result<Vec<_>>>()?;
        let written = lat.len() as u64 * frame_bytes;
        phases.push(summarize(name, &mut lat, written, wall));

        if name != IN_ORDER {
            // Read every frame back, verify it, time it.
            let info = store.show(&path).await?;
            if info.shape[0] != cfg.count * cfg.patch_shape[0] {
                verified = false;
            }
            // The read phase's time is that of the reads (each frame to compare with is made
            // before its read starts).
            let mut lat = Vec::new();
            for i in 0..cfg.count {
                let start = offset(cfg, i);
                let end: Vec<u64> = start
                    .iter()
                    .zip(&cfg.patch_shape)
                    .map(|(s, n)| s + n)
                    .collect();
                let want = frame(cfg, i);
                let t = Instant::now();
                let got = store.read(&path, Some(&Selection { start, end })).await?;
                lat.push(t.elapsed());
                if got.bytes != want.bytes {
                    verified = false;
                }
                step += 1;
                progress(step, total_steps);
            }
            let wall = lat.iter().sum();
            phases.push(summarize("read", &mut lat, cfg.count * frame_bytes, wall));
        } else {
            step += 1;
            progress(step, total_steps);
        }
        store.delete(&path).await?;
    }
    if !verified {
        return Err(Error::conflict(format!(
            "bench: the data read back differs from what was written ({} patches of {})",
            cfg.count,
            fmt_shape(&cfg.patch_shape)
        )));
    }
    Ok(BenchReport {
        store: store.describe(),
        patch_shape: cfg.patch_shape.clone(),
        dtype: cfg.dtype,
        count: cfg.count,
        concurrency: cfg.concurrency,
        phases,
        verified,
        pregenerated: pregenerate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The element-by-element definition `frame` must keep (scripts/zarr_peer.py builds it too).
    fn reference(cfg: &BenchConfig, i: u64) -> Vec<u8> {
        let n: u64 = cfg.patch_shape.iter().product();
        let size = cfg.dtype.size();
        let mut out = Vec::new();
        for k in 0..n {
            let v = (i.wrapping_mul(2654435761) ^ k).wrapping_mul(0x9e3779b97f4a7c15) >> 17;
            let v = if cfg.dtype == DType::Bool { v & 1 } else { v };
            let le = v.to_le_bytes();
            let mut e = le[..size].to_vec();
            if cfg.dtype.is_float() {
                let f = (v % 65536) as f64;
                e = if size == 4 {
                    (f as f32).to_le_bytes().to_vec()
                } else {
                    f.to_le_bytes().to_vec()
                };
            }
            out.extend(e);
        }
        out
    }

    #[test]
    fn frames_follow_the_definition() {
        for dtype in DType::ALL {
            let cfg = BenchConfig {
                patch_shape: vec![2, 3, 5],
                dtype,
                count: 3,
                concurrency: 1,
                prefix: "p".into(),
                in_bounds: false,
            };
            for i in [0, 1, 7] {
                assert_eq!(
                    frame(&cfg, i).bytes,
                    reference(&cfg, i),
                    "{dtype} frame {i}"
                );
            }
            if dtype != DType::Bool {
                assert_ne!(frame(&cfg, 1).bytes, frame(&cfg, 2).bytes);
            }
        }
        // uint16 frame 1, as scripts/zarr_peer.py computes it (numpy).
        let cfg = BenchConfig {
            patch_shape: vec![4],
            dtype: DType::UInt16,
            count: 1,
            concurrency: 1,
            prefix: "p".into(),
            in_bounds: false,
        };
        let f = frame(&cfg, 1);
        let got: Vec<u16> = f
            .bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(got, vec![27348, 43823, 59934, 10873]);
    }
}
