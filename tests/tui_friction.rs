//! What got in the way of people using the TUI: the message log and its detail, the hint bar
//! at 80 columns, times in the local zone, the metadata view, small terminals, the patch
//! dialog's extend default, text editing and path completion, the top bar's words, pane
//! numbers, maximising, and the CLI command of a dialog.

mod common;

use common::tui::{caps, ch, connected, ctrl, key, page_loaded, render, typed, with_array};
use crossterm::event::KeyCode;
use extent::app::action::{Action, CompleteTarget, Effect, JobResult, Loaded};
use extent::app::clock::Zone;
use extent::app::dialogs::patch;
use extent::app::layout::Pane;
use extent::app::state::Overlay;
use extent::backend::{ArrayInfo, Cause, DType, Error, Repair, StructureChange};
use serde_json::json;

fn frames() -> ArrayInfo {
    ArrayInfo {
        path: "detector/frames".into(),
        shape: vec![12, 64, 64],
        chunks: vec![1, 32, 32],
        dtype: DType::UInt16,
        resizable: vec![true, false, false],
        fill_value: json!(0),
        metadata: json!({"detector": "pilatus", "exposure": {"ms": 10, "mode": "gated"}}),
    }
}

#[test]
fn the_message_log_keeps_every_line_whole_with_the_detail_of_errors() {
    let mut s = with_array(caps(true, true), &frames(), 80, 24);
    let long = format!("write finished: {}", "x".repeat(150));
    s.update(Action::Notice(extent::app::notice::Notice::ok(
        long.clone(),
    )));
    // A failed re-read: logged with its cause and repair, the structure kept and marked stale.
    let e = Error::io("reading detector/frames")
        .with_source(std::io::Error::other("connection refused"))
        .with_repair(Repair::Show {
            path: "detector/frames".into(),
        });
    s.update(JobResult::InfoLoaded(Loaded {
        path: "detector/frames".into(),
        result: Err(e),
    }));
    let screen = render(&s);
    assert!(screen.contains("Structure · stale"), "{screen}");
    assert!(
        screen.contains("[12, 64, 64]"),
        "the last known shape stays:\n{screen}"
    );
    let unreachable = || Error::io("cannot reach the server");
    s.update(JobResult::ChunksLoaded(Loaded {
        path: "detector/frames".into(),
        result: Err(unreachable()),
    }));
    let screen = render(&s);
    assert!(screen.contains("48 of 48 chunks (stale)"), "{screen}");
    assert!(
        screen.contains("████"),
        "the last chunk map stays:\n{screen}"
    );
    s.update(JobResult::HistoryLoaded(Loaded {
        path: "detector/frames".into(),
        result: Err(unreachable()),
    }));
    s.update(key(KeyCode::Tab));
    s.update(key(KeyCode::Tab));
    let screen = render(&s);
    assert!(screen.contains("History (0) · stale"), "{screen}");
    s.update(key(KeyCode::Tab));
    s.update(key(KeyCode::Tab));
    s.update(ch('m'));
    assert!(matches!(s.overlay, Some(Overlay::Messages(_))));
    let screen = render(&s);
    // The long line is whole (wrapped), not cut.
    let joined: String = screen
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect();
    assert!(joined.contains(&"x".repeat(150)), "{screen}");
    assert!(
        joined.replace(' ', "").contains("connectionrefused"),
        "{screen}"
    );
    // Enter on the error row shows the chain and the repair steps (two rows above the newest).
    s.update(key(KeyCode::Up));
    s.update(key(KeyCode::Up));
    s.update(key(KeyCode::Enter));
    let screen = render(&s);
    assert!(screen.contains("What happened"), "{screen}");
    assert!(screen.contains("← connection refused"), "{screen}");
    assert!(screen.contains("To repair"), "{screen}");
    assert!(screen.contains("1. refresh (R)"), "{screen}");
    s.update(key(KeyCode::Esc));
    s.update(key(KeyCode::Esc));
    assert!(s.overlay.is_none());
    // The palette opens it too.
    s.update(ch(':'));
    typed(&mut s, "messages");
    s.update(key(KeyCode::Enter));
    assert!(matches!(s.overlay, Some(Overlay::Messages(_))));
}

#[test]
fn help_and_quit_stay_in_the_hint_bar_at_80_columns() {
    let mut s = with_array(caps(true, true), &frames(), 80, 24);
    for focus in 0..4 {
        let screen = render(&s);
        let bar = screen.lines().last().unwrap_or("").to_string();
        assert!(
            bar.contains("? help") && bar.contains("q quit"),
            "pane {focus}: {bar}"
        );
        s.update(key(KeyCode::Tab));
    }
    // With a long status line too.
    s.update(Action::Notice(extent::app::notice::Notice::error(
        "e".repeat(200),
    )));
    let screen = render(&s);
    let bar = screen.lines().last().unwrap_or("");
    assert!(bar.contains("? help") && bar.contains("q quit"), "{bar}");
}

