//! Live events: what `watch` reports about an array, and the state of the link to the store.

use serde::Serialize;

/// A change seen on a store, for live views and `extent watch`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Deleted,
    ShapeChanged {
        old: Vec<u64>,
        new: Vec<u64>,
    },
    ChunksWritten {
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
    pub path: String,
    #[serde(flatten)]
    pub kind: EventKind,
    /// The array's shape after the event (`None` once deleted).
    pub shape: Option<Vec<u64>>,
}

/// How a watch is getting its news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionState {
    /// Pushed by the store (Tiled websocket).
    Live,
    /// Asked for at short intervals (local files, or Tiled without streaming).
    Polling,
    Reconnecting,
    Offline,
}

impl ConnectionState {
    pub fn name(self) -> &'static str {
        match self {
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
    Event(Event),
    State(ConnectionState),
}

pub type WatchReceiver = tokio::sync::mpsc::Receiver<WatchMessage>;
