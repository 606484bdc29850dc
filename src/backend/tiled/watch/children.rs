//! Following a container: Tiled announces each child made in it on the container's own stream
//! (`container-child-created`, with the child's structure family, specs and data sources), so
//! the child is added where it is shown without listing the container again.
//!
//! After a dropped connection the follower reconnects with backoff, asks the server to replay
//! its cache (`start=0`, skipping what was seen by timestamp and sequence) and lists the
//! container again, newest first, down to the first child it knew: a restarted server's cache
//! starts empty, and an expired one has forgotten, so the listing tells what the replay cannot.
//! Each child is announced once.
//!
//! The message carries the access control of the child: `access_blob` (a map) on older
//! servers, `access_tags` (a list of names) on newer ones, or neither. extent reads neither,
//! and a message with any of the three forms is a child all the same.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use reqwest::Url;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::super::http::Http;
use super::super::kinds;
use super::relist::{relist, Relisted};
use crate::backend::{validate_path, ChildNews, ErrorKind, NodeEntry};

/// What the follower needs to reach one container. No `Debug`: the URLs may hold user-info.
pub(in crate::backend::tiled) struct ChildTarget {
    pub http: Http,
    /// The container's `stream/single` route as a `ws://` URL.
    pub stream_url: Url,
    /// The container's `search` route (its children, for the listing after a reconnect).
    pub search_url: Url,
    /// The container's path as the user names it (`""` is the root).
    pub parent: String,
}

/// How often a quiet stream checks that someone still listens.
const QUIET: Duration = Duration::from_secs(2);
/// Reconnections in a row that fail before giving up (the catalog's re-listing still covers
/// it); a connection that comes back starts the count again.
const RECONNECTS: u32 = 20;

/// A message's place in the server's stream: (timestamp, sequence). A restarted server numbers
/// from 1 again, so the timestamp comes first.
type Stamp = (String, u64);

/// A `container-child-created` message of `parent`'s stream: its stamp and the child's entry.
/// Anything else (the schema sent first, metadata updates, bytes that are not a message) is
/// `None`. Pure, so the message forms can be tested one by one.
pub(in crate::backend::tiled) fn decode_child(
    bytes: &[u8],
    parent: &str,
) -> Option<(Stamp, NodeEntry)> {
    // JSON text is a valid msgpack number too (`{` is 123): a message is a map.
    let v: Value = rmp_serde::from_slice(bytes)
        .ok()
        .filter(Value::is_object)
        .or_else(|| serde_json::from_slice(bytes).ok())?;
    if v["type"].as_str()? != "container-child-created" {
        return None;
    }
    let key = v["key"].as_str()?;
    let path = child_path(parent, key)?;
    // The first data source holds the structure a listing gives as `structure`.
    let structure = v["data_sources"]
        .as_array()
        .and_then(|d| d.first())
        .map(|d| d["structure"].clone())
        .unwrap_or(Value::Null);
    let attrs = json!({
        "structure_family": v["structure_family"].as_str()?,
        "structure": structure,
        "specs": v["specs"].clone(),
    });
    let stamp = (
        v["timestamp"].as_str().unwrap_or_default().to_string(),
        v["sequence"].as_u64().unwrap_or(0),
    );
    Some((stamp, kinds::entry(path, &attrs)))
}

/// The path of `parent`'s child `key`; None for a key that is not one name (`/`, `..`, empty).
pub(super) fn child_path(parent: &str, key: &str) -> Option<String> {
    let path = if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}/{key}")
    };
    (!key.contains('/') && validate_path(&path).is_ok()).then_some(path)
}

/// Starts following the container; entries arrive until the receiver is dropped, or the
/// server will not stream it (then the channel closes).
pub(in crate::backend::tiled) fn spawn(t: ChildTarget) -> mpsc::Receiver<ChildNews> {
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        let mut f = Follower {
            t,
            tx,
            last: None,
            known: None,
            relisted: HashSet::new(),
        };
        f.run().await;
    });
    rx
}

