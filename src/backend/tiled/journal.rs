//! What extent keeps on the client for a Tiled server: the structure journal (the server keeps
//! no shape history) in the user's data dir, and the per-array write locks in the user's cache
//! dir. Both are keyed by a hash of the server's root URL and the array's full catalog path, so
//! every extent process talking to the same array shares them.

use std::collections::{BTreeSet, HashMap};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use super::TiledBackend;
use crate::backend::journal;
use crate::backend::{Cause, Error, Result, StructureChange};

/// How long a write waits, beyond the bound of the file lock itself ([`crate::backend::lock_wait`],
/// which names the holder), for this process's own writes queued before it.
const QUEUE_MARGIN: Duration = Duration::from_secs(5);
/// Chunk locks per array: a chunk maps to one of these stripes (two in-bounds writes to the
/// same chunk must not overlap: the server rewrites a chunk it patches in part).
pub(super) const CHUNK_STRIPES: u64 = 64;

#[derive(Debug, Clone)]
pub(super) struct ClientState {
    /// `<data>/tiled-history/`; None when no data dir could be found.
    history_dir: Option<PathBuf>,
    /// `<cache>/tiled-locks/`.
    lock_dir: Option<PathBuf>,
    /// In-process side of each array's lock. flock has no queue, so without it a steady
    /// stream of this process's in-bounds writes could keep its own growing write waiting;
    /// tokio's RwLock is write-preferring.
    local: Arc<Mutex<HashMap<String, Arc<RwLock<()>>>>>,
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

/// See [`ClientState::stamp`].
pub(super) type JournalStamp = (u64, std::time::SystemTime, u64);

/// A held write lock of one array: exclusive (a write that may change the shape), or shared
/// with the chunk stripes it writes (an in-bounds write). Released when dropped (closing the
/// files releases the flocks).
#[derive(Debug)]
pub(super) struct WriteLock {
    _files: Vec<File>,
    _local: Local,
}

#[derive(Debug)]
enum Local {
    Shared(#[allow(dead_code)] OwnedRwLockReadGuard<()>),
    Exclusive(#[allow(dead_code)] OwnedRwLockWriteGuard<()>),
}

impl ClientState {
    pub fn new(data_dir: Option<PathBuf>, cache_dir: Option<PathBuf>) -> ClientState {
        let dirs = directories::ProjectDirs::from("", "", "extent");
        let data = data_dir.or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()));
        let cache = cache_dir.or_else(|| dirs.as_ref().map(|d| d.cache_dir().to_path_buf()));
        ClientState {
            history_dir: data.map(|d| d.join("tiled-history")),
            lock_dir: cache.map(|d| d.join("tiled-locks")),
            local: Arc::default(),
        }
    }

    fn local_lock(&self, key: &str) -> Arc<RwLock<()>> {
        let mut map = self.local.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_string()).or_default().clone()
    }

    fn lock_dir(&self) -> Result<PathBuf> {
        self.lock_dir.clone().ok_or_else(|| {
            Error::io(
                "cannot find a cache directory for extent's locks; set HOME or XDG_CACHE_HOME",
            )
        })
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
        self.lock_array(key, true).await
    }

    /// Takes the array's lock shared: for a write that leaves the shape alone, beside other
    /// such writes; it then takes the locks of the chunks it writes with [`Self::lock_stripes`].
    pub async fn lock_shared(&self, key: &str) -> Result<WriteLock> {
        self.lock_array(key, false).await
    }

    async fn lock_array(&self, key: &str, exclusive: bool) -> Result<WriteLock> {
        let dir = self.lock_dir()?;
        let path = dir.join(format!("{key}.lock"));
        let local = self.local_lock(key);
        let wait = async move {
            // This process's queue first (write-preferring), then the other processes'.
            let (guard, mode) = if exclusive {
                (Local::Exclusive(local.write_owned().await), Mode::Exclusive)
            } else {
                (Local::Shared(local.read_owned().await), Mode::Shared)
            };
            let file = tokio::task::spawn_blocking(move || lock_file(&dir, &path, mode))
                .await
                .map_err(|e| Error::io("waiting for the write lock failed").with_source(e))??
                .ok_or_else(|| Error::io("the write lock was not taken"))?;
            Ok(WriteLock {
                _files: vec![file],
                _local: guard,
            })
        };
        within_lock_wait(wait).await
    }

    /// Adds the locks of the chunk `stripes` to a shared lock, in ascending order (every
    /// writer takes them in the same order, so none waits on another in a cycle).
    pub async fn lock_stripes(
        &self,
        lock: &mut WriteLock,
        key: &str,
        stripes: BTreeSet<u64>,
    ) -> Result<()> {
        let dir = self.lock_dir()?.join(format!("{key}.chunks"));
        let wait = async move {
            tokio::task::spawn_blocking(move || -> Result<Vec<File>> {
                let mut files = Vec::with_capacity(stripes.len());
                for s in stripes {
                    let path = dir.join(format!("{s}.lock"));
                    files.extend(lock_file(&dir, &path, Mode::Exclusive)?);
                }
                Ok(files)
            })
            .await
            .map_err(|e| Error::io("waiting for the chunk locks failed").with_source(e))?
        };
        let files = within_lock_wait(wait).await?;
        lock._files.extend(files);
        Ok(())
    }

    /// The exclusive write lock if it is free right now.
    pub fn try_lock(&self, key: &str) -> Option<WriteLock> {
        let dir = self.lock_dir.clone()?;
        let guard = self.local_lock(key).try_write_owned().ok()?;
        let path = dir.join(format!("{key}.lock"));
        let file = lock_file(&dir, &path, Mode::Try).ok().flatten()?;
        Some(WriteLock {
            _files: vec![file],
            _local: Local::Exclusive(guard),
        })
    }

