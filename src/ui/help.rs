//! The help overlay: every command with its keys (from the keymap), the dialog keys, and the
//! palette commands.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::util::{fit, pane_block};
use super::View;
use crate::app::keymap::Command;
use crate::app::layout::{centered, inner};
use crate::app::state::PALETTE_COMMANDS;

/// Every help line as (key column, text).
pub fn help_lines(view: &View) -> Vec<(String, String)> {
    let km = &view.state.keymap;
    let mut out: Vec<(String, String)> = Command::ALL
        .iter()
        .map(|&c| (km.all_keys(c), c.description().to_string()))
        .collect();
    out.push((String::new(), String::new()));
    out.push(("In dialogs".into(), String::new()));
    for (k, d) in [
        ("Tab ↑ ↓", "next / previous field"),
        ("Space ← →", "toggle, or choose (dtype)"),
        ("Enter", "review the effect, then confirm"),
        ("y / n", "apply / go back"),
        ("Esc", "cancel: nothing is written"),
    ] {
        out.push((k.into(), d.into()));
    }
    out.push((String::new(), String::new()));
    out.push(("Command palette (:)".into(), String::new()));
    for (n, a, d) in PALETTE_COMMANDS {
        out.push((format!("{n} {a}").trim().to_string(), d.to_string()));
    }
    out.push((String::new(), String::new()));
    out.push(("Mouse".into(), "click selects, wheel scrolls".into()));
    out
}

pub fn draw(frame: &mut Frame, area: Rect, view: &View, scroll: usize) {
    let t = view.theme;
    let r = centered(area, 76, area.height.saturating_sub(2));
    frame.render_widget(Clear, r);
    frame.render_widget(pane_block(" Help: keys (any key closes) ", true, t), r);
    let inner = inner(r);
    let kw = 16usize;
    let dw = (inner.width as usize).saturating_sub(kw + 1);
    let all = help_lines(view);
    let scroll = scroll.min(all.len().saturating_sub(inner.height as usize));
    let lines: Vec<Line> = all
        .iter()
        .skip(scroll)
        .take(inner.height as usize)
        .map(|(k, d)| {
            if d.is_empty() {
                Line::styled(fit(k, inner.width as usize), t.title)
            } else {
                Line::from(vec![
                    Span::styled(format!("{:<kw$} ", fit(k, kw)), t.hint_key),
                    Span::raw(fit(d, dw)),
                ])
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
