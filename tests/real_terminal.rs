//! Frame images in a real graphics terminal: xterm emulating a VT340 (sixel) on a virtual X
//! display. `--graphics auto` must find sixel there, although xterm keeps its cell size to
//! itself (its window operations are off by default), and the picture on the X screen must
//! have the frame's bright quadrant where the array has it — for `extent frame` printing
//! inline and for the TUI's Frame pane.
//!
//! kitty too: an old kitty (before 0.28) answers kitty's query but cannot draw the image's
//! placeholders, so `auto` must fall back to half blocks there.
//!
//! Needs Xvfb, xterm, kitty and xdotool (`.ci/run` installs them); without them the tests fail
//! saying so.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::tmux::{isolated_env, shell_quote};

fn need(tool: &str, package: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed: the real-terminal tests need it (apt-get install {package})"
    );
}

/// A virtual X display (Xvfb), stopped when dropped.
struct Display {
    xvfb: Child,
    name: String,
}

impl Display {
    fn start() -> Display {
        need("Xvfb", "xvfb");
        need("xterm", "xterm");
        need("xdotool", "xdotool");
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start Xvfb");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("Xvfb's display number");
        assert!(!line.trim().is_empty(), "Xvfb did not start");
        Display {
            xvfb,
            name: format!(":{}", line.trim()),
        }
    }

    /// xterm as a VT340 with 256 sixel colour registers, white on black, running `cmd`.
    fn xterm(&self, home: &Path, cmd: &str) -> Child {
        let mut c = Command::new("xterm");
        c.args(["-ti", "vt340", "-xrm", "XTerm*decTerminalID: vt340"])
            .args(["-xrm", "XTerm*numColorRegisters: 256"])
            .args(["-bg", "black", "-fg", "white", "-geometry", "160x48+0+0"])
            .args(["-e", "sh", "-c", cmd]);
        self.spawn(c, home)
    }

    /// kitty (the real one: OpenGL through Mesa's software renderer) running `cmd`.
    fn kitty(&self, home: &Path, cmd: &str) -> Child {
        let mut c = Command::new("kitty");
        c.args(["--config", "NONE", "-o", "initial_window_width=900"])
            .args([
                "-o",
                "initial_window_height=700",
                "-o",
                "background=#000000",
            ])
            .args(["sh", "-c", cmd])
            .env("LIBGL_ALWAYS_SOFTWARE", "1");
        self.spawn(c, home)
    }

