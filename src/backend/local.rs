//! A local Zarr v3 directory store, through `zarrs`, with the locking zarrs does not do.
//!
//! Layout: every node is a directory with a `zarr.json`; chunks are `c/i/j` (or `c.i.j`).
//! extent keeps its own files beside the chunks in `<array>/.extent/`:
//! - `lock`: the per-array lock. Shape changes hold it exclusively (and re-read the metadata);
//!   in-bounds data writes hold it shared.
//! - `chunk-locks/NN`: per-chunk locks, striped over a fixed number of files, held around a
//!   chunk's read-modify-write. `flock` locks are per open file, so they exclude threads of one
//!   process as well as other processes.
//! - `history.jsonl`: the structure journal, one JSON object per line.
//!
//! `zarr.json` and chunks are always replaced atomically (temp file + rename), so a reader or a
//! crash never sees half a file. Whether each file is also fsynced before it is published is
//! the store's [`Durability`] (fsync by default; `EXTENT_DURABILITY=atomic` to skip it).
//!
//! An extend patch publishes the new shape (zarr.json, then the journal) before any chunk: a
//! crash in between leaves fill values, never data past the edge. Whole chunks are encoded and
//! written to their temp files while the shape is being committed (on another thread), and
//! renamed into place once it is.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use rayon::prelude::*;
use serde_json::{json, Value};
use zarrs::array::{
    Array, ArrayBytes, ArrayMetadata, ArrayMetadataV3, ArraySubset, ArrayToBytesCodecTraits,
    ChunkShape, CodecOptions,
};
use zarrs::filesystem::FilesystemStore;
use zarrs::storage::storage_adapter::atomic_write::AtomicWriteStorageAdapter;

use super::data::copy_box;
use super::local_listing::ListingCache;
use super::lockfile::box_indices;
use super::{
    actor, fmt_shape, now_rfc3339, plan_patch, plan_resize, scalar_bytes, validate_path, ArrayData,
    ArrayInfo, Backend, Capabilities, Cause, ChunkMap, ChunkState, CreateRequest, DType, Error,
    NodeEntry, NodeKind, Page, Result, Selection, StructureChange,
};

type Store = AtomicWriteStorageAdapter<FilesystemStore>;

/// Number of striped chunk-lock files per array.
const CHUNK_LOCK_STRIPES: u64 = 64;
/// extent's own attribute key in `zarr.json` (per-axis resizable flags).
const EXTENT_ATTR: &str = "extent";
const META: &str = "zarr.json";
const EXTENT_DIR: &str = ".extent";

/// Whole-chunk bytes above which a growing patch encodes chunks on one thread while the
/// shape is committed on another (below it, a thread costs more than it saves).
const OVERLAP_BYTES: u64 = 1 << 20;

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

    fn fsync(self) -> bool {
        self == Durability::Fsync
    }
}

/// A Zarr v3 directory store on the local disk.
#[derive(Clone)]
pub struct LocalBackend {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    root: PathBuf,
    store: Arc<Store>,
    durability: Durability,
    buffers: BufferPool,
    listings: ListingCache,
}

/// A few patch-sized buffers kept between patches (at most [`BufferPool::MAX_BUFFERS`], none
/// above [`BufferPool::MAX_BYTES`]).
#[derive(Default)]
struct BufferPool(std::sync::Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    const MAX_BUFFERS: usize = 4;
    const MAX_BYTES: usize = 32 << 20;

    /// An empty buffer with room for `len` bytes, recycled when one is at hand.
    fn take(&self, len: usize) -> Vec<u8> {
        let mut pool = lock_set(&self.0);
        match pool.iter().position(|b| b.capacity() >= len) {
            Some(i) => pool.swap_remove(i),
            None => Vec::with_capacity(len),
        }
    }

    fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() > Self::MAX_BYTES {
            return;
        }
        buf.clear();
        let mut pool = lock_set(&self.0);
        if pool.len() < Self::MAX_BUFFERS {
            pool.push(buf);
        }
    }
}

impl LocalBackend {
    /// Opens an existing store directory (it must hold a root `zarr.json` or be empty).
    pub fn open(root: impl AsRef<Path>) -> Result<LocalBackend> {
        let root = root.as_ref();
        if !root.is_dir() {
            return Err(Error::not_found(format!(
                "local store '{}' does not exist (create it with `extent --store {} create ...`)",
                root.display(),
                root.display()
            )));
        }
        Self::open_dir(root)
    }

    /// Opens a store directory, creating it (and its root group) when missing.
    pub fn open_or_create(root: impl AsRef<Path>) -> Result<LocalBackend> {
        let root = root.as_ref();
        fs::create_dir_all(root)
            .map_err(|e| Error::io(format!("cannot create store '{}': {e}", root.display())))?;
        let b = Self::open_dir(root)?;
        if !root.join(META).exists() {
            write_json_atomic(&root.join(META), &group_meta(), b.inner.durability)?;
        }
        Ok(b)
    }

    fn open_dir(root: &Path) -> Result<LocalBackend> {
        let root = root
            .canonicalize()
            .map_err(|e| Error::io(format!("cannot open store '{}': {e}", root.display())))?;
        let fs_store = FilesystemStore::new(&root)
            .map_err(|e| Error::io(format!("cannot open store '{}': {e}", root.display())))?;
        Ok(LocalBackend {
            inner: Arc::new(Inner {
                root,
                store: Arc::new(AtomicWriteStorageAdapter::new(Arc::new(fs_store))),
                durability: Durability::from_env()?,
                buffers: BufferPool::default(),
                listings: ListingCache::default(),
            }),
        })
    }

    /// The same store with another durability (the default comes from `EXTENT_DURABILITY`).
    pub fn with_durability(self, durability: Durability) -> LocalBackend {
        LocalBackend {
            inner: Arc::new(Inner {
                root: self.inner.root.clone(),
                store: self.inner.store.clone(),
                durability,
                buffers: BufferPool::default(),
                listings: ListingCache::default(),
            }),
        }
    }

    /// How writes are made durable.
    pub fn durability(&self) -> Durability {
        self.inner.durability
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| Error::io(format!("internal task failed: {e}")))?
    }
}

fn group_meta() -> Value {
    json!({"zarr_format": 3, "node_type": "group", "attributes": {}})
}

/// Writes JSON to `path` atomically: a unique temp file beside it, (fsync,) rename(, fsync dir).
fn write_json_atomic(path: &Path, value: &Value, durability: Durability) -> Result<()> {
    replace_json(path, value, durability)?;
    if durability.fsync() {
        sync_dir(path.parent().unwrap_or(Path::new("."))).map_err(|e| {
            Error::io(format!(
                "cannot sync the directory of {}: {e}",
                path.display()
            ))
        })?;
    }
    Ok(())
}

