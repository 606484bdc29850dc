//! `update()`: the only place the state changes. Each action gives state changes and effects
//! (backend work for the event loop). No I/O here, so every path is testable without a
//! terminal or a store.

use crate::app::state::RATE_WINDOW;
use std::sync::Arc;

use crate::backend::{
    fmt_shape, normalize_path, ArrayInfo, ChunkMap, ChunkState, EventKind, NodeEntry, NodeKind,
    Selection,
};

use super::action::{Action, ConnectionState, Effect, OpKind, OpOutcome, OpSummary, StoreTarget};
use super::catalog::{PageRequest, CATALOG_POLL, RESCAN_GROUPS, SEARCH_NODES, SEARCH_REQUESTS};
use super::chunk_plane::PlaneAxes;
use super::dialogs::{Dialog, DialogKind, PlanContext};
use super::layout::{self, Pane};
use super::state::{
    AppState, Notice, OpenArray, Overlay, PreviewData, Screen, FADE, MAX_CHANGES, STATUS_TTL,
};

fn page_effect(r: PageRequest) -> Effect {
    Effect::LoadPage {
        parent: r.parent,
        offset: r.offset,
    }
}

impl AppState {
    /// Applies one action; returns the work to start.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.dirty = true;
        match action {
            Action::Key(k) => super::input::on_key(self, &k, &mut fx),
            Action::Mouse(m) => super::input::on_mouse(self, &m, &mut fx),
            Action::Resize(w, h) => {
                self.size = ratatui::layout::Rect::new(0, 0, w, h);
                if self.screen != Screen::Main {
                    return fx;
                }
                let hgt = self.catalog_height();
                self.catalog.ensure_visible(hgt);
                fx.extend(self.catalog.pages_needed(hgt).into_iter().map(page_effect));
                self.request_preview(&mut fx, false);
            }
            Action::Tick(now) => self.on_tick(now),
            Action::Poll => {
                self.dirty = false;
                self.poll(&mut fx);
            }
            Action::Quit => self.quit = true,
            // The event loop takes the backend and sends StoreReady.
            Action::StoreOpened { .. } => self.dirty = false,
            Action::StoreReady {
                label,
                describe,
                capabilities,
            } => {
                self.screen = Screen::Main;
                self.store_label = label;
                self.store_describe = describe;
                self.capabilities = capabilities;
                self.connection = ConnectionState::Polling;
                self.catalog = super::catalog::Catalog::new();
                self.open = None;
                self.overlay = None;
                self.picker.opening = None;
                self.picker.error = None;
                fx.push(page_effect(self.catalog.initial_request()));
            }
            Action::StoreFailed { message } => {
                self.picker.opening = None;
                if self.screen == Screen::Picker {
                    self.picker.error = Some(message);
                } else {
                    self.notify(Notice::error(message));
                }
            }
            Action::PageLoaded {
                parent,
                offset,
                result,
            } => {
                let result = result.map_err(|e| e.message);
                if let Err(e) = &result {
                    if parent.is_empty() {
                        self.connection = ConnectionState::Offline(e.clone());
                    }
                }
                let follow = self.catalog.apply_page(&parent, offset, result);
                fx.extend(follow.into_iter().map(page_effect));
                fx.extend(
                    self.catalog
                        .search_requests(SEARCH_NODES, SEARCH_REQUESTS)
                        .into_iter()
                        .map(page_effect),
                );
                self.after_selection_change(&mut fx);
            }
            Action::Rescanned { parent, result } => match result {
                Ok(page) => {
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
            Action::InfoLoaded { path, result } => self.on_info(&path, result, &mut fx),
            Action::ChunksLoaded { path, result } => self.on_chunks(&path, result, &mut fx),
            Action::HistoryLoaded { path, result } => {
                let Some(open) = self.open.as_mut().filter(|o| o.path == path) else {
                    self.dirty = false;
                    return fx;
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
                    Err(e) => open.history_error = Some(e.message),
                }
            }
            Action::PreviewLoaded {
                path,
                selection,
                result,
            } => {
                let Some(open) = self.open.as_mut().filter(|o| o.path == path) else {
                    self.dirty = false;
                    return fx;
                };
                match result {
                    Ok(data) => {
                        open.preview = Some(PreviewData { selection, data });
                        open.preview_error = None;
                    }
                    Err(e) => open.preview_error = Some(e.message),
                }
            }
            Action::NpyLoaded { path, result } => {
                let (overlay, open, caps) = (&mut self.overlay, &self.open, self.capabilities);
                if let Some(Overlay::Dialog(d)) = overlay {
                    d.npy_loaded(&path, result.map_err(|e| e.message));
                    d.replan(plan_ctx(open.as_ref(), caps));
                }
            }
            Action::OpDone { op, result } => self.on_op_done(op, result, &mut fx),
            Action::BackendEvent { path, event } => self.on_event(&path, event, &mut fx),
            Action::Connection(c) => self.connection = c,
            Action::Goto(path) => self.goto(&path, &mut fx),
            Action::Watching { path, active } => {
                self.watched = active.then_some(path);
                self.dirty = false;
            }
            Action::Notice(n) => self.notify(n),
        }
        fx
    }

    fn on_tick(&mut self, now: std::time::Instant) {
        self.now = now;
        // The rate shown in the top bar decays as time passes.
        let mut changed = !self.writes.is_empty();
        while self
            .writes
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            self.writes.pop_front();
        }
        if let Some(open) = &mut self.open {
            let before = open.changed.len();
            open.changed.retain(|(_, t)| now.duration_since(*t) < FADE);
            changed |= open.changed.len() != before;
        }
        if self
            .status
            .as_ref()
            .is_some_and(|s| !s.notice.sticky && now.duration_since(s.at) >= STATUS_TTL)
        {
            self.status = None;
            changed = true;
        }
        self.dirty = changed;
    }

