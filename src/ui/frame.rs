//! The frame image: two pixels per cell with the upper half block `▀` (foreground = upper
//! pixel, background = lower), in 24-bit colour or the xterm 256 colours, or as a character
//! ramp without colour; a colour bar with the limits; a cursor cell.
//!
//! The widget draws an image already binned to fit (see `frame::bin`): per cell it does two
//! table look-ups, so a 200×100-cell pane draws in well under 5 ms whatever the frame's size.

use ndarray::ArrayView2;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::widgets::Widget;

use crate::frame::colormap::index;
use crate::frame::{Colormap, Limits, NAN_RGB};

/// The upper half block: foreground paints the upper pixel, background the lower one.
pub const UPPER: char = '▀';

/// Levels from dark to bright without colour (`NO_COLOR`, `--color never`).
const RAMP: [char; 10] = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];

/// How the image reaches the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Graphics {
    /// Ask the terminal which graphics protocol it speaks (kitty, sixel, iTerm2); half blocks
    /// in tmux, or when it does not answer.
    #[default]
    Auto,
    /// Unicode half blocks, two pixels per cell: works in tmux and over SSH.
    Halfblocks,
    /// The kitty graphics protocol (kitty, Ghostty, WezTerm).
    Kitty,
    /// Sixel (xterm -ti vt340, foot, mlterm, Windows Terminal).
    Sixel,
    /// iTerm2's inline images (iTerm2, WezTerm, mintty).
    Iterm2,
    /// No image: the numbers only.
    None,
}

impl Graphics {
    /// Every mode, in the order of the flag's help.
    pub const ALL: [Graphics; 6] = [
        Graphics::Auto,
        Graphics::Halfblocks,
        Graphics::Kitty,
        Graphics::Sixel,
        Graphics::Iterm2,
        Graphics::None,
    ];

    /// The name, as in the flag and the config file.
    pub fn name(self) -> &'static str {
        match self {
            Graphics::Auto => "auto",
            Graphics::Halfblocks => "halfblocks",
            Graphics::Kitty => "kitty",
            Graphics::Sixel => "sixel",
            Graphics::Iterm2 => "iterm2",
            Graphics::None => "none",
        }
    }

    /// Parses a name (the config file's `graphics` key).
    pub fn parse(text: &str) -> Option<Graphics> {
        Graphics::ALL.into_iter().find(|g| g.name() == text.trim())
    }

    /// A graphics protocol named outright (`kitty`, `sixel`, `iterm2`).
    pub fn is_protocol(self) -> bool {
        matches!(self, Graphics::Kitty | Graphics::Sixel | Graphics::Iterm2)
    }
}

/// The colours a terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// 24-bit RGB.
    TrueColor,
    /// The xterm 256-colour palette.
    Ansi256,
    /// No colour: a character ramp, one level per cell.
    Mono,
}

impl Depth {
    /// From whether colour is on and `$COLORTERM` (`truecolor` or `24bit` promise RGB).
    pub fn detect(color: bool, colorterm: Option<&str>) -> Depth {
        match (color, colorterm) {
            (false, _) => Depth::Mono,
            (true, Some(t)) if t.eq_ignore_ascii_case("truecolor") || t == "24bit" => {
                Depth::TrueColor
            }
            _ => Depth::Ansi256,
        }
    }
}

/// The colour of a table entry (or NaN) at a depth.
fn color(map: Colormap, depth: Depth, level: Option<f64>) -> Color {
    match (depth, level) {
        (Depth::TrueColor, Some(t)) => {
            let [r, g, b] = map.lut()[index(t)];
            Color::Rgb(r, g, b)
        }
        (_, None) => {
            let [r, g, b] = NAN_RGB;
            match depth {
                Depth::TrueColor => Color::Rgb(r, g, b),
                _ => Color::Indexed(201),
            }
        }
        (_, Some(t)) => Color::Indexed(map.lut256()[index(t)]),
    }
}

/// The image: `pixels` (already binned) drawn from the area's top-left corner, two rows of
/// pixels per cell; what does not fit is cut.
pub struct Heatmap<'a> {
    /// Pixels `[row, column]`.
    pub pixels: ArrayView2<'a, f64>,
    pub limits: Limits,
    pub colormap: Colormap,
    pub depth: Depth,
    /// A pixel `(row, column)` of `pixels` to mark; its cell is drawn as a `+`.
    pub cursor: Option<(usize, usize)>,
}

impl Heatmap<'_> {
    /// The cells the image takes at most: columns × half the rows, rounded up.
    pub fn cells(&self) -> (u16, u16) {
        let (h, w) = self.pixels.dim();
        (
            w.min(u16::MAX as usize) as u16,
            h.div_ceil(2).min(u16::MAX as usize) as u16,
        )
    }
}

