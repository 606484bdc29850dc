//! The Frame pane: the open array's frame as an image (half blocks, see `ui::frame`, or a
//! graphics protocol, see `ui::graphics`), zoomed and panned, fitted to fill the pane (binned
//! when larger, magnified when smaller, the aspect ratio kept); under it a colour bar with the
//! limits and a line with the cursor's value and coordinates, min / max / mean / NaN count
//! and a histogram (of a sample of the frame's pixels: its shape, not exact counts; see
//! `app::frame_view`).
//!
//! Binning a large frame to the pane is the costly part of a draw, and the screen is drawn
//! several times per frame while following a writer: the binned image is kept (a render cache
//! of the drawing thread, not state) and made again only when the frame, the zoom, the pan,
//! the pane's size or the binning mode changes.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, OnceLock};

use ndarray::{Array2, ArrayView2};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::frame::{fmt_value, ColorBar, Depth, Heatmap};
use super::util::{fit, pane_block};
use super::View;
use crate::app::frame_view::FrameView;
use crate::app::layout::inner;
use crate::app::state::FrameProtocol;
use crate::frame::fit::{fit_size, to_output};
use crate::frame::{BinMode, Frame as Image, Limits, PixelsView};

/// Lines under the image: the colour bar (two) and the readout.
const CHROME: u16 = 3;

/// The colours the terminal shows: `$COLORTERM` read once.
fn depth(color: bool) -> Depth {
    static TERM: OnceLock<Option<String>> = OnceLock::new();
    let term = TERM.get_or_init(|| std::env::var("COLORTERM").ok());
    Depth::detect(color, term.as_deref())
}

pub fn draw(frame: &mut Frame, area: Rect, view: &View, focused: bool) {
    let s = view.state;
    let t = view.theme;
    let mut title = s.frame_title();
    if s.frame_images && s.frame_protocol != FrameProtocol::Halfblocks {
        title = format!("{title}· {} ", s.frame_protocol.name());
    }
    frame.render_widget(pane_block(title, focused, t), area);
    let inner = inner(area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let say = |frame: &mut Frame, text: String, style| {
        let p = Paragraph::new(Line::styled(text, style)).wrap(Wrap { trim: true });
        frame.render_widget(p, inner);
    };
    let Some(o) = &s.open else {
        return say(frame, "Open an array to see its frames.".into(), t.dim);
    };
    let Some(info) = &o.info else {
        return say(frame, "loading…".into(), t.dim);
    };
    let f = &o.frame;
    if info.ndim() < 2 {
        let msg = format!(
            "{} has {} dimension(s): a frame needs 2 or more (the Data pane shows it).",
            o.path,
            info.ndim()
        );
        return say(frame, msg, t.dim);
    }
    if let Some(e) = &f.error {
        return say(frame, e.clone(), t.error);
    }
    let (Some(img), Some(limits)) = (&f.image, f.limits) else {
        return say(frame, "reading the frame…".into(), t.dim);
    };
    let image_h = inner.height.saturating_sub(CHROME);
    let image_area = Rect {
        height: image_h,
        ..inner
    };
    if !s.frame_images {
        let p = Paragraph::new(Line::styled("images off (--graphics none)", t.dim));
        frame.render_widget(p, image_area);
    }
    if s.frame_images && s.frame_protocol != FrameProtocol::Halfblocks {
        if let Err(e) = protocol_image(frame, view, f, image_area) {
            // The frame still shows, in half blocks, under a line saying why.
            let top = Rect {
                height: 1.min(image_area.height),
                ..image_area
            };
            let below = Rect {
                y: image_area.y + top.height,
                height: image_area.height - top.height,
                ..image_area
            };
            let why = Line::styled(fit(&e, top.width as usize), t.error);
            frame.render_widget(Paragraph::new(why), top);
            half_block_image(frame, view, f, img, limits, below);
        }
    } else if s.frame_images {
        half_block_image(frame, view, f, img, limits, image_area);
    }
    let bar = Rect {
        y: inner.y + image_h,
        height: 2.min(inner.height.saturating_sub(image_h)),
        ..inner
    };
    frame.render_widget(
        ColorBar {
            limits,
            colormap: f.colormap,
            depth: depth(t.color),
        },
        bar,
    );
    if inner.height > image_h + 2 {
        let line = Rect {
            y: inner.y + image_h + 2,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(readout(view, f, inner.width as usize)), line);
    }
}

/// The part of the frame the zoom and pan show (rows, columns from the top-left pixel) and
/// the cursor in it.
fn window<'a>(px: PixelsView<'a>, f: &FrameView) -> (PixelsView<'a>, Option<(usize, usize)>) {
    let (h, w) = px.dim();
    let (zoom, pan) = f.image_zoom();
    let (vh, vw) = ((h >> zoom).max(1).min(h), (w >> zoom).max(1).min(w));
    let (py, pxl) = (
        (pan.0 as usize).min(h - vh.min(h)),
        (pan.1 as usize).min(w - vw.min(w)),
    );
    let cursor = f
        .cursor
        .map(|(y, x)| (y as usize, x as usize))
        .filter(|&(y, x)| y >= py && y < py + vh && x >= pxl && x < pxl + vw)
        .map(|(y, x)| (y - py, x - pxl));
    (px.window(py..py + vh, pxl..pxl + vw), cursor)
}

