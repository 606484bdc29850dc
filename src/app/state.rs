//! The application state. Changed only by `update()` (see `update/`); drawn by `ui`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::layout::Rect;

use crate::backend::{
    ArrayData, ArrayInfo, Capabilities, ChunkMap, ChunkState, ConnectionState, Selection,
    StructureChange,
};
use crate::config::StoreSpec;

use super::action::StoreTarget;
use super::catalog::Catalog;
use super::chunk_plane::{ChunkPlane, PlaneAxes};
use super::dialogs::Dialog;
use super::keymap::Keymap;
use super::layout::{self, Areas, Pane};

/// How long a chunk stays highlighted after it changed.
pub const FADE: Duration = Duration::from_secs(3);
/// How long a status message stays.
pub const STATUS_TTL: Duration = Duration::from_secs(8);
/// The write rate in the top bar is measured over this window.
pub const RATE_WINDOW: Duration = Duration::from_secs(2);
/// At most this many recent chunk changes are remembered for highlighting.
pub const MAX_CHANGES: usize = 10_000;
/// At most this many chunks are remembered as seen written (live or by our own writes).
pub const MAX_SEEN: usize = 200_000;
/// At most this many live updates are held while paused; past it, resume reloads.
pub const MAX_HELD: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Choose a store (no store given on the command line).
    Picker,
    Main,
}

pub use super::notice::{Notice, Tone};

/// How a followed group's new nodes reach the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupFollow {
    /// The store announces them as they are made.
    Live,
    /// The announcements' connection dropped; the follower reconnects and then lists what
    /// was made meanwhile.
    Reconnecting,
    /// The store announces nothing (or stopped): the catalog's re-listing finds them.
    Polled,
}

/// The notice in the status bar and when it was raised.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub notice: Notice,
    pub at: Instant,
}