impl Widget for Heatmap<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (h, w) = self.pixels.dim();
        let (cw, ch) = self.cells();
        let area = area.intersection(buf.area);
        let (cols, rows) = (cw.min(area.width), ch.min(area.height));
        let map = self.colormap;
        for cy in 0..rows {
            let top = cy as usize * 2;
            let upper = self.pixels.row(top);
            let lower = (top + 1 < h).then(|| self.pixels.row(top + 1));
            for cx in 0..cols {
                let c = cx as usize;
                let lu = self.limits.level(upper[c]);
                let ll = lower.map(|r| self.limits.level(r[c]));
                let Some(cell) = buf.cell_mut((area.x + cx, area.y + cy)) else {
                    continue;
                };
                if self.depth == Depth::Mono {
                    let level = match ll {
                        Some(ll) => mean(lu, ll),
                        None => lu,
                    };
                    let glyph = level.map_or('?', |t| RAMP[(t * 9.0).round() as usize]);
                    cell.reset();
                    cell.set_char(glyph);
                    continue;
                }
                cell.set_char(UPPER);
                cell.set_fg(color(map, self.depth, lu));
                cell.set_bg(match ll {
                    Some(l) => color(map, self.depth, l),
                    None => Color::Reset,
                });
                cell.modifier = Modifier::empty();
            }
        }
        if let Some((r, c)) = self.cursor.filter(|&(r, c)| r < h && c < w) {
            let (cx, cy) = (c as u16, (r / 2) as u16);
            if cx < cols && cy < rows {
                if let Some(cell) = buf.cell_mut((area.x + cx, area.y + cy)) {
                    let level = self.limits.level(self.pixels[[r, c]]);
                    let bright = level.is_some_and(|t| luma(map.lut()[index(t)]) > 140);
                    cell.set_char('+');
                    if self.depth == Depth::Mono {
                        cell.modifier = Modifier::REVERSED;
                    } else {
                        cell.set_bg(color(map, self.depth, level));
                        cell.set_fg(if bright { Color::Black } else { Color::White });
                        cell.modifier = Modifier::BOLD;
                    }
                }
            }
        }
    }
}

fn mean(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a + b) / 2.0),
        (x, None) | (None, x) => x,
    }
}

fn luma([r, g, b]: [u8; 3]) -> u32 {
    (299 * r as u32 + 587 * g as u32 + 114 * b as u32) / 1000
}

/// A horizontal colour bar: the gradient on the first row, the limits under it (low on the
/// left, high on the right, the middle value between them when it fits).
pub struct ColorBar {
    pub limits: Limits,
    pub colormap: Colormap,
    pub depth: Depth,
}

impl Widget for ColorBar {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        let w = area.width as usize;
        for x in 0..area.width {
            let t = if w > 1 {
                x as f64 / (w - 1) as f64
            } else {
                0.5
            };
            if let Some(cell) = buf.cell_mut((area.x + x, area.y)) {
                cell.reset();
                if self.depth == Depth::Mono {
                    cell.set_char(RAMP[(t * 9.0).round() as usize]);
                } else {
                    cell.set_char(' ');
                    cell.set_bg(color(self.colormap, self.depth, Some(t)));
                }
            }
        }
        if area.height < 2 {
            return;
        }
        let y = area.y + 1;
        let lo = fmt_value(self.limits.lo);
        let hi = fmt_value(self.limits.hi);
        let mid = fmt_value(self.limits.value_at(0.5));
        let mut line = vec![' '; w];
        let mut put = |at: usize, s: &str| {
            for (i, c) in s.chars().enumerate() {
                if let Some(slot) = line.get_mut(at + i) {
                    *slot = c;
                }
            }
        };
        put(0, &lo);
        let hi_at = w.saturating_sub(hi.chars().count());
        if hi_at > lo.chars().count() {
            put(hi_at, &hi);
        }
        let mid_at = (w / 2).saturating_sub(mid.chars().count() / 2);
        if mid_at > lo.chars().count() + 1 && mid_at + mid.chars().count() + 1 < hi_at {
            put(mid_at, &mid);
        }
        buf.set_string(
            area.x,
            y,
            line.iter().collect::<String>(),
            ratatui::style::Style::default(),
        );
    }
}

/// A value for a label: integers as they are, others to 4 significant digits, very large or
/// small ones in exponent form.
pub fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == v.trunc() && v.abs() < 1e9 {
        return format!("{v:.0}");
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.3e}");
    }
    let digits = (3 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn depth_follows_colour_and_colorterm() {
        assert_eq!(Depth::detect(true, Some("truecolor")), Depth::TrueColor);
        assert_eq!(Depth::detect(true, Some("24bit")), Depth::TrueColor);
        assert_eq!(Depth::detect(true, None), Depth::Ansi256);
        assert_eq!(Depth::detect(false, Some("truecolor")), Depth::Mono);
        assert_eq!(Graphics::parse("none"), Some(Graphics::None));
        assert_eq!(Graphics::parse("sixel"), Some(Graphics::Sixel));
        assert_eq!(Graphics::parse("chafa"), None);
    }

    #[test]
    fn labels_stay_short() {
        assert_eq!(fmt_value(4095.0), "4095");
        assert_eq!(fmt_value(0.5), "0.5");
        assert_eq!(fmt_value(2.71234), "2.712");
        assert_eq!(fmt_value(1234.5678), "1235");
        assert_eq!(fmt_value(1e-7), "1.000e-7");
    }

    #[test]
    fn half_blocks_carry_two_pixels_and_the_cursor_is_marked() {
        let px = Array2::from_shape_fn((3, 2), |(r, c)| (r * 2 + c) as f64);
        let limits = Limits::new(0.0, 5.0, false);
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 3));
        Heatmap {
            pixels: px.view(),
            limits,
            colormap: Colormap::Gray,
            depth: Depth::TrueColor,
            cursor: Some((2, 1)),
        }
        .render(buf.area, &mut buf);
        let c = &buf[(0, 0)];
        assert_eq!(c.symbol(), "▀");
        assert_eq!(
            (c.fg, c.bg),
            (Color::Rgb(0, 0, 0), Color::Rgb(102, 102, 102))
        );
        // The odd last row: upper pixel only.
        assert_eq!(buf[(0, 1)].bg, Color::Reset);
        assert_eq!(buf[(1, 1)].symbol(), "+");
        assert_eq!(buf[(2, 0)].symbol(), " ");
    }
}
