//! Growing patches of one array in flight together, against a real Tiled server, as the
//! server's access log records them: the farthest grows the array alone, then the ones that
//! fit in it go side by side (each on its own connection), not one after another; and
//! `extent bench --in-bounds` grows once, then writes in bounds side by side.

mod common;

use extent::backend::{ArrayData, Backend, CreateRequest, DType};

const COLS: u64 = 1 << 16;

/// One row of `COLS` uint16 (128 KiB), all `v`.
fn row(v: u16) -> ArrayData {
    let bytes = (0..COLS).flat_map(|_| v.to_le_bytes()).collect();
    ArrayData::new(DType::UInt16, vec![1, COLS], bytes).unwrap()
}

/// The server's access log (in its data dir).
fn access_log(server: &common::tiled::Server) -> std::path::PathBuf {
    server
        .data_dir
        .as_ref()
        .expect("this test reads the server's access log: set TILED_DATA_DIR with EXTENT_TILED_URL")
        .join("server.log")
}

/// The client port and query of each `PATCH` of `name` in the server's access log.
fn patches_in_log(log: &str, name: &str) -> Vec<(String, String)> {
    log.lines()
        .filter(|l| l.contains("PATCH ") && l.contains(&format!("/{name}?")))
        .map(|l| {
            let port = l
                .split("127.0.0.1:")
                .nth(1)
                .map(|r| r.chars().take_while(char::is_ascii_digit).collect())
                .unwrap_or_default();
            let query = l.split('?').nth(1).unwrap_or("").split(' ').next().unwrap();
            (port, query.to_string())
        })
        .collect()
}

/// Rows 1..=4 of a one-row array sent at once, in order (as a writer's queue holds them): row 4
/// grows the array alone; the rows that then fit are in flight together, so the server sees
/// them on as many connections. (Before, row 3 kept rows 1 and 2 waiting, as if it still had to
/// grow the array, and they went one after another on one connection.)
#[test]
fn patches_that_fit_after_a_grow_go_side_by_side() {
    let server = common::tiled::server();
    let log_path = access_log(server);
    let home = tempfile::tempdir().unwrap();
    let b = common::soak::backend(server, home.path());
    let name = common::tiled::unique("in-flight");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        b.create(&CreateRequest {
            path: name.clone(),
            shape: vec![1, COLS],
            chunks: vec![1, COLS],
            dtype: DType::UInt16,
            resizable: vec![true, false],
            fill_value: 0.into(),
            metadata: serde_json::json!({}),
            data: Some(row(0)),
        })
        .await
        .unwrap();
        let rows: Vec<_> = (1..=4u16).map(|i| ([u64::from(i), 0], row(i))).collect();
        let writes = rows.iter().map(|(at, r)| b.patch(&name, at, r, true));
        for r in futures::future::join_all(writes).await {
            r.unwrap();
        }
        let back = b.read(&name, None).await.unwrap();
        assert_eq!(back.shape, vec![5, COLS]);
        let want: Vec<u8> = (0..=4).flat_map(|i| row(i).bytes).collect();
        assert!(back.bytes == want, "the rows read back differ");
    });
    let log = std::fs::read_to_string(&log_path).unwrap();
    let patches = patches_in_log(&log, &name);
    assert_eq!(
        patches.len(),
        4,
        "PATCHes of {name} in the log: {patches:?}"
    );
    let fits: Vec<_> = patches
        .iter()
        .filter(|(_, q)| q.contains("extend=false"))
        .collect();
    let mut ports: Vec<_> = fits.iter().map(|(p, _)| p.clone()).collect();
    ports.sort();
    ports.dedup();
    // Row 1, polled first, may take the lock before the others are registered and grow the
    // array first; then row 4 grows it and rows 2 and 3 fit. Either way, two or more fit.
    assert!(
        fits.len() >= 2 && ports.len() >= 2,
        "the rows that fit were not in flight together (connections used: {patches:?})"
    );
    rt.block_on(b.delete(&name)).unwrap();
}

/// `extent bench --in-bounds` on a real server: one growing request (the zero-size extend of
/// the grow-first), then every frame in bounds (`extend=false`), several connections at once,
/// and every byte read back verified.
#[test]
fn bench_in_bounds_grows_once_then_writes_in_bounds_side_by_side() {
    let server = common::tiled::server();
    let log_path = access_log(server);
    let home = tempfile::tempdir().unwrap();
    let out = common::extent_ok(
        home.path(),
        &[
            "--store",
            &server.url,
            "--api-key",
            &server.api_key,
            "bench",
            "--shape-per-patch",
            "1,256,256",
            "--count",
            "12",
            "--concurrency",
            "4",
            "--in-bounds",
            "--json",
        ],
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["verified"], true, "{r}");
    assert_eq!(r["phases"][0]["phase"], "write in bounds", "{r}");
    assert_eq!(r["phases"][0]["patches"], 11, "{r}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    // This process's array: the newest `write-in-bounds-` name in the log.
    let name = log
        .lines()
        .rev()
        .find_map(|l| {
            let at = l.find("/write-in-bounds-")?;
            let rest = &l[at + 1..];
            Some(rest.split(['?', ' ']).next()?.to_string())
        })
        .expect("the bench's patches in the server's access log");
    let patches = patches_in_log(&log, &name);
    let growing: Vec<_> = patches
        .iter()
        .filter(|(_, q)| q.contains("extend=true"))
        .collect();
    assert_eq!(growing.len(), 1, "{patches:?}");
    assert!(growing[0].1.contains("shape=0,0,0"), "{growing:?}");
    let in_bounds = patches.iter().filter(|(_, q)| q.contains("extend=false"));
    assert_eq!(in_bounds.clone().count(), 11, "{patches:?}");
    let ports: std::collections::HashSet<_> = in_bounds.map(|(p, _)| p).collect();
    assert!(ports.len() >= 2, "in bounds, side by side: {patches:?}");
}
