//! The message log over the main screen: every status line and error since start, newest
//! last, each wrapped whole; the highlighted one's detail (an error's causes and repair steps)
//! in a box of its own.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::util::pane_block;
use super::View;
use crate::app::layout::{centered, inner};
use crate::app::messages::{LogView, Message};
use crate::app::notice::Tone;

/// `+m:ss` since the TUI started.
fn since_start(view: &View, m: &Message) -> String {
    let secs = m.at.saturating_duration_since(view.state.started).as_secs();
    format!("+{}:{:02}", secs / 60, secs % 60)
}

fn tone_style(view: &View, tone: Tone) -> ratatui::style::Style {
    match tone {
        Tone::Error => view.theme.error,
        Tone::Ok => view.theme.ok,
        Tone::Info => view.theme.value,
        Tone::Warn => view.theme.warning,
    }
}

/// The rows `text` takes when wrapped at `w` (by characters, as the widget wraps words this
/// is a lower bound; the window keeps a margin for it).
fn rows(text: &str, w: usize) -> usize {
    text.chars().count().div_ceil(w.max(1)).max(1)
}

pub fn draw(frame: &mut Frame, area: Rect, view: &View, v: &LogView) {
    let t = view.theme;
    let log = &view.state.messages;
    let r = centered(
        area,
        area.width.saturating_sub(4).max(10),
        area.height.saturating_sub(2),
    );
    let title = format!(" Messages ({}) ", log.len());
    frame.render_widget(Clear, r);
    frame.render_widget(pane_block(title, true, t), r);
    let body = inner(r);
    let w = body.width as usize;
    if log.is_empty() {
        frame.render_widget(Paragraph::new(Line::styled("no messages yet", t.dim)), body);
        return;
    }
    // The window ends at the selected message (or later, when it fits).
    let body_of = |m: &Message| {
        let rep = if m.repeats > 0 {
            format!(" (×{})", m.repeats + 1)
        } else {
            String::new()
        };
        format!("{}{rep}", m.text)
    };
    let text_of = |m: &Message| format!("  {} {}", since_start(view, m), body_of(m));
    let sel = v.selected.min(log.len() - 1);
    let height = body.height as usize;
    let mut first = sel;
    let mut used = rows(&text_of(&log.entries[sel]), w);
    while first > 0 && used + rows(&text_of(&log.entries[first - 1]), w) <= height {
        first -= 1;
        used += rows(&text_of(&log.entries[first]), w);
    }
    let mut lines: Vec<Line> = Vec::new();
    if log.dropped > 0 && first == 0 {
        lines.push(Line::styled(
            format!("({} older messages dropped)", log.dropped),
            t.dim,
        ));
    }
    for (i, m) in log.entries.iter().enumerate().skip(first) {
        let mut style = tone_style(view, m.tone);
        if i == sel {
            style = style.patch(t.selected);
        }
        let mark = if i == sel { "▶" } else { " " };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} {} ", since_start(view, m)), t.dim),
            Span::styled(body_of(m), style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    if v.detail {
        draw_detail(frame, area, view, &log.entries[sel]);
    }
}

/// The whole message: for an error, what failed, each cause, and each repair step.
fn draw_detail(frame: &mut Frame, area: Rect, view: &View, m: &Message) {
    let t = view.theme;
    let mut lines = vec![Line::styled(m.text.clone(), tone_style(view, m.tone))];
    if let Some(d) = &m.detail {
        lines.push(Line::raw(""));
        lines.push(Line::styled("What happened", t.title));
        for (i, c) in d.chain.iter().enumerate() {
            let lead = if i == 0 { "  " } else { "  ← " };
            lines.push(Line::raw(format!("{lead}{c}")));
        }
        if !d.repair.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled("To repair", t.title));
            for (i, step) in d.repair.iter().enumerate() {
                lines.push(Line::raw(format!("  {}. {step}", i + 1)));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("{} since start · Esc back", since_start(view, m)),
        t.dim,
    ));
    let w = area.width.saturating_sub(8).clamp(10, 100);
    let inner_w = w.saturating_sub(2) as usize;
    let h: usize = lines.iter().map(|l| rows(&l.to_string(), inner_w)).sum();
    let r = centered(area, w, (h as u16 + 2).min(area.height));
    frame.render_widget(Clear, r);
    frame.render_widget(pane_block(" Message ", true, t), r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner(r));
}