#[test]
fn history_times_are_local_with_the_zone_or_utc() {
    let mut s = with_array(caps(true, true), &frames(), 160, 48);
    let entry = StructureChange {
        time: "2025-03-14T09:00:05.000Z".into(),
        actor: "".into(),
        cause: Cause::Observed,
        old_shape: Some(vec![8, 64, 64]),
        new_shape: Some(vec![12, 64, 64]),
    };
    s.update(JobResult::HistoryLoaded(Loaded {
        path: "detector/frames".into(),
        result: Ok(vec![entry]),
    }));
    let screen = render(&s);
    assert!(screen.contains("time (UTC)"), "{screen}");
    assert!(screen.contains("2025-03-14 09:00:05"), "{screen}");
    let tzif = std::fs::read("/usr/share/zoneinfo/Europe/Berlin")
        .expect("the system's zoneinfo (tzdata) for Europe/Berlin");
    s.zone = std::sync::Arc::new(Zone::from_tzif(&tzif).expect("a TZif file"));
    let screen = render(&s);
    assert!(screen.contains("time (CET)"), "{screen}");
    assert!(screen.contains("2025-03-14 10:00:05"), "{screen}");
    // Another client's change: observed, with no actor named.
    assert!(screen.contains("observed"), "{screen}");
}

#[test]
fn the_metadata_view_shows_the_whole_json_and_scrolls() {
    let mut s = with_array(caps(true, true), &frames(), 80, 12);
    s.update(ch('i'));
    assert!(matches!(s.overlay, Some(Overlay::Metadata { .. })));
    let lines = s.metadata_lines();
    assert!(
        lines.iter().any(|l| l.contains("\"mode\": \"gated\"")),
        "{lines:?}"
    );
    for _ in 0..100 {
        s.update(key(KeyCode::Down));
    }
    let screen = render(&s);
    assert!(
        screen.contains("\"mode\": \"gated\"") || screen.contains('}'),
        "{screen}"
    );
    assert!(
        screen.contains("of "),
        "a long view says where it is:\n{screen}"
    );
    s.update(key(KeyCode::Esc));
    assert!(s.overlay.is_none());
}

#[test]
fn a_small_terminal_shows_one_pane_at_a_time_and_tab_cycles() {
    let mut s = with_array(caps(true, true), &frames(), 40, 12);
    let screen = render(&s);
    assert!(screen.contains("1 Catalog"), "{screen}");
    assert!(!screen.contains("Structure"), "{screen}");
    s.update(key(KeyCode::Tab));
    let screen = render(&s);
    assert!(screen.contains("2 Chunks"), "{screen}");
    assert!(
        !screen.contains("detector/"),
        "only the chunk grid:\n{screen}"
    );
    // The number keys go straight to a pane (numbered in `Pane::ORDER`'s order).
    let data = Pane::Preview.number();
    s.update(ch(char::from_digit(data as u32, 10).unwrap_or('0')));
    assert_eq!(s.focus, Pane::Preview);
    assert!(render(&s).contains(&format!("╭ {data} Data")));
}

#[test]
fn dialogs_in_a_small_terminal_keep_their_confirm_line() {
    let mut s = with_array(caps(true, true), &frames(), 40, 12);
    s.update(ch('n'));
    let screen = render(&s);
    assert!(screen.contains("Enter review"), "{screen}");
    s.update(key(KeyCode::Enter));
    let screen = render(&s);
    assert!(screen.contains("Apply this change?"), "{screen}");
}

#[test]
fn the_patch_dialog_grows_the_array_only_when_extend_is_toggled() {
    let mut s = with_array(caps(true, true), &frames(), 100, 30);
    s.update(ch('p'));
    let d = s.dialog().expect("dialog");
    assert_eq!(d.field(patch::EXTEND).map(|f| f.on), Some(false));
    // The default (one frame after the end) needs the toggle; Enter does not review it.
    let err = d.plan.clone().err().unwrap_or_default();
    assert!(err.contains("turn extend on"), "{err}");
    s.update(key(KeyCode::Enter));
    assert!(s
        .dialog()
        .is_some_and(|d| d.stage == extent::app::dialogs::Stage::Edit));
    for _ in 0..4 {
        s.update(key(KeyCode::Tab));
    }
    s.update(ch(' '));
    assert!(s.dialog().is_some_and(|d| d.plan.is_ok()));
}

