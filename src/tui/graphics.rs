//! Which way frame images reach this terminal: `--graphics` names one, or `auto` asks the
//! terminal (ratatui-image's query: kitty, sixel, iTerm2 and the cell size) before anything
//! reads the keyboard, with a bounded wait. Inside tmux, on a terminal that does not answer,
//! or when stdin / stdout is not a terminal, `auto` is half blocks.

use std::io::IsTerminal;
use std::time::Duration;

use ratatui_image::picker::cap_parser::QueryStdioOptions;
use ratatui_image::picker::{Picker, ProtocolType};

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
    let options = QueryStdioOptions {
        timeout_ms: QUERY_TIMEOUT.as_millis() as i32,
        ..QueryStdioOptions::default()
    };
    // The query changes the terminal's modes and, when the answer does not come in time,
    // does not put them back: crossterm's raw mode around it saves the user's modes first
    // and restores them after, whatever the query left.
    let raw = crossterm::terminal::enable_raw_mode().is_ok();
    let picked = Picker::from_query_stdio_with_options(options);
    if raw {
        let _ = crossterm::terminal::disable_raw_mode();
    }
    match picked {
        Ok(p) => {
            let f = p.font_size();
            let cell = (f.width.max(1), f.height.max(1));
            let protocol = match p.protocol_type() {
                ProtocolType::Kitty => FrameProtocol::Kitty { cell },
                ProtocolType::Sixel => FrameProtocol::Sixel { cell },
                ProtocolType::Iterm2 => FrameProtocol::Iterm2 { cell },
                ProtocolType::Halfblocks => {
                    return half("the terminal named no graphics protocol in time")
                }
            };
            Choice {
                protocol,
                why: "the terminal answered the query".into(),
            }
        }
        Err(e) => half(&format!("the terminal query failed: {e}")),
    }
}

/// The cell size in pixels from the terminal's window size, else [`DEFAULT_CELL`].
fn cell_size() -> (u16, u16) {
    match crossterm::terminal::window_size() {
        Ok(w) if w.width > 0 && w.height > 0 && w.columns > 0 && w.rows > 0 => {
            ((w.width / w.columns).max(1), (w.height / w.rows).max(1))
        }
        _ => DEFAULT_CELL,
    }
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
