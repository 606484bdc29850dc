//! What is open and shown: opening arrays (and following them live), the selection, the
//! preview window, dialogs, goto, switching stores, slicing and axes.

use crate::backend::{normalize_path, NodeKind, Selection};

use super::super::action::{Effect, StoreTarget};
use super::super::catalog::Row;
use super::super::catalog::{SEARCH_NODES, SEARCH_REQUESTS};
use super::super::chunk_plane::PlaneAxes;
use super::super::dialogs::{Dialog, DialogKind, GroupTarget};
use super::super::layout::{self, Pane};
use super::super::notice::Notice;
use super::super::state::{AppState, OpenArray, Overlay, Screen};
use super::{page_effect, plan_ctx};

impl AppState {
    /// Opens `path` on the right side (no-op when it is already open).
    pub fn open_path(&mut self, path: &str, fx: &mut Vec<Effect>) {
        if self.open.as_ref().is_some_and(|o| o.path == path) {
            return;
        }
        let mut open = OpenArray::new(path);
        if std::mem::take(&mut self.follow_next_open) {
            open.frame.follow = crate::app::frame_view::Follow::On;
        }
        self.open = Some(open);
        // Whatever was followed live belongs to the array shown before.
        self.watched = None;
        fx.push(Effect::Watch {
            path: path.to_string(),
        });
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

    /// Closes the open array (and stops following it live).
    pub(super) fn close_array(&mut self, fx: &mut Vec<Effect>) {
        if self.open.take().is_some() {
            self.watched = None;
            fx.push(Effect::StopWatch);
        }
    }

    /// After the catalog selection moved: scroll, load pages coming into view (and groups to
    /// search while filtering), open arrays.
    pub fn after_selection_change(&mut self, fx: &mut Vec<Effect>) {
        let h = self.catalog_height();
        self.catalog.ensure_visible(h);
        fx.extend(self.catalog.pages_needed(h).into_iter().map(page_effect));
        self.search_pages(h, fx);
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
        self.view_selected_node(fx);
    }

    /// The window of values the preview pane shows, on the plane's axes.
    pub fn preview_selection(&self) -> Option<Selection> {
        let open = self.open.as_ref()?;
        let info = open.info.as_ref()?;
        let pane = layout::areas(self.size, Pane::Preview, self.maximised).preview?;
        let (rows, cols) = layout::preview_capacity(pane, info.ndim(), info.dtype);
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
        // A Data pane not on screen reads nothing (on a detector stack each of its rows is a
        // frame's chunk); what it held is dropped when it would have been read again, so it is
        // read fresh once it is shown.
        if self.areas().preview.is_none() || self.screen != Screen::Main {
            if force {
                if let Some(o) = self.open.as_mut() {
                    o.preview = None;
                }
            }
            return;
        }
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

    /// The highlighted catalog row when it is a group: its path and the arrays loaded under it.
    pub fn selected_group(&self) -> Option<GroupTarget> {
        let Some(Row::Node(id)) = self.catalog.selected_row() else {
            return None;
        };
        let node = self.catalog.node(id)?;
        if node.entry.kind != NodeKind::Group {
            return None;
        }
        let (mut arrays, mut more) = (0, false);
        let mut stack = vec![id];
        while let Some(i) = stack.pop() {
            let Some(n) = self.catalog.node(i) else {
                continue;
            };
            match n.entry.kind {
                NodeKind::Array => arrays += 1,
                _ => {
                    more |= !n.complete;
                    stack.extend(n.children.iter().copied());
                }
            }
        }
        Some(GroupTarget {
            path: node.entry.path.clone(),
            arrays,
            more,
        })
    }

    /// Opens a write dialog for the highlighted row (when there is something to act on).
    pub fn open_dialog(&mut self, kind: DialogKind) {
        if self.screen != Screen::Main {
            return;
        }
        if let Some(g) = self.selected_group().filter(|_| kind != DialogKind::Create) {
            if kind == DialogKind::Delete {
                let ctx = plan_ctx(None, self.capabilities);
                self.overlay = Some(Overlay::Dialog(Box::new(Dialog::delete_group(g, ctx))));
            } else {
                self.notify(Notice::error(format!(
                    "'{}' is a group: {} needs an array; select one in the catalog",
                    g.path,
                    kind.title().to_lowercase()
                )));
            }
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
        // A path is found in the tree, not among a search's hits.
        self.filter_editing = false;
        self.catalog.end_search();
        self.focus = Pane::Catalog;
        if self.catalog.select_path(&path) {
            self.after_selection_change(fx);
            return;
        }
        if let Some(r) = self.catalog.goto(&path) {
            // The way is loading: once the node is listed it is selected, then opened if it is
            // an array or described if not (a run is a group, not an array to open).
            fx.push(page_effect(r));
            return;
        }
        // Nothing left to load on the way: open it, so a path that is not there says so.
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
        open.axes_auto = false;
        // The preview starts at the origin of the axes now shown; the others keep their
        // slice (clamped), and the grid shows the chunk that holds it.
        if let Some(info) = open.info.clone() {
            open.index.resize(info.ndim(), 0);
            for a in 0..info.ndim() {
                if a == r || a == c {
                    open.index[a] = 0;
                } else {
                    open.index[a] = open.index[a].min(info.shape[a].saturating_sub(1));
                    open.axes.fixed[a] = open.index[a] / info.chunks[a].max(1);
                }
            }
        }
        open.slice_axis = 0;
        open.zoom = 0;
        open.pan = (0, 0);
        open.rebuild_plane();
        self.request_preview(fx, false);
    }
}
