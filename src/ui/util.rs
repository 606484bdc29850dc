//! Small drawing helpers shared by the widgets.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};
use ratatui::Frame;

use super::theme::Theme;
use super::View;
use crate::app::layout;

/// A pane's frame: rounded border, highlighted when focused.
pub fn pane_block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(if focused {
            theme.border_focused
        } else {
            theme.border
        })
        .title(title)
        .title_style(theme.title)
}

/// Cuts `s` to at most `w` display columns, ending with `…` when cut.
pub fn fit(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(w - 1).collect();
    out.push('…');
    out
}

/// Cuts from the left: `…tail` (for paths).
pub fn fit_left(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let tail: String = s.chars().skip(n - (w - 1)).collect();
    format!("…{tail}")
}

/// `label value` with the label in its style, padded to `lw`.
pub fn kv<'a>(label: &str, value: String, lw: usize, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<lw$}"), theme.label),
        Span::styled(value, theme.value),
    ])
}

/// Compact shape: `[12,64,64]`.
pub fn shape_compact(s: &[u64]) -> String {
    let parts: Vec<String> = s.iter().map(|x| x.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// The compact layout's tab line.
pub fn draw_tabs(frame: &mut Frame, area: Rect, view: &View) {
    let s = view.state;
    let t = view.theme;
    let mut spans = Vec::new();
    let mut x = area.x;
    let single = s.areas().single;
    let shown = s.shown_pane();
    for (p, x0, x1, label) in layout::tab_ranges(area, single, shown) {
        if x0 > x {
            spans.push(Span::raw(" ".repeat((x0 - x) as usize)));
        }
        let style = if p == shown {
            if s.focus == p {
                t.selected
            } else {
                t.selected_unfocused
            }
        } else {
            t.dim
        };
        spans.push(Span::styled(format!(" {label} "), style));
        x = x1;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
