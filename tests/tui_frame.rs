//! The Frame view: in tmux, a writer extends a 3-D array while the TUI follows it — the
//! title's frame index advances with no key pressed, and a frame with a bright quadrant is
//! drawn brighter there (colours read with `capture-pane -e`). Snapshots of the Frame view
//! and the Activity view at 80x24 and 160x48, from a real store.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::tmux::{cells, luma, Tmux};
use common::tui::{ch, connected, drive, key, render};
use crossterm::event::KeyCode;
use extent::app::action::{Action, JobResult};
use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, DType, NodeEntry, NodeKind, Page};

const SIDE: u64 = 32;

/// Frame `i`: a dim gradient, or (`bright`) the top-left quadrant at full scale.
fn frame(i: u64, bright: bool) -> ArrayData {
    let bytes = (0..SIDE * SIDE)
        .flat_map(|k| {
            let (y, x) = (k / SIDE, k % SIDE);
            let v = if bright {
                if y < SIDE / 2 && x < SIDE / 2 {
                    60_000
                } else {
                    100
                }
            } else {
                (100 + (x + y) * 10 + i) as u16
            };
            v.to_le_bytes()
        })
        .collect();
    ArrayData::new(DType::UInt16, vec![1, SIDE, SIDE], bytes).expect("frame")
}

async fn store(dir: &std::path::Path) -> LocalBackend {
    let b = LocalBackend::open_or_create(dir).expect("store");
    let req = extent::backend::CreateRequest {
        resizable: vec![true, false, false],
        data: Some(frame(0, false)),
        ..common::create_request("stack", &[1, SIDE, SIDE], &[1, SIDE, SIDE], DType::UInt16)
    };
    b.create(&req).await.expect("create");
    b
}

/// The frame index in the Frame pane's title (`frame 41 · 42 frames`).
fn title_index(screen: &str) -> Option<u64> {
    let at = screen.find("frame ")?;
    let rest = &screen[at + 6..];
    let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    n.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn following_a_growing_stack_moves_the_frame_and_draws_a_bright_quadrant() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let dir = tmp.path().join("store.zarr");
    let b = store(&dir).await;
    let t = Tmux::extent(&home, &dir, "", 120, 40);
    t.wait_for(&["stack", "[1, 32, 32]"], 20);
    // Catalog → Chunks → History → Frame, then follow.
    t.to_frame_pane();
    t.wait_for(&["frame 0 · 1 frame ·", "gray", "▀"], 10);
    t.keys(&["F"]);
    t.wait_for(&["following"], 10);
    // The writer appends; the title's index advances with no key pressed.
    let mut seen = Vec::new();
    for i in 1..=6u64 {
        b.patch("stack", &[i, 0, 0], &frame(i, false), true)
            .await
            .expect("patch");
        let s = t.wait_until(20, &format!("frame {i} on screen"), |s| {
            title_index(s).is_some_and(|n| n >= i)
        });
        seen.push(title_index(&s).unwrap_or(0));
    }
    assert!(seen.windows(2).all(|w| w[1] >= w[0]), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), 6, "{seen:?}");
    // The newest frame has a bright top-left quadrant.
    b.patch("stack", &[7, 0, 0], &frame(7, true), true)
        .await
        .expect("patch");
    t.wait_for(&["frame 7 · 8 frames", "max 60000"], 20);
    let grid = cells(&t.screen_colors());
    // The image: the cells drawn as upper half blocks.
    let img: Vec<(usize, usize, f64)> = grid
        .iter()
        .enumerate()
        .flat_map(|(y, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, c)| c.ch == "▀")
                .map(move |(x, c)| (y, x, c.fg.map(luma).unwrap_or(0.0)))
        })
        .collect();
    assert!(img.len() > 100, "no image on screen:\n{}", t.screen());
    let (y0, y1) = (
        img.iter().map(|p| p.0).min().unwrap(),
        img.iter().map(|p| p.0).max().unwrap(),
    );
    let (x0, x1) = (
        img.iter().map(|p| p.1).min().unwrap(),
        img.iter().map(|p| p.1).max().unwrap(),
    );
    let (my, mx) = ((y0 + y1) / 2, (x0 + x1) / 2);
    let mean = |f: &dyn Fn(usize, usize) -> bool| {
        let v: Vec<f64> = img.iter().filter(|p| f(p.0, p.1)).map(|p| p.2).collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let top_left = mean(&|y, x| y < my && x < mx);
    let bottom_right = mean(&|y, x| y > my && x > mx);
    assert!(
        top_left > bottom_right + 100.0,
        "top-left {top_left:.0} is not brighter than bottom-right {bottom_right:.0}:\n{}",
        t.screen()
    );
    // A manual step leaves follow, and the title says so.
    t.keys(&[","]);
    t.wait_for(&["frame 6 · 8 frames", "not following"], 10);
    b.patch("stack", &[8, 0, 0], &frame(8, false), true)
        .await
        .expect("patch");
    t.wait_for(&["9 frames"], 20);
    assert_eq!(title_index(&t.screen()), Some(6), "it no longer follows");
    t.keys(&["q"]);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The app on `b` at `w`×`h`, the stack open and the Frame pane shown (every effect run).
fn frame_view(
    rt: &tokio::runtime::Runtime,
    b: &Arc<dyn Backend>,
    w: u16,
    h: u16,
) -> extent::app::state::AppState {
    let mut s = connected("store", "local:/store", b.capabilities(), w, h);
    // The store's first listing, then the stack.
    let ready = Action::StoreReady {
        label: "store".into(),
        describe: "local:/store".into(),
        capabilities: b.capabilities(),
    };
    drive(rt, b, &mut s, ready);
    drive(rt, b, &mut s, Action::Goto("stack".into()));
    for _ in 0..3 {
        drive(rt, b, &mut s, key(KeyCode::Tab));
    }
    s
}

#[test]
fn frame_view_snapshots() {
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("tempdir");
    let b: Arc<dyn Backend> = Arc::new(rt.block_on(store(tmp.path())));
    rt.block_on(b.patch("stack", &[1, 0, 0], &frame(1, true), true))
        .expect("patch");
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut s = frame_view(&rt, &b, w, h);
        drive(&rt, &b, &mut s, ch('>'));
        for _ in 0..3 {
            drive(&rt, &b, &mut s, ch('j'));
        }
        let screen = mask_history(&render(&s));
        assert!(screen.contains("frame 1 · 2 frames"), "{screen}");
        insta::assert_snapshot!(format!("frame_{w}x{h}"), screen);
        // `--graphics none`: no image, the numbers stay.
        s.frame_images = false;
        let screen = render(&s);
        assert!(screen.contains("images off"), "{screen}");
        assert!(
            screen.contains("max 60000") && !screen.contains("@@@@@@@@"),
            "{screen}"
        );
    }
}

