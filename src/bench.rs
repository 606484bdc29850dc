//! `extent bench`: how fast a store takes extend-patches (in order and shuffled) and gives
//! them back, with every byte verified. An operator's question: does it keep up?

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::backend::{
    fmt_shape, ArrayData, Backend, CreateRequest, DType, Error, ErrorKind, Result, Selection,
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

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub store: String,
    pub patch_shape: Vec<u64>,
    pub dtype: DType,
    pub count: u64,
    pub concurrency: usize,
    pub phases: Vec<PhaseResult>,
    pub verified: bool,
}

/// Frame `i`: a pattern that differs per frame and per element, so a misplaced frame shows.
pub fn frame(cfg: &BenchConfig, i: u64) -> ArrayData {
    let n: u64 = cfg.patch_shape.iter().product();
    let size = cfg.dtype.size();
    let mut bytes = vec![0u8; n as usize * size];
    for (k, e) in bytes.chunks_exact_mut(size).enumerate() {
        let v = (i.wrapping_mul(2654435761) ^ k as u64).wrapping_mul(0x9e3779b97f4a7c15) >> 17;
        let v = if cfg.dtype == DType::Bool { v & 1 } else { v };
        let le = v.to_le_bytes();
        e.copy_from_slice(&le[..size]);
        if cfg.dtype.is_float() {
            // Keep floats finite and exact: small integers.
            let f = (v % 65536) as f64;
            if size == 4 {
                e.copy_from_slice(&(f as f32).to_le_bytes());
            } else {
                e.copy_from_slice(&f.to_le_bytes());
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
    let total_steps = cfg.count * 3;
    let mut step = 0u64;
    let mut phases = Vec::new();
    let mut verified = true;
    for (name, order) in [
        ("write in order", (1..cfg.count).collect::<Vec<_>>()),
        ("write shuffled", shuffled(cfg.count)),
    ] {
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
        let started = Instant::now();
        let results: Vec<Result<Duration>> = stream::iter(order)
            .map(|i| {
                let (store, path, data) = (store.clone(), path.clone(), frame(cfg, i));
                let off = offset(cfg, i);
                async move {
                    let t = Instant::now();
                    store.patch(&path, &off, &data, true).await?;
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

        if name == "write shuffled" {
            // Read every frame back, verify it, time it.
            let info = store.show(&path).await?;
            if info.shape[0] != cfg.count * cfg.patch_shape[0] {
                verified = false;
            }
            let started = Instant::now();
            let mut lat = Vec::new();
            for i in 0..cfg.count {
                let start = offset(cfg, i);
                let end: Vec<u64> = start
                    .iter()
                    .zip(&cfg.patch_shape)
                    .map(|(s, n)| s + n)
                    .collect();
                let t = Instant::now();
                let got = store.read(&path, Some(&Selection { start, end })).await?;
                lat.push(t.elapsed());
                if got.bytes != frame(cfg, i).bytes {
                    verified = false;
                }
                step += 1;
                progress(step, total_steps);
            }
            let wall = started.elapsed();
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
    })
}
