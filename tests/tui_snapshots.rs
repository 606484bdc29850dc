//! Snapshots of every widget and dialog at 80×24 and 160×48, drawn with ratatui's TestBackend
//! from states built through `update()` with deterministic data (no store, no clock).

mod common;

use std::sync::Arc;

use common::tui::{
    array_entry as arr, ch as key, connected, group_entry as grp, key as code, page_loaded, render,
    typed,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use extent::app::action::{Action, Effect, JobResult, Loaded};
use extent::app::state::AppState;
use extent::backend::{
    ArrayData, ArrayInfo, Capabilities, Cause, ChunkMap, ChunkState, DType, NodeEntry, Page,
    StructureChange,
};
use extent::config::StoreSpec;
use extent::ui::theme::Theme;
use extent::ui::{self, View};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn caps(lists_chunks: bool) -> Capabilities {
    common::tui::caps(true, lists_chunks)
}

fn frames_info() -> ArrayInfo {
    ArrayInfo {
        path: "detector/frames".into(),
        shape: vec![12, 64, 64],
        chunks: vec![1, 32, 32],
        dtype: DType::UInt16,
        resizable: vec![true, false, false],
        fill_value: json!(0),
        metadata: json!({"detector": "pilatus", "units": "counts"}),
    }
}

fn series_info() -> ArrayInfo {
    ArrayInfo {
        path: "timeseries/temperature".into(),
        shape: vec![500],
        chunks: vec![50],
        dtype: DType::Float64,
        resizable: vec![true],
        fill_value: json!(0.0),
        metadata: json!({"units": "K"}),
    }
}

fn big_info() -> ArrayInfo {
    ArrayInfo {
        path: "scan/big".into(),
        shape: vec![100_000, 100_000],
        chunks: vec![100, 100],
        dtype: DType::Float32,
        resizable: vec![true, true],
        fill_value: json!(0.0),
        metadata: json!({}),
    }
}

fn history() -> Vec<StructureChange> {
    let c = |t: &str, cause, old: Option<&[u64]>, new: &[u64]| StructureChange {
        time: format!("2025-03-14T{t}.000Z"),
        actor: "beamline@ctrl01".into(),
        cause,
        old_shape: old.map(|o| o.to_vec()),
        new_shape: Some(new.to_vec()),
    };
    vec![
        c("09:00:00", Cause::Create, None, &[0, 64, 64]),
        c("09:00:05", Cause::Patch, Some(&[0, 64, 64]), &[4, 64, 64]),
        c("09:00:09", Cause::Patch, Some(&[4, 64, 64]), &[8, 64, 64]),
        c("09:01:30", Cause::Extend, Some(&[8, 64, 64]), &[12, 64, 64]),
    ]
}

fn frames_map() -> ChunkMap {
    let mut m = ChunkMap::new(vec![12, 2, 2], ChunkState::Written);
    // Frames 5 and 9 are not written yet, frame 10 only half.
    for i in [20, 21, 22, 23, 36, 37, 38, 39, 40, 41] {
        m.states[i] = ChunkState::Missing;
    }
    m
}

fn deterministic(dtype: DType, shape: &[u64], f: impl Fn(u64) -> f64) -> ArrayData {
    let n: u64 = shape.iter().product();
    let bytes: Vec<u8> = (0..n)
        .flat_map(|i| match dtype {
            DType::UInt16 => (f(i) as u16).to_le_bytes().to_vec(),
            DType::Float32 => (f(i) as f32).to_le_bytes().to_vec(),
            _ => f(i).to_le_bytes().to_vec(),
        })
        .collect();
    ArrayData::new(dtype, shape.to_vec(), bytes).expect("data")
}

/// The main screen on a store with a few arrays, nothing open.
fn store(w: u16, h: u16, lists_chunks: bool) -> AppState {
    let describe = "local:/data/beamline1.zarr";
    let mut s = connected("beamline1", describe, caps(lists_chunks), w, h);
    let top = vec![
        grp("detector"),
        grp("scan"),
        grp("timeseries"),
        arr("volume", &[8, 12, 12], DType::Float32),
    ];
    page_loaded(&mut s, "", top);
    for (g, entries) in [
        (
            "detector",
            vec![
                arr("detector/dark", &[1, 64, 64], DType::UInt16),
                arr("detector/frames", &[12, 64, 64], DType::UInt16),
            ],
        ),
        (
            "scan",
            vec![arr("scan/big", &[100_000, 100_000], DType::Float32)],
        ),
        (
            "timeseries",
            vec![arr("timeseries/temperature", &[500], DType::Float64)],
        ),
    ] {
        assert!(s.catalog.select_path(g));
        s.update(code(KeyCode::Enter));
        page_loaded(&mut s, g, entries);
    }
    s
}

/// Feeds what the backend would answer for the effects that opening `info` asked for.
fn answer(s: &mut AppState, info: &ArrayInfo, map: ChunkMap, hist: Vec<StructureChange>) {
    let path = info.path.clone();
    s.update(JobResult::InfoLoaded(Loaded {
        path: path.clone(),
        result: Ok(info.clone()),
    }));
    s.update(JobResult::ChunksLoaded(Loaded {
        path: path.clone(),
        result: Ok(Arc::new(map)),
    }));
    s.update(JobResult::HistoryLoaded(Loaded {
        path: path.clone(),
        result: Ok(hist),
    }));
    feed_preview(s, info);
}

fn feed_preview(s: &mut AppState, info: &ArrayInfo) {
    let sel = s.preview_selection().expect("preview window");
    let shape = sel.shape();
    let data = if info.ndim() == 1 {
        deterministic(info.dtype, &shape, |i| {
            290.0 + 5.0 * ((i + sel.start[0]) as f64 / 25.0).sin()
        })
    } else {
        deterministic(info.dtype, &shape, |i| ((i * 37) % 4096) as f64)
    };
    s.update(JobResult::PreviewLoaded {
        path: info.path.clone(),
        selection: sel,
        result: Ok(data),
    });
}

fn open(s: &mut AppState, info: &ArrayInfo, map: ChunkMap) {
    assert!(s.catalog.select_path(&info.path));
    let mut fx = Vec::new();
    s.after_selection_change(&mut fx);
    assert!(fx.contains(&Effect::Show {
        path: info.path.clone()
    }));
    answer(s, info, map, history());
}

fn frames(w: u16, h: u16) -> AppState {
    let mut s = store(w, h, true);
    open(&mut s, &frames_info(), frames_map());
    s
}

fn check(name: &str, build: impl Fn(u16, u16) -> AppState) {
    for (w, h) in SIZES {
        let s = build(w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&s));
    }
}

