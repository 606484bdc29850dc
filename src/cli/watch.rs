//! `extent watch ARRAY [--json] [--count N] [--timeout SECONDS]`: a ready line once the watch
//! is established, then one line per event. A group on a store that announces new nodes
//! (Tiled) is followed for its new children instead (`watch_group`).

use std::time::Duration;

use serde::Serialize;

use crate::backend::{
    fmt_shape, now_rfc3339, Backend, ConnectionState, Error, ErrorKind, EventKind, NodeKind,
    Result, WatchMessage,
};

use super::{array_path, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The array to follow; on a store that announces new nodes (Tiled), a group: the
    /// children made in it.
    pub array: String,
    /// One JSON object per line: first {"event":"ready",...}, then {"time","event","shape",...}.
    #[arg(long)]
    pub json: bool,
    /// Exit (0) after this many events (the ready line is not one).
    #[arg(long)]
    pub count: Option<u64>,
    /// Give up after this many seconds, at most a year (exit 1 if fewer than --count events
    /// came).
    #[arg(long)]
    pub timeout: Option<f64>,
}

/// The longest `--timeout`: a year; longer is surely a mistake (and overflows a clock).
const MAX_TIMEOUT: f64 = 365.0 * 24.0 * 3600.0;

/// Exit code when the timeout ends the watch before `--count` events.
pub const TIMEOUT_EXIT: i32 = 1;

/// The first line: the watch is established, so every later change will be reported.
#[derive(Debug, Serialize)]
struct Ready<'a> {
    event: &'static str,
    time: String,
    path: &'a str,
    /// `None` while the array does not exist (its creation will be an event).
    shape: Option<Vec<u64>>,
    /// How the news arrives: `live` or `polling`.
    state: &'static str,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<i32> {
    let deadline = match args.timeout {
        Some(t) if t.is_finite() && (0.0..=MAX_TIMEOUT).contains(&t) => {
            Some(tokio::time::Instant::now() + Duration::from_secs_f64(t))
        }
        Some(t) => {
            return Err(Error::invalid_input(format!(
                "--timeout {t:?} is not a number of seconds from 0 to {MAX_TIMEOUT} (a year)"
            )))
        }
        None => None,
    };
    let store = open_store(cli, false)?;
    let path = array_path(&args.array)?;
    // A group on a store that announces new nodes: its children as they are made.
    if matches!(store.node(&path).await, Ok(n) if n.kind == NodeKind::Group) {
        match store.watch_children(&path).await {
            Ok(rx) => return super::watch_group::run(rx, &path, args, deadline, out).await,
            // Followed as a path, as before.
            Err(e) if e.kind == ErrorKind::Unsupported => {}
            Err(e) => return Err(e),
        }
    }
    let mut rx = store.watch(&path).await?;
    let mut ready = false;
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
        // Watchers send their first state only once they follow the array, so that state is
        // the moment to say so; an event arriving first proves it too.
        if !ready {
            ready = true;
            let state = match &msg {
                WatchMessage::State(s) => *s,
                WatchMessage::Event(_) => ConnectionState::Polling,
            };
            print_ready(store.as_ref(), &path, state, out).await;
            if matches!(msg, WatchMessage::State(_)) {
                continue;
            }
        }
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

/// Prints the ready line with the array's shape as it is now (read after the watch started,
/// so a change in between shows up as an event too, never as nothing).
async fn print_ready(store: &dyn Backend, path: &str, state: ConnectionState, out: &Output) {
    let shape = match store.show(path).await {
        Ok(info) => Some(info.shape),
        Err(e) if e.kind == ErrorKind::NotFound => None,
        Err(e) => {
            // The watcher keeps trying (and reports the link's state); only the shape is unknown.
            eprintln!(
                "watch: cannot read the shape now: {}",
                super::error_text(&e)
            );
            None
        }
    };
    let line = Ready {
        event: "ready",
        time: now_rfc3339(),
        path,
        shape,
        state: state.name(),
    };
    out.emit(&line, || {
        let shape = line.shape.as_deref().map_or_else(
            || "(not there yet)".to_string(),
            |s| format!("shape {}", fmt_shape(s)),
        );
        format!(
            "watching {path}  {shape}  {}  (Ctrl-C to stop)",
            state.name()
        )
    });
}
