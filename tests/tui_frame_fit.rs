//! The Frame pane fills the pane: in tmux (`auto` picks half blocks there and says so in the
//! message log) a 128×128 frame fills most of a big pane with its bright quadrant in place;
//! the cursor still names the array element under it after the fit, zoomed or not; through a
//! graphics protocol (kitty, drawn on a TestBackend) the image is encoded again only when the
//! frame, the view or the pane changes; in half blocks the frame is binned to the pane only
//! when the frame, the view or the pane changes.

mod common;

use std::sync::Arc;

use common::tmux::{cells, isolated_env, luma, shell_quote, Tmux};
use common::tui::{connected, drive, key, render};
use crossterm::event::KeyCode;
use extent::app::action::Action;
use extent::app::state::{AppState, FrameProtocol};
use extent::backend::{ArrayData, Backend};

#[tokio::test(flavor = "multi_thread")]
async fn in_tmux_auto_is_half_blocks_and_a_small_frame_fills_a_big_pane() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let dir = tmp.path().join("store.zarr");
    common::quadrant_store(&dir, 128).await;
    let t = Tmux::extent(&home, &dir, "--graphics auto", 200, 60);
    t.wait_for(&["stack", "[1, 128, 128]"], 20);
    // Catalog → Chunks → History → Frame, maximised.
    t.to_frame_pane();
    t.wait_for(&["frame 0 · 1 frame ·", "▀"], 10);
    t.keys(&["z"]);
    let screen = t.wait_until(10, "the Frame pane maximised", |s| {
        s.lines().filter(|l| l.contains('▀')).count() > 30
    });
    assert!(!screen.contains("· halfblocks"), "{screen}");
    let grid = cells(&t.screen_colors());
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
    let (y0, y1) = (
        img.iter().map(|p| p.0).min().unwrap(),
        img.iter().map(|p| p.0).max().unwrap(),
    );
    let (x0, x1) = (
        img.iter().map(|p| p.1).min().unwrap(),
        img.iter().map(|p| p.1).max().unwrap(),
    );
    let (rows, cols) = (y1 - y0 + 1, x1 - x0 + 1);
    // 60 lines less the borders, bars, colour bar and readout leave about 50 lines: 100
    // pixel rows, so about 100 columns; the old whole-factor fit drew 64 lines at most
    // 32 (a factor of 2).
    assert!(rows >= 45, "{rows} lines tall:\n{}", t.screen());
    assert!(
        (cols as f64 - 2.0 * rows as f64).abs() <= 2.0,
        "{cols} columns for {rows} lines: square pixels are twice as wide in lines"
    );
    // The bright quadrant is the top right one.
    let (my, mx) = ((y0 + y1) / 2, (x0 + x1) / 2);
    let mean = |f: &dyn Fn(usize, usize) -> bool| {
        let v: Vec<f64> = img.iter().filter(|p| f(p.0, p.1)).map(|p| p.2).collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let top_right = mean(&|y, x| y < my - 1 && x > mx + 1);
    for (name, other) in [
        ("top left", mean(&|y, x| y < my - 1 && x < mx - 1)),
        ("bottom left", mean(&|y, x| y > my + 1 && x < mx - 1)),
        ("bottom right", mean(&|y, x| y > my + 1 && x > mx + 1)),
    ] {
        assert!(
            top_right > other + 150.0,
            "top right {top_right:.0} vs {name} {other:.0}:\n{}",
            t.screen()
        );
    }
    // The message log says which way images go, and why.
    t.keys(&["m"]);
    t.wait_for(&["frame images: halfblocks (inside tmux)"], 10);
    t.keys(&["Escape", "q"]);
}

