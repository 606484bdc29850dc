//! Which pane has the keys: the number keys (derived from `Pane::ORDER`, so a new pane gets
//! its number by being listed there) and maximising the focused pane.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::commands::CommandInfo;
use super::layout::Pane;
use super::state::AppState;

/// The number keys as the help shows them (`1-4` for four panes).
fn number_keys() -> &'static str {
    const KEYS: [&str; 9] = ["1", "1-2", "1-3", "1-4", "1-5", "1-6", "1-7", "1-8", "1-9"];
    KEYS[Pane::ORDER.len().clamp(1, 9) - 1]
}

/// Moves the focus to `p` (and shows it where one right pane or one pane is shown).
pub fn set_focus(s: &mut AppState, p: Pane) {
    s.focus = p;
    // The right side changes only to show a pane that is not on screen (in the wide layout
    // the Frame pane stays beside the grid while History or Data has the keys).
    let a = s.areas();
    let shown = match p {
        Pane::Catalog => true,
        Pane::Grid => a.grid.is_some(),
        Pane::History => a.history.is_some(),
        Pane::Preview => a.preview.is_some(),
        Pane::Frame => a.frame.is_some(),
        Pane::Activity => a.activity.is_some(),
    };
    if !shown || (a.single && p != Pane::Catalog) {
        s.right_tab = p;
    }
}

/// A digit on the main screen focuses the pane with that number; true when it did.
pub fn on_number(s: &mut AppState, key: &KeyEvent) -> bool {
    let KeyCode::Char(c) = key.code else {
        return false;
    };
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return false;
    }
    match c.to_digit(10).and_then(|d| Pane::by_number(d as usize)) {
        Some(p) => {
            set_focus(s, p);
            true
        }
        None => false,
    }
}

/// The focused pane takes the whole screen, or gives it back.
pub fn toggle_maximise(s: &mut AppState) {
    s.maximised = !s.maximised;
}

/// The number keys, for the help.
pub fn commands() -> Vec<CommandInfo> {
    vec![CommandInfo::fixed(
        number_keys(),
        "pane",
        "focus the pane with that number (as in the tabs and titles)",
    )
    .help_only()]
}
