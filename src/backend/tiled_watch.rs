//! Following an array on a Tiled server: the websocket stream when the server has a
//! streaming cache (live), reconnecting with backoff and a replay of the server's cache
//! (`start=0`, skipping what was seen), and ETag
//! polling of the metadata when streaming is not available (or the URL is https, whose
//! websocket TLS extent does not carry).
//!
//! A stream message carries the *patch's* offset and shape, not the array's new shape: the new
//! shape is max(old, offset + shape) per axis, confirmed from the metadata after every
//! reconnect and whenever the stream goes quiet.

use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::{now_rfc3339, ConnectionState, Event, EventKind, WatchMessage, WatchReceiver};

/// What the watcher needs to reach one array.
#[derive(Clone)]
pub struct TiledWatchTarget {
    /// A client that authenticates its requests itself.
    pub http: reqwest::Client,
    /// `http://host:port/api/v1`
    pub api_base: String,
    /// Path on the server (including any catalog prefix), no leading slash.
    pub server_path: String,
    /// Path as the user names it (in events).
    pub path: String,
    /// Sent as `Authorization: Apikey ...`; never printed (see the `Debug` impl).
    pub api_key: Option<String>,
}

impl std::fmt::Debug for TiledWatchTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("TiledWatchTarget")
            .field("api_base", &self.api_base)
            .field("server_path", &self.server_path)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct StreamMsg {
    #[serde(rename = "type")]
    kind: String,
    sequence: Option<u64>,
    timestamp: Option<String>,
    shape: Option<Vec<u64>>,
    offset: Option<Vec<u64>>,
    block: Option<Vec<u64>>,
}

/// Where an array-data message says data was written: (offset, shape), one entry per axis.
pub(crate) type Written = (Vec<u64>, Vec<u64>);

/// One stream message, decoded and checked (the bytes come from the network: anything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// Not a msgpack or JSON map with a string `type` and fields of the right types.
    Invalid,
    /// A message of another type (ignored).
    Other,
    /// An array-data message: its (timestamp, sequence), its timestamp, and the box written
    /// when the message says where (a message without a usable box still counts as seen).
    Data {
        stamp: (String, u64),
        timestamp: Option<String>,
        written: Option<Written>,
    },
}

/// Decodes a stream message (msgpack envelope, or JSON). `chunks` turns a block index into
/// an offset. Pure, so it can be fuzzed.
pub(crate) fn decode(bytes: &[u8], chunks: &[u64]) -> Decoded {
    let parsed: Result<StreamMsg, _> =
        rmp_serde::from_slice(bytes).or_else(|_| serde_json::from_slice(bytes).map_err(|_| ()));
    let Ok(m) = parsed else {
        return Decoded::Invalid;
    };
    if m.kind != "array-data" {
        return Decoded::Other;
    }
    let stamp = (
        m.timestamp.clone().unwrap_or_default(),
        m.sequence.unwrap_or(0),
    );
    let written = m.shape.and_then(|size| {
        let offset = match (m.offset, m.block) {
            (Some(o), _) => o,
            // A block index past u64 when multiplied out is nonsense: no usable box.
            (None, Some(b)) => b
                .iter()
                .zip(chunks)
                .map(|(i, c)| i.checked_mul(*c))
                .collect::<Option<Vec<u64>>>()?,
            (None, None) => vec![0; size.len()],
        };
        (offset.len() == size.len()).then_some((offset, size))
    });
    Decoded::Data {
        stamp,
        timestamp: m.timestamp,
        written,
    }
}

const POLL: Duration = Duration::from_millis(250);
/// While live and quiet, confirm the shape from the metadata this often (a 304 is cheap).
const CONFIRM: Duration = Duration::from_secs(2);
/// In polling mode, try the websocket again this often.
const RETRY_STREAM: Duration = Duration::from_secs(15);

struct Watcher {
    t: TiledWatchTarget,
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
    Failed,
}

