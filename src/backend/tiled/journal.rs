//! What extent keeps on the client for a Tiled server: the structure journal (the server keeps
//! no shape history) in the user's data dir, and the per-array write locks in the user's cache
//! dir. Both are keyed by a hash of the server's root URL and the array's full catalog path, so
//! every extent process talking to the same array shares them.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::backend::{Error, Result, StructureChange};

/// How long a write waits for another extent process's write to the same array.
const LOCK_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub(super) struct ClientState {
    /// `<data>/tiled-history/`; None when no data dir could be found.
    history_dir: Option<PathBuf>,
    /// `<cache>/tiled-locks/`.
    lock_dir: Option<PathBuf>,
}

/// The identity of one array on one server, as a file name.
pub(super) fn key(server_root: &str, full_path: &str) -> String {
    // Two FNV-1a passes with different seeds: 128 bits, stable across runs and versions.
    let text = format!("{server_root}\n{full_path}");
    let mut out = String::with_capacity(32);
    for seed in [0xcbf2_9ce4_8422_2325u64, 0x6c62_272e_07bb_0142] {
        let mut h = seed;
        for b in text.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// A held exclusive lock; released when dropped (closing the file releases the flock).
#[derive(Debug)]
pub(super) struct WriteLock(#[allow(dead_code)] File);

impl ClientState {
    pub fn new(data_dir: Option<PathBuf>, cache_dir: Option<PathBuf>) -> ClientState {
        let dirs = directories::ProjectDirs::from("", "", "extent");
        let data = data_dir.or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()));
        let cache = cache_dir.or_else(|| dirs.as_ref().map(|d| d.cache_dir().to_path_buf()));
        ClientState {
            history_dir: data.map(|d| d.join("tiled-history")),
            lock_dir: cache.map(|d| d.join("tiled-locks")),
        }
    }

    fn history_file(&self, key: &str) -> Result<PathBuf> {
        let dir = self.history_dir.as_ref().ok_or_else(|| {
            Error::io(
                "cannot find a data directory for extent's history; set HOME or XDG_DATA_HOME",
            )
        })?;
        Ok(dir.join(format!("{key}.jsonl")))
    }

    /// Takes the exclusive write lock of one array, waiting for other extent processes.
    pub async fn lock(&self, key: &str) -> Result<WriteLock> {
        let dir = self.lock_dir.clone().ok_or_else(|| {
            Error::io(
                "cannot find a cache directory for extent's locks; set HOME or XDG_CACHE_HOME",
            )
        })?;
        let path = dir.join(format!("{key}.lock"));
        let task = tokio::task::spawn_blocking(move || lock_file(&dir, &path, true));
        match tokio::time::timeout(LOCK_WAIT, task).await {
            Ok(Ok(r)) => r?
                .map(WriteLock)
                .ok_or_else(|| Error::io("the write lock was not taken")),
            Ok(Err(e)) => Err(Error::io(format!("waiting for the write lock failed: {e}"))),
            Err(_) => Err(Error::conflict(format!(
                "another extent process has been writing to this array for over {} s; try again later",
                LOCK_WAIT.as_secs()
            ))),
        }
    }

    /// The write lock if it is free right now.
    pub fn try_lock(&self, key: &str) -> Option<WriteLock> {
        let dir = self.lock_dir.clone()?;
        let path = dir.join(format!("{key}.lock"));
        lock_file(&dir, &path, false).ok().flatten().map(WriteLock)
    }

    /// Appends one entry (one short O_APPEND write, so concurrent appends do not interleave).
    pub fn append(&self, key: &str, label: &str, entry: &StructureChange) -> Result<()> {
        let file = self.history_file(key)?;
        if let Some(dir) = file.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("cannot create {}: {e}", dir.display())))?;
            // A readable name beside the hash, for people looking at the directory.
            let label_file = dir.join(format!("{key}.name"));
            if !label_file.exists() {
                let _ = fs::write(&label_file, format!("{label}\n"));
            }
        }
        let mut line = serde_json::to_vec(entry).map_err(|e| Error::io(e.to_string()))?;
        line.push(b'\n');
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .map_err(|e| Error::io(format!("cannot open {}: {e}", file.display())))?;
        f.write_all(&line)
            .and_then(|_| f.sync_data())
            .map_err(|e| Error::io(format!("cannot write {}: {e}", file.display())))
    }

    /// Forgets an array's history (it was deleted, or is being created anew).
    pub fn reset(&self, key: &str) -> Result<()> {
        let file = self.history_file(key)?;
        match fs::remove_file(&file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("cannot remove {}: {e}", file.display()))),
        }
    }

    /// Every entry, oldest first; a line cut short by a crash is skipped.
    pub fn read(&self, key: &str) -> Result<Vec<StructureChange>> {
        crate::backend::lockfile::read_journal(&self.history_file(key)?)
    }
}

/// Opens and flocks `path`. Blocking: waits; otherwise None when it is held elsewhere.
fn lock_file(dir: &Path, path: &Path, wait: bool) -> Result<Option<File>> {
    fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}: {e}", dir.display())))?;
    let f = crate::backend::lockfile::open_lock_file(path)?;
    if wait {
        f.lock()
            .map_err(|e| Error::io(format!("cannot lock {}: {e}", path.display())))?;
        return Ok(Some(f));
    }
    match f.try_lock() {
        Ok(()) => Ok(Some(f)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(Error::io(format!("cannot lock {}: {e}", path.display())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cause;

    #[test]
    fn keys_are_stable_and_distinct() {
        let a = key("http://h:1/", "a/b");
        assert_eq!(a.len(), 32);
        assert_eq!(a, key("http://h:1/", "a/b"));
        assert_ne!(a, key("http://h:1/", "a/c"));
        assert_ne!(a, key("http://h:2/", "a/b"));
    }

    #[tokio::test]
    async fn journal_and_locks() {
        let t = tempfile::tempdir().unwrap();
        let s = ClientState::new(Some(t.path().join("d")), Some(t.path().join("c")));
        let k = key("http://h:1/", "a");
        assert!(s.read(&k).unwrap().is_empty());
        let e = StructureChange {
            time: "t".into(),
            actor: "me@here".into(),
            cause: Cause::Create,
            old_shape: None,
            new_shape: Some(vec![2]),
        };
        s.append(&k, "http://h:1/ a", &e).unwrap();
        s.append(&k, "http://h:1/ a", &e).unwrap();
        assert_eq!(s.read(&k).unwrap(), vec![e.clone(), e]);
        s.reset(&k).unwrap();
        assert!(s.read(&k).unwrap().is_empty());
        let held = s.lock(&k).await.unwrap();
        assert!(s.try_lock(&k).is_none());
        drop(held);
        assert!(s.try_lock(&k).is_some());
    }
}
