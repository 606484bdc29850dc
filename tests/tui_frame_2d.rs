//! The Frame view of long 2-D arrays and of large frames, from real stores: in tmux, a tall
//! waterfall and a wide one fill the pane (a window with the pane's aspect, not a thin strip of
//! the whole width), the title names the rows and columns shown, `>` pans to the end of the long
//! axis, following a growing waterfall keeps its newest rows in view; a hot pixel binned away by
//! mean shows with max binning (`b`); a window or a frame over
//! `--memory-limit` is refused with its size named, and zooming into the window reads a smaller
//! one that fits; from Tiled the window is the server-side slice at its place. A snapshot of
//! the wide array's view at its end, max-binned (TestBackend).

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::tmux::{cells, luma, Tmux};
use common::tui::{ch, connected, drive, key, render};
use crossterm::event::KeyCode;
use extent::app::action::Action;
use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, DType};

/// A `h`×`w` uint16 array of 100 with one hot element of 60000 at `hot`.
fn block(h: u64, w: u64, hot: (u64, u64)) -> ArrayData {
    let bytes = (0..h * w)
        .flat_map(|k| {
            let v: u16 = if (k / w, k % w) == hot { 60_000 } else { 100 };
            v.to_le_bytes()
        })
        .collect();
    ArrayData::new(DType::UInt16, vec![h, w], bytes).expect("block")
}

/// Creates `path` of `shape` (chunks `chunks`) holding `data`.
async fn create(b: &LocalBackend, path: &str, shape: &[u64], chunks: &[u64], data: ArrayData) {
    let req = extent::backend::CreateRequest {
        data: Some(data),
        ..common::create_request(path, shape, chunks, DType::UInt16)
    };
    b.create(&req).await.expect("create");
}

/// A scratch dir with a HOME for extent and an empty local store: (the dir, HOME, the
/// store's path, the store).
fn scratch() -> (tempfile::TempDir, PathBuf, PathBuf, LocalBackend) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let dir = tmp.path().join("store.zarr");
    let b = LocalBackend::open_or_create(&dir).expect("store");
    (tmp, home, dir, b)
}

/// The cells of the image (upper half blocks) as (line, column, brightest of its two pixels).
fn image_cells(t: &Tmux) -> Vec<(usize, usize, f64)> {
    cells(&t.screen_colors())
        .iter()
        .enumerate()
        .flat_map(|(y, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, c)| c.ch == "▀")
                .map(move |(x, c)| {
                    let l = |c: Option<[u8; 3]>| c.map(luma).unwrap_or(0.0);
                    (y, x, l(c.fg).max(l(c.bg)))
                })
        })
        .collect()
}

/// Lines and columns the image takes on screen.
fn extent_of(img: &[(usize, usize, f64)]) -> (usize, usize) {
    let span = |v: Vec<usize>| v.iter().max().unwrap_or(&0) - v.iter().min().unwrap_or(&0) + 1;
    (
        span(img.iter().map(|p| p.0).collect()),
        span(img.iter().map(|p| p.1).collect()),
    )
}

