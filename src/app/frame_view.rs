//! The Frame pane's model: which frame is shown (an index along axis 0 of a ≥3-D array, a
//! window of a 2-D one), follow mode, colormap, contrast, binning, cursor, zoom and pan; and
//! asking for the frame's region only (`Effect::ReadFrame`, run off the UI thread).
//!
//! A ≥3-D frame is read whole and zoomed and panned in memory. A 2-D array (a line detector's
//! waterfall) can be far longer than any frame, so only a window of it is read: one with the
//! pane's aspect ratio (see `frame_window`); zoom shrinks the window and pan moves it, each
//! reading the new window.
//!
//! **Follow** pins the view to the newest frame written as the array grows; it applies to the
//! Frame pane, the Data pane and the chunk grid. A manual move leaves it.

use std::sync::Arc;

use crate::backend::{Error, Selection};
use crate::frame::{BinMode, Colormap, Contrast, Frame, Limits, Stats};

use super::action::Effect;
use super::commands::{CommandInfo, Keys};
use super::frame_window::{fmt_span, moved, window_size};
use super::frame_window_keys::on_window_command;
use super::keymap::Command;
use super::layout::{self, Pane};
use super::notice::Notice;
use super::state::AppState;

/// Deepest zoom: 2^6 = 64 times.
pub const MAX_ZOOM: u32 = 6;
/// Bins of the small histogram under the image.
pub const HISTOGRAM_BINS: usize = 16;
/// Pixels the pane's histogram counts at most (a grid sample): the sparkline shows its shape.
pub const HISTOGRAM_SAMPLE: usize = 1 << 16;

/// Follow mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Follow {
    #[default]
    Off,
    On,
    /// A manual move left it (the title says so).
    Left,
}

/// What the Frame pane shows of the open array.
#[derive(Debug, Clone, Default)]
pub struct FrameView {
    /// ≥3-D: the frame's index along axis 0 (other leading axes at 0). 2-D: the first row of
    /// the window shown.
    pub index: u64,
    /// 2-D: the first column of the window shown.
    pub column: u64,
    /// Whether the image is a window of a 2-D array: its zoom and pan are those of the window
    /// read, and the image is shown whole.
    pub windowed: bool,
    pub follow: Follow,
    pub colormap: Colormap,
    pub contrast: Contrast,
    /// How a frame larger than the pane is binned to it: mean, or max (a hot pixel shows).
    pub bin: BinMode,
    /// Pixel under the cursor (row, column of the frame), when it was moved.
    pub cursor: Option<(u64, u64)>,
    /// 0 shows the whole frame; each step doubles the magnification.
    pub zoom: u32,
    /// Top-left pixel shown when zoomed (row, column).
    pub pan: (u64, u64),
    /// The frame read last, and the region it came from.
    pub image: Option<Arc<Frame>>,
    /// The frame's statistics and contrast limits, computed once per frame read (or mode).
    /// Min, max, mean and NaN count are exact; the histogram is of a sample
    /// ([`HISTOGRAM_SAMPLE`] pixels), enough for the sparkline's shape.
    pub stats: Option<Stats>,
    pub limits: Option<Limits>,
    pub selection: Option<Selection>,
    pub error: Option<String>,
    /// The newest frame seen written (live events), which follow pins to.
    pub newest: Option<u64>,
}

impl FrameView {
    /// `following`, `not following` after a manual move, or nothing.
    pub fn follow_label(&self) -> Option<&'static str> {
        match self.follow {
            Follow::Off => None,
            Follow::On => Some("following"),
            Follow::Left => Some("not following (moved)"),
        }
    }

    /// The zoom and pan applied to the image held: none for a 2-D window (the window read is
    /// already what is shown).
    pub fn image_zoom(&self) -> (u32, (u64, u64)) {
        if self.windowed {
            (0, (0, 0))
        } else {
            (self.zoom, self.pan)
        }
    }

    pub(super) fn leave_follow(&mut self) {
        if self.follow == Follow::On {
            self.follow = Follow::Left;
        }
    }

    /// Computes the statistics and limits of the image held (after a read or a mode change).
    fn measure(&mut self) {
        let Some(img) = &self.image else {
            (self.stats, self.limits) = (None, None);
            return;
        };
        self.stats = Some(img.sampled_stats(HISTOGRAM_BINS, HISTOGRAM_SAMPLE));
        // Min-max limits are the summary's own extremes: no second pass over the frame.
        self.limits = Some(img.limits(self.contrast));
    }
}

