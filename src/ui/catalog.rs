//! The catalog pane: the visible window of the tree, and the filter line.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use super::util::{fit, pane_block, shape_compact};
use super::View;
use crate::app::catalog::{Catalog, Row, SearchState, ServerSearch};
use crate::app::layout::{inner, Pane};
use crate::backend::NodeKind;

pub fn draw(frame: &mut Frame, area: Rect, view: &View) {
    let s = view.state;
    let t = view.theme;
    let c = &s.catalog;
    let focused = s.focus == Pane::Catalog;
    let title = match c.server_search() {
        // Where the server searches (the level the selection was at), and how many match
        // there once it answered.
        Some(search) => {
            let what = match search.state {
                SearchState::Searching | SearchState::Done => search_summary(c, search),
                _ => "search".to_string(),
            };
            format!(
                " {}: {what} in {}/ ",
                Pane::Catalog.numbered(),
                search.scope
            )
        }
        None => format!(" {} ({}) ", Pane::Catalog.numbered(), c.loaded()),
    };
    frame.render_widget(pane_block(title, focused, t), area);
    let inner = inner(area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let w = inner.width as usize;
    let list_h = inner.height.saturating_sub(1) as usize;
    let mut lines: Vec<Line> = Vec::with_capacity(list_h + 1);
    let rows = c.rows();
    if rows.is_empty() {
        let msg = if let Some(search) = c.server_search() {
            search_empty(search)
        } else if !c.filter().is_empty() {
            "no loaded node matches".to_string()
        } else if let Some(e) = c.node(0).and_then(|n| n.error.as_ref()) {
            e.clone()
        } else {
            format!(
                "empty store: press {} to create an array",
                s.keymap.hint(crate::app::keymap::Command::Create)
            )
        };
        lines.push(Line::styled(fit(&msg, w), t.dim));
    }
    for (i, row) in rows.iter().enumerate().skip(c.scroll).take(list_h) {
        let selected = i == c.selected;
        let line = match *row {
            Row::Node(id) => {
                let Some(n) = c.node(id) else { continue };
                let indent = "  ".repeat(n.depth.saturating_sub(1));
                let (icon, name, style) = match n.entry.kind {
                    NodeKind::Group => (
                        if n.expanded { "▾ " } else { "▸ " },
                        format!("{}/", n.name()),
                        t.group,
                    ),
                    NodeKind::Array => ("  ", n.name().to_string(), t.array),
                    NodeKind::Broken { .. } => ("! ", n.name().to_string(), t.error),
                    // Read-only kinds: a badge of their own, the colour of plain text.
                    NodeKind::Table | NodeKind::Other { .. } => ("◦ ", n.name().to_string(), t.dim),
                };
                let detail = match (&n.entry.shape, n.entry.dtype, &n.entry.kind) {
                    (_, _, NodeKind::Broken { .. }) => "broken".to_string(),
                    (_, _, k @ (NodeKind::Table | NodeKind::Other { .. })) => k.name().to_string(),
                    (_, _, NodeKind::Group) if !n.entry.specs.is_empty() => n.entry.specs.join(","),
                    (Some(sh), Some(d), _) => format!("{} {}", shape_compact(sh), d),
                    (Some(sh), None, _) => shape_compact(sh),
                    _ => String::new(),
                };
                // A stalled array says so first: the word and the warning colour.
                let stalled = s.monitor.is_stalled(&n.entry.path);
                let detail = if stalled {
                    format!("stalled {detail}").trim_end().to_string()
                } else {
                    detail
                };
                let head = format!("{indent}{icon}{name}");
                let head_w = head.chars().count();
                let detail_room = w.saturating_sub(head_w + 1);
                let detail = if detail.chars().count() <= detail_room {
                    detail
                } else {
                    // Shape alone, when shape and dtype do not both fit.
                    match &n.entry.shape {
                        Some(sh) if shape_compact(sh).chars().count() <= detail_room => {
                            shape_compact(sh)
                        }
                        _ => String::new(),
                    }
                };
                let pad = w.saturating_sub(head_w + detail.chars().count());
                let head = fit(&head, w);
                if selected {
                    let st = if focused {
                        t.selected
                    } else {
                        t.selected_unfocused
                    };
                    Line::styled(format!("{head}{}{detail}", " ".repeat(pad)), st)
                } else {
                    Line::from(vec![
                        Span::styled(head, style),
                        Span::raw(" ".repeat(pad)),
                        Span::styled(detail, if stalled { t.warning } else { t.dim }),
                    ])
                }
            }
            Row::More(pid) => {
                let Some(p) = c.node(pid) else { continue };
                let indent = "  ".repeat(p.depth);
                let text = if let Some(e) = &p.error {
                    format!("{indent}! {e}")
                } else {
                    let left = p.total.map(|t| t.saturating_sub(p.children.len() as u64));
                    match (p.loading, left) {
                        (true, Some(n)) if n > 0 => format!("{indent}… loading ({n} more)"),
                        (true, _) => format!("{indent}… loading"),
                        (false, Some(n)) => format!("{indent}… {n} more"),
                        (false, None) => format!("{indent}… more"),
                    }
                };
                let st = if p.error.is_some() { t.error } else { t.dim };
                Line::styled(
                    fit(&text, w),
                    if selected { t.selected_unfocused } else { st },
                )
            }
        };
        lines.push(line);
    }
    while lines.len() < list_h {
        lines.push(Line::raw(""));
    }
    let filter_line = if let Some(search) = c.server_search() {
        search_line(c, search, s.filter_editing, w, t)
    } else if s.filter_editing || !c.filter().is_empty() {
        let cursor = if s.filter_editing { "▏" } else { "" };
        let text = format!("/{}{cursor}", c.filter());
        let count = format!(
            " {} match{}{}",
            c.matches(),
            if c.matches() == 1 { "" } else { "es" },
            if c.searching() { " (searching)" } else { "" }
        );
        Line::from(vec![
            Span::styled(
                fit(&text, w.saturating_sub(count.len())),
                if s.filter_editing {
                    t.input_focused
                } else {
                    t.input
                },
            ),
            Span::styled(count, t.dim),
        ])
    } else {
        Line::styled(
            fit(
                &format!(
                    "{} filter",
                    s.keymap.hint(crate::app::keymap::Command::Filter)
                ),
                w,
            ),
            t.dim,
        )
    };
    lines.push(filter_line);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// What the pane says when a search has no hits to show.
fn search_empty(search: &ServerSearch) -> String {
    match &search.state {
        SearchState::Empty => "type to search the server: words, or key=value".into(),
        SearchState::Searching => "searching…".into(),
        SearchState::Done => format!("nothing matches '{}' on the server", search.text),
        SearchState::Invalid(e) | SearchState::Failed(e) => e.clone(),
    }
}

/// How many nodes a server search matches, in a few words: the server's count once it
/// answered (not what is loaded of it), "searching…" while the first page is asked for.
pub fn search_summary(c: &Catalog, search: &ServerSearch) -> String {
    let matches = |n: u64| format!("{n} match{}", if n == 1 { "" } else { "es" });
    let (loaded, total) = c.search_counts();
    match (&search.state, total) {
        (SearchState::Empty, _) => "type a query".into(),
        (SearchState::Searching, _) => "searching…".into(),
        (SearchState::Invalid(_), _) => "not a query".into(),
        (SearchState::Failed(_), _) => "failed".into(),
        (SearchState::Done, Some(n)) => matches(n),
        // A server that does not count: what came, and whether more may.
        (SearchState::Done, None) if c.node(0).is_some_and(|r| r.complete) => matches(loaded),
        (SearchState::Done, None) => format!("{loaded}+ matches"),
    }
}

/// The search line: what is typed, and what is shown of how many hits.
fn search_line<'a>(
    c: &Catalog,
    search: &ServerSearch,
    editing: bool,
    w: usize,
    t: &Theme,
) -> Line<'a> {
    let (loaded, total) = c.search_counts();
    let count = match (&search.state, total) {
        (SearchState::Searching, _) if loaded == 0 => " searching…".to_string(),
        (SearchState::Invalid(_), _) => " not a query".to_string(),
        (SearchState::Failed(_), _) => " failed".to_string(),
        (SearchState::Empty, _) => String::new(),
        (_, Some(n)) => format!(" {loaded} of {n} {}", c.hits_noun()),
        (_, None) => format!(" {loaded} {}", c.hits_noun()),
    };
    let text = format!("/{}{}", search.text, if editing { "▏" } else { "" });
    let style = if editing { t.input_focused } else { t.input };
    let count_style = match search.state {
        SearchState::Invalid(_) | SearchState::Failed(_) => t.error,
        _ => t.dim,
    };
    let count_w = count.chars().count();
    let room = w.saturating_sub(count_w);
    let n = text.chars().count();
    // While typing, the end of a long line shows (where the cursor is).
    let text = if editing && n > room && room > 1 {
        let tail: String = text.chars().skip(n + 1 - room).collect();
        format!("…{tail}")
    } else {
        fit(&text, room)
    };
    Line::from(vec![
        Span::styled(text, style),
        Span::styled(count, count_style),
    ])
}