    /// Appends one entry (one short O_APPEND write, so concurrent appends do not interleave).
    pub fn append(&self, key: &str, label: &str, entry: &StructureChange) -> Result<()> {
        let file = self.history_file(key)?;
        if let Some(dir) = file.parent() {
            fs::create_dir_all(dir).map_err(|e| {
                Error::io(format!("cannot create {}", dir.display())).with_source(e)
            })?;
            // A readable name beside the hash, for people looking at the directory.
            let label_file = dir.join(format!("{key}.name"));
            if !label_file.exists() {
                let _ = fs::write(&label_file, format!("{label}\n"));
            }
        }
        journal::append(&file, entry)?.sync()
    }

    /// What identifies the journal file's current content (size, mtime, inode): it changes
    /// with every structure change any extent process records. None when there is none.
    pub fn stamp(&self, key: &str) -> Option<JournalStamp> {
        use std::os::unix::fs::MetadataExt;
        let m = fs::metadata(self.history_file(key).ok()?).ok()?;
        Some((m.len(), m.modified().ok()?, m.ino()))
    }

    /// Forgets an array's history (it was deleted, or is being created anew).
    pub fn reset(&self, key: &str) -> Result<()> {
        let file = self.history_file(key)?;
        match fs::remove_file(&file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(format!("cannot remove {}", file.display())).with_source(e)),
        }
    }

    /// Every entry, oldest first; a line cut short by a crash is skipped.
    pub fn read(&self, key: &str) -> Result<Vec<StructureChange>> {
        journal::read_journal(&self.history_file(key)?)
    }
}

/// `wait`, given up a little after the lock bound (the file lock's own wait gives up first,
/// naming the holder; this bounds this process's queue as well).
async fn within_lock_wait<T>(wait: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let bound = crate::backend::lock_wait() + QUEUE_MARGIN;
    tokio::time::timeout(bound, wait).await.unwrap_or_else(|_| {
        Err(Error::conflict(format!(
            "writes to this array have held its lock for over {} s; try again later",
            bound.as_secs()
        )))
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Exclusive,
    Shared,
    /// Exclusive if free now, without waiting.
    Try,
}

/// Opens and flocks `path`; None only in `Mode::Try` when it is held elsewhere.
fn lock_file(dir: &Path, path: &Path, mode: Mode) -> Result<Option<File>> {
    fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display())).with_source(e))?;
    let f = crate::backend::locks::open_lock_file(path)?;
    let failed =
        |e: std::io::Error| Error::io(format!("cannot lock {}", path.display())).with_source(e);
    match mode {
        // Bounded, naming a stopped or hung holder (see `locks`).
        Mode::Exclusive => crate::backend::locks::wait_for_lock(f, path, true).map(Some),
        Mode::Shared => crate::backend::locks::wait_for_lock(f, path, false).map(Some),
        Mode::Try => match f.try_lock() {
            Ok(()) => Ok(Some(f)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(failed(e)),
        },
    }
}

impl TiledBackend {
    /// Journals on a path that already reports an error: a journal failure is logged, so it
    /// does not hide the diagnosis.
    pub(super) fn journal_quietly(
        &self,
        key: &str,
        path: &str,
        cause: Cause,
        old: Option<&[u64]>,
        new: Option<&[u64]>,
    ) {
        if let Err(e) = self.journal(key, path, cause, old, new) {
            tracing::warn!(
                "cannot record the change of '{path}' in the history: {}",
                e.chain()
            );
        }
    }

    /// Appends one structure change to the array's journal; returns the entry.
    pub(super) fn journal(
        &self,
        key: &str,
        path: &str,
        cause: Cause,
        old: Option<&[u64]>,
        new: Option<&[u64]>,
    ) -> Result<StructureChange> {
        let mut entry = journal::entry(cause, old, new);
        if cause == Cause::Observed {
            // Another client made the change and Tiled does not say who: this user only saw it.
            entry.actor.clear();
        }
        self.state.append(key, &self.label(path), &entry)?;
        Ok(entry)
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
        // In-bounds writers share the array; an exclusive one waits for them.
        let mut a = s.lock_shared(&k).await.unwrap();
        s.lock_stripes(&mut a, &k, [1, 5].into()).await.unwrap();
        let mut b = s.lock_shared(&k).await.unwrap();
        s.lock_stripes(&mut b, &k, [2].into()).await.unwrap();
        assert!(s.try_lock(&k).is_none());
        drop((a, b));
        assert!(s.try_lock(&k).is_some());
    }

    #[tokio::test]
    async fn writers_of_the_same_chunk_stripe_take_turns() {
        let t = tempfile::tempdir().unwrap();
        let s = ClientState::new(Some(t.path().join("d")), Some(t.path().join("c")));
        let k = key("http://h:1/", "a");
        let mut first = s.lock_shared(&k).await.unwrap();
        s.lock_stripes(&mut first, &k, [3, 7].into()).await.unwrap();
        let s2 = s.clone();
        let k2 = k.clone();
        let second = tokio::spawn(async move {
            let mut l = s2.lock_shared(&k2).await?;
            s2.lock_stripes(&mut l, &k2, [7].into()).await.map(|_| l)
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !second.is_finished(),
            "stripe 7 is held: the second writer must wait"
        );
        drop(first);
        let got = tokio::time::timeout(Duration::from_secs(5), second).await;
        assert!(got.unwrap().unwrap().is_ok());
    }
}
