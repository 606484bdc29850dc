//! One truncated or garbled `zarr.json` among good arrays is a finding, not an outage: `ls`
//! lists the rest and marks it, `check --all` reports it and checks the rest, `rm --yes`
//! removes it, and a broken group's metadata is rewritten by `check --repair`. On stores made
//! by extent and by zarr-python 3.

mod common;

use std::path::{Path, PathBuf};

use common::{expect_json, extent, extent_ok};
use serde_json::{json, Value};

/// A store with `a`, `g/b`, `g/c` (and group `g`), made by extent.
fn extent_store(tmp: &Path) -> PathBuf {
    let store = tmp.join("store");
    let s = store.to_str().unwrap();
    for (path, dtype) in [("a", "int32"), ("g/b", "float32"), ("g/c", "uint8")] {
        extent_ok(
            &tmp.join("home"),
            &[
                "--store", s, "create", path, "--shape", "4", "--chunks", "2", "--dtype", dtype,
            ],
        );
    }
    store
}

/// The same layout made by zarr-python 3 (no `.extent` directories).
fn zarr_python_store(tmp: &Path) -> PathBuf {
    let store = tmp.join("zp");
    common::python(
        r#"
import sys, zarr, numpy as np
root = zarr.open_group(sys.argv[1], mode="w")
root.create_array("a", shape=(4,), chunks=(2,), dtype="int32", fill_value=0)[:] = 7
root.create_array("g/b", shape=(4,), chunks=(2,), dtype="float32", fill_value=0)[:] = 1.5
root.create_array("g/c", shape=(4,), chunks=(2,), dtype="uint8", fill_value=0)
"#,
        &[store.to_str().unwrap()],
    );
    store
}

/// Cuts `path`'s zarr.json to its first 20 bytes, as a crash or a full disk might.
fn truncate(store: &Path, path: &str) {
    let file = store.join(path).join("zarr.json");
    let text = std::fs::read(&file).unwrap();
    std::fs::write(&file, &text[..20]).unwrap();
}

fn run(tmp: &Path, store: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--store", store.to_str().unwrap()];
    all.extend_from_slice(args);
    extent(&tmp.join("home"), &all)
}

fn ok_json(tmp: &Path, store: &Path, args: &[&str]) -> Value {
    expect_json(args, &run(tmp, store, args))
}

/// The findings of a `check --json` report on `path`.
fn on<'a>(report: &'a Value, path: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path)
        .collect()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What every store must do with a broken array `g/b` among good nodes.
