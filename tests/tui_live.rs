//! The chunk grid as live writes arrive: chunks seen written stay written (Tiled lists none;
//! a chunk of fill values is not stored), the header counts them, one shape for every pane.
//! A stack made with a zero-length leading axis, then grown, on a real local store. Zoom. Snapshots
//! at 80×24 and 160×48 through `update()`.

mod common;

use std::sync::Arc;

use common::tui::{array_entry, caps, ch, connected, drive, key, page_loaded, render};
use extent::app::action::{Action, JobResult, Loaded};
use extent::app::state::AppState;
use extent::backend::{ArrayInfo, Cause, ChunkMap, ChunkState, DType, EventKind, StructureChange};
use serde_json::json;

fn info(shape: &[u64]) -> ArrayInfo {
    ArrayInfo {
        path: "frames".into(),
        shape: shape.to_vec(),
        chunks: vec![1, 32, 32],
        dtype: DType::UInt16,
        resizable: vec![true, false, false],
        fill_value: json!(0),
        metadata: json!({}),
    }
}

/// `frames` open on a store that lists chunks (`lists`) or not (Tiled).
fn opened(w: u16, h: u16, lists: bool, shape: &[u64]) -> AppState {
    let mut s = connected("t", "http://tiled:8000/api/v1", caps(false, lists), w, h);
    page_loaded(
        &mut s,
        "",
        vec![array_entry("frames", shape, DType::UInt16)],
    );
    s.update(JobResult::InfoLoaded(Loaded {
        path: "frames".into(),
        result: Ok(info(shape)),
    }));
    chunks_listed(&mut s, lists, shape);
    s
}

/// The store's answer to a chunk listing: all unknown (Tiled) or all missing.
fn chunks_listed(s: &mut AppState, lists: bool, shape: &[u64]) {
    let fill = if lists {
        ChunkState::Missing
    } else {
        ChunkState::Unknown
    };
    let grid = info(shape).chunk_grid();
    s.update(JobResult::ChunksLoaded(Loaded {
        path: "frames".into(),
        result: Ok(Arc::new(ChunkMap::new(grid, fill))),
    }));
}

fn written(s: &mut AppState, frame: u64) {
    s.update(Action::BackendEvent {
        path: "frames".into(),
        event: EventKind::ChunksWritten {
            offset: vec![frame, 0, 0],
            shape: vec![1, 64, 64],
        },
    });
}

fn written_count(s: &AppState) -> usize {
    let open = s.open.as_ref().expect("open");
    open.chunks.as_ref().map(|m| m.written()).unwrap_or(0)
}

#[test]
fn on_tiled_chunks_seen_live_stay_written_and_are_counted() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut s = opened(w, h, false, &[6, 64, 64]);
        for f in [0, 1, 3] {
            written(&mut s, f);
        }
        // Tiled answers the next listing with "unknown" again: what was seen stays.
        chunks_listed(&mut s, false, &[6, 64, 64]);
        assert_eq!(written_count(&s), 12);
        // After the highlights fade, the cells read written, not `?`.
        let later = s.now + std::time::Duration::from_secs(5);
        s.update(Action::Tick(later));
        let screen = render(&s);
        assert!(screen.contains("≥ 12 of 24 (seen live"), "{screen}");
        // The grid shows the plane at axis 2 = 0: six of its chunks.
        assert!(screen.contains("· ≥ 6 wri"), "{screen}");
        insta::assert_snapshot!(format!("tiled_seen_live_{w}x{h}"), screen);
    }
}

#[test]
fn chunks_of_fill_values_seen_written_show_written_on_a_local_store() {
    let mut s = opened(160, 48, true, &[4, 64, 64]);
    written(&mut s, 2);
    // The store did not keep them (all fill value): its listing says missing.
    chunks_listed(&mut s, true, &[4, 64, 64]);
    assert_eq!(written_count(&s), 4);
    let screen = render(&s);
    assert!(screen.contains("· missing or all fill value"), "{screen}");
    assert!(screen.contains("25% written"), "{screen}");
}

