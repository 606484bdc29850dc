//! The structure history, newest first: time, actor, cause, old → new shape.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::util::{fit, pane_block, shape_compact};
use super::View;
use crate::app::layout::inner;
use crate::backend::StructureChange;

fn shapes(c: &StructureChange) -> String {
    let s = |x: &Option<Vec<u64>>| {
        x.as_deref()
            .map(shape_compact)
            .unwrap_or_else(|| "∅".into())
    };
    format!("{} → {}", s(&c.old_shape), s(&c.new_shape))
}

pub fn draw(frame: &mut Frame, area: Rect, view: &View, focused: bool) {
    let s = view.state;
    let t = view.theme;
    let count = s
        .open
        .as_ref()
        .and_then(|o| o.history.as_ref())
        .map(|h| h.len());
    let name = crate::app::layout::Pane::History.numbered();
    // A failed re-read keeps what was read before, marked stale (the error is in the log).
    let stale = s
        .open
        .as_ref()
        .is_some_and(|o| o.history_error.is_some() && o.history.is_some());
    let title = match (count, stale) {
        (Some(n), true) => format!(" {name} ({n}) · stale "),
        (Some(n), false) => format!(" {name} ({n}) "),
        (None, _) => format!(" {name} "),
    };
    frame.render_widget(pane_block(title, focused, t), area);
    let inner = inner(area);
    let w = inner.width as usize;
    let Some(open) = &s.open else {
        frame.render_widget(Paragraph::new(Line::styled("no array open", t.dim)), inner);
        return;
    };
    if let Some(e) = open
        .history_error
        .as_ref()
        .filter(|_| open.history.is_none())
    {
        frame.render_widget(Paragraph::new(Line::styled(fit(e, w), t.error)), inner);
        return;
    }
    let Some(h) = &open.history else {
        frame.render_widget(Paragraph::new(Line::styled("loading…", t.dim)), inner);
        return;
    };
    // Local time (UTC with `utc = true` in the config); the zone is named in the header, and
    // on a row only where it differs (a change of daylight time). Narrow panes cut the year.
    let long = w >= 56;
    let zone = &s.zone;
    let head_zone = zone.name_at(h.first().map(|c| c.time.as_str()));
    let time_of = |c: &StructureChange| match zone.parts(&c.time) {
        Some((t, name)) => {
            let t = if long { t } else { t[5..].to_string() };
            if name == head_zone {
                t
            } else {
                format!("{t} {name}")
            }
        }
        None => c.time.clone(),
    };
    let tw = if long { 19 } else { 14 };
    let (aw, cw) = if w >= 90 { (16, 8) } else { (10, 8) };
    let head_time = format!("time ({head_zone})");
    let mut lines = vec![Line::styled(
        fit(
            &format!(
                "{:<tw$} {:<aw$} {:<cw$} {}",
                head_time, "actor", "cause", "old → new shape"
            ),
            w,
        ),
        t.label,
    )];
    // The current shape leads: a change seen live shows before the history is read again.
    let now = open.info.as_ref().map(|i| &i.shape);
    let newest = h.first().and_then(|c| c.new_shape.as_ref());
    let lags = |s: &&Vec<u64>| newest.is_some_and(|n| n != *s && n.len() == s.len());
    if let Some(shape) = now.filter(lags) {
        let text = format!(
            "{:<tw$} {:<aw$} {:<cw$} {} → {}",
            "now",
            "",
            "seen",
            newest
                .map(|s| shape_compact(s))
                .unwrap_or_else(|| "∅".into()),
            shape_compact(shape)
        );
        lines.push(Line::styled(fit(&text, w), t.dim));
    }
    if h.is_empty() {
        lines.push(Line::styled("no structure changes recorded", t.dim));
    }
    // With the keys here, the top row is the one Enter shows whole.
    for (n, c) in h
        .iter()
        .skip(open.history_scroll)
        .take(inner.height.saturating_sub(1) as usize)
        .enumerate()
    {
        let rest = w.saturating_sub(tw + aw + cw + 3);
        let line = Line::from(vec![
            Span::styled(format!("{:<tw$} ", time_of(c)), t.dim),
            Span::raw(format!("{:<aw$} ", fit(&c.actor, aw))),
            Span::styled(format!("{:<cw$} ", c.cause.name()), t.value),
            Span::raw(fit(&shapes(c), rest)),
        ]);
        lines.push(if focused && n == 0 {
            line.patch_style(t.selected)
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
