//! Builders for TUI tests that drive `AppState::update` without a terminal: key and mouse
//! actions, capabilities, catalog entries, and an app connected to a store. Thin on purpose:
//! each says what a test means in one call and leaves the app's own types visible.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use extent::app::action::{Action, JobResult};
use extent::app::state::AppState;
use extent::backend::{Capabilities, DType, NodeEntry, NodeKind, Page};

/// A key press without modifiers.
pub fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A character typed without modifiers.
pub fn ch(c: char) -> Action {
    key(KeyCode::Char(c))
}

/// Ctrl + a character.
pub fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// A mouse event at a cell, without modifiers.
pub fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Action {
    Action::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

/// Types `text` one character at a time, as a user would.
pub fn typed(s: &mut AppState, text: &str) {
    for c in text.chars() {
        s.update(ch(c));
    }
}

/// What a store can do; the history is the store's own, and any shape can be created.
pub fn caps(can_shrink: bool, lists_chunks: bool) -> Capabilities {
    Capabilities {
        can_shrink,
        lists_chunks,
        history_in_store: true,
        partial_chunks: true,
        empty_axes: true,
    }
}

/// A catalog entry for an array.
pub fn array_entry(path: &str, shape: &[u64], dtype: DType) -> NodeEntry {
    NodeEntry {
        path: path.into(),
        kind: NodeKind::Array,
        shape: Some(shape.to_vec()),
        dtype: Some(dtype),
    }
}

/// A catalog entry for a group.
pub fn group_entry(path: &str) -> NodeEntry {
    NodeEntry {
        path: path.into(),
        kind: NodeKind::Group,
        shape: None,
        dtype: None,
    }
}

/// The app on a terminal of `w`×`h`, its store `label` (described as `describe`) connected.
pub fn connected(
    label: &str,
    describe: &str,
    capabilities: Capabilities,
    w: u16,
    h: u16,
) -> AppState {
    let mut s = AppState::new(label, capabilities);
    s.update(Action::Resize(w, h));
    s.update(Action::StoreReady {
        label: label.into(),
        describe: describe.into(),
        capabilities,
    });
    s
}

/// The whole listing of `parent` arrives as one page.
pub fn page_loaded(s: &mut AppState, parent: &str, entries: Vec<NodeEntry>) {
    s.update(JobResult::PageLoaded {
        parent: parent.into(),
        offset: 0,
        result: Ok(Page {
            total: Some(entries.len() as u64),
            entries,
        }),
    });
}

/// The screen `state` draws (monochrome theme), one trimmed line per row.
pub fn render(state: &AppState) -> String {
    let theme = extent::ui::theme::Theme::monochrome();
    let (w, h) = (state.size.width, state.size.height);
    let backend = ratatui::backend::TestBackend::new(w, h);
    let mut term = ratatui::Terminal::new(backend).expect("terminal");
    let view = extent::ui::View {
        state,
        theme: &theme,
    };
    term.draw(|f| extent::ui::draw(f, &view)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
