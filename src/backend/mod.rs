//! The backend trait and the domain types shared by every store. No I/O here.
//!
//! A backend is a catalog of groups and arrays. Arrays are extendable: `patch` writes a block
//! at an offset and, with `extend`, grows the shape to fit. The rules (checked by
//! [`plan_patch`] and [`plan_resize`] before any byte is written) are the same for every
//! backend; the conformance suite in `tests/` proves it.

mod data;
mod dtype;
mod error;
mod events;
pub mod local;
mod local_check;
mod local_listing;
mod local_watch;
mod lockfile;
mod selection;
pub mod tiled;
pub mod tiled_watch;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use data::ArrayData;
pub use dtype::{element_f64, element_json, parse_scalar, scalar_bytes, DType};
pub use error::{Error, ErrorKind, Result};
pub use events::{ConnectionState, Event, EventKind, WatchMessage, WatchReceiver};
pub use selection::{parse_offset, parse_shape, parse_slice, Selection};

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

/// Group or array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// An array (has shape and dtype).
    Array,
    /// A group (holds nodes).
    Group,
}

/// One entry of a catalog listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeEntry {
    /// Full path from the store's root, `/`-separated, no leading slash.
    pub path: String,
    /// Array or group.
    pub kind: NodeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The shape, for arrays.
    pub shape: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The dtype, for arrays.
    pub dtype: Option<DType>,
}

/// A page of a listing.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The nodes of this page, in listing order.
    pub entries: Vec<NodeEntry>,
    /// Total number of children, when the store knows it.
    pub total: Option<u64>,
}

/// The structure of one array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrayInfo {
    /// The array's path in the store (no leading slash).
    pub path: String,
    /// Current shape.
    pub shape: Vec<u64>,
    /// The regular chunk shape.
    pub chunks: Vec<u64>,
    /// Element type.
    pub dtype: DType,
    /// Per axis: may this axis grow or shrink.
    pub resizable: Vec<bool>,
    /// The value of unwritten elements.
    pub fill_value: serde_json::Value,
    /// User metadata (Zarr attributes / Tiled metadata), without extent's own keys.
    pub metadata: serde_json::Value,
}

impl ArrayInfo {
    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of chunks along each axis (a partial edge chunk counts).
    pub fn chunk_grid(&self) -> Vec<u64> {
        self.shape
            .iter()
            .zip(&self.chunks)
            .map(|(&s, &c)| s.div_ceil(c.max(1)))
            .collect()
    }

    /// Number of elements (can exceed `u64` for huge shapes, hence `u128`).
    pub fn num_elements(&self) -> u128 {
        self.shape.iter().map(|&s| s as u128).product()
    }
}

/// What to create.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// Where to create it.
    pub path: String,
    /// Initial shape.
    pub shape: Vec<u64>,
    /// Regular chunk shape.
    pub chunks: Vec<u64>,
    /// Element type.
    pub dtype: DType,
    /// One flag per axis: may it grow or shrink.
    pub resizable: Vec<bool>,
    /// The value of unwritten elements.
    pub fill_value: serde_json::Value,
    /// User metadata (a JSON object).
    pub metadata: serde_json::Value,
    /// Initial content (must have `shape` and `dtype`); the fill value otherwise.
    pub data: Option<ArrayData>,
}

