//! The key-hint bar, generated from the keymap for what has the keys right now.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::View;
use crate::app::dialogs::Stage;
use crate::app::keymap::Command;
use crate::app::layout::Pane;
use crate::app::state::{AppState, Overlay, Screen, Tone};

/// (key, label) pairs for the current context.
pub fn hints(s: &AppState) -> Vec<(String, String)> {
    let fixed = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, l)| (k.to_string(), l.to_string()))
            .collect()
    };
    match &s.overlay {
        Some(Overlay::Dialog(d)) => {
            return match &d.stage {
                Stage::Edit => fixed(&[
                    ("Tab", "next field"),
                    ("Space", "toggle"),
                    ("←→", "choose"),
                    ("Enter", "review"),
                    ("Esc", "cancel"),
                ]),
                Stage::Confirm { .. } => fixed(&[("y/Enter", "apply"), ("n/Esc", "back")]),
                Stage::Running => fixed(&[("", "writing…")]),
            }
        }
        Some(Overlay::Palette(_)) => {
            return fixed(&[("Enter", "run"), ("Tab", "complete"), ("Esc", "close")])
        }
        Some(Overlay::Help { .. }) => return fixed(&[("↑↓", "scroll"), ("any key", "close")]),
        None => {}
    }
    if s.screen == Screen::Picker {
        return fixed(&[
            ("↑↓", "choose"),
            ("Enter", "open"),
            ("type", "a path or URL"),
            ("q", "quit"),
        ]);
    }
    if s.filter_editing {
        return fixed(&[
            ("type", "filter"),
            ("↑↓", "move"),
            ("Enter", "keep"),
            ("Esc", "clear"),
        ]);
    }
    let cmds: &[Command] = match s.focus {
        Pane::Catalog => &[
            Command::Open,
            Command::Filter,
            Command::NextPane,
            Command::Patch,
            Command::Extend,
            Command::Resize,
            Command::Create,
            Command::Delete,
            Command::Palette,
            Command::Refresh,
            Command::Help,
            Command::Quit,
        ],
        Pane::Grid => &[
            Command::ZoomIn,
            Command::ZoomOut,
            Command::CycleAxes,
            Command::SliceNext,
            Command::SlicePrev,
            Command::NextPane,
            Command::Patch,
            Command::Extend,
            Command::Resize,
            Command::Pause,
            Command::Help,
            Command::Quit,
        ],
        Pane::History | Pane::Preview => &[
            Command::NextPane,
            Command::SliceNext,
            Command::SlicePrev,
            Command::Patch,
            Command::Extend,
            Command::Resize,
            Command::Pause,
            Command::Palette,
            Command::Help,
            Command::Quit,
        ],
    };
    cmds.iter()
        .map(|&c| (s.keymap.hint(c), c.label().to_string()))
        .collect()
}

/// The latest status message comes first (a write's result, an error), then the hints that fit.
pub fn draw(frame: &mut Frame, area: Rect, view: &View) {
    let t = view.theme;
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1usize;
    if let Some(st) = &view.state.status {
        let style = match st.tone {
            Tone::Error => t.error,
            Tone::Ok => t.ok,
            Tone::Info => t.label,
        };
        let text = super::util::fit(&st.text, (area.width as usize).saturating_sub(2));
        used += text.chars().count() + 3;
        spans.push(Span::styled(text, style));
        spans.push(Span::styled(" │ ", t.dim));
    }
    for (k, l) in hints(view.state) {
        let w = k.chars().count() + l.chars().count() + 3;
        if used + w > area.width as usize {
            break;
        }
        if !k.is_empty() {
            spans.push(Span::styled(k, t.hint_key));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(l, t.hint_text));
        spans.push(Span::raw("  "));
        used += w;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
