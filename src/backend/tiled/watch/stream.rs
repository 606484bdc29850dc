//! The websocket side of a watch: decoding stream messages (untrusted bytes) and following
//! the stream until it ends.

use futures::StreamExt;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;

use super::{MetaAnswer, Watcher, CONFIRM};
use crate::backend::ConnectionState;

#[derive(Debug, Deserialize)]
struct StreamMsg {
    #[serde(rename = "type")]
    kind: String,
    sequence: Option<u64>,
    timestamp: Option<String>,
    shape: Option<Vec<u64>>,
    offset: Option<Vec<u64>>,
    block: Option<Vec<u64>>,
    /// `array-ref`: the box written (`shape` is then the whole array's new shape).
    patch: Option<PatchBox>,
}

#[derive(Debug, Deserialize)]
struct PatchBox {
    offset: Vec<u64>,
    shape: Vec<u64>,
}

/// Where an array-data message says data was written: (offset, shape), one entry per axis.
pub(super) type Written = (Vec<u64>, Vec<u64>);

/// One stream message, decoded and checked (the bytes come from the network: anything).
/// `array-data` (data sent to the server) and `array-ref` (a registered file that grew) both
/// count as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Decoded {
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
pub(super) fn decode(bytes: &[u8], chunks: &[u64]) -> Decoded {
    let parsed: Result<StreamMsg, _> =
        rmp_serde::from_slice(bytes).or_else(|_| serde_json::from_slice(bytes).map_err(|_| ()));
    let Ok(m) = parsed else {
        return Decoded::Invalid;
    };
    let stamp = (
        m.timestamp.clone().unwrap_or_default(),
        m.sequence.unwrap_or(0),
    );
    if m.kind == "array-ref" {
        // A registered file grew (or was rewritten): the patch, when given, is the box;
        // without one, the whole array at its new shape may have changed.
        let written = match (m.patch, m.shape) {
            (Some(p), _) => (p.offset.len() == p.shape.len()).then_some((p.offset, p.shape)),
            (None, Some(shape)) => Some((vec![0; shape.len()], shape)),
            (None, None) => None,
        };
        return Decoded::Data {
            stamp,
            timestamp: m.timestamp,
            written,
        };
    }
    if m.kind != "array-data" {
        return Decoded::Other;
    }
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

pub(super) enum StreamEnd {
    ReceiverGone,
    /// The server will not stream this node (no streaming cache, or it is gone).
    Refused,
    /// The connection broke: reconnect.
    Dropped,
}

impl Watcher {
    /// Follows the stream until it ends; see [`StreamEnd`].
    pub(super) async fn stream(&mut self) -> StreamEnd {
        let Some(mut url) = self.t.stream_url.clone() else {
            return StreamEnd::Refused;
        };
        url.query_pairs_mut()
            .append_pair("envelope_format", "msgpack");
        // After a drop, replay what the server's cache holds and skip what was seen: a server
        // that restarted numbers its messages from 1 again, so `start=last+1` could skip new
        // writes. Messages are told apart by (timestamp, sequence).
        let replaying = self.last_seen.is_some();
        if replaying {
            url.query_pairs_mut().append_pair("start", "0");
        }
        let mut ws = match super::connect(&self.t.http, &url).await {
            Ok(ws) => ws,
            Err(super::NoSocket::Refused(status)) => {
                tracing::info!(status, "stream refused; polling instead");
                return StreamEnd::Refused;
            }
            Err(super::NoSocket::Dropped) => return StreamEnd::Dropped,
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
        // A registered file that grew: the patch is the box, `shape` the array's new shape.
        let m = json!({"type": "array-ref", "sequence": 4, "timestamp": "t", "shape": [7, 4],
                       "patch": {"offset": [5, 0], "shape": [2, 4]}, "uri": null,
                       "data_source": {"management": "external"}});
        assert_eq!(
            decode(&msgpack(&m), &[1, 4]),
            Decoded::Data {
                stamp: ("t".into(), 4),
                timestamp: Some("t".into()),
                written: Some((vec![5, 0], vec![2, 4])),
            }
        );
        let m = json!({"type": "array-ref", "sequence": 5, "shape": [7, 4], "patch": null});
        assert!(matches!(
            decode(&msgpack(&m), &[1, 4]),
            Decoded::Data { written: Some((o, s)), .. } if o == vec![0, 0] && s == vec![7, 4]
        ));
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
