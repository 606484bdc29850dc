//! zarr-python 3 (from the pinned venv) reads what extent writes, and extent reads and
//! patches what zarr-python writes.

mod common;

use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, CreateRequest, DType};
use serde_json::Value;

const READ_ALL: &str = r#"
import json, sys, zarr, numpy as np
root = zarr.open_group(sys.argv[1], mode="r")
out = {}
for name, arr in root.arrays():
    a = arr[...]
    out[name] = {"shape": list(a.shape), "dtype": str(a.dtype),
                 "data": [x.item() if not (isinstance(x.item(), float) and x.item() != x.item()) else "NaN" for x in a.ravel()]}
print(json.dumps(out))
"#;

#[test]
fn zarr_python_reads_what_extent_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = LocalBackend::open_or_create(tmp.path()).unwrap();
    let mut want = serde_json::Map::new();
    rt.block_on(async {
        for (i, dtype) in DType::ALL.into_iter().enumerate() {
            let name = dtype.name();
            b.create(&CreateRequest {
                path: name.into(),
                shape: vec![3, 4],
                chunks: vec![2, 3],
                dtype,
                resizable: vec![true, true],
                fill_value: if dtype == DType::Bool {
                    false.into()
                } else {
                    1.into()
                },
                metadata: serde_json::json!({"beamline": "test"}),
                data: None,
            })
            .await
            .unwrap();
            // Extend out of order past the edge (rows 4, then 3), leaving a gap of fill.
            let v: Value = if dtype == DType::Bool {
                true.into()
            } else {
                (i as i64 + 2).into()
            };
            for row in [4u64, 3] {
                let d = ArrayData::filled(dtype, &[1, 5], &v).unwrap();
                b.patch(name, &[row, 0], &d, true).await.unwrap();
            }
            let data = b.read(name, None).await.unwrap();
            assert_eq!(data.shape, vec![5, 5]);
            want.insert(
                name.into(),
                serde_json::json!({"shape": [5, 5], "dtype": name, "data": data.to_json_values()}),
            );
        }
    });
    let got: Value =
        serde_json::from_str(&common::python(READ_ALL, &[tmp.path().to_str().unwrap()])).unwrap();
    for (name, w) in &want {
        let g = &got[name];
        assert_eq!(g["shape"], w["shape"], "{name}");
        assert_eq!(g["dtype"], w["dtype"], "{name}");
        let gd: Vec<f64> = g["data"].as_array().unwrap().iter().map(num).collect();
        let wd: Vec<f64> = w["data"].as_array().unwrap().iter().map(num).collect();
        assert_eq!(gd, wd, "{name}: zarr-python reads different values");
    }
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Bool(b) => *b as u8 as f64,
        v => v.as_f64().unwrap(),
    }
}

#[test]
fn extent_reads_and_patches_what_zarr_python_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().to_str().unwrap();
    // zarr-python's defaults (zstd, `c/` keys) and a shape that is not chunk-aligned.
    common::python(
        r#"
import sys, zarr, numpy as np
root = zarr.open_group(sys.argv[1], mode="w")
a = root.create_array("g/data", shape=(5, 7), chunks=(2, 3), dtype="float32", fill_value=-1.0)
a[...] = np.arange(35, dtype="float32").reshape(5, 7)
b = root.create_array("g/flags", shape=(10,), chunks=(4,), dtype="uint16", fill_value=0)
b[2:6] = 9
"#,
        &[store],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = LocalBackend::open(store).unwrap();
    rt.block_on(async {
        let listed = b.walk("").await.unwrap();
        let paths: Vec<&str> = listed.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(paths, ["g", "g/data", "g/flags"]);
        let info = b.show("g/data").await.unwrap();
        assert_eq!(
            (info.shape.clone(), info.chunks.clone(), info.dtype),
            (vec![5, 7], vec![2, 3], DType::Float32)
        );
        let data = b.read("g/data", None).await.unwrap();
        let vals: Vec<f64> = (0..35).map(|i| data.get_f64(i)).collect();
        assert_eq!(vals, (0..35).map(|i| i as f64).collect::<Vec<_>>());
        let flags = b.read("g/flags", None).await.unwrap();
        assert_eq!(
            (0..10).map(|i| flags.get_f64(i)).collect::<Vec<_>>(),
            [0., 0., 9., 9., 9., 9., 0., 0., 0., 0.]
        );
        // Extend past the ragged edge: rows 5..7 get 100, row 7 stays fill.
        let d = ArrayData::filled(DType::Float32, &[2, 7], &100.into()).unwrap();
        b.patch("g/data", &[5, 0], &d, true).await.unwrap();
        b.resize("g/data", &[8, 7], extent::backend::Cause::Resize)
            .await
            .unwrap();
    });
    let out = common::python(
        r#"
import sys, json, zarr
a = zarr.open_array(sys.argv[1], path="g/data", mode="r")
print(json.dumps({"shape": list(a.shape), "rows": a[4:8, 0].tolist()}))
"#,
        &[store],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["shape"], serde_json::json!([8, 7]));
    assert_eq!(v["rows"], serde_json::json!([28.0, 100.0, 100.0, -1.0]));
}

/// Detector-sized frames (a 2 MiB chunk each, half compressible, half noise), extended out
/// of order: zarr-python reads them back exactly.
#[test]
fn zarr_python_reads_big_frames_extended_out_of_order() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = LocalBackend::open_or_create(tmp.path()).unwrap();
    let (rows, cols) = (1024u64, 1024u64);
    // Half compressible, half noise, different in every frame.
    let frame = |f: u64| -> Vec<u8> {
        (0..rows * cols)
            .flat_map(|i| {
                let v = if i % 2 == 0 {
                    (i / 4096) as u16
                } else {
                    ((i ^ f).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as u16
                };
                v.to_le_bytes()
            })
            .collect()
    };
    let mut want_sum = 0u64;
    rt.block_on(async {
        b.create(&CreateRequest {
            path: "frames".into(),
            shape: vec![1, rows, cols],
            chunks: vec![1, rows, cols],
            dtype: DType::UInt16,
            resizable: vec![true, false, false],
            fill_value: 0.into(),
            metadata: serde_json::json!({}),
            data: None,
        })
        .await
        .unwrap();
        for f in [2u64, 0, 1] {
            let bytes = frame(f);
            want_sum += bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]) as u64)
                .sum::<u64>();
            let d = ArrayData::new(DType::UInt16, vec![1, rows, cols], bytes).unwrap();
            b.patch("frames", &[f, 0, 0], &d, true).await.unwrap();
        }
    });
    let script = r#"
import json, sys, zarr, numpy as np
a = zarr.open_array(sys.argv[1] + "/frames", mode="r")[...]
print(json.dumps({"shape": list(a.shape), "sum": int(a.astype(np.uint64).sum()),
                  "first": [int(x) for x in a[:, 0, 1]]}))
"#;
    let got: Value =
        serde_json::from_str(&common::python(script, &[tmp.path().to_str().unwrap()])).unwrap();
    assert_eq!(got["shape"], serde_json::json!([3, rows, cols]));
    assert_eq!(got["sum"].as_u64(), Some(want_sum));
    let first: Vec<u64> = (0..3)
        .map(|f| {
            let b = frame(f);
            u16::from_le_bytes([b[2], b[3]]) as u64
        })
        .collect();
    assert_eq!(got["first"], serde_json::json!(first));
}
