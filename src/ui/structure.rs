//! The structure of the open array: path, shape, chunks, grid, dtype, resizable, fill,
//! written chunks, metadata.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::util::{fit, fit_left, kv, pane_block};
use super::View;
use crate::app::layout::inner;
use crate::backend::fmt_shape;

pub fn draw(frame: &mut Frame, area: Rect, view: &View) {
    let s = view.state;
    let t = view.theme;
    // A failed re-read keeps the last known values on screen, marked stale.
    let stale = s
        .open
        .as_ref()
        .is_some_and(|o| o.error.is_some() && o.info.is_some());
    let title = if stale {
        let log = s.keymap.hint(crate::app::keymap::Command::Messages);
        format!(" Structure · stale: last known ({log} why) ")
    } else {
        " Structure ".to_string()
    };
    frame.render_widget(pane_block(title, false, t), area);
    let inner = inner(area);
    let w = inner.width as usize;
    let lw = 10;
    let vw = w.saturating_sub(lw);
    if super::node_view::draw_structure(frame, inner, view) {
        return;
    }
    let Some(open) = &s.open else {
        let p = Paragraph::new(Line::styled(
            "Select an array in the catalog (Enter opens).",
            t.dim,
        ))
        .wrap(Wrap { trim: true });
        frame.render_widget(p, inner);
        return;
    };
    let mut lines = vec![kv("path", fit_left(&open.path, vw), lw, t)];
    if let Some(e) = open.error.as_ref().filter(|_| open.info.is_none()) {
        lines.push(Line::styled(fit(e, w), t.error));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    let Some(info) = &open.info else {
        lines.push(Line::styled("loading…", t.dim));
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    };
    let grid = info.chunk_grid();
    let n_chunks: u128 = grid.iter().map(|&g| g as u128).product();
    let flags: Vec<&str> = info
        .resizable
        .iter()
        .map(|&r| if r { "yes" } else { "no" })
        .collect();
    lines.push(kv(
        "shape",
        fit(&format!("{}  {}", fmt_shape(&info.shape), info.dtype), vw),
        lw,
        t,
    ));
    lines.push(kv(
        "chunks",
        fit(
            &format!(
                "{}  grid {} = {n_chunks}",
                fmt_shape(&info.chunks),
                fmt_shape(&grid)
            ),
            vw,
        ),
        lw,
        t,
    ));
    lines.push(kv(
        "resizable",
        fit(
            &format!("[{}]  fill {}", flags.join(", "), info.fill_value),
            vw,
        ),
        lw,
        t,
    ));
    let written = match (&open.chunks, &open.chunks_error) {
        (Some(m), Some(_)) => format!("{} of {} chunks (stale)", m.written(), m.states.len()),
        (None, Some(e)) => fit(e, vw),
        (Some(m), None) if !s.capabilities.lists_chunks || open.plane.unknown => {
            format!(
                "≥ {} of {} (seen live; the store lists none)",
                m.written(),
                m.states.len()
            )
        }
        (Some(m), None) => {
            let w = m.written();
            let pct = if m.states.is_empty() {
                0.0
            } else {
                100.0 * w as f64 / m.states.len() as f64
            };
            format!("{w} of {} chunks ({pct:.0}%)", m.states.len())
        }
        (None, None) => "…".into(),
    };
    lines.push(kv("written", fit(&written, vw), lw, t));
    if let Some(line) = super::activity::structure_line(s, &open.path, vw, lw, t) {
        lines.push(line);
    }
    let meta = match &info.metadata {
        serde_json::Value::Object(m) if m.is_empty() => "{}".to_string(),
        other => other.to_string(),
    };
    lines.push(kv("metadata", fit(&meta, vw), lw, t));
    frame.render_widget(Paragraph::new(lines), inner);
}