/// `auto` outside tmux asks the terminal (here tmux's pane with `TMUX` unset, which names no
/// graphics protocol): half blocks, said in the message log, and afterwards every key still
/// reaches the TUI in raw mode (a query left reading stdin, or cooked modes put back, would
/// eat keys or echo them); quitting gives the shell its modes back.
#[tokio::test(flavor = "multi_thread")]
async fn auto_asks_the_terminal_and_keys_still_work_after() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let dir = tmp.path().join("store.zarr");
    common::quadrant_store(&dir, 16).await;
    let cmd = format!(
        "env -u TMUX TERM=xterm-256color {} {} --store {}; stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo; sleep 30",
        isolated_env(&home),
        shell_quote(&common::extent_bin()),
        shell_quote(&dir)
    );
    let t = Tmux::start(&home, &cmd, 120, 40);
    t.wait_for(&["stack", "[1, 16, 16]"], 20);
    t.keys(&["m"]);
    let log = t.wait_for(&["frame images: halfblocks ("], 10);
    assert!(!log.contains("inside tmux"), "{log}");
    t.keys(&["Escape"]);
    t.wait_gone("frame images:", 10);
    t.to_frame_pane();
    t.wait_for(&["frame 0 · 1 frame ·"], 10);
    t.keys(&["z"]);
    let screen = t.wait_for(&["Catalog   2 Chunks"], 10);
    assert!(
        !screen.contains("zz") && !screen.contains("mz"),
        "keys echoed:\n{screen}"
    );
    t.keys(&["q"]);
    t.wait_for(&["icanon", "echo"], 10);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The app at `w`×`h` on a 16² stack, the Frame pane focused and its frame read.
fn frame_view(rt: &tokio::runtime::Runtime, b: &Arc<dyn Backend>, w: u16, h: u16) -> AppState {
    let mut s = connected("store", "local:/store", b.capabilities(), w, h);
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
    assert!(
        s.open.as_ref().unwrap().frame.image.is_some(),
        "no frame read"
    );
    s
}

/// Draws `s` on a TestBackend (monochrome theme: no colour, so the cursor is a reversed `+`).
fn draw(s: &AppState) -> ratatui::buffer::Buffer {
    let theme = extent::ui::theme::Theme::monochrome();
    let backend = ratatui::backend::TestBackend::new(s.size.width, s.size.height);
    let mut term = ratatui::Terminal::new(backend).unwrap();
    term.draw(|f| {
        extent::ui::draw(
            f,
            &extent::ui::View {
                state: s,
                theme: &theme,
            },
        )
    })
    .unwrap();
    term.backend().buffer().clone()
}

/// The cell of the cursor mark (a reversed `+`) in the Frame pane, and the screen's text.
fn cursor_cell(s: &AppState) -> ((u16, u16), String) {
    let buf = draw(s);
    let area = s.areas().frame.expect("the Frame pane");
    let mut at = None;
    for y in area.y..area.y + area.height {
        for x in area.x..area.x + area.width {
            let c = &buf[(x, y)];
            if c.symbol() == "+" && c.modifier.contains(ratatui::style::Modifier::REVERSED) {
                at = Some((x, y));
            }
        }
    }
    (at.expect("a cursor mark"), render(s))
}

#[test]
fn the_cursor_names_the_element_under_it_after_the_fit() {
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("tempdir");
    let b: Arc<dyn Backend> = Arc::new(rt.block_on(common::quadrant_store(tmp.path(), 16)));
    for zoom in [0, 1] {
        let mut s = frame_view(&rt, &b, 160, 48);
        {
            let f = &mut s.open.as_mut().unwrap().frame;
            f.zoom = zoom;
            f.pan = (zoom as u64 * 4, zoom as u64 * 4);
            f.cursor = Some((5, 9));
        }
        let ((x, y), screen) = cursor_cell(&s);
        assert!(screen.contains("y 5 x 9 = 30000"), "{screen}");
        // The mark sits inside the marked element's block of cells: the element is drawn
        // magnified, so the cells around the mark (within half a block) are its level.
        let area = s.areas().frame.unwrap();
        let image_h = area.height - 2 - 3;
        let (view_h, view_w) = (16u64 >> zoom, 16u64 >> zoom);
        let (pan_y, pan_x) = (zoom as u64 * 4, zoom as u64 * 4);
        let (ph, pw) = extent::frame::fit::fit_size(
            view_h as usize,
            view_w as usize,
            image_h as usize * 2,
            area.width as usize - 2,
        );
        let left = area.x + 1 + (area.width - 2 - pw as u16) / 2;
        let top = area.y + 1 + (image_h - (ph as u16).div_ceil(2)) / 2;
        let col = (x - left) as u64 * view_w / pw as u64 + pan_x;
        let row = ((y - top) as u64 * 2) * view_h / ph as u64 + pan_y;
        assert_eq!(
            (row, col),
            (5, 9),
            "zoom {zoom}: mark at cell ({x}, {y}):\n{screen}"
        );
    }
}

