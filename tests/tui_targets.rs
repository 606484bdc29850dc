//! Writes act on the highlighted catalog row: on a group `d` deletes the group (after its name
//! is typed) and the array commands say they need an array, on a real local store.

mod common;

use std::sync::Arc;

use common::create_request;
use common::tui::{caps, drive as run, typed};
use crossterm::event::KeyCode;
use extent::app::action::Action;
use extent::app::commands::{current, Keys};
use extent::app::dialogs::DialogKind;
use extent::app::keymap::Command;
use extent::app::state::AppState;
use extent::backend::local::LocalBackend;
use extent::backend::{Backend, DType};

fn enabled(s: &AppState, cmd: Command) -> bool {
    current(s)
        .iter()
        .find(|c| c.keys == Keys::Mapped(cmd))
        .is_some_and(|c| c.enabled)
}

#[test]
fn writes_act_on_the_highlighted_row_and_d_deletes_a_group() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let b: Arc<dyn Backend> = Arc::new(LocalBackend::open_or_create(dir.path()).unwrap());
    for p in ["a", "exp/flags", "exp/sub/frames"] {
        rt.block_on(b.create(&create_request(p, &[4], &[2], DType::UInt8)))
            .unwrap();
    }
    let mut s = AppState::new("t", caps(true, true));
    run(&rt, &b, &mut s, Action::Resize(100, 30));
    let ready = Action::StoreReady {
        label: "t".into(),
        describe: "local:/t".into(),
        capabilities: caps(true, true),
    };
    run(&rt, &b, &mut s, ready);
    // `a` is open; then the cursor moves to the group `exp`.
    let row_of = |s: &AppState, p: &str| {
        (0..s.catalog.rows().len()).find(|&i| {
            let mut c = s.catalog.clone();
            c.move_to(i);
            c.selected_node().is_some_and(|n| n.entry.path == p)
        })
    };
    run(&rt, &b, &mut s, Action::Goto("a".into()));
    assert_eq!(s.open.as_ref().map(|o| o.path.as_str()), Some("a"));
    assert!(s.open_info().is_some());
    s.catalog.move_to(row_of(&s, "exp").expect("exp listed"));
    // Expand it so its arrays are counted.
    run(&rt, &b, &mut s, common::tui::key(KeyCode::Right));
    let mut fx = Vec::new();
    s.after_selection_change(&mut fx);
    assert!(!enabled(&s, Command::Patch), "patch is greyed on a group");
    assert!(!enabled(&s, Command::Resize), "resize is greyed on a group");
    assert!(enabled(&s, Command::Delete), "delete applies to a group");
    // `r` on a group says it needs an array, and opens nothing.
    run(&rt, &b, &mut s, common::tui::ch('r'));
    assert!(s.overlay.is_none());
    let said = s.status.as_ref().map(|st| st.notice.text.clone());
    assert!(
        said.as_deref()
            .is_some_and(|t| t.contains("'exp' is a group") && t.contains("needs an array")),
        "{said:?}"
    );
    // `d` deletes the group, not the open array.
    run(&rt, &b, &mut s, common::tui::ch('d'));
    let d = s.dialog().expect("a delete dialog");
    assert_eq!(d.kind, DialogKind::Delete);
    let g = d.group.clone().expect("the group is the target");
    // `exp/sub` is not listed yet: "at least 1 array".
    assert_eq!((g.path.as_str(), g.arrays, g.more), ("exp", 1, true));
    typed(&mut s, "exp");
    run(&rt, &b, &mut s, common::tui::key(KeyCode::Enter));
    assert!(s.overlay.is_none(), "the dialog closed");
    let left: Vec<String> = rt
        .block_on(b.list(""))
        .unwrap()
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(
        left,
        vec!["a".to_string()],
        "the group went, the array stayed"
    );
    assert_eq!(s.open.as_ref().map(|o| o.path.as_str()), Some("a"));
}