    /// Re-reads the open array (cheap polling until a live stream drives the view).
    fn poll(&mut self, fx: &mut Vec<Effect>) {
        if self.screen != Screen::Main || self.paused {
            return;
        }
        let now = self.now;
        let due = self
            .catalog_polled
            .is_none_or(|t| now.duration_since(t) >= CATALOG_POLL);
        if due {
            self.catalog_polled = Some(now);
            fx.extend(
                self.catalog
                    .rescan_targets(RESCAN_GROUPS)
                    .into_iter()
                    .map(|parent| Effect::Rescan { parent }),
            );
        }
        if let Some(open) = &mut self.open {
            // A live watch drives this array: only its structure is re-read (cheap), because
            // a store may announce a write before its metadata shows it (Tiled does).
            if self.watched.as_deref() == Some(open.path.as_str()) {
                if open.info.is_some() {
                    fx.push(Effect::Show {
                        path: open.path.clone(),
                    });
                }
                return;
            }
            if open.info.is_some() {
                fx.push(Effect::Show {
                    path: open.path.clone(),
                });
                // List chunks again only after 4x the time the last listing took.
                let due = open
                    .chunks_asked
                    .is_none_or(|t| now.duration_since(t) >= open.chunks_took * 4);
                if due {
                    open.chunks_asked = Some(now);
                    fx.push(Effect::Chunks {
                        path: open.path.clone(),
                    });
                }
            }
        }
    }

    /// Opens `path` on the right side (no-op when it is already open).
    pub fn open_path(&mut self, path: &str, fx: &mut Vec<Effect>) {
        if self.open.as_ref().is_some_and(|o| o.path == path) {
            return;
        }
        self.open = Some(OpenArray::new(path));
        fx.push(Effect::Show {
            path: path.to_string(),
        });
        fx.push(Effect::Chunks {
            path: path.to_string(),
        });
        fx.push(Effect::History {
            path: path.to_string(),
        });
    }

