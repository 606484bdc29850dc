//! `extent frame ARRAY [--index N | --last] [--colormap NAME] [--contrast MODE] [--bin MODE]
//! [--out F.png]`:
//! one 2-D frame as a PNG file, or printed inline on a terminal: through its graphics protocol
//! (kitty, sixel, iTerm2) or with half blocks, fitted to the terminal.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;
use serde_json::json;

use crate::app::state::FrameProtocol;
use crate::backend::{fmt_shape, ArrayInfo, Error, Result};
use crate::frame::fit::fit_size;
use crate::frame::{self, BinMode, Colormap, Contrast, Frame, Stats};
use crate::ui::frame::{ColorBar, Depth, Graphics, Heatmap};
use crate::ui::graphics;
use ratatui_image::protocol::Protocol;
use ratatui_image::Image;

use super::budget::Budget;
use super::export::Target;
use super::{array_path, open_store, Cli, Output};

/// Bins of the histogram in `--json`.
const HISTOGRAM_BINS: usize = 16;

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// The frame's index along axis 0 (default 0); for 4 or more dimensions one index per
    /// leading axis, comma-separated (missing ones are 0). A 2-D array is one frame.
    #[arg(long, value_name = "N[,M...]", conflicts_with = "last")]
    pub index: Option<String>,
    /// The newest frame: the last along axis 0.
    #[arg(long)]
    pub last: bool,
    /// Colormap.
    #[arg(long, value_enum, default_value_t = Colormap::Gray, value_name = "NAME")]
    pub colormap: Colormap,
    /// Limits: auto (1st to 99th percentile), minmax, log, or LO:HI.
    #[arg(
        long,
        default_value = "auto",
        value_name = "auto|minmax|log|LO:HI",
        allow_hyphen_values = true
    )]
    pub contrast: String,
    /// How the printed image bins a frame larger than the terminal: mean, or max (a single
    /// hot pixel stays visible). The PNG file has one pixel per element, so it is not binned.
    #[arg(long, value_enum, default_value_t = BinMode::Mean, value_name = "MODE")]
    pub bin: BinMode,
    /// Write the frame as a PNG file (one pixel per element). It must not be inside the store.
    #[arg(long, value_name = "FILE.png")]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Print JSON: {"array","index","frames","shape","dtype","colormap","contrast","bin",
    /// "limits","stats","out"}.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let contrast = Contrast::parse(&args.contrast)?;
    let graphics = super::graphics(cli)?;
    let inline = args.out.is_none() && !args.json && graphics != Graphics::None;
    // A mode named outright prints wherever stdout goes (a file to show on a terminal later).
    if inline && graphics == Graphics::Auto && !std::io::stdout().is_terminal() {
        return Err(Error::invalid_input(
            "stdout is not a terminal, so the frame is not printed as an image; write it with \
             --out FILE.png, print its numbers with --json, or name the image's form with \
             --graphics halfblocks|kitty|sixel|iterm2",
        ));
    }
    let budget = Budget::resolve(cli.memory_limit.as_deref())?;
    let target = match &args.out {
        Some(file) => Some(Target::check(
            file,
            super::read::local_root(cli)?.as_deref(),
            args.force,
        )?),
        None => None,
    };
    let store = open_store(cli, false)?;
    let path = array_path(&args.array)?;
    let info = store.show(&path).await?;
    frame::check_dtype(info.dtype)?;
    let index = pick_index(&info, args)?;
    let sel = frame::selection(&info.shape, &index, None)?;
    fits(&budget, &info)?;
    let [h, w] = [
        info.shape[info.shape.len() - 2],
        info.shape[info.shape.len() - 1],
    ];
    if h == 0 || w == 0 {
        return Err(Error::invalid_input(format!(
            "the frames of {path} are {h}x{w}: there are no pixels to draw"
        )));
    }
    let data = store.read(&path, Some(&sel)).await?;
    let frame = Frame::from_data(&data, index.clone(), [0, 0])?;
    let limits = contrast.limits(frame.view());
    let stats = Stats::of(frame.view(), HISTOGRAM_BINS);
    if let Some(target) = &target {
        let rgb = frame::png::rgb(frame.view(), args.colormap, &limits);
        let png = frame::png::encode(&rgb, frame.width() as u32, frame.height() as u32)
            .map_err(|e| Error::invalid_input(format!("cannot encode the PNG: {e}")))?;
        target.write_bytes(&png)?;
    }
    let what = describe(&info, &index);
    let value = json!({
        "array": path,
        "index": index,
        "frames": frame::frame_count(&info.shape),
        "shape": [frame.height(), frame.width()],
        "dtype": info.dtype,
        "colormap": args.colormap.name(),
        "contrast": contrast.name(),
        "bin": args.bin.name(),
        "limits": limits,
        "stats": stats,
        "out": args.out,
    });
    if inline {
        let choice = crate::tui::graphics::choose(graphics);
        tracing::info!(protocol = choice.protocol.name(), why = %choice.why, "frame images");
        let look = graphics::Look {
            colormap: args.colormap,
            limits: &limits,
            bin: args.bin,
        };
        print_inline(&frame, &look, choice.protocol)?;
    }
    out.emit(&value, || summary(&what, &frame, &limits, &stats, args));
    Ok(())
}