    /// Starts a terminal on this display with `home` as HOME and nothing that would tell
    /// extent it runs in another terminal (tmux, iTerm2, WezTerm).
    fn spawn(&self, mut c: Command, home: &Path) -> Child {
        c.env("DISPLAY", &self.name)
            .env("HOME", home)
            .env_remove("TMUX")
            .env_remove("TERM_PROGRAM")
            .env_remove("LC_TERMINAL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", c.get_program()))
    }

    fn key(&self, key: &str) {
        let ok = Command::new("xdotool")
            .args(["key", key])
            .env("DISPLAY", &self.name)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "xdotool key {key} failed");
    }

    /// Where the frame is on the X screen: the bounding box of viridis' darkest colour, and the
    /// mean position of its brightest, from a screenshot (Pillow in the test venv).
    fn picture(&self) -> serde_json::Value {
        let out = common::python(
            r#"
import json, sys
from PIL import ImageGrab
im = ImageGrab.grab(xdisplay=sys.argv[1]).convert("RGB")
w, h = im.size
px = im.load()
dark, bright = [], []
for y in range(0, h, 2):
    for x in range(0, w, 2):
        r, g, b = px[x, y]
        if abs(r - 68) < 24 and g < 40 and abs(b - 84) < 30:
            dark.append((x, y))
        elif r > 200 and g > 190 and b < 90:
            bright.append((x, y))
def box(p):
    if not p:
        return None
    xs = [q[0] for q in p]; ys = [q[1] for q in p]
    return [min(xs), min(ys), max(xs), max(ys), len(p)]
d = box(dark)
quads = [0, 0, 0, 0]  # bright pixels in the dark box's top left, top right, bottom left, bottom right
if d:
    mx, my = (d[0] + d[2]) / 2, (d[1] + d[3]) / 2
    for x, y in bright:
        if d[0] <= x <= d[2] and d[1] <= y <= d[3]:
            quads[(2 if y > my else 0) + (1 if x > mx else 0)] += 1
print(json.dumps({"dark": d, "bright": quads}))
"#,
            &[&self.name],
        );
        serde_json::from_str(out.trim()).expect("picture json")
    }

    /// Waits until the screenshot shows both colours of the frame, the picture at least
    /// `min_height` pixels tall.
    fn wait_picture(&self, secs: u64, min_height: i64) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let p = self.picture();
            let height = p["dark"][3].as_i64().unwrap_or(0) - p["dark"][1].as_i64().unwrap_or(0);
            if height >= min_height && p["bright"][1].as_i64().unwrap_or(0) > 0 {
                return p;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "no frame on the X screen after {secs} s: {p}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// The bright part of the picture is its top-right quarter: nearly all the bright pixels in
/// the picture's box are there, and the picture is image-sized, not a few cells.
fn bright_top_right(p: &serde_json::Value) -> bool {
    std::panic::catch_unwind(|| assert_bright_top_right(p)).is_ok()
}

fn assert_bright_top_right(p: &serde_json::Value) {
    let v = |k: &str, i: usize| p[k][i].as_i64().expect("number");
    let (w, h) = (v("dark", 2) - v("dark", 0), v("dark", 3) - v("dark", 1));
    assert!(w >= 60 && h >= 60, "picture too small: {p}");
    let (tl, tr, bl, br) = (
        v("bright", 0),
        v("bright", 1),
        v("bright", 2),
        v("bright", 3),
    );
    // A quarter of the box, sampled every 2 pixels, is w*h/16 points.
    assert!(
        tr * 16 >= w * h / 2,
        "the top-right quarter is not bright: {p}"
    );
    assert!(
        tl + bl + br <= tr / 10,
        "bright pixels outside the top right: {p}"
    );
}

fn log_text(home: &Path) -> String {
    let path: PathBuf = home.join("state/extent/extent.log");
    std::fs::read_to_string(&path).unwrap_or_default()
}

fn wait_log(home: &Path, needle: &str, secs: u64) -> String {
    let start = Instant::now();
    loop {
        let log = log_text(home);
        if log.contains(needle) {
            return log;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "no {needle:?} in the log after {secs} s:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Which terminal to run `extent frame` in.
enum Terminal {
    Xterm,
    Kitty,
}

/// Runs `extent frame stack --last --colormap viridis --graphics auto` on the store `dir` in
/// `terminal` on `x`, waits (up to 60 s) for it to end with 0, and gives its log; the terminal
/// stays open (the returned child) so its screen can be read.
fn frame_in(
    x: &Display,
    terminal: Terminal,
    tmp: &Path,
    home: &Path,
    dir: &Path,
) -> (String, Child) {
    let done = tmp.join("done");
    let cmd = format!(
        "{} {} frame stack --store {} --last --colormap viridis --graphics auto; echo $? > {}; sleep 60",
        isolated_env(home),
        shell_quote(&common::extent_bin()),
        shell_quote(dir),
        shell_quote(&done)
    );
    let term = match terminal {
        Terminal::Xterm => x.xterm(home, &cmd),
        Terminal::Kitty => x.kitty(home, &cmd),
    };
    let start = Instant::now();
    while !done.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "extent frame did not end"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let code = std::fs::read_to_string(&done).expect("exit code");
    let log = log_text(home);
    assert_eq!(code.trim(), "0", "extent frame failed:\n{log}");
    (log, term)
}

#[tokio::test(flavor = "multi_thread")]
async fn extent_frame_auto_prints_sixel_in_xterm() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let dir = tmp.path().join("store.zarr");
    common::quadrant_store(&dir, 128).await;
    let x = Display::start();
    let (log, mut term) = frame_in(&x, Terminal::Xterm, tmp.path(), &home, &dir);
    assert!(log.contains("protocol=\"sixel\""), "{log}");
    assert!(log.contains("the window's pixels"), "{log}");
    let p = x.wait_picture(10, 60);
    assert_bright_top_right(&p);
    let _ = term.kill();
    let _ = term.wait();
}

/// kitty's version as `(major, minor)`, from `kitty --version` ("kitty 0.26.5 created by …").
fn kitty_version() -> (u32, u32) {
    need("kitty", "kitty");
    let out = Command::new("kitty")
        .arg("--version")
        .output()
        .expect("kitty --version");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let v = text
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// In kitty, `auto` uses kitty's protocol where kitty can draw its placeholders (0.28 and
/// later) and half blocks before that (older kittys answer the query but show boxes where
/// the image should be); either way the frame is on the screen, bright quadrant in place.
#[tokio::test(flavor = "multi_thread")]
async fn extent_frame_auto_in_kitty_draws_the_frame() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let dir = tmp.path().join("store.zarr");
    common::quadrant_store(&dir, 128).await;
    let version = kitty_version();
    let x = Display::start();
    let (log, mut term) = frame_in(&x, Terminal::Kitty, tmp.path(), &home, &dir);
    if version >= (0, 28) {
        assert!(
            log.contains("protocol=\"kitty\""),
            "kitty {version:?}:\n{log}"
        );
    } else {
        assert!(
            log.contains("protocol=\"halfblocks\""),
            "kitty {version:?}:\n{log}"
        );
        assert!(
            log.contains("cannot draw kitty images by placeholders"),
            "{log}"
        );
    }
    let p = x.wait_picture(20, 60);
    assert_bright_top_right(&p);
    let _ = term.kill();
    let _ = term.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_frame_pane_draws_sixel_in_xterm() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let dir = tmp.path().join("store.zarr");
    common::quadrant_store(&dir, 128).await;
    let x = Display::start();
    let cmd = format!(
        "{} {} --store {} --graphics auto; sleep 60",
        isolated_env(&home),
        shell_quote(&common::extent_bin()),
        shell_quote(&dir)
    );
    let mut term = x.xterm(&home, &cmd);
    wait_log(&home, "frame images protocol=\"sixel\"", 20);
    // Catalog → Chunks → History → Frame; then viridis (gray → viridis is one `c`), maximised.
    std::thread::sleep(Duration::from_millis(800));
    for k in ["Tab", "Tab", "Tab"] {
        x.key(k);
        std::thread::sleep(Duration::from_millis(300));
    }
    x.key("c");
    std::thread::sleep(Duration::from_millis(300));
    x.key("z");
    // Maximised, the pane is most of the 160×48 window: the image is hundreds of pixels tall.
    // The screen may be caught between the two layouts: read it until it settles.
    let start = Instant::now();
    let p = loop {
        let p = x.wait_picture(15, 300);
        if bright_top_right(&p) || start.elapsed() > Duration::from_secs(15) {
            break p;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_bright_top_right(&p);
    x.key("q");
    let _ = term.kill();
    let _ = term.wait();
}