#[test]
fn main_screen_with_chunk_grid() {
    check("main_grid", frames);
}

#[test]
fn history_pane() {
    check("history", |w, h| {
        let mut s = frames(w, h);
        s.update(code(KeyCode::Tab));
        s.update(code(KeyCode::Tab));
        s
    });
}

#[test]
fn data_preview_2d() {
    check("preview_2d", |w, h| {
        let mut s = frames(w, h);
        s.update(code(KeyCode::BackTab));
        s
    });
}

#[test]
fn data_preview_1d_with_sparkline() {
    check("preview_1d", |w, h| {
        let mut s = store(w, h, true);
        let mut m = ChunkMap::new(vec![10], ChunkState::Written);
        m.states[8] = ChunkState::Missing;
        m.states[9] = ChunkState::Missing;
        // Select the series (opens it), then switch to the data pane before the window is read.
        s.update(code(KeyCode::BackTab));
        assert!(s.catalog.select_path("timeseries/temperature"));
        let mut fx = Vec::new();
        s.after_selection_change(&mut fx);
        answer(&mut s, &series_info(), m, history());
        s
    });
}

#[test]
fn chunk_grid_of_a_million_chunks_with_changes() {
    check("grid_million", |w, h| {
        let mut s = store(w, h, true);
        let info = big_info();
        let mut m = ChunkMap::new(vec![1000, 1000], ChunkState::Missing);
        // A deterministic pattern: the upper-left quarter written, a stripe half written.
        for r in 0..1000usize {
            for c in 0..1000usize {
                if (r < 500 && c < 500) || (r % 2 == 0 && (600..700).contains(&c)) {
                    m.states[r * 1000 + c] = ChunkState::Written;
                }
            }
        }
        open(&mut s, &info, m.clone());
        // The writer fills a block: those chunks show as just changed.
        for r in 900..1000usize {
            for c in 900..1000usize {
                m.states[r * 1000 + c] = ChunkState::Written;
            }
        }
        s.update(JobResult::ChunksLoaded(Loaded {
            path: info.path.clone(),
            result: Ok(Arc::new(m)),
        }));
        s
    });
}

#[test]
fn chunk_grid_zoomed_and_panned() {
    check("grid_zoom", |w, h| {
        let mut s = frames(w, h);
        s.update(code(KeyCode::Tab)); // grid
        s.update(key('+'));
        s.update(code(KeyCode::Down));
        s
    });
}

#[test]
fn chunk_grid_unknown_states() {
    check("grid_unknown", |w, h| {
        let mut s = store(w, h, false);
        open(
            &mut s,
            &frames_info(),
            ChunkMap::new(vec![12, 2, 2], ChunkState::Unknown),
        );
        s
    });
}

