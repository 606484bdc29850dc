//! Files that are replaced whole and atomically (temp file, fsync, rename), and the fsyncs
//! that make them durable under [`Durability::Fsync`], batched where they can run at once.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Inner;
use crate::backend::locks::no_follow;
use crate::backend::{Error, Result};

/// What a write waits for before it is acknowledged. Both keep every file atomic (temp file +
/// rename), the locks and the journal; they differ only after a power loss or kernel crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every temp file is fsynced before it is renamed into place, and the directories that
    /// changed are fsynced before the write returns: an acknowledged write survives a power loss.
    Fsync,
    /// No fsync: a reader or a killed process never sees a torn file and nothing acknowledged
    /// is lost when the process dies, but a power loss may lose the last seconds of
    /// acknowledged writes (as with zarr-python or a Tiled server). `extent check --repair`
    /// cleans up what such a loss leaves.
    Atomic,
}

impl Durability {
    /// From `EXTENT_DURABILITY` (`fsync` or `atomic`); `fsync` when unset.
    pub fn from_env() -> Result<Durability> {
        match std::env::var("EXTENT_DURABILITY") {
            Err(_) => Ok(Durability::Fsync),
            Ok(v) => Durability::parse(&v),
        }
    }

    /// From `fsync` or `atomic` (case-insensitive; empty is `fsync`).
    pub fn parse(s: &str) -> Result<Durability> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "fsync" => Ok(Durability::Fsync),
            "atomic" => Ok(Durability::Atomic),
            other => Err(Error::invalid_input(format!(
                "EXTENT_DURABILITY must be 'fsync' or 'atomic', not '{other}'"
            ))),
        }
    }

    pub(super) fn fsync(self) -> bool {
        self == Durability::Fsync
    }
}

/// Writes JSON to `path` atomically: a unique temp file beside it, (fsync,) rename(, fsync dir).
pub(super) fn write_json_atomic(path: &Path, value: &Value, durability: Durability) -> Result<()> {
    replace_json(path, value, durability)?;
    if durability.fsync() {
        sync_dir(path.parent().unwrap_or(Path::new("."))).map_err(|e| {
            Error::io(format!("cannot sync the directory of {}", path.display())).with_source(e)
        })?;
    }
    Ok(())
}

/// [`write_json_atomic`] without the directory's fsync (the caller does it).
pub(super) fn replace_json(path: &Path, value: &Value, durability: Durability) -> Result<()> {
    let text = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::io(format!("cannot encode {}", path.display())).with_source(e))?;
    let tmp = temp_path(path);
    let result = write_temp(&tmp, &text, durability, Some(path)).and_then(|_| {
        fs::rename(&tmp, path).inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
    });
    result.map_err(|e| Error::io(format!("cannot write {}", path.display())).with_source(e))
}

/// A temp file name beside `path` that no one can guess: `<name>.<pid>.<random>.tmp`.
pub(super) fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(
        ".{}.{:016x}.tmp",
        std::process::id(),
        unique_suffix()
    ));
    path.with_file_name(name)
}

/// Writes a whole new temp file; fsynced under [`Durability::Fsync`]. Whatever already has
/// the name (a file, a planted symlink) makes it fail: nothing is followed or overwritten.
/// The temp file takes the mode, group (and, for root, owner) of `replaces` when that file
/// exists, so a file shared by a group stays shared after it is rewritten.
pub(super) fn write_temp(
    tmp: &Path,
    bytes: &[u8],
    durability: Durability,
    replaces: Option<&Path>,
) -> std::io::Result<()> {
    let mut f = no_follow(OpenOptions::new().write(true).create_new(true)).open(tmp)?;
    // Only a file this call made is removed on failure.
    let written = replaces
        .map_or(Ok(()), |old| keep_owner(&f, old))
        .and_then(|_| f.write_all(bytes))
        .and_then(|_| {
            if durability.fsync() {
                f.sync_data()
            } else {
                Ok(())
            }
        });
    if written.is_err() {
        let _ = fs::remove_file(tmp);
    }
    written
}

/// Gives `f` the mode and group of the file `old` (if there is one), and its owner when this
/// process may (root). The group needs membership: a group this user is not in is left to the
/// directory's setgid bit or the user's own group. The mode is set last (a chown clears the
/// setgid bit).
fn keep_owner(f: &File, old: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(was) = fs::symlink_metadata(old) else {
        return Ok(());
    };
    if !was.file_type().is_file() {
        return Ok(());
    }
    let now = f.metadata()?;
    if (now.uid(), now.gid()) != (was.uid(), was.gid()) {
        // Owner and group when allowed (root), else the group alone; neither is an error.
        if std::os::unix::fs::fchown(f, Some(was.uid()), Some(was.gid())).is_err() {
            let _ = std::os::unix::fs::fchown(f, None, Some(was.gid()));
        }
    }
    let mode = was.mode() & 0o7777;
    if now.mode() & 0o7777 != mode {
        f.set_permissions(fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// Makes the entries of a directory (creations, renames, removals) durable.
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// fsyncs directories concurrently (a thread each, 16 at a time): an fsync mostly waits for
/// the device, and concurrent ones share that wait.
fn sync_dirs_at_once(dirs: &[PathBuf]) -> Result<()> {
    for batch in dirs.chunks(16) {
        std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .iter()
                .map(|d| (d, s.spawn(move || sync_dir(d))))
                .collect();
            handles.into_iter().try_for_each(|(d, h)| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("panicked")))
                    .map_err(|e| Error::io(format!("cannot sync {}", d.display())).with_source(e))
            })
        })?;
    }
    Ok(())
}

/// Creates `dir` and its missing parents; records in `changed` each directory that gained an
/// entry (to be fsynced under [`Durability::Fsync`]).
pub(super) fn ensure_dir(dir: &Path, changed: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut missing = dir;
    while let Some(parent) = missing.parent() {
        changed.push(parent.to_path_buf());
        if parent.is_dir() {
            break;
        }
        missing = parent;
    }
    fs::create_dir_all(dir)
}

/// A number that keeps temp file names of concurrent writers (threads or processes) apart and
/// cannot be guessed in advance: SipHash under std's randomly seeded keys.
pub(super) fn unique_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(N.fetch_add(1, Ordering::Relaxed));
    h.write_u128(t);
    h.finish()
}

/// Locks a mutex, poisoned or not: what it guards (sets and pools) stays valid after a panic.
pub(super) fn lock_set<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    /// Under [`Durability::Fsync`], fsyncs a node's directory (its `zarr.json` entry).
    pub(super) fn sync_node(&self, path: &str) -> Result<()> {
        if !self.durability.fsync() {
            return Ok(());
        }
        let dir = self.node_dir(path)?;
        sync_dir(&dir)
            .map_err(|e| Error::io(format!("cannot sync {}", dir.display())).with_source(e))
    }

    /// Under [`Durability::Fsync`], fsyncs every directory whose entries a write changed.
    pub(super) fn sync_dirs(&self, dirs: std::sync::Mutex<BTreeSet<PathBuf>>) -> Result<()> {
        let dirs = dirs.into_inner().unwrap_or_else(|p| p.into_inner());
        if !self.durability.fsync() {
            return Ok(());
        }
        let dirs: Vec<PathBuf> = dirs.into_iter().collect();
        sync_dirs_at_once(&dirs)
    }
}