#[test]
fn text_fields_edit_at_the_cursor_and_win_over_the_main_keys() {
    let mut s = with_array(caps(true, true), &frames(), 100, 30);
    s.update(ch('p'));
    let text = |s: &extent::app::state::AppState| {
        s.dialog()
            .and_then(|d| d.field(patch::OFFSET))
            .map(|f| f.text.clone())
            .unwrap_or_default()
    };
    s.update(key(KeyCode::Home));
    typed(&mut s, "1");
    assert_eq!(text(&s), "112,0,0");
    s.update(key(KeyCode::End));
    s.update(ctrl('w'));
    assert_eq!(text(&s), "112,0,");
    // Ctrl-U clears the field (on the main screen it pages up).
    s.update(ctrl('u'));
    assert_eq!(text(&s), "");
    assert!(s.dialog().is_some());
    // The palette and the filter edit the same way.
    s.update(key(KeyCode::Esc));
    s.update(ch(':'));
    typed(&mut s, "goto some/where");
    s.update(ctrl('w'));
    let input = match &s.overlay {
        Some(Overlay::Palette(p)) => p.input.clone(),
        _ => String::new(),
    };
    assert_eq!(input, "goto some/");
}

#[test]
fn tab_completes_paths_in_goto_the_npy_field_and_the_picker() {
    let mut s = connected("t", "local:/t", caps(true, true), 100, 30);
    page_loaded(
        &mut s,
        "",
        vec![
            common::tui::group_entry("detector"),
            common::tui::array_entry("dark", &[4], DType::UInt8),
        ],
    );
    page_loaded(
        &mut s,
        "detector",
        vec![common::tui::array_entry(
            "detector/frames",
            &[12, 64, 64],
            DType::UInt16,
        )],
    );
    s.update(ch(':'));
    typed(&mut s, "goto det");
    s.update(key(KeyCode::Tab));
    let input = |s: &extent::app::state::AppState| match &s.overlay {
        Some(Overlay::Palette(p)) => p.input.clone(),
        _ => String::new(),
    };
    assert_eq!(input(&s), "goto detector/");
    s.update(key(KeyCode::Tab));
    assert_eq!(input(&s), "goto detector/frames");
    // The .npy field: Tab asks the runtime for the directory's entries, then completes.
    let mut s = with_array(caps(true, true), &frames(), 100, 30);
    s.update(ch('p'));
    for _ in 0..3 {
        s.update(key(KeyCode::Tab));
    }
    typed(&mut s, "/data/fr");
    assert!(render(&s).contains("Tab complete path"));
    let fx = s.update(key(KeyCode::Tab));
    assert!(
        fx.contains(&Effect::CompletePath {
            target: CompleteTarget::Npy,
            typed: "/data/fr".into()
        }),
        "{fx:?}"
    );
    let fx = s.update(JobResult::PathsListed {
        target: CompleteTarget::Npy,
        typed: "/data/fr".into(),
        candidates: vec!["/data/frames_001.npy".into()],
    });
    let d = s.dialog().expect("dialog");
    assert_eq!(
        d.field(patch::NPY).map(|f| f.text.as_str()),
        Some("/data/frames_001.npy")
    );
    assert!(
        fx.iter().any(|e| matches!(e, Effect::LoadNpy { .. })),
        "{fx:?}"
    );
    // Nothing more to add: Tab moves on to the next field.
    s.update(key(KeyCode::Tab));
    s.update(JobResult::PathsListed {
        target: CompleteTarget::Npy,
        typed: "/data/frames_001.npy".into(),
        candidates: vec!["/data/frames_001.npy".into()],
    });
    assert_eq!(s.dialog().map(|d| d.focus), Some(4));
    // The picker.
    let mut s = extent::app::state::AppState::picker(&[]);
    s.update(Action::Resize(100, 30));
    typed(&mut s, "/sc");
    let fx = s.update(key(KeyCode::Tab));
    assert!(fx.iter().any(|e| matches!(e, Effect::CompletePath { .. })));
    s.update(JobResult::PathsListed {
        target: CompleteTarget::Picker,
        typed: "/sc".into(),
        candidates: vec!["/scratch/".into()],
    });
    assert_eq!(s.picker.location, "/scratch/");
}

#[test]
fn the_top_bar_says_how_many_arrays_and_what_is_live() {
    let mut s = connected("srv", "http://h/api", caps(false, false), 100, 30);
    s.update(JobResult::PageLoaded {
        parent: String::new(),
        offset: 0,
        result: Ok(extent::backend::Page {
            entries: vec![
                common::tui::group_entry("g"),
                common::tui::array_entry("a", &[4], DType::UInt8),
            ],
            total: Some(300),
        }),
    });
    let top = render(&s).lines().next().unwrap_or("").to_string();
    assert!(top.contains("1 array (more not loaded)"), "{top}");
    assert!(s.open.is_none());
    assert!(!top.contains("1+"), "{top}");
    assert!(top.contains("catalog polled, no array open"), "{top}");
}

