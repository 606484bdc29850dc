//! Details a user of the TUI runs into: the Data pane after the axes change, the create dialog
//! checking what the store refuses as it is typed and naming the new array, the statistics of
//! values that are not finite, exact 64-bit integers, the chunk legend.

mod common;

use common::tui::{caps, ch, ctrl, key, preview_loaded, render, typed, with_array};
use crossterm::event::KeyCode;
use extent::app::dialogs::create;
use extent::backend::{ArrayInfo, Capabilities, DType};
use serde_json::json;

fn info(path: &str, shape: &[u64], chunks: &[u64], dtype: DType) -> ArrayInfo {
    ArrayInfo {
        path: path.into(),
        shape: shape.to_vec(),
        chunks: chunks.to_vec(),
        dtype,
        resizable: vec![true; shape.len()],
        fill_value: json!(0),
        metadata: json!({}),
    }
}

fn tiled_caps() -> Capabilities {
    Capabilities {
        can_shrink: false,
        lists_chunks: false,
        history_in_store: false,
        partial_chunks: false,
        empty_axes: false,
    }
}

#[test]
fn cycling_the_axes_starts_the_data_pane_at_the_origin_of_the_new_axes() {
    let a = info("stack", &[12, 64, 64], &[1, 32, 32], DType::UInt16);
    let mut s = with_array(caps(true, true), &a, 80, 24);
    s.update(key(KeyCode::BackTab)); // the Data pane
    for _ in 0..5 {
        s.update(key(KeyCode::Right));
    }
    let before = s.preview_selection().expect("window");
    let col = s.open.as_ref().map(|o| o.axes.col_axis).unwrap_or(0);
    assert_eq!(before.start[col], 5, "{before:?}");
    s.update(ch('a'));
    let o = s.open.as_ref().expect("open");
    let after = s.preview_selection().expect("window");
    let (r, c) = (o.axes.row_axis.unwrap_or(0), o.axes.col_axis);
    assert_eq!((after.start[r], after.start[c]), (0, 0), "{after:?}");
    // The axis no longer shown keeps a slice inside the array, and the grid shows its chunk.
    let i = o.info.as_ref().expect("info");
    for a in o.axes.others() {
        assert!(after.start[a] < i.shape[a], "{after:?}");
        assert_eq!(o.axes.fixed[a], after.start[a] / i.chunks[a]);
    }
}

#[test]
fn the_create_dialog_refuses_what_tiled_refuses_as_it_is_typed() {
    let a = info("a", &[4, 4], &[2, 2], DType::Float64);
    let mut s = with_array(tiled_caps(), &a, 100, 30);
    s.update(ch('n'));
    s.update(key(KeyCode::Tab)); // shape
    s.update(ctrl('u'));
    typed(&mut s, "0,512");
    let plan = s.dialog().map(|d| d.plan.clone()).expect("a dialog");
    let err = plan.err().unwrap_or_default();
    assert!(err.contains("zero-length axis"), "{err}");
    // A shape that is not a whole number of chunks is refused too.
    s.update(ctrl('u'));
    typed(&mut s, "15,100");
    let err = s
        .dialog()
        .and_then(|d| d.plan.clone().err())
        .unwrap_or_default();
    assert!(err.contains("whole number of chunks"), "{err}");
    // A local store takes both.
    let mut s = with_array(caps(true, true), &a, 100, 30);
    s.update(ch('n'));
    s.update(key(KeyCode::Tab));
    s.update(ctrl('u'));
    typed(&mut s, "0,512");
    assert!(s.dialog().is_some_and(|d| d.plan.is_ok()));
}

#[test]
fn the_create_dialog_is_titled_with_the_new_array_not_the_open_one() {
    let a = info("runs/old", &[4, 4], &[2, 2], DType::Float64);
    let mut s = with_array(caps(true, true), &a, 100, 30);
    s.update(ch('n'));
    assert_eq!(
        s.dialog()
            .and_then(|d| d.field(create::PATH))
            .map(|f| f.text.clone()),
        Some("new_array".into())
    );
    s.update(ctrl('u'));
    typed(&mut s, "runs/fresh");
    let screen = render(&s);
    assert!(screen.contains("New array runs/fresh"), "{screen}");
    assert!(!screen.contains("New array runs/old"), "{screen}");
}

#[test]
fn statistics_count_values_that_are_not_finite() {
    let a = info("f", &[6], &[6], DType::Float64);
    let mut s = with_array(caps(true, true), &a, 100, 30);
    s.update(key(KeyCode::BackTab));
    let vals = [1.0, f64::INFINITY, 3.0, f64::NAN, -f64::INFINITY, 5.0];
    preview_loaded(&mut s, |i| vals[i as usize].to_le_bytes().to_vec());
    let screen = render(&s);
    assert!(screen.contains("(6 shown, 3 non-finite)"), "{screen}");
    assert!(screen.contains("min 1  max 5  mean 3"), "{screen}");
}

#[test]
fn sixty_four_bit_integers_are_shown_exactly() {
    let a = info("t", &[2, 3], &[2, 3], DType::Int64);
    let mut s = with_array(caps(true, true), &a, 100, 30);
    s.update(key(KeyCode::BackTab));
    let big = (1i64 << 53) + 1;
    preview_loaded(&mut s, |i| (big + i as i64).to_le_bytes().to_vec());
    let screen = render(&s);
    assert!(screen.contains("9007199254740993"), "{screen}");
    assert!(screen.contains("9007199254740996"), "{screen}");
    assert!(
        screen.contains("min 9007199254740993  max 9007199254740996"),
        "{screen}"
    );
}

#[test]
fn the_legend_shows_every_partial_glyph() {
    let a = info("g", &[8, 8], &[2, 2], DType::UInt8);
    let s = with_array(caps(true, true), &a, 100, 30);
    let screen = render(&s);
    assert!(screen.contains("░▒▓ partly"), "{screen}");
}