#[test]
fn a_graphics_protocol_image_is_encoded_only_when_it_changes() {
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("tempdir");
    let b: Arc<dyn Backend> = Arc::new(rt.block_on(common::quadrant_store(tmp.path(), 16)));
    let mut s = frame_view(&rt, &b, 120, 40);
    s.frame_protocol = FrameProtocol::Kitty { cell: (10, 20) };
    let before = extent::ui::graphics::encoded();
    let buf = draw(&s);
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("\x1b_G"), "no kitty transmission");
    assert!(text.contains('\u{10EEEE}'), "no kitty placeholders");
    assert!(text.contains("· kitty "), "the title names the protocol");
    assert_eq!(extent::ui::graphics::encoded(), before + 1);
    // Redraws that change nothing send nothing new.
    for _ in 0..5 {
        let again = draw(&s);
        let t: String = again.content().iter().map(|c| c.symbol()).collect();
        assert!(!t.contains("\x1b_G"), "transmitted again");
        assert!(t.contains('\u{10EEEE}'), "the placeholders stay");
    }
    assert_eq!(extent::ui::graphics::encoded(), before + 1);
    // A new colormap, or another pane size, is a new image.
    drive(
        &rt,
        &b,
        &mut s,
        extent::app::action::Action::Resize(100, 36),
    );
    draw(&s);
    assert_eq!(extent::ui::graphics::encoded(), before + 2);
    s.open.as_mut().unwrap().frame.colormap = extent::frame::Colormap::Magma;
    let buf = draw(&s);
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("\x1b_G"), "the new image is sent");
    assert_eq!(extent::ui::graphics::encoded(), before + 3);
}

#[test]
fn half_blocks_bin_a_frame_once_per_frame_and_view() {
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("tempdir");
    let b: Arc<dyn Backend> = Arc::new(rt.block_on(common::quadrant_store(tmp.path(), 16)));
    let mut s = frame_view(&rt, &b, 120, 40);
    assert_eq!(s.frame_protocol, FrameProtocol::Halfblocks);
    let before = extent::ui::frame_pane::binnings();
    // Monochrome: the bright quadrant is drawn with the ramp's brightest glyph (the colour
    // bar, the line with the whole ramp, is left out).
    let bright = |screen: &str| -> usize {
        let image = screen.lines().filter(|l| !l.contains(":::"));
        image.map(|l| l.matches('@').count()).sum()
    };
    let first = render(&s);
    assert!(bright(&first) > 10, "{first}");
    // Redraws of the same frame (a tick, a live event, a cursor move) bin nothing.
    for _ in 0..4 {
        draw(&s);
    }
    s.open.as_mut().unwrap().frame.cursor = Some((5, 9));
    assert!(render(&s).contains("y 5 x 9 = 30000"));
    assert_eq!(extent::ui::frame_pane::binnings(), before + 1);
    // A new frame (here: all pixels 100) is binned once, and drawn, not the old one.
    let f = &mut s.open.as_mut().unwrap().frame;
    let old = f.image.as_ref().unwrap();
    let dims = [1, old.height() as u64, old.width() as u64];
    let flat = ArrayData::filled(old.dtype, &dims, &serde_json::json!(100)).expect("flat");
    let next = extent::frame::Frame::from_data(&flat, old.index.clone(), old.origin);
    f.image = Some(Arc::new(next.expect("frame")));
    let flat = render(&s);
    draw(&s);
    assert_eq!(extent::ui::frame_pane::binnings(), before + 2);
    assert_eq!(bright(&flat), 0, "the new frame is drawn:\n{flat}");
    // Another pane size, a zoom: one binning each.
    drive(&rt, &b, &mut s, Action::Resize(100, 36));
    draw(&s);
    draw(&s);
    assert_eq!(extent::ui::frame_pane::binnings(), before + 3);
    s.open.as_mut().unwrap().frame.zoom = 1;
    draw(&s);
    draw(&s);
    assert_eq!(extent::ui::frame_pane::binnings(), before + 4);
}
