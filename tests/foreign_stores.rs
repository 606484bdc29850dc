//! Stores other tools made stay valid for those tools: zarr-python 3 (the pinned venv) sees the
//! shapes and data extent sees after every write to a consolidated store (nested groups too); a
//! Zarr v2 hierarchy is refused as `unsupported` with nothing written; a store whose root is an
//! array opens; metadata extent does not understand is `unsupported` for reads and writes alike,
//! before any lock or temp file; a broken root is a finding, not an outage.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{expect_json, extent, snapshot_dir};
use serde_json::{json, Value};

/// zarr-python's default `open_group` (consolidated metadata when there is some) and what it
/// sees: every array below the root with its shape and data, and whether it was consolidated.
const ZARR_VIEW: &str = r#"
import json, sys, warnings, zarr
warnings.simplefilter("ignore")
root = zarr.open_group(sys.argv[1], mode="r")
out = {"consolidated": root.metadata.consolidated_metadata is not None, "arrays": {}}
for path, node in root.members(max_depth=None):
    if isinstance(node, zarr.Array):
        out["arrays"][path] = {"shape": list(node.shape), "data": node[...].ravel().tolist()}
if len(sys.argv) > 2:
    g = zarr.open_group(sys.argv[1] + "/" + sys.argv[2], mode="r")
    out["sub"] = {"consolidated": g.metadata.consolidated_metadata is not None,
                  "arrays": {p: list(n.shape) for p, n in g.members(max_depth=None)
                             if isinstance(n, zarr.Array)}}
print(json.dumps(out))
"#;

fn home(tmp: &Path) -> PathBuf {
    tmp.join("home")
}

fn run(tmp: &Path, store: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--store", store.to_str().unwrap()];
    all.extend_from_slice(args);
    extent(&home(tmp), &all)
}

fn ok(tmp: &Path, store: &Path, args: &[&str]) -> Value {
    expect_json(args, &run(tmp, store, args))
}

/// The error kind and message of a failed `--json` call.
fn err(tmp: &Path, store: &Path, args: &[&str]) -> (String, String) {
    let out = run(tmp, store, args);
    assert!(!out.status.success(), "extent {args:?} succeeded");
    let v: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
        panic!(
            "extent {args:?}: stderr not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        v["error"]["kind"].as_str().unwrap_or_default().to_string(),
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Every array extent lists, with its shape and data (read through extent).
fn extent_view(tmp: &Path, store: &Path) -> Value {
    let mut arrays = serde_json::Map::new();
    for n in ok(tmp, store, &["ls", "--json"]).as_array().unwrap() {
        if n["kind"] == "array" {
            let p = n["path"].as_str().unwrap();
            let data = ok(tmp, store, &["read", p, "--json"]);
            arrays.insert(
                p.to_string(),
                json!({"shape": n["shape"], "data": data["data"]}),
            );
        }
    }
    Value::Object(arrays)
}

fn zarr_view(store: &Path, sub: Option<&str>) -> Value {
    let mut args = vec![store.to_str().unwrap()];
    args.extend(sub);
    serde_json::from_str(&common::python(ZARR_VIEW, &args)).unwrap()
}

/// zarr-python's view of the store equals extent's, through the consolidated copies.
fn same_view(tmp: &Path, store: &Path, step: &str) {
    let z = zarr_view(store, Some("g"));
    assert_eq!(
        z["consolidated"], true,
        "{step}: the root is no longer consolidated"
    );
    let mine = extent_view(tmp, store);
    // zarr-python reads floats as floats: compare numbers as f64.
    let norm = |v: &Value| -> Value {
        let mut out = serde_json::Map::new();
        for (p, a) in v.as_object().unwrap() {
            let data: Vec<f64> = a["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            out.insert(p.clone(), json!({"shape": a["shape"], "data": data}));
        }
        Value::Object(out)
    };
    assert_eq!(
        norm(&z["arrays"]),
        norm(&mine),
        "{step}: zarr-python sees otherwise"
    );
    // The group `g` has a consolidated copy of its own.
    let sub: Vec<(String, Value)> = mine
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(p, a)| Some((p.strip_prefix("g/")?.to_string(), a["shape"].clone())))
        .collect();
    assert_eq!(z["sub"]["consolidated"], true, "{step}");
    assert_eq!(
        z["sub"]["arrays"],
        Value::Object(sub.into_iter().collect()),
        "{step}: g's own copy"
    );
}

#[test]
fn consolidated_stores_show_zarr_python_every_change() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let store = t.join("cons");
    common::python(
        r#"
import sys, warnings, zarr, numpy as np
warnings.simplefilter("ignore")
root = zarr.open_group(sys.argv[1], mode="w")
root.create_array("a", shape=(4,), chunks=(2,), dtype="int32", fill_value=0)[:] = 7
root.create_array("g/h/b", shape=(3, 2), chunks=(2, 2), dtype="float32", fill_value=-1)[:] = 1.5
root.create_array("g/c", shape=(5,), chunks=(2,), dtype="uint8", fill_value=0)[:] = 3
zarr.consolidate_metadata(sys.argv[1], path="g")
zarr.consolidate_metadata(sys.argv[1])
"#,
        &[store.to_str().unwrap()],
    );
    same_view(t, &store, "as made");
    let steps: [(&str, &[&str]); 6] = [
        (
            "extend a",
            &[
                "patch", "a", "--offset", "6", "--value", "9", "--shape", "2", "--extend", "--json",
            ],
        ),
        (
            "extend a nested array",
            &[
                "patch", "g/h/b", "--offset", "4,0", "--value", "2", "--shape", "1,2", "--extend",
                "--json",
            ],
        ),
        (
            "shrink",
            &["resize", "g/c", "--shape", "2", "--yes", "--json"],
        ),
        ("grow", &["resize", "g/c", "--shape", "6", "--json"]),
        (
            "create in a new group",
            &[
                "create", "g/new/d", "--shape", "3", "--chunks", "2", "--dtype", "int16", "--json",
            ],
        ),
        ("remove", &["rm", "g/h", "--yes", "--json"]),
    ];
    for (step, args) in steps {
        ok(t, &store, args);
        same_view(t, &store, step);
    }
    let z = zarr_view(&store, None);
    let paths: Vec<&String> = z["arrays"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["a", "g/c", "g/new/d"]);
    assert_eq!(z["arrays"]["a"]["shape"], json!([8]));
    assert_eq!(z["arrays"]["g/c"]["shape"], json!([6]));
    // The copy stays as zarr-python wrote it apart from what changed, mode included.
    let root: Value =
        serde_json::from_slice(&std::fs::read(store.join("zarr.json")).unwrap()).unwrap();
    let a = &root["consolidated_metadata"]["metadata"]["a"];
    assert_eq!(a["shape"], json!([8]));
    assert_eq!(a["storage_transformers"], json!([]));
    // And check finds the copies up to date.
    let check: Value =
        serde_json::from_slice(&run(t, &store, &["check", "--all", "--json"]).stdout).unwrap();
    let stale = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "stale_consolidated")
        .count();
    assert_eq!(stale, 0, "{check}");
}

