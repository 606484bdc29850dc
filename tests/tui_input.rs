//! Input handling through `update()`: mouse, cancel writes nothing, confirmation gates writes,
//! live events and polling ask for the right work.

mod common;

use common::tui::{array_entry, caps, connected, group_entry, key, mouse, page_loaded};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEventKind};
use extent::app::action::{Action, Effect, JobResult, Loaded};
use extent::app::state::AppState;
use extent::backend::{ArrayInfo, DType, EventKind, Page};
use serde_json::json;

fn info(path: &str) -> ArrayInfo {
    ArrayInfo {
        path: path.into(),
        shape: vec![10, 4],
        chunks: vec![5, 2],
        dtype: DType::Float64,
        resizable: vec![true, false],
        fill_value: json!(0.0),
        metadata: json!({}),
    }
}

/// Arrays a, b, c on a store that cannot shrink.
fn state() -> AppState {
    let mut s = connected("t", "local:/t", caps(false, true), 80, 24);
    let entries = ["a", "b", "c"]
        .iter()
        .map(|n| array_entry(n, &[10, 4], DType::Float64))
        .collect();
    page_loaded(&mut s, "", entries);
    s
}

#[test]
fn click_selects_and_opens_wheel_scrolls() {
    let mut s = state();
    // Row 2 of the screen is the catalog's second list row ("b").
    let fx = s.update(mouse(MouseEventKind::Down(MouseButton::Left), 3, 3));
    assert_eq!(
        s.catalog.selected_node().map(|n| n.entry.path.as_str()),
        Some("b")
    );
    assert!(fx.contains(&Effect::Show { path: "b".into() }));
    s.update(mouse(MouseEventKind::ScrollDown, 3, 5));
    assert_eq!(
        s.catalog.selected_node().map(|n| n.entry.path.as_str()),
        Some("c")
    );
    s.update(mouse(MouseEventKind::ScrollUp, 3, 5));
    assert_eq!(
        s.catalog.selected_node().map(|n| n.entry.path.as_str()),
        Some("a")
    );
}

#[test]
fn writes_need_confirmation_and_esc_writes_nothing() {
    let mut s = state();
    let mut fx = Vec::new();
    s.after_selection_change(&mut fx);
    s.update(JobResult::InfoLoaded(Loaded {
        path: "a".into(),
        result: Ok(info("a")),
    }));
    // Extend: Enter shows the preview, n goes back, Esc cancels: no write.
    let mut all = Vec::new();
    for a in [
        Action::Key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)),
        key(KeyCode::Enter),
        Action::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE)),
        key(KeyCode::Esc),
    ] {
        all.extend(s.update(a));
    }
    assert!(!all.iter().any(|e| matches!(e, Effect::Run(_))), "{all:?}");
    assert!(s.overlay.is_none());
    // Shrinking on a store that cannot shrink is refused in the dialog.
    s.update(Action::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::NONE,
    )));
    s.update(Action::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    for c in "5,4".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    let plan = s.dialog().map(|d| d.plan.clone());
    let err = plan.and_then(|p| p.err()).unwrap_or_default();
    assert!(err.contains("cannot shrink"), "{err}");
    let fx = s.update(key(KeyCode::Enter));
    assert!(fx.is_empty());
    // Growing is fine: Enter, then y starts the write.
    s.update(Action::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    for c in "20,4".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    s.update(key(KeyCode::Enter));
    let fx = s.update(key(KeyCode::Char('y')));
    assert!(matches!(fx.as_slice(), [Effect::Run(_)]), "{fx:?}");
}

#[test]
fn live_events_and_polling_ask_for_fresh_state() {
    let mut s = state();
    let mut fx = Vec::new();
    s.after_selection_change(&mut fx);
    s.update(JobResult::InfoLoaded(Loaded {
        path: "a".into(),
        result: Ok(info("a")),
    }));
    let fx = s.update(Action::Poll);
    assert!(fx.contains(&Effect::Show { path: "a".into() }));
    let fx = s.update(Action::BackendEvent {
        path: "a".into(),
        event: EventKind::ShapeChanged {
            old: vec![10, 4],
            new: vec![12, 4],
        },
    });
    assert!(fx.contains(&Effect::History { path: "a".into() }));
    assert_eq!(
        s.catalog
            .selected_node()
            .and_then(|n| n.entry.shape.clone()),
        Some(vec![12, 4])
    );
    s.update(Action::BackendEvent {
        path: "a".into(),
        event: EventKind::ChunksWritten {
            offset: vec![0, 0],
            shape: vec![6, 4],
        },
    });
    assert_eq!(s.open.as_ref().map(|o| o.changed.len()), Some(4));
    // Paused: polling asks for nothing.
    s.update(key(KeyCode::Char(' ')));
    assert!(s.update(Action::Poll).is_empty());
    // Paused, even a deletion waits; resuming applies it.
    s.update(Action::BackendEvent {
        path: "a".into(),
        event: EventKind::Deleted,
    });
    assert!(s.open.is_some());
    s.update(key(KeyCode::Char(' ')));
    assert!(s.open.is_none());
}

#[test]
fn palette_goto_and_unknown_command() {
    let mut s = state();
    s.update(key(KeyCode::Char(':')));
    for c in "goto c".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    let fx = s.update(key(KeyCode::Enter));
    assert_eq!(
        s.catalog.selected_node().map(|n| n.entry.path.as_str()),
        Some("c")
    );
    assert!(fx.contains(&Effect::Show { path: "c".into() }));
    s.update(key(KeyCode::Char(':')));
    for c in "frobnicate".chars() {
        s.update(key(KeyCode::Char(c)));
    }
    s.update(key(KeyCode::Enter));
    assert!(
        matches!(&s.overlay, Some(extent::app::state::Overlay::Palette(p)) if p.error.is_some())
    );
}

/// `goto` a run (a group) that is not loaded yet: the way is loaded and the run described, not
/// opened as an array (which said "is a group, not an array").
#[test]
fn goto_a_group_not_loaded_yet_describes_it_instead_of_opening_it() {
    let mut s = connected("t", "tiled:http://h:1/", caps(false, true), 100, 30);
    page_loaded(&mut s, "", vec![group_entry("runs")]);
    let fx = s.update(Action::Goto("runs/run-0010".into()));
    assert!(
        fx.contains(&Effect::LoadPage {
            parent: "runs".into(),
            offset: 0
        }),
        "{fx:?}"
    );
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Show { .. })),
        "{fx:?}"
    );
    let fx = s.update(JobResult::PageLoaded {
        parent: "runs".into(),
        offset: 0,
        result: Ok(Page {
            entries: vec![group_entry("runs/run-0009"), group_entry("runs/run-0010")],
            total: Some(2),
        }),
    });
    assert_eq!(
        s.catalog.selected_node().map(|n| n.entry.path.as_str()),
        Some("runs/run-0010")
    );
    assert!(s.open.is_none(), "a group was opened as an array");
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Show { .. })),
        "{fx:?}"
    );
    assert!(s
        .status
        .as_ref()
        .is_none_or(|st| !st.notice.text.contains("not an array")));
    // A path that is not there still says so.
    let fx = s.update(Action::Goto("runs/run-9999".into()));
    assert!(fx.contains(&Effect::Show {
        path: "runs/run-9999".into()
    }));
}