struct Follower {
    t: ChildTarget,
    tx: mpsc::Sender<ChildNews>,
    /// The last message handled: older ones in a replay were seen.
    last: Option<Stamp>,
    /// Children known to exist (listed or announced): where a listing, newest first, stops.
    /// None until a listing succeeded.
    known: Option<HashSet<String>>,
    /// Children the listing after the last reconnect announced: their messages in the replay
    /// are not news.
    relisted: HashSet<String>,
}

enum End {
    ReceiverGone,
    /// The server will not stream the container, or it is gone.
    Refused,
    /// The connection broke (`live`: after it was up and listed): reconnect.
    Dropped {
        live: bool,
    },
}

impl Follower {
    async fn run(&mut self) {
        let mut failures = 0u32;
        loop {
            match self.follow().await {
                End::ReceiverGone | End::Refused => return,
                End::Dropped { live } => {
                    // Said once per outage: the follower was listening until now.
                    if live && self.tx.send(ChildNews::Lost).await.is_err() {
                        return;
                    }
                    failures = if live { 1 } else { failures + 1 };
                    if failures > RECONNECTS {
                        tracing::info!(
                            parent = self.t.parent,
                            "container stream lost; the catalog's re-listing covers it"
                        );
                        return;
                    }
                }
            }
            // Back off: 0.5 s, 1 s, 2 s … up to 8 s.
            tokio::time::sleep(Duration::from_millis(250u64 << failures.min(5))).await;
        }
    }

    async fn follow(&mut self) -> End {
        let mut url = self.t.stream_url.clone();
        url.query_pairs_mut()
            .append_pair("envelope_format", "msgpack");
        // Replay only once a message was seen: before that the cache holds children made
        // before the follower started, which are not news. The listing covers the gap.
        if self.last.is_some() {
            url.query_pairs_mut().append_pair("start", "0");
        }
        let mut ws = match super::connect(&self.t.http, &url).await {
            Ok(ws) => ws,
            Err(super::NoSocket::Refused(status)) => {
                tracing::info!(
                    status,
                    parent = self.t.parent,
                    "container stream refused; the catalog's re-listing covers it"
                );
                return End::Refused;
            }
            Err(super::NoSocket::Dropped) => return End::Dropped { live: false },
        };
        // Subscribed: what is made from now on comes on the stream, what was made before is in
        // the listing.
        match self.relist().await {
            Ok(true) => {}
            Ok(false) => return End::ReceiverGone,
            Err(ErrorKind::NotFound) => return End::Refused,
            Err(_) => return End::Dropped { live: false },
        }
        loop {
            let msg = match tokio::time::timeout(QUIET, ws.next()).await {
                Err(_) if self.tx.is_closed() => return End::ReceiverGone,
                Err(_) => continue,
                Ok(None) | Ok(Some(Err(_))) => return End::Dropped { live: true },
                Ok(Some(Ok(m))) => m,
            };
            let bytes = match msg {
                Message::Binary(b) => b.to_vec(),
                Message::Text(s) => s.as_bytes().to_vec(),
                Message::Close(_) => return End::Dropped { live: true },
                _ => continue,
            };
            let Some((stamp, entry)) = decode_child(&bytes, &self.t.parent) else {
                continue;
            };
            if self.last.as_ref().is_some_and(|last| &stamp <= last) {
                continue; // seen before the reconnect
            }
            self.last = Some(stamp);
            if self.relisted.remove(&entry.path) {
                continue; // the listing announced it
            }
            if let Some(known) = self.known.as_mut() {
                known.insert(entry.path.clone());
            }
            if self.tx.send(ChildNews::Created(entry)).await.is_err() {
                return End::ReceiverGone;
            }
        }
    }

