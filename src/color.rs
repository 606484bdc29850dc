//! Whether to use colour: `--color auto|always|never`, then `NO_COLOR`, then "is it a terminal".
//!
//! One process-wide choice (set once by `main` from the flag) that the TUI theme, the panic
//! report and any coloured CLI output all ask through [`enabled`].

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};

/// The `--color` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colour, even when piped or with `NO_COLOR`.
    Always,
    /// Never colour.
    Never,
}

/// The stream the coloured text goes to (its terminal-ness decides `auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

static CHOICE: AtomicU8 = AtomicU8::new(0);

/// Records the flag for the rest of the process.
pub fn set_choice(choice: ColorChoice) {
    CHOICE.store(choice as u8, Ordering::Relaxed);
}

/// The recorded flag (`auto` if never set).
pub fn choice() -> ColorChoice {
    match CHOICE.load(Ordering::Relaxed) {
        1 => ColorChoice::Always,
        2 => ColorChoice::Never,
        _ => ColorChoice::Auto,
    }
}

/// Whether output to `stream` may be coloured, from the recorded flag and the environment.
pub fn enabled(stream: Stream) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let tty = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    resolve(choice(), no_color, tty)
}

/// The precedence: the flag, then `NO_COLOR`, then whether the stream is a terminal.
pub fn resolve(choice: ColorChoice, no_color_env: bool, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color_env && is_terminal,
    }
}

/// Installs color-eyre's panic and error report hook, coloured only when stderr may be.
pub fn install_report_hook() {
    let theme = if enabled(Stream::Stderr) {
        color_eyre::config::Theme::dark()
    } else {
        color_eyre::config::Theme::new()
    };
    // A second install (tests calling main paths twice) fails harmlessly.
    let _ = color_eyre::config::HookBuilder::default()
        .theme(theme)
        .display_env_section(false)
        .install();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_no_color_beats_terminal() {
        assert!(resolve(ColorChoice::Always, true, false));
        assert!(!resolve(ColorChoice::Never, false, true));
        assert!(!resolve(ColorChoice::Auto, true, true));
        assert!(!resolve(ColorChoice::Auto, false, false));
        assert!(resolve(ColorChoice::Auto, false, true));
    }
}