#[test]
fn palette_words_run_the_same_commands_as_keys() {
    let status = |s: &AppState| s.status.as_ref().map(|st| st.notice.text.clone());
    let palette = |s: &mut AppState, text: &str| {
        s.update(key(KeyCode::Char(':')));
        for c in text.chars() {
            s.update(key(KeyCode::Char(c)));
        }
        s.update(key(KeyCode::Enter))
    };
    // Nothing open: `p` and `:patch` refuse alike.
    let mut s = state();
    s.update(key(KeyCode::Char('p')));
    let by_key = status(&s);
    assert!(s.overlay.is_none());
    s.status = None;
    palette(&mut s, "patch");
    assert!(s.overlay.is_none());
    assert_eq!(status(&s), by_key);
    // An array open: `:extend` opens the dialog `e` opens.
    let mut fx = Vec::new();
    s.after_selection_change(&mut fx);
    s.update(JobResult::InfoLoaded(Loaded {
        path: "a".into(),
        result: Ok(info("a")),
    }));
    palette(&mut s, "extend");
    assert_eq!(
        s.dialog().map(|d| d.kind),
        Some(extent::app::dialogs::DialogKind::Extend)
    );
    s.update(key(KeyCode::Esc));
    // Aliases and arguments: `rm` is delete, `filter TEXT` filters at once.
    palette(&mut s, "rm");
    assert_eq!(
        s.dialog().map(|d| d.kind),
        Some(extent::app::dialogs::DialogKind::Delete)
    );
    s.update(key(KeyCode::Esc));
    palette(&mut s, "filter c");
    assert_eq!(s.catalog.filter(), "c");
}

#[test]
fn ctrl_c_closes_a_dialog_first_then_quits() {
    let mut s = state();
    let mut fx = Vec::new();
    s.after_selection_change(&mut fx);
    s.update(JobResult::InfoLoaded(Loaded {
        path: "a".into(),
        result: Ok(info("a")),
    }));
    s.update(key(KeyCode::Char('p')));
    assert!(s.dialog().is_some());
    let fx = s.update(common::tui::ctrl('c'));
    assert!(s.overlay.is_none() && !s.quit && fx.is_empty(), "{fx:?}");
    s.update(key(KeyCode::Char('?')));
    s.update(common::tui::ctrl('c'));
    assert!(s.overlay.is_none() && !s.quit);
    assert_eq!(s.update(common::tui::ctrl('c')), vec![Effect::Quit]);
}