/// [`write_json_atomic`] without the directory's fsync (the caller does it).
fn replace_json(path: &Path, value: &Value, durability: Durability) -> Result<()> {
    let text = serde_json::to_vec_pretty(value).map_err(|e| Error::io(e.to_string()))?;
    let tmp = path.with_extension(format!(
        "json.{}.{}.tmp",
        std::process::id(),
        unique_suffix()
    ));
    let result = write_temp(&tmp, &text, durability).and_then(|_| fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(format!("cannot write {}: {e}", path.display())));
    }
    Ok(())
}

/// Writes a whole temp file (truncating a leftover); fsynced under [`Durability::Fsync`].
fn write_temp(tmp: &Path, bytes: &[u8], durability: Durability) -> std::io::Result<()> {
    let mut f = File::create(tmp)?;
    f.write_all(bytes)?;
    if durability.fsync() {
        f.sync_data()?;
    }
    Ok(())
}

/// Makes the entries of a directory (creations, renames, removals) durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
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
                    .map_err(|e| Error::io(format!("cannot sync {}: {e}", d.display())))
            })
        })?;
    }
    Ok(())
}

/// A file written but not yet fsynced (`file` is `None` when the store does not fsync).
struct PendingSync {
    file: Option<File>,
    path: PathBuf,
}

impl PendingSync {
    fn sync(self) -> Result<()> {
        match self.file {
            Some(f) => f
                .sync_data()
                .map_err(|e| Error::io(format!("cannot sync {}: {e}", self.path.display()))),
            None => Ok(()),
        }
    }
}

/// Creates `dir` and its missing parents; records in `changed` each directory that gained an
/// entry (to be fsynced under [`Durability::Fsync`]).
fn ensure_dir(dir: &Path, changed: &mut Vec<PathBuf>) -> std::io::Result<()> {
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

/// The user@host written in the journal; looked up once per process (it reads /proc and
/// /etc/passwd, which a patch per frame should not).
fn cached_actor() -> String {
    static ACTOR: OnceLock<String> = OnceLock::new();
    ACTOR.get_or_init(actor).clone()
}

fn unique_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    t ^ (N.fetch_add(1, Ordering::Relaxed) << 32)
}

/// A held file lock; released on drop (closing the file releases the flock).
pub(super) struct FileLock(#[allow(dead_code)] File);

fn lock_file(path: &Path, exclusive: bool) -> Result<FileLock> {
    let f = super::lockfile::open_lock_file(path)?;
    let r = if exclusive { f.lock() } else { f.lock_shared() };
    r.map_err(|e| Error::io(format!("cannot lock {}: {e}", path.display())))?;
    Ok(FileLock(f))
}

fn zarrs_err(what: &str) -> impl Fn(zarrs::array::ArrayError) -> Error + '_ {
    move |e| Error::io(format!("{what}: {e}"))
}

impl Inner {
    /// The directory of a node, refusing paths that escape the store (`..`, symlinks).
    pub(super) fn node_dir(&self, path: &str) -> Result<PathBuf> {
        if path.is_empty() {
            return Ok(self.root.clone());
        }
        validate_path(path)?;
        let dir = self.root.join(path);
        // A symlink anywhere on the way could point outside the store.
        let mut p = self.root.clone();
        for part in path.split('/') {
            p.push(part);
            if let Ok(m) = fs::symlink_metadata(&p) {
                if m.file_type().is_symlink() {
                    let target = p.canonicalize().map_err(|_| {
                        Error::invalid_input(format!("'{path}' is a dangling symlink"))
                    })?;
                    if !target.starts_with(&self.root) {
                        return Err(Error::invalid_input(format!(
                            "'{path}' is a symlink that leads outside the store; refused"
                        )));
                    }
                }
            }
        }
        Ok(dir)
    }