    /// Lists the container, newest first. The first time it only learns what exists; after a
    /// reconnect it announces the children newer than the newest it knew. Ok(false) when the
    /// receiver is gone; the error's kind when the listing failed.
    async fn relist(&mut self) -> Result<bool, ErrorKind> {
        let announce = self.known.is_some();
        let known = self.known.get_or_insert_with(HashSet::new);
        let Relisted { fresh, seen } = match relist(
            &self.t.http,
            &self.t.search_url,
            &self.t.parent,
            known,
            announce,
        )
        .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::info!(parent = self.t.parent, "{}", e.chain());
                if !announce {
                    self.known = None;
                }
                return Err(e.kind);
            }
        };
        known.extend(seen);
        self.relisted.clear();
        for entry in fresh {
            known.insert(entry.path.clone());
            self.relisted.insert(entry.path.clone());
            if self.tx.send(ChildNews::Created(entry)).await.is_err() {
                return Ok(false);
            }
        }
        // Subscribed and caught up: what is made from now on comes on the stream.
        Ok(self.tx.send(ChildNews::Following).await.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{DType, NodeKind};

    /// A message as Tiled 0.2.20's `CatalogContainerAdapter.create_node` builds it (a run made
    /// with specs and metadata), with the access control field given or not.
    fn created(key: &str, family: &str, structure: Value, access: Option<(&str, Value)>) -> Value {
        let mut m = json!({
            "type": "container-child-created",
            "sequence": 7,
            "timestamp": "2026-12-03T12:00:00.123456",
            "key": key,
            "structure_family": family,
            "specs": [{"name": "BlueskyRun", "version": "1"}],
            "metadata": {"plan_name": "count", "scan_id": 301},
            "data_sources": if structure.is_null() { json!([]) } else { json!([{
                "id": 3, "structure_family": family, "structure": structure,
                "mimetype": "application/x-zarr", "parameters": {}, "properties": {},
                "assets": [], "management": "writable"}]) },
        });
        if let Some((k, v)) = access {
            m[k] = v;
        }
        m
    }

    fn both_encodings(m: &Value, parent: &str) -> Option<NodeEntry> {
        let packed = decode_child(&rmp_serde::to_vec_named(m).unwrap(), parent);
        assert_eq!(packed, decode_child(m.to_string().as_bytes(), parent));
        packed.map(|(stamp, entry)| {
            assert_eq!(stamp, ("2026-12-03T12:00:00.123456".to_string(), 7));
            entry
        })
    }

    fn run(path: &str) -> NodeEntry {
        NodeEntry {
            path: path.into(),
            kind: NodeKind::Group,
            shape: None,
            dtype: None,
            specs: vec!["BlueskyRun".into()],
        }
    }

    #[test]
    fn a_child_with_the_newer_access_tags() {
        let m = created(
            "run-0301",
            "container",
            Value::Null,
            Some(("access_tags", json!(["public", "beamline"]))),
        );
        assert_eq!(
            both_encodings(&m, "fac/runs"),
            Some(run("fac/runs/run-0301"))
        );
    }

    #[test]
    fn a_child_with_the_older_access_blob() {
        let m = created(
            "run-0302",
            "container",
            Value::Null,
            Some(("access_blob", json!({"tags": ["public"], "user": "alice"}))),
        );
        assert_eq!(both_encodings(&m, "runs"), Some(run("runs/run-0302")));
    }

    #[test]
    fn a_child_with_no_access_field() {
        let m = created("run-0303", "container", Value::Null, None);
        assert_eq!(both_encodings(&m, ""), Some(run("run-0303")));
        // An array: its shape and dtype from the first data source's structure.
        let st = json!({"data_type": {"endianness": "little", "kind": "u", "itemsize": 2,
                        "dt_units": null}, "chunks": [[1], [4], [4]], "shape": [1, 4, 4],
                        "dims": null, "resizable": false});
        let e = both_encodings(&created("det", "array", st, None), "r").unwrap();
        assert_eq!(e.kind, NodeKind::Array);
        assert_eq!(e.shape, Some(vec![1, 4, 4]));
        assert_eq!(e.dtype, Some(DType::UInt16));
    }

    #[test]
    fn other_messages_and_bad_keys_are_not_children() {
        for m in [
            json!({"type": "container-schema", "version": 1}),
            json!({"type": "container-child-metadata-updated", "sequence": 2, "key": "a",
                   "specs": [], "metadata": {}}),
            created("a/b", "container", Value::Null, None),
            created("..", "container", Value::Null, None),
            created("", "container", Value::Null, None),
            json!({"type": "container-child-created", "key": "x"}),
            json!([1, 2]),
        ] {
            assert_eq!(both_encodings(&m, "p"), None, "{m}");
        }
        assert_eq!(decode_child(b"\xc1 not a message", "p"), None);
    }
}