impl CreateRequest {
    /// Checks the request is self-consistent, before anything is written.
    pub fn validate(&self) -> Result<()> {
        let n = self.shape.len();
        if n == 0 {
            return Err(Error::invalid_input("shape must have at least one axis"));
        }
        if self.chunks.len() != n {
            return Err(Error::shape_mismatch(format!(
                "chunks {} has {} axes but shape {} has {n}",
                fmt_shape(&self.chunks),
                self.chunks.len(),
                fmt_shape(&self.shape)
            )));
        }
        if self.chunks.contains(&0) {
            return Err(Error::invalid_input(format!(
                "chunk shape {} has a zero-length axis",
                fmt_shape(&self.chunks)
            )));
        }
        if self.resizable.len() != n {
            return Err(Error::shape_mismatch(format!(
                "resizable has {} entries but the array has {n} axes",
                self.resizable.len()
            )));
        }
        checked_elements(&self.shape)?;
        checked_elements(&self.chunks)?;
        scalar_bytes(self.dtype, &self.fill_value)?;
        validate_path(&self.path)?;
        if let Some(data) = &self.data {
            if data.dtype != self.dtype {
                return Err(Error::dtype_mismatch(format!(
                    "initial data is {} but the array is {}",
                    data.dtype, self.dtype
                )));
            }
            if data.shape != self.shape {
                return Err(Error::shape_mismatch(format!(
                    "initial data has shape {} but the array has shape {}",
                    fmt_shape(&data.shape),
                    fmt_shape(&self.shape)
                )));
            }
        }
        Ok(())
    }
}

/// Why a structure changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cause {
    /// The array was created.
    Create,
    /// A patch that fitted.
    Patch,
    /// A patch with extend that grew the array.
    Extend,
    /// An explicit resize.
    Resize,
    /// Undoing a change that failed halfway.
    Rollback,
    /// `check --repair`.
    Repair,
    /// A change made by another tool, noticed afterwards.
    Observed,
}

impl Cause {
    /// Lowercase name as in JSON and the history.
    pub fn name(self) -> &'static str {
        match self {
            Cause::Create => "create",
            Cause::Patch => "patch",
            Cause::Extend => "extend",
            Cause::Resize => "resize",
            Cause::Rollback => "rollback",
            Cause::Repair => "repair",
            Cause::Observed => "observed",
        }
    }
}

/// One entry of an array's structure history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureChange {
    /// RFC 3339, UTC.
    pub time: String,
    /// `user@host` of the process that made the change.
    pub actor: String,
    /// Why it changed.
    pub cause: Cause,
    /// `None` when the array was created.
    pub old_shape: Option<Vec<u64>>,
    /// `None` when the array was deleted.
    pub new_shape: Option<Vec<u64>>,
}

/// What is known about one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChunkState {
    /// No data stored: reads give the fill value.
    Missing = 0,
    /// Data stored.
    Written = 1,
    /// The store cannot tell.
    Unknown = 2,
}

/// The state of every chunk of an array, one byte per chunk in C order over `grid`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkMap {
    /// Chunks per axis.
    pub grid: Vec<u64>,
    /// One state per chunk, C order over `grid`.
    pub states: Vec<ChunkState>,
}

impl ChunkMap {
    /// A map of `grid` with every chunk in state `fill`.
    pub fn new(grid: Vec<u64>, fill: ChunkState) -> ChunkMap {
        let n: u64 = grid.iter().product();
        ChunkMap {
            states: vec![fill; n as usize],
            grid,
        }
    }

    /// A map for `info`'s chunk grid, refusing grids too large to hold one byte per chunk.
    pub fn for_array(info: &ArrayInfo, fill: ChunkState) -> Result<ChunkMap> {
        let grid = info.chunk_grid();
        if grid
            .iter()
            .try_fold(1u64, |a, &g| a.checked_mul(g))
            .is_none_or(|n| n > 1 << 28)
        {
            return Err(Error::unsupported(format!(
                "'{}' has too many chunks ({}) to map",
                info.path,
                fmt_shape(&grid)
            )));
        }
        Ok(ChunkMap::new(grid, fill))
    }

    /// Linear C-order index of a chunk, or None when outside the grid.
    pub fn index(&self, chunk: &[u64]) -> Option<usize> {
        if chunk.len() != self.grid.len() {
            return None;
        }
        let mut idx: u64 = 0;
        for (&c, &g) in chunk.iter().zip(&self.grid) {
            if c >= g {
                return None;
            }
            idx = idx * g + c;
        }
        Some(idx as usize)
    }