    pub(super) fn read_meta(&self, path: &str) -> Result<Value> {
        let dir = self.node_dir(path)?;
        let file = dir.join(META);
        let text = match fs::read(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::not_found(if path.is_empty() {
                    format!(
                        "'{}' is not a Zarr v3 store (no zarr.json)",
                        self.root.display()
                    )
                } else {
                    format!("no array or group '{path}' in this store")
                }));
            }
            Err(e) => return Err(Error::io(format!("cannot read {}: {e}", file.display()))),
        };
        serde_json::from_slice(&text).map_err(|e| {
            Error::io(format!(
                "the metadata of '{path}' ({}) is not valid JSON: {e}; run `extent check {path}`",
                file.display()
            ))
        })
    }

    pub(super) fn info(&self, path: &str) -> Result<ArrayInfo> {
        let meta = self.read_meta(path)?;
        info_from_meta(path, &meta)
    }

    pub(super) fn open_array(&self, path: &str) -> Result<Array<Store>> {
        Array::open(self.store.clone(), &format!("/{path}"))
            .map_err(|e| Error::io(format!("cannot open array '{path}': {e}")))
    }

    /// The zarrs array of metadata the caller already read (under its lock): one read of
    /// `zarr.json` per patch serves the plan, the chunk codecs and the shape rewrite.
    fn array_from_meta(&self, path: &str, meta: &Value) -> Result<Array<Store>> {
        let v3: ArrayMetadataV3 = serde_json::from_value(meta.clone())
            .map_err(|e| Error::io(format!("the metadata of '{path}' is not Zarr v3: {e}")))?;
        Array::new_with_metadata(
            self.store.clone(),
            &format!("/{path}"),
            ArrayMetadata::V3(v3),
        )
        .map_err(|e| Error::io(format!("cannot open array '{path}': {e}")))
    }

    pub(super) fn extent_dir(&self, path: &str) -> Result<PathBuf> {
        Ok(self.node_dir(path)?.join(EXTENT_DIR))
    }

    pub(super) fn array_lock(&self, path: &str, exclusive: bool) -> Result<FileLock> {
        lock_file(&self.extent_dir(path)?.join("lock"), exclusive)
    }

    pub(super) fn journal(
        &self,
        path: &str,
        cause: Cause,
        old: Option<&[u64]>,
        new: Option<&[u64]>,
    ) -> Result<()> {
        self.journal_unsynced(path, cause, old, new)?.sync()
    }

    /// Appends to the journal; the caller syncs (possibly alongside other fsyncs).
    fn journal_unsynced(
        &self,
        path: &str,
        cause: Cause,
        old: Option<&[u64]>,
        new: Option<&[u64]>,
    ) -> Result<PendingSync> {
        let entry = StructureChange {
            time: now_rfc3339(),
            actor: cached_actor(),
            cause,
            old_shape: old.map(|s| s.to_vec()),
            new_shape: new.map(|s| s.to_vec()),
        };
        let dir = self.extent_dir(path)?;
        fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("cannot create {}: {e}", dir.display())))?;
        let mut line = serde_json::to_vec(&entry).map_err(|e| Error::io(e.to_string()))?;
        line.push(b'\n');
        let file = dir.join("history.jsonl");
        // One write of a short line with O_APPEND: concurrent appends do not interleave.
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .map_err(|e| Error::io(format!("cannot open {}: {e}", file.display())))?;
        f.write_all(&line)
            .map_err(|e| Error::io(format!("cannot write {}: {e}", file.display())))?;
        Ok(PendingSync {
            file: self.durability.fsync().then_some(f),
            path: file,
        })
    }

    /// Rewrites the shape in `zarr.json`, keeping every other field as it was. Under
    /// [`Durability::Fsync`] the caller then makes the rename durable with [`Self::sync_node`].
    fn write_shape(&self, path: &str, shape: &[u64]) -> Result<()> {
        let mut meta = self.read_meta(path)?;
        meta["shape"] = json!(shape);
        replace_json(&self.node_dir(path)?.join(META), &meta, self.durability)
    }

    /// Publishes a growing patch's shape (`new_meta`, read under the exclusive lock with the
    /// new shape set): zarr.json, then the journal; under [`Durability::Fsync`] the journal's
    /// fsync and the directory's (for the rename) run at once. A failed journal puts the old
    /// shape back.
    fn commit_shape(&self, path: &str, old: &[u64], new: &[u64], new_meta: &Value) -> Result<()> {
        replace_json(&self.node_dir(path)?.join(META), new_meta, self.durability)?;
        let pending = match self.journal_unsynced(path, Cause::Patch, Some(old), Some(new)) {
            Ok(p) => p,
            Err(e) => {
                let _ = self.write_shape(path, old);
                return Err(e);
            }
        };
        let (journal, dir) = if self.durability.fsync() {
            std::thread::scope(|s| {
                let dir = s.spawn(|| self.sync_node(path));
                let journal = pending.sync();
                let dir = dir
                    .join()
                    .unwrap_or_else(|_| Err(Error::io("a directory fsync panicked")));
                (journal, dir)
            })
        } else {
            (Ok(()), Ok(()))
        };
        if let Err(e) = journal {
            let _ = self.write_shape(path, old);
            return Err(e);
        }
        dir
    }

    /// Under [`Durability::Fsync`], fsyncs a node's directory (its `zarr.json` entry).
    fn sync_node(&self, path: &str) -> Result<()> {
        if !self.durability.fsync() {
            return Ok(());
        }
        let dir = self.node_dir(path)?;
        sync_dir(&dir).map_err(|e| Error::io(format!("cannot sync {}: {e}", dir.display())))
    }

    fn ensure_parent_groups(&self, path: &str) -> Result<()> {
        if !self.root.join(META).exists() {
            write_json_atomic(&self.root.join(META), &group_meta(), self.durability)?;
        }
        let parts: Vec<&str> = path.split('/').collect();
        for i in 1..parts.len() {
            let p = parts[..i].join("/");
            match self.read_meta(&p) {
                Ok(m) if m["node_type"] == "group" => {}
                Ok(_) => {
                    return Err(Error::invalid_input(format!(
                        "cannot create '{path}': '{p}' is an array, not a group"
                    )))
                }
                Err(e) if e.kind == super::ErrorKind::NotFound => {
                    let dir = self.node_dir(&p)?;
                    fs::create_dir_all(&dir)
                        .map_err(|e| Error::io(format!("cannot create {}: {e}", dir.display())))?;
                    write_json_atomic(&dir.join(META), &group_meta(), self.durability)?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn create(&self, req: &CreateRequest) -> Result<ArrayInfo> {
        req.validate()?;
        let path = req.path.as_str();
        let dir = self.node_dir(path)?;
        if dir.join(META).exists() {
            return Err(Error::already_exists(format!(
                "'{path}' already exists; choose another path or delete it first"
            )));
        }
        self.ensure_parent_groups(path)?;
        let meta = json!({
            "zarr_format": 3,
            "node_type": "array",
            "shape": req.shape,
            "data_type": req.dtype.name(),
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": req.chunks}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": fill_json(req.dtype, &req.fill_value)?,
            "codecs": [
                {"name": "bytes", "configuration": {"endian": "little"}},
                {"name": "zstd", "configuration": {"level": 1, "checksum": false}}
            ],
            "attributes": attributes_with_resizable(&req.metadata, &req.resizable),
        });
        let existed = dir.exists();
        fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("cannot create {}: {e}", dir.display())))?;
        // A failed create (a full disk, say) leaves no half-made array: the directory goes
        // if this call made it.
        let undo = |e: Error| {
            if !existed {
                let _ = fs::remove_dir_all(&dir);
            }
            e
        };
        // Publish with a hard link: it fails if another creator got there first.
        let tmp = dir.join(format!(
            "zarr.json.{}.{}.tmp",
            std::process::id(),
            unique_suffix()
        ));
        let text = serde_json::to_vec_pretty(&meta).map_err(|e| Error::io(e.to_string()))?;
        if let Err(e) = write_temp(&tmp, &text, self.durability) {
            let _ = fs::remove_file(&tmp);
            return Err(undo(Error::io(format!(
                "cannot write {}: {e}",
                tmp.display()
            ))));
        }
        let linked = fs::hard_link(&tmp, dir.join(META));
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::already_exists(format!("'{path}' already exists")))
            }
            Err(e) => return Err(undo(Error::io(format!("cannot create '{path}': {e}")))),
        }
        self.journal(path, Cause::Create, None, Some(&req.shape))
            .map_err(|e| undo(e.context(format!("creating '{path}' failed and was undone"))))?;
        if self.durability.fsync() {
            // The new directories and their first entries.
            let parent = dir.parent().unwrap_or(&self.root);
            for d in [dir.join(EXTENT_DIR).as_path(), &dir, parent] {
                sync_dir(d).map_err(|e| Error::io(format!("cannot sync {}: {e}", d.display())))?;
            }
        }
        let info = info_from_meta(path, &meta)?;
        if let Some(data) = &req.data {
            let zeros = vec![0; req.shape.len()];
            let written = self
                .array_from_meta(path, &meta)
                .and_then(|array| self.write_region(path, &array, &info, &zeros, data, false));
            if let Err(e) = written {
                // Creation is all or nothing.
                let _ = fs::remove_dir_all(&dir);
                return Err(e.context(format!("creating '{path}' failed and was undone")));
            }
        }
        Ok(info)
    }

    /// Writes `data` at `offset` chunk by chunk (in parallel). With `chunk_locks`, each chunk's
    /// read-modify-write holds its chunk lock (callers holding the array lock exclusively skip it).
    fn write_region(
        &self,
        path: &str,
        array: &Array<Store>,
        info: &ArrayInfo,
        offset: &[u64],
        data: &ArrayData,
        chunk_locks: bool,
    ) -> Result<()> {
        self.write_region_after(path, array, info, offset, data, chunk_locks, None)
            .map_err(RegionError::into_inner)
    }

    /// [`Self::write_region`] that first runs `commit` (the shape change of a growing patch):
    /// no chunk is published before it succeeded. Meanwhile the chunks the patch covers whole
    /// are encoded and written to their temp files (on this thread, `commit` on another when the
    /// work is worth a thread). Only for callers that hold the array lock exclusively.
    #[allow(clippy::too_many_arguments)]
    fn write_region_after(
        &self,
        path: &str,
        array: &Array<Store>,
        info: &ArrayInfo,
        offset: &[u64],
        data: &ArrayData,
        chunk_locks: bool,
        commit: Option<&(dyn Fn() -> Result<()> + Sync)>,
    ) -> std::result::Result<(), RegionError> {
        let committed = |r: Result<()>| r.map_err(RegionError::Commit);
        if data.is_empty() {
            return committed(commit.map_or(Ok(()), |c| c()));
        }
        let before = |e: Error| RegionError::Write(e);
        let fill = scalar_bytes(info.dtype, &info.fill_value).map_err(before)?;
        let parts = chunk_parts(info, offset, &data.shape);
        let changed_dirs = std::sync::Mutex::new(BTreeSet::new());
        let lock_dir = self.extent_dir(path).map_err(before)?.join("chunk-locks");
        // One chunk from image to published file, under its lock when asked.
        let whole_write = |part: &ChunkPart| -> Result<()> {
            let _lock = if chunk_locks {
                Some(lock_file(
                    &lock_dir.join(chunk_stripe(&part.chunk).to_string()),
                    true,
                )?)
            } else {
                None
            };
            let image = self.chunk_image(array, info, part, data, &fill)?;
            let staged = self.stage_chunk(array, info, part, image)?;
            self.publish_chunk(&staged, &changed_dirs)
        };
        if commit.is_none() || chunk_locks {
            committed(commit.map_or(Ok(()), |c| c()))?;
            parts
                .par_iter()
                .try_for_each(whole_write)
                .map_err(RegionError::Write)?;
            return self.sync_dirs(changed_dirs).map_err(RegionError::Write);
        }
        let commit = commit.unwrap_or(&|| Ok(()));
        let (covering, partial): (Vec<&ChunkPart>, Vec<&ChunkPart>) =
            parts.iter().partition(|p| p.covers);
        let stage_all = || -> Vec<Result<Staged>> {
            covering
                .par_iter()
                .map(|part| {
                    let image = self.chunk_image(array, info, part, data, &fill)?;
                    self.stage_chunk(array, info, part, image)
                })
                .collect()
        };
        let covering_bytes =
            covering.len() as u64 * info.chunks.iter().product::<u64>() * info.dtype.size() as u64;
        // Under fsync the commit waits on the disk for milliseconds: always worth overlapping.
        let overlap =
            !covering.is_empty() && (self.durability.fsync() || covering_bytes >= OVERLAP_BYTES);
        let (commit_result, staged) = if overlap {
            std::thread::scope(|s| {
                let handle = s.spawn(commit);
                let staged = stage_all();
                let result = handle
                    .join()
                    .unwrap_or_else(|_| Err(Error::io("the shape commit panicked")));
                (result, staged)
            })
        } else {
            match commit() {
                Ok(()) => (Ok(()), stage_all()),
                Err(e) => return Err(RegionError::Commit(e)),
            }
        };
        let discard = |staged: &[Result<Staged>]| {
            for s in staged.iter().flatten() {
                if let Staged::Write { tmp, .. } = s {
                    let _ = fs::remove_file(tmp);
                }
            }
        };
        if let Err(e) = commit_result {
            discard(&staged);
            return Err(RegionError::Commit(e));
        }
        let (staged, failed): (Vec<Result<Staged>>, Vec<_>) =
            staged.into_iter().partition(|s| s.is_ok());
        if let Some(Err(e)) = failed.into_iter().next() {
            discard(&staged);
            return Err(RegionError::Write(e));
        }
        let published = staged
            .par_iter()
            .flatten()
            .try_for_each(|s| self.publish_chunk(s, &changed_dirs))
            .and_then(|_| partial.par_iter().try_for_each(|p| whole_write(p)));
        if let Err(e) = published {
            discard(&staged);
            return Err(RegionError::Write(e));
        }
        self.sync_dirs(changed_dirs).map_err(RegionError::Write)
    }

    /// The full new content of one chunk: the patch's own bytes when they are the whole chunk
    /// (no copy), else the fill value or the stored chunk (read-modify-write) with the patch
    /// copied in.
    fn chunk_image<'d>(
        &self,
        array: &Array<Store>,
        info: &ArrayInfo,
        part: &ChunkPart,
        data: &'d ArrayData,
        fill: &[u8],
    ) -> Result<Cow<'d, [u8]>> {
        let elem = info.dtype.size();
        if part.covers && part.count == info.chunks {
            if let Some(range) = contiguous_range(&data.shape, &part.in_data, &part.count, elem) {
                return Ok(Cow::Borrowed(&data.bytes[range]));
            }
        }
        let mut buf = if part.covers {
            // Whole chunk up to the array edge: no read needed; the overhang stays fill.
            let cn: u64 = info.chunks.iter().product();
            fill.repeat(cn as usize)
        } else {
            array
                .retrieve_chunk::<ArrayBytes>(&part.chunk)
                .map_err(zarrs_err("reading a chunk to update it"))?
                .into_fixed()
                .map_err(|e| Error::io(e.to_string()))?
                .into_owned()
        };
        copy_box(
            &data.bytes,
            &data.shape,
            &part.in_data,
            &mut buf,
            &info.chunks,
            &part.in_chunk,
            &part.count,
            elem,
        );
        Ok(Cow::Owned(buf))
    }

    /// Encodes one chunk with the array's codecs and writes it to its temp file (`<key>.tmp`;
    /// the caller holds the chunk's lock or the array's exclusively). A chunk that is all fill
    /// is erased instead (as zarrs does).
    fn stage_chunk(
        &self,
        array: &Array<Store>,
        info: &ArrayInfo,
        part: &ChunkPart,
        image: Cow<'_, [u8]>,
    ) -> Result<Staged> {
        let dst = self.root.join(array.chunk_key(&part.chunk).as_str());
        let bytes = ArrayBytes::new_flen(image);
        if bytes.is_fill_value(array.fill_value()) {
            return Ok(Staged::Erase(dst));
        }
        let shape: ChunkShape = info
            .chunks
            .iter()
            .map(|&c| std::num::NonZeroU64::new(c).ok_or_else(|| Error::io("zero chunk shape")))
            .collect::<Result<_>>()?;
        let encoded = array
            .codecs()
            .encode(
                bytes,
                &shape,
                array.data_type(),
                array.fill_value(),
                &CodecOptions::default(),
            )
            .map_err(|e| Error::io(format!("encoding a chunk: {e}")))?;
        let tmp = PathBuf::from(format!("{}.tmp", dst.display()));
        let io = |e: std::io::Error| Error::io(format!("writing a chunk ({}): {e}", tmp.display()));
        let mut created = Vec::new();
        if let Some(parent) = dst.parent() {
            ensure_dir(parent, &mut created).map_err(io)?;
        }
        if !self.durability.fsync() {
            created.clear();
        }
        // Under fsync: the directories that gained an entry are synced while the temp file is.
        let written = std::thread::scope(|s| {
            let syncs: Vec<_> = created
                .iter()
                .map(|d| s.spawn(move || sync_dir(d)))
                .collect();
            let written = write_temp(&tmp, &encoded, self.durability);
            syncs.into_iter().fold(written, |acc, h| {
                acc.and(
                    h.join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("panicked"))),
                )
            })
        });
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(Staged::Write { tmp, dst })
    }

    /// Renames a staged chunk into place (or erases it); a failed rename removes the temp file.
    fn publish_chunk(
        &self,
        staged: &Staged,
        changed_dirs: &std::sync::Mutex<BTreeSet<PathBuf>>,
    ) -> Result<()> {
        let dst = match staged {
            Staged::Write { tmp, dst } => {
                if let Err(e) = fs::rename(tmp, dst) {
                    let _ = fs::remove_file(tmp);
                    return Err(Error::io(format!(
                        "writing a chunk ({}): {e}",
                        dst.display()
                    )));
                }
                dst
            }
            Staged::Erase(dst) => match fs::remove_file(dst) {
                Ok(()) => dst,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => {
                    return Err(Error::io(format!(
                        "erasing a chunk ({}): {e}",
                        dst.display()
                    )))
                }
            },
        };
        if self.durability.fsync() {
            if let Some(parent) = dst.parent() {
                lock_set(changed_dirs).insert(parent.to_path_buf());
            }
        }
        Ok(())
    }

    /// Under [`Durability::Fsync`], fsyncs every directory whose entries a write changed.
    fn sync_dirs(&self, dirs: std::sync::Mutex<BTreeSet<PathBuf>>) -> Result<()> {
        let dirs = dirs.into_inner().unwrap_or_else(|p| p.into_inner());
        if !self.durability.fsync() {
            return Ok(());
        }
        let dirs: Vec<PathBuf> = dirs.into_iter().collect();
        sync_dirs_at_once(&dirs)
    }

    fn patch(
        &self,
        path: &str,
        offset: &[u64],
        data: &ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo> {
        // Refuse early, before taking any lock or writing anything.
        let info = self.info(path)?;
        let plan = plan_patch(&info, offset, data, extend)?;
        if !plan.grows {
            let _shared = self.array_lock(path, false)?;
            // Re-read: a shrink may have happened since.
            let meta = self.read_meta(path)?;
            let info = info_from_meta(path, &meta)?;
            let plan = plan_patch(&info, offset, data, extend)?;
            if !plan.grows {
                let array = self.array_from_meta(path, &meta)?;
                self.write_region(path, &array, &info, offset, data, true)?;
                return Ok(info);
            }
        }
        let _exclusive = self.array_lock(path, true)?;
        let mut meta = self.read_meta(path)?;
        let old = info_from_meta(path, &meta)?;
        let plan = plan_patch(&old, offset, data, extend)?;
        let mut new = old.clone();
        new.shape = plan.new_shape.clone();
        meta["shape"] = json!(new.shape);
        let array = self.array_from_meta(path, &meta)?;
        // The new shape is published (zarr.json, then the journal) before any chunk.
        let commit = || -> Result<()> {
            if !plan.grows {
                return Ok(());
            }
            self.commit_shape(path, &old.shape, &new.shape, &meta)
        };
        match self.write_region_after(path, &array, &new, offset, data, false, Some(&commit)) {
            Ok(()) => Ok(new),
            Err(RegionError::Commit(e)) => Err(e),
            Err(RegionError::Write(e)) if plan.grows => {
                // Roll the shape back and clear what landed past the old edge.
                let rolled = self
                    .cut_to(path, &new, &old.shape)
                    .and_then(|_| self.write_shape(path, &old.shape))
                    .and_then(|_| {
                        self.journal(path, Cause::Rollback, Some(&new.shape), Some(&old.shape))
                    })
                    .and_then(|_| self.sync_node(path));
                if let Err(r) = rolled {
                    return Err(Error::io(format!(
                        "{e}; rolling the shape back to {} also failed: {r}; run `extent check {path} --repair`",
                        fmt_shape(&old.shape)
                    )));
                }
                Err(e.context(format!(
                    "the write failed and the shape was rolled back to {}",
                    fmt_shape(&old.shape)
                )))
            }
            Err(RegionError::Write(e)) => Err(e),
        }
    }

    fn resize(&self, path: &str, shape: &[u64], cause: Cause) -> Result<ArrayInfo> {
        let info = self.info(path)?;
        plan_resize(&info, shape)?;
        let _exclusive = self.array_lock(path, true)?;
        let old = self.info(path)?;
        plan_resize(&old, shape)?;
        if old.shape == shape {
            return Ok(old);
        }
        let shrinks = old.shape.iter().zip(shape).any(|(o, n)| n < o);
        if shrinks {
            // Erase first: a crash after this point leaves the old shape with fill past the
            // new edge, never stale data that a later grow would bring back.
            self.cut_to(path, &old, shape)?;
        }
        self.write_shape(path, shape)?;
        self.journal(path, cause, Some(&old.shape), Some(shape))?;
        self.sync_node(path)?;
        let mut new = old;
        new.shape = shape.to_vec();
        Ok(new)
    }

    /// Erases every chunk that lies past `edge` and resets to fill the part of the chunks that
    /// straddle it. Caller holds the array lock exclusively.
    pub(super) fn cut_to(&self, path: &str, info: &ArrayInfo, edge: &[u64]) -> Result<()> {
        let array = self.open_array(path)?;
        let n = info.ndim();
        let elem = info.dtype.size();
        let fill = scalar_bytes(info.dtype, &info.fill_value)?;
        let keys = self.chunk_keys(path, info)?;
        keys.par_iter().try_for_each(|chunk| -> Result<()> {
            let origin: Vec<u64> = (0..n).map(|a| chunk[a] * info.chunks[a]).collect();
            if (0..n).any(|a| origin[a] >= edge[a]) {
                return array
                    .erase_chunk(chunk)
                    .map_err(|e| Error::io(format!("erasing a chunk: {e}")));
            }
            let keep: Vec<u64> = (0..n)
                .map(|a| info.chunks[a].min(edge[a] - origin[a]))
                .collect();
            if keep == info.chunks {
                return Ok(());
            }
            let bytes = array
                .retrieve_chunk::<ArrayBytes>(chunk)
                .map_err(zarrs_err("reading a chunk"))?
                .into_fixed()
                .map_err(|e| Error::io(e.to_string()))?;
            let cn: u64 = info.chunks.iter().product();
            let mut buf = fill.repeat(cn as usize);
            let zeros = vec![0; n];
            copy_box(
                &bytes,
                &info.chunks,
                &zeros,
                &mut buf,
                &info.chunks,
                &zeros,
                &keep,
                elem,
            );
            array
                .store_chunk(chunk, ArrayBytes::new_flen(buf))
                .map_err(zarrs_err("clearing a chunk"))
        })
    }

    /// Indices of every chunk stored for an array, from a directory listing (no data read).
    pub(super) fn chunk_keys(&self, path: &str, info: &ArrayInfo) -> Result<Vec<Vec<u64>>> {
        Ok(self
            .chunk_files(path, info)?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// Every stored chunk with a stamp that changes whenever the chunk is rewritten
    /// (atomic writes make a new inode).
    pub(super) fn chunk_files(
        &self,
        path: &str,
        info: &ArrayInfo,
    ) -> Result<Vec<(Vec<u64>, ChunkStamp)>> {
        let meta = self.read_meta(path)?;
        let enc = &meta["chunk_key_encoding"];
        let name = enc["name"].as_str().unwrap_or("default");
        let default_sep = if name == "v2" { "." } else { "/" };
        let sep = enc["configuration"]["separator"]
            .as_str()
            .unwrap_or(default_sep);
        let dir = self.node_dir(path)?;
        let n = info.ndim();
        let mut out = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            let rd = match fs::read_dir(&d) {
                Ok(rd) => rd,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(format!("cannot list {}: {e}", d.display()))),
            };
            for entry in rd.flatten() {
                let p = entry.path();
                let fname = entry.file_name();
                let fname = fname.to_string_lossy();
                if fname.starts_with('.') || fname == META || fname.ends_with(".tmp") {
                    continue;
                }
                let ft = match entry.file_type() {
                    Ok(ft) => ft,
                    Err(_) => continue,
                };
                if ft.is_dir() {
                    stack.push(p);
                    continue;
                }
                let Ok(rel) = p.strip_prefix(&dir) else {
                    continue;
                };
                let key = rel
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                if let Some(idx) = parse_chunk_key(&key, name, sep, n) {
                    let stamp = entry.metadata().map(|m| stamp_of(&m)).unwrap_or_default();
                    out.push((idx, stamp));
                }
            }
        }
        Ok(out)
    }

    fn read(&self, path: &str, selection: Option<&Selection>) -> Result<ArrayData> {
        let info = self.info(path)?;
        let sel = selection
            .cloned()
            .unwrap_or_else(|| Selection::all(&info.shape));
        sel.check_within(&info.shape)?;
        let shape = sel.shape();
        let n = super::checked_elements(&shape)?;
        if n == 0 {
            return ArrayData::new(info.dtype, shape, Vec::new());
        }
        let array = self.open_array(path)?;
        let subset = ArraySubset::new_with_start_shape(sel.start.clone(), shape.clone())
            .map_err(|e| Error::io(e.to_string()))?;
        let bytes = array
            .retrieve_array_subset::<ArrayBytes>(&subset)
            .map_err(zarrs_err(&format!("reading '{path}'")))?
            .into_fixed()
            .map_err(|e| Error::io(e.to_string()))?
            .into_owned();
        ArrayData::new(info.dtype, shape, bytes)
    }

    fn list_page(&self, parent: &str, offset: u64, limit: u64) -> Result<Page> {
        let meta = self.read_meta(parent)?;
        if meta["node_type"] != "group" {
            return Err(Error::invalid_input(format!(
                "'{parent}' is an array, not a group"
            )));
        }
        let dir = self.node_dir(parent)?;
        let names = self
            .listings
            .nodes(&dir, META)
            .map_err(|e| Error::io(format!("cannot list {}: {e}", dir.display())))?;
        let total = names.len() as u64;
        let mut entries = Vec::new();
        for name in names.iter().skip(offset as usize).take(limit as usize) {
            let path = if parent.is_empty() {
                name.clone()
            } else {
                format!("{parent}/{name}")
            };
            let entry = match self.read_meta(&path) {
                Ok(m) if m["node_type"] == "array" => {
                    let info = info_from_meta(&path, &m).ok();
                    NodeEntry {
                        path,
                        kind: NodeKind::Array,
                        shape: info.as_ref().map(|i| i.shape.clone()),
                        dtype: info.map(|i| i.dtype),
                    }
                }
                _ => NodeEntry {
                    path,
                    kind: NodeKind::Group,
                    shape: None,
                    dtype: None,
                },
            };
            entries.push(entry);
        }
        Ok(Page {
            entries,
            total: Some(total),
        })
    }

    fn delete(&self, path: &str) -> Result<()> {
        if path.is_empty() {
            return Err(Error::invalid_input("refusing to delete the store's root"));
        }
        let meta = self.read_meta(path)?;
        let dir = self.node_dir(path)?;
        let _lock = if meta["node_type"] == "array" {
            Some(self.array_lock(path, true)?)
        } else {
            None
        };
        // Unpublish first (so the node is gone atomically), then remove the rest.
        let trash = dir.with_file_name(format!(
            ".deleted-{}-{}",
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            unique_suffix()
        ));
        fs::rename(&dir, &trash).map_err(|e| Error::io(format!("cannot delete '{path}': {e}")))?;
        fs::remove_dir_all(&trash).map_err(|e| {
            Error::io(format!(
                "'{path}' is deleted but {} remains: {e}",
                trash.display()
            ))
        })
    }

    pub(super) fn history(&self, path: &str) -> Result<Vec<StructureChange>> {
        let meta = self.read_meta(path)?;
        if meta["node_type"] != "array" {
            return Err(Error::invalid_input(format!(
                "'{path}' is a group; history is kept per array"
            )));
        }
        super::lockfile::read_journal(&self.extent_dir(path)?.join("history.jsonl"))
    }

    fn chunk_states(&self, path: &str) -> Result<ChunkMap> {
        let info = self.info(path)?;
        let mut map = ChunkMap::for_array(&info, ChunkState::Missing)?;
        for key in self.chunk_keys(path, &info)? {
            if let Some(i) = map.index(&key) {
                map.states[i] = ChunkState::Written;
            }
        }
        Ok(map)
    }
}

