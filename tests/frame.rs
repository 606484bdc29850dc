//! `extent frame`: the PNG holds the array's pixels (decoded by Pillow in the test venv and
//! compared with numpy), a bright quadrant is brighter, only the frame's chunks are read, the
//! same frame from Tiled gives the same file, errors are clear and write nothing; the inline
//! print on a terminal; the widget at a small size (insta).

mod common;

use std::path::Path;

use common::{extent, snapshot_dir};
use extent::backend::{ArrayData, DType};
use serde_json::Value;

/// Frames × rows × columns of the test stack; chunks of one frame by 16×16.
const SHAPE: [u64; 3] = [3, 32, 48];

use common::cli_env::{env, Env};

impl Env {
    fn json(&self, args: &[&str]) -> Value {
        common::expect_json(args, &self.run(args))
    }

    /// The stack `a` (see [`stack`]), its source kept as `a.npy` for numpy.
    fn with_stack(self) -> Env {
        let src = self.root.join("a.npy");
        std::fs::write(&src, extent::npy::encode(&stack())).unwrap();
        let out = self.run(&[
            "create",
            "a",
            "--from",
            src.to_str().unwrap(),
            "--chunks",
            "1,16,16",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self
    }

    fn path(&self, name: &str) -> String {
        self.root.join(name).to_string_lossy().into_owned()
    }

    /// A refusal of `kind` with `needle` in its message (JSON on stderr); nothing changed in
    /// the store or beside it.
    fn refused(&self, args: &[&str], kind: &str, needle: &str) {
        let before = (snapshot_dir(Path::new(&self.store)), listing(&self.root));
        let out = self.run(args);
        let after = (snapshot_dir(Path::new(&self.store)), listing(&self.root));
        assert!(!out.status.success(), "extent {args:?} succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let err: Value = serde_json::from_str(stderr.trim())
            .unwrap_or_else(|e| panic!("extent {args:?}: stderr is not JSON ({e}): {stderr}"));
        assert_eq!(err["error"]["kind"], kind, "extent {args:?}: {stderr}");
        let msg = err["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains(needle),
            "extent {args:?}: {msg:?} lacks {needle:?}"
        );
        assert!(out.stdout.is_empty(), "extent {args:?} printed a result");
        assert!(before == after, "extent {args:?} changed files");
    }
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// uint16 frames: value (row * 48 + col) % 1000 + 100 * frame, and in frame 2 a bright top-left
/// quadrant (rows 0–15, columns 0–23) of 4000.
fn stack() -> ArrayData {
    let [f, h, w] = SHAPE;
    let mut bytes = Vec::new();
    for k in 0..f {
        for r in 0..h {
            for c in 0..w {
                let v = if k == 2 && r < 16 && c < 24 {
                    4000
                } else {
                    (r * w + c) % 1000 + 100 * k
                };
                bytes.extend_from_slice(&(v as u16).to_le_bytes());
            }
        }
    }
    ArrayData::new(DType::UInt16, SHAPE.to_vec(), bytes).unwrap()
}

/// Decodes `png` with Pillow and checks it against `src[pick]` (numpy): gray with
/// limits `lo..hi` gives level round((v - lo) / (hi - lo) * 255) in all three channels.
/// Prints the mean level of the bright quadrant and of the rest.
fn check_gray(png: &str, src: &str, pick: &str, lo: f64, hi: f64) -> (f64, f64) {
    let code = format!(
        "import numpy as np, json, sys\n\
         from PIL import Image\n\
         im = Image.open(sys.argv[1])\n\
         assert im.mode == 'RGB', im.mode\n\
         img = np.asarray(im)\n\
         a = np.load(sys.argv[2]){pick}.astype(np.float64)\n\
         assert img.shape == a.shape + (3,), (img.shape, a.shape)\n\
         t = np.clip((a - {lo}) / ({hi} - {lo}), 0, 1)\n\
         want = np.floor(t * 255 + 0.5).astype(np.uint8)\n\
         for ch in range(3):\n\
         \x20   bad = np.argwhere(img[..., ch] != want)\n\
         \x20   assert len(bad) == 0, ('channel', ch, 'differs at', bad[:5].tolist(), img[..., ch][tuple(bad[0])], want[tuple(bad[0])])\n\
         q = np.zeros(a.shape, bool); q[:16, :24] = True\n\
         rest = img[~q, 0]\n\
         print(json.dumps([float(img[q, 0].mean()), float(rest.mean()) if rest.size else -1.0]))\n"
    );
    let out = common::python(&code, &[png, src]);
    let v: Vec<f64> = serde_json::from_str(out.trim()).unwrap();
    (v[0], v[1])
}

#[test]
fn png_pixels_match_the_array_and_the_bright_quadrant_is_brighter() {
    let e = env().with_stack();
    let png = e.path("f2.png");
    let args = [
        "frame",
        "a",
        "--index",
        "2",
        "--colormap",
        "gray",
        "--contrast",
        "0:4095",
        "--out",
        &png,
        "--json",
    ];
    let v = e.json(&args);
    assert_eq!(v["array"], "a");
    assert_eq!(v["index"], serde_json::json!([2]));
    assert_eq!(v["frames"], 3);
    assert_eq!(v["shape"], serde_json::json!([32, 48]));
    assert_eq!(v["dtype"], "uint16");
    assert_eq!(v["colormap"], "gray");
    assert_eq!(v["contrast"], "0:4095");
    assert_eq!(v["limits"]["lo"], 0.0);
    assert_eq!(v["limits"]["hi"], 4095.0);
    assert_eq!(v["stats"]["max"], 4000.0);
    assert_eq!(v["stats"]["min"], 200.0);
    assert_eq!(v["stats"]["nan"], 0);
    assert_eq!(v["stats"]["pixels"], 32 * 48);
    assert_eq!(v["out"], png.as_str());
    let src = e.path("a.npy");
    let (bright, rest) = check_gray(&png, &src, "[2]", 0.0, 4095.0);
    assert!(bright > rest * 2.0, "quadrant {bright} vs rest {rest}");

    // auto contrast and viridis: the quadrant (above the 99th percentile) takes viridis' last
    // colour, and the limits printed are the ones the pixels were drawn with.
    let png = e.path("v2.png");
    let v = e.json(&[
        "frame",
        "a",
        "--last",
        "--colormap",
        "viridis",
        "--out",
        &png,
        "--json",
    ]);
    assert_eq!(v["index"], serde_json::json!([2]));
    assert_eq!(v["contrast"], "auto");
    let (lo, hi) = (
        v["limits"]["lo"].as_f64().unwrap(),
        v["limits"]["hi"].as_f64().unwrap(),
    );
    assert!(lo >= 200.0 && hi <= 4000.0 && lo < hi, "{v}");
    let code = "import numpy as np, sys\nfrom PIL import Image\n\
                img = np.asarray(Image.open(sys.argv[1]).convert('RGB')).astype(int)\n\
                q = img[:16, :24].reshape(-1, 3)\n\
                assert (q == [253, 231, 37]).all(), q[:3]\n\
                luma = img @ [299, 587, 114]\n\
                print(luma[:16, :24].mean() > 2 * luma[16:, :].mean())\n";
    assert_eq!(common::python(code, &[&png]).trim(), "True");
}

#[test]
fn only_the_frames_chunks_are_read() {
    let e = env().with_stack();
    // Spoil every chunk of frame 0: frame 2 still comes out, frame 0 does not.
    let mut spoiled = 0;
    for (p, _) in snapshot_dir(&Path::new(&e.store).join("a")) {
        let rel = p.strip_prefix(Path::new(&e.store).join("a")).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        if parts.first().map(String::as_str) == Some("c")
            && parts.get(1).map(String::as_str) == Some("0")
        {
            std::fs::write(&p, b"not a chunk").unwrap();
            spoiled += 1;
        }
    }
    assert_eq!(spoiled, 6, "frame 0 has 2 x 3 chunks");
    let png = e.path("ok.png");
    let v = e.json(&["frame", "a", "--index", "2", "--out", &png, "--json"]);
    assert_eq!(v["index"], serde_json::json!([2]));
    let out = e.run(&["frame", "a", "--index", "0", "--json"]);
    assert!(!out.status.success(), "a spoiled frame 0 was read");
}

#[test]
fn the_same_frame_from_tiled_gives_the_same_png() {
    let e = env().with_stack();
    let local = e.path("local.png");
    e.json(&[
        "frame",
        "a",
        "--index",
        "1",
        "--colormap",
        "magma",
        "--out",
        &local,
        "--json",
    ]);

    let s = common::tiled::server();
    let group = common::tiled::unique("frame");
    s.make_groups(&group);
    let store = format!("{}/{group}", s.url);
    let run = |args: &[&str]| {
        let mut all = vec!["--store", store.as_str(), "--api-key", s.api_key.as_str()];
        all.extend_from_slice(args);
        extent(&e.home, &all)
    };
    let src = e.path("a.npy");
    let made = run(&["create", "a", "--from", &src, "--chunks", "1,16,16"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let remote = e.path("remote.png");
    let args = [
        "frame",
        "a",
        "--index",
        "1",
        "--colormap",
        "magma",
        "--out",
        &remote,
        "--json",
    ];
    let v = common::expect_json(&args, &run(&args));
    assert_eq!(v["shape"], serde_json::json!([32, 48]));
    assert_eq!(
        std::fs::read(&local).unwrap(),
        std::fs::read(&remote).unwrap()
    );
    let out = run(&["frame", "a", "--index", "3", "--json"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "invalid_input");
}

#[test]
fn bad_requests_are_refused_clearly_and_write_nothing() {
    let e = env().with_stack();
    e.json(&[
        "create", "line", "--shape", "10", "--dtype", "uint8", "--json",
    ]);
    e.json(&[
        "create", "flat", "--shape", "4,5", "--dtype", "float32", "--json",
    ]);
    let png = e.path("x.png");
    e.refused(
        &["frame", "line", "--out", &png, "--json"],
        "invalid_input",
        "at least 2",
    );
    e.refused(
        &["frame", "a", "--index", "3", "--out", &png, "--json"],
        "invalid_input",
        "out of range",
    );
    e.refused(
        &["frame", "a", "--index", "x", "--json"],
        "invalid_input",
        "not a frame index",
    );
    e.refused(
        &["frame", "a", "--index", "1,2", "--json"],
        "invalid_input",
        "leading axis",
    );
    e.refused(
        &["frame", "flat", "--index", "0", "--json"],
        "invalid_input",
        "2-D",
    );
    e.refused(
        &["frame", "a", "--contrast", "9:1", "--json"],
        "invalid_input",
        "LO:HI",
    );
    e.refused(
        &["frame", "a", "--colormap", "jet", "--json"],
        "invalid_input",
        "jet",
    );
    e.refused(&["frame", "nope", "--json"], "not_found", "nope");
    let inside = format!("{}/a/x.png", e.store);
    e.refused(
        &["frame", "a", "--out", &inside, "--json"],
        "invalid_input",
        "inside the store",
    );
    std::fs::write(&png, b"old").unwrap();
    e.refused(
        &["frame", "a", "--out", &png, "--json"],
        "already_exists",
        "--force",
    );
    e.refused(
        &["frame", "a", "--out", &e.root.to_string_lossy(), "--json"],
        "invalid_input",
        "directory",
    );
    // Without --out or --json, and not on a terminal: no image to print.
    let out = e.run(&["frame", "a"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--out FILE.png") && err.contains("invalid_input"),
        "{err}"
    );
    e.json(&[
        "create", "empty", "--shape", "2,0,4", "--dtype", "uint8", "--json",
    ]);
    e.refused(&["frame", "empty", "--json"], "invalid_input", "no pixels");
    // --force replaces the file; --graphics none prints the numbers without an image.
    e.json(&["frame", "a", "--out", &png, "--force", "--json"]);
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
    let out = e.run(&["--graphics", "none", "frame", "a", "--index", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("frame 2 of a (3 frames)") && text.contains("max 4000"),
        "{text}"
    );
    // So does the config file's `graphics = "none"`; a value it does not know is refused.
    let config = e.home.join("config/extent");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "graphics = \"none\"\n").unwrap();
    let out = e.run(&["frame", "a", "--index", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(config.join("config.toml"), "graphics = \"chafa\"\n").unwrap();
    e.refused(&["frame", "a", "--json"], "invalid_input", "chafa");
}

#[test]
fn bool_is_0_and_1_and_a_2d_array_is_one_frame() {
    let e = env();
    let src = e.path("b.npy");
    let b = ArrayData::new(DType::Bool, vec![2, 3], vec![1, 0, 1, 0, 1, 0]).unwrap();
    std::fs::write(&src, extent::npy::encode(&b)).unwrap();
    let out = e.run(&["create", "b", "--from", &src]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = e.path("b.png");
    let v = e.json(&[
        "frame",
        "b",
        "--last",
        "--contrast",
        "minmax",
        "--out",
        &png,
        "--json",
    ]);
    assert_eq!(v["index"], serde_json::json!([]));
    assert_eq!(v["frames"], 1);
    assert_eq!(
        (v["limits"]["lo"].as_f64(), v["limits"]["hi"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    check_gray(&png, &src, "", 0.0, 1.0);
}

/// On a terminal (a pty from `script`) the frame is printed with half blocks in 24-bit colour,
/// fitted to fill the terminal with its aspect ratio kept: the bright quadrant's cells carry
/// its grey, the rest darker ones. `auto` inside tmux is half blocks too (no query is sent),
/// the same text as `--graphics halfblocks`.
#[test]
fn on_a_terminal_the_frame_is_printed_with_half_blocks() {
    let e = env().with_stack();
    let run = |graphics: &str, tmux: bool| {
        let cmd = format!(
            "stty cols 100 rows 40; {} --store {} --graphics {graphics} frame a --index 2 \
             --colormap gray --contrast 0:4095",
            common::extent_bin().display(),
            e.store
        );
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .env("HOME", &e.home)
            .env("XDG_CONFIG_HOME", e.home.join("config"))
            .env("XDG_STATE_HOME", e.home.join("state"))
            .env("COLORTERM", "truecolor")
            .env("TERM", "xterm-256color")
            .env_remove("TERM_PROGRAM")
            .env_remove("NO_COLOR");
        if tmux {
            c.env("TMUX", "/tmp/tmux-0/default,1,0");
        } else {
            c.env_remove("TMUX");
        }
        let out = c
            .output()
            .expect("script (util-linux) is needed to give the command a terminal");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        text
    };
    let text = run("halfblocks", false);
    let lines: Vec<&str> = text.lines().collect();
    // 32×48 pixels fill 36 lines × 100 columns as 66×100 pixels: 33 lines. The quadrant
    // (rows 0–15, columns 0–23; 4000 of 4095 → level 249) is pixel rows 0–32 (lines 0–15
    // whole, the upper half of line 16) and columns 0–49.
    let bright = "\x1b[38;2;249;249;249;48;2;249;249;249m";
    let cells = |line: &str| line.matches('▀').count();
    assert!(lines[0].starts_with(bright), "{:?}", lines[0]);
    assert!(lines[15].starts_with(bright), "{:?}", lines[15]);
    assert!(
        lines[16].starts_with("\x1b[38;2;249;249;249;48;2;"),
        "{:?}",
        lines[16]
    );
    assert!(!lines[16].starts_with(bright), "{:?}", lines[16]);
    assert!(!lines[17].contains(bright), "{:?}", lines[17]);
    let first = &lines[0][bright.len()..];
    assert_eq!(first.find('\x1b').map(|at| cells(&first[..at])), Some(50));
    assert_eq!(cells(lines[0]), 100, "{:?}", lines[0]);
    assert_eq!(
        lines.iter().filter(|l| l.contains('▀')).count(),
        33,
        "{text}"
    );
    assert!(
        text.contains("frame 2 of a (3 frames): 32x48 uint16"),
        "{text}"
    );
    assert_eq!(run("auto", true), text, "auto in tmux is not half blocks");
}

/// The widget at a small size: half blocks in 24-bit colour (cell by cell), the colour bar with
/// its limits, and the character ramp used without colour.
#[test]
fn widget_snapshots() {
    use extent::frame::{Colormap, Limits};
    use extent::ui::frame::{ColorBar, Depth, Heatmap};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    let px = ndarray::Array2::from_shape_fn((6, 12), |(r, c)| {
        if r == 2 && c == 5 {
            f64::NAN
        } else {
            (r * 12 + c) as f64
        }
    });
    let limits = Limits::new(0.0, 71.0, false);
    let draw = |depth: Depth| {
        let mut t = Terminal::new(TestBackend::new(14, 5)).unwrap();
        t.draw(|f| {
            let heat = Heatmap {
                pixels: px.view(),
                limits,
                colormap: Colormap::Viridis,
                depth,
                cursor: Some((4, 9)),
            };
            f.render_widget(heat, ratatui::layout::Rect::new(0, 0, 14, 3));
            let bar = ColorBar {
                limits,
                colormap: Colormap::Viridis,
                depth,
            };
            f.render_widget(bar, ratatui::layout::Rect::new(0, 3, 14, 2));
        })
        .unwrap();
        t.backend().buffer().clone()
    };
    insta::assert_snapshot!(
        "frame_widget_mono",
        format!("{}", {
            let b = draw(Depth::Mono);
            let mut s = String::new();
            for y in 0..b.area.height {
                for x in 0..b.area.width {
                    s.push_str(b[(x, y)].symbol());
                }
                s.push('\n');
            }
            s
        })
    );
    insta::assert_debug_snapshot!("frame_widget_truecolor", draw(Depth::TrueColor));
}

/// `--bin max` keeps a single hot element visible in a frame binned to the terminal, where
/// `--bin mean` (the default) averages it away; `--json` names the binning.
#[test]
fn max_binning_keeps_a_hot_pixel_in_the_printed_frame() {
    let e = env();
    let side = 400u64;
    let bytes = (0..side * side)
        .flat_map(|k| (if k == 201 * side + 203 { 4000u16 } else { 0 }).to_le_bytes())
        .collect();
    let data = ArrayData::new(DType::UInt16, vec![side, side], bytes).unwrap();
    let src = e.root.join("hot.npy");
    std::fs::write(&src, extent::npy::encode(&data)).unwrap();
    let out = e.run(&["create", "hot", "--from", src.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = |bin: &str| {
        let cmd = format!(
            "stty cols 60 rows 30; {} --store {} --graphics halfblocks frame hot --colormap gray \
             --contrast 0:4000 --bin {bin}",
            common::extent_bin().display(),
            e.store
        );
        let out = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("HOME", &e.home)
            .env("XDG_CONFIG_HOME", e.home.join("config"))
            .env("XDG_STATE_HOME", e.home.join("state"))
            .env("COLORTERM", "truecolor")
            .env("TERM", "xterm-256color")
            .env_remove("TMUX")
            .env_remove("NO_COLOR")
            .output()
            .expect("script (util-linux) is needed to give the command a terminal");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        // The image's lines only (the colour bar under it runs to white by itself).
        let image: Vec<&str> = text.lines().take_while(|l| l.contains('▀')).collect();
        assert!(image.len() > 10, "{text}");
        image.join("\n")
    };
    // 400² fitted into 52×60 pixels is binned about 8×8: a mean of 4000/64 is nearly black.
    let white = "255;255;255";
    assert!(
        !run("mean").contains(white),
        "mean binning kept the hot pixel"
    );
    assert_eq!(run("max").matches(white).count(), 1, "max binning lost it");
    let v = e.json(&["frame", "hot", "--json", "--bin", "max"]);
    assert_eq!(v["bin"], "max");
    e.refused(
        &["frame", "hot", "--json", "--bin", "median"],
        "invalid_input",
        "median",
    );
}
