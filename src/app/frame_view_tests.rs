//! Follow mode and the frame requests, on `AppState::update` alone.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::action::{Action, JobResult, Loaded};
use super::*;
use crate::backend::{ArrayData, ArrayInfo, Capabilities, DType, EventKind, NodeEntry, NodeKind};

fn caps() -> Capabilities {
    Capabilities {
        can_shrink: false,
        lists_chunks: true,
        history_in_store: true,
        partial_chunks: true,
        empty_axes: true,
    }
}

fn info(path: &str, shape: &[u64]) -> ArrayInfo {
    let mut chunks = shape.to_vec();
    chunks[0] = 1;
    ArrayInfo {
        path: path.into(),
        shape: shape.to_vec(),
        chunks,
        dtype: DType::UInt16,
        resizable: vec![true; shape.len()],
        fill_value: 0.into(),
        metadata: serde_json::json!({}),
    }
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn frame_reads(fx: &[Effect]) -> Vec<Vec<u64>> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::ReadFrame { selection, .. } => Some(selection.start.clone()),
            _ => None,
        })
        .collect()
}

/// A 160x48 screen with `a` ([4, 8, 8]) and `b` listed, `a` open with the Frame pane shown.
fn state() -> AppState {
    let mut s = AppState::new("t", caps());
    s.update(Action::Resize(160, 48));
    let entries = ["a", "b"]
        .iter()
        .map(|n| NodeEntry {
            path: n.to_string(),
            kind: NodeKind::Array,
            shape: Some(vec![4, 8, 8]),
            dtype: Some(DType::UInt16),
            specs: Vec::new(),
        })
        .collect();
    s.update(JobResult::PageLoaded {
        parent: String::new(),
        offset: 0,
        result: Ok(crate::backend::Page {
            entries,
            total: Some(2),
        }),
    });
    s.update(key('A'));
    // Tab order: … History, Frame, Activity, Data: one back from Activity is the Frame pane.
    s.update(Action::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!((s.focus, s.right_tab), (Pane::Frame, Pane::Frame));
    let fx = s.update(JobResult::InfoLoaded(Loaded {
        path: "a".into(),
        result: Ok(info("a", &[4, 8, 8])),
    }));
    assert_eq!(frame_reads(&fx), vec![vec![0, 0, 0]], "{fx:?}");
    s
}

fn written(s: &mut AppState, frame: u64) -> Vec<Effect> {
    let mut fx = s.update(Action::BackendEvent {
        path: "a".into(),
        event: EventKind::ChunksWritten {
            offset: vec![frame, 0, 0],
            shape: vec![1, 8, 8],
        },
    });
    let len = s.open_info().map(|i| i.shape[0]).unwrap_or(0);
    if frame >= len {
        fx.extend(s.update(Action::BackendEvent {
            path: "a".into(),
            event: EventKind::ShapeChanged {
                old: vec![len, 8, 8],
                new: vec![frame + 1, 8, 8],
            },
        }));
    }
    fx
}

#[test]
fn follow_pins_every_pane_to_the_newest_frame_and_a_manual_move_leaves_it() {
    let mut s = state();
    assert_eq!(s.open.as_ref().unwrap().frame.follow, Follow::Off);
    s.update(key('F'));
    assert_eq!(
        s.open.as_ref().unwrap().frame.index,
        3,
        "pinned to the last"
    );
    let fx = written(&mut s, 4);
    let o = s.open.as_ref().unwrap();
    assert_eq!(o.frame.index, 4);
    assert!(frame_reads(&fx).contains(&vec![4, 0, 0]), "{fx:?}");
    // The Data pane's window ends at the newest row.
    let sel = s.preview_selection().unwrap();
    assert_eq!(sel.end[0], 5, "{sel:?}");
    // Out of order: the newest written frame is shown, even below the last.
    written(&mut s, 9);
    written(&mut s, 7);
    assert_eq!(s.open.as_ref().unwrap().frame.index, 7);
    assert!(s.frame_title().contains("frame 7 · 10 frames"));
    // A step by hand leaves follow, and the title says so.
    s.update(key(','));
    let f = &s.open.as_ref().unwrap().frame;
    assert_eq!((f.index, f.follow), (6, Follow::Left));
    written(&mut s, 10);
    assert_eq!(s.open.as_ref().unwrap().frame.index, 6, "no longer follows");
    assert!(s.frame_title().contains("not following"));
}

#[test]
fn opening_an_array_turns_follow_off_and_only_the_current_read_is_kept() {
    let mut s = state();
    s.update(key('F'));
    let sel = s.open.as_ref().unwrap().frame.selection.clone().unwrap();
    // A write elsewhere in the frame shown reads it again.
    let fx = s.update(Action::BackendEvent {
        path: "a".into(),
        event: EventKind::ChunksWritten {
            offset: vec![3, 0, 0],
            shape: vec![1, 2, 2],
        },
    });
    assert_eq!(frame_reads(&fx), vec![vec![3, 0, 0]], "{fx:?}");
    // An answer for another region is dropped; the current one is measured.
    let data = |start: u64| ArrayData {
        dtype: DType::UInt16,
        shape: vec![1, 8, 8],
        bytes: (0..64u16)
            .flat_map(|v| (v + start as u16).to_le_bytes())
            .collect(),
    };
    let frame = |start: u64| {
        Ok(Arc::new(
            Frame::from_data(&data(start), vec![start], [0, 0]).unwrap(),
        ))
    };
    let mut old = sel.clone();
    old.start[0] = 1;
    old.end[0] = 2;
    s.update(JobResult::FrameLoaded {
        path: "a".into(),
        selection: old,
        result: frame(1),
    });
    assert!(s.open.as_ref().unwrap().frame.image.is_none());
    s.update(JobResult::FrameLoaded {
        path: "a".into(),
        selection: sel,
        result: frame(3),
    });
    let f = &s.open.as_ref().unwrap().frame;
    assert_eq!(f.stats.as_ref().and_then(|st| st.max), Some(66.0));
    assert!(f.limits.is_some());
    s.update(key('j'));
    s.update(key('j'));
    assert!(s.open.as_ref().unwrap().frame.cursor.is_some());
    // Another array opens with follow off.
    s.goto("b", &mut Vec::new());
    assert_eq!(s.open.as_ref().unwrap().path, "b");
    assert_eq!(s.open.as_ref().unwrap().frame.follow, Follow::Off);
}

#[test]
fn follow_needs_an_array_and_a_two_d_array_shows_a_window_of_rows() {
    let mut s = AppState::new("t", caps());
    s.update(Action::Resize(80, 24));
    s.update(key('F'));
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .notice
        .text
        .contains("needs an open array"));
    let mut s = state();
    s.goto("b", &mut Vec::new());
    let fx = s.update(JobResult::InfoLoaded(Loaded {
        path: "b".into(),
        result: Ok(info("b", &[1000, 64])),
    }));
    let reads: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::ReadFrame { selection, .. } => Some(selection.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(reads.len(), 1, "{fx:?}");
    assert_eq!(reads[0].start, vec![0, 0]);
    // Every column (64 are fewer than the pane's), and rows in the pane's aspect.
    let (ph, pw) = pane_pixels(&s);
    let rows = ph * 64 / pw;
    assert_eq!(reads[0].end, vec![rows, 64], "{:?}", pane_pixels(&s));
    assert!(rows > 10 && rows < 100, "a pane's worth of rows: {rows}");
    s.update(key('F'));
    let sel = s.frame_selection().unwrap().unwrap();
    assert_eq!(sel.end[0], 1000, "following shows the newest rows: {sel:?}");
}

/// `s` with 2-D array `b` of `shape` open and its first frame read asked for.
fn open_2d(shape: &[u64]) -> (AppState, Selection) {
    let mut s = state();
    s.goto("b", &mut Vec::new());
    super::super::focus::set_focus(&mut s, Pane::Frame);
    let fx = s.update(JobResult::InfoLoaded(Loaded {
        path: "b".into(),
        result: Ok(info("b", shape)),
    }));
    let sel = last_read(&fx).expect("a read of the window");
    (s, sel)
}

fn last_read(fx: &[Effect]) -> Option<Selection> {
    fx.iter().rev().find_map(|e| match e {
        Effect::ReadFrame { selection, .. } => Some(selection.clone()),
        _ => None,
    })
}

#[test]
fn a_wide_two_d_array_shows_a_window_of_the_panes_aspect_and_pans_along_its_columns() {
    let (mut s, sel) = open_2d(&[64, 20_000]);
    let (ph, pw) = pane_pixels(&s);
    // Every row; columns in the pane's aspect (64 rows fill the pane's height at 64/ph
    // elements a pixel), not all 20 000 squeezed into a strip.
    let cols = (pw * 64 / ph).max(pw / 4);
    assert_eq!((sel.start, sel.end), (vec![0, 0], vec![64, cols]));
    assert!(cols < 400, "{cols}");
    let title = s.frame_title();
    let want = format!("rows 0–63 of 64 · columns 0–{} of 20 000", cols - 1);
    assert!(title.contains(&want), "{title} (wanted {want})");
    // `.` moves half a window along the long axis, `>` to its end, `<` back.
    let half = (cols as f64 / 2.0).round() as u64;
    let sel = last_read(&s.update(key('.'))).unwrap();
    assert_eq!((sel.start[1], sel.end[1]), (half, half + cols));
    let sel = last_read(&s.update(key('>'))).unwrap();
    assert_eq!((sel.start[1], sel.end[1]), (20_000 - cols, 20_000));
    assert!(
        s.frame_title().contains("–19 999 of 20 000"),
        "{}",
        s.frame_title()
    );
    let sel = last_read(&s.update(key('<'))).unwrap();
    assert_eq!(sel.start[1], 0);
    // Zoom in: half the window each way, about its centre; Enter: the widest again.
    let sel = last_read(&s.update(key('+'))).unwrap();
    let (zr, zc) = super::super::frame_window::window_size(64, 20_000, (ph, pw), 1);
    assert!(zr * zc < 64 * cols, "{zr} × {zc}");
    assert_eq!(
        sel.end,
        vec![sel.start[0] + zr, sel.start[1] + zc],
        "{sel:?}"
    );
    assert_eq!(sel.start, vec![32 - zr / 2, cols / 2 - zc / 2]);
    assert!(s.frame_title().contains("zoom 2x"));
    let sel = last_read(&s.update(Action::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    ))))
    .unwrap();
    assert_eq!((sel.start, sel.end), (vec![0, 0], vec![64, cols]));
    // The cursor walks to the window's right edge, then moves the window.
    let mut moved_to = None;
    for _ in 0..40 {
        if let Some(sel) = last_read(&s.update(key('l'))) {
            moved_to = Some(sel);
            break;
        }
    }
    let sel = moved_to.expect("the window moves with the cursor");
    assert!(
        sel.start[1] > 0 && sel.end[1] - sel.start[1] == cols,
        "{sel:?}"
    );
    let (y, x) = s.open.as_ref().unwrap().frame.cursor.unwrap();
    assert_eq!(
        x,
        cols - 1,
        "the cursor stays on the window's edge ({y}, {x})"
    );
}

