//! The metadata view (`i`): the open array's structure and attributes as pretty JSON, whole
//! and scrollable (the structure pane has one line for them).

use crossterm::event::{KeyCode, KeyEvent};

use super::commands::CommandInfo;
use super::keymap::Command;
use super::notice::Notice;
use super::state::{AppState, Overlay};

impl AppState {
    /// Opens the view on the highlighted node (an array: its metadata; a group: says so).
    pub fn open_metadata(&mut self) {
        if let Some(g) = self.selected_group() {
            self.notify(Notice::info(format!(
                "'{}' is a group: extent shows metadata for arrays; select one",
                g.path
            )));
            return;
        }
        if self.open_info().is_none() {
            self.notify(Notice::error(
                "open an array first: select one in the catalog",
            ));
            return;
        }
        self.overlay = Some(Overlay::Metadata {
            scroll: 0,
            change: None,
        });
    }

    /// Opens the history entry at `index` of the open array whole.
    pub fn open_change(&mut self, index: usize) {
        let known = self
            .open
            .as_ref()
            .and_then(|o| o.history.as_ref())
            .is_some_and(|h| index < h.len());
        if known {
            self.overlay = Some(Overlay::Metadata {
                scroll: 0,
                change: Some(index),
            });
        } else {
            self.dirty = false;
        }
    }

    /// The history entry the view shows, when it shows one.
    pub fn shown_change(&self) -> Option<&crate::backend::StructureChange> {
        let Some(Overlay::Metadata {
            change: Some(i), ..
        }) = &self.overlay
        else {
            return None;
        };
        self.open.as_ref()?.history.as_ref()?.get(*i)
    }

    /// The lines the view shows: pretty JSON of the structure and the attributes, or of the
    /// history entry (its time in full, as recorded: RFC 3339, UTC).
    pub fn metadata_lines(&self) -> Vec<String> {
        if let Some(c) = self.shown_change() {
            return serde_json::to_string_pretty(c)
                .unwrap_or_else(|e| format!("cannot show the entry: {e}"))
                .lines()
                .map(str::to_string)
                .collect();
        }
        let Some(i) = self.open_info() else {
            return Vec::new();
        };
        let v = serde_json::json!({
            "path": i.path,
            "shape": i.shape,
            "chunks": i.chunks,
            "dtype": i.dtype.name(),
            "resizable": i.resizable,
            "fill_value": i.fill_value,
            "attributes": i.metadata,
        });
        serde_json::to_string_pretty(&v)
            .unwrap_or_else(|e| format!("cannot show the metadata: {e}"))
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Keys while the view is open: the keymap's movement keys scroll; Esc, `i` or `q` close.
pub fn on_key(s: &mut AppState, key: &KeyEvent) {
    let last = s.metadata_lines().len().saturating_sub(1);
    let cmd = s.keymap.lookup(key);
    let Some(Overlay::Metadata { scroll, .. }) = s.overlay.as_mut() else {
        return;
    };
    match (key.code, cmd) {
        (KeyCode::Esc, _) | (_, Some(Command::Metadata | Command::Quit)) => s.overlay = None,
        (_, Some(Command::Down)) => *scroll = (*scroll + 1).min(last),
        (_, Some(Command::Up)) => *scroll = scroll.saturating_sub(1),
        (_, Some(Command::PageDown)) => *scroll = (*scroll + 10).min(last),
        (_, Some(Command::PageUp)) => *scroll = scroll.saturating_sub(10),
        (_, Some(Command::Top)) => *scroll = 0,
        (_, Some(Command::Bottom)) => *scroll = last,
        _ => s.dirty = false,
    }
}

/// The view's keys.
pub fn commands() -> Vec<CommandInfo> {
    let mapped = |c: Command, label| CommandInfo {
        label,
        ..CommandInfo::mapped(c)
    };
    vec![
        mapped(Command::Down, "scroll down"),
        mapped(Command::Up, "scroll up"),
        mapped(Command::PageDown, "page down").help_only(),
        CommandInfo::fixed("Esc", "close", "close the metadata view"),
    ]
}