/// The lines holding a `│` of a screen where the Frame pane is maximised: its inner lines,
/// the top bar and the status line.
fn frame_pane_lines(screen: &str) -> usize {
    screen.lines().filter(|l| l.contains('│')).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn long_two_d_arrays_fill_the_pane_and_max_binning_shows_a_hot_pixel() {
    let (_tmp, home, dir, b) = scratch();
    // A tall waterfall (4000 rows of 512) with one hot element, and a wide one.
    create(
        &b,
        "tall",
        &[4000, 512],
        &[500, 512],
        block(4000, 512, (20, 300)),
    )
    .await;
    create(
        &b,
        "wide",
        &[64, 20_000],
        &[64, 2000],
        block(64, 20_000, (0, 0)),
    )
    .await;
    let t = Tmux::extent(&home, &dir, "", 120, 40);
    t.wait_for(&["tall", "wide"], 20);
    t.keys(&[":"]);
    t.text("goto tall");
    t.keys(&["Enter"]);
    t.wait_for(&["[4000, 512]"], 20);
    // Catalog → Chunks → History → Frame, maximised; min-max contrast.
    t.to_frame_pane();
    t.keys(&["z"]);
    t.wait_for(&["rows 0–", "of 4 000", "auto", "▀"], 10);
    t.keys(&["C"]);
    t.wait_for(&["minmax", "max 60000"], 10);
    // The pane is about 33 lines of image by 118 columns: the window has its aspect, so the
    // image fills it; the whole width's strip (512 columns across 118) would be ~12 lines.
    let screen = t.wait_until(10, "the image filling the pane", |s| {
        let (lines, cols) = extent_of(&image_cells(&t));
        lines * 10 >= (frame_pane_lines(s) - 5) * 9 && cols >= 110
    });
    assert!(!screen.contains("columns"), "every column shows:\n{screen}");
    let img = image_cells(&t);
    // Binned by mean the hot element is lost in its block; binned by max it is the brightest.
    let brightest = |img: &[(usize, usize, f64)]| img.iter().map(|p| p.2).fold(0.0, f64::max);
    assert!(brightest(&img) < 60.0, "mean: {:.0}", brightest(&img));
    t.keys(&["b"]);
    t.wait_for(&["bin max"], 10);
    let hot = t.wait_until(10, "the hot pixel drawn bright", |_| {
        brightest(&image_cells(&t)) > 200.0
    });
    assert!(
        hot.contains("binning: max"),
        "the status line says so:\n{hot}"
    );
    // The wide waterfall: every row, a pane's aspect of its 20 000 columns; `>` to the end.
    // The Frame pane stays maximised: the catalog takes it after `goto`, `4` gives it back.
    t.keys(&[":"]);
    t.text("goto wide");
    t.keys(&["Enter"]);
    t.wait_gone("of 4 000", 20);
    t.keys(&["4"]);
    t.wait_for(&["rows 0–63 of 64 · columns 0–", "of 20 000", "▀"], 10);
    t.wait_until(10, "the wide array's image filling the pane", |s| {
        let (lines, _) = extent_of(&image_cells(&t));
        lines * 10 >= (frame_pane_lines(s) - 5) * 9
    });
    t.keys(&[">"]);
    t.wait_for(&["–19 999 of 20 000"], 10);
    t.keys(&["q"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_or_frame_over_the_memory_limit_is_refused_and_zooming_in_reads_one_that_fits() {
    let (_tmp, home, dir, b) = scratch();
    create(
        &b,
        "big",
        &[2048, 2048],
        &[256, 256],
        block(2048, 2048, (1024, 1024)),
    )
    .await;
    let stack = ArrayData::new(DType::UInt16, vec![1, 1024, 1024], vec![0; 2 << 20]).unwrap();
    let req = extent::backend::CreateRequest {
        data: Some(stack),
        ..common::create_request("stack", &[1, 1024, 1024], &[1, 256, 256], DType::UInt16)
    };
    b.create(&req).await.expect("create");
    let t = Tmux::extent(&home, &dir, "--memory-limit 1MiB", 120, 40);
    t.wait_for(&["big", "stack"], 20);
    t.keys(&[":"]);
    t.text("goto big");
    t.keys(&["Enter"]);
    t.wait_for(&["[2048, 2048]"], 20);
    t.to_frame_pane();
    t.keys(&["z"]);
    let screen = t.wait_for(&["over the memory budget of 1.0 MiB", "--memory-limit"], 10);
    assert!(screen.contains("× 2048 elements needs about"), "{screen}");
    assert!(screen.contains("zoom in"), "{screen}");
    assert!(!screen.contains('▀'), "nothing drawn:\n{screen}");
    // Three steps in: an eighth of each side, within the budget.
    t.keys(&["+", "+", "+"]);
    let screen = t.wait_for(&["zoom 8x", "▀"], 10);
    assert!(!screen.contains("memory budget"), "{screen}");
    // A 3-D stack's frame is read whole: over the budget, it is refused.
    t.keys(&[":"]);
    t.text("goto stack");
    t.keys(&["Enter"]);
    t.wait_gone("zoom 8x", 20);
    t.keys(&["4"]);
    t.wait_for(
        &["one frame of 1024 × 1024 pixels", "over the memory budget"],
        10,
    );
    t.keys(&["q"]);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn wide_array_at_its_end_max_binned_snapshot() {
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("tempdir");
    let local = LocalBackend::open_or_create(tmp.path()).expect("store");
    // A slope along the columns, and a hot element near the end.
    let (h, w) = (48u64, 6000u64);
    let bytes = (0..h * w)
        .flat_map(|k| {
            let (y, x) = (k / w, k % w);
            let v: u16 = if (y, x) == (30, 5990) {
                60_000
            } else {
                (x / 10 + y) as u16
            };
            v.to_le_bytes()
        })
        .collect();
    let data = ArrayData::new(DType::UInt16, vec![h, w], bytes).unwrap();
    rt.block_on(create(&local, "wide", &[h, w], &[h, 1000], data));
    let b: Arc<dyn Backend> = Arc::new(local);
    let mut s = connected("store", "local:/store", b.capabilities(), 100, 30);
    let ready = Action::StoreReady {
        label: "store".into(),
        describe: "local:/store".into(),
        capabilities: b.capabilities(),
    };
    drive(&rt, &b, &mut s, ready);
    drive(&rt, &b, &mut s, Action::Goto("wide".into()));
    for _ in 0..3 {
        drive(&rt, &b, &mut s, key(KeyCode::Tab));
    }
    drive(&rt, &b, &mut s, ch('z'));
    for c in ['>', 'b'] {
        drive(&rt, &b, &mut s, ch(c));
    }
    let screen = render(&s);
    assert!(screen.contains("of 6 000 · uint16"), "{screen}");
    assert!(screen.contains("–5 999 of 6 000"), "{screen}");
    assert!(screen.contains("bin max"), "{screen}");
    insta::assert_snapshot!("frame_2d_wide_end_max_100x30", screen);
}

/// From a Tiled server the window is the server-side slice: after `>` the frame read holds the
/// last columns of a wide array, element for element, and nothing more.
#[test]
fn from_tiled_the_window_is_the_slice_read_at_its_place() {
    use extent::backend::tiled::TiledBackend;
    let rt = runtime();
    let server = common::tiled::server();
    let group = common::tiled::unique("frame2d");
    server.make_groups(&group);
    let store = format!("{}/{group}", server.url);
    let b: Arc<dyn Backend> =
        Arc::new(TiledBackend::new(&store, Some(server.api_key.as_str().into())).unwrap());
    let (h, w) = (40u64, 3000u64);
    let value = |y: u64, x: u64| (y * 7 + x) as u16;
    let bytes = (0..h * w)
        .flat_map(|k| value(k / w, k % w).to_le_bytes())
        .collect();
    let req = extent::backend::CreateRequest {
        data: Some(ArrayData::new(DType::UInt16, vec![h, w], bytes).unwrap()),
        ..common::create_request("wide", &[h, w], &[h, 500], DType::UInt16)
    };
    rt.block_on(b.create(&req)).expect("create on tiled");
    let mut s = connected("tiled", &store, b.capabilities(), 100, 30);
    let ready = Action::StoreReady {
        label: "tiled".into(),
        describe: b.describe(),
        capabilities: b.capabilities(),
    };
    drive(&rt, &b, &mut s, ready);
    drive(&rt, &b, &mut s, Action::Goto("wide".into()));
    for _ in 0..3 {
        drive(&rt, &b, &mut s, key(KeyCode::Tab));
    }
    drive(&rt, &b, &mut s, ch('>'));
    let f = &s.open.as_ref().expect("open").frame;
    assert!(f.error.is_none(), "{:?}", f.error);
    let img = f.image.as_ref().expect("the window read");
    let cols = img.width() as u64;
    assert!(
        cols > 10 && cols < 1000,
        "a window, not all {w} columns: {cols}"
    );
    assert_eq!(img.height() as u64, h);
    assert_eq!(img.origin, [0, w - cols]);
    for (y, x) in [(0, 0), (h - 1, cols - 1), (17, cols / 2)] {
        let want = value(y, w - cols + x) as f64;
        assert_eq!(
            img.get((y as usize, x as usize)),
            Some(want),
            "at ({y}, {x})"
        );
    }
    let screen = render(&s);
    assert!(screen.contains("–2 999 of 3 000"), "{screen}");
}

/// A waterfall growing along axis 0, followed in tmux: each append moves the window to the
/// newest rows with no key pressed, and the rows appended are the ones drawn (they are bright).
#[tokio::test(flavor = "multi_thread")]
async fn following_a_growing_waterfall_shows_its_newest_rows() {
    let (_tmp, home, dir, b) = scratch();
    let req = extent::backend::CreateRequest {
        data: Some(block(3000, 256, (0, 0))),
        resizable: vec![true, false],
        ..common::create_request("fall", &[3000, 256], &[100, 256], DType::UInt16)
    };
    b.create(&req).await.expect("create");
    let t = Tmux::extent(&home, &dir, "", 120, 40);
    t.wait_for(&["fall", "[3000, 256]"], 20);
    t.to_frame_pane();
    t.wait_for(&["rows 0–", "of 3 000", "▀"], 10);
    t.keys(&["F"]);
    t.wait_for(&["–2 999 of 3 000", "following"], 10);
    // Append bright rows (20 at a time, a fifth of a chunk): the window ends at them, and
    // the image's bottom is bright, its top the older dim rows.
    let bright = ArrayData::new(
        DType::UInt16,
        vec![20, 256],
        [60_000u16.to_le_bytes(); 20 * 256].concat(),
    )
    .expect("rows");
    for (n, end) in [(0u64, "3 019 of 3 020"), (1, "3 039 of 3 040")] {
        b.patch("fall", &[3000 + n * 20, 0], &bright, true)
            .await
            .expect("append");
        t.wait_for(&[end, "following"], 20);
    }
    t.wait_for(&["max 60000"], 10);
    // The screen catches up with the last read within a few draws: poll it.
    let start = std::time::Instant::now();
    loop {
        let img = image_cells(&t);
        let (y0, y1) = (
            img.iter().map(|p| p.0).min().unwrap_or(0),
            img.iter().map(|p| p.0).max().unwrap_or(0),
        );
        let row_mean = |y: usize| {
            let v: Vec<f64> = img.iter().filter(|p| p.0 == y).map(|p| p.2).collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        let (top, bottom) = (row_mean(y0), row_mean(y1));
        if bottom > 200.0 && top < 60.0 {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "top {top:.0}, bottom {bottom:.0}:\n{}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    t.keys(&["q"]);
}
