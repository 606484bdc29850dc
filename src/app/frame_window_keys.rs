//! The Frame view's keys on a 2-D array (a waterfall): steps, pages and ends move the window
//! along the long axis; zoom and the cursor change the window, which is read again.

use super::action::Effect;
use super::frame_view::{pane_pixels, MAX_ZOOM};
use super::frame_window::{moved, window_size};
use super::keymap::Command;
use super::state::AppState;

/// Keys of the Frame view on a 2-D array: steps, pages and ends move the window along the
/// long axis; zoom and the cursor change the window read.
pub(super) fn on_window_command(s: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    match cmd {
        Command::Follow => s.toggle_follow(fx),
        Command::FrameNext => s.pan_window(0.5, None, fx),
        Command::FramePrev => s.pan_window(-0.5, None, fx),
        Command::PageDown => s.pan_window(1.0, None, fx),
        Command::PageUp => s.pan_window(-1.0, None, fx),
        Command::FrameFirst | Command::Top => s.pan_window(0.0, Some(false), fx),
        Command::FrameLast | Command::Bottom => s.pan_window(0.0, Some(true), fx),
        Command::Colormap => s.cycle_look(true),
        Command::Contrast => s.cycle_look(false),
        Command::Binning => s.toggle_binning(),
        Command::ZoomIn | Command::ZoomOut => zoom_window(s, cmd == Command::ZoomIn, fx),
        Command::Up | Command::Down | Command::Left | Command::Right => {
            move_window_cursor(s, cmd, fx)
        }
        Command::Open => {
            // Enter: back to the widest window, about the same centre.
            if s.open.as_ref().is_some_and(|o| o.frame.zoom > 0) {
                zoom_window_to(s, 0, fx);
            } else {
                s.dirty = false;
            }
        }
        _ => s.dirty = false,
    }
}

/// Zooms a 2-D array's window a step in or out.
fn zoom_window(s: &mut AppState, inwards: bool, fx: &mut Vec<Effect>) {
    let Some(z) = s.open.as_ref().map(|o| o.frame.zoom) else {
        return;
    };
    let to = if inwards {
        (z + 1).min(MAX_ZOOM)
    } else {
        z.saturating_sub(1)
    };
    if to == z {
        s.dirty = false;
        return;
    }
    zoom_window_to(s, to, fx);
}

/// Sets a 2-D array's window's zoom, keeping the element under the cursor (or the window's
/// centre) where it was, and reads the new window.
fn zoom_window_to(s: &mut AppState, to: u32, fx: &mut Vec<Effect>) {
    let (Some((r0, rows, c0, cols)), Some(info)) = (s.open_window(), s.open_info().cloned()) else {
        return;
    };
    let (h, w) = (info.shape[0], info.shape[1]);
    let (nr, nc) = window_size(h, w, pane_pixels(s), to);
    let Some(o) = s.open.as_mut() else { return };
    let f = &mut o.frame;
    // The element kept in place, in array coordinates.
    let (ay, ax) = match f.cursor {
        Some((y, x)) => (
            r0 + y.min(rows.saturating_sub(1)),
            c0 + x.min(cols.saturating_sub(1)),
        ),
        None => (r0 + rows / 2, c0 + cols / 2),
    };
    f.zoom = to;
    f.index = moved(ay, -((nr / 2) as i64), nr, h);
    f.column = moved(ax, -((nc / 2) as i64), nc, w);
    if let Some(c) = f.cursor.as_mut() {
        *c = (ay - f.index, ax - f.column);
    }
    s.request_frame(fx, false);
}

/// Moves the cursor of a 2-D array's window a step (a sixteenth of the window, at least an
/// element); past the window's edge the window moves (leaving follow) and is read again.
fn move_window_cursor(s: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    let (Some((r0, rows, c0, cols)), Some(info)) = (s.open_window(), s.open_info().cloned()) else {
        return;
    };
    if rows == 0 || cols == 0 {
        s.dirty = false;
        return;
    }
    let (h, w) = (info.shape[0], info.shape[1]);
    let Some(o) = s.open.as_mut() else { return };
    let f = &mut o.frame;
    let (sy, sx) = ((rows / 16).max(1), (cols / 16).max(1));
    let (y, x) = f.cursor.unwrap_or((rows / 2, cols / 2));
    // In array coordinates.
    let (mut ay, mut ax) = (r0 + y.min(rows - 1), c0 + x.min(cols - 1));
    match cmd {
        Command::Up => ay = ay.saturating_sub(sy),
        Command::Down => ay = (ay + sy).min(h - 1),
        Command::Left => ax = ax.saturating_sub(sx),
        Command::Right => ax = (ax + sx).min(w - 1),
        _ => {}
    }
    let (mut nr0, mut nc0) = (r0, c0);
    if ay < nr0 {
        nr0 = ay;
    } else if ay >= nr0 + rows {
        nr0 = ay + 1 - rows;
    }
    if ax < nc0 {
        nc0 = ax;
    } else if ax >= nc0 + cols {
        nc0 = ax + 1 - cols;
    }
    f.cursor = Some((ay - nr0, ax - nc0));
    if (nr0, nc0) != (r0, c0) {
        (f.index, f.column) = (nr0, nc0);
        f.leave_follow();
        s.request_frame(fx, false);
    }
}