/// The image's box in pixels (rows, columns): the pane less its border and the three lines
/// under the image, two pixel rows per cell.
pub(super) fn pane_pixels(s: &AppState) -> (u64, u64) {
    let pane = layout::areas(s.size, Pane::Frame, s.maximised)
        .frame
        .unwrap_or_default();
    (
        (pane.height.saturating_sub(5) as u64 * 2).max(2),
        (pane.width.saturating_sub(2) as u64).max(1),
    )
}

/// A 2-D array's window now: (first row, rows, first column, columns).
fn window_2d(s: &AppState, shape: &[u64], f: &FrameView) -> (u64, u64, u64, u64) {
    let (h, w) = (shape[0], shape[1]);
    if h == 0 || w == 0 {
        return (0, 0, 0, 0);
    }
    let (rows, cols) = window_size(h, w, pane_pixels(s), f.zoom);
    // Following, the window ends at the newest row whatever its size now (the pane may have
    // been hidden or resized since the last write).
    let start = match f.follow {
        Follow::On => (f.newest.unwrap_or(u64::MAX).min(h - 1) + 1).saturating_sub(rows),
        _ => f.index,
    };
    let r0 = start.min(h - rows);
    let c0 = f.column.min(w - cols);
    (r0, rows, c0, cols)
}

impl AppState {
    /// The region the Frame pane needs now, or why there is none.
    pub fn frame_selection(&self) -> Option<Result<Selection, Error>> {
        let open = self.open.as_ref()?;
        let info = open.info.as_ref()?;
        let shape = &info.shape;
        let f = &open.frame;
        Some(match shape.len() {
            0 | 1 => crate::frame::selection(shape, &[], None),
            2 => {
                let (r0, rows, c0, cols) = window_2d(self, shape, f);
                crate::frame::selection(shape, &[], Some([r0..r0 + rows, c0..c0 + cols]))
            }
            n => {
                let mut at = vec![0; n - 2];
                at[0] = f.index;
                crate::frame::selection(shape, &at, None)
            }
        })
    }

    /// Asks for the frame when the pane shows and it is not what was read (`force`: again).
    pub fn request_frame(&mut self, fx: &mut Vec<Effect>, force: bool) {
        if self.areas().frame.is_none() || self.screen != super::state::Screen::Main {
            return;
        }
        let Some(sel) = self.frame_selection() else {
            return;
        };
        let Some(open) = self.open.as_mut() else {
            return;
        };
        open.frame.windowed = open.info.as_ref().is_some_and(|i| i.ndim() == 2);
        match sel {
            Ok(sel) => {
                if !force && open.frame.selection.as_ref() == Some(&sel) {
                    return;
                }
                open.frame.selection = Some(sel.clone());
                fx.push(Effect::ReadFrame {
                    path: open.path.clone(),
                    selection: sel,
                });
            }
            Err(e) => {
                open.frame.error = Some(e.message);
                open.frame.image = None;
                open.frame.selection = None;
            }
        }
    }

    /// A frame read came back.
    pub(crate) fn on_frame_loaded(
        &mut self,
        path: &str,
        selection: Selection,
        result: Result<Arc<Frame>, Error>,
    ) {
        let keymap = self.keymap.clone();
        let Some(open) = self.open.as_mut().filter(|o| o.path == path) else {
            self.dirty = false;
            return;
        };
        if open.frame.selection.as_ref() != Some(&selection) {
            // An older request: the one asked for now is on its way.
            self.dirty = false;
            return;
        }
        match result {
            Ok(img) => {
                open.frame.image = Some(img);
                open.frame.error = None;
            }
            Err(e) => {
                open.frame.error = Some(super::update::error_text(&e, Some(&keymap)));
                open.frame.image = None;
            }
        }
        open.frame.measure();
    }