#[test]
fn a_long_waterfall_reads_only_its_window_and_follows_its_newest_rows() {
    let (mut s, sel) = open_2d(&[100_000, 2048]);
    let (ph, pw) = pane_pixels(&s);
    let rows = ph * 2048 / pw;
    assert_eq!((sel.start, sel.end), (vec![0, 0], vec![rows, 2048]));
    s.update(key('F'));
    let sel = s.open.as_ref().unwrap().frame.selection.clone().unwrap();
    assert_eq!((sel.start[0], sel.end[0]), (100_000 - rows, 100_000));
    let title = s.frame_title();
    let want = format!(
        "rows {}–99 999 of 100 000",
        super::super::frame_window::fmt_count(100_000 - rows)
    );
    assert!(title.contains(&want), "{title} (wanted {want})");
    assert!(!title.contains("columns"), "every column is shown: {title}");
    // The writer appends 500 rows: the window ends at the newest.
    let fx = s.update(Action::BackendEvent {
        path: "b".into(),
        event: EventKind::ShapeChanged {
            old: vec![100_000, 2048],
            new: vec![100_500, 2048],
        },
    });
    let sel = last_read(&fx).expect("the newest rows read");
    assert_eq!((sel.start[0], sel.end[0]), (100_500 - rows, 100_500));
    // Maximised, the window is larger and still ends at the newest row.
    let fx = s.update(key('z'));
    let sel = last_read(&fx).expect("the larger window read");
    assert!(sel.end[0] - sel.start[0] > rows, "{sel:?}");
    assert_eq!(sel.end[0], 100_500);
    let fx = s.update(key('z'));
    let rows = last_read(&fx).map(|sel| sel.end[0] - sel.start[0]).unwrap();
    // A page back leaves follow.
    let sel = last_read(&s.update(Action::Key(KeyEvent::new(
        KeyCode::PageUp,
        KeyModifiers::NONE,
    ))))
    .unwrap();
    assert_eq!(sel.end[0], 100_500 - rows);
    assert!(s.frame_title().contains("not following"));
}

