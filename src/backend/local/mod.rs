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
//! - `rollback`: present only while a failed grow is being undone (`check` finishes it if the
//!   rollback failed too).
//!
//! `zarr.json` and chunks are always replaced atomically (temp file + rename), so a reader or a
//! crash never sees half a file. Temp files are `<name>.<pid>.<random>.tmp`, made new
//! (`O_EXCL|O_NOFOLLOW`): a file planted under a guessed name is never written through. Inside
//! an array no symlink is followed: `confine` refuses them (and chunks that are not regular
//! files) for every read and write, and `check` reports them. Whether each file is also fsynced before it is published is
//! the store's [`Durability`] (fsync by default; `EXTENT_DURABILITY=atomic` to skip it).
//!
//! An extend patch publishes the new shape (zarr.json, then the journal) before any chunk: a
//! crash in between leaves fill values, never data past the edge. Whole chunks are encoded and
//! written to their temp files while the shape is being committed (on another thread), and
//! renamed into place once it is.
//!
//! The files of this folder: `durable` (atomic files, fsync batching), `meta` (zarr.json and
//! shape commits), `nodes` (create, list, read, delete, history), `write` (patches), `resize`,
//! `chunks` (chunk keys and files), `consolidated` (zarr-python's consolidated metadata kept
//! up to date), `confine` (no symlink followed inside an array), `check` and
//! `findings`, `listing` (cached group listings), `watch`.

mod broken;
mod check;
mod chunks;
mod confine;
mod consolidated;
mod durable;
mod findings;
mod inventory;
mod listing;
mod meta;
mod nodes;
mod resize;
mod watch;
mod write;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use zarrs::filesystem::FilesystemStore;
use zarrs::storage::storage_adapter::atomic_write::AtomicWriteStorageAdapter;

use durable::write_json_atomic;
pub use durable::Durability;
use listing::ListingCache;
use meta::group_meta;
use write::BufferPool;

use super::{
    ArrayData, ArrayInfo, Backend, Capabilities, Cause, ChunkMap, CreateRequest, Error, ErrorKind,
    Finding, FindingCode, Page, Repair, Result, Selection, StructureChange, WatchReceiver,
};

type Store = AtomicWriteStorageAdapter<FilesystemStore>;

/// extent's own attribute key in `zarr.json` (per-axis resizable flags).
const EXTENT_ATTR: &str = "extent";
const META: &str = "zarr.json";
const EXTENT_DIR: &str = ".extent";
/// The structure journal, in [`EXTENT_DIR`].
const JOURNAL: &str = "history.jsonl";

/// Whole-chunk bytes above which a growing patch encodes chunks on one thread while the
/// shape is committed on another (below it, a thread costs more than it saves).
const OVERLAP_BYTES: u64 = 1 << 20;

/// A Zarr v3 directory store on the local disk.
#[derive(Clone)]
pub struct LocalBackend {
    inner: Arc<Inner>,
}

/// The store's state, shared with the blocking tasks that do the work.
struct Inner {
    root: PathBuf,
    store: Arc<Store>,
    durability: Durability,
    buffers: BufferPool,
    listings: ListingCache,
    /// Chunk directories' listings, read again only when a directory changes.
    chunk_dirs: std::sync::Mutex<chunks::DirListings>,
}

impl LocalBackend {
    /// Opens an existing store directory (it must hold a root `zarr.json` or be empty).
    pub fn open(root: impl AsRef<Path>) -> Result<LocalBackend> {
        let root = root.as_ref();
        if !root.is_dir() {
            return Err(Error::not_found(format!(
                "local store '{}' does not exist",
                root.display()
            ))
            .with_repair(Repair::CreateStore {
                store: root.display().to_string(),
            }));
        }
        Self::open_dir(root)
    }

    /// Opens a store directory, creating it (and its root group) when missing.
    pub fn open_or_create(root: impl AsRef<Path>) -> Result<LocalBackend> {
        let root = root.as_ref();
        fs::create_dir_all(root).map_err(|e| {
            Error::io(format!("cannot create store '{}'", root.display())).with_source(e)
        })?;
        let b = Self::open_dir(root)?;
        // A v3 root would hide a Zarr v2 hierarchy from zarr-python: refused.
        if let Some(e) = meta::zarr_v2(&b.inner.root, "") {
            return Err(e);
        }
        if !root.join(META).exists() {
            write_json_atomic(&root.join(META), &group_meta(), b.inner.durability)?;
        }
        Ok(b)
    }

    fn open_dir(root: &Path) -> Result<LocalBackend> {
        let root = root.canonicalize().map_err(|e| {
            Error::io(format!("cannot open store '{}'", root.display())).with_source(e)
        })?;
        let fs_store = FilesystemStore::new(&root).map_err(|e| {
            Error::io(format!("cannot open store '{}'", root.display())).with_source(e)
        })?;
        Ok(LocalBackend {
            inner: Arc::new(Inner {
                root,
                store: Arc::new(AtomicWriteStorageAdapter::new(Arc::new(fs_store))),
                durability: Durability::from_env()?,
                buffers: BufferPool::default(),
                listings: ListingCache::default(),
                chunk_dirs: Default::default(),
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
                chunk_dirs: Default::default(),
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
            .map_err(|e| Error::io("internal task failed").with_source(e))?
    }
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

    async fn check(&self, path: &str) -> Result<Vec<Finding>> {
        let path = path.to_string();
        self.run(move |s| match check::check(s, &path, false) {
            // What cannot be read (a chunk directory, the journal) is a finding, so that a
            // check of the whole store goes on to the next node.
            Err(e) if e.kind == ErrorKind::Io => Ok(vec![Finding::new(
                &path,
                FindingCode::Unreadable,
                format!("could not be checked: {}", e.chain()),
                None,
            )]),
            r => r,
        })
        .await
    }

    async fn repair(&self, path: &str) -> Result<Vec<Finding>> {
        let path = path.to_string();
        self.run(move |s| check::check(s, &path, true)).await
    }

    async fn watch(&self, path: &str) -> Result<WatchReceiver> {
        let path = path.to_string();
        let inner = self.inner.clone();
        // Fail now on a bad path; a missing array is fine (it may be created later).
        inner.node_dir(&path)?;
        Ok(watch::spawn(inner, path))
    }
}
