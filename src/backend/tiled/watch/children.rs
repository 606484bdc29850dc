//! Following a container: Tiled announces each child made in it on the container's own stream
//! (`container-child-created`, with the child's structure family, specs and data sources), so
//! the child is added where it is shown without listing the container again.
//!
//! The message carries the access control of the child: `access_blob` (a map) on older
//! servers, `access_tags` (a list of names) on newer ones, or neither. extent reads neither,
//! and a message with any of the three forms is a child all the same.

use std::time::Duration;

use futures::StreamExt;
use reqwest::Url;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::super::http::Http;
use super::super::kinds;
use crate::backend::{validate_path, NodeEntry};

/// What the follower needs to reach one container. No `Debug`: the URL may hold user-info.
pub(in crate::backend::tiled) struct ChildTarget {
    pub http: Http,
    /// The container's `stream/single` route as a `ws://` URL.
    pub stream_url: Url,
    /// The container's path as the user names it (`""` is the root).
    pub parent: String,
}

/// How often a quiet stream checks that someone still listens.
const QUIET: Duration = Duration::from_secs(2);
/// Reconnections after a drop before giving up (the catalog's re-listing still covers it).
const RECONNECTS: u32 = 20;

/// A `container-child-created` message of `parent`'s stream, as the child's entry. Anything
/// else (the schema sent first, metadata updates, bytes that are not a message) is `None`.
/// Pure, so the message forms can be tested one by one.
pub(in crate::backend::tiled) fn decode_child(bytes: &[u8], parent: &str) -> Option<NodeEntry> {
    // JSON text is a valid msgpack number too (`{` is 123): a message is a map.
    let v: Value = rmp_serde::from_slice(bytes)
        .ok()
        .filter(Value::is_object)
        .or_else(|| serde_json::from_slice(bytes).ok())?;
    if v["type"].as_str()? != "container-child-created" {
        return None;
    }
    let key = v["key"].as_str()?;
    let path = if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}/{key}")
    };
    // One name, never a path of its own: a key with `/` or `..` is not a child here.
    if key.contains('/') || validate_path(&path).is_err() {
        return None;
    }
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
    Some(kinds::entry(path, &attrs))
}

/// Starts following the container; entries arrive until the receiver is dropped, or the
/// server will not stream it (then the channel closes).
pub(in crate::backend::tiled) fn spawn(t: ChildTarget) -> mpsc::Receiver<NodeEntry> {
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        let mut drops = 0;
        while drops <= RECONNECTS {
            match follow(&t, &tx).await {
                End::ReceiverGone | End::Refused => return,
                End::Dropped => drops += 1,
            }
            tokio::time::sleep(Duration::from_millis(250u64 << drops.min(5))).await;
        }
    });
    rx
}

enum End {
    ReceiverGone,
    Refused,
    Dropped,
}

async fn follow(t: &ChildTarget, tx: &mpsc::Sender<NodeEntry>) -> End {
    let mut url = t.stream_url.clone();
    url.query_pairs_mut()
        .append_pair("envelope_format", "msgpack");
    let mut ws = match super::connect(&t.http, &url).await {
        Ok(ws) => ws,
        Err(super::NoSocket::Refused(status)) => {
            tracing::info!(
                status,
                parent = t.parent,
                "container stream refused; the catalog's re-listing covers it"
            );
            return End::Refused;
        }
        Err(super::NoSocket::Dropped) => return End::Dropped,
    };
    loop {
        let msg = match tokio::time::timeout(QUIET, ws.next()).await {
            Err(_) if tx.is_closed() => return End::ReceiverGone,
            Err(_) => continue,
            Ok(None) | Ok(Some(Err(_))) => return End::Dropped,
            Ok(Some(Ok(m))) => m,
        };
        let bytes = match msg {
            Message::Binary(b) => b.to_vec(),
            Message::Text(s) => s.as_bytes().to_vec(),
            Message::Close(_) => return End::Dropped,
            _ => continue,
        };
        if let Some(entry) = decode_child(&bytes, &t.parent) {
            if tx.send(entry).await.is_err() {
                return End::ReceiverGone;
            }
        }
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
        packed
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
