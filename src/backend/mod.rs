//! The backend trait, and the re-exports of what every store shares: the domain types
//! (`types.rs`), the write planning (`plan.rs`), the journal, the box geometry.
//!
//! A backend is a catalog of groups and arrays. Arrays are extendable: `patch` writes a block
//! at an offset and, with `extend`, grows the shape to fit. The rules (checked by
//! [`plan_patch`] and [`plan_resize`] before any byte is written) are the same for every
//! backend; the conformance suite in `tests/` proves it.

mod data;
mod dtype;
mod error;
mod events;
pub mod geometry;
mod journal;
pub mod local;
mod locks;
mod node;
mod plan;
mod secret;
mod selection;
pub mod tiled;
mod types;

use async_trait::async_trait;
use serde::Serialize;

pub use data::ArrayData;
pub use dtype::{element_f64, element_json, parse_scalar, scalar_bytes, DType};
pub use error::{Error, ErrorKind, Repair, Result, Source};
pub use events::{
    ChildNews, ChildReceiver, ConnectionState, Event, EventKind, WatchMessage, WatchReceiver,
};
pub use journal::{actor, now_rfc3339};
pub use locks::{lock_wait, set_lock_wait, LockHolder, LockWaitHook, DEFAULT_LOCK_WAIT};
pub use node::{DataOrigin, NodeInfo, Query, TableData, TableInfo};
pub use plan::{
    checked_elements, normalize_path, plan_patch, plan_resize, validate_path, ChunkLoss, PatchPlan,
    ResizePlan,
};
pub use secret::Secret;
pub use selection::{parse_offset, parse_shape, parse_slice, Selection};
pub use types::{
    fmt_shape, ArrayInfo, Cause, ChunkMap, ChunkState, CreateRequest, Finding, FindingCode,
    NodeEntry, NodeError, NodeKind, Page, StructureChange,
};

/// What a store can do, so callers offer only what works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// `resize` can make an axis smaller.
    pub can_shrink: bool,
    /// `chunk_states` reports which chunks hold data (otherwise all are `Unknown`).
    pub lists_chunks: bool,
    /// The store itself keeps the structure history (otherwise extent's journal does).
    pub history_in_store: bool,
    /// `create` takes a shape that is not a whole number of chunks (otherwise it refuses one,
    /// as `invalid_input`, and makes nothing).
    pub partial_chunks: bool,
    /// `create` takes a shape with a zero-length axis, to be extended later (otherwise it
    /// refuses one, as `invalid_input`, and makes nothing).
    pub empty_axes: bool,
}

/// A store of extendable arrays. Every method checks its input before writing anything;
/// a refused call leaves the store unchanged.
#[async_trait]
pub trait Backend: Send + Sync {
    /// A description for people (never contains secrets).
    fn describe(&self) -> String;

    /// What this store can and cannot do.
    fn capabilities(&self) -> Capabilities;

    /// Children of a group (`""` is the root), `limit` at most, from `offset`.
    async fn list_page(&self, parent: &str, offset: u64, limit: u64) -> Result<Page>;

    /// All children of a group, following pages.
    async fn list(&self, parent: &str) -> Result<Vec<NodeEntry>> {
        let mut out = Vec::new();
        loop {
            let page = self.list_page(parent, out.len() as u64, 300).await?;
            let got = page.entries.len();
            out.extend(page.entries);
            let done = got == 0 || page.total.is_some_and(|t| out.len() as u64 >= t);
            if done || (page.total.is_none() && got < 300) {
                return Ok(out);
            }
        }
    }

