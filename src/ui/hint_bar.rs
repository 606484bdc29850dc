//! The key-hint bar: the latest notice, then the commands that whatever has the keys declares
//! (`app::commands::current`), with a command that does not apply now greyed.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::View;
use crate::app::commands::{self, CommandInfo};
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

/// The latest status message comes first (a write's result, an error), then the hints that fit.
pub fn draw(frame: &mut Frame, area: Rect, view: &View) {
    let t = view.theme;
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1usize;
    if let Some(st) = &view.state.status {
        let style = match st.notice.tone {
            Tone::Error => t.error,
            Tone::Ok => t.ok,
            Tone::Warn => t.warning,
            Tone::Info => t.label,
        };
        let text = super::util::fit(&st.notice.text, (area.width as usize).saturating_sub(2));
        used += text.chars().count() + 3;
        spans.push(Span::styled(text, style));
        spans.push(Span::styled(" │ ", t.dim));
    }
    let off = disabled_style(t);
    for c in hints(view.state) {
        let k = c.key_hint(&view.state.keymap);
        let w = k.chars().count() + c.label.chars().count() + 3;
        if used + w > area.width as usize {
            break;
        }
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
        used += w;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