#[test]
fn z_maximises_the_focused_pane() {
    let mut s = with_array(caps(true, true), &frames(), 160, 48);
    s.update(key(KeyCode::Tab));
    s.update(ch('z'));
    let screen = render(&s);
    assert!(
        !screen.contains("Structure") && !screen.contains("╭ 1 Catalog"),
        "{screen}"
    );
    assert!(screen.contains("╭ 2 Chunks"), "{screen}");
    s.update(ch('z'));
    assert!(render(&s).contains("Structure"));
}

#[test]
fn a_dialog_copies_its_command_line_to_the_clipboard_and_the_log() {
    let mut s = with_array(caps(true, true), &frames(), 100, 30);
    s.store_describe = "local:/data/beamline.zarr".into();
    s.update(ch('p'));
    for _ in 0..4 {
        s.update(key(KeyCode::Tab));
    }
    s.update(ch(' '));
    let fx = s.update(ctrl('y'));
    let want = "extent --store /data/beamline.zarr patch detector/frames --offset 12,0,0 \
                --value 1 --shape 1,64,64 --extend";
    assert_eq!(fx, vec![Effect::Clipboard(want.into())]);
    assert!(s.messages.entries.iter().any(|m| m.text == want));
    assert!(s.dialog().is_some(), "the dialog stays open");
}

#[test]
fn snapshots_of_the_small_layout_the_log_and_the_metadata_view() {
    let mut s = with_array(caps(true, true), &frames(), 40, 12);
    insta::assert_snapshot!("small_catalog_40x12", render(&s));
    s.update(key(KeyCode::Tab));
    insta::assert_snapshot!("small_grid_40x12", render(&s));
    s.update(ch('p'));
    insta::assert_snapshot!("small_patch_dialog_40x12", render(&s));
    let mut s = with_array(caps(true, true), &frames(), 80, 24);
    s.update(ch('p'));
    s.update(key(KeyCode::Esc));
    s.update(ch('m'));
    insta::assert_snapshot!("message_log_80x24", render(&s));
    s.update(key(KeyCode::Esc));
    s.update(ch('i'));
    insta::assert_snapshot!("metadata_80x24", render(&s));
}

#[test]
fn enter_in_the_history_shows_an_entry_whole_with_its_full_time() {
    let mut s = with_array(caps(true, true), &frames(), 160, 48);
    let entry = |time: &str, old: u64, new: u64| StructureChange {
        time: time.into(),
        actor: "beamline@ioc".into(),
        cause: Cause::Patch,
        old_shape: Some(vec![old, 64, 64]),
        new_shape: Some(vec![new, 64, 64]),
    };
    s.update(JobResult::HistoryLoaded(Loaded {
        path: "detector/frames".into(),
        // Oldest first, as the backends give it; the pane shows the newest first.
        result: Ok(vec![
            entry("2025-03-14T09:00:05.000Z", 8, 9),
            entry("2025-03-14T09:00:07.250123Z", 9, 12),
        ]),
    }));
    s.focus = Pane::History;
    // The second entry: one row down, then Enter.
    s.update(key(KeyCode::Down));
    s.update(key(KeyCode::Enter));
    assert!(
        matches!(
            s.overlay,
            Some(Overlay::Metadata {
                change: Some(1),
                ..
            })
        ),
        "{:?}",
        s.overlay
    );
    let screen = render(&s);
    assert!(screen.contains("History entry of"), "{screen}");
    assert!(screen.contains("2025-03-14T09:00:05.000Z"), "{screen}");
    assert!(screen.contains("beamline@ioc"), "{screen}");
    s.update(key(KeyCode::Esc));
    assert!(s.overlay.is_none());
    // The top entry, whole: the time as recorded, to the microsecond.
    s.update(key(KeyCode::Up));
    s.update(key(KeyCode::Enter));
    assert!(render(&s).contains("2025-03-14T09:00:07.250123Z"));
}

/// A Data pane not on screen reads nothing when the stack grows (each of its rows would be a
/// whole frame's chunk); it reads as soon as it is shown.
#[test]
fn a_hidden_data_pane_reads_nothing_until_it_is_shown() {
    let mut s = with_array(caps(true, true), &frames(), 80, 24);
    assert!(s.areas().preview.is_none(), "80x24 shows one right pane");
    let reads = |fx: &[Effect]| {
        fx.iter()
            .filter(|e| matches!(e, Effect::Read { .. }))
            .count()
    };
    let fx = s.update(Action::BackendEvent {
        path: "detector/frames".into(),
        event: extent::backend::EventKind::ShapeChanged {
            old: vec![12, 64, 64],
            new: vec![13, 64, 64],
        },
    });
    assert_eq!(reads(&fx), 0, "{fx:?}");
    let data = Pane::Preview.number();
    let fx = s.update(ch(char::from_digit(data as u32, 10).unwrap_or('0')));
    assert!(s.areas().preview.is_some());
    assert_eq!(reads(&fx), 1, "{fx:?}");
}
