//! The domain types every backend speaks: nodes and listings, an array's structure, what to
//! create, the structure history, chunk maps and `check` findings.

use serde::{Deserialize, Serialize};

use super::plan::{checked_elements, validate_path};
use super::{scalar_bytes, ArrayData, DType, Error, Result};

/// Group, array, table, another kind a server has, or a node whose metadata cannot be read.
/// In JSON: `"kind"` is `array`, `group`, `table`, `broken` (with `"error"`) or the server's
/// own name for another kind (`sparse`, `awkward`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "super::node::KindRepr", try_from = "super::node::KindRepr")]
pub enum NodeKind {
    /// An array (has shape and dtype).
    Array,
    /// A group (holds nodes).
    Group,
    /// A node whose metadata cannot be read (truncated, garbled): listed, so that one
    /// broken node does not hide the rest, and so that it can be checked or deleted.
    Broken {
        /// Why the node cannot be read.
        error: NodeError,
    },
    /// A table: named columns, rows in partitions (read-only for extent).
    Table,
    /// Another kind of node a server has (Tiled's `sparse`, `awkward`, ...), by its name.
    Other {
        /// The server's name for the kind (Tiled's structure family).
        family: String,
    },
}

impl NodeKind {
    /// A broken node, from the error that reading it gave.
    pub fn broken(e: &Error) -> NodeKind {
        NodeKind::Broken {
            error: NodeError {
                kind: e.kind,
                message: e.chain(),
            },
        }
    }
}

/// Why a listed node cannot be read (`ls --json`: `"error":{"kind","message"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeError {
    /// The error kind, as `--json` errors name it.
    pub kind: super::ErrorKind,
    /// The error in plain words, with its causes.
    pub message: String,
}

/// One entry of a catalog listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeEntry {
    /// Full path from the store's root, `/`-separated, no leading slash.
    pub path: String,
    /// Array, group or broken (`"kind"`, and `"error"` for a broken node).
    #[serde(flatten)]
    pub kind: NodeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The shape, for arrays.
    pub shape: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The dtype, for arrays.
    pub dtype: Option<DType>,
    /// What the server says the node is (Tiled's specs, e.g. `BlueskyRun`); often none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specs: Vec<String>,
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

/// What kind of problem a [`Finding`] is. The serialised names are part of `extent check
/// --json`'s output, so scripts can rely on them: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingCode {
    /// The metadata cannot be read as an array's; nothing else was judged.
    BadMetadata,
    /// A temp file left by an interrupted atomic write.
    TempFile,
    /// The structure history does not end at the current shape.
    JournalBehind,
    /// Chunks past the shape, or edge chunks holding data past the edge.
    StaleData,
    /// What remains of an interrupted delete.
    DeletedLeftover,
    /// The server's chunk lists disagree with the shape.
    ChunkListMismatch,
    /// An axis of length zero that the server cannot extend.
    ZeroLengthAxis,
    /// A symlink inside an array (or one leading outside the store), which extent refuses.
    Symlink,
    /// Something other than a regular file (a directory, a FIFO) in the place of a chunk.
    NotRegularChunk,
    /// A file or directory in an array that is neither Zarr's nor extent's.
    UnknownFile,
    /// Part of a node could not be read (permission denied, an I/O error): not checked.
    Unreadable,
    /// A group's consolidated metadata disagrees with its nodes (zarr-python would trust it).
    StaleConsolidated,
    /// The server's data does not have the shape its catalog gives (Tiled's 422), or has
    /// fewer frames than the catalog yet (Tiled's 503: not ready, may catch up).
    DataShapeMismatch,
    /// A line of the structure history that is not an entry (cut short by a crash).
    TornJournal,
    /// A grow whose write never landed: the history records a shape the metadata does not
    /// have, or the last growing patch left no data past the old edge.
    GrowNotLanded,
    /// A write failed after growing the array and undoing the grow did not finish.
    FailedRollback,
    /// A chunk that does not decode, or whose file has the wrong size.
    BadChunk,
    /// The server's shape is smaller than one extent recorded growing it to: a writer without
    /// extent's lock (on another machine) overwrote the growth, and the rows past the edge.
    ShapeLost,
}

