//! Which way frame images reach this terminal: `--graphics` names one, or `auto` asks the
//! terminal (kitty, sixel, iTerm2 and the cell size; see `terminal_query`) before anything
//! reads the keyboard, with a bounded wait. Inside tmux, on a terminal that does not answer,
//! or when stdin / stdout is not a terminal, `auto` is half blocks.

use std::io::IsTerminal;
use std::time::Duration;

use ratatui_image::picker::ProtocolType;

use super::terminal_query;

use crate::app::state::FrameProtocol;
use crate::ui::frame::Graphics;

/// How long `auto` waits for the terminal's answer (a local one answers in milliseconds).
const QUERY_TIMEOUT: Duration = Duration::from_millis(1000);

/// The cell size taken when the terminal does not say (the usual 1:2 of a monospace font).
const DEFAULT_CELL: (u16, u16) = (10, 20);

/// The protocol chosen and why, for the log and the message log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub protocol: FrameProtocol,
    pub why: String,
}

impl Choice {
    /// `frame images: kitty (the terminal answered the query)`.
    pub fn describe(&self) -> String {
        format!("frame images: {} ({})", self.protocol.name(), self.why)
    }
}

/// Whether this process runs inside tmux (or screen), where graphics protocols do not pass.
pub fn in_tmux() -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    let term = std::env::var("TERM").unwrap_or_default();
    set("TMUX") || term.starts_with("tmux") || term.starts_with("screen")
}

/// Picks the protocol for `graphics`. Only `auto` on a terminal outside tmux writes to the
/// terminal (the query) and reads its answer: call it before the event stream starts.
pub fn choose(graphics: Graphics) -> Choice {
    let forced = |protocol: FrameProtocol| Choice {
        protocol,
        why: format!("--graphics {}", graphics.name()),
    };
    match graphics {
        Graphics::Halfblocks | Graphics::None => forced(FrameProtocol::Halfblocks),
        Graphics::Kitty => forced(FrameProtocol::Kitty { cell: cell_size() }),
        Graphics::Sixel => forced(FrameProtocol::Sixel { cell: cell_size() }),
        Graphics::Iterm2 => forced(FrameProtocol::Iterm2 { cell: cell_size() }),
        Graphics::Auto => auto(),
    }
}

fn auto() -> Choice {
    let half = |why: &str| Choice {
        protocol: FrameProtocol::Halfblocks,
        why: why.to_string(),
    };
    if in_tmux() {
        return half("inside tmux");
    }
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return half("not a terminal");
    }
    // The query changes the terminal's modes: crossterm's raw mode around it saves the
    // user's modes first and restores them after, whatever the answer.
    let raw = crossterm::terminal::enable_raw_mode().is_ok();
    let answer = terminal_query::query(QUERY_TIMEOUT).and_then(|mut a| {
        // kitty before 0.28 answers the query but cannot draw the placeholders kitty images
        // are drawn with here (it shows boxes); ask for its version only when it said kitty.
        let mut old_kitty = None;
        if a.kitty {
            let v = terminal_query::version(QUERY_TIMEOUT)?;
            if !terminal_query::kitty_draws_placeholders(v.as_deref()) {
                a.kitty = false;
                old_kitty = v;
            }
        }
        Ok((a, old_kitty))
    });
    if raw {
        let _ = crossterm::terminal::disable_raw_mode();
    }
    let (answer, old_kitty) = match answer {
        Ok(a) => a,
        Err(e) => return half(&format!("the terminal query failed: {e}")),
    };
    if let (Some(v), false) = (&old_kitty, answer.sixel) {
        return half(&format!(
            "{v} cannot draw kitty images by placeholders (kitty 0.28 or later can)"
        ));
    }
    let named = if answer.kitty {
        Some(("kitty", ProtocolType::Kitty))
    } else if answer.sixel {
        Some(("sixel", ProtocolType::Sixel))
    } else if terminal_query::iterm2_from_env() {
        Some(("iterm2", ProtocolType::Iterm2))
    } else {
        None
    };
    let Some((name, kind)) = named else {
        return half(if answer.complete {
            "the terminal named no graphics protocol"
        } else {
            "the terminal did not answer in time"
        });
    };
    // The cell size: the terminal's answer, else the window's pixel size from the kernel.
    let (cell, how) = match (answer.cell, window_cell()) {
        (Some(c), _) => (c, "the terminal answered the query"),
        (None, Some(c)) => (
            c,
            "the terminal named it; cell size from the window's pixels",
        ),
        (None, None) => {
            return half(&format!(
            "the terminal named {name} but not its cell size, nor does the window's size give it"
        ))
        }
    };
    let protocol = match kind {
        ProtocolType::Kitty => FrameProtocol::Kitty { cell },
        ProtocolType::Sixel => FrameProtocol::Sixel { cell },
        _ => FrameProtocol::Iterm2 { cell },
    };
    Choice {
        protocol,
        why: how.into(),
    }
}

/// The cell size from the window's size in pixels, when the terminal tells the kernel.
fn window_cell() -> Option<(u16, u16)> {
    match crossterm::terminal::window_size() {
        Ok(w) if w.width > 0 && w.height > 0 && w.columns > 0 && w.rows > 0 => {
            Some(((w.width / w.columns).max(1), (w.height / w.rows).max(1)))
        }
        _ => None,
    }
}

/// The cell size in pixels from the terminal's window size, else [`DEFAULT_CELL`].
fn cell_size() -> (u16, u16) {
    window_cell().unwrap_or(DEFAULT_CELL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_modes_need_no_query() {
        assert_eq!(
            choose(Graphics::Halfblocks).protocol,
            FrameProtocol::Halfblocks
        );
        assert!(matches!(
            choose(Graphics::Kitty).protocol,
            FrameProtocol::Kitty { .. }
        ));
        let c = choose(Graphics::Iterm2);
        assert!(c
            .describe()
            .starts_with("frame images: iterm2 (--graphics iterm2)"));
    }
}