/// The frame asked for: `--index`, `--last` or the first.
fn pick_index(info: &ArrayInfo, args: &Args) -> Result<Vec<u64>> {
    let n = info.shape.len();
    if n < 2 {
        // selection() words the refusal.
        return Ok(Vec::new());
    }
    let lead = n - 2;
    if args.last {
        return frame::last_index(&info.shape).ok_or_else(|| {
            Error::invalid_input(format!(
                "{} (shape {}) has no frame yet",
                info.path,
                fmt_shape(&info.shape)
            ))
        });
    }
    let Some(text) = &args.index else {
        return Ok(vec![0; lead]);
    };
    if lead == 0 {
        return Err(Error::invalid_input(format!(
            "{} is 2-D (shape {}): it is one frame, so --index does not apply",
            info.path,
            fmt_shape(&info.shape)
        )));
    }
    let mut at = vec![0u64; lead];
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if parts.len() > lead {
        return Err(Error::invalid_input(format!(
            "--index {text} gives {} indices but {} (shape {}) has {lead} leading axis{}",
            parts.len(),
            info.path,
            fmt_shape(&info.shape),
            if lead == 1 { "" } else { "es" }
        )));
    }
    for (slot, p) in at.iter_mut().zip(parts) {
        *slot = p.parse().map_err(|_| {
            Error::invalid_input(format!(
                "--index {text}: {p:?} is not a frame index (a number from 0)"
            ))
        })?;
    }
    Ok(at)
}

/// Refuses a frame that would not fit the memory budget: its elements, their f64 copy and
/// the RGB image, plus one chunk decoded whole.
fn fits(budget: &Budget, info: &ArrayInfo) -> Result<()> {
    let n = info.shape.len();
    let pixels = info.shape[n - 2].saturating_mul(info.shape[n - 1]);
    let per = info.dtype.size() as u64 + 8 + 3;
    let chunk = info
        .chunks
        .iter()
        .fold(info.dtype.size() as u64, |a, &c| a.saturating_mul(c));
    budget.hold(
        pixels.saturating_mul(per).saturating_add(chunk),
        &format!(
            "one frame of {} ({} pixels)",
            info.path,
            fmt_shape(&info.shape[n - 2..])
        ),
        "raise --memory-limit if this machine has the memory",
    )
}

fn describe(info: &ArrayInfo, index: &[u64]) -> String {
    if index.is_empty() {
        return format!("{} (2-D)", info.path);
    }
    let at: Vec<String> = index.iter().map(u64::to_string).collect();
    format!(
        "frame {} of {} ({} frames)",
        at.join(","),
        info.path,
        frame::frame_count(&info.shape)
    )
}

fn summary(what: &str, f: &Frame, limits: &frame::Limits, s: &Stats, args: &Args) -> String {
    use crate::ui::frame::fmt_value;
    let opt = |v: Option<f64>| v.map_or("-".to_string(), fmt_value);
    let mut text = format!(
        "{what}: {}x{} {} · {} {} {}..{}{} · min {} max {} mean {} · NaN {}",
        f.height(),
        f.width(),
        f.dtype,
        args.colormap,
        args.contrast,
        fmt_value(limits.lo),
        fmt_value(limits.hi),
        if limits.log { " (log)" } else { "" },
        opt(s.min),
        opt(s.max),
        opt(s.mean),
        s.nan
    );
    if let Some(file) = &args.out {
        text = format!("wrote {}\n{text}", file.display());
    }
    text
}

