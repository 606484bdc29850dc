//! Live events: what `watch` reports about an array, and the state of the link to the store.

use serde::Serialize;

/// A change seen on a store, for live views and `extent watch`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The array appeared.
    Created,
    /// The array was deleted.
    Deleted,
    /// The shape changed from `old` to `new`.
    ShapeChanged {
        /// Shape before.
        old: Vec<u64>,
        /// Shape after.
        new: Vec<u64>,
    },
    /// Chunks were written in the region at `offset`.
    ChunksWritten {
        /// Start of the written region.
        offset: Vec<u64>,
        /// The written region's shape (`shape` in JSON is the array's).
        #[serde(rename = "region_shape")]
        shape: Vec<u64>,
    },
}

/// One event, numbered in the order it was seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// RFC 3339 UTC: when the change happened (the journal's time) or was seen.
    pub time: String,
    /// 1, 2, 3… per watch, in the order of the changes.
    pub sequence: u64,
    /// The array's path.
    pub path: String,
    #[serde(flatten)]
    /// What happened.
    pub kind: EventKind,
    /// The array's shape after the event (`None` once deleted).
    pub shape: Option<Vec<u64>>,
}

/// How a watch (and the TUI following a store) is getting its news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionState {
    /// Opening the link; nothing heard yet.
    Connecting,
    /// Pushed by the store (Tiled websocket).
    Live,
    /// Asked for at short intervals (local files, or Tiled without streaming).
    Polling,
    /// Lost the link; trying again.
    Reconnecting,
    /// Given up until asked again.
    Offline,
}

impl ConnectionState {
    /// Lowercase name, as shown in the top bar and JSON.
    pub fn name(self) -> &'static str {
        match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Live => "live",
            ConnectionState::Polling => "polling",
            ConnectionState::Reconnecting => "reconnecting",
            ConnectionState::Offline => "offline",
        }
    }
}

/// What a watch sends.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchMessage {
    /// A change.
    Event(Event),
    /// The link's state changed.
    State(ConnectionState),
}

/// Where a watch delivers its messages.
pub type WatchReceiver = tokio::sync::mpsc::Receiver<WatchMessage>;
