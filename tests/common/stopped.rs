//! A real `extent patch` stopped (SIGSTOP) while it holds an array's lock: the holder a
//! bounded lock wait must give up on, and whose temp files are not leftovers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::extent_command;

/// An extent process stopped while it holds a lock; killed (and reaped) on drop.
pub struct StoppedWriter {
    pub child: Child,
    pub pid: u32,
    /// The lock file it holds.
    pub lock: PathBuf,
}

impl StoppedWriter {
    /// Lets it run on (SIGCONT) and waits for it to finish.
    pub fn resume(mut self) -> std::process::Output {
        signal("CONT", self.pid);
        let child = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap());
        child.wait_with_output().unwrap()
    }

    /// Ends it (SIGKILL) and reaps it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for StoppedWriter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `SIG<name>` to `pid` with kill(1).
pub fn signal(name: &str, pid: u32) {
    let ok = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill -{name} {pid} failed");
}

/// The pids holding a flock on `file`, from `/proc/locks` (not those waiting for one).
pub fn flock_holders(file: &Path) -> Vec<u32> {
    use std::os::unix::fs::MetadataExt;
    let Ok(ino) = std::fs::metadata(file).map(|m| m.ino()) else {
        return Vec::new();
    };
    let locks = std::fs::read_to_string("/proc/locks").expect("/proc/locks is needed");
    locks
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let same = f.get(1) == Some(&"FLOCK")
                && f.get(5)
                    .and_then(|id| id.rsplit(':').next())
                    .and_then(|i| i.parse::<u64>().ok())
                    == Some(ino);
            same.then(|| f.get(4)?.parse().ok()).flatten()
        })
        .collect()
}

/// Starts `extent --store STORE patch ARGS…` (a write big enough to take a while) and stops
/// it the moment it holds `lock`. Tries a few times: a fast machine may finish first.
pub fn stop_while_holding(home: &Path, store: &Path, lock: &Path, args: &[&str]) -> StoppedWriter {
    stop_while_holding_with(home, store, lock, args, &[])
}

/// [`stop_while_holding`] with more environment variables (a Tiled server's key).
pub fn stop_while_holding_with(
    home: &Path,
    store: &Path,
    lock: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> StoppedWriter {
    for _ in 0..20 {
        let mut all = vec!["--store", store.to_str().unwrap()];
        all.extend_from_slice(args);
        let child = extent_command(home, &all)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start extent");
        let pid = child.id();
        let mut w = StoppedWriter {
            child,
            pid,
            lock: lock.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if flock_holders(lock).contains(&pid) {
                signal("STOP", pid);
                // Still holding it once stopped (it may have let go in between).
                if flock_holders(lock).contains(&pid) {
                    return w;
                }
                signal("CONT", pid);
            }
            if w.child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        w.kill();
    }
    panic!(
        "could not catch `extent {args:?}` holding {}",
        lock.display()
    );
}