/// What a binned image was made from, besides the frame: when any of it changes, the frame
/// is binned again.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BinKey {
    zoom: u32,
    pan: (u64, u64),
    /// The image area (columns, rows).
    area: (u16, u16),
    mode: BinMode,
}

struct Binned {
    /// Held so that a kept buffer refilled with a newer frame is never mistaken for this one.
    frame: Arc<Image>,
    key: BinKey,
    pixels: Array2<f64>,
}

thread_local! {
    static BINNED: RefCell<Option<Binned>> = const { RefCell::new(None) };
    static BINNINGS: Cell<u64> = const { Cell::new(0) };
}

/// How many times this thread has binned a frame for the half-block image (tests: redraws of
/// the same frame and view bin nothing).
pub fn binnings() -> u64 {
    BINNINGS.with(|c| c.get())
}

/// Calls `show` with the zoomed part of `img` fitted to fill `area` in half blocks (two
/// pixels per cell, square pixels) and the cursor in the fitted pixels; binned only when the
/// frame or the view changed since the last call.
fn with_fitted(
    img: &Arc<Image>,
    f: &FrameView,
    area: Rect,
    show: impl FnOnce(ArrayView2<f64>, Option<(usize, usize)>),
) {
    if img.is_empty() {
        return;
    }
    let (win, cursor) = window(img.pixels(), f);
    let (vh, vw) = win.dim();
    let (zoom, pan) = f.image_zoom();
    let key = BinKey {
        zoom,
        pan,
        area: (area.width, area.height),
        mode: f.bin,
    };
    BINNED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let fresh = cache
            .as_ref()
            .is_some_and(|b| Arc::ptr_eq(&b.frame, img) && b.key == key);
        if !fresh {
            BINNINGS.with(|c| c.set(c.get() + 1));
            let (oh, ow) = fit_size(vh, vw, area.height as usize * 2, area.width as usize);
            let pixels = if oh == 0 || ow == 0 {
                Array2::zeros((0, 0))
            } else {
                win.resample((oh, ow), key.mode)
            };
            *cache = Some(Binned {
                frame: img.clone(),
                key,
                pixels,
            });
        }
        let Some(b) = cache.as_ref() else { return };
        let (oh, ow) = b.pixels.dim();
        if oh == 0 || ow == 0 {
            return;
        }
        let cursor = cursor.map(|(y, x)| (to_output(y, vh, oh), to_output(x, vw, ow)));
        show(b.pixels.view(), cursor);
    });
}

