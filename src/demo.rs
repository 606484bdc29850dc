//! The demo: a store with a detector stack, a time series and a volume, and a simulated
//! detector that writes frames **out of order** with extend — shuffled within a window, a few
//! frames very late — then checks the result equals the in-order one. The same arrays, partly
//! written, are the store to look at that the TUI's picker offers ([`make_sample`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::backend::{
    fmt_shape, ArrayData, Backend, CreateRequest, DType, Error, ErrorKind, Result,
};

pub const FRAMES_PATH: &str = "detector/frames";
pub const SERIES_PATH: &str = "timeseries/temperature";
pub const VOLUME_PATH: &str = "volume/recon";

const PIXELS: u64 = 64;
const SIDE: u64 = 16;
/// One volume slice per this many frames.
const FRAMES_PER_SLICE: u64 = 4;

/// How the simulated detector runs.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub frames: u64,
    pub rate_hz: f64,
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> DemoConfig {
        DemoConfig {
            frames: 200,
            rate_hz: 20.0,
            seed: 5,
        }
    }
}

/// Frames written into the picker's sample store; frames 20..28 (two chunks) stay missing.
const SAMPLE_FRAMES: u64 = 40;
const SAMPLE_GAP: std::ops::Range<u64> = 20..28;

/// Progress of the writer, for a status line.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoStatus {
    Wrote { frame: u64, done: u64, total: u64 },
    Checked(Result<String, String>),
}

/// Creates the demo arrays. A store that already holds any of them is refused with
/// `already_exists` before anything is written: the demo never replaces data.
pub async fn make_store(b: &dyn Backend) -> Result<()> {
    for path in [FRAMES_PATH, SERIES_PATH, VOLUME_PATH] {
        match b.show(path).await {
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "the store already holds {path}: the demo never replaces existing data"
                    ),
                ))
            }
            Err(e) if e.kind == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    // Start with one chunk each (Tiled needs chunk-aligned, non-empty shapes), then extend.
    let arrays = [
        (
            FRAMES_PATH,
            vec![4, PIXELS],
            vec![4, 16],
            DType::UInt16,
            vec![true, false],
            "line detector, one row per frame",
        ),
        (
            SERIES_PATH,
            vec![16],
            vec![16],
            DType::Float64,
            vec![true],
            "sample temperature, one value per frame",
        ),
        (
            VOLUME_PATH,
            vec![2, SIDE, SIDE],
            vec![2, 8, 8],
            DType::Float32,
            vec![true, false, false],
            "reconstruction, one slice per 4 frames",
        ),
    ];
    for (path, shape, chunks, dtype, resizable, about) in arrays {
        b.create(&CreateRequest {
            path: path.into(),
            data: Some(initial(path, &shape, dtype)),
            shape,
            chunks,
            dtype,
            resizable,
            fill_value: 0.into(),
            metadata: serde_json::json!({"demo": true, "about": about}),
        })
        .await?;
    }
    Ok(())
}

/// A fresh directory under the system's temp dir for a demo store.
pub fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("extent-demo-{}-{nanos}", std::process::id()))
}

/// The demo arrays with their first frames written out of order and a gap of missing chunks:
/// a store to look at without the live writer.
pub async fn make_sample(b: &dyn Backend) -> Result<()> {
    make_store(b).await?;
    for f in arrival_order(SAMPLE_FRAMES, 4, DemoConfig::default().seed) {
        if !SAMPLE_GAP.contains(&f) {
            write_frame(b, f).await?;
        }
    }
    Ok(())
}

/// Writes frame `f` the way the detector does: its row, its temperature sample and, every
/// few frames, a volume slice, each with extend.
async fn write_frame(b: &dyn Backend, f: u64) -> Result<()> {
    b.patch(FRAMES_PATH, &[f, 0], &piece(FRAMES_PATH, f), true)
        .await?;
    let series_row = f + 12; // the series started with 16 samples for frames 0..4 (and 12 more)
    b.patch(
        SERIES_PATH,
        &[series_row],
        &piece(SERIES_PATH, series_row),
        true,
    )
    .await?;
    if f.is_multiple_of(FRAMES_PER_SLICE) {
        let z = f / FRAMES_PER_SLICE;
        b.patch(VOLUME_PATH, &[z, 0, 0], &piece(VOLUME_PATH, z), true)
            .await?;
    }
    Ok(())
}

/// The first chunk's content, as the in-order writer would have it.
fn initial(path: &str, shape: &[u64], dtype: DType) -> ArrayData {
    let n = shape[0];
    let parts: Vec<ArrayData> = (0..n).map(|i| piece(path, i)).collect();
    let bytes = parts.into_iter().flat_map(|p| p.bytes).collect();
    ArrayData::new(dtype, shape.to_vec(), bytes).unwrap_or_else(|_| unreachable!("fixed shapes"))
}

