//! `extent watch` sees every shape change another process makes, in order.

mod common;

use std::process::{Command, Stdio};

use serde_json::Value;

#[test]
fn watch_sees_every_shape_change_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let store = tmp.path().join("s");
    let store = store.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--store", store];
        all.extend_from_slice(args);
        let out = common::extent(&home, &all);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "create", "a", "--shape", "2,4", "--chunks", "2,4", "--dtype", "uint8",
    ]);
    // Several shape changes land between two polls: the journal still gives each one.
    let changes = 12;
    let watcher = Command::new(common::extent_bin())
        .args(["--store", store, "watch", "a", "--json", "--timeout", "60"])
        .env("XDG_STATE_HOME", home.join("state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Out of order (rows 9, 5, 7 ...): only some of them grow the array.
    let mut expected = Vec::new();
    let mut rows = 2u64;
    let mut n = 0;
    for r in [9u64, 5, 7, 12, 10, 14, 13, 20, 16, 25, 30, 31, 33, 35, 40] {
        if n == changes - 1 {
            break;
        }
        run(&[
            "patch",
            "a",
            "--offset",
            &format!("{r},0"),
            "--value",
            "1",
            "--shape",
            "1,4",
            "--extend",
        ]);
        if r + 1 > rows {
            expected.push((rows, r + 1));
            rows = r + 1;
            n += 1;
        }
    }
    run(&["resize", "a", "--shape", &format!("{},4", rows + 3)]);
    expected.push((rows, rows + 3));
    // Read events until the last shape change shows up (the watch itself runs up to 60 s).
    let mut watcher = watcher;
    let final_rows = rows + 3;
    let stdout = watcher.stdout.take().unwrap();
    let mut events: Vec<Value> = Vec::new();
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
        let e: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let done = e["event"] == "shape_changed" && e["new"][0] == final_rows;
        events.push(e);
        if done {
            break;
        }
    }
    let _ = watcher.kill();
    let _ = watcher.wait();
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "sequence not in order: {seqs:?}"
    );
    let shapes: Vec<(u64, u64)> = events
        .iter()
        .filter(|e| e["event"] == "shape_changed")
        .map(|e| (e["old"][0].as_u64().unwrap(), e["new"][0].as_u64().unwrap()))
        .collect();
    assert_eq!(shapes, expected, "events: {events:?}");
    for e in &events {
        assert!(e["time"].is_string() && e["shape"].is_array(), "{e}");
        if e["event"] == "shape_changed" {
            assert_eq!(e["shape"], e["new"]);
        }
    }
}

#[test]
fn watch_times_out_with_a_non_zero_exit() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("s");
    let store = store.to_str().unwrap();
    let out = common::extent(
        tmp.path(),
        &[
            "--store", store, "create", "a", "--shape", "2", "--chunks", "2",
        ],
    );
    assert!(out.status.success());
    let out = common::extent(
        tmp.path(),
        &[
            "--store",
            store,
            "watch",
            "a",
            "--count",
            "1",
            "--timeout",
            "0.3",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"));
}
