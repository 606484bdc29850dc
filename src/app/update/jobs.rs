//! Finished jobs: a store opened, pages, structure, chunks, history, preview, writes.

use std::sync::Arc;

use crate::backend::geometry;
use crate::backend::{
    fmt_shape, ArrayInfo, Capabilities, ChunkMap, ConnectionState, ErrorKind, NodeEntry, NodeKind,
};

use super::super::action::{
    CompleteTarget, Effect, JobResult, Loaded, OpKind, OpOutcome, OpSummary,
};
use super::super::catalog::{Catalog, SEARCH_NODES, SEARCH_REQUESTS};
use super::super::dialogs::DialogEvent;
use super::super::notice::Notice;
use super::super::state::{AppState, Overlay, PreviewData, Screen, MAX_CHANGES, MAX_SEEN};
use super::super::text;
use super::{error_text, newly_written, page_effect, plan_ctx};

impl AppState {
    /// Applies what a job brought back.
    pub(super) fn on_job(&mut self, result: JobResult, fx: &mut Vec<Effect>) {
        match result {
            JobResult::StoreOpened {
                label,
                describe,
                capabilities,
                backend,
            } => {
                // The runtime switches stores before it starts the first listing below.
                fx.push(Effect::UseStore(backend));
                self.store_ready(label, describe, capabilities, fx);
            }
            JobResult::StoreFailed { message } => {
                self.picker.opening = None;
                if self.screen == Screen::Picker {
                    self.picker.error = Some(message);
                } else {
                    self.notify(Notice::error(message));
                }
            }
            JobResult::PageLoaded {
                parent,
                offset,
                result,
            } => {
                if let (Err(e), true) = (&result, parent.is_empty()) {
                    self.connection = Some(ConnectionState::after(e));
                }
                if let Ok(page) = &result {
                    self.monitor_listing(&page.entries);
                }
                let result = result.map_err(|e| {
                    let what = if parent.is_empty() {
                        "the store"
                    } else {
                        &parent
                    };
                    self.log_error(&format!("listing {what}"), &e)
                });
                let follow = self.catalog.apply_page(&parent, offset, result);
                fx.extend(follow.into_iter().map(page_effect));
                fx.extend(
                    self.catalog
                        .search_requests(SEARCH_NODES, SEARCH_REQUESTS)
                        .into_iter()
                        .map(page_effect),
                );
                self.after_selection_change(fx);
            }
            JobResult::SearchPage {
                generation,
                offset,
                result,
            } => self.on_search_page(generation, offset, result, fx),
            JobResult::Rescanned { parent, result } => match result {
                Ok(page) => {
                    self.monitor_listing(&page.entries);
                    let r = self.catalog.apply_rescan(&parent, page);
                    match r.added.as_slice() {
                        [] => {}
                        [one] => self.notify(Notice::info(format!("new array: {one}"))),
                        many => self.notify(Notice::info(format!(
                            "{} new arrays, e.g. {}",
                            many.len(),
                            many[0]
                        ))),
                    }
                    // The poll itself draws nothing; the frame comes only if the tree changed.
                    self.dirty = r.changed;
                }
                // A failed re-listing says nothing new: the connection state tells the rest.
                Err(_) => self.dirty = false,
            },
            JobResult::InfoLoaded(Loaded { path, result }) => self.on_info(&path, result, fx),
            JobResult::ChunksLoaded(Loaded { path, result }) => self.on_chunks(&path, result, fx),
            JobResult::HistoryLoaded(Loaded { path, result }) => {
                if self.open.as_ref().is_none_or(|o| o.path != path) {
                    self.dirty = false;
                    return;
                }
                let result = result.map_err(|e| self.log_error(&format!("history of {path}"), &e));
                let Some(open) = self.open.as_mut() else {
                    return;
                };
                match result {
                    Ok(mut h) => {
                        h.reverse();
                        if open.history.as_ref() == Some(&h) {
                            self.dirty = false;
                        }
                        open.history = Some(h);
                        open.history_error = None;
                    }
                    Err(e) => open.history_error = Some(e),
                }
            }
            JobResult::PreviewLoaded {
                path,
                selection,
                result,
            } => {
                if self.open.as_ref().is_none_or(|o| o.path != path) {
                    self.dirty = false;
                    return;
                }
                // The server has the frames in its catalog but not in the file yet: a state
                // that passes, said as such (not an error); the preview is read again later.
                if result
                    .as_ref()
                    .is_err_and(|e| e.kind == ErrorKind::NotReady)
                {
                    if let Some(open) = self.open.as_mut() {
                        open.preview_error = None;
                    }
                    self.notify(Notice::info(format!(
                        "{path}: not ready, the server has no data there yet"
                    )));
                    return;
                }
                let result = result.map_err(|e| self.log_error(&format!("reading {path}"), &e));
                let Some(open) = self.open.as_mut() else {
                    return;
                };
                match result {
                    Ok(data) => {
                        open.preview = Some(PreviewData { selection, data });
                        open.preview_error = None;
                    }
                    Err(e) => open.preview_error = Some(e),
                }
            }
            JobResult::FrameLoaded {
                path,
                selection,
                result,
            } => self.on_frame_loaded(&path, selection, result),
            JobResult::NpyLoaded(Loaded { path, result }) => {
                let (overlay, open, caps) = (&mut self.overlay, &self.open, self.capabilities);
                if let Some(Overlay::Dialog(d)) = overlay {
                    d.npy_loaded(
                        &path,
                        result.map_err(|e| error_text(&e, Some(&self.keymap))),
                    );
                    d.replan(plan_ctx(open.as_ref(), caps));
                }
            }
            JobResult::OpDone { op, result } => self.on_op_done(op, result, fx),
            JobResult::NodeLoaded(loaded) => self.on_node_loaded(loaded),
            JobResult::PathsListed {
                target,
                typed,
                candidates,
            } => self.on_paths(target, &typed, &candidates, fx),
        }
    }