/// The frame through the graphics protocol, encoded again only when what it shows changes.
/// Under an overlay, sixel and iTerm2 images are not drawn: their cells are skipped by the
/// screen diff, so the image is sent whole again once the overlay closes.
/// An image that cannot be encoded is the error's text (the caller falls back to half blocks).
fn protocol_image(frame: &mut Frame, view: &View, f: &FrameView, area: Rect) -> Result<(), String> {
    let s = view.state;
    let (Some(img), Some(limits)) = (&f.image, f.limits) else {
        return Ok(());
    };
    let p = s.frame_protocol;
    if s.overlay.is_some() && !matches!(p, FrameProtocol::Kitty { .. }) {
        return Ok(());
    }
    if area.width == 0 || area.height == 0 || img.is_empty() {
        return Ok(());
    }
    let key = super::graphics::Key {
        protocol: p,
        area,
        colormap: f.colormap,
        limits,
        bin: f.bin,
        zoom: f.image_zoom().0,
        pan: f.image_zoom().1,
        cursor: f.cursor,
    };
    let cells = (area.width, area.height);
    let drawn = super::graphics::draw_cached(frame, img, key, || {
        let (win, cursor) = window(img.pixels(), f);
        let look = super::graphics::Look {
            colormap: f.colormap,
            limits: &limits,
            bin: f.bin,
        };
        let rgb = super::graphics::fitted_image(p, win, cells, &look, cursor)
            .ok_or_else(|| "the frame has no pixels to draw".to_string())?;
        super::graphics::encode(p, rgb, cells)
    });
    drawn.map(|_| ())
}

/// The frame in half blocks (two pixels per cell), centred in `area`.
fn half_block_image(
    frame: &mut Frame,
    view: &View,
    f: &FrameView,
    img: &Arc<Image>,
    limits: Limits,
    area: Rect,
) {
    with_fitted(img, f, area, |pixels, cursor| {
        let heat = Heatmap {
            pixels,
            limits,
            colormap: f.colormap,
            depth: depth(view.theme.color),
            cursor,
        };
        let (cw, ch) = heat.cells();
        // Centred in the pane.
        let at = Rect {
            x: area.x + area.width.saturating_sub(cw) / 2,
            y: area.y + area.height.saturating_sub(ch) / 2,
            width: cw.min(area.width),
            height: ch.min(area.height),
        };
        frame.render_widget(heat, at);
    });
}

/// `y 64 x 99 = 3063 · min 100 max 3199 mean 812 · NaN 0 ▁▃▇▂`.
fn readout<'a>(view: &View, f: &FrameView, w: usize) -> Line<'a> {
    let t = view.theme;
    let mut spans = Vec::new();
    if let (Some((y, x)), Some(img)) = (f.cursor, &f.image) {
        let v = img.get((y as usize, x as usize));
        let [oy, ox] = img.origin;
        let v = v.map(fmt_value).unwrap_or_else(|| "-".into());
        spans.push(Span::styled(
            format!("y {} x {} = {v}  ", y + oy, x + ox),
            t.value,
        ));
    }
    if let Some(st) = &f.stats {
        let n = |v: Option<f64>| v.map(fmt_value).unwrap_or_else(|| "-".into());
        let text = format!(
            "min {} max {} mean {} NaN {} ",
            n(st.min),
            n(st.max),
            n(st.mean),
            st.nan
        );
        spans.push(Span::styled(text, t.dim));
        spans.push(Span::styled(sparkline(&st.histogram), t.sparkline));
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if used > w {
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        return Line::styled(fit(&text, w), t.dim);
    }
    Line::from(spans)
}

/// A histogram as block characters, tallest bin full.
fn sparkline(counts: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                ' '
            } else {
                BARS[((c as f64 / max) * 7.0).round() as usize]
            }
        })
        .collect()
}
