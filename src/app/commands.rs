//! One vocabulary for what the keys do. Every context that takes keys (the main panes, a
//! dialog, the store picker, the catalog filter, the palette, the help) declares its commands
//! next to the code that handles them, as [`CommandInfo`]s; the hint bar and the `?` help are
//! drawn from those declarations only, so they cannot drift from the handlers. A command that
//! does not apply in the current state is declared disabled and drawn greyed (gitui's model).
//!
//! Palette words parse into the same [`Command`]s the keymap produces, through [`PALETTE`].

use super::keymap::{Command, Keymap};
use super::state::{AppState, Overlay, Screen};

/// Where a command's key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// A keymap command: the key is whatever `assets/keymap.toml` or the user's file binds.
    Mapped(Command),
    /// A key of a text-entry context (a dialog, the picker, the filter, the palette): fixed,
    /// because printable keys are text there.
    Fixed(&'static str),
}

/// One command of a context: its key, its words, whether it applies now, whether the hint bar
/// shows it (the help shows every one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    pub keys: Keys,
    /// A word or two for the hint bar.
    pub label: &'static str,
    /// One line for the help.
    pub help: &'static str,
    /// It applies in the current state (drawn greyed when not).
    pub enabled: bool,
    /// Shown in the hint bar (the help lists it either way).
    pub in_bar: bool,
}

impl CommandInfo {
    /// A keymap command, with its own label and help line.
    pub fn mapped(cmd: Command) -> CommandInfo {
        CommandInfo {
            keys: Keys::Mapped(cmd),
            label: cmd.label(),
            help: cmd.description(),
            enabled: true,
            in_bar: true,
        }
    }

    /// A fixed key of a text-entry context.
    pub fn fixed(key: &'static str, label: &'static str, help: &'static str) -> CommandInfo {
        CommandInfo {
            keys: Keys::Fixed(key),
            label,
            help,
            enabled: true,
            in_bar: true,
        }
    }

    pub fn enabled(self, enabled: bool) -> CommandInfo {
        CommandInfo { enabled, ..self }
    }

    /// Listed in the help only.
    pub fn help_only(self) -> CommandInfo {
        CommandInfo {
            in_bar: false,
            ..self
        }
    }

    /// The key as the hint bar shows it (the first binding).
    pub fn key_hint(&self, keymap: &Keymap) -> String {
        match self.keys {
            Keys::Mapped(c) => keymap.hint(c),
            Keys::Fixed(k) => k.to_string(),
        }
    }

    /// Every key, for the help.
    pub fn key_list(&self, keymap: &Keymap) -> String {
        match self.keys {
            Keys::Mapped(c) => keymap.all_keys(c),
            Keys::Fixed(k) => k.to_string(),
        }
    }
}

/// The commands of whatever has the keys now, in hint-bar order. Follows the order in which
/// `input::on_key` hands a key on: an overlay, the picker, the filter being typed, the panes.
pub fn current(s: &AppState) -> Vec<CommandInfo> {
    match &s.overlay {
        Some(Overlay::Dialog(d)) => return d.commands(),
        Some(Overlay::Palette(_)) => return super::input::palette_commands(),
        Some(Overlay::Help { .. }) => return super::input::help_commands(),
        Some(Overlay::Messages(_)) => return super::messages::commands(s),
        Some(Overlay::Metadata { .. }) => return super::metadata::commands(),
        None => {}
    }
    if s.screen == Screen::Picker {
        return super::picker::commands(s);
    }
    if s.filter_editing {
        return super::input::filter_commands();
    }
    super::input::pane_commands(s)
}

/// A titled group of the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpSection {
    /// Empty for the first section (the keys of the main screen).
    pub title: &'static str,
    pub commands: Vec<CommandInfo>,
    /// The palette's words (its section only).
    pub words: &'static [PaletteWord],
}

/// Every context's commands, for the `?` help. The main screen's commands show whether they
/// apply to what is open now.
pub fn help(s: &AppState) -> Vec<HelpSection> {
    let section = |title, commands| HelpSection {
        title,
        commands,
        words: &[],
    };
    let mut main: Vec<CommandInfo> = Command::ALL
        .iter()
        .map(|&c| CommandInfo::mapped(c).enabled(super::input::applies(s, c)))
        .collect();
    main.extend(super::focus::commands());
    vec![
        section("", main),
        section("In dialogs", super::dialogs::Dialog::help_commands()),
        section(
            "Catalog filter (while typing)",
            super::input::filter_commands(),
        ),
        section("Store picker", super::picker::commands(s)),
        section("Message log (m)", super::messages::commands(s)),
        HelpSection {
            words: PALETTE,
            ..section("Command palette (:)", super::input::palette_commands())
        },
    ]
}

/// What a palette word runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaletteTarget {
    /// The same command a key runs.
    Command(Command),
    /// `goto PATH`: open an array or group by path.
    Goto,
    /// `store NAME`: switch to a named store, a path or a URL.
    Store,
    /// `filter TEXT`: set the catalog filter at once (on a server that searches, the search
    /// `/` runs).
    FilterText,
}

/// A word the palette knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaletteWord {
    pub name: &'static str,
    /// Other words for the same thing (not completed, not listed).
    pub aliases: &'static [&'static str],
    /// The argument it takes, for the listing (`PATH`), or empty.
    pub arg: &'static str,
    pub help: &'static str,
    pub target: PaletteTarget,
}

const fn word(
    name: &'static str,
    aliases: &'static [&'static str],
    arg: &'static str,
    help: &'static str,
    target: PaletteTarget,
) -> PaletteWord {
    PaletteWord {
        name,
        aliases,
        arg,
        help,
        target,
    }
}