    /// A store is open: start over on the main screen with its catalog.
    pub(super) fn store_ready(
        &mut self,
        label: String,
        describe: String,
        capabilities: Capabilities,
        fx: &mut Vec<Effect>,
    ) {
        self.screen = Screen::Main;
        self.store_label = label;
        self.store_describe = describe;
        self.capabilities = capabilities;
        self.connection = Some(ConnectionState::Polling);
        self.catalog = Catalog::new();
        self.groups_followed.clear();
        self.group_follow.clear();
        self.monitor.clear();
        self.close_array(fx);
        self.overlay = None;
        self.picker.opening = None;
        self.picker.error = None;
        fx.push(page_effect(self.catalog.initial_request()));
    }

    fn on_info(
        &mut self,
        path: &str,
        result: crate::backend::Result<ArrayInfo>,
        fx: &mut Vec<Effect>,
    ) {
        let caps = self.capabilities;
        if self.open.as_ref().is_none_or(|o| o.path != path) {
            self.dirty = false;
            return;
        }
        let info = match result {
            Ok(i) => i,
            Err(e) => {
                let text = self.log_error(&format!("reading {path}"), &e);
                let Some(open) = self.open.as_mut() else {
                    return;
                };
                // The last known structure stays on screen, marked stale; the error is in
                // the status bar once and whole in the log.
                if open.error.as_ref() != Some(&text) {
                    let stale = if open.info.is_some() {
                        " (showing the last known structure)"
                    } else {
                        ""
                    };
                    self.status = Some(super::super::state::Status {
                        notice: Notice::error(format!("cannot read {path}{stale}: {text}")),
                        at: self.now,
                    });
                }
                if let Some(open) = self.open.as_mut() {
                    open.error = Some(text);
                }
                return;
            }
        };
        let size = info.dtype.size() as u64;
        self.monitor.shape(path, &info.shape, size, self.now);
        let Some(open) = self.open.as_mut() else {
            return;
        };
        if open.info.as_ref() == Some(&info) && open.error.is_none() {
            self.dirty = false;
            return;
        }
        let first = open.info.is_none();
        let old = open.info.as_ref().map(|o| o.shape.clone());
        let shape_changed = old.as_ref().is_some_and(|o| *o != info.shape);
        let rank_changed = old.as_ref().map(|o| o.len()) != Some(info.ndim());
        let grid = info.chunk_grid();
        // Axes are chosen from the structure (which axis grows), so it goes in first.
        open.info = Some(info.clone());
        if open.choose_axes(&grid) || rank_changed {
            open.index.resize(info.ndim(), 0);
            open.rebuild_plane();
        }
        for (i, &s) in open.index.iter_mut().zip(&info.shape) {
            *i = (*i).min(s.saturating_sub(1));
        }
        open.error = None;
        open.forget_seen_past(&grid);
        self.catalog.set_shape(path, &info.shape);
        // Under a live watch the watch's own event moves the view, with the chunks written
        // in the same look: the frame is read once, not here and again for those chunks.
        let watched = self.watched.as_deref() == Some(path);
        if first || (shape_changed && !watched) {
            self.follow_newest(None, fx);
            self.request_frame(fx, false);
        }
        let Some(open) = self.open.as_mut().filter(|o| o.path == path) else {
            return;
        };
        if shape_changed {
            tracing::debug!(path, old = ?old, new = ?info.shape, "shape changed");
            fx.push(Effect::History {
                path: path.to_string(),
            });
            fx.push(Effect::Chunks {
                path: path.to_string(),
            });
        }
        open.info = Some(info);
        if let Some(Overlay::Dialog(d)) = &mut self.overlay {
            if d.target.as_ref().is_some_and(|t| t.path == path) {
                d.target = open.info.clone();
                d.replan(plan_ctx(Some(open), caps));
            }
        }
        if first || shape_changed {
            self.request_preview(fx, true);
        }
    }

