//! The frame as a real image through a terminal graphics protocol (kitty, sixel, iTerm2, by
//! ratatui-image): the frame is fitted to the pane's pixels (cells × the cell size), coloured
//! by its colormap and handed over at exactly that size, so ratatui-image never resizes it.
//!
//! Encoding costs far more than drawing, and the TUI redraws often: the pane keeps the last
//! image encoded and sends a new one only when the frame, the view of it or the pane changes.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

use image::{DynamicImage, RgbImage};
use ratatui::layout::{Rect, Size};
use ratatui::Frame;
use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::protocol::Protocol;
use ratatui_image::{FontSize, Image, Resize};

use crate::app::state::FrameProtocol;
use crate::frame::fit::{fit_size, to_output};
use crate::frame::{self, BinMode, Colormap, Limits, PixelsView};

/// The cell size and ratatui-image's protocol of a graphics protocol; `None` for half blocks.
fn parts(p: FrameProtocol) -> Option<((u16, u16), ProtocolType)> {
    match p {
        FrameProtocol::Halfblocks => None,
        FrameProtocol::Kitty { cell } => Some((cell, ProtocolType::Kitty)),
        FrameProtocol::Sixel { cell } => Some((cell, ProtocolType::Sixel)),
        FrameProtocol::Iterm2 { cell } => Some((cell, ProtocolType::Iterm2)),
    }
}

/// How pixels become the image's colours: the colormap, the limits and the binning of a
/// frame larger than the image.
pub struct Look<'a> {
    pub colormap: Colormap,
    pub limits: &'a Limits,
    pub bin: BinMode,
}

/// The frame (or the part zoomed into) fitted to `cells` (columns, rows) of the protocol's
/// cell size, coloured; the cursor pixel `(row, column)` of `pixels` marked with a cross.
/// `None` for half blocks or an empty frame.
pub fn fitted_image(
    p: FrameProtocol,
    pixels: PixelsView,
    cells: (u16, u16),
    look: &Look,
    cursor: Option<(usize, usize)>,
) -> Option<RgbImage> {
    let ((cw, ch), _) = parts(p)?;
    let (h, w) = pixels.dim();
    let (rows, cols) = (
        cells.1 as usize * ch.max(1) as usize,
        cells.0 as usize * cw.max(1) as usize,
    );
    let (oh, ow) = fit_size(h, w, rows, cols);
    if oh == 0 || ow == 0 {
        return None;
    }
    let px = pixels.resample((oh, ow), look.bin);
    let rgb = frame::png::rgb(px.view(), look.colormap, look.limits);
    let mut img = RgbImage::from_raw(ow as u32, oh as u32, rgb)?;
    if let Some((y, x)) = cursor.filter(|&(y, x)| y < h && x < w) {
        let at = (to_output(y, h, oh), to_output(x, w, ow));
        mark(&mut img, at, (cw.max(ch) as usize / 2).max(3));
    }
    Some(img)
}

/// A cross of inverted pixels, `arm` long each way, centred on `(row, column)`.
fn mark(img: &mut RgbImage, (y, x): (usize, usize), arm: usize) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut flip = |xx: usize, yy: usize| {
        if xx < w && yy < h {
            let p = img.get_pixel_mut(xx as u32, yy as u32);
            p.0 = [255 - p.0[0], 255 - p.0[1], 255 - p.0[2]];
        }
    };
    for d in 1..=arm {
        flip(x + d, y);
        flip(x.wrapping_sub(d), y);
        flip(x, y + d);
        flip(x, y.wrapping_sub(d));
    }
    flip(x, y);
}

/// Encodes `img` for the protocol into at most `cells` (columns, rows); the image already
/// fits, so it is sent at its own size.
pub fn encode(p: FrameProtocol, img: RgbImage, cells: (u16, u16)) -> Result<Protocol, String> {
    let Some(((cw, ch), kind)) = parts(p) else {
        return Err("half blocks are not a graphics protocol".into());
    };
    picker(p, (cw, ch), kind)
        .new_protocol(
            DynamicImage::ImageRgb8(img),
            Size::new(cells.0, cells.1),
            Resize::Fit(None),
        )
        .map_err(|e| format!("cannot encode the frame for {}: {e}", p.name()))
}

/// The picker for `p`, made once: making one looks for tmux (and runs `tmux set` there).
fn picker(p: FrameProtocol, (cw, ch): (u16, u16), kind: ProtocolType) -> Picker {
    static LAST: Mutex<Option<(FrameProtocol, Picker)>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, picker)) = last.as_ref().filter(|(q, _)| *q == p) {
        return picker.clone();
    }
    // The cell size is the one measured at start-up; the picker's own guess is not used.
    #[allow(deprecated)]
    let mut picker = Picker::from_fontsize(FontSize::new(cw.max(1), ch.max(1)));
    picker.set_protocol_type(kind);
    *last = Some((p, picker.clone()));
    picker
}

/// What the encoded image shows: when any of it changes, the image is encoded again.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub protocol: FrameProtocol,
    pub area: Rect,
    pub colormap: Colormap,
    pub limits: Limits,
    pub bin: BinMode,
    pub zoom: u32,
    pub pan: (u64, u64),
    pub cursor: Option<(u64, u64)>,
}

struct Cached {
    /// Held so that its address cannot be reused by a newer frame while cached.
    frame: Arc<frame::Frame>,
    key: Key,
    protocol: Result<Protocol, String>,
}

thread_local! {
    static CACHE: RefCell<Option<Cached>> = const { RefCell::new(None) };
    static ENCODED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many images this thread has encoded (tests: a redraw that changes nothing sends none).
pub fn encoded() -> u64 {
    ENCODED.with(|c| c.get())
}

/// Draws the image of `frame` for `key` centred in `key.area`, encoding it with `build` only
/// when the frame or the key changed since the last draw; an encoding error is returned.
pub fn draw_cached(
    f: &mut Frame,
    frame: &Arc<frame::Frame>,
    key: Key,
    build: impl FnOnce() -> Result<Protocol, String>,
) -> Result<(), String> {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let fresh = cache
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(&c.frame, frame) && c.key == key);
        if !fresh {
            ENCODED.with(|c| c.set(c.get() + 1));
            *cache = Some(Cached {
                frame: frame.clone(),
                key: key.clone(),
                protocol: build(),
            });
        }
        let Some(c) = cache.as_ref() else {
            return Ok(());
        };
        let proto = c.protocol.as_ref().map_err(Clone::clone)?;
        let size = proto.size();
        let area = key.area;
        let at = Rect {
            x: area.x + area.width.saturating_sub(size.width) / 2,
            y: area.y + area.height.saturating_sub(size.height) / 2,
            width: size.width.min(area.width),
            height: size.height.min(area.height),
        };
        f.render_widget(Image::new(proto), at);
        Ok(())
    })
}
