//! Draws any write dialog: its fields, the preview of the effect (or why the input is not
//! valid), the backend's error in plain words, and the confirmation line.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::util::{fit, pane_block};
use super::View;
use crate::app::dialogs::{Dialog, FieldKind, Stage};
use crate::app::layout::{centered, inner};

pub fn draw(frame: &mut Frame, area: Rect, view: &View, d: &Dialog) {
    let t = view.theme;
    let w = area.width.saturating_sub(4).min(76);
    let inner_w = w.saturating_sub(2) as usize;
    let lw = 12usize;
    let mut lines: Vec<Line> = Vec::new();
    let editing = d.stage == Stage::Edit;
    for (i, f) in d.fields.iter().enumerate() {
        let focused = editing && i == d.focus;
        let mut value = f.display();
        if focused && f.kind == FieldKind::Text {
            value.push('▏');
        }
        let vw = inner_w.saturating_sub(lw + 1).min(30);
        let value = fit(&value, vw);
        let pad = vw.saturating_sub(value.chars().count());
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<lw$}", f.label),
                if focused { t.hint_key } else { t.label },
            ),
            Span::styled(value, if focused { t.input_focused } else { t.input }),
            Span::raw(" ".repeat(pad + 1)),
            Span::styled(fit(f.hint, inner_w.saturating_sub(lw + vw + 1)), t.dim),
        ]));
    }
    if !d.fields.is_empty() {
        lines.push(Line::raw(""));
    }
    match &d.plan {
        Ok(plan) => {
            lines.push(Line::styled("Effect", t.title));
            for p in &plan.preview {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<20}", p.label), t.label),
                    Span::styled(
                        fit(&p.value, inner_w.saturating_sub(22)),
                        if p.loss { t.warning } else { t.value },
                    ),
                ]));
            }
        }
        Err(e) if e.is_empty() => {}
        Err(e) => lines.push(Line::styled(format!("✗ {e}"), t.error)),
    }
    if let Some(e) = &d.error {
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("Error: {e}"), t.error));
    }
    lines.push(Line::raw(""));
    let confirm = d.plan.as_ref().ok().and_then(|p| p.confirm_text.clone());
    let footer = match (&d.stage, confirm) {
        (Stage::Edit, _) => Line::styled(
            "Enter review · Tab next field · Esc cancel (nothing is written)",
            t.dim,
        ),
        (Stage::Confirm { typed }, Some(req)) => Line::from(vec![
            Span::styled(
                format!("This cannot be undone. Type '{req}' to confirm: "),
                t.warning,
            ),
            Span::styled(format!("{typed}▏"), t.input_focused),
        ]),
        (Stage::Confirm { .. }, None) => Line::styled(
            "Apply this change? y = yes · n = back · Esc = back",
            t.warning,
        ),
        (Stage::Running, _) => Line::styled("writing…", t.label),
    };
    lines.push(footer);
    // Wrapped lines may take more rows than there are lines: count them.
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w.max(1)).max(1))
        .sum();
    let h = (rows as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    let title = match (&d.group, &d.target) {
        (Some(g), _) => format!(" {} group {} ", d.kind.title(), g.path),
        (None, Some(info)) => format!(" {} {} ", d.kind.title(), info.path),
        (None, None) => format!(" {} ", d.kind.title()),
    };
    frame.render_widget(Clear, r);
    frame.render_widget(pane_block(title, true, t), r);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner(r));
}