    /// Every node below `parent`, depth first (groups before their children).
    async fn walk(&self, parent: &str) -> Result<Vec<NodeEntry>> {
        let mut out = Vec::new();
        let mut stack = vec![parent.to_string()];
        while let Some(p) = stack.pop() {
            let mut children = self.list(&p).await?;
            children.sort_by(|a, b| a.path.cmp(&b.path));
            for c in children.into_iter().rev() {
                if c.kind == NodeKind::Group {
                    stack.push(c.path.clone());
                }
                out.push(c);
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The structure of an array.
    async fn show(&self, path: &str) -> Result<ArrayInfo>;

    /// Any node described: an array's structure, a group's metadata and number of children,
    /// a table's columns. The default knows arrays (through `show`) and groups (a listing).
    async fn node(&self, path: &str) -> Result<NodeInfo> {
        match self.show(path).await {
            Ok(info) => Ok(NodeInfo::of_array(info)),
            Err(e) if e.kind == ErrorKind::InvalidInput || e.kind == ErrorKind::NotFound => {
                let Ok(page) = self.list_page(path, 0, 1).await else {
                    return Err(e);
                };
                Ok(NodeInfo {
                    path: path.to_string(),
                    kind: NodeKind::Group,
                    specs: Vec::new(),
                    metadata: serde_json::json!({}),
                    children: page.total,
                    array: None,
                    table: None,
                    origin: None,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// A page of `parent`'s children that match `query`. The default lists the group and
    /// filters by path and metadata; a server searches itself.
    async fn search_page(
        &self,
        parent: &str,
        query: &Query,
        offset: u64,
        limit: u64,
    ) -> Result<Page> {
        let mut hits = Vec::new();
        for entry in self.list(parent).await? {
            let metadata = match entry.kind {
                NodeKind::Broken { .. } => serde_json::Value::Null,
                _ => self
                    .node(&entry.path)
                    .await
                    .map(|n| n.metadata)
                    .unwrap_or_default(),
            };
            if query.matches(&entry.path, &metadata) {
                hits.push(entry);
            }
        }
        let total = hits.len() as u64;
        let entries = hits
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok(Page {
            entries,
            total: Some(total),
        })
    }

    /// All of `parent`'s children that match `query`, following pages.
    async fn search(&self, parent: &str, query: &Query) -> Result<Vec<NodeEntry>> {
        let mut out: Vec<NodeEntry> = Vec::new();
        loop {
            let page = self
                .search_page(parent, query, out.len() as u64, 300)
                .await?;
            let got = page.entries.len();
            out.extend(page.entries);
            if got == 0 || page.total.is_none_or(|t| out.len() as u64 >= t) {
                return Ok(out);
            }
        }
    }

    /// A table's rows (an error for anything else; `unsupported` where tables do not exist).
    async fn read_table(&self, path: &str) -> Result<TableData> {
        Err(Error::unsupported(format!(
            "{} has no tables ('{path}')",
            self.describe()
        )))
    }

    /// Creates an array (parents are created as groups when missing).
    async fn create(&self, req: &CreateRequest) -> Result<ArrayInfo>;

    /// Reads the whole array or a selection.
    async fn read(&self, path: &str, selection: Option<&Selection>) -> Result<ArrayData>;

    /// Writes `data` at `offset`; with `extend` the shape grows to fit. Returns the new structure.
    async fn patch(
        &self,
        path: &str,
        offset: &[u64],
        data: &ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo>;

    /// [`Backend::patch`] with data the caller hands over (a writer done with its frame): a
    /// backend that needs its own copy (the local one writes from a blocking thread) takes
    /// this one instead of copying.
    async fn patch_owned(
        &self,
        path: &str,
        offset: &[u64],
        data: ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo> {
        self.patch(path, offset, &data, extend).await
    }

    /// Sets the shape (grow or shrink). Shrinking erases what is cut off.
    async fn resize(&self, path: &str, shape: &[u64], cause: Cause) -> Result<ArrayInfo>;

    /// Deletes an array or a group (recursively).
    async fn delete(&self, path: &str) -> Result<()>;

    /// Structure changes, oldest first.
    async fn history(&self, path: &str) -> Result<Vec<StructureChange>>;

    /// Which chunks hold data, computed without reading data.
    async fn chunk_states(&self, path: &str) -> Result<ChunkMap>;

    /// Looks for inconsistencies in an array (or, for `""`, in the store's own leftovers).
    /// Reads only; nothing is changed.
    async fn check(&self, path: &str) -> Result<Vec<Finding>> {
        Err(Error::unsupported(format!(
            "{} has no check for '{path}'",
            self.describe()
        )))
    }

    /// Applies the safe repairs for what `check` finds; returns the findings, marked repaired.
    /// Every repair that changes the structure is journaled.
    async fn repair(&self, path: &str) -> Result<Vec<Finding>> {
        Err(Error::unsupported(format!(
            "{} cannot repair '{path}'",
            self.describe()
        )))
    }

    /// Follows one array: every structure change in order, chunk writes, creation and
    /// deletion, and the state of the connection. Ends when the receiver is dropped.
    async fn watch(&self, path: &str) -> Result<WatchReceiver> {
        Err(Error::unsupported(format!(
            "{} cannot follow '{path}' live",
            self.describe()
        )))
    }

    /// Follows a group (`""` is the root): the children the store announces as they are made,
    /// until the receiver is dropped or the store stops announcing (the channel closes).
    /// `unsupported` where the store announces none: listing the group again finds them.
    async fn watch_children(&self, parent: &str) -> Result<ChildReceiver> {
        Err(Error::unsupported(format!(
            "{} does not announce new nodes in '{parent}'",
            self.describe()
        )))
    }
}