/// Identifies one version of a chunk file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ChunkStamp {
    ino: u64,
    mtime_ns: i128,
    len: u64,
}

fn stamp_of(m: &fs::Metadata) -> ChunkStamp {
    use std::os::unix::fs::MetadataExt;
    ChunkStamp {
        ino: m.ino(),
        mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        len: m.len(),
    }
}

fn chunk_stripe(chunk: &[u64]) -> u64 {
    super::lockfile::chunk_stripe(chunk, CHUNK_LOCK_STRIPES)
}

/// Why a region write failed: before its shape change was committed (nothing to undo) or
/// after (the caller rolls the shape back).
enum RegionError {
    Commit(Error),
    Write(Error),
}

impl RegionError {
    fn into_inner(self) -> Error {
        match self {
            RegionError::Commit(e) | RegionError::Write(e) => e,
        }
    }
}

/// A chunk encoded and written to its temp file, or to be erased (all fill), not yet published.
enum Staged {
    Write { tmp: PathBuf, dst: PathBuf },
    Erase(PathBuf),
}

fn lock_set<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How a patch meets one chunk.
#[derive(Debug, PartialEq)]
struct ChunkPart {
    chunk: Vec<u64>,
    /// Where the patch's part starts inside the chunk, and inside the patch.
    in_chunk: Vec<u64>,
    in_data: Vec<u64>,
    count: Vec<u64>,
    /// The patch covers the chunk up to the array's edge: nothing needs to be read.
    covers: bool,
}