    /// Whether a write of `shape` at `offset` overlaps the frame shown (it is read again).
    pub(crate) fn frame_touched(&self, offset: &[u64], shape: &[u64]) -> bool {
        let Some(sel) = self.open.as_ref().and_then(|o| o.frame.selection.as_ref()) else {
            return false;
        };
        sel.start.len() == offset.len()
            && (0..offset.len()).all(|a| {
                let end = offset[a].saturating_add(shape.get(a).copied().unwrap_or(0));
                offset[a] < sel.end[a] && end > sel.start[a]
            })
    }

    /// The Frame pane's title: ` frame 41 · 42 frames · uint16 · auto · gray · following `.
    pub fn frame_title(&self) -> String {
        let Some((o, info)) = self.open.as_ref().and_then(|o| Some((o, o.info.as_ref()?))) else {
            return " Frame ".into();
        };
        let f = &o.frame;
        let mut parts = Vec::new();
        match info.ndim() {
            0 | 1 => parts.push("Frame".to_string()),
            2 => {
                let (h, w) = (info.shape[0], info.shape[1]);
                let (r0, rows, c0, cols) = window_2d(self, &info.shape, f);
                parts.push(fmt_span("rows", r0, r0 + rows, h));
                if cols < w {
                    parts.push(fmt_span("columns", c0, c0 + cols, w));
                }
            }
            _ => {
                let n = info.shape[0];
                let word = if n == 1 { "frame" } else { "frames" };
                parts.push(format!("frame {} · {n} {word}", f.index));
            }
        }
        parts.push(info.dtype.to_string());
        parts.push(f.contrast.name());
        parts.push(f.colormap.name().to_string());
        if f.bin == BinMode::Max {
            parts.push("bin max".to_string());
        }
        if f.zoom > 0 {
            parts.push(format!("zoom {}x", 1u32 << f.zoom));
        }
        if let Some(l) = f.follow_label() {
            parts.push(l.to_string());
        }
        format!(" {} ", parts.join(" · "))
    }

    /// The number of frames of the open array (1 for a 2-D array).
    pub fn frame_count(&self) -> u64 {
        self.open_info()
            .map(|i| crate::frame::frame_count(&i.shape))
            .unwrap_or(0)
    }

    /// Moves to frame `i` by hand (leaves follow).
    fn goto_frame(&mut self, i: i64, fx: &mut Vec<Effect>) {
        let Some(info) = self.open_info().cloned() else {
            return;
        };
        let limit = match info.ndim() {
            n if n > 2 => info.shape[0].saturating_sub(1),
            _ => 0,
        };
        if let Some(o) = self.open.as_mut() {
            o.frame.index = i.clamp(0, limit as i64) as u64;
            o.frame.leave_follow();
        }
        self.request_frame(fx, false);
    }

    /// A 2-D array's window now (first row, rows, first column, columns), when one is open.
    pub(super) fn open_window(&self) -> Option<(u64, u64, u64, u64)> {
        let o = self.open.as_ref()?;
        let info = o.info.as_ref().filter(|i| i.ndim() == 2)?;
        Some(window_2d(self, &info.shape, &o.frame))
    }