/// Row / sample / slice `i` of an array: a pure function, so order cannot matter.
fn piece(path: &str, i: u64) -> ArrayData {
    match path {
        FRAMES_PATH => {
            let bytes = (0..PIXELS)
                .flat_map(|j| (((i * 37 + j * 11) % 4096) as u16).to_le_bytes())
                .collect();
            ArrayData {
                dtype: DType::UInt16,
                shape: vec![1, PIXELS],
                bytes,
            }
        }
        SERIES_PATH => {
            let v = 20.0 + (i as f64 / 9.0).sin() * 2.5;
            ArrayData {
                dtype: DType::Float64,
                shape: vec![1],
                bytes: v.to_le_bytes().to_vec(),
            }
        }
        _ => {
            let bytes = (0..SIDE * SIDE)
                .flat_map(|k| {
                    let (y, x) = ((k / SIDE) as f32, (k % SIDE) as f32);
                    ((x - 7.5).hypot(y - 7.5) * (1.0 + i as f32 / 10.0)).to_le_bytes()
                })
                .collect();
            ArrayData {
                dtype: DType::Float32,
                shape: vec![1, SIDE, SIDE],
                bytes,
            }
        }
    }
}

/// The order frames arrive in: shuffled within a window of 8, and every 25th frame very late.
pub fn arrival_order(frames: u64, first: u64, seed: u64) -> Vec<u64> {
    let mut s = seed.wrapping_mul(0x9e3779b97f4a7c15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let (late, mut order): (Vec<u64>, Vec<u64>) = (first..frames).partition(|f| f % 25 == 24);
    for window in order.chunks_mut(8) {
        for i in (1..window.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            window.swap(i, j);
        }
    }
    order.extend(late);
    order
}

/// Runs the simulated detector against `b`, then checks the arrays against the in-order
/// result. Progress goes to `status` (dropped messages are fine).
pub async fn run_writer(
    b: Arc<dyn Backend>,
    cfg: DemoConfig,
    status: Option<tokio::sync::mpsc::Sender<DemoStatus>>,
) -> Result<String> {
    let order = arrival_order(cfg.frames, 4, cfg.seed);
    let period = Duration::from_secs_f64(1.0 / cfg.rate_hz.clamp(0.1, 10_000.0));
    let mut tick = tokio::time::interval(period);
    let total = order.len() as u64;
    for (done, &f) in order.iter().enumerate() {
        tick.tick().await;
        write_frame(b.as_ref(), f).await?;
        if let Some(tx) = &status {
            let _ = tx.try_send(DemoStatus::Wrote {
                frame: f,
                done: done as u64 + 1,
                total,
            });
        }
    }
    let verdict = check(b.as_ref(), &cfg).await;
    if let Some(tx) = &status {
        let _ = tx
            .send(DemoStatus::Checked(verdict.clone().map_err(|e| e.chain())))
            .await;
    }
    verdict
}

/// Compares every demo array with what an in-order writer produces.
pub async fn check(b: &dyn Backend, cfg: &DemoConfig) -> Result<String> {
    let frames = cfg.frames.max(4);
    let series = frames + 12;
    let slices = (frames - 1) / FRAMES_PER_SLICE + 1;
    let mut report = Vec::new();
    for (path, n) in [
        (FRAMES_PATH, frames),
        (SERIES_PATH, series),
        (VOLUME_PATH, slices.max(2)),
    ] {
        let got = b.read(path, None).await?;
        let want: Vec<u8> = (0..n).flat_map(|i| piece(path, i).bytes).collect();
        if got.shape[0] != n || got.bytes != want {
            return Err(Error::conflict(format!(
                "in-order check FAILED for {path}: shape {} (expected {n} along axis 0) or data differs",
                fmt_shape(&got.shape)
            )));
        }
        report.push(format!("{path} {}", fmt_shape(&got.shape)));
    }
    Ok(format!(
        "in-order check passed: {} equal the in-order result",
        report.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_is_a_permutation_and_out_of_order() {
        let o = arrival_order(200, 4, 5);
        let mut sorted = o.clone();
        sorted.sort();
        assert_eq!(sorted, (4..200).collect::<Vec<_>>());
        assert_ne!(o, sorted);
        assert_eq!(*o.last().unwrap() % 25, 24);
    }

    #[tokio::test]
    async fn the_sample_store_has_written_and_missing_chunks() {
        use crate::backend::ChunkState;
        let dir = tempfile::tempdir().unwrap();
        let b = crate::backend::local::LocalBackend::open_or_create(dir.path()).unwrap();
        make_sample(&b).await.unwrap();
        assert_eq!(b.show(FRAMES_PATH).await.unwrap().shape, vec![40, PIXELS]);
        let map = b.chunk_states(FRAMES_PATH).await.unwrap();
        let count = |st| map.states.iter().filter(|s| **s == st).count();
        assert_eq!(count(ChunkState::Missing), 2 * 4, "{map:?}");
        assert_eq!(count(ChunkState::Written), 8 * 4, "{map:?}");
    }
}
