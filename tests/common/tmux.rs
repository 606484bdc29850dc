//! The real binary in a private tmux server: keys in, the screen out, with deadlines. Fails
//! with the reason when tmux is missing (tests never skip).

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// One tmux server running one shell command; killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `shell_cmd` in a `cols` × `rows` terminal with extent's dirs under `home`.
    pub fn start(home: &Path, shell_cmd: &str, cols: u16, rows: u16) -> Tmux {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "tmux is not installed: this test needs it (apt-get install tmux)"
        );
        let t = Tmux {
            socket: format!(
                "extent-t-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, SeqCst)
            ),
        };
        let status = Command::new("tmux")
            .args(["-L", &t.socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &cols.to_string(), "-y", &rows.to_string()])
            .arg(shell_cmd)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("TERM", "xterm-256color")
            .env_remove("EXTENT_STORE")
            .env_remove("TILED_API_KEY")
            .status()
            .expect("cannot run tmux");
        assert!(status.success(), "tmux new-session failed");
        t
    }

    /// Sends tmux key names (`Enter`, `Tab`, `p`).
    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys"])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until every needle is on screen; fails with the screen after `secs`.
    pub fn wait_for(&self, needles: &[&str], secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if needles.iter().all(|n| s.contains(n)) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needles:?}; the screen was:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
