//! Bounded waits for a lock another process holds. A writer whose lock holder is stopped
//! (SIGSTOP) or hung must not wait forever: after the bound it fails with `conflict` naming
//! the holder, found in `/proc/locks` (pid) and `/proc/<pid>/cmdline` (command). While it
//! waits, the front end is told once who it waits for (the CLI prints it on a terminal).

use std::fs::{File, TryLockError};
use std::path::Path;
use std::sync::{mpsc, Arc, RwLock};
use std::time::{Duration, Instant};

use crate::backend::{Error, Result};

/// How long a writer waits for a lock by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// How long to wait before telling anyone that we wait.
const TELL_AFTER: Duration = Duration::from_millis(500);

/// Who holds a lock: the process and its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// The holder's process id.
    pub pid: u32,
    /// Its command line (arguments joined by spaces, shortened), or `?` when unreadable.
    pub command: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.pid, self.command)
    }
}

/// What a front end is told once a wait lasts: the holder, when it can be found.
pub type LockWaitHook = Box<dyn Fn(Option<&LockHolder>) + Send + Sync>;

type OnWait = Arc<dyn Fn(Option<&LockHolder>) + Send + Sync>;

struct Policy {
    bound: Duration,
    on_wait: Option<OnWait>,
}

static POLICY: RwLock<Option<Policy>> = RwLock::new(None);

/// Sets, for this process, how long a writer waits for a lock another process holds (both
/// backends), and what is called when a wait lasts (e.g. to print "waiting for …").
pub fn set_lock_wait(bound: Duration, on_wait: Option<LockWaitHook>) {
    let mut p = POLICY.write().unwrap_or_else(|p| p.into_inner());
    *p = Some(Policy {
        bound,
        on_wait: on_wait.map(Arc::from),
    });
}

/// The bound set by [`set_lock_wait`], or [`DEFAULT_LOCK_WAIT`].
pub fn lock_wait() -> Duration {
    policy().0
}

fn policy() -> (Duration, Option<OnWait>) {
    let p = POLICY.read().unwrap_or_else(|p| p.into_inner());
    match p.as_ref() {
        Some(p) => (p.bound, p.on_wait.clone()),
        None => (DEFAULT_LOCK_WAIT, None),
    }
}

/// Takes the flock of `f` (the lock file `path`), waiting at most the bound; `conflict`
/// naming the holder after that. Free locks cost one non-blocking call.
pub(crate) fn wait_for_lock(f: File, path: &Path, exclusive: bool) -> Result<File> {
    wait_bounded(f, path, exclusive, policy())
}

fn wait_bounded(
    f: File,
    path: &Path,
    exclusive: bool,
    (bound, on_wait): (Duration, Option<OnWait>),
) -> Result<File> {
    let failed =
        |e: std::io::Error| Error::io(format!("cannot lock {}", path.display())).with_source(e);
    let tried = if exclusive {
        f.try_lock()
    } else {
        f.try_lock_shared()
    };
    match tried {
        Ok(()) => return Ok(f),
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(e)) => return Err(failed(e)),
    }
    let ino = inode_of(&f);
    // A thread blocks in flock (woken in order by the kernel, no polling); if we give up
    // first, the lock it gets later is dropped with the unsent file.
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("lock-wait".into())
        .spawn(move || {
            let r = if exclusive { f.lock() } else { f.lock_shared() };
            let _ = tx.send(r.map(|_| f));
        })
        .map_err(|e| Error::io("cannot start waiting for a lock").with_source(e))?;
    let start = Instant::now();
    let mut told = false;
    loop {
        let left = bound.saturating_sub(start.elapsed());
        let step = if told { left } else { left.min(TELL_AFTER) };
        match rx.recv_timeout(step) {
            Ok(r) => return r.map_err(failed),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Error::io(format!(
                    "waiting for the lock {} failed",
                    path.display()
                )))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if start.elapsed() >= bound {
            break;
        }
        if !told {
            told = true;
            if let Some(tell) = &on_wait {
                tell(ino.and_then(holder).as_ref());
            }
        }
    }
    let who = match ino.and_then(holder) {
        Some(h) => format!("process {h}"),
        None => "another process".into(),
    };
    Err(Error::conflict(format!(
        "gave up after waiting {} for the lock {}, held by {who}; if that process is stopped or hung, resume or end it, or wait longer with --lock-timeout",
        fmt_wait(bound),
        path.display(),
    )))
}

