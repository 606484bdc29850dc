//! Following an array on a Tiled server: the websocket stream when the server has a
//! streaming cache (live), reconnecting with backoff and a replay of the server's cache
//! (`start=0`, skipping what was seen), and ETag polling of the metadata when streaming is not
//! available (or the URL is https, whose websocket TLS extent does not carry).
//!
//! A stream message carries the *patch's* offset and shape, not the array's new shape: the new
//! shape is max(old, offset + shape) per axis, confirmed from the metadata after every
//! reconnect and whenever the stream goes quiet. Requests go through the backend's [`Http`]
//! (timeouts, redaction, the key) and the metadata is read with the backend's own parsing.

mod children;
mod relist;
mod stream;

use std::time::Duration;

use reqwest::Url;
use tokio::sync::mpsc;

use super::http::{Fetched, Http};
use super::structure;
use crate::backend::{
    now_rfc3339, ConnectionState, ErrorKind, Event, EventKind, WatchMessage, WatchReceiver,
};
pub(super) use children::{spawn as spawn_children, ChildTarget};
use stream::{StreamEnd, Written};

/// What the watcher needs to reach one array. No `Debug`: the URLs may hold user-info.
pub(super) struct Target {
    /// The backend's client (its `Debug` never shows the key).
    pub http: Http,
    /// The array's `metadata` route.
    pub meta_url: Url,
    /// The array's `stream/single` route as a `ws://` URL; None over https.
    pub stream_url: Option<Url>,
    /// Path as the user names it (in events).
    pub path: String,
}

/// One metadata request's budget: the watcher retries on its own schedule.
const META_TIMEOUT: Duration = Duration::from_secs(10);

const POLL: Duration = Duration::from_millis(250);
/// While live and quiet, confirm the shape from the metadata this often (a 304 is cheap).
const CONFIRM: Duration = Duration::from_secs(2);
/// In polling mode, try the websocket again this often.
const RETRY_STREAM: Duration = Duration::from_secs(15);

struct Watcher {
    t: Target,
    tx: mpsc::Sender<WatchMessage>,
    shape: Option<Vec<u64>>,
    chunks: Vec<u64>,
    etag: Option<String>,
    /// (timestamp, sequence) of the last stream message handled.
    last_seen: Option<(String, u64)>,
    out_seq: u64,
}

enum MetaAnswer {
    Unchanged,
    Shape(Vec<u64>, Vec<u64>),
    Missing,
    /// The metadata could not be read: what that says about the link.
    Failed(ConnectionState),
}

/// Starts following the node; messages arrive on the returned channel until it is dropped.
pub(super) fn spawn(t: Target) -> WatchReceiver {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        let mut w = Watcher {
            t,
            tx,
            shape: None,
            chunks: Vec::new(),
            etag: None,
            last_seen: None,
            out_seq: 0,
        };
        w.run().await;
    });
    rx
}

impl Watcher {
    async fn send(&mut self, msg: WatchMessage) -> bool {
        self.tx.send(msg).await.is_ok()
    }

    async fn state(&mut self, s: ConnectionState) -> bool {
        self.send(WatchMessage::State(s)).await
    }

    async fn event(&mut self, time: String, kind: EventKind) -> bool {
        self.out_seq += 1;
        let shape = match &kind {
            EventKind::ShapeChanged { new, .. } => Some(new.clone()),
            EventKind::Deleted => None,
            _ => self.shape.clone(),
        };
        let e = Event {
            time,
            sequence: self.out_seq,
            path: self.t.path.clone(),
            kind,
            shape,
        };
        self.send(WatchMessage::Event(e)).await
    }

    async fn fetch_meta(&mut self, conditional: bool) -> MetaAnswer {
        let etag = self.etag.clone().filter(|_| conditional);
        let what = format!("following '{}'", self.t.path);
        let answer = self
            .t
            .http
            .get_json_if_changed(&what, &self.t.meta_url, etag.as_deref(), META_TIMEOUT)
            .await;
        match answer {
            Ok(Fetched::Unchanged) => MetaAnswer::Unchanged,
            Ok(Fetched::Changed { body, etag }) => {
                self.etag = etag;
                let attrs = &body["data"]["attributes"];
                match structure::remote_from_attributes(&self.t.path, attrs) {
                    Ok(r) => MetaAnswer::Shape(r.info.shape, r.info.chunks),
                    Err(e) => {
                        tracing::debug!("{}", e.chain());
                        MetaAnswer::Failed(ConnectionState::ServerError)
                    }
                }
            }
            Err(e) if e.kind == ErrorKind::NotFound => MetaAnswer::Missing,
            Err(e) => {
                tracing::debug!("{}", e.chain());
                MetaAnswer::Failed(ConnectionState::after(&e))
            }
        }
    }