/// A consolidated copy in a form zarr-python would not write is removed, as if the store had
/// never been consolidated: zarr-python then reads every node's own metadata.
#[test]
fn an_unknown_consolidated_form_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let store = t.join("odd");
    common::python(
        r#"
import sys, json, warnings, zarr
warnings.simplefilter("ignore")
root = zarr.open_group(sys.argv[1], mode="w")
root.create_array("a", shape=(2,), chunks=(2,), dtype="int32", fill_value=0)
zarr.consolidate_metadata(sys.argv[1])
p = sys.argv[1] + "/zarr.json"
m = json.load(open(p))
m["consolidated_metadata"]["kind"] = "elsewhere"
json.dump(m, open(p, "w"))
"#,
        &[store.to_str().unwrap()],
    );
    ok(
        t,
        &store,
        &[
            "patch", "a", "--offset", "2", "--value", "5", "--shape", "1", "--extend", "--json",
        ],
    );
    let root: Value =
        serde_json::from_slice(&std::fs::read(store.join("zarr.json")).unwrap()).unwrap();
    assert!(root.get("consolidated_metadata").is_none(), "{root}");
    let z = zarr_view(&store, None);
    assert_eq!(z["consolidated"], false);
    assert_eq!(z["arrays"]["a"]["data"], json!([0, 0, 5]));
}

