//! Live events from the store, the write rate they give, and which chunks changed.

use crate::backend::geometry::{self, unravel};
use crate::backend::{ChunkMap, ChunkState, EventKind, NodeEntry, NodeKind};

use super::super::action::Effect;
use super::super::notice::Notice;
use super::super::state::{AppState, Overlay, MAX_CHANGES, MAX_SEEN, RATE_WINDOW};
use super::plan_ctx;

impl AppState {
    /// A change seen on the store (live events from the backend stream, or our own writes).
    pub(super) fn on_event(&mut self, path: &str, event: EventKind, fx: &mut Vec<Effect>) {
        let is_open = self.open.as_ref().is_some_and(|o| o.path == path);
        match event {
            EventKind::Created => self.catalog.insert(NodeEntry {
                path: path.to_string(),
                kind: NodeKind::Array,
                shape: None,
                dtype: None,
                specs: Vec::new(),
            }),
            EventKind::Deleted => {
                self.monitor.forget(path);
                self.catalog.remove(path);
                if is_open {
                    self.close_array(fx);
                    self.notify(Notice::info(format!(
                        "{path} was deleted by another writer"
                    )));
                }
            }
            EventKind::ShapeChanged { old, new } => {
                self.monitor_shape(path, &new, 0);
                self.set_current_shape(path, &new);
                if is_open {
                    // Grown along axis 0: its new last frame is the newest (chunks written in
                    // the same look, in any order, say otherwise after this).
                    let grown = match (old.first(), new.first()) {
                        (Some(&o), Some(&n)) if n > o => Some(n - 1),
                        _ => None,
                    };
                    self.follow_newest(grown, fx);
                    self.request_preview(fx, true);
                    fx.push(Effect::Show {
                        path: path.to_string(),
                    });
                    fx.push(Effect::History {
                        path: path.to_string(),
                    });
                    fx.push(Effect::Chunks {
                        path: path.to_string(),
                    });
                }
            }
            EventKind::ChunksWritten { offset, shape } => {
                self.record_write(&shape);
                self.monitor_write(path, &shape);
                if is_open {
                    let now = self.now;
                    if let Some(open) = self.open.as_mut() {
                        if let Some(info) = &open.info {
                            // Bounded: a huge write highlights its first chunks only.
                            let touched: Vec<Vec<u64>> =
                                geometry::chunk_span(&offset, &shape, &info.chunks)
                                    .into_iter()
                                    .flat_map(|span| span.iter())
                                    .take(MAX_SEEN)
                                    .collect();
                            open.changed
                                .extend(touched.iter().take(4096).map(|c| (c.clone(), now)));
                            let excess = open.changed.len().saturating_sub(MAX_CHANGES);
                            open.changed.drain(..excess);
                            // Seen written stays written (Tiled lists no chunks).
                            open.mark_seen(touched);
                        }
                    }
                    fx.push(Effect::Chunks {
                        path: path.to_string(),
                    });
                    // The values shown may be among those just written.
                    self.request_preview(fx, true);
                    // A chunk seen past the end (a writer that stores the chunk, then grows
                    // the array over it) wrote no frame yet: it does not move follow.
                    let newest = match (offset.first(), shape.first()) {
                        (Some(o), Some(&n)) if n > 0 => Some(o + n - 1),
                        (Some(o), None) => Some(*o),
                        _ => None,
                    };
                    self.follow_newest(newest, fx);
                    // The frame shown is read again when the write touched it (once).
                    let asked = fx.iter().any(|e| matches!(e, Effect::ReadFrame { .. }));
                    let shown = self.frame_touched(&offset, &shape);
                    self.request_frame(fx, shown && !asked);
                }
            }
        }
    }

