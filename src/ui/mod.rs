//! Pure widgets: `draw(frame, &View)` reads a snapshot of the state and never does I/O or
//! mutates anything. Geometry comes from `app::layout`, shared with mouse hit-testing; the
//! colours from `theme` (`assets/theme.toml` and the user's overrides).

pub mod activity;
pub mod catalog;
pub mod chunk_grid;
pub mod dialog;
pub mod frame;
pub mod frame_pane;
pub mod graphics;
pub mod help;
pub mod hint_bar;
pub mod history;
pub mod messages;
pub mod metadata;
pub mod node_view;
pub mod palette;
pub mod picker;
pub mod preview;
pub mod structure;
pub mod theme;
pub mod top_bar;
mod util;
pub mod values;

use ratatui::Frame;

use crate::app::layout::{self, Pane};
use crate::app::state::{AppState, Overlay, Screen};
use theme::Theme;

/// What a frame is drawn from.
pub struct View<'a> {
    pub state: &'a AppState,
    pub theme: &'a Theme,
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, view: &View) {
    let s = view.state;
    let area = frame.area();
    if area.width < 20 || area.height < 6 {
        frame.render_widget(
            ratatui::widgets::Paragraph::new("extent: terminal too small"),
            area,
        );
        return;
    }
    let a = layout::areas(area, s.shown_pane(), s.maximised);
    top_bar::draw(frame, a.top, view);
    hint_bar::draw(frame, a.hints, view);
    if s.screen == Screen::Picker {
        let body = ratatui::layout::Rect {
            y: a.top.y + 1,
            height: area.height.saturating_sub(2),
            ..area
        };
        picker::draw(frame, body, view);
        return;
    }
    // One pane at a time leaves the others without room: they are not drawn.
    if !a.catalog.is_empty() {
        catalog::draw(frame, a.catalog, view);
    }
    if !a.structure.is_empty() {
        structure::draw(frame, a.structure, view);
    }
    if let Some(t) = a.tabs {
        util::draw_tabs(frame, t, view);
    }
    if let Some(r) = a.grid {
        chunk_grid::draw_pane(frame, r, view, s.focus == Pane::Grid);
    }
    if let Some(r) = a.history {
        history::draw(frame, r, view, s.focus == Pane::History);
    }
    if let Some(r) = a.preview {
        preview::draw(frame, r, view, s.focus == Pane::Preview);
    }
    if let Some(r) = a.frame {
        frame_pane::draw(frame, r, view, s.focus == Pane::Frame);
    }
    if let Some(r) = a.activity {
        activity::draw(frame, r, view, s.focus == Pane::Activity);
    }
    match &s.overlay {
        Some(Overlay::Help { scroll }) => help::draw(frame, area, view, *scroll),
        Some(Overlay::Palette(p)) => palette::draw(frame, area, view, p),
        Some(Overlay::Dialog(d)) => dialog::draw(frame, area, view, d),
        Some(Overlay::Messages(v)) => messages::draw(frame, area, view, v),
        Some(Overlay::Metadata { scroll, .. }) => metadata::draw(frame, area, view, *scroll),
        None => {}
    }
}
