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
    let title = match count {
        Some(n) => format!(" {name} ({n}) "),
        None => format!(" {name} "),
    };
    frame.render_widget(pane_block(title, focused, t), area);
    let inner = inner(area);
    let w = inner.width as usize;
    let Some(open) = &s.open else {
        frame.render_widget(Paragraph::new(Line::styled("no array open", t.dim)), inner);
        return;
    };
    if let Some(e) = &open.history_error {
        frame.render_widget(Paragraph::new(Line::styled(fit(e, w), t.error)), inner);
        return;
    }
    let Some(h) = &open.history else {
        frame.render_widget(Paragraph::new(Line::styled("loading…", t.dim)), inner);
        return;
    };
    // Local time with the zone's name (UTC with `utc = true` in the config); the date is
    // cut to month-day in narrow panes.
    let long = w >= 72;
    let zone = &s.zone;
    let time_of = |c: &StructureChange| {
        if long {
            zone.show(&c.time)
        } else {
            zone.show_short(&c.time)
        }
    };
    let (tw, aw, cw) = if long { (23, 16, 8) } else { (14, 10, 8) };
    let zone_name = zone.name_at(h.first().map(|c| c.time.as_str()));
    let head_time = if long { "time".to_string() } else { format!("time ({zone_name})") };
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
    for c in h
        .iter()
        .skip(open.history_scroll)
        .take(inner.height.saturating_sub(1) as usize)
    {
        let rest = w.saturating_sub(tw + aw + cw + 3);
        lines.push(Line::from(vec![
            Span::styled(format!("{:<tw$} ", fit(&time_of(c), tw)), t.dim),
            Span::raw(format!("{:<aw$} ", fit(&c.actor, aw))),
            Span::styled(format!("{:<cw$} ", c.cause.name()), t.value),
            Span::raw(fit(&shapes(c), rest)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
