//! `extent watch ARRAY [--json] [--count N] [--timeout SECONDS]`: one line per event.

use std::time::Duration;

use crate::backend::{fmt_shape, Error, EventKind, Result, WatchMessage};

use super::{array_path, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// One JSON object per line: {"time","event","shape",...}.
    #[arg(long)]
    pub json: bool,
    /// Exit (0) after this many events.
    #[arg(long)]
    pub count: Option<u64>,
    /// Give up after this many seconds (exit 1 if fewer than --count events came).
    #[arg(long)]
    pub timeout: Option<f64>,
}

/// Exit code when the timeout ends the watch before `--count` events.
pub const TIMEOUT_EXIT: i32 = 1;

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<i32> {
    let store = open_store(cli, false)?;
    let path = array_path(&args.array)?;
    let mut rx = store.watch(&path).await?;
    let deadline = match args.timeout {
        Some(t) if t.is_finite() && t >= 0.0 => {
            Some(tokio::time::Instant::now() + Duration::from_secs_f64(t))
        }
        Some(t) => {
            return Err(Error::invalid_input(format!(
                "--timeout {t} is not a number of seconds"
            )))
        }
        None => None,
    };
    let mut seen = 0u64;
    loop {
        if args.count.is_some_and(|n| seen >= n) {
            return Ok(0);
        }
        let msg = match deadline {
            Some(d) => match tokio::time::timeout_at(d, rx.recv()).await {
                Ok(m) => m,
                Err(_) => {
                    if let Some(n) = args.count {
                        eprintln!("watch: timed out after {seen} of {n} events");
                        return Ok(TIMEOUT_EXIT);
                    }
                    return Ok(0);
                }
            },
            None => rx.recv().await,
        };
        let Some(msg) = msg else {
            return Err(Error::io("the watch ended unexpectedly"));
        };
        match msg {
            WatchMessage::State(s) => {
                if !out.json {
                    eprintln!("-- {}", s.name());
                }
            }
            WatchMessage::Event(e) => {
                seen += 1;
                out.emit(&e, || {
                    let shape = e
                        .shape
                        .as_deref()
                        .map(fmt_shape)
                        .unwrap_or_else(|| "-".into());
                    let what = match &e.kind {
                        EventKind::Created => "created".to_string(),
                        EventKind::Deleted => "deleted".to_string(),
                        EventKind::ShapeChanged { old, new } => {
                            format!("shape_changed   {} -> {}", fmt_shape(old), fmt_shape(new))
                        }
                        EventKind::ChunksWritten { offset, shape } => {
                            format!(
                                "chunks_written  at {} size {}",
                                fmt_shape(offset),
                                fmt_shape(shape)
                            )
                        }
                    };
                    format!("{}  #{:<5} {:<14} {what}", e.time, e.sequence, shape)
                });
            }
        }
    }
}