    /// Number of chunks known to be written.
    pub fn written(&self) -> usize {
        self.states
            .iter()
            .filter(|s| **s == ChunkState::Written)
            .count()
    }
}

/// A problem `check` found in an array, in plain words, with the repair (if one is safe).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The node concerned (empty: the store itself).
    pub path: String,
    /// A stable name: `stale_chunks`, `dirty_overhang`, `temp_file`, `journal_behind`, ...
    pub code: String,
    /// The problem in plain words.
    pub message: String,
    /// What `--repair` does about it; `None` when it needs a person.
    pub repair: Option<String>,
    /// Set once the repair ran.
    pub repaired: bool,
}

/// The plan for a patch, computed before anything is written.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPlan {
    /// The shape after the patch (equal to the current shape when it fits).
    pub new_shape: Vec<u64>,
    /// Whether the patch grows the array.
    pub grows: bool,
}

/// Checks a patch against an array's structure: dtype, ndim, overflow, bounds, resizable.
/// Returns the shape the array will have afterwards. Pure: nothing is written.
pub fn plan_patch(
    info: &ArrayInfo,
    offset: &[u64],
    data: &ArrayData,
    extend: bool,
) -> Result<PatchPlan> {
    if data.dtype != info.dtype {
        return Err(Error::dtype_mismatch(format!(
            "data is {} but array '{}' is {}; nothing was written",
            data.dtype, info.path, info.dtype
        )));
    }
    let n = info.ndim();
    if data.shape.len() != n {
        return Err(Error::shape_mismatch(format!(
            "data has {} axes (shape {}) but array '{}' has {n} (shape {}); nothing was written",
            data.shape.len(),
            fmt_shape(&data.shape),
            info.path,
            fmt_shape(&info.shape)
        )));
    }
    if offset.len() != n {
        return Err(Error::shape_mismatch(format!(
            "offset {} has {} axes but array '{}' has {n}; nothing was written",
            fmt_shape(offset),
            offset.len(),
            info.path
        )));
    }
    let mut new_shape = info.shape.clone();
    for axis in 0..n {
        let end = offset[axis].checked_add(data.shape[axis]).ok_or_else(|| {
            Error::invalid_input(format!(
                "offset {} + size {} overflows on axis {axis}",
                offset[axis], data.shape[axis]
            ))
        })?;
        if end > info.shape[axis] {
            new_shape[axis] = end;
        }
    }
    checked_elements(&new_shape)?;
    let grows = new_shape != info.shape;
    if grows {
        if !extend {
            let axes: Vec<String> = (0..n)
                .filter(|&a| new_shape[a] > info.shape[a])
                .map(|a| {
                    format!(
                        "axis {a}: {}..{} > {}",
                        offset[a],
                        offset[a] + data.shape[a],
                        info.shape[a]
                    )
                })
                .collect();
            return Err(Error::out_of_bounds(format!(
                "patch at {} of shape {} goes past the shape {} of '{}' ({}); pass extend to grow it; nothing was written",
                fmt_shape(offset),
                fmt_shape(&data.shape),
                fmt_shape(&info.shape),
                info.path,
                axes.join(", ")
            )));
        }
        check_resizable(info, &new_shape)?;
    }
    Ok(PatchPlan { new_shape, grows })
}

/// Checks a resize: ndim, overflow, and that only resizable axes change.
pub fn plan_resize(info: &ArrayInfo, new_shape: &[u64]) -> Result<()> {
    if new_shape.len() != info.ndim() {
        return Err(Error::shape_mismatch(format!(
            "new shape {} has {} axes but '{}' has {} (shape {})",
            fmt_shape(new_shape),
            new_shape.len(),
            info.path,
            info.ndim(),
            fmt_shape(&info.shape)
        )));
    }
    checked_elements(new_shape)?;
    check_resizable(info, new_shape)
}

