//! `extent watch` sees every shape change another process makes, in order.

mod common;

use common::watch::{patch_rows, read_until, shape_changes, spawn_watch};

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
    let mut watcher = spawn_watch(&home, &["--store", store], "a");
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Out of order (rows 9, 5, 7 ...): only some of them grow the array.
    let rows_written = [9u64, 5, 7, 12, 10, 14, 13, 20, 16, 25, 30, 31, 33, 35, 40];
    let (mut expected, rows) = patch_rows(run, &rows_written, 2);
    assert_eq!(expected.len(), 10, "{expected:?}");
    run(&["resize", "a", "--shape", &format!("{},4", rows + 3)]);
    expected.push((rows, rows + 3));
    let events = read_until(&mut watcher, rows + 3);
    assert_eq!(shape_changes(&events), expected, "events: {events:?}");
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