#[test]
fn one_current_shape_for_catalog_structure_and_history() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut s = opened(w, h, true, &[4, 64, 64]);
        s.update(JobResult::HistoryLoaded(Loaded {
            path: "frames".into(),
            result: Ok(vec![StructureChange {
                time: "2025-03-14T09:00:00.000Z".into(),
                actor: "beamline@ctrl01".into(),
                cause: Cause::Create,
                old_shape: None,
                new_shape: Some(vec![4, 64, 64]),
            }]),
        }));
        // Another writer grows the stack; the structure is not read again yet.
        s.update(Action::BackendEvent {
            path: "frames".into(),
            event: EventKind::ShapeChanged {
                old: vec![4, 64, 64],
                new: vec![6, 64, 64],
            },
        });
        let catalog = s
            .catalog
            .selected_node()
            .and_then(|n| n.entry.shape.clone());
        assert_eq!(catalog, Some(vec![6, 64, 64]));
        assert_eq!(
            s.open_info().map(|i| i.shape.clone()),
            Some(vec![6, 64, 64])
        );
        let screen = render(&s);
        assert!(!screen.contains("[4, 64, 64]"), "{screen}");
        assert!(screen.contains("6×2 chunks"), "the grid follows: {screen}");
        insta::assert_snapshot!(format!("one_shape_{w}x{h}"), screen);
    }
}

#[test]
fn a_stack_made_empty_puts_its_growing_axis_down_the_side_and_follows_it() {
    use extent::backend::local::LocalBackend;
    use extent::backend::{ArrayData, Backend};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let b: Arc<dyn Backend> = Arc::new(LocalBackend::open_or_create(dir.path()).unwrap());
    let mut req = common::create_request("stack", &[0, 512, 512], &[1, 256, 256], DType::UInt8);
    req.resizable = vec![true, false, false];
    rt.block_on(b.create(&req)).unwrap();
    let mut s = AppState::new("t", caps(true, true));
    drive(&rt, &b, &mut s, Action::Resize(160, 48));
    let ready = Action::StoreReady {
        label: "t".into(),
        describe: "local:/t".into(),
        capabilities: caps(true, true),
    };
    drive(&rt, &b, &mut s, ready);
    let screen = render(&s);
    assert!(
        screen.contains("no chunks: the array has a zero-length axis"),
        "{screen}"
    );
    assert!(!screen.contains("not listed"), "{screen}");
    // Three frames arrive: the frames run down the side, and keep doing so as they grow.
    for n in 1..=3u64 {
        let frame = ArrayData::new(DType::UInt8, vec![1, 512, 512], vec![7; 512 * 512]).unwrap();
        rt.block_on(b.patch("stack", &[n - 1, 0, 0], &frame, true))
            .unwrap();
        let event = EventKind::ShapeChanged {
            old: vec![n - 1, 512, 512],
            new: vec![n, 512, 512],
        };
        let path = "stack".to_string();
        drive(&rt, &b, &mut s, Action::BackendEvent { path, event });
        let screen = render(&s);
        let header = format!("{n}×2 chunks (↓axis 0 →axis 2)");
        assert!(screen.contains(&header), "{header} in:\n{screen}");
    }
}

#[test]
fn zoom_in_enlarges_cells_in_the_same_area() {
    for (w, h) in [(80, 24), (160, 48)] {
        // 50 frames of 128 × 32: a 50 × 4 chunk grid.
        let mut s = opened(w, h, true, &[50, 128, 32]);
        for f in [0, 7, 20, 49] {
            written(&mut s, f);
        }
        s.update(Action::Tick(s.now + std::time::Duration::from_secs(5)));
        s.update(key(crossterm::event::KeyCode::Tab));
        let before = render(&s);
        s.update(ch('+'));
        s.update(ch('+'));
        let screen = render(&s);
        assert!(screen.contains("Chunks (zoom 2)"), "{screen}");
        // Every column still shows, numbered 0 to 3, and so do the row numbers.
        assert!(screen.contains("└0─") && screen.contains("─3┘"), "{screen}");
        assert!(screen.contains("50×4 chunks"), "{screen}");
        assert_ne!(before, screen);
        insta::assert_snapshot!(format!("zoom_2_{w}x{h}"), screen);
    }
}
