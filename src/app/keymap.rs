//! Key bindings: which key runs which [`Command`], for key handling, the hint bar and the help
//! overlay alike (`commands` declares where each command applies; this says which key it is).
//!
//! Defaults come from `assets/keymap.toml` (embedded); a user file lists only the commands it
//! changes (gitui's key_list model). Reverse lookup (`keys_for`) feeds the hints.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Everything a key can do outside text inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Quit,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    NextPane,
    PrevPane,
    Filter,
    Help,
    Palette,
    Patch,
    Extend,
    Resize,
    Create,
    Delete,
    Refresh,
    ZoomIn,
    ZoomOut,
    CycleAxes,
    SliceNext,
    SlicePrev,
    SliceAxis,
    Pause,
    Stores,
    Activity,
    Follow,
    FrameNext,
    FramePrev,
    FrameFirst,
    FrameLast,
    Colormap,
    Contrast,
    Binning,
    Messages,
    Metadata,
    Maximise,
}

impl Command {
    pub const ALL: [Command; 41] = [
        Command::Quit,
        Command::Up,
        Command::Down,
        Command::Left,
        Command::Right,
        Command::PageUp,
        Command::PageDown,
        Command::Top,
        Command::Bottom,
        Command::Open,
        Command::NextPane,
        Command::PrevPane,
        Command::Filter,
        Command::Help,
        Command::Palette,
        Command::Patch,
        Command::Extend,
        Command::Resize,
        Command::Create,
        Command::Delete,
        Command::Refresh,
        Command::ZoomIn,
        Command::ZoomOut,
        Command::CycleAxes,
        Command::SliceNext,
        Command::SlicePrev,
        Command::SliceAxis,
        Command::Pause,
        Command::Stores,
        Command::Activity,
        Command::Follow,
        Command::FrameNext,
        Command::FramePrev,
        Command::FrameFirst,
        Command::FrameLast,
        Command::Colormap,
        Command::Contrast,
        Command::Binning,
        Command::Messages,
        Command::Metadata,
        Command::Maximise,
    ];