#[test]
fn a_zarr_v2_store_is_refused_and_left_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let store = t.join("v2");
    common::python(
        r#"
import sys, warnings, zarr
warnings.simplefilter("ignore")
root = zarr.open_group(sys.argv[1], mode="w", zarr_format=2)
root.create_array("a", shape=(4,), chunks=(2,), dtype="int32", fill_value=0)[:] = 3
root.create_array("g/b", shape=(2,), chunks=(2,), dtype="float64", fill_value=0)
"#,
        &[store.to_str().unwrap()],
    );
    let before = snapshot_dir(&store);
    let calls: [&[&str]; 8] = [
        &["ls", "--json"],
        &["show", "a", "--json"],
        &["read", "a", "--json"],
        &["check", "--all", "--json"],
        &["check", "g/b", "--json"],
        &[
            "create", "n", "--shape", "2", "--chunks", "2", "--dtype", "int8", "--json",
        ],
        &[
            "patch", "a", "--offset", "4", "--value", "1", "--shape", "1", "--extend", "--json",
        ],
        &["resize", "a", "--shape", "8", "--json"],
    ];
    for args in calls {
        let (kind, message) = err(t, &store, args);
        assert_eq!(kind, "unsupported", "{args:?}: {message}");
        assert!(message.contains("Zarr v2"), "{args:?}: {message}");
        assert_eq!(
            snapshot_dir(&store),
            before,
            "{args:?} wrote to the v2 store"
        );
    }
    // zarr-python still sees its arrays.
    let out = common::python(
        "import sys, zarr; print(sorted(p for p, _ in zarr.open_group(sys.argv[1], mode='r').arrays()))",
        &[store.to_str().unwrap()],
    );
    assert_eq!(out.trim(), "['a']");
}

/// `zarr.create(store=path)` puts an array at the root: it is listed as `/` and every command
/// addresses it so; zarr-python then sees what extent wrote.
#[test]
fn a_store_whose_root_is_an_array_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let store = t.join("rootarray");
    common::python(
        r#"
import sys, warnings, zarr
warnings.simplefilter("ignore")
a = zarr.create(store=sys.argv[1], shape=(4,), chunks=(2,), dtype="int32", fill_value=0)
a[:] = [1, 2, 3, 4]
"#,
        &[store.to_str().unwrap()],
    );
    let ls = ok(t, &store, &["ls", "--json"]);
    assert_eq!(
        ls,
        json!([{"path": "", "kind": "array", "shape": [4], "dtype": "int32"}])
    );
    let text = run(t, &store, &["ls"]);
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("/ "));
    assert_eq!(ok(t, &store, &["show", "/", "--json"])["shape"], json!([4]));
    assert_eq!(
        ok(t, &store, &["read", "/", "--json"])["data"],
        json!([1, 2, 3, 4])
    );
    ok(
        t,
        &store,
        &[
            "patch", "/", "--offset", "5", "--value", "9", "--shape", "1", "--extend", "--json",
        ],
    );
    ok(t, &store, &["resize", "/", "--shape", "7", "--json"]);
    let check = ok(t, &store, &["check", "--all", "--json"]);
    assert_eq!(check["checked"], 1, "{check}");
    let (kind, _) = err(
        t,
        &store,
        &[
            "create", "x", "--shape", "2", "--chunks", "2", "--dtype", "int8", "--json",
        ],
    );
    assert_eq!(kind, "invalid_input");
    let out = common::python(
        "import sys, zarr; a = zarr.open(sys.argv[1], mode='r'); print(list(a.shape), a[:].tolist())",
        &[store.to_str().unwrap()],
    );
    assert_eq!(out.trim(), "[7] [1, 2, 3, 4, 0, 9, 0]");
}

