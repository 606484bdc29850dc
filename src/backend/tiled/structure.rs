//! Tiled's JSON: array structures, node attributes, and the body that creates an array.
//!
//! Everything read from the server is treated as untrusted: a missing or odd field becomes an
//! `io` error naming the array, never a panic.

use serde_json::{json, Map, Value};

use crate::backend::{element_json, fmt_shape, scalar_bytes, ArrayInfo, DType, Error, Result};

/// extent's own key in a node's metadata: `{"resizable": [..], "fill_value": ..}`.
/// Tiled's structure has a `resizable` flag too, but setting it makes Tiled's own Python
/// client refuse to read the array, and the server ignores it anyway.
pub(super) const EXTENT_KEY: &str = "extent";

/// Most chunk-list entries extent puts in one create request (Tiled lists every chunk).
const MAX_CHUNK_ENTRIES: u64 = 1_000_000;

/// An array as the server describes it, plus what extent needs to talk to it.
#[derive(Debug, Clone)]
pub(super) struct Remote {
    pub info: ArrayInfo,
    /// The server stores big-endian elements: bytes are swapped on the way in and out.
    pub big_endian: bool,
    /// Per axis, the sum of the server's chunk list (equal to the shape when consistent).
    pub chunk_totals: Vec<u64>,
    /// Where the data comes from, when the server said (a registered file is read-only).
    pub origin: Option<crate::backend::DataOrigin>,
}

/// The family of a node, as far as extent cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    Array,
    Container,
    Other,
}

pub(super) fn family(attributes: &Value) -> (Family, String) {
    let name = attributes["structure_family"]
        .as_str()
        .unwrap_or("unknown")
        .to_string();
    let fam = match name.as_str() {
        "array" => Family::Array,
        "container" => Family::Container,
        _ => Family::Other,
    };
    (fam, name)
}

/// `{kind, itemsize, endianness}` → dtype and byte order.
pub(super) fn parse_data_type(dt: &Value) -> Option<(DType, bool)> {
    let kind = dt["kind"].as_str()?;
    let mut chars = kind.chars();
    let k = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    let size = usize::try_from(dt["itemsize"].as_u64()?).ok()?;
    // Datetimes and timedeltas carry units; extent handles plain numbers only.
    if !dt["dt_units"].is_null() {
        return None;
    }
    let dtype = DType::from_kind(k, size)?;
    let big = match dt["endianness"].as_str() {
        Some("big") => size > 1,
        Some("little") | Some("not_applicable") | None => false,
        Some(_) => return None,
    };
    Some((dtype, big))
}

/// The `data_type` object for a little-endian dtype.
pub(super) fn data_type_json(dtype: DType) -> Value {
    let endianness = if dtype.size() == 1 {
        "not_applicable"
    } else {
        "little"
    };
    json!({
        "endianness": endianness,
        "kind": dtype.kind().to_string(),
        "itemsize": dtype.size(),
        "dt_units": null,
    })
}

fn u64_list(v: &Value) -> Option<Vec<u64>> {
    v.as_array()?.iter().map(|x| x.as_u64()).collect()
}

/// Builds an array's info from its node attributes (`structure` and `metadata`).
pub(super) fn remote_from_attributes(path: &str, attributes: &Value) -> Result<Remote> {
    match family(attributes) {
        (Family::Array, _) => {}
        (Family::Container, _) => {
            return Err(Error::invalid_input(format!(
                "'{path}' is a group, not an array"
            )))
        }
        (Family::Other, name) => {
            return Err(Error::unsupported(format!(
                "'{path}' is a {name} node, not an array: extent reads it but writes arrays only"
            )))
        }
    }
    let bad = |what: &str| {
        Error::io(format!(
            "the Tiled server sent an invalid {what} for '{path}'"
        ))
    };
    let st = &attributes["structure"];
    let shape = u64_list(&st["shape"]).ok_or_else(|| bad("shape"))?;
    let lists = st["chunks"].as_array().ok_or_else(|| bad("chunk list"))?;
    if lists.len() != shape.len() {
        return Err(bad("chunk list"));
    }
    // The regular chunk shape is the first chunk of each axis (the last one may be ragged).
    let mut chunks = Vec::with_capacity(shape.len());
    let mut chunk_totals = Vec::with_capacity(shape.len());
    for l in lists {
        let l = u64_list(l).ok_or_else(|| bad("chunk list"))?;
        chunks.push(l.first().copied().unwrap_or(0));
        chunk_totals.push(l.iter().fold(0u64, |a, &c| a.saturating_add(c)));
    }
    let (dtype, big_endian) = parse_data_type(&st["data_type"]).ok_or_else(|| {
        Error::unsupported(format!(
            "'{path}' has data type {}, which extent does not handle",
            st["data_type"]
        ))
    })?;
    let (metadata, resizable, fill) = split_metadata(&attributes["metadata"]);
    let resizable = resizable
        .filter(|r| r.len() == shape.len())
        .unwrap_or_else(|| vec![true; shape.len()]);
    // The server fills gaps with 0; a fill value extent did not record is therefore 0.
    let fill_bytes = fill
        .and_then(|f| scalar_bytes(dtype, &f).ok())
        .unwrap_or_else(|| vec![0; dtype.size()]);
    let fill_value = element_json(dtype, &fill_bytes);
    Ok(Remote {
        info: ArrayInfo {
            path: path.to_string(),
            shape,
            chunks,
            dtype,
            resizable,
            fill_value,
            metadata,
        },
        big_endian,
        chunk_totals,
        origin: super::kinds::origin(attributes),
    })
}