fn broken_array_is_a_finding(tmp: &Path, store: &Path) {
    truncate(store, "g/b");

    // ls: every node, the broken one marked with its reason.
    let out = run(tmp, store, &["ls"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    for good in ["a ", "g/ ", "g/c "] {
        assert!(text.contains(good), "ls lost {good:?}:\n{text}");
    }
    let line = text.lines().find(|l| l.starts_with("g/b ")).unwrap();
    assert!(
        line.contains("BROKEN") && line.contains("not valid JSON"),
        "{line}"
    );

    let listed = ok_json(tmp, store, &["ls", "--json"]);
    let kinds: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["path"].as_str().unwrap(), n["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("a", "array"),
            ("g", "group"),
            ("g/b", "broken"),
            ("g/c", "array")
        ]
    );
    let broken = &listed[2];
    assert_eq!(broken["error"]["kind"], "io", "{broken}");
    assert!(broken["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    assert!(broken.get("shape").is_none(), "{broken}");

    // check --all: a finding naming the path; every node is checked.
    let out = run(tmp, store, &["check", "--all"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("problem: g/b:"), "{text}");
    assert!(text.contains("extent rm g/b --yes"), "{text}");
    let out = run(tmp, store, &["check", "--all", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["checked"], 5, "{report}"); // the root, a, g, g/b, g/c
    let on_b = on(&report, "g/b");
    assert_eq!(on_b.len(), 1, "{report}");
    assert_eq!(on_b[0]["code"], "bad_metadata");
    assert_eq!(
        on_b[0]["repair"],
        Value::Null,
        "an array's metadata cannot be guessed"
    );

    // --repair does not invent an array's metadata: the node stays broken.
    let out = run(
        tmp,
        store,
        &["check", "--all", "--repair", "--yes", "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(ok_json(tmp, store, &["ls", "--json"])[2]["kind"], "broken");

    // show: a clear error whose advice works.
    let out = run(tmp, store, &["show", "g/b", "--json"]);
    assert_eq!(out.status.code(), Some(6));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert!(
        err["error"]["message"].as_str().unwrap().contains("g/b"),
        "{err}"
    );
    assert_eq!(err["error"]["hint"], "run `extent check g/b`");
    let out = run(tmp, store, &["check", "g/b", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // rm --yes removes it; the others are untouched.
    assert_eq!(
        ok_json(tmp, store, &["rm", "g/b", "--yes", "--json"]),
        json!({"deleted": "g/b"})
    );
    assert!(!store.join("g/b").exists());
    let listed = ok_json(tmp, store, &["ls", "--json"]);
    let paths: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a", "g", "g/c"]);
    assert_eq!(
        ok_json(tmp, store, &["show", "g/c", "--json"])["shape"],
        json!([4])
    );
}

/// A broken group hides none of its siblings, and `check --repair` rewrites its metadata (a
/// directory holding only nodes was a group), after which its children are listed again.
fn broken_group_is_repaired(tmp: &Path, store: &Path) {
    truncate(store, "g");
    let listed = ok_json(tmp, store, &["ls", "--json"]);
    let kinds: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["path"].as_str().unwrap(), n["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("a", "array"), ("g", "broken")]);
    let report = run(tmp, store, &["check", "--all", "--json"]);
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let on_g = on(&report, "g");
    assert_eq!(on_g.len(), 1, "{report}");
    assert!(on_g[0]["repair"].is_string(), "{report}");
    let fixed = ok_json(
        tmp,
        store,
        &["check", "--all", "--repair", "--yes", "--json"],
    );
    assert_eq!(on(&fixed, "g")[0]["repaired"], true, "{fixed}");
    let listed = ok_json(tmp, store, &["ls", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 4, "{listed}");
    assert_eq!(listed[1]["kind"], "group");
    // Now g's children are checked too (zarr-python's have no history yet: a finding).
    let again = run(tmp, store, &["check", "--all", "--json"]);
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["checked"], 5, "{again}");
    assert!(on(&again, "g").is_empty(), "{again}");
}

#[test]
fn broken_array_in_a_store_made_by_extent() {
    let tmp = tempfile::tempdir().unwrap();
    let store = extent_store(tmp.path());
    broken_array_is_a_finding(tmp.path(), &store);
}

#[test]
fn broken_array_in_a_store_made_by_zarr_python() {
    let tmp = tempfile::tempdir().unwrap();
    let store = zarr_python_store(tmp.path());
    broken_array_is_a_finding(tmp.path(), &store);
}

#[test]
fn broken_group_in_a_store_made_by_extent() {
    let tmp = tempfile::tempdir().unwrap();
    let store = extent_store(tmp.path());
    broken_group_is_repaired(tmp.path(), &store);
}

#[test]
fn broken_group_in_a_store_made_by_zarr_python() {
    let tmp = tempfile::tempdir().unwrap();
    let store = zarr_python_store(tmp.path());
    broken_group_is_repaired(tmp.path(), &store);
}

/// Valid JSON that is no node (`node_type` unknown) is broken too, not taken for a group.
#[test]
fn garbled_node_type_is_broken() {
    let tmp = tempfile::tempdir().unwrap();
    let store = extent_store(tmp.path());
    std::fs::write(
        store.join("a/zarr.json"),
        r#"{"zarr_format": 3, "node_type": "table"}"#,
    )
    .unwrap();
    let listed = ok_json(tmp.path(), &store, &["ls", "--json"]);
    assert_eq!(listed[0]["path"], "a");
    assert_eq!(listed[0]["kind"], "broken", "{listed}");
    assert_eq!(listed[0]["error"]["kind"], "invalid_input");
    let report = run(tmp.path(), &store, &["check", "--all", "--json"]);
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["checked"], 5);
    assert_eq!(on(&report, "a")[0]["code"], "bad_metadata", "{report}");
    ok_json(tmp.path(), &store, &["rm", "a", "--yes", "--json"]);
    assert!(!store.join("a").exists());
}

/// The TUI's catalog shows a broken node among good ones (marked, with the others intact),
/// and opening it neither crashes nor opens an array.
#[test]
fn the_catalog_marks_a_broken_node() {
    use common::tui::{array_entry, caps, connected, group_entry, key, page_loaded};
    use crossterm::event::KeyCode;
    use extent::backend::{DType, Error, NodeEntry, NodeKind};
    use ratatui::backend::TestBackend;

    let mut s = connected("s", "local:/s", caps(true, true), 80, 12);
    let broken = NodeEntry {
        path: "b".into(),
        kind: NodeKind::broken(&Error::io("the metadata of 'b' is not valid JSON")),
        shape: None,
        dtype: None,
        specs: Vec::new(),
    };
    page_loaded(
        &mut s,
        "",
        vec![
            array_entry("a", &[4], DType::Int32),
            broken,
            array_entry("c", &[3], DType::Float32),
            group_entry("g"),
        ],
    );
    s.update(key(KeyCode::Down));
    let fx = s.update(key(KeyCode::Enter));
    let opened = s.open.as_ref().map(|o| o.path.as_str());
    assert_ne!(opened, Some("b"), "a broken node was opened: {fx:?}");
    let theme = extent::ui::theme::Theme::monochrome();
    let mut term = ratatui::Terminal::new(TestBackend::new(80, 12)).unwrap();
    term.draw(|f| {
        extent::ui::draw(
            f,
            &extent::ui::View {
                state: &s,
                theme: &theme,
            },
        )
    })
    .unwrap();
    let buf = term.backend().buffer();
    let text: String = (0..12)
        .map(|y| {
            let line: String = (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect();
            format!("{}\n", line.trim_end())
        })
        .collect();
    insta::assert_snapshot!("catalog_with_a_broken_node", text);
}