/// Metadata extent (zarrs) cannot use: a blosc codec, an extension that must be understood, an
/// unknown storage transformer. Every command says `unsupported` (ls marks the node), patch
/// creates no lock file or temp, check reports it and goes on.
#[test]
fn metadata_extent_does_not_understand_is_unsupported_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let store = t.join("odd");
    common::python(
        r#"
import sys, json, warnings, zarr
from zarr.codecs import BloscCodec, BytesCodec
warnings.simplefilter("ignore")
root = zarr.open_group(sys.argv[1], mode="w")
root.create_array("blosc", shape=(4,), chunks=(2,), dtype="int32", fill_value=0,
                  serializer=BytesCodec(), compressors=[BloscCodec()])[:] = 1
for name in ["ext", "st", "good"]:
    root.create_array(name, shape=(4,), chunks=(2,), dtype="int32", fill_value=0)[:] = 2
def edit(name, f):
    p = sys.argv[1] + "/" + name + "/zarr.json"
    m = json.load(open(p)); f(m); json.dump(m, open(p, "w"))
edit("ext", lambda m: m.update({"my_extension": {"must_understand": True, "configuration": {}}}))
edit("st", lambda m: m.update({"storage_transformers": [{"name": "no_such_transformer"}]}))
"#,
        &[store.to_str().unwrap()],
    );
    let ls = ok(t, &store, &["ls", "--json"]);
    for node in ls.as_array().unwrap() {
        let p = node["path"].as_str().unwrap();
        if p == "good" {
            assert_eq!(node["kind"], "array");
            continue;
        }
        assert_eq!(node["kind"], "broken", "{node}");
        assert_eq!(node["error"]["kind"], "unsupported", "{node}");
    }
    let before = snapshot_dir(&store);
    for (name, word) in [
        ("blosc", "codec"),
        ("ext", "my_extension"),
        ("st", "storage transformer"),
    ] {
        let calls: [&[&str]; 5] = [
            &["show", name, "--json"],
            &["resize", name, "--shape", "8", "--json"],
            &["read", name, "--json"],
            &[
                "patch", name, "--offset", "0", "--value", "5", "--shape", "1", "--json",
            ],
            &[
                "patch", name, "--offset", "4", "--value", "5", "--shape", "1", "--extend",
                "--json",
            ],
        ];
        for args in calls {
            let (kind, message) = err(t, &store, args);
            assert_eq!(kind, "unsupported", "{args:?}: {message}");
            assert!(
                message.contains(word) && message.contains(name),
                "{args:?}: {message}"
            );
        }
        assert!(
            !store.join(name).join(".extent").exists(),
            "{name}: a lock was made"
        );
    }
    assert_eq!(snapshot_dir(&store), before);
    let check = run(t, &store, &["check", "--all", "--json"]);
    assert_eq!(check.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(report["checked"], 5, "{report}");
    for name in ["blosc", "ext", "st"] {
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == name && f["code"] == "bad_metadata")
            .unwrap_or_else(|| panic!("{name} not reported: {report}"));
        assert!(
            f["message"].as_str().unwrap().contains("does not handle"),
            "{f}"
        );
    }
}

/// A truncated root `zarr.json`: ls lists the nodes below it, check --all reports the root and
/// checks every other node.
#[test]
fn a_broken_root_is_a_finding_not_an_outage() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let store = t.join("broken-root");
    for p in ["a", "g/b"] {
        ok(
            t,
            &store,
            &[
                "create", p, "--shape", "4", "--chunks", "2", "--dtype", "int32", "--json",
            ],
        );
    }
    let root = store.join("zarr.json");
    let text = std::fs::read(&root).unwrap();
    std::fs::write(&root, &text[..10]).unwrap();
    let ls = ok(t, &store, &["ls", "--json"]);
    let paths: Vec<&str> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a", "g", "g/b"]);
    let check = run(t, &store, &["check", "--all", "--json"]);
    assert_eq!(check.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(report["checked"], 4, "{report}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["path"], "");
    assert_eq!(findings[0]["code"], "bad_metadata");
}

/// A copy left behind (a crash between an array's write and the copy's update, or another
/// tool): `check` reports it on the group and `--repair` brings it up to date.
#[test]
fn check_finds_and_repairs_a_stale_consolidated_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let store = t.join("stale");
    common::python(
        r#"
import sys, json, warnings, zarr
warnings.simplefilter("ignore")
root = zarr.open_group(sys.argv[1], mode="w")
root.create_array("a", shape=(4,), chunks=(2,), dtype="int32", fill_value=0)[:] = 1
root.create_array("g/b", shape=(2,), chunks=(2,), dtype="int32", fill_value=0)
root.create_array("g/c", shape=(2,), chunks=(2,), dtype="int32", fill_value=0)
zarr.consolidate_metadata(sys.argv[1])
p = sys.argv[1] + "/a/zarr.json"
m = json.load(open(p)); m["shape"] = [6]; json.dump(m, open(p, "w"))
"#,
        &[store.to_str().unwrap()],
    );
    std::fs::remove_dir_all(store.join("g/c")).unwrap();
    let check = run(t, &store, &["check", "--all", "--json"]);
    assert_eq!(check.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    let stale: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "stale_consolidated")
        .collect();
    assert_eq!(stale.len(), 1, "{report}");
    assert_eq!(stale[0]["path"], "");
    assert!(
        stale[0]["message"].as_str().unwrap().contains("2 node(s)"),
        "{report}"
    );
    ok(
        t,
        &store,
        &["check", "--all", "--repair", "--yes", "--json"],
    );
    let again = ok(t, &store, &["check", "--all", "--json"]);
    assert_eq!(again["findings"], json!([]), "{again}");
    let z = zarr_view(&store, None);
    assert_eq!(z["consolidated"], true);
    let shapes: Vec<(String, Value)> = z["arrays"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(p, a)| (p.clone(), a["shape"].clone()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("a".to_string(), json!([6])),
            ("g/b".to_string(), json!([2]))
        ]
    );
}