/// Splits node metadata into the user's part and extent's own (resizable, fill value).
pub(super) fn split_metadata(metadata: &Value) -> (Value, Option<Vec<bool>>, Option<Value>) {
    let Value::Object(m) = metadata else {
        return (json!({}), None, None);
    };
    let mut user = m.clone();
    let mut resizable = None;
    let mut fill = None;
    if let Some(ext) = user.remove(EXTENT_KEY) {
        resizable = serde_json::from_value::<Vec<bool>>(ext["resizable"].clone()).ok();
        fill = ext.get("fill_value").filter(|f| !f.is_null()).cloned();
    }
    (Value::Object(user), resizable, fill)
}

/// The user's metadata with extent's key added.
pub(super) fn metadata_with_extent(user: &Value, resizable: &[bool], fill: &Value) -> Value {
    let mut m = match user {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    m.insert(
        EXTENT_KEY.into(),
        json!({"resizable": resizable, "fill_value": fill}),
    );
    Value::Object(m)
}

/// Tiled's chunk lists for a chunk-aligned shape: `[c, c, ..]` per axis.
pub(super) fn chunk_lists(shape: &[u64], chunks: &[u64]) -> Vec<Vec<u64>> {
    shape
        .iter()
        .zip(chunks)
        .map(|(&s, &c)| vec![c; (s / c) as usize])
        .collect()
}

/// Refuses the shapes Tiled 0.2.20 mishandles, with what to use instead.
pub(super) fn check_creatable(shape: &[u64], chunks: &[u64]) -> Result<()> {
    if let Some(axis) = shape.iter().position(|&s| s == 0) {
        return Err(Error::invalid_input(format!(
            "shape {} has a zero-length axis {axis}: Tiled cannot extend such an array later \
             (a server bug); create it with at least one chunk along every axis and extend from there",
            fmt_shape(shape)
        )));
    }
    if shape.iter().zip(chunks).any(|(&s, &c)| s % c != 0) {
        let fit: Vec<u64> = shape
            .iter()
            .zip(chunks)
            .map(|(&s, &c)| largest_divisor_at_most(s, c))
            .collect();
        let round: Vec<u64> = shape
            .iter()
            .zip(chunks)
            .map(|(&s, &c)| s.div_ceil(c) * c)
            .collect();
        return Err(Error::invalid_input(format!(
            "shape {} is not a multiple of the chunk shape {}: Tiled would add phantom elements \
             after the first extend (a server bug). Use chunks that divide the shape (e.g. {}) \
             or a chunk-aligned shape (e.g. {})",
            fmt_shape(shape),
            fmt_shape(chunks),
            fmt_shape(&fit),
            fmt_shape(&round)
        )));
    }
    let entries: u64 = shape
        .iter()
        .zip(chunks)
        .map(|(&s, &c)| s / c)
        .fold(0u64, |a, n| a.saturating_add(n));
    if entries > MAX_CHUNK_ENTRIES {
        return Err(Error::invalid_input(format!(
            "chunk shape {} gives {entries} chunks along the axes of {}; Tiled lists every chunk, \
             so use larger chunks",
            fmt_shape(chunks),
            fmt_shape(shape)
        )));
    }
    Ok(())
}

fn largest_divisor_at_most(n: u64, max: u64) -> u64 {
    (1..=max.min(n))
        .rev()
        .find(|&d| n.is_multiple_of(d))
        .unwrap_or(1)
}

/// The body of `POST /metadata/{parent}` that creates a writable array.
pub(super) fn create_body(
    name: &str,
    shape: &[u64],
    chunks: &[u64],
    dtype: DType,
    metadata: Value,
) -> Value {
    json!({
        "id": name,
        "structure_family": "array",
        "metadata": metadata,
        "specs": [],
        "data_sources": [{
            "structure_family": "array",
            "management": "writable",
            "parameters": {},
            "assets": [],
            "structure": {
                "data_type": data_type_json(dtype),
                "chunks": chunk_lists(shape, chunks),
                "shape": shape,
                "dims": null,
                // Kept false on purpose: see EXTENT_KEY.
                "resizable": false,
            },
        }],
    })
}

/// The body of `POST /metadata/{parent}` that creates a group.
pub(super) fn container_body(name: &str) -> Value {
    json!({
        "id": name,
        "structure_family": "container",
        "metadata": {},
        "specs": [],
        "data_sources": [],
    })
}

/// The shape a PATCH answer reports (the answer is the array's new structure).
pub(super) fn shape_of_answer(answer: &Value) -> Option<Vec<u64>> {
    u64_list(&answer["shape"])
}

/// Reverses the byte order of every `size`-byte element in place.
pub(super) fn swap_bytes(bytes: &mut [u8], size: usize) {
    if size > 1 {
        for e in bytes.chunks_exact_mut(size) {
            e.reverse();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ErrorKind;

    fn attrs(structure: Value, metadata: Value) -> Value {
        json!({"structure_family": "array", "structure": structure, "metadata": metadata})
    }

    #[test]
    fn parses_a_structure() {
        let a = attrs(
            json!({"data_type": {"endianness": "little", "kind": "f", "itemsize": 8, "dt_units": null},
                   "chunks": [[2, 2, 1], [3]], "shape": [5, 3], "dims": null, "resizable": false}),
            json!({"x": 1, "extent": {"resizable": [true, false], "fill_value": -1}}),
        );
        let r = remote_from_attributes("a", &a).unwrap();
        assert_eq!(r.info.shape, vec![5, 3]);
        assert_eq!(r.info.chunks, vec![2, 3]);
        assert_eq!(r.info.dtype, DType::Float64);
        assert_eq!(r.info.resizable, vec![true, false]);
        assert_eq!(r.info.fill_value, json!(-1.0));
        assert_eq!(r.info.metadata, json!({"x": 1}));
        assert!(!r.big_endian);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for st in [
            json!(null),
            json!({"shape": "x"}),
            json!({"shape": [1], "chunks": [[1], [2]]}),
            json!({"shape": [-1], "chunks": [[1]]}),
            json!({"shape": [1], "chunks": [["a"]], "data_type": {}}),
            json!({"shape": [1], "chunks": [[1]], "data_type": {"kind": "c", "itemsize": 8}}),
            json!({"shape": [1], "chunks": [[1]], "data_type": {"kind": "ff", "itemsize": 8}}),
        ] {
            assert!(remote_from_attributes("a", &attrs(st, json!(null))).is_err());
        }
        let g = json!({"structure_family": "container"});
        assert_eq!(
            remote_from_attributes("g", &g).unwrap_err().kind,
            ErrorKind::InvalidInput
        );
        let t = json!({"structure_family": "table"});
        assert_eq!(
            remote_from_attributes("t", &t).unwrap_err().kind,
            ErrorKind::Unsupported
        );
    }

    #[test]
    fn big_endian_and_foreign_metadata() {
        let a = attrs(
            json!({"data_type": {"endianness": "big", "kind": "i", "itemsize": 2},
                   "chunks": [[4]], "shape": [4]}),
            json!({"extent": {"resizable": [true, true]}}),
        );
        let r = remote_from_attributes("a", &a).unwrap();
        assert!(r.big_endian);
        // A resizable list of the wrong length is ignored.
        assert_eq!(r.info.resizable, vec![true]);
        assert_eq!(r.info.fill_value, json!(0));
        let mut b = vec![1u8, 2, 3, 4];
        swap_bytes(&mut b, 2);
        assert_eq!(b, vec![2, 1, 4, 3]);
    }

    #[test]
    fn creatable_shapes() {
        check_creatable(&[4, 3], &[2, 3]).unwrap();
        let e = check_creatable(&[5, 3], &[2, 3]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("[5, 3]") && e.message.contains("[5, 3]"));
        assert!(e.message.contains("e.g. [1, 3]") && e.message.contains("e.g. [6, 3]"));
        assert!(check_creatable(&[0, 3], &[2, 3]).is_err());
        assert!(check_creatable(&[4_000_000], &[1]).is_err());
        assert_eq!(chunk_lists(&[4, 3], &[2, 3]), vec![vec![2, 2], vec![3]]);
        for d in DType::ALL {
            assert_eq!(parse_data_type(&data_type_json(d)), Some((d, false)));
        }
    }

    /// Any JSON-like value, including the odd numbers a broken server could send.
    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            "[a-z<>|]{0,4}".prop_map(Value::from),
        ];
        leaf.prop_recursive(2, 12, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
                proptest::collection::btree_map("[a-z_]{1,10}", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Structures with each field right, wrong or missing: an error or a consistent array.
        #[test]
        fn structures_never_panic(
            shape in proptest::option::of(proptest::collection::vec(0u64..1 << 40, 0..4)),
            chunk_lists in proptest::option::of(proptest::collection::vec(
                proptest::collection::vec(proptest::prelude::any::<u64>(), 0..4), 0..4)),
            kind in "[a-zA-Z]{0,2}",
            itemsize in proptest::prelude::any::<u64>(),
            endian in "(little|big|not_applicable|x)",
            resizable in proptest::collection::vec(proptest::prelude::any::<bool>(), 0..4),
            fill in any_value(),
            wild in any_value(),
            which in 0usize..6,
        ) {
            let mut st = json!({
                "data_type": {"kind": kind, "itemsize": itemsize, "endianness": endian},
                "shape": shape, "chunks": chunk_lists,
            });
            // One field (or the whole structure / metadata) replaced by anything.
            let mut meta = json!({"extent": {"resizable": resizable, "fill_value": fill}});
            match which {
                0 => st["shape"] = wild,
                1 => st["chunks"] = wild,
                2 => st["data_type"] = wild,
                3 => st = wild,
                4 => meta = wild,
                _ => {}
            }
            if let Ok(r) = remote_from_attributes("a", &attrs(st, meta)) {
                let n = r.info.shape.len();
                proptest::prop_assert_eq!(r.info.chunks.len(), n);
                proptest::prop_assert_eq!(r.info.resizable.len(), n);
                proptest::prop_assert_eq!(r.chunk_totals.len(), n);
            }
        }

        #[test]
        fn any_attributes_never_panic(a in any_value()) {
            let _ = remote_from_attributes("a", &a);
            let _ = shape_of_answer(&a);
            let _ = split_metadata(&a);
            let _ = parse_data_type(&a);
        }

        /// A consistent structure is read back exactly.
        #[test]
        fn good_structures_parse_exactly(
            dims in proptest::collection::vec((1u64..50, 1u64..9), 1..4),
            d in 0usize..DType::ALL.len(),
        ) {
            let dtype = DType::ALL[d];
            let shape: Vec<u64> = dims.iter().map(|p| p.0).collect();
            let chunks: Vec<u64> = dims.iter().map(|p| p.1).collect();
            let lists: Vec<Vec<u64>> = dims
                .iter()
                .map(|&(s, c)| {
                    let mut l = vec![c; (s / c) as usize];
                    if s % c != 0 {
                        l.push(s % c);
                    }
                    l
                })
                .collect();
            let a = attrs(json!({"data_type": data_type_json(dtype), "shape": shape, "chunks": lists}),
                          json!({}));
            let r = remote_from_attributes("a", &a).unwrap();
            proptest::prop_assert_eq!(&r.info.shape, &shape);
            proptest::prop_assert_eq!(&r.chunk_totals, &shape);
            proptest::prop_assert_eq!(r.info.dtype, dtype);
            let first: Vec<u64> = chunks.iter().zip(&shape).map(|(&c, &s)| c.min(s)).collect();
            proptest::prop_assert_eq!(&r.info.chunks, &first);
        }
    }
}