/// Every chunk a patch of `data_shape` at `offset` touches (the array's shape includes it).
fn chunk_parts(info: &ArrayInfo, offset: &[u64], data_shape: &[u64]) -> Vec<ChunkPart> {
    let n = info.ndim();
    let first: Vec<u64> = (0..n).map(|a| offset[a] / info.chunks[a]).collect();
    let last: Vec<u64> = (0..n)
        .map(|a| (offset[a] + data_shape[a] - 1) / info.chunks[a])
        .collect();
    box_indices(&first, &last)
        .into_iter()
        .map(|chunk| {
            let origin: Vec<u64> = (0..n).map(|a| chunk[a] * info.chunks[a]).collect();
            // The chunk's part inside the array, and the patch's part inside the chunk.
            let in_array: Vec<u64> = (0..n)
                .map(|a| info.chunks[a].min(info.shape[a] - origin[a]))
                .collect();
            let start: Vec<u64> = (0..n).map(|a| offset[a].max(origin[a])).collect();
            let end: Vec<u64> = (0..n)
                .map(|a| (offset[a] + data_shape[a]).min(origin[a] + info.chunks[a]))
                .collect();
            let count: Vec<u64> = (0..n).map(|a| end[a] - start[a]).collect();
            let in_chunk: Vec<u64> = (0..n).map(|a| start[a] - origin[a]).collect();
            let in_data: Vec<u64> = (0..n).map(|a| start[a] - offset[a]).collect();
            let covers = in_chunk.iter().all(|&s| s == 0) && count == in_array;
            ChunkPart {
                chunk,
                in_chunk,
                in_data,
                count,
                covers,
            }
        })
        .collect()
}

