//! The demo: a store with a detector stack (128×128 uint16 frames of rings around a moving
//! spot, one frame per chunk), a time series and a volume, and a simulated detector that
//! writes frames **out of order** with extend — shuffled within a window, a few frames very
//! late — so the chunk grid shows holes appearing and filling; then it checks the result
//! equals the in-order one. The same arrays, partly written, are the store to look at that
//! the TUI's picker offers ([`make_sample`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::backend::{
    fmt_shape, ArrayData, Backend, CreateRequest, DType, Error, ErrorKind, Result,
};

pub const FRAMES_PATH: &str = "detector/frames";
pub const SERIES_PATH: &str = "timeseries/temperature";
pub const VOLUME_PATH: &str = "volume/recon";

/// Frame side, pixels.
pub const PIXELS: u64 = 128;
const SIDE: u64 = 16;
/// On a shared store (a Tiled server) the demo's arrays go under this group of their own.
pub const SHARED_PREFIX: &str = "extent-demo";
/// At most this many missing frames are named in a progress line.
const MISSING_NAMED: usize = 12;
/// One volume slice per this many frames.
const FRAMES_PER_SLICE: u64 = 4;

/// How the simulated detector runs.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub frames: u64,
    pub rate_hz: f64,
    pub seed: u64,
    /// The group the arrays go under (empty: the store's root).
    pub prefix: String,
}

impl Default for DemoConfig {
    fn default() -> DemoConfig {
        DemoConfig {
            frames: 200,
            rate_hz: 20.0,
            seed: 5,
            prefix: String::new(),
        }
    }
}

/// Frames written into the picker's sample store; frames 20..28 stay missing.
const SAMPLE_FRAMES: u64 = 40;
const SAMPLE_GAP: std::ops::Range<u64> = 20..28;
/// Frames the stack starts with (written in order when it is made).
const FIRST_FRAMES: u64 = 4;

/// Progress of the writer, for a status line.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoStatus {
    Wrote {
        frame: u64,
        done: u64,
        total: u64,
        /// Frames below the highest one written that have not arrived yet (the first few).
        missing: Vec<u64>,
        /// How many those are in all.
        missing_count: u64,
    },
    Checked(Result<String, String>),
}

impl DemoStatus {
    /// `frame 37 arrived (40/196) · missing 31 33 36`, for a status line.
    pub fn line(&self) -> String {
        match self {
            DemoStatus::Wrote {
                frame,
                done,
                total,
                missing,
                missing_count,
            } => {
                let mut s = format!("frame {frame} arrived ({done}/{total}, out of order)");
                if *missing_count > 0 {
                    let named: Vec<String> = missing.iter().map(|m| m.to_string()).collect();
                    let more = missing_count.saturating_sub(missing.len() as u64);
                    s.push_str(&format!(" · missing {}", named.join(" ")));
                    if more > 0 {
                        s.push_str(&format!(" +{more}"));
                    }
                } else {
                    s.push_str(" · none missing");
                }
                s
            }
            DemoStatus::Checked(Ok(m)) => m.clone(),
            DemoStatus::Checked(Err(m)) => m.clone(),
        }
    }
}

/// The demo's array paths under `prefix` (empty: the store's root).
pub fn demo_path(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_string()
    } else {
        format!("{prefix}/{path}")
    }
}

