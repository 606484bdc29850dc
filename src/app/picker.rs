//! The store picker's keys: choose a named store or the demo, or type a path or URL (with
//! Tab completing a directory).

use crossterm::event::{KeyCode, KeyEvent};

use super::action::{CompleteTarget, Effect, StoreTarget};
use super::commands::CommandInfo;
use super::state::{AppState, Screen};
use super::text;

pub fn on_key(s: &mut AppState, key: &KeyEvent, fx: &mut Vec<Effect>) {
    let p = &mut s.picker;
    if p.opening.is_some() {
        s.dirty = false;
        return;
    }
    match key.code {
        KeyCode::Up => p.selected = p.selected.saturating_sub(1),
        KeyCode::Down => p.selected = (p.selected + 1).min(p.entries.len().saturating_sub(1)),
        KeyCode::Enter => {
            let target = if !p.location.trim().is_empty() {
                Some(StoreTarget::Location(p.location.trim().to_string()))
            } else {
                p.entries.get(p.selected).map(|e| e.target.clone())
            };
            if let Some(t) = target {
                p.opening = Some(t.label());
                p.error = None;
                fx.push(Effect::OpenStore(t));
            }
        }
        KeyCode::Esc if !p.location.is_empty() => p.location.clear(),
        KeyCode::Esc => {
            if s.store_label.is_empty() {
                s.quit = true;
            } else {
                s.screen = Screen::Main;
            }
        }
        KeyCode::Char('q') if p.location.is_empty() => s.quit = true,
        KeyCode::Tab if !p.location.trim().is_empty() => fx.push(Effect::CompletePath {
            target: CompleteTarget::Picker,
            typed: p.location.clone(),
        }),
        _ => match text::edit_at_end(&mut p.location, key) {
            text::Edit::Ignored => s.dirty = false,
            _ => p.error = None,
        },
    }
}

/// The picker's keys (typed letters are the location, except `q` while none is typed).
pub fn commands(s: &AppState) -> Vec<CommandInfo> {
    let p = &s.picker;
    let idle = p.opening.is_none();
    let typed = !p.location.trim().is_empty();
    vec![
        CommandInfo::fixed("↑↓", "choose", "choose a store").enabled(idle && !typed),
        CommandInfo::fixed(
            "Enter",
            "open",
            "open the chosen store, or the path / URL typed",
        )
        .enabled(idle && (typed || !p.entries.is_empty())),
        CommandInfo::fixed(
            "type",
            "a path or URL",
            "a directory or a Tiled URL to open",
        )
        .enabled(idle),
        CommandInfo::fixed("Tab", "complete path", "complete the directory typed")
            .enabled(idle && typed),
        CommandInfo::fixed(
            "Esc",
            "back",
            "clear what was typed, or go back (quit when no store is open)",
        )
        .enabled(idle)
        .help_only(),
        CommandInfo::fixed("q", "quit", "leave extent (while nothing is typed)")
            .enabled(idle && p.location.is_empty()),
    ]
}