/// `2 s`, `1.5 s`, `60 s`.
fn fmt_wait(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// The (device, inode) of an open file, as `/proc/locks` writes them.
fn inode_of(f: &File) -> Option<(u64, u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = f.metadata().ok()?;
    let dev = m.dev();
    // glibc's major()/minor().
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    Some((major, minor, m.ino()))
}

/// The process holding a flock on the file `(major, minor, inode)`, from `/proc/locks`.
fn holder(file: (u64, u64, u64)) -> Option<LockHolder> {
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = holder_in(&locks, file)?;
    Some(LockHolder {
        pid,
        command: command_of(pid),
    })
}

/// The pid of the first lock held (not waited for: `->`) on `file` in `/proc/locks`' text.
fn holder_in(locks: &str, file: (u64, u64, u64)) -> Option<u32> {
    locks.lines().find_map(|line| {
        // `1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF`; waiters read `1: -> FLOCK …`.
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.get(1) != Some(&"FLOCK") {
            return None;
        }
        let mut id = f.get(5)?.split(':');
        let major = u64::from_str_radix(id.next()?, 16).ok()?;
        let minor = u64::from_str_radix(id.next()?, 16).ok()?;
        let ino: u64 = id.next()?.parse().ok()?;
        ((major, minor, ino) == file).then(|| f.get(4)?.parse().ok())?
    })
}

/// `/proc/<pid>/cmdline` as one line (at most 120 characters), else its `comm`, else `?`.
fn command_of(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut text: String = String::from_utf8_lossy(&cmdline)
        .split('\0')
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        text = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|c| c.trim().to_string())
            .unwrap_or_default();
    }
    if text.chars().count() > 120 {
        text = text.chars().take(117).collect::<String>() + "...";
    }
    if text.is_empty() {
        "?".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_locks_lines_name_the_holder_not_the_waiters() {
        let text = "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF\n\
                    1: -> FLOCK  ADVISORY  WRITE 77 fd:01:1234 0 EOF\n\
                    2: POSIX  ADVISORY  WRITE 99 fd:01:5555 0 EOF\n\
                    3: FLOCK  ADVISORY  READ 31 08:10:5555 0 EOF\n";
        assert_eq!(holder_in(text, (0xfd, 1, 1234)), Some(4242));
        assert_eq!(holder_in(text, (8, 16, 5555)), Some(31));
        assert_eq!(holder_in(text, (0xfd, 1, 5555)), None);
        assert_eq!(fmt_wait(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(fmt_wait(Duration::from_secs(60)), "60 s");
    }

    /// A lock held by this very process (another open file) is waited for, then given up,
    /// naming this process; the waiting thread's late lock is released.
    #[test]
    fn a_held_lock_is_given_up_after_the_bound_naming_the_holder() {
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("lock");
        let held = super::super::open_lock_file(&path).unwrap();
        held.lock().unwrap();
        let f = super::super::open_lock_file(&path).unwrap();
        let start = Instant::now();
        let e = wait_bounded(f, &path, true, (Duration::from_millis(300), None))
            .err()
            .unwrap();
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(e.kind, crate::backend::ErrorKind::Conflict);
        let me = std::process::id().to_string();
        assert!(e.message.contains(&me), "{}", e.message);
        drop(held);
        // The abandoned waiter got the lock and dropped it: it is free again soon.
        let f = super::super::open_lock_file(&path).unwrap();
        wait_bounded(f, &path, true, (Duration::from_secs(5), None)).unwrap();
    }
}