    fn on_chunks(
        &mut self,
        path: &str,
        result: crate::backend::Result<Arc<ChunkMap>>,
        fx: &mut Vec<Effect>,
    ) {
        let now = self.now;
        if self.open.as_ref().is_none_or(|o| o.path != path) {
            self.dirty = false;
            return;
        }
        let result =
            result.map_err(|e| self.log_error(&format!("listing the chunks of {path}"), &e));
        let Some(open) = self.open.as_mut() else {
            return;
        };
        if let Some(asked) = open.chunks_asked {
            open.chunks_took = now.saturating_duration_since(asked);
        }
        let map = match result {
            Ok(m) => m,
            Err(e) => {
                open.chunks_error = Some(e);
                return;
            }
        };
        open.chunks_error = None;
        let map = open.overlay_seen(map);
        if open.chunks.as_ref().is_some_and(|old| **old == *map) {
            self.dirty = false;
            return;
        }
        let mut data_changed = false;
        if let Some(old) = &open.chunks {
            let diff = newly_written(old, &map, MAX_CHANGES);
            data_changed = !diff.is_empty() || old.grid != map.grid;
            for c in diff {
                open.changed.push((c, now));
            }
            let excess = open.changed.len().saturating_sub(MAX_CHANGES);
            open.changed.drain(..excess);
        }
        open.choose_axes(&map.grid);
        open.chunks = Some(map);
        open.rebuild_plane();
        if data_changed {
            self.request_preview(fx, true);
        }
    }

