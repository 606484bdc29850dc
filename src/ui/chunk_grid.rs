//! The chunk grid: one cell per chunk (or per block of chunks when there are more chunks than
//! cells: the cell then shows the fraction written), coloured and shaped by state, with the
//! array's extent, a ruler and a legend. Per frame the work is per cell: counts come from the
//! plane's summed-area table, so 10^6 chunks draw as fast as 100.

use std::collections::HashSet;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use super::util::{fit, pane_block};
use super::View;
use crate::app::chunk_plane::ChunkPlane;
use crate::app::layout::inner;

/// Glyphs: distinct shapes so nothing depends on colour.
pub const WRITTEN: char = '█';
pub const MISSING: char = '·';
pub const UNKNOWN: char = '?';
pub const CHANGED: char = '◆';
pub const PARTIAL: [char; 3] = ['░', '▒', '▓'];

/// The grid widget over a prepared plane.
pub struct ChunkGrid<'a> {
    pub plane: &'a ChunkPlane,
    pub zoom: u32,
    pub pan: (u64, u64),
    /// Recently changed chunks on this plane (row, col).
    pub changed: &'a [(u64, u64)],
    pub theme: &'a Theme,
    /// Axis drawn downwards / across, for the labels.
    pub row_axis: Option<usize>,
    pub col_axis: usize,
    /// Extra text for the header (the slice on other axes).
    pub slice: String,
}

impl ChunkGrid<'_> {
    fn style_for(&self, written: u64, total: u64, changed: bool) -> (char, Style) {
        let t = self.theme;
        if changed {
            (CHANGED, t.chunk_changed)
        } else if (total == 0 || written == 0) && self.plane.unknown {
            (UNKNOWN, t.chunk_unknown)
        } else if total == 0 || written == 0 {
            (MISSING, t.chunk_missing)
        } else if written >= total {
            (WRITTEN, t.chunk_written)
        } else {
            let f = written as f64 / total as f64;
            let g = if f < 1.0 / 3.0 {
                PARTIAL[0]
            } else if f < 2.0 / 3.0 {
                PARTIAL[1]
            } else {
                PARTIAL[2]
            };
            (g, t.chunk_partial)
        }
    }

    fn legend(&self) -> String {
        if self.plane.unknown {
            format!(
                "{WRITTEN} seen written  {UNKNOWN} not listed by this store  {CHANGED} just changed"
            )
        } else {
            format!(
                "{WRITTEN} written  {}{}{} partly  {MISSING} missing or all fill value  {CHANGED} just changed",
                PARTIAL[0], PARTIAL[1], PARTIAL[2]
            )
        }
    }
}

fn put(buf: &mut Buffer, x: u16, y: u16, ch: char, style: Style) {
    if let Some(c) = buf.cell_mut((x, y)) {
        c.set_char(ch).set_style(style);
    }
}