    /// Moves a 2-D array's window by hand (leaves follow): `windows` of its own length along
    /// the long axis (the one it does not cover whole; rows when it covers neither), or to an
    /// end (`to_end`: the start when negative, the end when positive).
    pub(super) fn pan_window(&mut self, windows: f64, to_end: Option<bool>, fx: &mut Vec<Effect>) {
        let (Some((r0, rows, c0, cols)), Some(info)) = (self.open_window(), self.open_info())
        else {
            return;
        };
        let (h, w) = (info.shape[0], info.shape[1]);
        let along_columns = rows >= h && cols < w;
        let (start, len, total) = if along_columns {
            (c0, cols, w)
        } else {
            (r0, rows, h)
        };
        let delta = match to_end {
            Some(true) => i64::MAX / 2,
            Some(false) => i64::MIN / 2,
            None => {
                let step = ((len as f64 * windows.abs()).round() as i64).max(1);
                if windows < 0.0 {
                    -step
                } else {
                    step
                }
            }
        };
        let next = moved(start, delta, len, total);
        let Some(o) = self.open.as_mut() else { return };
        if along_columns {
            o.frame.column = next;
        } else {
            o.frame.index = next;
        }
        o.frame.leave_follow();
        self.request_frame(fx, false);
    }

    /// `F`: follow the newest frame, or stop.
    pub fn toggle_follow(&mut self, fx: &mut Vec<Effect>) {
        let Some(o) = self.open.as_mut().filter(|o| o.info.is_some()) else {
            self.notify(Notice::error("follow needs an open array"));
            return;
        };
        o.frame.follow = if o.frame.follow == Follow::On {
            Follow::Off
        } else {
            Follow::On
        };
        if o.frame.follow == Follow::On {
            let newest = o.frame.newest;
            self.pin_to_newest(newest, fx);
            self.notify(Notice::info(
                "following the newest frame (a manual move leaves)",
            ));
        } else {
            self.notify(Notice::info("follow off"));
        }
    }

    /// A manual move in the Data pane or the chunk grid leaves follow.
    pub(crate) fn leave_follow(&mut self) {
        if let Some(o) = self.open.as_mut() {
            o.frame.leave_follow();
        }
    }

    /// The open array grew or was written: with follow on, the Frame pane, the Data pane and
    /// the chunk grid move to the newest frame. `written` is the frame a live event wrote.
    pub(crate) fn follow_newest(&mut self, written: Option<u64>, fx: &mut Vec<Effect>) {
        let Some(o) = self.open.as_mut() else {
            return;
        };
        if let Some(w) = written {
            o.frame.newest = Some(w);
        }
        if o.frame.follow == Follow::On {
            let newest = o.frame.newest;
            self.pin_to_newest(newest, fx);
        }
    }

    /// Shows frame `newest` (the last along axis 0 when `None`) in every pane.
    fn pin_to_newest(&mut self, newest: Option<u64>, fx: &mut Vec<Effect>) {
        let Some(info) = self.open_info().cloned() else {
            return;
        };
        let len = info.shape.first().copied().unwrap_or(0);
        let last = newest
            .unwrap_or(len.saturating_sub(1))
            .min(len.saturating_sub(1));
        let rows_2d = self.open_window().map(|(_, rows, _, _)| rows).unwrap_or(1);
        let preview_rows = layout::areas(self.size, Pane::Preview, self.maximised)
            .preview
            .map(|p| layout::preview_capacity(p, info.ndim(), info.dtype).0)
            .unwrap_or(1);
        let Some(o) = self.open.as_mut() else { return };
        o.frame.index = if info.ndim() == 2 {
            (last + 1).saturating_sub(rows_2d)
        } else {
            last
        };
        // The Data pane: the window ends at the newest row when rows run along axis 0.
        if o.axes.row_axis == Some(0) {
            if let Some(i) = o.index.get_mut(0) {
                *i = (last + 1).saturating_sub(preview_rows);
            }
        } else if o.axes.col_axis != 0 {
            if let Some(i) = o.index.get_mut(0) {
                *i = last;
            }
        }
        // The chunk grid: the newest chunk row in view.
        let chunk = info.chunks.first().copied().unwrap_or(1).max(1);
        if o.axes.row_axis == Some(0) && !o.plane.wrap {
            let row = last / chunk;
            let (zoom, pan) = (o.zoom, o.pan);
            let (r0, r1, _, _) = self.grid_viewport(zoom, pan);
            if row < r0 || row >= r1 {
                let span = (r1 - r0).max(1);
                let (nr0, _, nc0, _) =
                    self.grid_viewport(zoom, ((row + 1).saturating_sub(span), pan.1));
                if let Some(o) = self.open.as_mut() {
                    o.pan = (nr0, nc0);
                }
            }
        }
        self.request_preview(fx, false);
        self.request_frame(fx, false);
    }

