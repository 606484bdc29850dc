//! The command palette: `:` then a command (`goto PATH`, `patch`, `store NAME` ...).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::util::{fit, pane_block};
use super::View;
use crate::app::commands::PALETTE;
use crate::app::layout::inner;
use crate::app::state::Palette;

pub fn draw(frame: &mut Frame, area: Rect, view: &View, p: &Palette) {
    let t = view.theme;
    let word = p.input.split_whitespace().next().unwrap_or("");
    let matching: Vec<_> = PALETTE
        .iter()
        .filter(|w| word.is_empty() || w.name.starts_with(word) || word.starts_with(w.name))
        .collect();
    let h = (matching.len() as u16 + 3 + u16::from(p.error.is_some()))
        .min(area.height.saturating_sub(2));
    let w = area.width.saturating_sub(4).min(70);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    frame.render_widget(pane_block(" Command ", true, t), r);
    let inner = inner(r);
    let iw = inner.width as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled(":", t.hint_key),
        Span::styled(
            fit(&format!("{}▏", p.input), iw.saturating_sub(1)),
            t.input_focused,
        ),
    ])];
    if let Some(e) = &p.error {
        lines.push(Line::styled(fit(e, iw), t.error));
    }
    let off = super::hint_bar::disabled_style(t);
    for w in matching {
        // A word for a command that does not apply now is greyed, as in the hint bar.
        let (head, text) = if w.applies(view.state) {
            (t.hint_key, t.dim)
        } else {
            (off, off)
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<14}", w.usage()), head),
            Span::styled(fit(w.help, iw.saturating_sub(14)), text),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