/// Something drawn over the main screen that takes the keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    Palette(Palette),
    Dialog(Box<Dialog>),
    /// The message log (`m`).
    Messages(super::messages::LogView),
    /// The open array's metadata as pretty JSON (`i`), or, with `change`, one entry of its
    /// history whole (Enter in the History pane: the full ISO time, both shapes).
    Metadata {
        scroll: usize,
        change: Option<usize>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Palette {
    pub input: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerEntry {
    pub label: String,
    pub detail: String,
    pub target: StoreTarget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub entries: Vec<PickerEntry>,
    pub selected: usize,
    /// A store is being opened.
    pub opening: Option<String>,
    pub error: Option<String>,
    /// Text typed for "open a path or URL".
    pub location: String,
}

impl Picker {
    /// Named stores from the config, then the demo store.
    pub fn new(stores: &[StoreSpec]) -> Picker {
        let mut entries: Vec<PickerEntry> = stores
            .iter()
            .map(|s| PickerEntry {
                label: s.name.clone(),
                detail: s
                    .description
                    .clone()
                    .unwrap_or_else(|| s.url_or_path.clone()),
                target: StoreTarget::Named(s.clone()),
            })
            .collect();
        entries.push(PickerEntry {
            label: "demo".into(),
            detail: "a temporary local store with sample arrays".into(),
            target: StoreTarget::Demo,
        });
        Picker {
            entries,
            selected: 0,
            opening: None,
            error: None,
            location: String::new(),
        }
    }
}

/// The data preview: a window of values on the plane's two axes.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewData {
    pub selection: Selection,
    pub data: ArrayData,
}

/// The array shown on the right.
#[derive(Debug, Clone)]
pub struct OpenArray {
    pub path: String,
    pub info: Option<ArrayInfo>,
    pub error: Option<String>,
    pub chunks: Option<Arc<ChunkMap>>,
    pub chunks_error: Option<String>,
    /// The plane the grid and the preview show.
    pub axes: PlaneAxes,
    /// The axes are extent's choice (not the user's): they follow the array as it grows.
    pub axes_auto: bool,
    /// Which of the other axes `[`/`]` step (index into `axes.others()`).
    pub slice_axis: usize,
    /// Element index per axis: the preview's origin on the shown axes, the slice on the others.
    pub index: Vec<u64>,
    pub plane: ChunkPlane,
    /// Grid zoom (0 = everything) and pan (first chunk row, col shown).
    pub zoom: u32,
    pub pan: (u64, u64),
    /// Chunks that changed recently (grid coordinates), with when.
    pub changed: Vec<(Vec<u64>, Instant)>,
    /// Chunks seen written (live events, our own writes): shown written even where the store
    /// cannot list chunks (Tiled) or does not store them (all fill value).
    pub seen: HashSet<Vec<u64>>,
    /// Newest first.
    pub history: Option<Vec<StructureChange>>,
    pub history_error: Option<String>,
    pub history_scroll: usize,
    pub preview: Option<PreviewData>,
    pub preview_error: Option<String>,
    /// When the last chunk listing was asked for and how long it took: polling backs off for
    /// stores where listing chunks is slow (10^6 chunk files), so the UI never burns a core.
    pub chunks_asked: Option<Instant>,
    pub chunks_took: Duration,
    /// The shape when the operator confirmed a write: the status line reports old → new
    /// from it, even when a live event showed the new shape before the write returned.
    pub shape_at_confirm: Option<Vec<u64>>,
    /// The Frame pane: frame shown, follow mode, colormap, contrast, cursor, zoom.
    pub frame: super::frame_view::FrameView,
}

impl OpenArray {
    pub fn new(path: &str) -> OpenArray {
        OpenArray {
            path: path.to_string(),
            info: None,
            error: None,
            chunks: None,
            chunks_error: None,
            axes: PlaneAxes::default_for(0),
            axes_auto: true,
            slice_axis: 0,
            index: Vec::new(),
            plane: ChunkPlane::empty(),
            zoom: 0,
            pan: (0, 0),
            changed: Vec::new(),
            seen: HashSet::new(),
            history: None,
            history_error: None,
            history_scroll: 0,
            preview: None,
            preview_error: None,
            chunks_asked: None,
            chunks_took: Duration::ZERO,
            shape_at_confirm: None,
            frame: super::frame_view::FrameView::default(),
        }
    }

    /// Remembers `chunks` as written and shows them so (bounded by `MAX_SEEN`).
    pub fn mark_seen(&mut self, chunks: impl IntoIterator<Item = Vec<u64>>) {
        let mut map = self.chunks.take();
        let mut changed = false;
        for c in chunks {
            // Only the chunks of this write are looked at: cheap for a fast writer.
            if let Some(m) = map.as_mut() {
                if let Some(i) = m.index(&c).filter(|&i| m.states[i] != ChunkState::Written) {
                    Arc::make_mut(m).states[i] = ChunkState::Written;
                    changed = true;
                }
            }
            if self.seen.len() < MAX_SEEN {
                self.seen.insert(c);
            }
        }
        self.chunks = map;
        if changed {
            self.rebuild_plane();
        }
    }

    /// Forgets chunks seen written past `grid` (a shrink erased them).
    pub fn forget_seen_past(&mut self, grid: &[u64]) {
        self.seen
            .retain(|c| c.len() == grid.len() && c.iter().zip(grid).all(|(i, n)| i < n));
    }

    /// `map` with the chunks seen written marked written.
    pub fn overlay_seen(&self, map: Arc<ChunkMap>) -> Arc<ChunkMap> {
        let stale = self.seen.iter().any(|c| {
            map.index(c)
                .is_some_and(|i| map.states[i] != ChunkState::Written)
        });
        if !stale {
            return map;
        }
        let mut map = map;
        let m = Arc::make_mut(&mut map);
        for c in &self.seen {
            if let Some(i) = m.index(c) {
                m.states[i] = ChunkState::Written;
            }
        }
        map
    }

    /// Chooses the plane's axes again for `grid` (when extent chose them, or the rank
    /// changed); true when they changed.
    pub fn choose_axes(&mut self, grid: &[u64]) -> bool {
        let resizable = self.info.as_ref().map(|i| i.resizable.clone());
        let rank_changed = self.axes.fixed.len() != grid.len();
        if !self.axes_auto && !rank_changed {
            return false;
        }
        let axes = PlaneAxes::for_array(grid, resizable.as_deref().unwrap_or(&[]));
        let same = axes.row_axis == self.axes.row_axis && axes.col_axis == self.axes.col_axis;
        if same && !rank_changed {
            return false;
        }
        self.axes = axes;
        self.axes_auto = true;
        if rank_changed {
            self.index = vec![0; grid.len()];
            self.slice_axis = 0;
        }
        self.zoom = 0;
        self.pan = (0, 0);
        true
    }

    /// Rebuilds the plane from the chunk map (after the map or the axes changed).
    pub fn rebuild_plane(&mut self) {
        self.plane = match &self.chunks {
            Some(m) if m.grid.len() == self.axes.fixed.len() => {
                super::chunk_plane::ChunkPlane::build(m, &self.axes)
            }
            _ => ChunkPlane::empty(),
        };
    }

    /// Recent changes on the shown plane, as (row, col) chunk coordinates.
    pub fn changed_on_plane(&self) -> Vec<(u64, u64)> {
        self.changed
            .iter()
            .filter_map(|(c, _)| super::chunk_plane::strip_coords(c, &self.axes, &self.plane))
            .collect()
    }
}

/// Everything the screen shows.
#[derive(Debug, Clone)]
pub struct AppState {
    pub screen: Screen,
    pub store_label: String,
    /// The backend's own description (`local:/path`, a URL).
    pub store_describe: String,
    pub capabilities: Capabilities,
    /// How the view follows the store; `None` before a store is open.
    pub connection: Option<ConnectionState>,
    pub catalog: Catalog,
    pub filter_editing: bool,
    /// The groups followed for nodes the store announces (the last `WatchChildren` asked).
    pub groups_followed: Vec<String>,
    /// What each followed group's follower last said (absent: not heard from yet).
    pub group_follow: std::collections::BTreeMap<String, GroupFollow>,
    pub focus: Pane,
    /// Right pane shown in the compact layout.
    pub right_tab: Pane,
    /// The focused pane takes the whole screen (the maximise key).
    pub maximised: bool,
    pub open: Option<OpenArray>,
    /// The highlighted node when it is not an array (a group, a table): what it is.
    pub node_view: Option<NodeView>,
    pub overlay: Option<Overlay>,
    pub picker: Picker,
    pub status: Option<Status>,
    /// Live updates are paused (the view holds still for inspection).
    pub paused: bool,
    /// What arrived while paused, applied in order on resume (bounded by `MAX_HELD`).
    pub held: Vec<super::action::Action>,
    /// More than `MAX_HELD` arrived while paused: resume reloads everything instead.
    pub held_overflow: bool,
    /// The array a live watch follows (set by `Action::Watching`).
    pub watched: Option<String>,
    /// When the catalog was last listed again for nodes made by others.
    pub catalog_polled: Option<Instant>,
    /// Recent writes seen live (time, bytes), for the top bar's rate.
    pub writes: std::collections::VecDeque<(Instant, u64)>,
    /// Terminal size.
    pub size: Rect,
    pub now: Instant,
    /// The user asked to leave (`update()` then returns `Effect::Quit`).
    pub quit: bool,
    /// The last `update()` changed something visible (the runtime draws a frame then).
    pub dirty: bool,
    /// Key bindings (read-only after start).
    pub keymap: Arc<Keymap>,
    /// Rates, last writes and stalls of the arrays seen growing.
    pub monitor: super::monitor::Monitor,
    /// The highlighted row of the Activity pane.
    pub activity_row: usize,
    /// The next array opened starts in follow mode (the demo's detector); otherwise follow
    /// is off when an array is opened.
    pub follow_next_open: bool,
    /// The Frame pane draws images (`--graphics none`: the numbers only).
    pub frame_images: bool,
    /// How the Frame pane's image reaches the terminal (chosen once at start-up).
    pub frame_protocol: FrameProtocol,
    /// Every status line and error since start (the message log).
    pub messages: super::messages::Messages,
    /// When the TUI started (the log's times count from it).
    pub started: Instant,
    /// The zone history times are shown in (UTC until the runtime sets the local one).
    pub zone: Arc<super::clock::Zone>,
}

impl AppState {
    /// A state on the main screen for `label` (the store opens separately).
    pub fn new(label: &str, capabilities: Capabilities) -> AppState {
        AppState {
            screen: Screen::Main,
            store_label: label.to_string(),
            store_describe: String::new(),
            capabilities,
            connection: Some(ConnectionState::Connecting),
            catalog: Catalog::new(),
            filter_editing: false,
            groups_followed: Vec::new(),
            group_follow: Default::default(),
            focus: Pane::Catalog,
            right_tab: Pane::Grid,
            maximised: false,
            open: None,
            node_view: None,
            overlay: None,
            picker: Picker::new(&[]),
            status: None,
            paused: false,
            held: Vec::new(),
            held_overflow: false,
            watched: None,
            catalog_polled: None,
            writes: std::collections::VecDeque::new(),
            size: Rect::new(0, 0, 80, 24),
            now: Instant::now(),
            quit: false,
            dirty: true,
            keymap: Arc::new(Keymap::default()),
            monitor: super::monitor::Monitor::default(),
            activity_row: 0,
            follow_next_open: false,
            frame_images: true,
            frame_protocol: FrameProtocol::default(),
            messages: Default::default(),
            started: Instant::now(),
            zone: Arc::new(super::clock::Zone::utc()),
        }
    }

    /// A state on the store picker.
    pub fn picker(stores: &[StoreSpec]) -> AppState {
        let mut s = AppState::new(
            "",
            Capabilities {
                can_shrink: false,
                lists_chunks: false,
                history_in_store: false,
                partial_chunks: false,
                empty_axes: false,
            },
        );
        s.screen = Screen::Picker;
        s.connection = None;
        s.picker = Picker::new(stores);
        s
    }

    pub fn areas(&self) -> Areas {
        layout::areas(self.size, self.shown_pane(), self.maximised)
    }

    /// The pane shown when one pane is (a small terminal, maximised): the focused one.
    pub fn shown_pane(&self) -> Pane {
        let single = layout::areas(self.size, self.focus, self.maximised).single;
        if single {
            self.focus
        } else {
            self.right_tab
        }
    }

    /// Rows of the catalog list that fit on screen.
    pub fn catalog_height(&self) -> usize {
        // Border (2) and the filter line (1).
        self.areas().catalog.height.saturating_sub(3) as usize
    }

    /// The chunk grid's cells area (rows, cols) as drawn now, for zoom and pan.
    pub fn grid_cells(&self) -> (u64, u64) {
        // As drawn (beside the Frame pane it is narrower), else as it would be when shown.
        let grid = self
            .areas()
            .grid
            .or(layout::areas(self.size, Pane::Grid, self.maximised).grid);
        let (Some(o), Some(r)) = (&self.open, grid) else {
            return (1, 1);
        };
        let i = layout::inner(r);
        let (h, w, _) = o.plane.cells_area(i.height, i.width);
        (h, w)
    }

    /// The deepest zoom of the open array's grid (0 when nothing is open).
    pub fn max_zoom(&self) -> u32 {
        let Some(o) = &self.open else { return 0 };
        if o.plane.wrap {
            return o.plane.max_zoom();
        }
        let (h, w) = self.grid_cells();
        o.plane.max_zoom_in(h, w)
    }

    /// The chunks the grid shows now: `(r0, r1, c0, c1)`.
    pub fn grid_viewport(&self, zoom: u32, pan: (u64, u64)) -> (u64, u64, u64, u64) {
        let Some(o) = &self.open else {
            return (0, 0, 0, 0);
        };
        if o.plane.wrap {
            return o.plane.viewport(zoom, pan);
        }
        let (h, w) = self.grid_cells();
        let v = o.plane.grid_view(zoom, pan, h, w);
        (v.r0, v.r1, v.c0, v.c1)
    }

    pub fn open_info(&self) -> Option<&ArrayInfo> {
        self.open.as_ref().and_then(|o| o.info.as_ref())
    }

    /// Shows a notice in the status bar (replacing the last one).
    pub fn notify(&mut self, notice: Notice) {
        self.messages
            .push(&notice.text, notice.tone, self.now, None);
        self.status = Some(Status {
            notice,
            at: self.now,
        });
    }

    /// Logs an error shown somewhere else than the status bar (a pane, a dialog), with its
    /// causes and repair steps for the log's detail view; returns its one-line text.
    pub fn log_error(&mut self, context: &str, e: &crate::backend::Error) -> String {
        let text = super::update::error_text(e, Some(&self.keymap));
        let detail = super::update::error_detail(e, Some(&self.keymap));
        let line = if context.is_empty() || text.starts_with(context) {
            text.clone()
        } else {
            format!("{context}: {text}")
        };
        self.messages
            .push(&line, Tone::Error, self.now, Some(detail));
        text
    }

    pub fn dialog(&self) -> Option<&Dialog> {
        match &self.overlay {
            Some(Overlay::Dialog(d)) => Some(d),
            _ => None,
        }
    }
}

/// How the Frame pane's image reaches the terminal: half blocks, or a graphics protocol with
/// the size of a cell in pixels (the image is made to fill whole cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameProtocol {
    #[default]
    Halfblocks,
    Kitty {
        cell: (u16, u16),
    },
    Sixel {
        cell: (u16, u16),
    },
    Iterm2 {
        cell: (u16, u16),
    },
}

impl FrameProtocol {
    /// The name, as in `--graphics`.
    pub fn name(self) -> &'static str {
        match self {
            FrameProtocol::Halfblocks => "halfblocks",
            FrameProtocol::Kitty { .. } => "kitty",
            FrameProtocol::Sixel { .. } => "sixel",
            FrameProtocol::Iterm2 { .. } => "iterm2",
        }
    }
}

/// A node that is not an array, as the structure and data panes show it: a group's metadata
/// (a run's plan_name, scan_id, time), a table's columns and last rows.
#[derive(Debug, Clone)]
pub struct NodeView {
    pub path: String,
    /// What it is, once read.
    pub info: Option<crate::backend::NodeInfo>,
    /// A table's last rows (at most `NODE_VIEW_ROWS`), once read.
    pub rows: Option<crate::backend::TableData>,
    /// Why it could not be read.
    pub error: Option<String>,
}

/// How many of a table's last rows the data pane keeps.
pub const NODE_VIEW_ROWS: usize = 200;