#[test]
fn catalog_filter() {
    check("filter", |w, h| {
        let mut s = frames(w, h);
        s.update(key('/'));
        typed(&mut s, "fra");
        s
    });
}

#[test]
fn catalog_lazy_pages() {
    check("catalog_pages", |w, h| {
        let mut s = AppState::new("big", caps(true));
        s.update(Action::Resize(w, h));
        s.update(Action::StoreReady {
            label: "big".into(),
            describe: "local:/big".into(),
            capabilities: caps(true),
        });
        let entries: Vec<NodeEntry> = (0..200)
            .map(|i| arr(&format!("run{i:05}"), &[i, 10], DType::Int32))
            .collect();
        s.update(JobResult::PageLoaded {
            parent: String::new(),
            offset: 0,
            result: Ok(Page {
                entries,
                total: Some(100_000),
            }),
        });
        s
    });
}

#[test]
fn help_overlay() {
    check("help", |w, h| {
        let mut s = frames(w, h);
        s.update(key('?'));
        s
    });
}

#[test]
fn command_palette() {
    check("palette", |w, h| {
        let mut s = frames(w, h);
        s.update(key(':'));
        typed(&mut s, "go");
        s
    });
}

#[test]
fn store_picker() {
    check("picker", |w, h| {
        let spec = StoreSpec {
            name: "beamline1".into(),
            url_or_path: "https://tiled.example.org/api".into(),
            api_key_env: Some("BL1_KEY".into()),
            description: Some("Tiled at the beamline".into()),
        };
        let mut s = AppState::picker(&[spec]);
        s.update(Action::Resize(w, h));
        s
    });
}

#[test]
fn patch_dialog() {
    check("dialog_patch", |w, h| {
        let mut s = frames(w, h);
        s.update(key('p'));
        s
    });
}

#[test]
fn patch_dialog_invalid_input() {
    check("dialog_patch_invalid", |w, h| {
        let mut s = frames(w, h);
        s.update(key('p'));
        // Out of bounds: extend is off until toggled, and that is explained before anything
        // is written.
        s
    });
}

#[test]
fn patch_dialog_confirm_and_backend_error() {
    check("dialog_patch_error", |w, h| {
        let mut s = frames(w, h);
        s.update(key('p'));
        // Growing the array takes the explicit toggle.
        for _ in 0..4 {
            s.update(code(KeyCode::Tab));
        }
        s.update(key(' '));
        s.update(code(KeyCode::Enter));
        let fx = s.update(key('y'));
        let Some(Effect::Run(op)) = fx.into_iter().next() else {
            panic!("no write started")
        };
        s.update(JobResult::OpDone {
            op: op.summary(),
            result: Err(extent::backend::Error::conflict(
                "the array changed while writing; try again",
            )),
        });
        s
    });
}

#[test]
fn extend_dialog() {
    check("dialog_extend", |w, h| {
        let mut s = frames(w, h);
        s.update(key('e'));
        s.update(code(KeyCode::Tab));
        s.update(code(KeyCode::Backspace));
        typed(&mut s, "8");
        s.update(code(KeyCode::Enter));
        s
    });
}

#[test]
fn resize_dialog_shrink_needs_the_name() {
    check("dialog_resize_shrink", |w, h| {
        let mut s = frames(w, h);
        s.update(key('r'));
        s.update(Action::Key(KeyEvent::new(
            KeyCode::Char('u'),
            KeyModifiers::CONTROL,
        )));
        typed(&mut s, "6,64,64");
        s.update(code(KeyCode::Enter));
        typed(&mut s, "fra");
        s
    });
}

#[test]
fn create_dialog() {
    check("dialog_create", |w, h| {
        let mut s = frames(w, h);
        s.update(key('n'));
        s
    });
}

#[test]
fn delete_dialog() {
    check("dialog_delete", |w, h| {
        let mut s = frames(w, h);
        s.update(key('d'));
        s
    });
}