/// Prints the frame fitted to the terminal (its aspect ratio kept: binned by mean or max when
/// larger, magnified when smaller) through `protocol`, and a colour bar under it.
fn print_inline(f: &Frame, look: &graphics::Look, protocol: FrameProtocol) -> Result<()> {
    let (map, limits) = (look.colormap, look.limits);
    // A terminal that reports no size (0x0) is taken as 80x24.
    let (cols, rows) = match crossterm::terminal::size() {
        Ok((c, r)) if c > 0 && r > 0 => (c, r),
        _ => (80, 24),
    };
    // Leave four lines: the colour bar, its labels, the summary and the prompt.
    let (cols, rows) = (cols.max(10), rows.max(8) - 4);
    let color = crate::color::enabled(crate::color::Stream::Stdout);
    let depth = Depth::detect(color, std::env::var("COLORTERM").ok().as_deref());
    let (image, w) = match protocol {
        FrameProtocol::Halfblocks => half_blocks(f, look, depth, (cols, rows)),
        p => {
            let img = graphics::fitted_image(p, f.pixels(), (cols, rows), look, None)
                .ok_or_else(|| Error::invalid_input("the frame has no pixels to draw"))?;
            let proto = graphics::encode(p, img, (cols, rows)).map_err(Error::invalid_input)?;
            (protocol_text(&proto), proto.size().width)
        }
    };
    let bar_w = w.max(24).min(cols);
    let mut buf = Buffer::empty(Rect::new(0, 0, bar_w, 2));
    ColorBar {
        limits: *limits,
        colormap: map,
        depth,
    }
    .render(buf.area, &mut buf);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(image.as_bytes())
        .and_then(|()| stdout.write_all(ansi(&buf, depth != Depth::Mono).as_bytes()))
        .and_then(|()| stdout.flush())
        .or_else(|e| match e.kind() {
            // A reader that went away (`extent frame A | head`) ends the command quietly.
            std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            _ => Err(Error::io("cannot print the frame").with_source(e)),
        })
}

/// The frame in half blocks fitted to `cells` (columns, rows), as text; and its width.
fn half_blocks(
    f: &Frame,
    look: &graphics::Look,
    depth: Depth,
    (cols, rows): (u16, u16),
) -> (String, u16) {
    let (oh, ow) = fit_size(f.height(), f.width(), rows as usize * 2, cols as usize);
    let img = f.pixels().resample((oh, ow), look.bin);
    let heat = Heatmap {
        pixels: img.view(),
        limits: *look.limits,
        colormap: look.colormap,
        depth,
        cursor: None,
    };
    let (w, h) = heat.cells();
    let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
    heat.render(buf.area, &mut buf);
    (ansi(&buf, depth != Depth::Mono), w)
}

/// The escape sequences that print `proto` at the cursor of a plain terminal (not a TUI):
/// sixel moves the cursor below the image itself, iTerm2's image leaves it where it was, and
/// kitty's placeholders are rows of cells.
fn protocol_text(proto: &Protocol) -> String {
    let size = proto.size();
    match proto {
        Protocol::Sixel(s) => format!("{}\n", s.data),
        Protocol::ITerm2(i) => format!("{}{}", i.data, "\n".repeat(size.height as usize)),
        _ => {
            let area = Rect::new(0, 0, size.width, size.height);
            let mut buf = Buffer::empty(area);
            Image::new(proto).render(area, &mut buf);
            ansi(&buf, true)
        }
    }
}

/// The buffer as lines of text with SGR colour codes (only when colours change).
pub fn ansi(buf: &Buffer, color: bool) -> String {
    let area = buf.area;
    let mut s = String::new();
    for y in 0..area.height {
        let mut last: Option<(Color, Color)> = None;
        let mut line = String::new();
        for x in 0..area.width {
            let cell = &buf[(x, y)];
            if color && last != Some((cell.fg, cell.bg)) {
                line.push_str(&sgr(cell.fg, cell.bg));
                last = Some((cell.fg, cell.bg));
            }
            line.push_str(cell.symbol());
        }
        if color {
            line.push_str("\x1b[0m");
        } else {
            line.truncate(line.trim_end().len());
        }
        s.push_str(&line);
        s.push('\n');
    }
    s
}

fn sgr(fg: Color, bg: Color) -> String {
    let part = |c: Color, base: u8| match c {
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base),
        Color::Indexed(i) => format!("{};5;{i}", base),
        _ => format!("{}", base + 1),
    };
    format!("\x1b[{};{}m", part(fg, 38), part(bg, 48))
}
