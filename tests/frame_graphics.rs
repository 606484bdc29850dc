//! `extent frame --graphics kitty|sixel|iterm2` (no `--out`): the escape sequences of each
//! protocol, printed to a file (a mode named outright prints wherever stdout goes). The kitty
//! (base64 RGBA) and iTerm2 (base64 PNG) payloads are decoded back to pixels with the Python
//! of the test venv: the frame fills the image with its aspect ratio kept, and every pixel
//! away from the quadrant's edges has the colormap's colour of its array element.

mod common;

use std::process::Output;

use common::cli_env::{env, Env};
use extent::backend::{ArrayData, DType};
use extent::frame::{Colormap, Limits};

/// Rows × columns of the frame: not square, so a lost aspect ratio shows.
const H: u64 = 96;
const W: u64 = 128;

/// uint16, 100 everywhere but the top-right quadrant (rows < 48, columns ≥ 64): 4000.
fn frame() -> ArrayData {
    let bytes = (0..H * W)
        .flat_map(|k| {
            let (r, c) = (k / W, k % W);
            let v: u16 = if r < H / 2 && c >= W / 2 { 4000 } else { 100 };
            v.to_le_bytes()
        })
        .collect();
    ArrayData::new(DType::UInt16, vec![H, W], bytes).unwrap()
}

