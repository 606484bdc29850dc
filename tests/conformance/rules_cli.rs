//! Rules through the real `extent` binary: every command of the CLI contract once, against
//! each backend, with the JSON and exit codes scripts rely on.

use serde_json::json;

use crate::rules::{f64s, values};
use crate::Cx;

pub fn ok_json(cx: &Cx, args: &[&str]) -> serde_json::Value {
    crate::common::expect_json(args, &cx.extent(args))
}

/// Runs a command that must fail; returns (exit code, kind, message) from the JSON error.
fn failing(cx: &Cx, args: &[&str]) -> (i32, String, String) {
    let out = cx.extent(args);
    assert!(!out.status.success(), "extent {args:?} should have failed");
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|_| {
        panic!(
            "extent {args:?}: stderr is not JSON: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap_or(-1),
        err["error"]["kind"].as_str().unwrap_or("").to_string(),
        err["error"]["message"].as_str().unwrap_or("").to_string(),
    )
}

/// Every command of the CLI contract once, against this store.
pub async fn cli_commands(cx: &Cx) {
    let created = ok_json(
        cx,
        &[
            "create", "g/a", "--shape", "4,3", "--chunks", "2,3", "--dtype", "float64", "--fill",
            "1.5", "--json",
        ],
    );
    assert_eq!(created["shape"], json!([4, 3]));
    assert_eq!(created["fill_value"], json!(1.5));
    let ls = ok_json(cx, &["ls", "--json"]);
    assert_eq!(
        ls,
        json!([{"path": "g", "kind": "group"}, {"path": "g/a", "kind": "array", "shape": [4, 3], "dtype": "float64"}])
    );
    let show = ok_json(cx, &["show", "g/a", "--json"]);
    assert_eq!(
        show,
        json!({"path": "g/a", "shape": [4, 3], "chunks": [2, 3], "dtype": "float64",
               "resizable": [true, true], "fill_value": 1.5, "metadata": {}})
    );
    let patched = ok_json(
        cx,
        &[
            "patch", "g/a", "--offset", "5,0", "--value", "2", "--shape", "1,3", "--extend",
            "--json",
        ],
    );
    assert_eq!(patched["shape"], json!([6, 3]));
    let npy = cx.tmp("block.npy");
    std::fs::write(&npy, extent::npy::encode(&f64s(&[1, 3], 7.0))).unwrap();
    let npy_s = npy.display().to_string();
    ok_json(
        cx,
        &[
            "patch", "g/a", "--offset", "0,0", "--from", &npy_s, "--json",
        ],
    );
    let read = ok_json(cx, &["read", "g/a", "--json"]);
    assert_eq!(read["shape"], json!([6, 3]));
    assert_eq!(
        read["data"],
        json!([
            7.0, 8.0, 9.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 2.0, 2.0,
            2.0
        ])
    );
    let slice = ok_json(cx, &["read", "g/a", "--slice", "-1:,1:", "--json"]);
    assert_eq!(
        slice,
        json!({"shape": [1, 2], "dtype": "float64", "data": [2.0, 2.0]})
    );
    let out_npy = cx.tmp("out.npy");
    let out_s = out_npy.display().to_string();
    let out = cx.extent(&["read", "g/a", "--slice", "0:1", "--out", &out_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = extent::npy::read(&out_npy).unwrap();
    assert_eq!(values(&back), vec![7.0, 8.0, 9.0]);
    let grown = ok_json(cx, &["resize", "g/a", "--shape", "8,3", "--json"]);
    assert_eq!(grown["shape"], json!([8, 3]));
    let can_shrink = cx.b().capabilities().can_shrink;
    if can_shrink {
        let s = ok_json(cx, &["resize", "g/a", "--shape", "7,3", "--yes", "--json"]);
        assert_eq!(s["shape"], json!([7, 3]));
    } else {
        let (code, kind, msg) =
            failing(cx, &["resize", "g/a", "--shape", "7,3", "--yes", "--json"]);
        assert_eq!((code, kind.as_str()), (4, "unsupported"), "{msg}");
        assert!(msg.contains("shrink"), "{msg}");
    }
    let history = ok_json(cx, &["history", "g/a", "--json"]);
    let causes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cause"].as_str().unwrap())
        .collect();
    let mut want = vec!["create", "patch", "resize"];
    if can_shrink {
        want.push("resize");
    }
    assert_eq!(causes, want);
    assert_eq!(history[0]["old_shape"], serde_json::Value::Null);
    assert_eq!(history[1]["new_shape"], json!([6, 3]));
    // Errors keep their kinds and exit codes.
    let (code, kind, _) = failing(
        cx,
        &[
            "patch", "g/a", "--offset", "99,0", "--value", "1", "--shape", "1,3", "--json",
        ],
    );
    assert_eq!((code, kind.as_str()), (2, "out_of_bounds"));
    let (code, kind, _) = failing(cx, &["show", "g/nope", "--json"]);
    assert_eq!((code, kind.as_str()), (3, "not_found"));
    let out = cx.extent(&["rm", "g", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ok_json(cx, &["ls", "--json"]), json!([]));
}
