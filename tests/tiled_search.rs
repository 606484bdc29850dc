//! Search: `ls --search TEXT` and `--where KEY=VALUE` run on the Tiled server (its query API,
//! one request per page of matches, never a listing of everything), and filter by path and
//! attributes on a local store.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use extent::backend::tiled::TiledBackend;
use extent::backend::{Backend, Query};
use serde_json::{json, Value};

const RUNS: u32 = 300;

/// The server and the fixture's root (300 runs), made once for this binary.
fn fixture() -> &'static (String, String, String) {
    static F: OnceLock<(String, String, String)> = OnceLock::new();
    F.get_or_init(|| {
        let s = common::tiled::server();
        let root = s.facility(RUNS);
        (s.url.clone(), s.api_key.clone(), root)
    })
}

fn ls(home: &Path, store: &[&str], args: &[&str]) -> Vec<String> {
    let mut all = store.to_vec();
    all.extend_from_slice(&["ls", "--json"]);
    all.extend_from_slice(args);
    let v = common::expect_json(&all, &common::extent(home, &all));
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect()
}

fn runs(ids: impl IntoIterator<Item = u32>) -> Vec<String> {
    let root = &fixture().2;
    ids.into_iter()
        .map(|i| format!("{root}/runs/run-{i:04}"))
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn where_finds_exactly_the_matching_runs_on_the_server() {
    let (url, key, root) = fixture();
    let home = tempfile::tempdir().unwrap();
    let store = ["--store", url.as_str(), "--api-key", key.as_str()];
    let prefix = format!("{root}/runs");
    assert_eq!(
        ls(home.path(), &store, &[&prefix, "--where", "scan_id=42"]),
        runs([42])
    );
    // Several conditions, dotted keys, text values.
    let want: Vec<u32> = (0..RUNS).filter(|i| i % 2 == 1 && i % 7 == 3).collect();
    assert_eq!(
        sorted(ls(
            home.path(),
            &store,
            &[
                &prefix,
                "--where",
                "plan_name=scan",
                "--where",
                "sample.name=sample3"
            ]
        )),
        runs(want)
    );
    // Full text over the metadata.
    let want: Vec<u32> = (0..RUNS).filter(|i| i % 7 == 5).collect();
    assert_eq!(
        sorted(ls(home.path(), &store, &[&prefix, "--search", "sample5"])),
        runs(want)
    );
    assert!(ls(home.path(), &store, &[&prefix, "--where", "scan_id=4242"]).is_empty());
    // A bad condition is refused before anything is asked.
    let out = common::extent(
        home.path(),
        &[
            "--store",
            url,
            "--api-key",
            key,
            "ls",
            &prefix,
            "--where",
            "scan_id",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("KEY=VALUE"));
}

#[test]
fn a_search_is_one_request_per_page_of_matches() {
    let (url, key, root) = fixture();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = TiledBackend::new(url, Some(key.as_str().into())).unwrap();
    let prefix = format!("{root}/runs");
    let query = Query {
        text: None,
        equal: vec![("scan_id".into(), json!(42))],
    };
    let before = b.requests_sent();
    let hits = rt.block_on(b.search(&prefix, &query)).unwrap();
    let requests = b.requests_sent() - before;
    assert_eq!(
        hits.iter().map(|e| e.path.clone()).collect::<Vec<_>>(),
        runs([42])
    );
    assert_eq!(
        requests, 1,
        "a search for one run among {RUNS} took {requests} requests"
    );

    // Pages of matches: 150 runs with plan_name=count, read 40 from the 100th.
    let count = Query {
        text: None,
        equal: vec![("plan_name".into(), Value::from("count"))],
    };
    let before = b.requests_sent();
    let page = rt
        .block_on(b.search_page(&prefix, &count, 100, 40))
        .unwrap();
    assert_eq!(b.requests_sent() - before, 1);
    assert_eq!(page.total, Some(150));
    assert_eq!(page.entries.len(), 40);
    assert!(page.entries.iter().all(|e| e.specs == ["BlueskyRun"]));
    let before = b.requests_sent();
    let all = rt.block_on(b.search(&prefix, &count)).unwrap();
    assert_eq!(all.len(), 150);
    assert_eq!(b.requests_sent() - before, 1, "150 matches fit one page");
    // Listing everything, for comparison, is what a search avoids: 300 runs, 1 page of 300.
    let everything = rt.block_on(b.list(&prefix)).unwrap();
    assert_eq!(everything.len(), RUNS as usize);
}

#[test]
fn a_local_store_filters_by_path_and_attributes() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("store");
    let s = dir.to_str().unwrap();
    for (name, md) in [
        ("runs/a", r#"{"scan_id": 1, "sample": {"name": "x"}}"#),
        ("runs/b", r#"{"scan_id": 2, "sample": {"name": "y"}}"#),
        ("runs/detector", r#"{"scan_id": 2.0}"#),
    ] {
        common::extent_ok(
            home.path(),
            &[
                "--store",
                s,
                "create",
                name,
                "--shape",
                "4",
                "--chunks",
                "2",
                "--dtype",
                "int32",
                "--metadata",
                md,
            ],
        );
    }
    common::extent_ok(
        home.path(),
        &[
            "--store", s, "create", "runs/g/c", "--shape", "2", "--dtype", "int32",
        ],
    );
    let store = ["--store", s];
    assert_eq!(
        sorted(ls(home.path(), &store, &["runs", "--where", "scan_id=2"])),
        vec!["runs/b", "runs/detector"]
    );
    assert_eq!(
        ls(home.path(), &store, &["runs", "--where", "sample.name=x"]),
        vec!["runs/a"]
    );
    assert_eq!(
        ls(home.path(), &store, &["runs", "--search", "DETECTOR"]),
        vec!["runs/detector"]
    );
    // A local store's kinds stay array, group (and broken).
    let v = common::extent_ok(home.path(), &["--store", s, "ls", "--json"]);
    let kinds: Vec<Value> = serde_json::from_str::<Value>(&v)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert!(
        kinds.iter().all(|k| k == "array" || k == "group"),
        "{kinds:?}"
    );
}