    /// Short label for the hint bar.
    pub fn label(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Up => "up",
            Command::Down => "down",
            Command::Left => "collapse",
            Command::Right => "expand",
            Command::PageUp => "page up",
            Command::PageDown => "page down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Open => "open",
            Command::NextPane => "pane",
            Command::PrevPane => "prev pane",
            Command::Filter => "filter",
            Command::Help => "help",
            Command::Palette => "command",
            Command::Patch => "patch",
            Command::Extend => "extend",
            Command::Resize => "resize",
            Command::Create => "new",
            Command::Delete => "delete",
            Command::Refresh => "refresh",
            Command::ZoomIn => "zoom in",
            Command::ZoomOut => "zoom out",
            Command::CycleAxes => "axes",
            Command::SliceNext => "next slice",
            Command::SlicePrev => "prev slice",
            Command::SliceAxis => "slice axis",
            Command::Pause => "pause",
            Command::Stores => "stores",
            Command::Activity => "activity",
            Command::Follow => "follow",
            Command::FrameNext => "next frame",
            Command::FramePrev => "prev frame",
            Command::FrameFirst => "first frame",
            Command::FrameLast => "last frame",
            Command::Colormap => "colormap",
            Command::Contrast => "contrast",
            Command::Binning => "binning",
            Command::Messages => "messages",
            Command::Metadata => "metadata",
            Command::Maximise => "maximise",
        }
    }

    /// One line for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Command::Quit => "quit extent (the terminal is restored)",
            Command::Up => "move up / pan up / scroll up",
            Command::Down => "move down / pan down / scroll down",
            Command::Left => "collapse a group / pan or scroll left",
            Command::Right => "expand a group / pan or scroll right",
            Command::PageUp => "one page up",
            Command::PageDown => "one page down",
            Command::Top => "go to the first entry",
            Command::Bottom => "go to the last entry",
            Command::Open => "open the array / expand or collapse the group",
            Command::NextPane => "focus the next pane",
            Command::PrevPane => "focus the previous pane",
            Command::Filter => "filter the catalog as you type (Esc clears)",
            Command::Help => "show this help",
            Command::Palette => "command palette: patch, resize, goto PATH, store NAME ...",
            Command::Patch => "patch a region of the array (optionally extending it)",
            Command::Extend => "append N along an axis (resize, cause extend)",
            Command::Resize => "grow or shrink the array (shrinking asks to type its name)",
            Command::Create => "create a new array",
            Command::Delete => "delete the array (asks to type its name)",
            Command::Refresh => "reload the catalog and the open array",
            Command::ZoomIn => "chunk grid: zoom in",
            Command::ZoomOut => "chunk grid: zoom out",
            Command::CycleAxes => "choose the two axes shown (ndim > 2)",
            Command::SliceNext => "step to the next index of the other axis",
            Command::SlicePrev => "step to the previous index of the other axis",
            Command::SliceAxis => "choose which other axis [ and ] step",
            Command::Pause => "pause / resume live updates",
            Command::Stores => "open the store picker",
            Command::Activity => "show every array that changed recently (Enter opens one)",
            Command::Follow => "follow the newest frame as the array grows (a manual move leaves)",
            Command::FrameNext => "frame view: the next frame along axis 0",
            Command::FramePrev => "frame view: the previous frame along axis 0",
            Command::FrameFirst => "frame view: the first frame",
            Command::FrameLast => "frame view: the last frame",
            Command::Colormap => "frame view: the next colormap",
            Command::Contrast => "frame view: the next contrast mode",
            Command::Binning => "frame view: bin by mean or max (max keeps hot pixels)",
            Command::Messages => "the message log: every status line and error, whole",
            Command::Metadata => "the array's metadata and attributes as JSON",
            Command::Maximise => "the focused pane takes the whole screen (again: back)",
        }
    }
}

/// One key with its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyBinding {
    /// Normalises an event: SHIFT is part of the character for printable keys.
    pub fn from_event(ev: &KeyEvent) -> KeyBinding {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        let code = match ev.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        KeyBinding { code, mods }
    }

    /// Parses `q`, `R`, `ctrl-c`, `enter`, `pagedown`, `f1`, `space`.
    pub fn parse(text: &str) -> Result<KeyBinding, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=12).contains(&n) => KeyCode::F(n),
                    _ => return Err(format!("unknown key '{text}'")),
                },
                _ => return Err(format!("unknown key '{text}'")),
            },
        };
        if code == KeyCode::Tab && mods.contains(KeyModifiers::SHIFT) {
            return Ok(KeyBinding {
                code: KeyCode::BackTab,
                mods: mods - KeyModifiers::SHIFT,
            });
        }
        if matches!(code, KeyCode::Char(_)) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Ok(KeyBinding { code, mods })
    }

    /// How the key is shown in hints and help.
    pub fn display(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push('^');
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("M-");
        }
        s.push_str(&base);
        s
    }
}

/// Bindings in both directions.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_key: HashMap<KeyBinding, Command>,
    by_command: BTreeMap<Command, Vec<KeyBinding>>,
}

/// A keymap file: command name → list of keys.
type KeymapFile = BTreeMap<Command, Vec<String>>;

impl Default for Keymap {
    fn default() -> Keymap {
        // The embedded file is tested; an error here is a build mistake, so fall back to empty
        // rather than panic at run time.
        Keymap::from_files(DEFAULT_KEYMAP, None).0
    }
}

impl Keymap {
    /// Defaults plus the user's file (if readable); returns warnings about what was ignored.
    pub fn load(user_file: Option<&Path>) -> (Keymap, Vec<String>) {
        let user = user_file.and_then(|p| std::fs::read_to_string(p).ok());
        let (map, mut warnings) = Keymap::from_files(DEFAULT_KEYMAP, user.as_deref());
        if let (Some(p), false) = (user_file, warnings.is_empty()) {
            warnings = warnings
                .into_iter()
                .map(|w| format!("{}: {w}", p.display()))
                .collect();
        }
        (map, warnings)
    }

