//! The key-hint bar: the latest notice, then the commands that whatever has the keys declares
//! (`app::commands::current`), with a command that does not apply now greyed.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::View;
use crate::app::commands::{self, CommandInfo, Keys};
use crate::app::keymap::Command;
use crate::app::state::{AppState, Tone};
use crate::ui::theme::Theme;

/// The commands the bar offers now, in order.
pub fn hints(s: &AppState) -> Vec<CommandInfo> {
    commands::current(s)
        .into_iter()
        .filter(|c| c.in_bar)
        .collect()
}

/// How a command that does not apply is drawn: the dim colour, and the dim attribute when
/// there are no colours, so it stays apart under NO_COLOR too.
pub fn disabled_style(t: &Theme) -> Style {
    if t.dim.fg.is_none() {
        t.dim.add_modifier(Modifier::DIM)
    } else {
        t.dim
    }
}

/// `?` help and `q` quit: drawn whatever else must go (the least important hints go first).
fn pinned(c: &CommandInfo) -> bool {
    matches!(c.keys, Keys::Mapped(Command::Help | Command::Quit))
}

/// Columns a hint takes: key, space, label, two spaces.
fn width(c: &CommandInfo, s: &AppState) -> usize {
    let k = c.key_hint(&s.keymap).chars().count();
    k + c.label.chars().count() + if k > 0 { 3 } else { 2 }
}

/// The latest status message comes first (a write's result, an error), then the hints that
/// fit, always ending with help and quit.
pub fn draw(frame: &mut Frame, area: Rect, view: &View) {
    let t = view.theme;
    let s = view.state;
    let all = hints(s);
    let keep: usize = all.iter().filter(|c| pinned(c)).map(|c| width(c, s)).sum();
    let total = area.width as usize;
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1usize;
    if let Some(st) = &s.status {
        let style = match st.notice.tone {
            Tone::Error => t.error,
            Tone::Ok => t.ok,
            Tone::Warn => t.warning,
            Tone::Info => t.label,
        };
        // Room for hints stays (the whole line is in the message log).
        let room = total.saturating_sub(used + 3 + keep).min(total * 3 / 5);
        let text = super::util::fit(&st.notice.text, room);
        used += text.chars().count() + 3;
        spans.push(Span::styled(text, style));
        spans.push(Span::styled(" │ ", t.dim));
    }
    let off = disabled_style(t);
    let mut room = total.saturating_sub(used + keep);
    let mut shown: Vec<&CommandInfo> = Vec::new();
    for c in all.iter().filter(|c| !pinned(c)) {
        let w = width(c, s);
        if w > room {
            break;
        }
        room -= w;
        shown.push(c);
    }
    shown.extend(all.iter().filter(|c| pinned(c)));
    for c in shown {
        let k = c.key_hint(&s.keymap);
        let (key_style, text_style) = if c.enabled {
            (t.hint_key, t.hint_text)
        } else {
            (off, off)
        };
        if !k.is_empty() {
            spans.push(Span::styled(k, key_style));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(c.label, text_style));
        spans.push(Span::raw("  "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
