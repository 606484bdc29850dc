//! The top bar: store, connection state, array count, and the latest status message.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::util::fit;
use super::View;
use crate::app::action::ConnectionState;
use crate::app::state::{Screen, Tone};

pub fn draw(frame: &mut Frame, area: Rect, view: &View) {
    let s = view.state;
    let t = view.theme;
    let w = area.width as usize;
    let mut left = String::from(" extent");
    if s.screen == Screen::Main {
        left.push_str(&format!(" │ {}", s.store_label));
        let conn = match &s.connection {
            ConnectionState::Polling if s.paused => "⏸ paused".to_string(),
            ConnectionState::Live if s.paused => "⏸ paused".to_string(),
            ConnectionState::Live => "● live".to_string(),
            ConnectionState::Polling => "○ polling".to_string(),
            ConnectionState::Offline(_) => "✗ offline".to_string(),
            other => format!("… {}", other.label()),
        };
        left.push_str(&format!(" │ {conn}"));
        let (n, more) = s.catalog.array_count();
        let plural = if n == 1 { "array" } else { "arrays" };
        left.push_str(&format!(" │ {n}{} {plural} ", if more { "+" } else { "" }));
    } else {
        left.push_str(" │ choose a store ");
    }
    let left = fit(&left, w);
    let used = left.chars().count();
    let mut spans = vec![Span::styled(left, t.top_bar)];
    let room = w.saturating_sub(used + 1);
    let status = s.status.as_ref().map(|st| {
        let style = match st.tone {
            Tone::Error => t.error,
            Tone::Ok => t.ok,
            Tone::Info => t.label,
        };
        (fit(&st.text, room), style)
    });
    if let Some((text, style)) = status {
        let pad = room.saturating_sub(text.chars().count());
        spans.push(Span::raw(" ".repeat(pad + 1)));
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