#[test]
fn b_bins_by_max_and_the_title_says_so() {
    let mut s = state();
    assert!(!s.frame_title().contains("bin max"));
    s.update(key('b'));
    assert_eq!(s.open.as_ref().unwrap().frame.bin, BinMode::Max);
    assert!(s.frame_title().contains("bin max"), "{}", s.frame_title());
    assert!(s.status.as_ref().unwrap().notice.text.contains("max"));
    s.update(key('b'));
    assert_eq!(s.open.as_ref().unwrap().frame.bin, BinMode::Mean);
    assert!(!s.frame_title().contains("bin max"));
    // The hint bar and the palette know it.
    let hints = commands(&s);
    assert!(hints.iter().any(|c| c.label == "binning" && c.enabled));
    assert!(super::super::commands::PALETTE
        .iter()
        .any(|w| w.name == "binning"));
}

#[test]
fn one_look_at_the_store_reads_the_followed_frame_once_and_a_chunk_past_the_end_moves_nothing() {
    let mut s = state();
    s.update(key('F'));
    let grown = |n: u64| Action::BackendEvent {
        path: "a".into(),
        event: EventKind::ShapeChanged {
            old: vec![n - 1, 8, 8],
            new: vec![n, 8, 8],
        },
    };
    let chunk = |i: u64, len: u64| Action::BackendEvent {
        path: "a".into(),
        event: EventKind::ChunksWritten {
            offset: vec![i, 0, 0],
            shape: vec![len, 8, 8],
        },
    };
    // The array grew over frame 4 and its chunk was listed in the same look: one read.
    let fx = s.update_batch([grown(5), chunk(4, 1)]);
    assert_eq!(frame_reads(&fx), vec![vec![4, 0, 0]], "{fx:?}");
    // Applied one at a time (as two bursts), the chunk event reads it again.
    let fx: Vec<Effect> = [grown(6), chunk(5, 1)]
        .into_iter()
        .flat_map(|a| s.update(a))
        .collect();
    assert_eq!(frame_reads(&fx), vec![vec![5, 0, 0], vec![5, 0, 0]]);
    // A writer that stores frame 6's chunk before growing the array: the chunk, listed past
    // the end, moves nothing; the growth then shows frame 6, read once.
    assert!(frame_reads(&s.update_batch([chunk(6, 0)])).is_empty());
    assert_eq!(
        frame_reads(&s.update_batch([grown(7)])),
        vec![vec![6, 0, 0]]
    );
    assert_eq!(s.open.as_ref().unwrap().frame.index, 6);
}

#[test]
fn an_empty_two_d_array_asks_for_nothing_and_keys_do_not_panic() {
    let (mut s, sel) = open_2d(&[0, 2048]);
    assert_eq!((sel.start, sel.end), (vec![0, 0], vec![0, 0]));
    assert!(
        s.frame_title().contains("rows none of 0"),
        "{}",
        s.frame_title()
    );
    for c in ['F', '.', ',', '>', '<', '+', '-', 'l', 'j', 'b'] {
        s.update(key(c));
    }
    assert_eq!(s.frame_selection().unwrap().unwrap().end, vec![0, 0]);
}
