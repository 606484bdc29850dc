//! The message log: every status line and error since the TUI started, newest last, each
//! whole (the status bar cuts them to its width). `m` or `:messages` opens it; Enter on a row
//! shows its detail: an error's cause chain and its repair steps, one per line.

use std::collections::VecDeque;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};

use super::commands::CommandInfo;
use super::keymap::Command;
use super::notice::Tone;
use super::state::{AppState, Overlay};

/// At most this many messages are kept; older ones are dropped (and counted).
pub const MAX_MESSAGES: usize = 1000;

/// An error taken apart for the detail view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// What failed, then each cause under it.
    pub chain: Vec<String>,
    /// What to do about it, as keys and dialogs of the TUI.
    pub repair: Vec<String>,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub tone: Tone,
    pub at: Instant,
    /// The same text came again this many more times in a row (a poll failing each second).
    pub repeats: u32,
    pub detail: Option<ErrorDetail>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Messages {
    pub entries: VecDeque<Message>,
    /// Dropped past `MAX_MESSAGES`.
    pub dropped: usize,
}

impl Messages {
    pub fn push(&mut self, text: &str, tone: Tone, at: Instant, detail: Option<ErrorDetail>) {
        if let Some(last) = self.entries.back_mut() {
            if last.text == text && last.tone == tone {
                last.repeats += 1;
                last.at = at;
                return;
            }
        }
        if self.entries.len() >= MAX_MESSAGES {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(Message {
            text: text.to_string(),
            tone,
            at,
            repeats: 0,
            detail,
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The log as open on screen: the highlighted row, and whether its detail is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogView {
    pub selected: usize,
    pub detail: bool,
}

impl AppState {
    /// Opens the log on its newest message.
    pub fn open_messages(&mut self) {
        let selected = self.messages.len().saturating_sub(1);
        self.overlay = Some(Overlay::Messages(LogView {
            selected,
            detail: false,
        }));
    }
}

/// Keys while the log is open: movement keys of the keymap scroll, Enter shows the detail,
/// Esc (or the log's own key) goes back.
pub fn on_key(s: &mut AppState, key: &KeyEvent) {
    let n = s.messages.len();
    let cmd = s.keymap.lookup(key);
    let Some(Overlay::Messages(v)) = s.overlay.as_mut() else {
        return;
    };
    let last = n.saturating_sub(1);
    if v.detail {
        match (key.code, cmd) {
            (KeyCode::Esc | KeyCode::Enter, _) | (_, Some(Command::Messages | Command::Quit)) => {
                v.detail = false
            }
            _ => s.dirty = false,
        }
        return;
    }
    match (key.code, cmd) {
        (KeyCode::Esc, _) | (_, Some(Command::Messages | Command::Quit)) => s.overlay = None,
        (KeyCode::Enter, _) => v.detail = n > 0,
        (_, Some(Command::Down)) => v.selected = (v.selected + 1).min(last),
        (_, Some(Command::Up)) => v.selected = v.selected.saturating_sub(1),
        (_, Some(Command::PageDown)) => v.selected = (v.selected + 10).min(last),
        (_, Some(Command::PageUp)) => v.selected = v.selected.saturating_sub(10),
        (_, Some(Command::Top)) => v.selected = 0,
        (_, Some(Command::Bottom)) => v.selected = last,
        _ => s.dirty = false,
    }
}

/// The log's keys, for the hint bar and the help.
pub fn commands(s: &AppState) -> Vec<CommandInfo> {
    let detail = matches!(s.overlay, Some(Overlay::Messages(v)) if v.detail);
    let mapped = |c: Command, label| CommandInfo {
        label,
        ..CommandInfo::mapped(c)
    };
    if detail {
        return vec![CommandInfo::fixed("Esc", "back", "back to the log")];
    }
    vec![
        mapped(Command::Down, "next"),
        mapped(Command::Up, "previous"),
        mapped(Command::PageDown, "page down").help_only(),
        mapped(Command::PageUp, "page up").help_only(),
        CommandInfo::fixed(
            "Enter",
            "detail",
            "the whole message: causes and repair steps",
        )
        .enabled(!s.messages.is_empty()),
        CommandInfo::fixed("Esc", "close", "close the log"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_fold_and_old_messages_drop() {
        let mut m = Messages::default();
        let t = Instant::now();
        m.push("offline", Tone::Error, t, None);
        m.push("offline", Tone::Error, t, None);
        assert_eq!((m.len(), m.entries[0].repeats), (1, 1));
        for i in 0..MAX_MESSAGES + 5 {
            m.push(&i.to_string(), Tone::Info, t, None);
        }
        assert_eq!((m.len(), m.dropped), (MAX_MESSAGES, 6));
    }
}