impl FindingCode {
    /// The stable name, as serialised (`journal_behind`).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::BadMetadata => "bad_metadata",
            FindingCode::TempFile => "temp_file",
            FindingCode::JournalBehind => "journal_behind",
            FindingCode::StaleData => "stale_data",
            FindingCode::DeletedLeftover => "deleted_leftover",
            FindingCode::ChunkListMismatch => "chunk_list_mismatch",
            FindingCode::ZeroLengthAxis => "zero_length_axis",
            FindingCode::Symlink => "symlink",
            FindingCode::NotRegularChunk => "not_regular_chunk",
            FindingCode::UnknownFile => "unknown_file",
            FindingCode::Unreadable => "unreadable",
            FindingCode::StaleConsolidated => "stale_consolidated",
            FindingCode::DataShapeMismatch => "data_shape_mismatch",
            FindingCode::TornJournal => "torn_journal",
            FindingCode::GrowNotLanded => "grow_not_landed",
            FindingCode::FailedRollback => "failed_rollback",
            FindingCode::BadChunk => "bad_chunk",
            FindingCode::ShapeLost => "shape_lost",
        }
    }
}

impl std::fmt::Display for FindingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// Lets callers compare with the stable name (`f.code == "temp_file"`).
impl PartialEq<&str> for FindingCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A problem `check` found in an array, in plain words, with the repair (if one is safe).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The node concerned (empty: the store itself).
    pub path: String,
    /// What kind of problem it is (serialised as its stable name).
    pub code: FindingCode,
    /// The problem in plain words.
    pub message: String,
    /// What `--repair` does about it; `None` when it needs a person.
    pub repair: Option<String>,
    /// Set once the repair ran.
    pub repaired: bool,
}

impl Finding {
    /// A problem at `path`, not yet repaired; `repair` says what `--repair` would do.
    pub fn new(path: &str, code: FindingCode, message: String, repair: Option<&str>) -> Finding {
        Finding {
            path: path.to_string(),
            code,
            message,
            repair: repair.map(str::to_string),
            repaired: false,
        }
    }
}

/// `4,3` → `[4, 3]` for messages.
pub fn fmt_shape(shape: &[u64]) -> String {
    let parts: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_node_lists_its_error() {
        let entry = NodeEntry {
            path: "g/b".into(),
            kind: NodeKind::broken(&Error::io("the metadata of 'g/b' is not valid JSON")),
            shape: None,
            dtype: None,
            specs: Vec::new(),
        };
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"path": "g/b", "kind": "broken", "error":
                {"kind": "io", "message": "the metadata of 'g/b' is not valid JSON"}})
        );
        assert_eq!(serde_json::from_value::<NodeEntry>(json).unwrap(), entry);
        let group = serde_json::json!({"path": "g", "kind": "group"});
        let back: NodeEntry = serde_json::from_value(group.clone()).unwrap();
        assert_eq!(
            (back.kind.clone(), serde_json::to_value(&back).unwrap()),
            (NodeKind::Group, group)
        );
    }

    #[test]
    fn finding_codes_serialise_as_their_stable_names() {
        for code in [
            FindingCode::BadMetadata,
            FindingCode::TempFile,
            FindingCode::JournalBehind,
            FindingCode::StaleData,
            FindingCode::DeletedLeftover,
            FindingCode::ChunkListMismatch,
            FindingCode::ZeroLengthAxis,
            FindingCode::Symlink,
            FindingCode::NotRegularChunk,
            FindingCode::UnknownFile,
            FindingCode::DataShapeMismatch,
            FindingCode::TornJournal,
            FindingCode::GrowNotLanded,
            FindingCode::FailedRollback,
            FindingCode::BadChunk,
            FindingCode::ShapeLost,
            FindingCode::Unreadable,
            FindingCode::StaleConsolidated,
        ] {
            let json = serde_json::to_value(code).unwrap_or_default();
            assert_eq!(json, serde_json::json!(code.as_str()));
            assert_eq!(code, code.as_str());
            let back: FindingCode = serde_json::from_value(json).unwrap();
            assert_eq!(back, code);
        }
    }
}
