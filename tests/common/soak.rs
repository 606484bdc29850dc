//! The Tiled soak: extent processes (re-executions of the test binary) extend one array with
//! out-of-order patches of mixed sizes at once. Each test binary that soaks declares a
//! `worker_entry` test (ignored) that calls [`worker_main`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use extent::backend::tiled::{TiledBackend, TiledOptions};
use extent::backend::{ArrayData, Backend, CreateRequest, DType, StructureChange};

use super::order::{check_history, run_workers, shuffled};
use super::tiled::{unique, Server};

pub const COLS: u64 = 8;
pub const WORKERS: u64 = 4;
/// Rows written at creation (one chunk: Tiled needs chunk-aligned shapes to create).
pub const FIRST: u64 = 4;

/// The value at (row, col): order cannot matter if the data agrees.
pub fn rows(start: u64, len: u64) -> ArrayData {
    let bytes = (start..start + len)
        .flat_map(|r| (0..COLS).flat_map(move |c| ((r * 1000 + c) as i32).to_le_bytes()))
        .collect();
    ArrayData::new(DType::Int32, vec![len, COLS], bytes).unwrap()
}

/// Patch `f` covers `len` rows from `start`: sizes 1, 2, 3, 1, 2, 3, ... after the first chunk.
pub fn span(f: u64) -> (u64, u64) {
    let start = FIRST + (f / 3) * 6 + [0, 1, 3][(f % 3) as usize];
    (start, f % 3 + 1)
}

/// Journal and locks under `home`, as an extent process with that HOME keeps them.
pub fn options(home: &Path) -> TiledOptions {
    TiledOptions {
        data_dir: Some(home.join("data")),
        cache_dir: Some(home.join("cache")),
        request_timeout: Duration::from_secs(60),
        ..TiledOptions::default()
    }
}

/// Where each worker keeps its journal and locks: all in one home (one machine: extent's
/// per-host lock orders their growth), or a home each (as if on different machines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hosts {
    One,
    Each,
}

/// The home of worker `w` under `home`.
pub fn worker_home(home: &Path, hosts: Hosts, w: u64) -> PathBuf {
    match hosts {
        Hosts::One => home.to_path_buf(),
        Hosts::Each => home.join(format!("host{w}")),
    }
}

/// The body of a worker process: `EXTENT_TEST_WORKER` = `url;home;path;f,f,...` (the key in
/// TILED_API_KEY); patches its frames in the order given.
pub fn worker_main() {
    let spec = std::env::var("EXTENT_TEST_WORKER")
        .expect("worker_entry runs only as a worker of a soak test (EXTENT_TEST_WORKER)");
    let p: Vec<&str> = spec.split(';').collect();
    let key = std::env::var("TILED_API_KEY").unwrap();
    let frames: Vec<u64> = p[3].split(',').map(|x| x.parse().unwrap()).collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b =
            TiledBackend::with_options(p[0], Some(key.into()), options(Path::new(p[1]))).unwrap();
        for f in frames {
            let (start, len) = span(f);
            if let Err(e) = b.patch(p[2], &[start, 0], &rows(start, len), true).await {
                // Writers on different machines share no lock: another machine's growth can
                // undo this one's, which extent reports after the write. That is the outcome
                // those tests measure (history and `check` must agree), not a failure.
                let elsewhere = p.get(4) == Some(&"each");
                if elsewhere && e.to_string().contains("smaller than the") {
                    eprintln!("patch {f} at row {start}: {e}");
                    continue;
                }
                panic!("patch {f} at row {start}: {e}");
            }
        }
    });
}

/// What a soak left on the server.
pub struct Outcome {
    pub name: String,
    /// The rows the in-order result has.
    pub total: u64,
    pub data: ArrayData,
    pub secs: f64,
    pub patches: u64,
}

impl Outcome {
    /// Rows (of the in-order result) that the server does not hold as written.
    pub fn rows_lost(&self) -> u64 {
        let want = rows(0, self.total);
        let row = (COLS * 4) as usize;
        (0..self.total as usize)
            .filter(|&r| {
                let w = &want.bytes[r * row..(r + 1) * row];
                self.data.bytes.get(r * row..(r + 1) * row) != Some(w)
            })
            .count() as u64
    }
}

/// Creates an array on `server`, runs `WORKERS` processes × `per` shuffled patches with their
/// journals and locks as `hosts` says, and reads back what the server holds.
pub fn run(server: &Server, home: &Path, per: u64, hosts: Hosts) -> Outcome {
    let patches = WORKERS * per;
    let (last, len) = span(patches - 1);
    let total = last + len;
    let name = unique("soak");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = backend(server, home);
    let req = CreateRequest {
        path: name.clone(),
        shape: vec![FIRST, COLS],
        chunks: vec![FIRST, COLS],
        dtype: DType::Int32,
        resizable: vec![true, false],
        fill_value: 0.into(),
        metadata: serde_json::json!({}),
        data: Some(rows(0, FIRST)),
    };
    rt.block_on(b.create(&req)).unwrap();
    let all = shuffled((0..patches).collect(), 11);
    let t0 = Instant::now();
    run_workers(
        WORKERS,
        &all,
        |mine| {
            // A worker's frames f all have f % WORKERS == w.
            let w = mine.split(',').next().unwrap().parse::<u64>().unwrap() % WORKERS;
            let h = worker_home(home, hosts, w);
            let each = if matches!(hosts, Hosts::Each) {
                "each"
            } else {
                "one"
            };
            format!("{};{};{};{};{each}", server.url, h.display(), name, mine)
        },
        &[("TILED_API_KEY", server.api_key.as_str())],
    );
    let secs = t0.elapsed().as_secs_f64();
    let data = rt.block_on(b.read(&name, None)).unwrap();
    Outcome {
        name,
        total,
        data,
        secs,
        patches,
    }
}

/// A handle whose journal and locks live under `home`.
pub fn backend(server: &Server, home: &Path) -> TiledBackend {
    TiledBackend::with_options(
        &server.url,
        Some(server.api_key.clone().into()),
        options(home),
    )
    .unwrap()
}

/// The soak on one machine must converge: bit-identical data, the final shape, and one
/// unbroken history in the shared journal. Deletes the array.
pub fn assert_converged(server: &Server, home: &Path, o: &Outcome, label: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = backend(server, home);
    assert_eq!(o.data.shape, vec![o.total, COLS]);
    assert!(
        o.data.bytes == rows(0, o.total).bytes,
        "concurrent result differs from the in-order result ({} rows differ)",
        o.rows_lost()
    );
    let info = rt.block_on(b.show(&o.name)).unwrap();
    assert_eq!(info.shape, vec![o.total, COLS]);
    let h: Vec<StructureChange> = rt.block_on(b.history(&o.name)).unwrap();
    check_history(&h, &[o.total, COLS]);
    eprintln!(
        "{label}: {WORKERS} processes x {} patches of mixed sizes -> {} rows in {:.1} s \
         ({:.1} ms/patch), bit-identical, {} structure changes journaled",
        o.patches / WORKERS,
        o.total,
        o.secs,
        o.secs * 1000.0 / o.patches as f64,
        h.len()
    );
    rt.block_on(b.delete(&o.name)).unwrap();
}
