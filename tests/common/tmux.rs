//! The real binary in tmux, as a person sees it: one tmux server per test (tests run in
//! parallel), keys sent, the screen captured (with colours on request), deadlines that fail
//! with the screen. A missing tmux is a failure that says so.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

pub struct Tmux {
    socket: String,
    session: String,
}

/// `p` quoted for a POSIX shell.
pub fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// `env` with a private HOME and XDG dirs under `home`, and no store or key from outside.
pub fn isolated_env(home: &Path) -> String {
    format!(
        "env -u EXTENT_STORE -u TILED_API_KEY HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data XDG_STATE_HOME={h}/state XDG_CACHE_HOME={h}/cache",
        h = shell_quote(home)
    )
}

/// The shell command that runs extent's TUI on the store `dir` with `args` appended (e.g.
/// `--graphics auto`), isolated under `home`; the pane then stays so its last screen can be read.
pub fn extent_tui(home: &Path, dir: &Path, args: &str) -> String {
    format!(
        "{} {} --store {} {args}; sleep 30",
        isolated_env(home),
        shell_quote(&super::extent_bin()),
        shell_quote(dir)
    )
}

impl Tmux {
    /// The TUI on the store `dir` (see [`extent_tui`]) in a `w`×`h` session.
    pub fn extent(home: &Path, dir: &Path, args: &str, w: u16, h: u16) -> Tmux {
        Tmux::start(home, &extent_tui(home, dir, args), w, h)
    }

    /// Catalog → Chunks → History → Frame: the Frame pane focused from the catalog.
    pub fn to_frame_pane(&self) {
        for _ in 0..3 {
            self.keys(&["Tab"]);
        }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket);
        c
    }

    /// Runs `shell_cmd` in a `w`×`h` session with 24-bit colour announced; the pane stays
    /// after the command ends.
    pub fn start(home: &Path, shell_cmd: &str, w: u16, h: u16) -> Tmux {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(
            ok,
            "tmux is not installed: the TUI tests need it (apt-get install tmux)"
        );
        let t = Tmux {
            socket: format!(
                "extent-t-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, SeqCst)
            ),
            session: "t".into(),
        };
        let status = t
            .cmd()
            .args(["-f", "/dev/null", "new-session", "-d", "-s", &t.session])
            .args(["-x", &w.to_string(), "-y", &h.to_string()])
            .arg(shell_cmd)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env_remove("EXTENT_STORE")
            .env_remove("TILED_API_KEY")
            .env("TERM", "xterm-256color")
            .env("COLORTERM", "truecolor")
            .status()
            .expect("cannot run tmux");
        assert!(status.success(), "tmux new-session failed");
        let _ = t
            .cmd()
            .args(["set-option", "-t", &t.session, "remain-on-exit", "on"])
            .status();
        t
    }

    pub fn keys(&self, keys: &[&str]) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        self.capture(false)
    }

    /// The screen with its colours as escape sequences (`capture-pane -e`).
    pub fn screen_colors(&self) -> String {
        self.capture(true)
    }

    fn capture(&self, colors: bool) -> String {
        let mut c = self.cmd();
        c.args(["capture-pane", "-p", "-t", &self.session]);
        if colors {
            c.arg("-e");
        }
        let out = c.output().expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    pub fn text(&self, text: &str) {
        let status = self
            .cmd()
            .args(["send-keys", "-t", &self.session, "-l", text])
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Makes the terminal `w`×`h` (the TUI gets the resize like any other).
    pub fn resize(&self, w: u16, h: u16) {
        let status = self
            .cmd()
            .args(["resize-window", "-t", &self.session])
            .args(["-x", &w.to_string(), "-y", &h.to_string()])
            .status()
            .expect("tmux resize-window");
        assert!(status.success(), "tmux resize-window failed");
    }

    /// Waits until `needle` is no longer on screen.
    pub fn wait_gone(&self, needle: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if !s.contains(needle) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {needle:?} to go; the screen was:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until every `needle` is on screen; fails with the screen after `secs`.
    pub fn wait_for(&self, needles: &[&str], secs: u64) -> String {
        self.wait_until(secs, &format!("{needles:?}"), |s| {
            needles.iter().all(|n| s.contains(n))
        })
    }

    /// Waits until `ok` holds for the screen; fails naming `what` with the screen.
    pub fn wait_until(&self, secs: u64, what: &str, mut ok: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen was:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

/// One cell of a screen captured with colours: its text and its colours as RGB (`None`: the
/// terminal's default). 256-colour indices are turned into RGB the way xterm shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    pub ch: String,
    pub fg: Option<[u8; 3]>,
    pub bg: Option<[u8; 3]>,
}

/// xterm's RGB for a 256-colour index.
fn xterm_rgb(i: u8) -> [u8; 3] {
    const BASE: [[u8; 3]; 16] = [
        [0, 0, 0],
        [205, 0, 0],
        [0, 205, 0],
        [205, 205, 0],
        [0, 0, 238],
        [205, 0, 205],
        [0, 205, 205],
        [229, 229, 229],
        [127, 127, 127],
        [255, 0, 0],
        [0, 255, 0],
        [255, 255, 0],
        [92, 92, 255],
        [255, 0, 255],
        [0, 255, 255],
        [255, 255, 255],
    ];
    match i {
        0..=15 => BASE[i as usize],
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            [level(i / 36), level((i / 6) % 6), level(i % 6)]
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            [v, v, v]
        }
    }
}

/// Parses `capture-pane -e` output into rows of cells (SGR colours only; other sequences are
/// skipped).
pub fn cells(captured: &str) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    let (mut fg, mut bg) = (None, None);
    for line in captured.lines() {
        let mut row = Vec::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\u{1b}' {
                row.push(Cell {
                    ch: c.to_string(),
                    fg,
                    bg,
                });
                continue;
            }
            if chars.peek() != Some(&'[') {
                continue;
            }
            chars.next();
            let mut params = String::new();
            let mut end = ' ';
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    end = c;
                    break;
                }
                params.push(c);
            }
            if end != 'm' {
                continue;
            }
            let nums: Vec<u32> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
            let mut i = 0;
            while i < nums.len() {
                match nums[i] {
                    0 => (fg, bg) = (None, None),
                    39 => fg = None,
                    49 => bg = None,
                    n @ (38 | 48) => {
                        let color = match nums.get(i + 1) {
                            Some(2) if i + 4 < nums.len() => {
                                let c = [nums[i + 2] as u8, nums[i + 3] as u8, nums[i + 4] as u8];
                                i += 4;
                                Some(c)
                            }
                            Some(5) if i + 2 < nums.len() => {
                                let c = xterm_rgb(nums[i + 2] as u8);
                                i += 2;
                                Some(c)
                            }
                            _ => None,
                        };
                        if n == 38 {
                            fg = color;
                        } else {
                            bg = color;
                        }
                    }
                    n @ 30..=37 => fg = Some(xterm_rgb((n - 30) as u8)),
                    n @ 40..=47 => bg = Some(xterm_rgb((n - 40) as u8)),
                    n @ 90..=97 => fg = Some(xterm_rgb((n - 90 + 8) as u8)),
                    n @ 100..=107 => bg = Some(xterm_rgb((n - 100 + 8) as u8)),
                    _ => {}
                }
                i += 1;
            }
        }
        rows.push(row);
    }
    rows
}

/// Perceived brightness of a colour, 0–255.
pub fn luma([r, g, b]: [u8; 3]) -> f64 {
    0.299 * r as f64 + 0.587 * g as f64 + 0.114 * b as f64
}