    /// Builds a keymap from the default text and an optional override text.
    pub fn from_files(defaults: &str, user: Option<&str>) -> (Keymap, Vec<String>) {
        let mut warnings = Vec::new();
        let mut merged: KeymapFile = match toml::from_str(defaults) {
            Ok(m) => m,
            Err(e) => {
                warnings.push(format!("default keymap: {}", e.message()));
                KeymapFile::new()
            }
        };
        if let Some(text) = user {
            match toml::from_str::<KeymapFile>(text) {
                Ok(m) => merged.extend(m),
                Err(e) => warnings.push(format!("ignored: {}", e.message())),
            }
        }
        let mut by_key = HashMap::new();
        let mut by_command: BTreeMap<Command, Vec<KeyBinding>> = BTreeMap::new();
        for (cmd, keys) in &merged {
            for k in keys {
                match KeyBinding::parse(k) {
                    Ok(b) => {
                        // A key the user moved to another command leaves its old one.
                        if let Some(prev) = by_key.insert(b, *cmd) {
                            if let Some(list) = by_command.get_mut(&prev) {
                                list.retain(|x| *x != b);
                            }
                        }
                        by_command.entry(*cmd).or_default().push(b);
                    }
                    Err(e) => warnings.push(e),
                }
            }
        }
        (Keymap { by_key, by_command }, warnings)
    }

    pub fn lookup(&self, ev: &KeyEvent) -> Option<Command> {
        self.by_key.get(&KeyBinding::from_event(ev)).copied()
    }

    pub fn keys_for(&self, cmd: Command) -> &[KeyBinding] {
        self.by_command.get(&cmd).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key of a command as shown in hints (`-` when unbound).
    pub fn hint(&self, cmd: Command) -> String {
        self.keys_for(cmd)
            .first()
            .map(KeyBinding::display)
            .unwrap_or_else(|| "-".into())
    }

    /// Every key of a command, joined for the help overlay.
    pub fn all_keys(&self, cmd: Command) -> String {
        let keys: Vec<String> = self.keys_for(cmd).iter().map(KeyBinding::display).collect();
        if keys.is_empty() {
            "(unbound)".into()
        } else {
            keys.join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    #[test]
    fn default_keymap_binds_every_command() {
        let (k, warnings) = Keymap::from_files(DEFAULT_KEYMAP, None);
        assert!(warnings.is_empty(), "{warnings:?}");
        for c in Command::ALL {
            assert!(!k.keys_for(c).is_empty(), "{c:?} unbound");
        }
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Command::Quit)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('R'), KeyModifiers::SHIFT)),
            Some(Command::Refresh)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Command::PrevPane)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Command::Down)
        );
    }

    #[test]
    fn user_file_overrides_only_what_it_lists() {
        let (k, w) = Keymap::from_files(
            DEFAULT_KEYMAP,
            Some("quit = [\"x\"]\npatch = [\"bogus-key\"]"),
        );
        assert_eq!(w.len(), 1);
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Command::Quit)
        );
        assert_eq!(k.lookup(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Command::Down)
        );
        let (_, w) = Keymap::from_files(DEFAULT_KEYMAP, Some("nonsense = 3"));
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn keys_parse_and_display() {
        for k in [
            "q",
            "ctrl-c",
            "enter",
            "pagedown",
            "f1",
            "space",
            "backtab",
            "shift-tab",
            "G",
            "alt-x",
        ] {
            let b = KeyBinding::parse(k).unwrap();
            assert!(!b.display().is_empty());
        }
        assert!(KeyBinding::parse("f13").is_err());
        assert!(KeyBinding::parse("nope").is_err());
        assert!(KeyBinding::parse("").is_err());
    }
}
