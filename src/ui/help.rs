//! The help overlay: every context's commands as it declares them (`app::commands::help`),
//! with their keys from the keymap, the palette's words, and greyed what does not apply now.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::util::{fit, pane_block};
use super::View;
use crate::app::commands;
use crate::app::layout::{centered, inner};

/// One line of the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLine {
    /// The keys; a heading's title when `text` is empty.
    pub keys: String,
    pub text: String,
    /// The command applies now (greyed when not).
    pub enabled: bool,
}

impl HelpLine {
    fn new(keys: impl Into<String>, text: impl Into<String>, enabled: bool) -> HelpLine {
        HelpLine {
            keys: keys.into(),
            text: text.into(),
            enabled,
        }
    }

    fn heading(title: impl Into<String>) -> HelpLine {
        HelpLine::new(title, "", true)
    }
}

/// Every help line, in order.
pub fn help_lines(view: &View) -> Vec<HelpLine> {
    let s = view.state;
    let mut out = Vec::new();
    for section in commands::help(s) {
        if !section.title.is_empty() {
            out.push(HelpLine::heading(""));
            out.push(HelpLine::heading(section.title));
        }
        for c in section.commands {
            out.push(HelpLine::new(c.key_list(&s.keymap), c.help, c.enabled));
        }
        for w in section.words {
            out.push(HelpLine::new(w.usage(), w.help, w.applies(s)));
        }
    }
    out.push(HelpLine::heading(""));
    out.push(HelpLine::new("Mouse", "click selects, wheel scrolls", true));
    out
}

pub fn draw(frame: &mut Frame, area: Rect, view: &View, scroll: usize) {
    let t = view.theme;
    let r = centered(area, 76, area.height.saturating_sub(2));
    frame.render_widget(Clear, r);
    frame.render_widget(
        pane_block(" Help: keys (↓↑ scroll, other keys close) ", true, t),
        r,
    );
    let inner = inner(r);
    let kw = 16usize;
    let dw = (inner.width as usize).saturating_sub(kw + 1);
    let off = super::hint_bar::disabled_style(t);
    let all = help_lines(view);
    let scroll = scroll.min(all.len().saturating_sub(inner.height as usize));
    let lines: Vec<Line> = all
        .iter()
        .skip(scroll)
        .take(inner.height as usize)
        .map(|l| {
            if l.text.is_empty() {
                Line::styled(fit(&l.keys, inner.width as usize), t.title)
            } else if l.enabled {
                Line::from(vec![
                    Span::styled(format!("{:<kw$} ", fit(&l.keys, kw)), t.hint_key),
                    Span::raw(fit(&l.text, dw)),
                ])
            } else {
                Line::styled(
                    format!("{:<kw$} {}", fit(&l.keys, kw), fit(&l.text, dw)),
                    off,
                )
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