    /// The one current shape of `path`: the catalog, the structure (and the dialog acting on
    /// it) take it at once, before the structure is read again.
    pub(super) fn set_current_shape(&mut self, path: &str, new: &[u64]) {
        self.catalog.set_shape(path, new);
        let caps = self.capabilities;
        let Some(open) = self.open.as_mut().filter(|o| o.path == path) else {
            return;
        };
        let Some(info) = open.info.as_mut().filter(|i| i.ndim() == new.len()) else {
            return;
        };
        info.shape = new.to_vec();
        let info = info.clone();
        let grid = info.chunk_grid();
        for (i, &n) in open.index.iter_mut().zip(new) {
            *i = (*i).min(n.saturating_sub(1));
        }
        open.forget_seen_past(&grid);
        // The chunk map takes the new grid at once (new chunks not written yet, or unknown).
        let regrid = open.chunks.as_ref().filter(|m| m.grid != grid);
        if let Some(Ok(mut m)) = regrid.map(|_| ChunkMap::for_array(&info, ChunkState::Missing)) {
            let old = open.chunks.as_deref();
            for (i, st) in m.states.iter_mut().enumerate() {
                let at = unravel(i as u64, &grid);
                *st = match old.and_then(|o| o.index(&at).map(|j| o.states[j])) {
                    Some(known) => known,
                    None if caps.lists_chunks => ChunkState::Missing,
                    None => ChunkState::Unknown,
                };
            }
            open.chunks = Some(open.overlay_seen(std::sync::Arc::new(m)));
            open.choose_axes(&grid);
            open.rebuild_plane();
        }
        if let Some(Overlay::Dialog(d)) = &mut self.overlay {
            if d.target.as_ref().is_some_and(|t| t.path == path) {
                d.target = open.info.clone();
                d.replan(plan_ctx(Some(open), caps));
            }
        }
    }

    /// Counts a write for the top bar's rate (bounded: the last few seconds only).
    fn record_write(&mut self, shape: &[u64]) {
        let size = self
            .open
            .as_ref()
            .and_then(|o| o.info.as_ref())
            .map(|i| i.dtype.size() as u64)
            .unwrap_or(1);
        let bytes = shape.iter().product::<u64>() * size;
        let now = self.now;
        self.writes.push_back((now, bytes));
        while self
            .writes
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            self.writes.pop_front();
        }
        self.writes.truncate(100_000);
    }

    /// Writes per second and bytes per second over the last few seconds.
    pub fn write_rate(&self) -> Option<(f64, f64)> {
        let recent: Vec<&(std::time::Instant, u64)> = self
            .writes
            .iter()
            .filter(|(t, _)| self.now.duration_since(*t) <= RATE_WINDOW)
            .collect();
        if recent.is_empty() {
            return None;
        }
        let secs = RATE_WINDOW.as_secs_f64();
        let bytes: u64 = recent.iter().map(|(_, b)| b).sum();
        Some((recent.len() as f64 / secs, bytes as f64 / secs))
    }
}

/// Chunks written in `new` that were not written in `old` (grid coordinates), at most `cap`.
pub fn newly_written(old: &ChunkMap, new: &ChunkMap, cap: usize) -> Vec<Vec<u64>> {
    let n = new.grid.len();
    let mut out = Vec::new();
    for (i, st) in new.states.iter().enumerate() {
        if *st != ChunkState::Written {
            continue;
        }
        let was = if old.grid == new.grid {
            old.states.get(i).copied()
        } else if old.grid.len() == n {
            old.index(&unravel(i as u64, &new.grid))
                .and_then(|j| old.states.get(j).copied())
        } else {
            None
        };
        if was != Some(ChunkState::Written) {
            out.push(unravel(i as u64, &new.grid));
            if out.len() >= cap {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_chunk_maps_across_growth() {
        let mut old = ChunkMap::new(vec![2, 2], ChunkState::Missing);
        old.states[0] = ChunkState::Written;
        let mut new = ChunkMap::new(vec![3, 2], ChunkState::Missing);
        new.states[0] = ChunkState::Written;
        new.states[5] = ChunkState::Written;
        assert_eq!(newly_written(&old, &new, 10), vec![vec![2, 1]]);
        let span = geometry::chunk_span(&[1, 0], &[2, 3], &[2, 2]);
        assert_eq!(span.into_iter().flat_map(|s| s.iter()).count(), 4);
    }
}
