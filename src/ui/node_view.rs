//! A highlighted node that is not an array: in the structure pane its kind, specs, children
//! and metadata (a run's plan_name, scan_id, time first); in the data pane a table's last rows.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::util::{fit, fit_left, kv};
use super::View;
use crate::app::state::NodeView;

/// Metadata keys a facility's runs carry, shown first.
const FIRST: [&str; 4] = ["plan_name", "scan_id", "time", "uid"];

/// The node view, when the highlighted catalog row is the node it describes.
fn shown<'a>(view: &View<'a>) -> Option<&'a NodeView> {
    let s = view.state;
    let v = s.node_view.as_ref()?;
    let sel = s.catalog.selected_node()?;
    (sel.entry.path == v.path).then_some(v)
}

/// Draws the structure pane's content for a group, table or other node; false when the
/// highlighted row is not one (the open array is shown instead).
pub fn draw_structure(frame: &mut Frame, inner: Rect, view: &View) -> bool {
    let Some(v) = shown(view) else {
        return false;
    };
    let t = view.theme;
    let w = inner.width as usize;
    let lw = 10;
    let vw = w.saturating_sub(lw);
    let mut lines = vec![kv("path", fit_left(&v.path, vw), lw, t)];
    if let Some(e) = &v.error {
        lines.push(Line::styled(fit(e, w), t.error));
    } else if let Some(info) = &v.info {
        lines.push(kv("kind", fit(info.kind.name(), vw), lw, t));
        if !info.specs.is_empty() {
            lines.push(kv("specs", fit(&info.specs.join(", "), vw), lw, t));
        }
        if let Some(n) = info.children {
            lines.push(kv("children", n.to_string(), lw, t));
        }
        if let Some(tb) = &info.table {
            lines.push(kv("columns", fit(&tb.columns.join(", "), vw), lw, t));
            lines.push(kv("parts", tb.partitions.to_string(), lw, t));
        }
        if let Some(o) = &info.origin {
            lines.push(kv("data", fit(&o.management, vw), lw, t));
        }
        if let Some(m) = info.metadata.as_object() {
            let first = FIRST.iter().filter_map(|k| m.get_key_value(*k));
            let rest = m.iter().filter(|(k, _)| !FIRST.contains(&k.as_str()));
            for (k, val) in first.chain(rest) {
                lines.push(kv(&fit(k, lw - 1), fit(&val.to_string(), vw), lw, t));
            }
        }
    } else {
        lines.push(Line::styled("loading…", t.dim));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
    true
}

/// Draws a table's last rows in the data pane; false when the highlighted row is no table.
pub fn draw_rows(frame: &mut Frame, inner: Rect, view: &View) -> bool {
    let Some(v) = shown(view) else {
        return false;
    };
    let t = view.theme;
    let w = inner.width as usize;
    let Some(rows) = &v.rows else {
        let text = match &v.info {
            None if v.error.is_none() => "loading…".to_string(),
            Some(i) => format!("a {}: no values to show", i.kind.name()),
            None => String::new(),
        };
        frame.render_widget(Paragraph::new(Line::styled(fit(&text, w), t.dim)), inner);
        return true;
    };
    let h = inner.height as usize;
    let n = rows.rows();
    // The newest rows, as many as fit under the header.
    let from = n.saturating_sub(h.saturating_sub(1));
    let body = rows.text_rows(from..n);
    let widths = rows.column_widths(&body);
    let line = |cells: &[String]| -> String {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &cw)| format!("{c:>cw$}"))
            .collect();
        fit(&parts.join("  "), w)
    };
    let mut lines = vec![Line::styled(line(&rows.columns), t.label)];
    lines.extend(body.iter().map(|r| Line::styled(line(r), t.value)));
    frame.render_widget(Paragraph::new(lines), inner);
    true
}
