//! The domain types every backend speaks: nodes and listings, an array's structure, what to
//! create, the structure history, chunk maps and `check` findings.

use serde::{Deserialize, Serialize};

use super::plan::{checked_elements, validate_path};
use super::{scalar_bytes, ArrayData, DType, Error, Result};

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

/// `4,3` → `[4, 3]` for messages.
pub fn fmt_shape(shape: &[u64]) -> String {
    let parts: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
    format!("[{}]", parts.join(", "))
}
