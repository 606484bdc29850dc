//! Everything that can change the state, and everything the state asks the outside to do.
//!
//! Inputs, timers and live events arrive as [`Action`]s; `update()` turns each into state
//! changes plus [`Effect`]s, which the runtime (the `tui` module) carries out: backend calls
//! run as tokio tasks whose [`JobResult`]s come back through `update()` too
//! (as [`Action::Done`]).
//! Nothing else mutates the state.

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyEvent, MouseEvent};

use super::catalog::SearchRequest;
use crate::backend::{
    ArrayData, ArrayInfo, Backend, Capabilities, Cause, ChunkMap, ConnectionState, CreateRequest,
    Error, EventKind, NodeEntry, NodeInfo, Page, Selection, StructureChange, TableData,
};
use crate::config::StoreSpec;

use super::notice::Notice;

/// Input: keys, the clock, the live watch, and finished jobs ([`JobResult`]).
#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// The terminal is now `cols × rows`.
    Resize(u16, u16),
    /// Animation clock (fading highlights, expiring messages).
    Tick(Instant),
    /// Time to re-read the open array (cheap polling until live events arrive).
    Poll,
    /// Leave (a signal, or the terminal went away).
    Quit,
    /// The store the runtime was started with is ready.
    StoreReady {
        label: String,
        describe: String,
        capabilities: Capabilities,
    },
    /// A change seen on the store (live events; also produced by our own writes).
    BackendEvent {
        path: String,
        event: EventKind,
    },
    /// The live watch's link changed (live / polling / reconnecting / offline).
    Connection(ConnectionState),
    /// A live watch of `path` started (`true`) or is not available (`false`): while one runs,
    /// the periodic re-reading of the open array stops.
    Watching {
        path: String,
        active: bool,
    },
    /// Open an array or group by path (as `:goto PATH`).
    Goto(String),
    /// A line for the status bar from outside the UI (the demo's writer).
    Notice(Notice),
    /// The store announced a new node in a group the catalog follows.
    NodeAnnounced(NodeEntry),
    /// A followed group's follower is live, reconnecting, or stopped.
    GroupFollow {
        parent: String,
        state: super::state::GroupFollow,
    },
    /// A job started for an [`Effect`] finished.
    Done(JobResult),
}

/// What a job started for an [`Effect`] brings back.
#[derive(Debug, Clone)]
pub enum JobResult {
    /// A store finished opening; later effects run against `backend`.
    StoreOpened {
        label: String,
        describe: String,
        capabilities: Capabilities,
        backend: BackendHandle,
    },
    /// A store could not be opened; the message says why.
    StoreFailed { message: String },
    /// A page of a group's children (for the catalog tree).
    PageLoaded {
        parent: String,
        offset: u64,
        result: Result<Page, Error>,
    },
    /// A page of a server search's hits (`generation` tells which line it answers).
    SearchPage {
        generation: u64,
        offset: u64,
        result: Result<Page, Error>,
    },
    /// A group listed again by the catalog poll.
    Rescanned {
        parent: String,
        result: Result<Page, Error>,
    },
    /// An array's structure, for the info pane.
    InfoLoaded(Loaded<ArrayInfo>),
    /// Which chunks of an array hold data, for the chunk map.
    ChunksLoaded(Loaded<Arc<ChunkMap>>),
    /// An array's structure history, oldest first.
    HistoryLoaded(Loaded<Vec<StructureChange>>),
    /// The values of the preview window (`selection` of the array at `path`).
    PreviewLoaded {
        path: String,
        selection: Selection,
        result: Result<ArrayData, Error>,
    },
    /// The frame the Frame pane shows (`selection` of the array at `path`).
    FrameLoaded {
        path: String,
        selection: Selection,
        result: Result<Arc<crate::frame::Frame>, Error>,
    },
    /// A `.npy` file named in the patch dialog, read.
    NpyLoaded(Loaded<ArrayData>),
    /// A node that is not an array, described (with a table's rows).
    NodeLoaded(Loaded<Box<(NodeInfo, Option<TableData>)>>),
    /// A write (create, patch, resize, delete) finished.
    OpDone {
        op: OpSummary,
        result: Result<OpOutcome, Error>,
    },
    /// The paths that could complete `typed` (directories end with `/`).
    PathsListed {
        target: CompleteTarget,
        typed: String,
        candidates: Vec<String>,
    },
}

/// Which field a path completion is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompleteTarget {
    /// The patch dialog's `.npy` field.
    Npy,
    /// The store picker's location.
    Picker,
}

/// What a read for one path brought back: the path it was for (the answer is dropped when
/// that is no longer what is shown) and the value or the error.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The array, or the file, it was read for.
    pub path: String,
    /// The value read, or why it could not be.
    pub result: Result<T, Error>,
}

impl From<JobResult> for Action {
    fn from(r: JobResult) -> Action {
        Action::Done(r)
    }
}

