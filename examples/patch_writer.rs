//! A writer of small patches at a steady rate into one existing 2-D array, through extent's
//! own backend (local store or Tiled), for `scripts/ui_cost.py`: what the TUI costs while a
//! fast writer works on the array it shows.
//!
//! `cargo run --release --example patch_writer -- STORE ARRAY RATE SECONDS [IN_FLIGHT] [EXTEND_EVERY]`
//!
//! Each patch is one row (`1 × cols`), round robin over the rows that exist; every
//! EXTEND_EVERY-th patch (default 100, 0 = never) instead appends a row past the edge with
//! `--extend`, so the watcher sees shape changes too. Prints the achieved rate as JSON.

use std::time::{Duration, Instant};

use extent::backend::ArrayData;
use futures::stream::{self, StreamExt};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 4 {
        return Err(
            "usage: patch_writer STORE ARRAY RATE SECONDS [IN_FLIGHT] [EXTEND_EVERY]".into(),
        );
    }
    let (spec, path) = (a[0].clone(), a[1].clone());
    let rate: f64 = a[2].parse()?;
    let seconds: f64 = a[3].parse()?;
    let in_flight: usize = a.get(4).map(|s| s.parse()).transpose()?.unwrap_or(4);
    let extend_every: u64 = a.get(5).map(|s| s.parse()).transpose()?.unwrap_or(100);
    let store = extent::cli::open_store_spec(
        &spec,
        std::env::var("TILED_API_KEY").ok().map(Into::into),
        false,
    )?;
    let info = store.show(&path).await?;
    if info.shape.len() != 2 {
        return Err(format!("'{path}' must be 2-D, it is {:?}", info.shape).into());
    }
    let cols = info.shape[1];
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    // `next`: the row the next extend appends; `rows`: the rows that exist (grown once the
    // extend returned), so in-bounds patches never aim past the edge.
    let (next, rows) = (AtomicU64::new(info.shape[0]), AtomicU64::new(info.shape[0]));
    let row = |n: u64| ArrayData {
        dtype: info.dtype,
        shape: vec![1, cols],
        bytes: vec![(n % 251) as u8; cols as usize * info.dtype.size()],
    };
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(seconds);
    let total = (rate * seconds) as u64;
    let done: Vec<Result<bool, extent::backend::Error>> = stream::iter(0..total)
        .map(|n| {
            let (store, path, data, next, rows) =
                (store.clone(), path.clone(), row(n), &next, &rows);
            async move {
                let due = t0 + Duration::from_secs_f64(n as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                if Instant::now() >= end {
                    return Ok(false);
                }
                let grow = extend_every > 0 && n % extend_every == extend_every - 1;
                let r = if grow {
                    next.fetch_add(1, SeqCst)
                } else {
                    n % rows.load(SeqCst).max(1)
                };
                let info = store.patch_owned(&path, &[r, 0], data, grow).await?;
                rows.fetch_max(info.shape[0], SeqCst);
                Ok(true)
            }
        })
        .buffer_unordered(in_flight.max(1))
        .collect()
        .await;
    let secs = t0.elapsed().as_secs_f64();
    let ok = done.iter().filter(|r| matches!(r, Ok(true))).count();
    let failed = done.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = done.iter().find(|r| r.is_err()) {
        eprintln!("patch_writer: {failed} failed, first: {e}");
    }
    println!(
        "{{\"patches\": {ok}, \"seconds\": {secs:.2}, \"rate\": {:.1}}}",
        ok as f64 / secs
    );
    Ok(())
}