impl Widget for ChunkGrid<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        if area.height < 4 || area.width < 8 {
            return;
        }
        let p = self.plane;
        // The 1-D strip zooms by its viewport; the 2-D grid by its `GridView` below.
        let (_, _, c0, c1) = p.viewport(self.zoom, self.pan);
        let (cells_h, avail_w, lm) = p.cells_area(area.height, area.width);
        let digits = lm - 1;
        if avail_w == 0 {
            return;
        }
        let written = {
            let (wr, tot) = p.count(0, p.rows, 0, p.cols);
            if p.unknown {
                // The store lists no chunks: only what was seen written is known.
                format!("≥ {wr} written (seen live)")
            } else if tot == 0 {
                "0% written".to_string()
            } else {
                format!("{:.0}% written", 100.0 * wr as f64 / tot as f64)
            }
        };
        let top = area.y;
        let grid_y = area.y + 1;
        let x0 = area.x + lm;
        let (rows_used, cols_used, header, c0, c1) = if p.wrap {
            // 1-D: a strip that wraps over lines.
            let vc = c1 - c0;
            let cell_w: u64 = if vc * 2 <= avail_w { 2 } else { 1 };
            let per_line = (avail_w / cell_w).max(1);
            let capacity = per_line * cells_h;
            let per = vc.div_ceil(capacity).max(1);
            let n_cells = vc.div_ceil(per);
            let changed_cells: HashSet<u64> = self
                .changed
                .iter()
                .filter(|(_, c)| *c >= c0 && *c < c1)
                .map(|(_, c)| (c - c0) / per)
                .collect();
            for k in 0..n_cells {
                let (line, col) = (k / per_line, k % per_line);
                let a = c0 + k * per;
                let (wr, tot) = p.count_flat(a, (a + per).min(c1));
                let (ch, st) = self.style_for(wr, tot, changed_cells.contains(&k));
                let x = x0 + (col * cell_w) as u16;
                let y = grid_y + line as u16;
                put(buf, x, y, ch, st);
                if cell_w == 2 {
                    put(
                        buf,
                        x + 1,
                        y,
                        if ch == MISSING || ch == UNKNOWN {
                            ' '
                        } else {
                            ch
                        },
                        st,
                    );
                }
                if col == 0 {
                    buf.set_string(
                        area.x,
                        y,
                        format!("{a:>width$}", width = digits as usize),
                        t.dim,
                    );
                }
            }
            (
                n_cells.div_ceil(per_line),
                n_cells.min(per_line) * cell_w,
                format!(
                    "{} chunks along axis {} · cell = {per} · {written}{}",
                    p.cols,
                    if p.transposed {
                        self.row_axis.unwrap_or(0)
                    } else {
                        self.col_axis
                    },
                    if p.transposed {
                        self.slice.as_str()
                    } else {
                        ""
                    }
                ),
                c0,
                c1,
            )
        } else {
            let v = p.grid_view(self.zoom, self.pan, cells_h, avail_w);
            let (r0, r1, c0, c1) = (v.r0, v.r1, v.c0, v.c1);
            let (vr, vc) = (r1 - r0, c1 - c0);
            let (sr, sc, ch, cw) = (v.sr, v.sc, v.ch, v.cw);
            let changed_cells: HashSet<(u64, u64)> = self
                .changed
                .iter()
                .filter(|(r, c)| *r >= r0 && *r < r1 && *c >= c0 && *c < c1)
                .map(|(r, c)| ((r - r0) / sr, (c - c0) / sc))
                .collect();
            let nr = vr.div_ceil(sr);
            let nc = vc.div_ceil(sc);
            let label_every = if nr > 8 { 4 } else { 1 };
            for i in 0..nr {
                let ra = r0 + i * sr;
                let rb = (ra + sr).min(r1);
                for dy in 0..ch {
                    let y = grid_y + (i * ch + dy) as u16;
                    for j in 0..nc {
                        let ca = c0 + j * sc;
                        let cb = (ca + sc).min(c1);
                        let (wr, tot) = p.count(ra, rb, ca, cb);
                        let (g, st) = self.style_for(wr, tot, changed_cells.contains(&(i, j)));
                        let x = x0 + (j * cw) as u16;
                        // Cells keep a one-column gap when wide, so neighbours stay apart.
                        let fill = if cw > 2 { cw - 1 } else { cw };
                        for dx in 0..fill {
                            let glyph = if dx > 0 && (g == MISSING || g == UNKNOWN) {
                                ' '
                            } else {
                                g
                            };
                            put(buf, x + dx as u16, y, glyph, st);
                        }
                    }
                    // The array's right edge.
                    put(buf, x0 + (nc * cw) as u16, y, '│', t.border);
                    if i % label_every == 0 && dy == 0 {
                        buf.set_string(
                            area.x,
                            y,
                            format!("{ra:>width$}", width = digits as usize),
                            t.dim,
                        );
                    }
                }
            }
            let rows_axis = self
                .row_axis
                .map(|a| format!("axis {a}"))
                .unwrap_or_default();
            (
                nr * ch,
                nc * cw,
                format!(
                    "{}×{} chunks (↓{rows_axis} →axis {}) · cell {sr}×{sc} · {written}{}",
                    p.rows, p.cols, self.col_axis, self.slice
                ),
                c0,
                c1,
            )
        };
        render_footer(
            &self, buf, area, lm, rows_used, cols_used, c0, c1, &header, top,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn render_footer(
    g: &ChunkGrid,
    buf: &mut Buffer,
    area: Rect,
    lm: u16,
    rows_used: u64,
    cols_used: u64,
    lo: u64,
    hi: u64,
    header: &str,
    top: u16,
) {
    let t = g.theme;
    let w = area.width as usize;
    buf.set_string(area.x, top, fit(header, w), t.label);
    // Ruler under the last cell row: the array's bottom edge with the first and last index.
    let y = area.y + 1 + rows_used.min((area.height - 3) as u64) as u16;
    let x0 = area.x + lm;
    let width = cols_used as usize;
    let lo_s = lo.to_string();
    let hi_s = hi.saturating_sub(1).to_string();
    let mut ruler = String::from("└");
    if width > lo_s.len() + hi_s.len() + 1 {
        ruler.push_str(&lo_s);
        ruler.push_str(&"─".repeat(width - lo_s.len() - hi_s.len()));
        ruler.push_str(&hi_s);
    } else {
        ruler.push_str(&"─".repeat(width));
    }
    ruler.push('┘');
    if y < area.y + area.height - 1 {
        buf.set_string(
            x0.saturating_sub(1),
            y,
            fit(&ruler, w.saturating_sub(lm as usize - 1)),
            t.border,
        );
    }
    let legend_y = area.y + area.height - 1;
    buf.set_string(area.x, legend_y, fit(&g.legend(), w), t.dim);
}

/// The pane: frame, messages when there is nothing to draw, then the widget.
pub fn draw_pane(frame: &mut Frame, area: Rect, view: &View, focused: bool) {
    let s = view.state;
    let t = view.theme;
    let zoom = s.open.as_ref().map(|o| o.zoom).unwrap_or(0);
    let name = crate::app::layout::Pane::Grid.numbered();
    let title = if zoom > 0 {
        format!(" {name} (zoom {zoom}) ")
    } else {
        format!(" {name} ")
    };
    frame.render_widget(pane_block(title, focused, t), area);
    let inner = inner(area);
    let msg = |frame: &mut Frame, text: &str, style| {
        frame.render_widget(
            Paragraph::new(Line::styled(text.to_string(), style)).wrap(Wrap { trim: true }),
            inner,
        );
    };
    let Some(open) = &s.open else {
        msg(frame, "no array open", t.dim);
        return;
    };
    // A failed re-listing keeps the last map on screen (the structure pane says why).
    if let Some(e) = open.chunks_error.as_ref().filter(|_| open.chunks.is_none()) {
        msg(frame, e, t.error);
        return;
    }
    if open.chunks.is_none() || open.info.is_none() {
        msg(frame, "loading…", t.dim);
        return;
    }
    if open.plane.rows == 0 || open.plane.cols == 0 {
        msg(frame, "no chunks: the array has a zero-length axis", t.dim);
        return;
    }
    let slice = {
        let others = open.axes.others();
        let parts: Vec<String> = others
            .iter()
            .map(|&a| format!("axis{a}={}", open.index.get(a).copied().unwrap_or(0)))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" · {}", parts.join(" "))
        }
    };
    let changed = open.changed_on_plane();
    let g = ChunkGrid {
        plane: &open.plane,
        zoom: open.zoom,
        pan: open.pan,
        changed: &changed,
        theme: t,
        row_axis: open.axes.row_axis,
        col_axis: open.axes.col_axis,
        slice,
    };
    frame.render_widget(g, inner);
}
