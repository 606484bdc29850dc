//! Live events: what `watch` reports about an array, and the state of the link to the store.

use serde::Serialize;

use super::error::{Error, ErrorKind};

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
    /// The store refused the credentials (401 / 403); retrying will not help until they change.
    #[serde(rename = "auth_refused")]
    AuthRefused,
    /// The store cannot be reached (no connection, no answer in time); trying again.
    Unreachable,
    /// The store answered with an error (5xx, or an answer that makes no sense); trying again.
    #[serde(rename = "server_error")]
    ServerError,
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
            ConnectionState::AuthRefused => "auth_refused",
            ConnectionState::Unreachable => "unreachable",
            ConnectionState::ServerError => "server_error",
        }
    }

    /// The state after `error` cut the link: refused credentials, a store out of reach (a
    /// transport failure, kept as the error's source), or an error from the store itself.
    pub fn after(error: &Error) -> ConnectionState {
        match error.kind {
            ErrorKind::Auth => ConnectionState::AuthRefused,
            ErrorKind::Io if error.source.is_some() => ConnectionState::Unreachable,
            _ => ConnectionState::ServerError,
        }
    }

    /// The link is down (for whatever reason).
    pub fn is_down(self) -> bool {
        matches!(
            self,
            ConnectionState::Offline
                | ConnectionState::AuthRefused
                | ConnectionState::Unreachable
                | ConnectionState::ServerError
        )
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

/// What a group's follower sends (`Backend::watch_children`).
#[derive(Debug, Clone, PartialEq)]
pub enum ChildNews {
    /// The follower listens (again, after a reconnect): every child made from now on comes.
    Following,
    /// The connection dropped: the follower reconnects, and the children made meanwhile come
    /// once it is back ([`ChildNews::Following`] again).
    Lost,
    /// A child made in the group.
    Created(super::NodeEntry),
}

/// Where a group's follower delivers the nodes it announces as they are made.
pub type ChildReceiver = tokio::sync::mpsc::Receiver<ChildNews>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_after_an_error_names_what_is_wrong() {
        let after = |e: Error| ConnectionState::after(&e);
        assert_eq!(after(Error::auth("401")), ConnectionState::AuthRefused);
        let transport = std::io::Error::other("connection refused");
        assert_eq!(
            after(Error::io("no answer").with_source(transport)),
            ConnectionState::Unreachable
        );
        assert_eq!(
            after(Error::io("failed (503)")),
            ConnectionState::ServerError
        );
        assert!(ConnectionState::ServerError.is_down());
        assert!(!ConnectionState::Live.is_down());
    }
}
