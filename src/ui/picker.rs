//! The store picker: named stores from the config file, the demo store, or a typed location.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::util::{fit, pane_block};
use super::View;
use crate::app::layout::{centered, inner};

pub fn draw(frame: &mut Frame, area: Rect, view: &View) {
    let t = view.theme;
    let p = &view.state.picker;
    let h = (p.entries.len() as u16 + 9).min(area.height);
    let r = centered(area, 72, h);
    frame.render_widget(pane_block(" Open a store ", true, t), r);
    let inner = inner(r);
    let w = inner.width as usize;
    let mut lines = vec![
        Line::styled(
            "Named stores come from ~/.config/extent/config.toml.",
            t.dim,
        ),
        Line::raw(""),
    ];
    for (i, e) in p.entries.iter().enumerate() {
        let selected = i == p.selected && p.location.is_empty();
        let head = format!(
            "{} {:<14}",
            if selected { "›" } else { " " },
            fit(&e.label, 14)
        );
        let line = format!("{head} {}", e.detail);
        lines.push(if selected {
            Line::styled(fit(&line, w), t.selected)
        } else {
            Line::from(vec![
                Span::styled(head, t.value),
                Span::styled(fit(&format!(" {}", e.detail), w.saturating_sub(16)), t.dim),
            ])
        });
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("or type a path / URL: ", t.label),
        Span::styled(
            format!("{}▏", p.location),
            if p.location.is_empty() {
                t.input
            } else {
                t.input_focused
            },
        ),
    ]));
    lines.push(Line::raw(""));
    if let Some(o) = &p.opening {
        lines.push(Line::styled(fit(&format!("opening {o}…"), w), t.label));
    }
    if let Some(e) = &p.error {
        lines.push(Line::styled(e.clone(), t.error));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