/// Work for the runtime, returned by `update()`. Keyed ones are single jobs: a newer one
/// replaces a pending one.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadPage {
        parent: String,
        offset: u64,
    },
    /// List a loaded group again to see nodes made or removed by others.
    Rescan {
        parent: String,
    },
    Show {
        path: String,
    },
    Chunks {
        path: String,
    },
    History {
        path: String,
    },
    Read {
        path: String,
        selection: Selection,
    },
    LoadNpy {
        path: String,
    },
    /// Read one frame's region for the Frame pane.
    ReadFrame {
        path: String,
        selection: Selection,
    },
    Run(Box<Operation>),
    OpenStore(StoreTarget),
    /// Run every later effect against this store (it has just opened).
    UseStore(BackendHandle),
    /// Follow `path` live (replacing any watch running).
    Watch {
        path: String,
    },
    /// Stop following the open array (it was closed).
    StopWatch,
    /// List the files and directories that could complete the path `typed`.
    CompletePath {
        target: CompleteTarget,
        typed: String,
    },
    /// Put this text on the terminal's clipboard (OSC 52: works over SSH too).
    Clipboard(String),
    /// Leave the TUI.
    Quit,
    /// Describe a node that is not an array (and read a table's rows).
    Node {
        path: String,
    },
    /// Ask the server for a page of hits, after the debounce if any; a newer search drops
    /// this one, waiting or in flight.
    Search(SearchRequest),
    /// Follow exactly these groups for the nodes the store announces in them.
    WatchChildren {
        parents: Vec<String>,
    },
}

/// Coalescing slot of an effect: at most one running and one pending per key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobKey {
    Page(String),
    Rescan(String),
    Show,
    Chunks,
    History,
    Read,
    Npy,
    OpenStore,
    Node,
    Frame,
    Complete,
}

impl Effect {
    /// The coalescing key; `None` for work that must never be dropped (writes) and for
    /// effects the runtime carries out at once (store, watch, quit).
    pub fn key(&self) -> Option<JobKey> {
        match self {
            Effect::LoadPage { parent, .. } => Some(JobKey::Page(parent.clone())),
            Effect::Rescan { parent } => Some(JobKey::Rescan(parent.clone())),
            Effect::Show { .. } => Some(JobKey::Show),
            Effect::Chunks { .. } => Some(JobKey::Chunks),
            Effect::History { .. } => Some(JobKey::History),
            Effect::Read { .. } => Some(JobKey::Read),
            Effect::ReadFrame { .. } => Some(JobKey::Frame),
            Effect::LoadNpy { .. } => Some(JobKey::Npy),
            Effect::OpenStore(_) => Some(JobKey::OpenStore),
            Effect::Node { .. } => Some(JobKey::Node),
            Effect::CompletePath { .. } => Some(JobKey::Complete),
            Effect::Run(_)
            | Effect::UseStore(_)
            | Effect::Watch { .. }
            | Effect::StopWatch
            | Effect::Clipboard(_)
            | Effect::Search(_)
            | Effect::WatchChildren { .. }
            | Effect::Quit => None,
        }
    }
}

/// A write, planned and confirmed in a dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    Patch {
        path: String,
        offset: Vec<u64>,
        data: ArrayData,
        extend: bool,
    },
    Resize {
        path: String,
        shape: Vec<u64>,
        cause: Cause,
    },
    Create(CreateRequestEq),
    Delete {
        path: String,
    },
}

impl Operation {
    pub fn summary(&self) -> OpSummary {
        let (kind, path) = match self {
            Operation::Patch { path, .. } => (OpKind::Patch, path),
            Operation::Resize { path, cause, .. } if *cause == Cause::Extend => {
                (OpKind::Extend, path)
            }
            Operation::Resize { path, .. } => (OpKind::Resize, path),
            Operation::Create(r) => (OpKind::Create, &r.0.path),
            Operation::Delete { path } => (OpKind::Delete, path),
        };
        let region = match self {
            Operation::Patch { offset, data, .. } => Some((offset.clone(), data.shape.clone())),
            _ => None,
        };
        OpSummary {
            kind,
            path: path.clone(),
            region,
        }
    }
}

/// `CreateRequest` with the equality the effect list needs for tests.
#[derive(Debug, Clone)]
pub struct CreateRequestEq(pub CreateRequest);

impl PartialEq for CreateRequestEq {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        a.path == b.path
            && a.shape == b.shape
            && a.chunks == b.chunks
            && a.dtype == b.dtype
            && a.resizable == b.resizable
            && a.fill_value == b.fill_value
    }
}

/// What an operation did, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpSummary {
    pub kind: OpKind,
    pub path: String,
    /// What a patch wrote: its offset and shape.
    pub region: Option<(Vec<u64>, Vec<u64>)>,
}

/// The kinds of write the TUI makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Patch,
    /// A resize recorded with cause `extend`.
    Extend,
    Resize,
    Create,
    Delete,
}

impl OpKind {
    /// The verb the status line uses.
    pub fn verb(self) -> &'static str {
        match self {
            OpKind::Patch => "patch",
            OpKind::Extend => "extend",
            OpKind::Resize => "resize",
            OpKind::Create => "create",
            OpKind::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum OpOutcome {
    Info(Box<ArrayInfo>),
    Deleted,
}

/// Which store to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreTarget {
    Named(StoreSpec),
    /// A temporary local store with a few arrays to look at.
    Demo,
    /// A URL or a directory typed by the user.
    Location(String),
}

impl StoreTarget {
    pub fn label(&self) -> String {
        match self {
            StoreTarget::Named(s) => s.name.clone(),
            StoreTarget::Demo => "demo".into(),
            StoreTarget::Location(l) if crate::config::is_url(l) => l.clone(),
            StoreTarget::Location(l) => std::path::Path::new(l.trim_end_matches('/'))
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| l.clone()),
        }
    }
}

/// A backend in a job result or an effect (Debug shows its description, never secrets;
/// equal when it is the same store object).
#[derive(Clone)]
pub struct BackendHandle(pub Arc<dyn Backend>);

impl PartialEq for BackendHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for BackendHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Backend({})", self.0.describe())
    }
}
