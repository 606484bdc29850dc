//! Asks the terminal which graphics protocol it speaks and how big a cell is, with a bounded
//! wait, reading the answers from stdin ourselves (ratatui-image's query and parser, not its
//! picker): the picker drops a sixel or kitty answer when the terminal keeps its cell size to
//! itself (xterm does, unless its window operations are allowed), and then the kernel's pixel
//! size of the window still tells the cell.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use ratatui_image::picker::cap_parser::{Parser, QueryStdioOptions, Response};
use ratatui_image::picker::ProtocolType;

/// What the terminal said: the protocols it named and its cell size in pixels.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Answer {
    pub kitty: bool,
    pub sixel: bool,
    pub cell: Option<(u16, u16)>,
    /// The status report that ends the query came back (the terminal answered in time).
    pub complete: bool,
}

impl Answer {
    /// Reads the parser's responses.
    pub fn from_responses(responses: &[Response]) -> Self {
        let mut a = Answer::default();
        for r in responses {
            match r {
                Response::Kitty => a.kitty = true,
                Response::Sixel => a.sixel = true,
                Response::CellSize(Some((w, h))) if *w > 0 && *h > 0 => a.cell = Some((*w, *h)),
                Response::Status => a.complete = true,
                _ => {}
            }
        }
        a
    }
}

/// Terminals whose kitty and sixel answers are not to be trusted (ratatui-image's list: their
/// iTerm2 support is better, or their sixel is broken).
fn distrusted_terminal() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty());
    set("WEZTERM_EXECUTABLE") || set("KONSOLE_VERSION")
}

/// Terminals that speak iTerm2's protocol but do not say so when asked.
pub fn iterm2_from_env() -> bool {
    let program = std::env::var("TERM_PROGRAM").unwrap_or_default();
    let lc = std::env::var("LC_TERMINAL").unwrap_or_default();
    [
        "iTerm",
        "WezTerm",
        "mintty",
        "vscode",
        "Tabby",
        "Hyper",
        "rio",
        "Bobcat",
        "WarpTerminal",
    ]
    .iter()
    .any(|t| program.contains(t))
        || lc.contains("iTerm")
}

/// Reads stdin one byte at a time until `done` says the answer is whole or `deadline` passes.
/// One byte at a time: nothing past the answer's end is taken from the keyboard.
fn read_until(deadline: Instant, mut done: impl FnMut(u8) -> bool) -> std::io::Result<()> {
    let fd = std::io::stdin().as_raw_fd();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(i32::MAX as u128) as i32) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            continue;
        }
        let mut byte = [0u8; 1];
        // SAFETY: reads at most one byte into a one-byte buffer.
        let got = unsafe { libc::read(fd, byte.as_mut_ptr().cast(), 1) };
        if got <= 0 || done(byte[0]) {
            return Ok(());
        }
    }
}

fn write_out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// The terminal's name and version (XTVERSION, e.g. `kitty(0.26.5)`), when it tells.
pub fn version(timeout: Duration) -> std::io::Result<Option<String>> {
    // XTVERSION, then a status report that every terminal answers, to end the wait.
    write_out("\x1b[>q\x1b[5n")?;
    let mut text = Vec::new();
    read_until(Instant::now() + timeout, |b| {
        text.push(b);
        text.ends_with(b"\x1b[0n")
    })?;
    Ok(parse_version(&String::from_utf8_lossy(&text)))
}

/// The text of an XTVERSION answer (`ESC P > | TEXT ESC \`) in `answers`.
fn parse_version(answers: &str) -> Option<String> {
    let start = answers.find("\x1bP>|")? + 4;
    let len = answers[start..].find("\x1b\\")?;
    Some(answers[start..start + len].to_string())
}

/// Whether a kitty of this XTVERSION text draws images by Unicode placeholders, as
/// ratatui-image's kitty images are drawn (kitty 0.28 and later). Other terminals that answer
/// kitty's query are taken at their word.
pub fn kitty_draws_placeholders(version: Option<&str>) -> bool {
    let Some(v) = version.and_then(|v| v.strip_prefix("kitty(")) else {
        return true;
    };
    let mut parts = v.trim_end_matches(')').split('.').map(|p| p.parse::<u32>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) >= (0, 28),
        _ => true,
    }
}

/// Writes the query to stdout and reads stdin until the terminal's status report ends its
/// answers or `timeout` passes. The caller has put the terminal in raw mode. Reads stop at
/// the status report, so keys typed after it stay for the event stream.
pub fn query(timeout: Duration) -> std::io::Result<Answer> {
    let mut options = QueryStdioOptions::default();
    if distrusted_terminal() {
        options.blacklist_protocols = vec![ProtocolType::Kitty, ProtocolType::Sixel];
    }
    write_out(&Parser::query(false, options))?;
    let mut parser = Parser::new();
    let mut responses = Vec::new();
    read_until(Instant::now() + timeout, |b| {
        let more = parser.push(char::from(b));
        let done = more.contains(&Response::Status);
        responses.extend(more);
        done
    })?;
    Ok(Answer::from_responses(&responses))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Answer {
        let mut p = Parser::new();
        let mut all = Vec::new();
        for c in text.chars() {
            all.extend(p.push(c));
        }
        Answer::from_responses(&all)
    }

    #[test]
    fn xterm_as_a_vt340_names_sixel_and_keeps_its_cell_size() {
        // xterm -ti vt340 with window operations off: DA1 with 4 (sixel), no 16t answer.
        let a = parse("\x1b[?63;1;2;4;6;9;15;16;22;28c\x1b[0n");
        assert!(a.sixel && !a.kitty && a.complete, "{a:?}");
        assert_eq!(a.cell, None);
    }

    #[test]
    fn kitty_answers_its_graphics_query_and_its_cell_size() {
        let a = parse("\x1b_Gi=31;OK\x1b\\\x1b[?62;c\x1b[6;20;10t\x1b[0n");
        assert!(a.kitty && a.complete, "{a:?}");
        assert_eq!(a.cell, Some((10, 20)));
    }

    #[test]
    fn old_kittys_cannot_draw_placeholders() {
        let v = parse_version("\x1bP>|kitty(0.26.5)\x1b\\\x1b[0n");
        assert_eq!(v.as_deref(), Some("kitty(0.26.5)"));
        assert!(!kitty_draws_placeholders(v.as_deref()));
        assert!(kitty_draws_placeholders(Some("kitty(0.28.0)")));
        assert!(kitty_draws_placeholders(Some("kitty(0.39.1)")));
        assert!(kitty_draws_placeholders(Some("ghostty 1.1.3")));
        assert!(kitty_draws_placeholders(None));
        assert_eq!(parse_version("\x1b[0n"), None);
    }

    #[test]
    fn a_plain_terminal_names_nothing() {
        let a = parse("\x1b[?62;1;6c\x1b[0n");
        assert!(!a.kitty && !a.sixel && a.complete, "{a:?}");
    }
}