    /// Applies what the metadata says; emits created / shape_changed / deleted. False when the
    /// receiver is gone.
    async fn apply_meta(&mut self, answer: MetaAnswer) -> bool {
        match answer {
            MetaAnswer::Shape(new, chunks) => {
                self.chunks = chunks;
                match self.shape.clone() {
                    None => {
                        self.shape = Some(new);
                        self.event(now_rfc3339(), EventKind::Created).await
                    }
                    Some(old) if old != new => {
                        self.shape = Some(new.clone());
                        self.event(now_rfc3339(), EventKind::ShapeChanged { old, new })
                            .await
                    }
                    Some(_) => true,
                }
            }
            MetaAnswer::Missing => {
                if self.shape.take().is_some() {
                    self.etag = None;
                    self.last_seen = None;
                    return self.event(now_rfc3339(), EventKind::Deleted).await;
                }
                true
            }
            MetaAnswer::Unchanged | MetaAnswer::Failed(_) => true,
        }
    }

    async fn run(&mut self) {
        // Where things stand now, without events for them.
        let mut failures = 0u32;
        match self.fetch_meta(false).await {
            MetaAnswer::Shape(s, c) => {
                self.shape = Some(s);
                self.chunks = c;
            }
            MetaAnswer::Failed(_) => failures = 1,
            _ => {}
        }
        let streamable = self.t.stream_url.is_some();
        loop {
            if streamable && self.shape.is_some() {
                match self.stream().await {
                    StreamEnd::ReceiverGone => return,
                    StreamEnd::Refused => {
                        // No streaming cache (or not allowed): poll, and try again later.
                        if !self.poll_for(RETRY_STREAM).await {
                            return;
                        }
                        continue;
                    }
                    StreamEnd::Dropped => {
                        failures = failures.saturating_add(1);
                        if !self.state(ConnectionState::Reconnecting).await {
                            return;
                        }
                    }
                }
            } else if !self.poll_for(RETRY_STREAM).await {
                return;
            }
            // Back off before reconnecting: 0.25 s, 0.5 s, 1 s … up to 8 s.
            let wait = Duration::from_millis(250u64 << failures.min(5));
            tokio::time::sleep(wait).await;
            // Catch up from the metadata after the gap (and notice a server that is down) —
            // unless the stream's replay will tell each change in order.
            let replay_next = streamable && self.last_seen.is_some();
            match self.fetch_meta(true).await {
                MetaAnswer::Failed(down) => {
                    if !self.state(down).await {
                        return;
                    }
                }
                MetaAnswer::Shape(..) | MetaAnswer::Unchanged if replay_next => {
                    // Not applied: the next confirmation must compare the shape again.
                    self.etag = None;
                    failures = 0;
                }
                answer => {
                    failures = 0;
                    if !self.apply_meta(answer).await {
                        return;
                    }
                }
            }
        }
    }

    /// ETag polling for `how_long`. False when the receiver is gone.
    async fn poll_for(&mut self, how_long: Duration) -> bool {
        if !self.state(ConnectionState::Polling).await {
            return false;
        }
        let until = tokio::time::Instant::now() + how_long;
        let mut now = ConnectionState::Polling;
        while tokio::time::Instant::now() < until {
            let answer = self.fetch_meta(true).await;
            let s = match answer {
                MetaAnswer::Failed(down) => down,
                _ => ConnectionState::Polling,
            };
            // Said once per change: which way the link is down is news too.
            if s != now {
                now = s;
                if !self.state(s).await {
                    return false;
                }
            }
            if !self.apply_meta(answer).await {
                return false;
            }
            tokio::time::sleep(POLL).await;
            if self.tx.is_closed() {
                return false;
            }
        }
        true
    }

    async fn on_data(&mut self, timestamp: Option<String>, written: Option<Written>) -> bool {
        let Some((offset, size)) = written else {
            return true;
        };
        let time = timestamp
            .map(|t| if t.ends_with('Z') { t } else { format!("{t}Z") })
            .unwrap_or_else(now_rfc3339);
        if let Some(old) = self.shape.clone() {
            if old.len() == size.len() {
                let new: Vec<u64> = old
                    .iter()
                    .zip(offset.iter().zip(&size))
                    .map(|(&o, (&off, &n))| o.max(off.saturating_add(n)))
                    .collect();
                if new != old {
                    self.shape = Some(new.clone());
                    if !self
                        .event(time.clone(), EventKind::ShapeChanged { old, new })
                        .await
                    {
                        return false;
                    }
                }
            }
        }
        if size.iter().all(|&n| n > 0) {
            return self
                .event(
                    time,
                    EventKind::ChunksWritten {
                        offset,
                        shape: size,
                    },
                )
                .await;
        }
        true
    }
}

/// A websocket to the server's stream.
pub(super) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why a stream could not be opened.
pub(super) enum NoSocket {
    /// The server said no (its HTTP status; 0 when the request could not be built): polling
    /// or re-listing stands in for it.
    Refused(u16),
    /// The connection failed or took over 10 s: try again later.
    Dropped,
}

/// Opens the stream at `url` with the backend's headers (the key in a sensitive header).
pub(super) async fn connect(http: &Http, url: &Url) -> Result<Socket, NoSocket> {
    let req = match http.ws_request(url) {
        Ok(req) => req,
        Err(e) => {
            tracing::info!("{}", e.chain());
            return Err(NoSocket::Refused(0));
        }
    };
    let connected = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(req),
    )
    .await;
    match connected {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
            Err(NoSocket::Refused(resp.status().as_u16()))
        }
        _ => Err(NoSocket::Dropped),
    }
}