fn with_frame() -> Env {
    let e = env();
    let src = e.root.join("f.npy");
    std::fs::write(&src, extent::npy::encode(&frame())).unwrap();
    let out = e.run(&["create", "f", "--from", src.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    e
}

/// `extent frame f --graphics MODE` with viridis and limits 0:4095, stdout to a pipe, outside
/// tmux (so no passthrough wrapping).
fn print(e: &Env, mode: &str) -> Output {
    let out = common::extent_command(
        &e.home,
        &[
            "--store",
            &e.store,
            "--graphics",
            mode,
            "frame",
            "f",
            "--colormap",
            "viridis",
            "--contrast",
            "0:4095",
        ],
    )
    .env("TERM", "xterm-256color")
    .env_remove("TMUX")
    .env_remove("TERM_PROGRAM")
    .output()
    .expect("cannot run extent");
    assert!(
        out.status.success(),
        "extent frame --graphics {mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The colormap's colours of the bright and the dim elements, as Python lists.
fn colours() -> (String, String) {
    let l = Limits::new(0.0, 4095.0, false);
    let c = |v: f64| format!("{:?}", Colormap::Viridis.rgb(l.level(v)));
    (c(4000.0), c(100.0))
}

/// Python that checks `img` (H×W×3 uint8): the aspect ratio of the frame, the quadrant in
/// the bright colour, the rest in the dim one (a margin of a tenth kept from every edge).
fn check_pixels() -> String {
    let (bright, dim) = colours();
    format!(
        "import numpy as np\n\
         def check(img):\n\
         \x20   h, w = img.shape[:2]\n\
         \x20   assert abs(w / h - {W} / {H}) < 0.03, (w, h)\n\
         \x20   b, d = np.array({bright}), np.array({dim})\n\
         \x20   def part(r0, r1, c0, c1):\n\
         \x20       return img[int(r0 * h):int(r1 * h), int(c0 * w):int(c1 * w)].reshape(-1, 3)\n\
         \x20   assert (part(0.05, 0.45, 0.55, 0.95) == b).all(), 'quadrant'\n\
         \x20   assert (part(0.05, 0.45, 0.05, 0.45) == d).all(), 'top left'\n\
         \x20   assert (part(0.55, 0.95, 0.05, 0.95) == d).all(), 'bottom'\n\
         \x20   share = (img.reshape(-1, 3) == b).all(axis=1).mean()\n\
         \x20   assert abs(share - 0.25) < 0.02, share\n\
         \x20   return w, h\n"
    )
}

fn save(e: &Env, name: &str, out: &Output) -> String {
    let p = e.root.join(name);
    std::fs::write(&p, &out.stdout).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn kitty_sends_the_fitted_frame_as_rgba_and_places_it_with_placeholders() {
    let e = with_frame();
    let out = print(&e, "kitty");
    let file = save(&e, "kitty.out", &out);
    let code = format!(
        "{}\
         import re, sys, base64, json\n\
         data = open(sys.argv[1], 'rb').read()\n\
         parts = re.findall(rb'\\x1b_G([^;]*);([A-Za-z0-9+/=]*)\\x1b\\\\', data)\n\
         assert parts, data[:200]\n\
         head = dict(kv.split(b'=') for kv in parts[0][0].split(b','))\n\
         assert head[b'a'] == b'T' and head[b'f'] == b'32' and head[b'U'] == b'1', head\n\
         s, v = int(head[b's']), int(head[b'v'])\n\
         raw = base64.b64decode(b''.join(p[1] for p in parts))\n\
         px = np.frombuffer(raw, np.uint8).reshape(v, s, 4)\n\
         assert (px[..., 3] == 255).all()\n\
         w, h = check(px[..., :3])\n\
         text = data.decode('utf-8')\n\
         rows = [l for l in text.split('\\n') if '\\U0010EEEE' in l]\n\
         print(json.dumps([w, h, len(rows), rows[0].count('\\U0010EEEE')]))\n",
        check_pixels()
    );
    let v: Vec<u64> = serde_json::from_str(common::python(&code, &[&file]).trim()).unwrap();
    let (w, h, rows, cols) = (v[0], v[1], v[2], v[3]);
    // Upscaled to fill (the frame is smaller than any terminal's pixels), and the placeholder
    // cells cover the image at the default 10×20-pixel cell.
    assert!(w > W && h > H, "{w}x{h}");
    assert_eq!((cols, rows), (w.div_ceil(10), h.div_ceil(20)), "{w}x{h}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("frame of f") || text.contains("f (2-D)"),
        "{text}"
    );
}

#[test]
fn iterm2_sends_a_png_of_the_fitted_frame() {
    let e = with_frame();
    let out = print(&e, "iterm2");
    let file = save(&e, "iterm2.out", &out);
    let code = format!(
        "{}\
         import re, sys, base64, io, json\n\
         from PIL import Image\n\
         data = open(sys.argv[1], 'rb').read()\n\
         m = re.search(rb'\\x1b\\]1337;File=([^:]*):([A-Za-z0-9+/=]*)\\x07', data)\n\
         assert m, data[:200]\n\
         args = dict(kv.split(b'=') for kv in m.group(1).split(b';'))\n\
         png = base64.b64decode(m.group(2))\n\
         assert int(args[b'size']) == len(png) and args[b'inline'] == b'1', args\n\
         im = Image.open(io.BytesIO(png)).convert('RGB')\n\
         assert args[b'width'] == b'%dpx' % im.width and args[b'height'] == b'%dpx' % im.height\n\
         print(json.dumps(check(np.asarray(im))))\n",
        check_pixels()
    );
    let v: Vec<u64> = serde_json::from_str(common::python(&code, &[&file]).trim()).unwrap();
    assert!(v[0] > W && v[1] > H, "{v:?}");
}

#[test]
fn sixel_names_the_colormaps_colours_and_the_fitted_size() {
    let e = with_frame();
    let out = print(&e, "sixel");
    let text = String::from_utf8_lossy(&out.stdout);
    let start = text.find("\x1bP").expect("a sixel DCS");
    let end = start + text[start..].find("\x1b\\").expect("the sixel's end");
    let sixel = &text[start..end];
    // Raster attributes: 1:1 pixels, width and height.
    let raster = sixel.split('"').nth(1).expect("raster attributes");
    let dims: Vec<u64> = raster
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(4)
        .map(|s| s.parse().unwrap())
        .collect();
    let (w, h) = (dims[2], dims[3]);
    assert!(
        w > W && (w as f64 / h as f64 - W as f64 / H as f64).abs() < 0.03,
        "{w}x{h}"
    );
    // Colour registers `#n;2;r;g;b` in percent: the two colours of the frame.
    let regs: Vec<[u64; 3]> = sixel
        .split('#')
        .skip(1)
        .filter_map(|r| {
            let n: Vec<u64> = r
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            (n.len() >= 5 && n[1] == 2).then(|| [n[2], n[3], n[4]])
        })
        .collect();
    let l = Limits::new(0.0, 4095.0, false);
    for v in [4000.0, 100.0] {
        let rgb = Colormap::Viridis.rgb(l.level(v));
        let pct = rgb.map(|c| (c as u64 * 100 + 127) / 255);
        assert!(
            regs.iter()
                .any(|r| (0..3).all(|i| r[i].abs_diff(pct[i]) <= 1)),
            "{v}: {pct:?} not in {regs:?}"
        );
    }
}

/// Piped, `auto` still refuses (it cannot ask a file which protocol it speaks) and names the
/// ways out.
#[test]
fn auto_piped_is_refused_naming_the_modes() {
    let e = with_frame();
    let out = e.run(&["frame", "f"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--graphics halfblocks|kitty|sixel|iterm2"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// A reader that goes away (`extent frame f --graphics kitty | head -c 10`) ends the command
/// quietly, as every other command: exit 0, nothing on stderr.
#[test]
fn a_reader_that_goes_away_ends_the_print_quietly() {
    use std::io::Read;
    let e = with_frame();
    let mut child = common::extent_command(
        &e.home,
        &["--store", &e.store, "--graphics", "kitty", "frame", "f"],
    )
    .env("TERM", "xterm-256color")
    .env_remove("TMUX")
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("cannot run extent");
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's read end is closed here, long before the image's megabytes are written.
    let out = child.wait_with_output().unwrap();
    assert_eq!(&first[..3], b"\x1b[3", "{first:?}");
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