    fn on_op_done(
        &mut self,
        op: OpSummary,
        result: crate::backend::Result<OpOutcome>,
        fx: &mut Vec<Effect>,
    ) {
        match result {
            Err(e) => {
                tracing::info!(verb = op.kind.verb(), path = %op.path, error = %e.chain(), "operation failed");
                let what = format!("{} {} failed", op.kind.verb(), op.path);
                let text = self.log_error(&what, &e);
                match &mut self.overlay {
                    Some(Overlay::Dialog(d)) => d.failed(text),
                    // Logged already (with its detail): the status line only.
                    _ => {
                        self.status = Some(super::super::state::Status {
                            notice: Notice::error(format!("{what}: {text}")),
                            at: self.now,
                        })
                    }
                }
            }
            Ok(OpOutcome::Deleted) => {
                self.overlay = None;
                self.catalog.remove(&op.path);
                // A deleted group takes the open array with it when it was inside.
                let inside = format!("{}/", op.path);
                if self
                    .open
                    .as_ref()
                    .is_some_and(|o| o.path == op.path || o.path.starts_with(&inside))
                {
                    self.close_array(fx);
                }
                self.notify(Notice::ok(format!("deleted {}", op.path)));
                self.after_selection_change(fx);
            }
            Ok(OpOutcome::Info(info)) => {
                let info = *info;
                self.overlay = None;
                // What we wrote is written, whether or not the store lists (or stores) it.
                if let (Some(open), Some((offset, shape))) = (
                    self.open.as_mut().filter(|o| o.path == info.path),
                    &op.region,
                ) {
                    let spans = geometry::chunk_span(offset, shape, &info.chunks);
                    open.mark_seen(spans.into_iter().flat_map(|s| s.iter()).take(MAX_SEEN));
                }
                let old = self
                    .open
                    .as_mut()
                    .filter(|o| o.path == info.path)
                    .and_then(|o| {
                        let now = o.info.as_ref().map(|i| i.shape.clone());
                        o.shape_at_confirm.take().or(now)
                    });
                let verb = op.kind.verb();
                let text = match (&old, op.kind) {
                    (_, OpKind::Create) => format!(
                        "created {} {} {}",
                        info.path,
                        info.dtype,
                        fmt_shape(&info.shape)
                    ),
                    (Some(o), _) if *o != info.shape => {
                        format!(
                            "{verb} {}: shape {} → {}",
                            info.path,
                            fmt_shape(o),
                            fmt_shape(&info.shape)
                        )
                    }
                    _ => format!(
                        "{verb} {}: done, shape {}",
                        info.path,
                        fmt_shape(&info.shape)
                    ),
                };
                self.notify(Notice::ok(text));
                if op.kind == OpKind::Create {
                    self.catalog.insert(NodeEntry {
                        path: info.path.clone(),
                        kind: NodeKind::Array,
                        shape: Some(info.shape.clone()),
                        dtype: Some(info.dtype),
                        specs: Vec::new(),
                    });
                    self.catalog.select_path(&info.path);
                    let h = self.catalog_height();
                    self.catalog.ensure_visible(h);
                }
                let path = info.path.clone();
                self.open_path(&path, fx);
                self.on_info(&path, Ok(info), fx);
                // The write changed data and history: re-read them now rather than at the next poll.
                fx.push(Effect::Chunks { path: path.clone() });
                fx.push(Effect::History { path });
                self.request_preview(fx, true);
            }
        }
    }

    /// Candidates for a path typed in a field arrived: the field takes what they share.
    fn on_paths(
        &mut self,
        target: CompleteTarget,
        typed: &str,
        candidates: &[String],
        fx: &mut Vec<Effect>,
    ) {
        let choice = match target {
            CompleteTarget::Npy => {
                let (open, caps) = (&self.open, self.capabilities);
                let Some(Overlay::Dialog(d)) = &mut self.overlay else {
                    return;
                };
                let (choice, ev) = d.completed(typed, candidates);
                match ev {
                    DialogEvent::NeedsNpy(path) => {
                        d.replan(plan_ctx(open.as_ref(), caps));
                        fx.push(Effect::LoadNpy { path });
                    }
                    DialogEvent::Changed => d.replan(plan_ctx(open.as_ref(), caps)),
                    _ => {}
                }
                choice
            }
            CompleteTarget::Picker => {
                if self.picker.location != typed {
                    return;
                }
                let (longer, matches) = text::complete(typed, candidates);
                if let Some(t) = longer {
                    self.picker.location = t;
                }
                matches
            }
        };
        if choice.len() > 1 {
            let names: Vec<&str> = choice
                .iter()
                .take(6)
                .map(|c| c.trim_end_matches('/').rsplit('/').next().unwrap_or(c))
                .collect();
            let more = if choice.len() > 6 { ", …" } else { "" };
            self.notify(Notice::info(format!(
                "{} matches: {}{more}",
                choice.len(),
                names.join(", ")
            )));
        }
    }
}
