//! The top bar: store, connection state, array count (or a server search's count of matches).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::util::{fit, fit_left};
use super::View;
use crate::app::state::{AppState, GroupFollow, Screen};
use crate::backend::ConnectionState;

pub fn draw(frame: &mut Frame, area: Rect, view: &View) {
    let s = view.state;
    let t = view.theme;
    let w = area.width as usize;
    let mut left = String::from(" extent");
    if s.screen == Screen::Main {
        left.push_str(&format!(" │ {}", fit_left(&s.store_label, 32)));
        let conn = match s.connection {
            Some(_) if s.paused && s.held_overflow => "⏸ paused (many updates held)".into(),
            Some(_) if s.paused && !s.held.is_empty() => {
                format!("⏸ paused ({} updates held)", s.held.len())
            }
            Some(_) if s.paused => "⏸ paused".to_string(),
            Some(ConnectionState::Live) => "● live".to_string(),
            // Before an array is open only the followed groups' new nodes can come live.
            Some(ConnectionState::Polling) if s.open.is_none() => match groups_state(s) {
                Some(GroupFollow::Reconnecting) => "… new nodes: reconnecting".to_string(),
                Some(GroupFollow::Live) => "● new nodes live".to_string(),
                _ => "○ catalog polled, no array open".to_string(),
            },
            Some(ConnectionState::Polling) => "○ polling".to_string(),
            Some(ConnectionState::Offline) => "✗ offline".to_string(),
            Some(ConnectionState::AuthRefused) => "✗ auth refused (401/403)".to_string(),
            Some(ConnectionState::Unreachable) => "✗ server unreachable".to_string(),
            Some(ConnectionState::ServerError) => "✗ server error".to_string(),
            Some(other) => format!("… {}", other.name()),
            None => "… no store".to_string(),
        };
        left.push_str(&format!(" │ {conn}"));
        if s.open.is_some() && groups_state(s) == Some(GroupFollow::Reconnecting) {
            left.push_str(" │ new nodes: reconnecting");
        }
        if let Some(search) = s.catalog.server_search() {
            // The hits are not the store: what the server counts for the search.
            let summary = super::catalog::search_summary(&s.catalog, search);
            left.push_str(&format!(" │ search: {summary} "));
        } else {
            let (n, more) = s.catalog.array_count();
            let plural = if n == 1 { "array" } else { "arrays" };
            let more = if more { " (more not loaded)" } else { "" };
            left.push_str(&format!(" │ {n} {plural}{more} "));
        }
        if let Some((per_s, bytes_s)) = s.write_rate() {
            let rate = if bytes_s >= 1e6 {
                format!("{:.1} MB/s", bytes_s / 1e6)
            } else {
                format!("{:.1} kB/s", bytes_s / 1e3)
            };
            left.push_str(&format!("│ {per_s:.0} writes/s {rate} "));
        }
    } else {
        left.push_str(" │ choose a store ");
    }
    let left = fit(&left, w);
    let pad = w.saturating_sub(left.chars().count());
    let spans = vec![Span::styled(
        format!("{left}{}", " ".repeat(pad)),
        t.top_bar,
    )];
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The followed groups taken together: reconnecting if any is, else live if any is.
fn groups_state(s: &AppState) -> Option<GroupFollow> {
    let states = || s.group_follow.values().copied();
    [GroupFollow::Reconnecting, GroupFollow::Live]
        .into_iter()
        .find(|want| states().any(|g| g == *want))
}
