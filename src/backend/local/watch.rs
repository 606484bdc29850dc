//! Following a local array by cheap polling: the journal (every structure change, in order,
//! even several between two polls), `zarr.json` (arrays changed by other tools) and the chunk
//! listing (which chunks were rewritten). Works with any number of writer processes.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::chunks::ChunkStamp;
use super::meta::info_from_meta;
use super::{Inner, JOURNAL};
use crate::backend::locks::no_follow;
use crate::backend::{
    now_rfc3339, ConnectionState, Event, EventKind, StructureChange, WatchMessage, WatchReceiver,
};

const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// What one poll saw.
#[derive(Default)]
struct Seen {
    shape: Option<Vec<u64>>,
    chunks: Vec<u64>,
    files: HashMap<Vec<u64>, ChunkStamp>,
    journal_len: u64,
}

pub(super) fn spawn(inner: Arc<Inner>, path: String) -> WatchReceiver {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        let mut seq = 0u64;
        let mut prev: Option<Seen> = None;
        loop {
            let started = Instant::now();
            let (inner2, path2) = (inner.clone(), path.clone());
            let last = prev.take();
            let polled = tokio::task::spawn_blocking(move || {
                let now = look(&inner2, &path2, last.as_ref().map(|s| s.journal_len));
                (last, now)
            })
            .await;
            let Ok((last, (now, journal))) = polled else {
                return;
            };
            if let Some(last) = &last {
                for kind in diff(last, &now, &journal) {
                    seq += 1;
                    let (time, kind) = kind;
                    let shape = match &kind {
                        EventKind::ShapeChanged { new, .. } => Some(new.clone()),
                        EventKind::Deleted => None,
                        _ => now.shape.clone(),
                    };
                    let event = Event {
                        time,
                        sequence: seq,
                        path: path.clone(),
                        kind,
                        shape,
                    };
                    if tx.send(WatchMessage::Event(event)).await.is_err() {
                        return;
                    }
                }
            }
            // The state goes out once the first look is the baseline: from then on every
            // change is reported, so `extent watch` can say it is ready.
            if last.is_none()
                && tx
                    .send(WatchMessage::State(ConnectionState::Polling))
                    .await
                    .is_err()
            {
                return;
            }
            prev = Some(now);
            // Poll more slowly when listing is expensive (huge arrays), never faster than 10 Hz.
            let cost = started.elapsed();
            tokio::time::sleep(MIN_INTERVAL.max(cost * 5)).await;
            if tx.is_closed() {
                return;
            }
        }
    });
    rx
}

/// Reads the array's state, and journal entries appended since `journal_from`.
fn look(inner: &Inner, path: &str, journal_from: Option<u64>) -> (Seen, Vec<StructureChange>) {
    let mut seen = Seen::default();
    let Ok(meta) = inner.read_meta(path) else {
        return (seen, Vec::new());
    };
    let Ok(info) = info_from_meta(path, &meta) else {
        return (seen, Vec::new());
    };
    seen.files = inner
        .chunk_files(path, &info)
        .unwrap_or_default()
        .into_iter()
        .collect();
    seen.shape = Some(info.shape);
    seen.chunks = info.chunks;
    let mut entries = Vec::new();
    if let Ok(dir) = inner.extent_dir(path) {
        let opened = no_follow(std::fs::OpenOptions::new().read(true)).open(dir.join(JOURNAL));
        if let Ok(mut f) = opened {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            // A shorter journal means the array was deleted and made again: start over.
            let from = journal_from.filter(|&o| o <= len).unwrap_or(len);
            let mut text = String::new();
            if f.seek(SeekFrom::Start(from)).is_ok() && f.read_to_string(&mut text).is_ok() {
                // Only whole lines: a line being appended right now is read next time.
                let whole = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
                entries = text[..whole]
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect();
                seen.journal_len = from + whole as u64;
            } else {
                seen.journal_len = from;
            }
            if journal_from.is_none() {
                entries.clear();
            }
        }
    }
    (seen, entries)
}

/// The events between two polls, in order: creation, structure changes, chunk writes, deletion.
fn diff(last: &Seen, now: &Seen, journal: &[StructureChange]) -> Vec<(String, EventKind)> {
    let mut out = Vec::new();
    if last.shape.is_none() && now.shape.is_some() {
        out.push((now_rfc3339(), EventKind::Created));
    }
    let mut shape_events = 0;
    for e in journal {
        if let (Some(old), Some(new)) = (&e.old_shape, &e.new_shape) {
            if old != new {
                out.push((
                    e.time.clone(),
                    EventKind::ShapeChanged {
                        old: old.clone(),
                        new: new.clone(),
                    },
                ));
                shape_events += 1;
            }
        }
    }
    // A writer that keeps no journal (zarr-python): compare the shapes themselves.
    if shape_events == 0 {
        if let (Some(old), Some(new)) = (&last.shape, &now.shape) {
            if old != new {
                out.push((
                    now_rfc3339(),
                    EventKind::ShapeChanged {
                        old: old.clone(),
                        new: new.clone(),
                    },
                ));
            }
        }
    }
    if let Some(shape) = &now.shape {
        let mut changed: Vec<&Vec<u64>> = now
            .files
            .iter()
            .filter(|(k, stamp)| last.files.get(*k) != Some(stamp))
            .map(|(k, _)| k)
            .collect();
        changed.sort();
        for chunk in changed {
            let offset: Vec<u64> = chunk.iter().zip(&now.chunks).map(|(i, c)| i * c).collect();
            let size: Vec<u64> = offset
                .iter()
                .zip(&now.chunks)
                .zip(shape)
                .map(|((o, c), s)| (*c).min(s.saturating_sub(*o)))
                .collect();
            out.push((
                now_rfc3339(),
                EventKind::ChunksWritten {
                    offset,
                    shape: size,
                },
            ));
        }
    }
    if last.shape.is_some() && now.shape.is_none() {
        out.push((now_rfc3339(), EventKind::Deleted));
    }
    out
}