/// The byte range of the box (`start`, `count`) of a C-order block of `shape`, when that box is
/// one contiguous run: every axis after the first one with more than one element is whole.
fn contiguous_range(
    shape: &[u64],
    start: &[u64],
    count: &[u64],
    elem: usize,
) -> Option<std::ops::Range<usize>> {
    let n = shape.len();
    let j = count
        .iter()
        .position(|&c| c > 1)
        .unwrap_or(n.saturating_sub(1));
    if (j + 1..n).any(|a| start[a] != 0 || count[a] != shape[a]) {
        return None;
    }
    let mut lin = 0u64;
    for a in 0..n {
        lin = lin * shape[a] + start[a];
    }
    let len: u64 = count.iter().product();
    let (lin, len) = (lin as usize * elem, len as usize * elem);
    Some(lin..lin + len)
}

fn parse_chunk_key(key: &str, encoding: &str, sep: &str, ndim: usize) -> Option<Vec<u64>> {
    let rest = if encoding == "v2" {
        key.to_string()
    } else {
        let r = key.strip_prefix('c')?;
        if r.is_empty() {
            return (ndim == 0).then(Vec::new);
        }
        r.strip_prefix(sep)?.to_string()
    };
    let parts: Vec<u64> = rest
        .split(sep)
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    (parts.len() == ndim).then_some(parts)
}

