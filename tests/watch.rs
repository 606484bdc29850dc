//! `extent watch` says when it is ready, then sees every shape change another process makes,
//! in order.

mod common;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::watch::{patch_rows, read_until, shape_changes, spawn_watch};
use serde_json::json;

/// A scratch dir with a private home and the path of a store in it.
fn scratch() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let store = tmp.path().join("s").to_string_lossy().into_owned();
    (tmp, home, store)
}

/// Runs `extent --store STORE ARGS` with a private `home`; fails the test if it fails.
fn runner<'a>(home: &'a Path, store: &'a str) -> impl Fn(&[&str]) + 'a {
    move |args| {
        let mut all = vec!["--store", store];
        all.extend_from_slice(args);
        common::extent_ok(home, &all);
    }
}

#[test]
fn watch_sees_every_shape_change_in_order() {
    let (_tmp, home, store) = scratch();
    let store = store.as_str();
    let run = runner(&home, store);
    run(&[
        "create", "a", "--shape", "2,4", "--chunks", "2,4", "--dtype", "uint8",
    ]);
    // Several shape changes land between two polls: the journal still gives each one.
    let mut watcher = spawn_watch(&home, &["--store", store], "a");
    assert_eq!(watcher.ready["shape"], json!([2, 4]));
    // Out of order (rows 9, 5, 7 ...): only some of them grow the array.
    let rows_written = [9u64, 5, 7, 12, 10, 14, 13, 20, 16, 25, 30, 31, 33, 35, 40];
    let (mut expected, rows) = patch_rows(&run, &rows_written, 2);
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

/// The ready line comes first, with the shape (`null` before the array exists), and does not
/// count toward `--count`; the creation of an array watched before it existed is an event.
#[test]
fn watch_says_when_it_is_ready() {
    let (_tmp, home, store) = scratch();
    let store = store.as_str();
    let run = runner(&home, store);
    run(&["create", "other", "--shape", "1", "--chunks", "1"]);
    let mut w = spawn_watch(&home, &["--store", store], "a");
    assert_eq!(w.ready["path"], "a", "{}", w.ready);
    assert_eq!(w.ready["shape"], serde_json::Value::Null, "{}", w.ready);
    assert_eq!(w.ready["state"], "polling", "{}", w.ready);
    assert!(w.ready["time"].is_string(), "{}", w.ready);
    run(&["create", "a", "--shape", "2", "--chunks", "2"]);
    let e = w.next_event(30);
    assert_eq!(
        (&e["event"], &e["sequence"]),
        (&json!("created"), &json!(1))
    );
    assert_eq!(e["shape"], json!([2]));
    drop(w);

    // Human output: the ready line on stdout, then exactly `--count` events.
    let mut child = common::extent_command(&home, &["--store", store, "watch", "a"])
        .args(["--count", "1", "--timeout", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start extent watch");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut ready = String::new();
    stdout.read_line(&mut ready).expect("the ready line");
    assert_eq!(
        ready.trim_end(),
        "watching a  shape [2]  polling  (Ctrl-C to stop)"
    );
    run(&["resize", "a", "--shape", "5"]);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("the events");
    let out = child.wait_with_output().expect("watch exits");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = rest.lines().collect();
    assert_eq!(lines.len(), 1, "{rest}");
    assert!(lines[0].contains("shape_changed   [2] -> [5]"), "{rest}");
}
