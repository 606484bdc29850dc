//! Progress on stderr for CLI operations that can take a while: only when stderr is a
//! terminal and not with `--json`, and drawn only once the operation has run for a second,
//! so quick commands print nothing extra.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long an operation runs before its bar appears.
const DELAY: Duration = Duration::from_secs(1);

/// What a bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes, shown as MiB with a rate.
    Bytes,
    /// Whole steps (arrays checked, patches written).
    Steps,
}

/// Whether bars may be drawn: a person is watching stderr and stdout is not JSON for a program.
pub fn enabled(json: bool, stderr_is_terminal: bool) -> bool {
    !json && stderr_is_terminal
}

/// A bar or a spinner; a hidden one when progress is off. Cleared when dropped.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar to `len` in `unit`, labelled `msg`.
    pub fn bar(json: bool, len: u64, unit: Unit, msg: impl Into<String>) -> Progress {
        let template = match unit {
            Unit::Bytes => {
                "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}"
            }
            Unit::Steps => "{spinner} {msg} [{bar:30}] {pos}/{len} {per_sec} {eta}",
        };
        Progress::start(json, Some(len), template, msg.into())
    }

    /// A spinner for work whose progress cannot be counted (one request, one write).
    pub fn spinner(json: bool, msg: impl Into<String>) -> Progress {
        Progress::start(json, None, "{spinner} {msg} {elapsed}", msg.into())
    }

    fn start(json: bool, len: Option<u64>, template: &str, msg: String) -> Progress {
        let on = enabled(json, std::io::stderr().is_terminal());
        Progress::start_on(on, len, template, msg, ProgressDrawTarget::stderr)
    }

    /// As `start`, with the on/off decision and the eventual target given (tests draw to memory).
    fn start_on(
        on: bool,
        len: Option<u64>,
        template: &str,
        msg: String,
        target: fn() -> ProgressDrawTarget,
    ) -> Progress {
        let bar = if on {
            ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden())
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(msg);
        if on {
            // Shown after DELAY unless finished by then; the weak handle lets it end first.
            let weak = bar.downgrade();
            std::thread::spawn(move || {
                std::thread::sleep(DELAY);
                if let Some(b) = weak.upgrade().filter(|b| !b.is_finished()) {
                    b.set_draw_target(target());
                    b.enable_steady_tick(Duration::from_millis(120));
                }
            });
        }
        Progress { bar }
    }

    pub fn set_position(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    pub fn set_message(&self, msg: impl Into<String>) {
        self.bar.set_message(msg.into());
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

/// `1.5 GiB` style, for spinner messages.
pub fn fmt_bytes(n: u64) -> String {
    indicatif::BinaryBytes(n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_terminal_without_json_gets_bars() {
        assert!(enabled(false, true));
        assert!(!enabled(true, true));
        assert!(!enabled(false, false));
        assert!(!enabled(true, false));
    }

    /// A terminal stand-in that keeps what is drawn.
    #[derive(Debug, Clone, Default)]
    struct Screen(std::sync::Arc<std::sync::Mutex<String>>);

    static SCREEN: std::sync::OnceLock<Screen> = std::sync::OnceLock::new();

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn screen() -> ProgressDrawTarget {
        ProgressDrawTarget::term_like(Box::new(SCREEN.get_or_init(Screen::default).clone()))
    }

    fn drawn() -> String {
        SCREEN
            .get_or_init(Screen::default)
            .0
            .lock()
            .unwrap()
            .clone()
    }

    #[test]
    fn bars_appear_only_when_on_and_only_after_the_delay() {
        let template = "{msg} {pos}/{len}";
        // Off: nothing, however long it runs.
        let off = Progress::start_on(false, Some(10), template, "off-bar".into(), screen);
        // On but quick: finished before the delay, never drawn.
        let quick = Progress::start_on(true, Some(10), template, "quick-bar".into(), screen);
        quick.set_position(10);
        quick.finish();
        // On and slow: drawn once the delay has passed.
        let slow = Progress::start_on(true, Some(10), template, "slow-bar".into(), screen);
        for i in 0..8 {
            off.set_position(i);
            slow.set_position(i);
            std::thread::sleep(DELAY / 4);
        }
        slow.finish();
        let text = drawn();
        assert!(text.contains("slow-bar"), "{text:?}");
        assert!(
            !text.contains("quick-bar") && !text.contains("off-bar"),
            "{text:?}"
        );
    }

    #[test]
    fn bytes_are_readable() {
        assert_eq!(fmt_bytes(3 << 20), "3.00 MiB");
    }
}
