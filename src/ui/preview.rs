//! The data preview: a window of values on the plane's two axes (1-D: a sparkline and the
//! values), with min / max / mean of what is shown.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};
use ratatui::Frame;

use super::util::{fit, pane_block};
use super::values::Values;
use super::View;
use crate::app::layout::{self, inner, PREVIEW_LABEL};
use crate::app::state::PreviewData;

pub use super::values::{format_value, stats};

pub fn draw(frame: &mut Frame, area: Rect, view: &View, focused: bool) {
    let s = view.state;
    let t = view.theme;
    let title = format!(" {} ", layout::Pane::Preview.numbered());
    frame.render_widget(pane_block(title, focused, t), area);
    let inner = inner(area);
    let w = inner.width as usize;
    let msg = |frame: &mut Frame, text: &str, style| {
        frame.render_widget(Paragraph::new(Line::styled(fit(text, w), style)), inner);
    };
    if super::node_view::draw_rows(frame, inner, view) {
        return;
    }
    let Some(open) = &s.open else {
        msg(frame, "no array open", t.dim);
        return;
    };
    if let Some(e) = &open.preview_error {
        msg(frame, e, t.error);
        return;
    }
    let (Some(p), Some(info)) = (&open.preview, &open.info) else {
        msg(frame, "loading…", t.dim);
        return;
    };
    if p.data.is_empty() {
        msg(
            frame,
            "nothing to show: the window is empty (a zero-length axis)",
            t.dim,
        );
        return;
    }
    let values = Values::of(&p.data);
    let stat_line = values.stat_line();
    if info.ndim() == 1 {
        draw_1d(frame, inner, view, p, &values, &stat_line);
    } else {
        draw_2d(
            frame,
            inner,
            view,
            p,
            &values,
            &stat_line,
            open.axes.row_axis.unwrap_or(0),
            open.axes.col_axis,
        );
    }
}

fn draw_1d(
    frame: &mut Frame,
    area: Rect,
    view: &View,
    p: &PreviewData,
    values: &Values,
    stat_line: &str,
) {
    let t = view.theme;
    let w = area.width as usize;
    let (a, b) = (p.selection.start[0], p.selection.end[0]);
    let header = format!(
        "elements {a}..{b} of {}",
        view.state.open_info().map(|i| i.shape[0]).unwrap_or(b)
    );
    let mut y = area.y;
    frame.render_widget(
        Paragraph::new(Line::styled(fit(&header, w), t.label)),
        Rect {
            y,
            height: 1,
            ..area
        },
    );
    y += 1;
    let spark_h = if area.height >= 10 { 3 } else { 1 };
    if area.height > 3 {
        let (lo, hi) = stats(&values.f)
            .map(|(l, h, _)| (l, h))
            .unwrap_or((0.0, 1.0));
        let span = if hi > lo { hi - lo } else { 1.0 };
        let scaled: Vec<u64> = values
            .f
            .iter()
            .map(|v| {
                if v.is_finite() {
                    (1.0 + 99.0 * (v - lo) / span) as u64
                } else {
                    0
                }
            })
            .collect();
        frame.render_widget(
            Sparkline::default()
                .data(&scaled)
                .max(100)
                .style(t.sparkline),
            Rect {
                y,
                height: spark_h,
                ..area
            },
        );
        y += spark_h;
    }
    // Values in columns below the sparkline.
    let rows_left = (area.y + area.height).saturating_sub(y + 1) as usize;
    let vw = (layout::preview_cell(values.dtype) as usize).max(11);
    let col_w = vw + 9;
    let ncols = (w / col_w).max(1);
    let mut lines = Vec::new();
    for r in 0..rows_left {
        let mut spans = Vec::new();
        for c in 0..ncols {
            let i = c * rows_left + r;
            if i >= values.len() {
                break;
            }
            let idx = a + i as u64;
            spans.push(Span::styled(format!("{idx:>7} "), t.dim));
            spans.push(Span::raw(format!("{:<vw$} ", values.cell(i, vw))));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(
        Paragraph::new(lines),
        Rect {
            y,
            height: rows_left as u16,
            ..area
        },
    );
    let last = Rect {
        y: area.y + area.height.saturating_sub(1),
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::styled(fit(stat_line, w), t.label)),
        last,
    );
}

#[allow(clippy::too_many_arguments)]
fn draw_2d(
    frame: &mut Frame,
    area: Rect,
    view: &View,
    p: &PreviewData,
    values: &Values,
    stat_line: &str,
    ra: usize,
    ca: usize,
) {
    let t = view.theme;
    let w = area.width as usize;
    let sel = &p.selection;
    let shape = view
        .state
        .open_info()
        .map(|i| i.shape.clone())
        .unwrap_or_default();
    let (r0, r1, c0, c1) = (sel.start[ra], sel.end[ra], sel.start[ca], sel.end[ca]);
    let others: Vec<String> = (0..sel.start.len())
        .filter(|&a| a != ra && a != ca)
        .map(|a| format!("axis{a}={}", sel.start[a]))
        .collect();
    let header = format!(
        "rows {r0}..{r1} of {} (axis {ra}) · cols {c0}..{c1} of {} (axis {ca}){}",
        shape.get(ra).copied().unwrap_or(0),
        shape.get(ca).copied().unwrap_or(0),
        if others.is_empty() {
            String::new()
        } else {
            format!(" · {}", others.join(" "))
        }
    );
    let lw = PREVIEW_LABEL as usize;
    let cw = layout::preview_cell(values.dtype) as usize;
    let mut lines = vec![Line::styled(fit(&header, w), t.label)];
    let mut col_head = vec![Span::raw(" ".repeat(lw))];
    for c in c0..c1 {
        col_head.push(Span::styled(format!("{:>width$}", c, width = cw), t.dim));
    }
    lines.push(Line::from(col_head));
    let ncols = (c1 - c0) as usize;
    // The window is C-ordered over the selection; map (row, col) to the flat index.
    let mut strides = vec![1usize; sel.start.len()];
    let sshape = sel.shape();
    for a in (0..sshape.len().saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * sshape[a + 1] as usize;
    }
    for (i, r) in (r0..r1).enumerate() {
        let mut spans = vec![Span::styled(
            format!("{:>width$} ", r, width = lw - 1),
            t.dim,
        )];
        for j in 0..ncols {
            let k = i * strides[ra] + j * strides[ca];
            spans.push(Span::raw(format!(
                "{:>width$}",
                values.cell(k, cw - 1),
                width = cw
            )));
        }
        lines.push(Line::from(spans));
    }
    let body_h = area.height.saturating_sub(1);
    frame.render_widget(
        Paragraph::new(lines),
        Rect {
            height: body_h,
            ..area
        },
    );
    let last = Rect {
        y: area.y + body_h,
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::styled(fit(stat_line, w), t.label)),
        last,
    );
}