/// A word that runs a keymap command and takes no argument.
const fn cmd(
    name: &'static str,
    aliases: &'static [&'static str],
    help: &'static str,
    command: Command,
) -> PaletteWord {
    word(name, aliases, "", help, PaletteTarget::Command(command))
}

/// Every palette word, in the order the palette lists them. One line a word, so the table
/// reads as one.
#[rustfmt::skip]
pub const PALETTE: &[PaletteWord] = &[
    word("goto", &["g", "open"], "PATH", "open an array or group by path", PaletteTarget::Goto),
    cmd("patch", &[], "patch the open array", Command::Patch),
    cmd("extend", &[], "append along an axis", Command::Extend),
    cmd("resize", &[], "grow or shrink the open array", Command::Resize),
    cmd("create", &["new"], "create a new array", Command::Create),
    cmd("delete", &["rm"], "delete the open array", Command::Delete),
    word("store", &[], "NAME", "switch to a named store (or a path)", PaletteTarget::Store),
    cmd("stores", &[], "open the store picker", Command::Stores),
    word("filter", &[], "TEXT", "filter the catalog (a server searches)", PaletteTarget::FilterText),
    cmd("refresh", &[], "reload everything", Command::Refresh),
    cmd("pause", &["resume"], "pause / resume live updates", Command::Pause),
    cmd("activity", &[], "every array that changed recently", Command::Activity),
    cmd("follow", &[], "follow the newest frame as the array grows", Command::Follow),
    cmd("colormap", &[], "frame view: the next colormap", Command::Colormap),
    cmd("contrast", &[], "frame view: the next contrast mode", Command::Contrast),
    cmd("binning", &["bin"], "frame view: bin by mean or by max", Command::Binning),
    cmd("messages", &["log"], "every status line and error since start", Command::Messages),
    cmd("metadata", &["info", "attrs"], "the array's metadata as JSON", Command::Metadata),
    cmd("help", &[], "list every key", Command::Help),
    cmd("quit", &["q", "exit"], "leave extent", Command::Quit),
];

impl PaletteWord {
    /// `name ARG` as listed.
    pub fn usage(&self) -> String {
        format!("{} {}", self.name, self.arg).trim().to_string()
    }

    /// Whether it applies now (a word for a command that does not is greyed).
    pub fn applies(&self, s: &AppState) -> bool {
        match self.target {
            PaletteTarget::Command(c) => super::input::applies(s, c),
            PaletteTarget::Goto | PaletteTarget::Store | PaletteTarget::FilterText => true,
        }
    }
}

/// A palette line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    Command(Command),
    Goto(String),
    Store(String),
    FilterText(String),
}

/// Parses a palette line; `Ok(None)` for an empty one, `Err` with the words it knows for an
/// unknown word.
pub fn parse_palette(input: &str) -> Result<Option<Invocation>, String> {
    let input = input.trim();
    let (w, rest) = match input.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim().to_string()),
        None => (input, String::new()),
    };
    if w.is_empty() {
        return Ok(None);
    }
    let Some(found) = PALETTE
        .iter()
        .find(|p| p.name == w || p.aliases.contains(&w))
    else {
        let names: Vec<&str> = PALETTE.iter().map(|p| p.name).collect();
        return Err(format!("unknown command '{w}'; try {}", names.join(", ")));
    };
    Ok(Some(match found.target {
        PaletteTarget::Command(c) => Invocation::Command(c),
        PaletteTarget::Goto => Invocation::Goto(rest),
        PaletteTarget::Store => Invocation::Store(rest),
        PaletteTarget::FilterText => Invocation::FilterText(rest),
    }))
}

/// The first word that starts with `prefix`, for Tab completion.
pub fn complete(prefix: &str) -> Option<&'static PaletteWord> {
    PALETTE.iter().find(|p| p.name.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_words_parse_into_commands() {
        assert_eq!(
            parse_palette("patch"),
            Ok(Some(Invocation::Command(Command::Patch)))
        );
        assert_eq!(
            parse_palette("  rm "),
            Ok(Some(Invocation::Command(Command::Delete)))
        );
        assert_eq!(
            parse_palette("g detector/frames"),
            Ok(Some(Invocation::Goto("detector/frames".into())))
        );
        assert_eq!(
            parse_palette("filter"),
            Ok(Some(Invocation::FilterText(String::new())))
        );
        assert_eq!(parse_palette(""), Ok(None));
        let err = parse_palette("frobnicate").err().unwrap_or_default();
        assert!(
            err.contains("'frobnicate'") && err.contains("goto"),
            "{err}"
        );
        assert_eq!(complete("st").map(|p| p.name), Some("store"));
    }

    #[test]
    fn write_commands_are_disabled_until_an_array_is_open() {
        let caps = crate::backend::Capabilities {
            can_shrink: true,
            lists_chunks: true,
            history_in_store: true,
            partial_chunks: true,
            empty_axes: true,
        };
        let s = AppState::new("t", caps);
        let enabled = |c: Command| {
            current(&s)
                .iter()
                .find(|i| i.keys == Keys::Mapped(c))
                .map(|i| i.enabled)
        };
        assert_eq!(enabled(Command::Patch), Some(false));
        assert_eq!(enabled(Command::Delete), Some(false));
        assert_eq!(enabled(Command::Create), Some(true));
        assert_eq!(enabled(Command::Quit), Some(true));
        let help = help(&s);
        let patch = help[0]
            .commands
            .iter()
            .find(|i| i.keys == Keys::Mapped(Command::Patch));
        assert_eq!(patch.map(|i| i.enabled), Some(false));
        let word = PALETTE.iter().find(|p| p.name == "resize");
        assert_eq!(word.map(|w| w.applies(&s)), Some(false));
    }
}