/// Creates the demo arrays under `prefix`. A store that already holds any of them is refused
/// with `already_exists` before anything is written: the demo never replaces data.
pub async fn make_store(b: &dyn Backend, prefix: &str) -> Result<()> {
    for path in [FRAMES_PATH, SERIES_PATH, VOLUME_PATH] {
        let path = demo_path(prefix, path);
        match b.show(&path).await {
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
    // Start with whole chunks (Tiled needs chunk-aligned, non-empty shapes), then extend.
    let arrays = [
        (
            FRAMES_PATH,
            vec![FIRST_FRAMES, PIXELS, PIXELS],
            vec![1, PIXELS, PIXELS],
            DType::UInt16,
            vec![true, false, false],
            "area detector, one 128x128 frame per chunk: rings around a moving spot",
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
            path: demo_path(prefix, path),
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
    make_store(b, "").await?;
    for f in arrival_order(SAMPLE_FRAMES, FIRST_FRAMES, DemoConfig::default().seed) {
        if !SAMPLE_GAP.contains(&f) {
            write_frame(b, "", f).await?;
        }
    }
    Ok(())
}

/// Writes frame `f` the way the detector does: its image, its temperature sample and, every
/// few frames, a volume slice, each with extend.
async fn write_frame(b: &dyn Backend, prefix: &str, f: u64) -> Result<()> {
    let at = |p| demo_path(prefix, p);
    b.patch(&at(FRAMES_PATH), &[f, 0, 0], &piece(FRAMES_PATH, f), true)
        .await?;
    let series_row = f + 12; // the series started with 16 samples for frames 0..4 (and 12 more)
    b.patch(
        &at(SERIES_PATH),
        &[series_row],
        &piece(SERIES_PATH, series_row),
        true,
    )
    .await?;
    if f.is_multiple_of(FRAMES_PER_SLICE) {
        let z = f / FRAMES_PER_SLICE;
        b.patch(&at(VOLUME_PATH), &[z, 0, 0], &piece(VOLUME_PATH, z), true)
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

/// Pixel `(y, x)` of frame `i`: faint rings around the centre and a bright spot that circles
/// it once every 50 frames. Integer-valued, so the check compares exactly.
pub fn pixel(i: u64, y: u64, x: u64) -> u16 {
    let c = (PIXELS as f64 - 1.0) / 2.0;
    let turn = std::f64::consts::TAU * (i % 50) as f64 / 50.0;
    let (sy, sx) = (c + 36.0 * turn.sin(), c + 36.0 * turn.cos());
    let (dy, dx) = (y as f64 - c, x as f64 - c);
    let r = dy.hypot(dx);
    let rings = 900.0 * (1.0 + (r * 0.45).cos()) * (-r / 70.0).exp();
    let d2 = (y as f64 - sy).powi(2) + (x as f64 - sx).powi(2);
    let spot = 3000.0 * (-d2 / 40.0).exp();
    (100.0 + rings + spot).round().clamp(0.0, 65535.0) as u16
}

/// Row / sample / slice `i` of an array: a pure function, so order cannot matter.
fn piece(path: &str, i: u64) -> ArrayData {
    match path {
        FRAMES_PATH => {
            let bytes = (0..PIXELS * PIXELS)
                .flat_map(|k| pixel(i, k / PIXELS, k % PIXELS).to_le_bytes())
                .collect();
            ArrayData {
                dtype: DType::UInt16,
                shape: vec![1, PIXELS, PIXELS],
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

/// Which frames have arrived: the missing ones below the highest, for the arrivals line.
struct Arrivals {
    arrived: Vec<bool>,
    highest: u64,
}

impl Arrivals {
    fn new(frames: u64) -> Arrivals {
        let mut arrived = vec![false; frames as usize];
        for a in arrived.iter_mut().take(FIRST_FRAMES as usize) {
            *a = true;
        }
        Arrivals {
            arrived,
            highest: FIRST_FRAMES.saturating_sub(1),
        }
    }

    /// Records `f`; returns the first missing frames below the highest and their count.
    fn arrive(&mut self, f: u64) -> (Vec<u64>, u64) {
        if let Some(a) = self.arrived.get_mut(f as usize) {
            *a = true;
        }
        self.highest = self.highest.max(f);
        let missing = (0..self.highest).filter(|&i| !self.arrived[i as usize]);
        let named: Vec<u64> = missing.clone().take(MISSING_NAMED).collect();
        (named, missing.count() as u64)
    }
}

/// Runs the simulated detector against `b`, then checks the arrays against the in-order
/// result. Progress goes to `status` (dropped messages are fine).
pub async fn run_writer(
    b: Arc<dyn Backend>,
    cfg: DemoConfig,
    status: Option<tokio::sync::mpsc::Sender<DemoStatus>>,
) -> Result<String> {
    let order = arrival_order(cfg.frames, FIRST_FRAMES, cfg.seed);
    let period = Duration::from_secs_f64(1.0 / cfg.rate_hz.clamp(0.1, 10_000.0));
    let mut tick = tokio::time::interval(period);
    let total = order.len() as u64;
    let mut arrivals = Arrivals::new(cfg.frames);
    for (done, &f) in order.iter().enumerate() {
        tick.tick().await;
        write_frame(b.as_ref(), &cfg.prefix, f).await?;
        let (missing, missing_count) = arrivals.arrive(f);
        if let Some(tx) = &status {
            let _ = tx.try_send(DemoStatus::Wrote {
                frame: f,
                done: done as u64 + 1,
                total,
                missing,
                missing_count,
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
    let frames = cfg.frames.max(FIRST_FRAMES);
    let series = frames + 12;
    let slices = (frames - 1) / FRAMES_PER_SLICE + 1;
    let mut report = Vec::new();
    for (path, n) in [
        (FRAMES_PATH, frames),
        (SERIES_PATH, series),
        (VOLUME_PATH, slices.max(2)),
    ] {
        let got = b.read(&demo_path(&cfg.prefix, path), None).await?;
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

    #[test]
    fn arrivals_name_the_frames_still_missing() {
        let mut a = Arrivals::new(20);
        assert_eq!(a.arrive(7), (vec![4, 5, 6], 3));
        assert_eq!(a.arrive(5), (vec![4, 6], 2));
        let line = DemoStatus::Wrote {
            frame: 5,
            done: 2,
            total: 16,
            missing: vec![4, 6],
            missing_count: 2,
        }
        .line();
        assert_eq!(line, "frame 5 arrived (2/16, out of order) · missing 4 6");
    }

    #[test]
    fn the_frames_show_a_spot_that_moves() {
        let brightest = |i| {
            (0..PIXELS * PIXELS)
                .max_by_key(|&k| pixel(i, k / PIXELS, k % PIXELS))
                .unwrap()
        };
        assert_ne!(brightest(0), brightest(10));
        assert!(
            pixel(0, 63, 63 + 36) > 3000,
            "the spot starts right of centre"
        );
    }

    #[tokio::test]
    async fn the_sample_store_has_written_and_missing_chunks() {
        use crate::backend::ChunkState;
        let dir = tempfile::tempdir().unwrap();
        let b = crate::backend::local::LocalBackend::open_or_create(dir.path()).unwrap();
        make_sample(&b).await.unwrap();
        assert_eq!(
            b.show(FRAMES_PATH).await.unwrap().shape,
            vec![SAMPLE_FRAMES, PIXELS, PIXELS]
        );
        let map = b.chunk_states(FRAMES_PATH).await.unwrap();
        let count = |st| map.states.iter().filter(|s| **s == st).count();
        assert_eq!(count(ChunkState::Missing), 8, "{map:?}");
        assert_eq!(count(ChunkState::Written), 32, "{map:?}");
    }
}