    /// `b`: bins by max instead of mean, or back.
    pub(super) fn toggle_binning(&mut self) {
        let Some(o) = self.open.as_mut() else { return };
        o.frame.bin = match o.frame.bin {
            BinMode::Mean => BinMode::Max,
            BinMode::Max => BinMode::Mean,
        };
        let text = match o.frame.bin {
            BinMode::Mean => "frame binning: mean (noise averages out)",
            BinMode::Max => "frame binning: max (a single hot pixel stays visible)",
        };
        self.notify(Notice::info(text));
    }

    /// Cycles the colormap (`c`) or the contrast mode (`C`).
    pub(super) fn cycle_look(&mut self, colormap: bool) {
        if let Some(o) = self.open.as_mut() {
            if colormap {
                o.frame.colormap = o.frame.colormap.next();
            } else {
                o.frame.contrast = o.frame.contrast.next();
                o.frame.measure();
            }
        }
    }
}

/// The frame's size (rows, columns) as read, or (0, 0).
fn image_size(s: &AppState) -> (u64, u64) {
    s.open
        .as_ref()
        .and_then(|o| o.frame.image.as_ref())
        .map(|f| (f.height() as u64, f.width() as u64))
        .unwrap_or((0, 0))
}

/// Keys of the Frame view (frame steps work from any pane while an array is open).
pub(super) fn on_command(s: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    let cur = s.open.as_ref().map(|o| o.frame.index as i64).unwrap_or(0);
    if s.open_window().is_some() {
        return on_window_command(s, cmd, fx);
    }
    match cmd {
        Command::Follow => s.toggle_follow(fx),
        Command::FrameNext => s.goto_frame(cur + 1, fx),
        Command::FramePrev => s.goto_frame(cur - 1, fx),
        Command::FrameFirst => s.goto_frame(0, fx),
        Command::FrameLast => s.goto_frame(i64::MAX / 2, fx),
        Command::Colormap => s.cycle_look(true),
        Command::Contrast => s.cycle_look(false),
        Command::Binning => s.toggle_binning(),
        Command::ZoomIn | Command::ZoomOut => zoom(s, cmd == Command::ZoomIn),
        Command::Up | Command::Down | Command::Left | Command::Right => move_cursor(s, cmd),
        Command::PageUp => s.goto_frame(cur - 10, fx),
        Command::PageDown => s.goto_frame(cur + 10, fx),
        Command::Top => s.goto_frame(0, fx),
        Command::Bottom => s.goto_frame(i64::MAX / 2, fx),
        Command::Open => {
            // Enter: back to the whole frame.
            if let Some(o) = s.open.as_mut() {
                (o.frame.zoom, o.frame.pan) = (0, (0, 0));
            }
        }
        _ => s.dirty = false,
    }
}

fn zoom(s: &mut AppState, inwards: bool) {
    let (h, w) = image_size(s);
    let Some(o) = s.open.as_mut() else { return };
    let f = &mut o.frame;
    let before = f.zoom;
    f.zoom = if inwards {
        (f.zoom + 1).min(MAX_ZOOM)
    } else {
        f.zoom.saturating_sub(1)
    };
    // Zoom about the cursor (or the centre): the window keeps it in view.
    let (cy, cx) = f.cursor.unwrap_or((h / 2, w / 2));
    let (vh, vw) = (h >> f.zoom, w >> f.zoom);
    f.pan = (
        cy.saturating_sub(vh / 2).min(h.saturating_sub(vh.max(1))),
        cx.saturating_sub(vw / 2).min(w.saturating_sub(vw.max(1))),
    );
    if f.zoom == 0 {
        f.pan = (0, 0);
    }
    s.dirty = before != s.open.as_ref().map(|o| o.frame.zoom).unwrap_or(0);
}