    /// After the catalog selection moved: scroll, load pages coming into view (and groups to
    /// search while filtering), open arrays.
    pub fn after_selection_change(&mut self, fx: &mut Vec<Effect>) {
        let h = self.catalog_height();
        self.catalog.ensure_visible(h);
        fx.extend(self.catalog.pages_needed(h).into_iter().map(page_effect));
        fx.extend(
            self.catalog
                .search_requests(SEARCH_NODES, SEARCH_REQUESTS)
                .into_iter()
                .map(page_effect),
        );
        let array = self
            .catalog
            .selected_node()
            .filter(|n| n.entry.kind == NodeKind::Array)
            .map(|n| n.entry.path.clone());
        if let Some(p) = array {
            self.open_path(&p, fx);
        }
    }

    fn on_info(
        &mut self,
        path: &str,
        result: crate::backend::Result<ArrayInfo>,
        fx: &mut Vec<Effect>,
    ) {
        let caps = self.capabilities;
        let Some(open) = self.open.as_mut().filter(|o| o.path == path) else {
            self.dirty = false;
            return;
        };
        let info = match result {
            Ok(i) => i,
            Err(e) => {
                open.error = Some(e.message);
                return;
            }
        };
        if open.info.as_ref() == Some(&info) && open.error.is_none() {
            self.dirty = false;
            return;
        }
        let first = open.info.is_none();
        let shape_changed = open.info.as_ref().is_some_and(|o| o.shape != info.shape);
        if open.info.as_ref().map(|o| o.ndim()) != Some(info.ndim()) {
            open.axes = PlaneAxes::for_grid(&info.chunk_grid());
            open.index = vec![0; info.ndim()];
            open.slice_axis = 0;
        }
        for (i, &s) in open.index.iter_mut().zip(&info.shape) {
            *i = (*i).min(s.saturating_sub(1));
        }
        open.error = None;
        self.catalog.set_shape(path, &info.shape);
        if shape_changed {
            let old = open
                .info
                .as_ref()
                .map(|o| o.shape.clone())
                .unwrap_or_default();
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
        let Some(open) = self.open.as_mut().filter(|o| o.path == path) else {
            self.dirty = false;
            return;
        };
        if let Some(asked) = open.chunks_asked {
            open.chunks_took = now.saturating_duration_since(asked);
        }
        let map = match result {
            Ok(m) => m,
            Err(e) => {
                open.chunks_error = Some(e.message);
                return;
            }
        };
        open.chunks_error = None;
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
        if open.axes.fixed.len() != map.grid.len() {
            open.axes = PlaneAxes::for_grid(&map.grid);
            open.index = vec![0; map.grid.len()];
        }
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
                tracing::info!(verb = op.kind.verb(), path = %op.path, error = %e, "operation failed");
                match &mut self.overlay {
                    Some(Overlay::Dialog(d)) => d.failed(e.message),
                    _ => self.notify(Notice::error(format!(
                        "{} {} failed: {}",
                        op.kind.verb(),
                        op.path,
                        e.message
                    ))),
                }
            }
            Ok(OpOutcome::Deleted) => {
                self.overlay = None;
                self.catalog.remove(&op.path);
                if self.open.as_ref().is_some_and(|o| o.path == op.path) {
                    self.open = None;
                }
                self.notify(Notice::ok(format!("deleted {}", op.path)));
                self.after_selection_change(fx);
            }
            Ok(OpOutcome::Info(info)) => {
                let info = *info;
                self.overlay = None;
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

    /// A change seen on the store (live events from the backend stream, or our own writes).
    fn on_event(&mut self, path: &str, event: EventKind, fx: &mut Vec<Effect>) {
        let is_open = self.open.as_ref().is_some_and(|o| o.path == path);
        match event {
            EventKind::Created => self.catalog.insert(NodeEntry {
                path: path.to_string(),
                kind: NodeKind::Array,
                shape: None,
                dtype: None,
            }),
            EventKind::Deleted => {
                self.catalog.remove(path);
                if is_open {
                    self.open = None;
                    self.notify(Notice::info(format!(
                        "{path} was deleted by another writer"
                    )));
                }
            }
            EventKind::ShapeChanged { new, .. } => {
                self.catalog.set_shape(path, &new);
                if is_open {
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
                if is_open {
                    let now = self.now;
                    if let Some(open) = self.open.as_mut() {
                        if let Some(info) = &open.info {
                            for c in chunk_box(&info.chunks, &offset, &shape, 4096) {
                                open.changed.push((c, now));
                            }
                            let excess = open.changed.len().saturating_sub(MAX_CHANGES);
                            open.changed.drain(..excess);
                        }
                    }
                    fx.push(Effect::Chunks {
                        path: path.to_string(),
                    });
                    // The values shown may be among those just written.
                    self.request_preview(fx, true);
                }
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

    /// The window of values the preview pane shows, on the plane's axes.
    pub fn preview_selection(&self) -> Option<Selection> {
        let open = self.open.as_ref()?;
        let info = open.info.as_ref()?;
        let pane = layout::areas(self.size, Pane::Preview).preview?;
        let (rows, cols) = layout::preview_capacity(pane, info.ndim());
        let mut start = Vec::with_capacity(info.ndim());
        let mut end = Vec::with_capacity(info.ndim());
        for (a, &n) in info.shape.iter().enumerate() {
            let i = open
                .index
                .get(a)
                .copied()
                .unwrap_or(0)
                .min(n.saturating_sub(1));
            let len = if Some(a) == open.axes.row_axis {
                rows
            } else if a == open.axes.col_axis {
                cols
            } else {
                1
            };
            start.push(i.min(n));
            end.push(i.saturating_add(len).min(n));
        }
        Some(Selection { start, end })
    }

    /// Asks for the preview window; `force` re-reads even if the window did not move.
    pub fn request_preview(&mut self, fx: &mut Vec<Effect>, force: bool) {
        let Some(sel) = self.preview_selection() else {
            return;
        };
        let Some(open) = &self.open else {
            return;
        };
        if !force && open.preview.as_ref().is_some_and(|p| p.selection == sel) {
            return;
        }
        fx.push(Effect::Read {
            path: open.path.clone(),
            selection: sel,
        });
    }

    /// Opens a write dialog (when there is something to act on).
    pub fn open_dialog(&mut self, kind: DialogKind) {
        if self.screen != Screen::Main {
            return;
        }
        let info = self.open_info().cloned();
        if kind != DialogKind::Create && info.is_none() {
            self.notify(Notice::error(
                "open an array first: select one in the catalog",
            ));
            return;
        }
        let group = self.catalog.current_group();
        let d = Dialog::open(
            kind,
            info.as_ref(),
            &group,
            plan_ctx(self.open.as_ref(), self.capabilities),
        );
        self.overlay = Some(Overlay::Dialog(Box::new(d)));
    }

    /// Reloads the catalog (keeping what was expanded and selected) and the open array.
    pub fn refresh(&mut self, fx: &mut Vec<Effect>) {
        if self.screen != Screen::Main {
            return;
        }
        self.catalog.reset_keeping_view();
        fx.push(page_effect(self.catalog.initial_request()));
        if let Some(open) = &self.open {
            let p = open.path.clone();
            fx.push(Effect::Show { path: p.clone() });
            fx.push(Effect::Chunks { path: p.clone() });
            fx.push(Effect::History { path: p });
            self.request_preview(fx, true);
        }
        self.notify(Notice::info("refreshing"));
    }

    /// `goto PATH`: selects it if loaded, otherwise loads the way to it and opens it.
    pub fn goto(&mut self, path: &str, fx: &mut Vec<Effect>) {
        let path = normalize_path(path);
        if path.is_empty() {
            self.notify(Notice::error(
                "goto needs a path, e.g. goto detector/frames",
            ));
            return;
        }
        self.focus = Pane::Catalog;
        if self.catalog.select_path(&path) {
            self.after_selection_change(fx);
            return;
        }
        if let Some(r) = self.catalog.goto(&path) {
            fx.push(page_effect(r));
        }
        self.open_path(&path, fx);
    }

    /// Switches to another store (named in the config, or a path / URL).
    pub fn switch_store(&mut self, name: &str, fx: &mut Vec<Effect>) {
        let name = name.trim();
        if name.is_empty() {
            self.notify(Notice::error("store needs a name, a path or a URL"));
            return;
        }
        let target = self
            .picker
            .entries
            .iter()
            .find(|e| e.label == name)
            .map(|e| e.target.clone())
            .unwrap_or_else(|| StoreTarget::Location(name.to_string()));
        self.notify(Notice::info(format!("opening {}", target.label())));
        self.picker.opening = Some(target.label());
        fx.push(Effect::OpenStore(target));
    }

    /// Steps the slice of the chosen other axis by `delta` elements.
    pub fn step_slice(&mut self, delta: i64, fx: &mut Vec<Effect>) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let Some(info) = open.info.clone() else {
            return;
        };
        let others = open.axes.others();
        if others.is_empty() {
            self.notify(Notice::info("the grid shows every axis; nothing to step"));
            return;
        }
        let a = others[open.slice_axis % others.len()];
        let max = info.shape[a].saturating_sub(1) as i64;
        let i = (open.index[a] as i64 + delta).clamp(0, max.max(0)) as u64;
        open.index[a] = i;
        let chunk = i / info.chunks[a].max(1);
        if open.axes.fixed[a] != chunk {
            open.axes.fixed[a] = chunk;
            open.rebuild_plane();
        }
        self.request_preview(fx, false);
    }

    /// Shows the next pair of axes (ndim > 2).
    pub fn cycle_axes(&mut self, fx: &mut Vec<Effect>) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let n = open.axes.fixed.len();
        if n <= 2 {
            self.notify(Notice::info("the grid already shows every axis"));
            return;
        }
        let pairs = PlaneAxes::pairs(n);
        let cur = (open.axes.row_axis.unwrap_or(0), open.axes.col_axis);
        let i = pairs.iter().position(|p| *p == cur).unwrap_or(0);
        let (r, c) = pairs[(i + 1) % pairs.len()];
        open.axes.row_axis = Some(r);
        open.axes.col_axis = c;
        open.slice_axis = 0;
        open.zoom = 0;
        open.pan = (0, 0);
        open.rebuild_plane();
        self.request_preview(fx, false);
    }
}

/// What a dialog may look at.
pub fn plan_ctx(
    open: Option<&OpenArray>,
    capabilities: crate::backend::Capabilities,
) -> PlanContext<'_> {
    PlanContext {
        info: open.and_then(|o| o.info.as_ref()),
        capabilities,
        chunks: open.and_then(|o| o.chunks.as_deref()),
        npy: None,
    }
}

/// Chunks written in `new` that were not written in `old` (grid coordinates), at most `cap`.
pub fn newly_written(old: &ChunkMap, new: &ChunkMap, cap: usize) -> Vec<Vec<u64>> {
    let n = new.grid.len();
    let mut out = Vec::new();
    let unravel = |mut i: u64, grid: &[u64]| -> Vec<u64> {
        let mut c = vec![0u64; grid.len()];
        for a in (0..grid.len()).rev() {
            let g = grid[a].max(1);
            c[a] = i % g;
            i /= g;
        }
        c
    };
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

/// Chunk coordinates covered by a written box, at most `cap`.
fn chunk_box(chunks: &[u64], offset: &[u64], shape: &[u64], cap: usize) -> Vec<Vec<u64>> {
    if shape.contains(&0) || chunks.len() != offset.len() || offset.len() != shape.len() {
        return Vec::new();
    }
    let first: Vec<u64> = offset
        .iter()
        .zip(chunks)
        .map(|(&o, &c)| o / c.max(1))
        .collect();
    let last: Vec<u64> = offset
        .iter()
        .zip(shape)
        .zip(chunks)
        .map(|((&o, &s), &c)| (o + s - 1) / c.max(1))
        .collect();
    let mut out = Vec::new();
    let mut idx = first.clone();
    loop {
        out.push(idx.clone());
        if out.len() >= cap {
            return out;
        }
        let mut a = idx.len();
        loop {
            if a == 0 {
                return out;
            }
            a -= 1;
            idx[a] += 1;
            if idx[a] <= last[a] {
                break;
            }
            idx[a] = first[a];
        }
    }
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
        assert_eq!(chunk_box(&[2, 2], &[1, 0], &[2, 3], 100).len(), 4);
    }
}