fn attributes_with_resizable(metadata: &Value, resizable: &[bool]) -> Value {
    let mut attrs = match metadata {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    attrs.insert(EXTENT_ATTR.into(), json!({"resizable": resizable}));
    Value::Object(attrs)
}

/// The fill value as Zarr v3 writes it for `dtype` (floats as floats, NaN as a string).
fn fill_json(dtype: DType, value: &Value) -> Result<Value> {
    let bytes = scalar_bytes(dtype, value)?;
    Ok(super::element_json(dtype, &bytes))
}

/// Builds the structure from a `zarr.json`, refusing what extent cannot handle.
pub(super) fn info_from_meta(path: &str, meta: &Value) -> Result<ArrayInfo> {
    if meta["node_type"] != "array" {
        return Err(Error::invalid_input(format!(
            "'{path}' is a group, not an array"
        )));
    }
    if meta["zarr_format"] != 3 {
        return Err(Error::unsupported(format!(
            "'{path}' is not a Zarr v3 array"
        )));
    }
    let bad = |what: &str| Error::io(format!("the metadata of '{path}' has an invalid {what}"));
    let shape: Vec<u64> =
        serde_json::from_value(meta["shape"].clone()).map_err(|_| bad("shape"))?;
    let dtype_name = meta["data_type"].as_str().ok_or_else(|| bad("data_type"))?;
    let dtype = DType::parse(dtype_name).map_err(|_| {
        Error::unsupported(format!(
            "'{path}' has data type {dtype_name}, which extent does not handle"
        ))
    })?;
    let grid = &meta["chunk_grid"];
    if grid["name"] != "regular" {
        return Err(Error::unsupported(format!(
            "'{path}' does not use a regular chunk grid; extent handles regular grids only"
        )));
    }
    let chunks: Vec<u64> = serde_json::from_value(grid["configuration"]["chunk_shape"].clone())
        .map_err(|_| bad("chunk shape"))?;
    if chunks.len() != shape.len() || chunks.contains(&0) {
        return Err(bad("chunk shape"));
    }
    let mut metadata = meta["attributes"].clone();
    let mut resizable = vec![true; shape.len()];
    if let Value::Object(m) = &mut metadata {
        if let Some(ext) = m.remove(EXTENT_ATTR) {
            if let Ok(r) = serde_json::from_value::<Vec<bool>>(ext["resizable"].clone()) {
                if r.len() == shape.len() {
                    resizable = r;
                }
            }
        }
    } else {
        metadata = json!({});
    }
    let fill_value = if meta["fill_value"].is_null() {
        json!(0)
    } else {
        meta["fill_value"].clone()
    };
    Ok(ArrayInfo {
        path: path.to_string(),
        shape,
        chunks,
        dtype,
        resizable,
        fill_value,
        metadata,
    })
}

#[async_trait]
impl Backend for LocalBackend {
    fn describe(&self) -> String {
        format!("local:{}", self.inner.root.display())
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            can_shrink: true,
            lists_chunks: true,
            history_in_store: true,
            partial_chunks: true,
            empty_axes: true,
        }
    }

    async fn list_page(&self, parent: &str, offset: u64, limit: u64) -> Result<Page> {
        let parent = parent.to_string();
        self.run(move |s| s.list_page(&parent, offset, limit)).await
    }

    async fn show(&self, path: &str) -> Result<ArrayInfo> {
        let path = path.to_string();
        self.run(move |s| s.info(&path)).await
    }

    async fn create(&self, req: &CreateRequest) -> Result<ArrayInfo> {
        let req = req.clone();
        self.run(move |s| s.create(&req)).await
    }

    async fn read(&self, path: &str, selection: Option<&Selection>) -> Result<ArrayData> {
        let (path, sel) = (path.to_string(), selection.cloned());
        self.run(move |s| s.read(&path, sel.as_ref())).await
    }

    async fn patch(
        &self,
        path: &str,
        offset: &[u64],
        data: &ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo> {
        // The blocking task needs its own copy of the data (the trait lends it); a recycled
        // buffer makes that copy a memcpy instead of a fresh allocation's page faults.
        let mut bytes = self.inner.buffers.take(data.bytes.len());
        bytes.extend_from_slice(&data.bytes);
        let data = ArrayData {
            dtype: data.dtype,
            shape: data.shape.clone(),
            bytes,
        };
        self.patch_owned(path, offset, data, extend).await
    }

    async fn patch_owned(
        &self,
        path: &str,
        offset: &[u64],
        data: ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo> {
        let (path, offset) = (path.to_string(), offset.to_vec());
        self.run(move |s| {
            let result = s.patch(&path, &offset, &data, extend);
            // The buffer is recycled for the next lent patch.
            s.buffers.give(data.bytes);
            result
        })
        .await
    }

    async fn resize(&self, path: &str, shape: &[u64], cause: Cause) -> Result<ArrayInfo> {
        let (path, shape) = (path.to_string(), shape.to_vec());
        self.run(move |s| s.resize(&path, &shape, cause)).await
    }

    async fn delete(&self, path: &str) -> Result<()> {
        let path = path.to_string();
        self.run(move |s| s.delete(&path)).await
    }

    async fn history(&self, path: &str) -> Result<Vec<StructureChange>> {
        let path = path.to_string();
        self.run(move |s| s.history(&path)).await
    }

    async fn chunk_states(&self, path: &str) -> Result<ChunkMap> {
        let path = path.to_string();
        self.run(move |s| s.chunk_states(&path)).await
    }

    async fn check(&self, path: &str) -> Result<Vec<super::Finding>> {
        let path = path.to_string();
        self.run(move |s| super::local_check::check(s, &path, false))
            .await
    }

    async fn repair(&self, path: &str) -> Result<Vec<super::Finding>> {
        let path = path.to_string();
        self.run(move |s| super::local_check::check(s, &path, true))
            .await
    }

    async fn watch(&self, path: &str) -> Result<super::WatchReceiver> {
        let path = path.to_string();
        let inner = self.inner.clone();
        // Fail now on a bad path; a missing array is fine (it may be created later).
        inner.node_dir(&path)?;
        Ok(super::local_watch::spawn(inner, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_keys_parse() {
        assert_eq!(
            parse_chunk_key("c/1/2", "default", "/", 2),
            Some(vec![1, 2])
        );
        assert_eq!(
            parse_chunk_key("c.1.2", "default", ".", 2),
            Some(vec![1, 2])
        );
        assert_eq!(parse_chunk_key("1.2", "v2", ".", 2), Some(vec![1, 2]));
        assert_eq!(parse_chunk_key("c/1", "default", "/", 2), None);
        assert_eq!(parse_chunk_key("c/x/1", "default", "/", 2), None);
    }

    /// Patches of every kind (whole chunks from a contiguous or strided block, chunks clipped
    /// at the edge, read-modify-write, growing or not) against an in-memory model, under both
    /// durabilities.
    #[test]
    fn writes_match_a_model() {
        for durability in [Durability::Atomic, Durability::Fsync] {
            let tmp = tempfile::tempdir().unwrap();
            let b = LocalBackend::open_or_create(tmp.path())
                .unwrap()
                .with_durability(durability);
            let s = &b.inner;
            let (rows, cols) = (9u64, 6u64);
            s.create(&CreateRequest {
                path: "a".into(),
                shape: vec![2, cols],
                chunks: vec![2, 3],
                dtype: DType::UInt16,
                resizable: vec![true, false],
                fill_value: 7.into(),
                metadata: json!({}),
                data: None,
            })
            .unwrap();
            let mut model = vec![7u16; (rows * cols) as usize];
            let mut shape0 = 2u64;
            let mut n = 0u16;
            // (offset, shape): whole chunks, strided, partial, growing past the edge.
            let patches: [([u64; 2], [u64; 2]); 8] = [
                ([0, 0], [2, 6]),
                ([2, 0], [2, 3]),
                ([1, 1], [2, 4]),
                ([4, 0], [4, 6]),
                ([3, 5], [1, 1]),
                ([8, 0], [1, 6]),
                ([6, 3], [3, 3]),
                ([0, 0], [9, 6]),
            ];
            for (off, shp) in patches {
                let mut bytes = Vec::new();
                for r in 0..shp[0] {
                    for c in 0..shp[1] {
                        n = n.wrapping_add(1);
                        bytes.extend(n.to_le_bytes());
                        model[((off[0] + r) * cols + off[1] + c) as usize] = n;
                    }
                }
                let data = ArrayData::new(DType::UInt16, shp.to_vec(), bytes).unwrap();
                let info = s.patch("a", &off, &data, true).unwrap();
                shape0 = shape0.max(off[0] + shp[0]);
                assert_eq!(info.shape, vec![shape0, cols]);
                let got = s.read("a", None).unwrap();
                let want: Vec<u8> = model[..(shape0 * cols) as usize]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect();
                assert_eq!(got.bytes, want, "{durability:?} after patch at {off:?}");
            }
            // A whole chunk of fill values is erased, not stored, and still reads as fill.
            let fill = ArrayData::filled(DType::UInt16, &[2, 3], &7.into()).unwrap();
            s.patch("a", &[0, 0], &fill, false).unwrap();
            assert!(!tmp.path().join("a/c/0/0").exists());
            let got = s.read("a", None).unwrap();
            assert!(got.bytes[..6].chunks(2).all(|v| v == [7, 0]));
            assert!(super::super::local_check::check(s, "a", false)
                .unwrap()
                .is_empty());
            let history = s.history("a").unwrap();
            assert_eq!(history.last().unwrap().new_shape, Some(vec![rows, cols]));
        }
        assert_eq!(Durability::parse(" Atomic").unwrap(), Durability::Atomic);
        assert!(Durability::parse("sometimes").is_err());
    }

    #[test]
    fn contiguous_boxes() {
        // Frames of a (4, 3, 2) block: each is one run; a column is not.
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[1, 0, 0], &[1, 3, 2], 2),
            Some(12..24)
        );
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[1, 0, 0], &[2, 3, 2], 1),
            Some(6..18)
        );
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[0, 1, 1], &[1, 1, 1], 1),
            Some(3..4)
        );
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[0, 1, 0], &[1, 2, 1], 1),
            None
        );
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[0, 0, 0], &[2, 2, 2], 1),
            None
        );
        assert_eq!(contiguous_range(&[], &[], &[], 8), Some(0..8));
    }

    #[test]
    fn boxes() {
        assert_eq!(box_indices(&[0, 1], &[1, 1]), vec![vec![0, 1], vec![1, 1]]);
        assert!(chunk_stripe(&[3, 4]) < CHUNK_LOCK_STRIPES);
    }
}