/// Moves the cursor a step (an eighth of what is shown, at least a pixel); the window pans
/// to keep it in view.
fn move_cursor(s: &mut AppState, cmd: Command) {
    let (h, w) = image_size(s);
    if h == 0 || w == 0 {
        s.dirty = false;
        return;
    }
    let Some(o) = s.open.as_mut() else { return };
    let f = &mut o.frame;
    let (vh, vw) = ((h >> f.zoom).max(1), (w >> f.zoom).max(1));
    let (sy, sx) = ((vh / 16).max(1), (vw / 16).max(1));
    let (mut y, mut x) = f.cursor.unwrap_or((f.pan.0 + vh / 2, f.pan.1 + vw / 2));
    match cmd {
        Command::Up => y = y.saturating_sub(sy),
        Command::Down => y = (y + sy).min(h - 1),
        Command::Left => x = x.saturating_sub(sx),
        Command::Right => x = (x + sx).min(w - 1),
        _ => {}
    }
    f.cursor = Some((y, x));
    if y < f.pan.0 {
        f.pan.0 = y;
    } else if y >= f.pan.0 + vh {
        f.pan.0 = y + 1 - vh;
    }
    if x < f.pan.1 {
        f.pan.1 = x;
    } else if x >= f.pan.1 + vw {
        f.pan.1 = x + 1 - vw;
    }
}

/// The commands of the Frame view (they work from any pane while an array is open).
pub(super) const COMMANDS: [Command; 8] = [
    Command::Follow,
    Command::FrameNext,
    Command::FramePrev,
    Command::FrameFirst,
    Command::FrameLast,
    Command::Colormap,
    Command::Contrast,
    Command::Binning,
];

/// Whether a Frame command applies now.
pub(super) fn applies(s: &AppState, cmd: Command) -> bool {
    let open = s.open.as_ref().filter(|o| o.info.is_some());
    let stack = s.open_info().is_some_and(|i| i.ndim() >= 2);
    match cmd {
        Command::Follow => open.is_some(),
        Command::FrameNext | Command::FramePrev | Command::FrameFirst | Command::FrameLast => stack,
        Command::Colormap | Command::Contrast | Command::Binning => stack,
        _ => true,
    }
}

/// The Frame pane's hint bar.
pub(super) fn commands(s: &AppState) -> Vec<CommandInfo> {
    let cursor = |c, label| CommandInfo {
        label,
        ..CommandInfo::mapped(c)
    };
    let mut v: Vec<CommandInfo> = [
        Command::Follow,
        Command::FramePrev,
        Command::FrameNext,
        Command::FrameFirst,
        Command::FrameLast,
        Command::Colormap,
        Command::Contrast,
        Command::Binning,
        Command::ZoomIn,
        Command::ZoomOut,
    ]
    .iter()
    .map(|&c| CommandInfo::mapped(c).enabled(applies(s, c)))
    .collect();
    if s.open_window().is_some() {
        // A 2-D array's steps move its window of rows, not a frame.
        for c in &mut v {
            c.label = match c.keys {
                Keys::Mapped(Command::FramePrev) => "½ window back",
                Keys::Mapped(Command::FrameNext) => "½ window on",
                Keys::Mapped(Command::FrameFirst) => "first rows",
                Keys::Mapped(Command::FrameLast) => "last rows",
                _ => c.label,
            };
        }
    }
    v.push(cursor(Command::Up, "cursor").help_only());
    v.push(cursor(Command::Down, "cursor").help_only());
    v.extend(
        [
            Command::NextPane,
            Command::Pause,
            Command::Help,
            Command::Quit,
        ]
        .map(CommandInfo::mapped),
    );
    v
}

#[cfg(test)]
#[path = "frame_view_tests.rs"]
mod tests;