/// The History pane's clock times and actor (`10:18:46 user@host`), which change from run to
/// run, as `hh:mm:ss` and `actor` padded to the same width.
fn mask_history(screen: &str) -> String {
    let mut out = String::new();
    for line in screen.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        let mut masked = String::new();
        while i < chars.len() {
            let time = i + 8 <= chars.len()
                && (0..8).all(|k| match k {
                    2 | 5 => chars[i + k] == ':',
                    _ => chars[i + k].is_ascii_digit(),
                });
            if !time {
                masked.push(chars[i]);
                i += 1;
                continue;
            }
            masked.push_str("hh:mm:ss");
            i += 8;
            while i < chars.len() && chars[i] == ' ' {
                masked.push(' ');
                i += 1;
            }
            let start = i;
            while i < chars.len() && chars[i] != ' ' {
                i += 1;
            }
            masked.push_str(&format!("{:<w$}", "actor", w = i - start));
        }
        out.push_str(&masked);
        out.push('\n');
    }
    out
}

/// A listing of the root with `shapes`, as the catalog's rescan brings it.
fn rescan(shapes: &[(&str, u64)]) -> Action {
    let entries = shapes
        .iter()
        .map(|(p, n)| NodeEntry {
            path: p.to_string(),
            kind: NodeKind::Array,
            shape: Some(vec![*n, 2048, 2048]),
            dtype: Some(DType::UInt16),
            specs: Vec::new(),
        })
        .collect();
    JobResult::Rescanned {
        parent: String::new(),
        result: Ok(Page {
            entries,
            total: Some(shapes.len() as u64),
        }),
    }
    .into()
}

#[test]
fn activity_view_snapshots() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut s = connected(
            "beamline",
            "http://tiled:8000/api",
            common::tui::caps(false, false),
            w,
            h,
        );
        let t0 = Instant::now();
        let at = |secs: u64| Action::Tick(t0 + Duration::from_secs(secs));
        let names = [
            ("scan/detector_a", 10),
            ("scan/detector_b", 3),
            ("scan/monitor", 40),
            ("calibration/dark", 5),
        ];
        s.update(at(0));
        s.update(rescan(&names));
        // detector_a grows steadily; detector_b grew once long ago; the monitor is quiet.
        s.update(at(1));
        s.update(rescan(&[
            ("scan/detector_a", 12),
            ("scan/detector_b", 4),
            ("scan/monitor", 40),
            ("calibration/dark", 5),
        ]));
        for (i, secs) in [40u64, 42, 43].iter().enumerate() {
            s.update(at(*secs));
            s.update(rescan(&[
                ("scan/detector_a", 14 + 2 * i as u64),
                ("scan/detector_b", 4),
                ("scan/monitor", 40),
                ("calibration/dark", 5),
            ]));
        }
        s.update(at(44));
        s.update(ch('A'));
        let screen = render(&s);
        assert!(screen.contains("stalled"), "{screen}");
        assert!(screen.contains("detector_a"), "{screen}");
        insta::assert_snapshot!(format!("activity_{w}x{h}"), screen);
    }
}
