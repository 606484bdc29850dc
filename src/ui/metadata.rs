//! The metadata view: the open array's structure and attributes as pretty JSON, scrolled.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::util::{fit, pane_block};
use super::View;
use crate::app::layout::{centered, inner};

pub fn draw(frame: &mut Frame, area: Rect, view: &View, scroll: usize) {
    let t = view.theme;
    let s = view.state;
    let all = s.metadata_lines();
    let path = s.open_info().map(|i| i.path.clone()).unwrap_or_default();
    let r = centered(
        area,
        area.width.saturating_sub(4).max(10),
        area.height.saturating_sub(2),
    );
    let body = inner(r);
    let h = body.height as usize;
    // Never scroll past the end: the last page stays full.
    let top = scroll.min(all.len().saturating_sub(h));
    let more = if all.len() > h {
        format!(
            " lines {}-{} of {} ",
            top + 1,
            (top + h).min(all.len()),
            all.len()
        )
    } else {
        String::new()
    };
    let w = body.width as usize;
    let lines: Vec<Line> = all
        .iter()
        .skip(top)
        .take(h)
        .map(|l| Line::styled(fit(l, w), t.value))
        .collect();
    frame.render_widget(Clear, r);
    let what = if s.shown_change().is_some() {
        "History entry of"
    } else {
        "Metadata"
    };
    frame.render_widget(pane_block(format!(" {what} {path} {more}"), true, t), r);
    frame.render_widget(Paragraph::new(lines), body);
}