fn check_resizable(info: &ArrayInfo, new_shape: &[u64]) -> Result<()> {
    for (axis, (&old, &new)) in info.shape.iter().zip(new_shape).enumerate() {
        if old != new && !info.resizable.get(axis).copied().unwrap_or(true) {
            return Err(Error::not_resizable(format!(
                "axis {axis} of '{}' is not resizable (it would change {old} -> {new}); nothing was written",
                info.path
            )));
        }
    }
    Ok(())
}

/// Number of elements of a shape, refusing shapes whose byte size cannot be addressed.
pub fn checked_elements(shape: &[u64]) -> Result<u64> {
    shape
        .iter()
        .try_fold(1u64, |acc, &s| acc.checked_mul(s))
        .filter(|&n| n <= (1u64 << 60))
        .ok_or_else(|| Error::invalid_input(format!("shape {} is too large", fmt_shape(shape))))
}

/// Checks an array or group path: relative, `/`-separated names, no `.`/`..`, no NUL,
/// no backslashes. The root is the empty string.
pub fn validate_path(path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(Error::invalid_input("the path is empty"));
    }
    for part in path.split('/') {
        let bad = part.is_empty()
            || part == "."
            || part == ".."
            || part.starts_with('.')
            || part.contains('\0')
            || part.contains('\\')
            || part.chars().any(|c| c.is_control());
        if bad {
            return Err(Error::invalid_input(format!(
                "invalid path '{}': use names separated by '/', without '.', '..', leading dots or control characters",
                path.escape_debug()
            )));
        }
    }
    Ok(())
}

/// Normalises a user-typed path: trims spaces and leading/trailing slashes.
pub fn normalize_path(path: &str) -> String {
    path.trim().trim_matches('/').to_string()
}

/// `4,3` → `[4, 3]` for messages.
pub fn fmt_shape(shape: &[u64]) -> String {
    let parts: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// `user@host` of this process, for the history.
pub fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(user_from_uid)
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

/// The user name of this process's uid, from /proc and /etc/passwd (no USER in cron/CI).
fn user_from_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
    })
}

/// Now, RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&fmt)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(shape: &[u64], resizable: &[bool]) -> ArrayInfo {
        ArrayInfo {
            path: "a".into(),
            shape: shape.to_vec(),
            chunks: vec![2; shape.len()],
            dtype: DType::Float64,
            resizable: resizable.to_vec(),
            fill_value: 0.into(),
            metadata: serde_json::json!({}),
        }
    }

    #[test]
    fn plan_patch_rules() {
        let a = info(&[4, 3], &[true, false]);
        let d = ArrayData::filled(DType::Float64, &[2, 3], &1.0.into()).unwrap();
        let p = plan_patch(&a, &[2, 0], &d, false).unwrap();
        assert!(!p.grows);
        let e = plan_patch(&a, &[6, 0], &d, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::OutOfBounds);
        let p = plan_patch(&a, &[6, 0], &d, true).unwrap();
        assert_eq!(p.new_shape, vec![8, 3]);
        let e = plan_patch(&a, &[0, 1], &d, true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotResizable);
        let e = plan_patch(&a, &[u64::MAX, 0], &d, true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        let i = ArrayData::filled(DType::Int32, &[2, 3], &1.into()).unwrap();
        assert_eq!(
            plan_patch(&a, &[0, 0], &i, true).unwrap_err().kind,
            ErrorKind::DtypeMismatch
        );
        let d1 = ArrayData::filled(DType::Float64, &[3], &1.0.into()).unwrap();
        assert_eq!(
            plan_patch(&a, &[0], &d1, true).unwrap_err().kind,
            ErrorKind::ShapeMismatch
        );
    }

    #[test]
    fn paths_are_checked() {
        for bad in [
            "",
            "/a",
            "a/../b",
            "..",
            "a//b",
            "a/.hidden",
            "a\0b",
            "a\\b",
        ] {
            assert!(validate_path(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "a/b", "det-1/frames_2"] {
            validate_path(good).unwrap();
        }
    }
}