/// Starts following the node; messages arrive on the returned channel until it is dropped.
pub fn spawn(t: TiledWatchTarget) -> WatchReceiver {
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
        let url = format!("{}/metadata/{}", self.t.api_base, self.t.server_path);
        // The client sends the key itself (a default header); the key is used here only for
        // the websocket handshake.
        let mut rb = self.t.http.get(url).timeout(Duration::from_secs(10));
        if let (true, Some(tag)) = (conditional, &self.etag) {
            rb = rb.header("If-None-Match", tag.clone());
        }
        let Ok(resp) = rb.send().await else {
            return MetaAnswer::Failed;
        };
        match resp.status().as_u16() {
            304 => MetaAnswer::Unchanged,
            404 => MetaAnswer::Missing,
            200 => {
                self.etag = resp
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let Ok(body) = resp.bytes().await else {
                    return MetaAnswer::Failed;
                };
                if body.len() > 16 << 20 {
                    return MetaAnswer::Failed;
                }
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
                    return MetaAnswer::Failed;
                };
                let st = &v["data"]["attributes"]["structure"];
                let shape: Option<Vec<u64>> = serde_json::from_value(st["shape"].clone()).ok();
                let chunks: Vec<u64> = st["chunks"]
                    .as_array()
                    .map(|axes| {
                        axes.iter()
                            .map(|a| {
                                a.as_array()
                                    .and_then(|c| c.first())
                                    .and_then(|c| c.as_u64())
                                    .unwrap_or(1)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                match shape {
                    Some(s) => MetaAnswer::Shape(s, chunks),
                    None => MetaAnswer::Failed,
                }
            }
            _ => MetaAnswer::Failed,
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
            MetaAnswer::Unchanged | MetaAnswer::Failed => true,
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
            MetaAnswer::Failed => failures = 1,
            _ => {}
        }
        let streamable = self.t.api_base.starts_with("http://");
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
                MetaAnswer::Failed => {
                    if !self.state(ConnectionState::Offline).await {
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
        let mut offline = false;
        while tokio::time::Instant::now() < until {
            let answer = self.fetch_meta(true).await;
            let failed = matches!(answer, MetaAnswer::Failed);
            if failed != offline {
                offline = failed;
                let s = if failed {
                    ConnectionState::Offline
                } else {
                    ConnectionState::Polling
                };
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

    async fn stream(&mut self) -> StreamEnd {
        let ws_base = self.t.api_base.replacen("http://", "ws://", 1);
        let mut url = format!(
            "{ws_base}/stream/single/{}?envelope_format=msgpack",
            self.t.server_path
        );
        // After a drop, replay what the server's cache holds and skip what was seen: a server
        // that restarted numbers its messages from 1 again, so `start=last+1` could skip new
        // writes. Messages are told apart by (timestamp, sequence).
        let replaying = self.last_seen.is_some();
        if replaying {
            url.push_str("&start=0");
        }
        let Ok(mut req) = url.as_str().into_client_request() else {
            return StreamEnd::Refused;
        };
        if let Some(k) = &self.t.api_key {
            if let Ok(v) = format!("Apikey {k}").parse() {
                req.headers_mut().insert("Authorization", v);
            }
        }
        let connected = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async(req),
        )
        .await;
        let mut ws = match connected {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
                tracing::info!(
                    status = resp.status().as_u16(),
                    "stream refused; polling instead"
                );
                return StreamEnd::Refused;
            }
            _ => return StreamEnd::Dropped,
        };
        if !self.state(ConnectionState::Live).await {
            return StreamEnd::ReceiverGone;
        }
        // Writes may have landed between the metadata read and the subscription. After a drop
        // the replay tells them one by one instead; the metadata is confirmed once it is quiet.
        if !replaying {
            let answer = self.fetch_meta(true).await;
            if !self.apply_meta(answer).await {
                return StreamEnd::ReceiverGone;
            }
        }
        loop {
            let next = tokio::time::timeout(CONFIRM, ws.next()).await;
            let msg = match next {
                Err(_) => {
                    // Quiet: confirm the shape (and notice deletion) cheaply.
                    let answer = self.fetch_meta(true).await;
                    let missing = matches!(answer, MetaAnswer::Missing);
                    if !self.apply_meta(answer).await {
                        return StreamEnd::ReceiverGone;
                    }
                    if missing {
                        return StreamEnd::Refused;
                    }
                    if self.tx.is_closed() {
                        return StreamEnd::ReceiverGone;
                    }
                    continue;
                }
                Ok(None) | Ok(Some(Err(_))) => return StreamEnd::Dropped,
                Ok(Some(Ok(m))) => m,
            };
            let bytes = match msg {
                Message::Binary(b) => b.to_vec(),
                Message::Text(t) => t.as_bytes().to_vec(),
                Message::Close(_) => return StreamEnd::Dropped,
                _ => continue,
            };
            let (stamp, timestamp, written) = match decode(&bytes, &self.chunks) {
                Decoded::Invalid => {
                    tracing::warn!("ignoring a stream message that is not msgpack or JSON");
                    continue;
                }
                Decoded::Other => continue,
                Decoded::Data {
                    stamp,
                    timestamp,
                    written,
                } => (stamp, timestamp, written),
            };
            if self.last_seen.as_ref().is_some_and(|last| &stamp <= last) {
                continue; // seen before the reconnect
            }
            self.last_seen = Some(stamp);
            if !self.on_data(timestamp, written).await {
                return StreamEnd::ReceiverGone;
            }
        }
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

enum StreamEnd {
    ReceiverGone,
    /// The server will not stream this node (no streaming cache, or it is gone).
    Refused,
    /// The connection broke: reconnect.
    Dropped,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn msgpack(v: &Value) -> Vec<u8> {
        rmp_serde::to_vec_named(v).unwrap()
    }

    #[test]
    fn decodes_what_tiled_sends() {
        let m = json!({"type": "array-data", "sequence": 3, "timestamp": "2026-01-01T00:00:00",
                       "shape": [2, 3], "offset": [4, 0], "mimetype": "application/octet-stream"});
        let want = Decoded::Data {
            stamp: ("2026-01-01T00:00:00".into(), 3),
            timestamp: Some("2026-01-01T00:00:00".into()),
            written: Some((vec![4, 0], vec![2, 3])),
        };
        assert_eq!(decode(&msgpack(&m), &[2, 3]), want);
        assert_eq!(decode(m.to_string().as_bytes(), &[2, 3]), want);
        let m = json!({"type": "array-data", "sequence": 1, "shape": [2], "block": [3]});
        assert!(matches!(decode(&msgpack(&m), &[5]),
            Decoded::Data { written: Some((o, _)), .. } if o == vec![15]));
        // A block index that overflows when multiplied out, an offset of the wrong length.
        let m = json!({"type": "array-data", "shape": [2], "block": [u64::MAX]});
        assert!(matches!(
            decode(&msgpack(&m), &[5]),
            Decoded::Data { written: None, .. }
        ));
        let m = json!({"type": "array-data", "shape": [2], "offset": [1, 1]});
        assert!(matches!(
            decode(&msgpack(&m), &[5]),
            Decoded::Data { written: None, .. }
        ));
        assert_eq!(
            decode(&msgpack(&json!({"type": "container-child-created"})), &[]),
            Decoded::Other
        );
        for bad in [
            json!({"type": 5}),
            json!({"shape": [1]}),
            json!([1, 2]),
            json!("x"),
            json!({"type": "array-data", "shape": [-1]}),
            json!({"type": "array-data", "sequence": "one"}),
        ] {
            assert_eq!(decode(&msgpack(&bad), &[1]), Decoded::Invalid, "{bad}");
        }
    }

    /// Any JSON-like value, with the odd ones a broken server could send.
    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            Just(Value::from(u64::MAX)),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            "\\PC{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(2, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::vec(any::<u64>(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A map with the stream message's fields, each missing, of the right type, or anything.
    fn plausible() -> impl Strategy<Value = Value> {
        let field = |good: BoxedStrategy<Value>| {
            prop_oneof![Just(None), good.prop_map(Some), any_value().prop_map(Some)]
        };
        let dims = || {
            proptest::collection::vec(any::<u64>(), 0..4)
                .prop_map(Value::from)
                .boxed()
        };
        (
            field(prop_oneof![Just(json!("array-data")), Just(json!("other"))].boxed()),
            field(any::<u64>().prop_map(Value::from).boxed()),
            field("[0-9T:-]{0,20}".prop_map(Value::from).boxed()),
            field(dims()),
            field(dims()),
            field(dims()),
        )
            .prop_map(|(t, seq, ts, shape, offset, block)| {
                let mut m = serde_json::Map::new();
                for (k, v) in [
                    ("type", t),
                    ("sequence", seq),
                    ("timestamp", ts),
                    ("shape", shape),
                    ("offset", offset),
                    ("block", block),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                }
                Value::Object(m)
            })
    }

    fn well_formed(d: &Decoded) {
        if let Decoded::Data {
            written: Some((o, s)),
            ..
        } = d
        {
            assert_eq!(o.len(), s.len());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256),
                                       chunks in proptest::collection::vec(any::<u64>(), 0..4)) {
            well_formed(&decode(&bytes, &chunks));
        }

        #[test]
        fn plausible_maps_never_panic(m in plausible(),
                                      chunks in proptest::collection::vec(any::<u64>(), 0..4)) {
            well_formed(&decode(&msgpack(&m), &chunks));
            well_formed(&decode(m.to_string().as_bytes(), &chunks));
        }

        #[test]
        fn mutated_messages_never_panic(i in 0usize..200, b in any::<u8>(), cut in 0usize..200) {
            let m = json!({"type": "array-data", "sequence": 7, "timestamp": "2026-01-01T00:00:00",
                           "shape": [1, 2], "block": [3, 4], "payload": [1, 2, 3]});
            let mut bytes = msgpack(&m);
            let n = bytes.len();
            bytes[i % n] = b;
            bytes.truncate(cut.max(1));
            well_formed(&decode(&bytes, &[2, 2]));
        }

        #[test]
        fn good_messages_decode_exactly(seq in any::<u64>(), off in proptest::collection::vec(0u64..1 << 40, 1..4)) {
            let size: Vec<u64> = off.iter().map(|o| o % 7).collect();
            let m = json!({"type": "array-data", "sequence": seq, "shape": size, "offset": off});
            prop_assert_eq!(decode(&msgpack(&m), &[]), Decoded::Data {
                stamp: (String::new(), seq),
                timestamp: None,
                written: Some((off.clone(), size.clone())),
            });
        }
    }
}