#[test]
fn every_screen_draws_at_every_size_without_panicking() {
    type Build = Box<dyn Fn(u16, u16) -> AppState>;
    let builders: Vec<(&str, Build)> = vec![
        ("main", Box::new(frames)),
        (
            "patch",
            Box::new(|w, h| {
                let mut s = frames(w, h);
                s.update(key('p'));
                s
            }),
        ),
        (
            "help",
            Box::new(|w, h| {
                let mut s = frames(w, h);
                s.update(key('?'));
                s
            }),
        ),
        (
            "palette",
            Box::new(|w, h| {
                let mut s = frames(w, h);
                s.update(key(':'));
                s
            }),
        ),
        (
            "picker",
            Box::new(|w, h| {
                let mut s = AppState::picker(&[]);
                s.update(Action::Resize(w, h));
                s
            }),
        ),
    ];
    for (name, build) in &builders {
        let mut s = build(100, 30);
        for w in (1..=170).step_by(7) {
            for h in (1..=50).step_by(3) {
                s.update(Action::Resize(w, h));
                for tab in 0..4 {
                    let _ = tab;
                    let text = render(&s);
                    assert_eq!(text.lines().count(), h as usize, "{name} at {w}x{h}");
                    s.update(code(KeyCode::Tab));
                }
            }
        }
    }
}

/// Every cell's colours after drawing `state` with `theme`.
fn colours(state: &AppState, theme: &Theme) -> Vec<ratatui::style::Color> {
    let (w, h) = (state.size.width, state.size.height);
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| ui::draw(f, &View { state, theme }))
        .expect("draw");
    let buf = term.backend().buffer();
    let mut out = Vec::new();
    for y in 0..h {
        for x in 0..w {
            out.push(buf[(x, y)].fg);
            out.push(buf[(x, y)].bg);
        }
    }
    out
}

#[test]
fn color_never_draws_no_colours_and_always_does() {
    use extent::color::{resolve, ColorChoice};
    use ratatui::style::Color;
    let state = frames(80, 24);
    // `never` on a terminal without NO_COLOR: no cell has a colour.
    let never = Theme::load_with(None, resolve(ColorChoice::Never, false, true)).0;
    let cells = colours(&state, &never);
    assert!(
        cells.iter().all(|c| *c == Color::Reset),
        "a colour was drawn"
    );
    // `always` when piped and with NO_COLOR: the chunk grid and bars are coloured.
    let always = Theme::load_with(None, resolve(ColorChoice::Always, true, false)).0;
    let coloured = colours(&state, &always)
        .into_iter()
        .filter(|c| *c != Color::Reset)
        .count();
    assert!(coloured > 100, "only {coloured} coloured cells");
}

/// Whether the first cells showing `word` on row `y` are drawn with the dim attribute (how a
/// command that does not apply looks without colours).
fn dimmed(state: &AppState, word: &str, y: u16) -> Option<bool> {
    use ratatui::style::Modifier;
    let theme = Theme::monochrome();
    let w = state.size.width;
    let mut term = Terminal::new(TestBackend::new(w, state.size.height)).expect("terminal");
    term.draw(|f| {
        ui::draw(
            f,
            &View {
                state,
                theme: &theme,
            },
        )
    })
    .expect("draw");
    let buf = term.backend().buffer();
    let cells: Vec<&str> = (0..w).map(|x| buf[(x, y)].symbol()).collect();
    let n = word.chars().count();
    (0..cells.len().saturating_sub(n)).find_map(|x| {
        (cells[x..x + n].concat() == word)
            .then(|| buf[(x as u16, y)].modifier.contains(Modifier::DIM))
    })
}

#[test]
fn commands_that_do_not_apply_are_greyed_in_the_bar_and_the_help() {
    // A group highlighted, nothing open: the writes on an array are greyed, creating one and
    // deleting the group are not.
    let mut s = store(160, 48, true);
    let bar = 47;
    assert_eq!(dimmed(&s, "patch", bar), Some(true));
    assert_eq!(dimmed(&s, "delete", bar), Some(false));
    assert_eq!(dimmed(&s, "new", bar), Some(false));
    assert_eq!(dimmed(&s, "filter", bar), Some(false));
    s.update(key('?'));
    let row = (0..48).find(|&y| dimmed(&s, "patch a region", y).is_some());
    assert_eq!(
        row.and_then(|y| dimmed(&s, "patch a region", y)),
        Some(true)
    );
    let row = (0..48).find(|&y| dimmed(&s, "create a new array", y).is_some());
    assert_eq!(
        row.and_then(|y| dimmed(&s, "create a new array", y)),
        Some(false)
    );
    // The key still refuses, and says why.
    s.update(code(KeyCode::Esc));
    s.update(key('p'));
    assert!(s.overlay.is_none());
    let said = s.status.as_ref().map(|st| st.notice.text.clone());
    assert!(
        said.as_deref()
            .unwrap_or("")
            .contains("is a group: patch needs an array"),
        "{said:?}"
    );
    // An array open: they apply.
    let s = frames(160, 48);
    assert_eq!(dimmed(&s, "patch", bar), Some(false));
    assert_eq!(dimmed(&s, "delete", bar), Some(false));
}
