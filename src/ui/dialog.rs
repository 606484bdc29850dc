//! Draws any write dialog: its fields, the preview of the effect (or why the input is not
//! valid), the backend's error in plain words, and the confirmation line.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::util::{fit, pane_block};
use super::View;
use crate::app::dialogs::{Dialog, DialogKind, FieldKind, Stage};
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
            value = crate::app::text::with_cursor(&value, f.cursor);
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
        (Stage::Edit, _) if d.path_to_complete().is_some() => Line::styled(
            "Enter review · Tab completes the path · Esc cancel (nothing is written)",
            t.dim,
        ),
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
    // Wrapped lines may take more rows than there are lines: count them.
    let rows_of = |l: &Line| l.width().div_ceil(inner_w.max(1)).max(1);
    let footer_rows = rows_of(&footer);
    let rows: usize = lines.iter().map(rows_of).sum::<usize>() + footer_rows;
    let h = (rows as u16 + 2).min(area.height);
    // Too tall for the terminal: the body scrolls (keeping the focused field, or the end of
    // the preview when confirming, in view) and the confirm line stays on the last row.
    let avail = (h as usize).saturating_sub(2 + footer_rows);
    if rows - footer_rows > avail && !lines.is_empty() {
        let anchor = if editing {
            d.focus.min(lines.len() - 1)
        } else {
            lines.len() - 1
        };
        let mut start = anchor;
        let mut used = rows_of(&lines[anchor]);
        while start > 0 && used + rows_of(&lines[start - 1]) <= avail {
            start -= 1;
            used += rows_of(&lines[start]);
        }
        lines.drain(..start);
    }
    let r = centered(area, w, h);
    let new_path = d
        .field(crate::app::dialogs::create::PATH)
        .filter(|_| d.kind == DialogKind::Create)
        .map(|f| crate::backend::normalize_path(&f.text));
    let title = match (&d.group, &d.target) {
        (Some(g), _) => format!(" {} group {} ", d.kind.title(), g.path),
        // Create names the array it makes, never the one open behind it.
        _ if d.kind == DialogKind::Create => {
            format!(" {} {} ", d.kind.title(), new_path.unwrap_or_default())
        }
        (None, Some(info)) => format!(" {} {} ", d.kind.title(), info.path),
        (None, None) => format!(" {} ", d.kind.title()),
    };
    frame.render_widget(Clear, r);
    frame.render_widget(pane_block(title, true, t), r);
    let body = inner(r);
    let foot_h = (footer_rows as u16).min(body.height);
    let top = Rect {
        height: body.height - foot_h,
        ..body
    };
    let bottom = Rect {
        y: body.y + body.height - foot_h,
        height: foot_h,
        ..body
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), top);
    frame.render_widget(Paragraph::new(footer).wrap(Wrap { trim: false }), bottom);
}
