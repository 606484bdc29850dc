//! The Activity pane: one line per array that changed recently — path, shape, rate, last
//! write, stalled or not — most recent first; and the activity line of the structure pane.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use super::util::{fit, fit_left, kv, pane_block, shape_compact};
use super::View;
use crate::app::layout::inner;
use crate::app::monitor::{fmt_ago, Activity};
use crate::app::state::AppState;

/// A column: its header, width, and what a row shows in it.
struct Column {
    head: &'static str,
    width: usize,
    cell: fn(&Activity, &AppState) -> String,
}

fn rate_fps(a: &Activity, s: &AppState) -> String {
    format!("{:.1} fps", a.rate(s.now).0)
}

fn rate_bytes(a: &Activity, s: &AppState) -> String {
    let b = a.rate(s.now).1;
    if b >= 1e6 {
        format!("{:.1} MB/s", b / 1e6)
    } else {
        format!("{:.1} kB/s", b / 1e3)
    }
}

fn last(a: &Activity, s: &AppState) -> String {
    a.since(s.now).map(fmt_ago).unwrap_or_else(|| "-".into())
}

fn state(a: &Activity, _: &AppState) -> String {
    if a.stalled { "stalled" } else { "ok" }.into()
}

fn shape(a: &Activity, _: &AppState) -> String {
    shape_compact(&a.shape)
}

/// The columns after the path, by priority: a narrow pane drops the last ones.
const COLUMNS: [Column; 5] = [
    Column {
        head: "state",
        width: 7,
        cell: state,
    },
    Column {
        head: "last write",
        width: 10,
        cell: last,
    },
    Column {
        head: "rate",
        width: 9,
        cell: rate_fps,
    },
    Column {
        head: "shape",
        width: 14,
        cell: shape,
    },
    Column {
        head: "",
        width: 10,
        cell: rate_bytes,
    },
];

/// The path column's least width.
const PATH_MIN: usize = 14;

pub fn draw(frame: &mut Frame, area: Rect, view: &View, focused: bool) {
    let s = view.state;
    let t = view.theme;
    let rows = s.activity_rows();
    let stalled = rows.iter().filter(|a| a.stalled).count();
    let title = match stalled {
        0 => format!(" Activity ({} recent) ", rows.len()),
        n => format!(" Activity ({} recent, {n} stalled) ", rows.len()),
    };
    frame.render_widget(pane_block(title, focused, t), area);
    let inner = inner(area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let w = inner.width as usize;
    if rows.is_empty() {
        let msg = "No array has changed since extent started. Arrays that grow show here, \
                   with their rate and when they were last written.";
        let p =
            Paragraph::new(Line::styled(msg, t.dim)).wrap(ratatui::widgets::Wrap { trim: true });
        frame.render_widget(p, inner);
        return;
    }
    // Columns in priority order while they fit beside the path; drawn in table order.
    let mut used = Vec::new();
    let mut room = w.saturating_sub(PATH_MIN);
    for (i, c) in COLUMNS.iter().enumerate() {
        if c.width < room {
            room -= c.width + 1;
            used.push(i);
        }
    }
    let order = [3usize, 2, 4, 1, 0];
    let cols: Vec<&Column> = order
        .iter()
        .filter(|i| used.contains(i))
        .map(|&i| &COLUMNS[i])
        .collect();
    let path_w = w - cols.iter().map(|c| c.width + 1).sum::<usize>();
    let mut lines = Vec::with_capacity(inner.height as usize);
    let mut head = format!("{:<path_w$}", "path");
    for c in &cols {
        head.push_str(&format!(" {:<width$}", c.head, width = c.width));
    }
    lines.push(Line::styled(fit(&head, w), t.label));
    let list_h = (inner.height as usize).saturating_sub(1);
    let selected = s.activity_selected();
    let skip = (selected + 1).saturating_sub(list_h);
    for (i, a) in rows.iter().enumerate().skip(skip).take(list_h) {
        lines.push(row(s, t, a, &cols, path_w, focused && i == selected));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn row<'a>(
    s: &AppState,
    t: &Theme,
    a: &Activity,
    cols: &[&Column],
    path_w: usize,
    selected: bool,
) -> Line<'a> {
    let mut spans = vec![Span::styled(
        format!("{:<path_w$}", fit_left(&a.path, path_w)),
        if selected { t.selected } else { t.array },
    )];
    for c in cols {
        let text = fit(&(c.cell)(a, s), c.width);
        let style: Style = if selected {
            t.selected
        } else if c.head == "state" && a.stalled {
            t.warning
        } else {
            t.value
        };
        spans.push(Span::styled(
            format!(" {text:<width$}", width = c.width),
            style,
        ));
    }
    Line::from(spans)
}

/// The structure pane's activity line: rate and last write, or `stalled` in the warning
/// colour; `None` for an array not seen written.
pub fn structure_line<'a>(
    s: &AppState,
    path: &str,
    vw: usize,
    lw: usize,
    t: &Theme,
) -> Option<Line<'a>> {
    let a = s.monitor.get(path).filter(|a| a.last_write.is_some())?;
    let (fps, bps) = a.rate(s.now);
    let ago = a.since(s.now).map(fmt_ago).unwrap_or_default();
    let rate = crate::app::monitor::fmt_rate(fps, bps);
    if a.stalled {
        let secs = s.monitor.stall_after.as_secs();
        let text = fit(
            &format!("last write {ago} (no growth for > {secs} s)"),
            vw.saturating_sub(8),
        );
        return Some(Line::from(vec![
            Span::styled(format!("{:<lw$}", "activity"), t.label),
            Span::styled("stalled ", t.warning),
            Span::styled(text, t.value),
        ]));
    }
    let text = if rate.is_empty() {
        format!("last write {ago}")
    } else {
        format!("{rate} · last write {ago}")
    };
    Some(kv("activity", fit(&text, vw), lw, t))
}
