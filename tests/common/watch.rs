//! `extent watch --json` driven from tests: start it, read its events, check their order.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Starts `extent <store_args> watch PATH --json --timeout 120` in the background.
pub fn spawn_watch(home: &Path, store_args: &[&str], path: &str) -> Child {
    Command::new(super::extent_bin())
        .args(store_args)
        .args(["watch", path, "--json", "--timeout", "120"])
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start extent watch")
}

/// Reads events until the shape reaches `rows` along axis 0 (or 60 s pass), then stops the
/// watch.
pub fn read_until(child: &mut Child, rows: u64) -> Vec<Value> {
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("watch stdout");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut events = Vec::new();
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let e: Value = serde_json::from_str(&line).expect("one JSON object per line");
        let done = e["event"] == "shape_changed" && e["new"][0] == rows;
        events.push(e);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    events
}

/// The (old, new) lengths of axis 0 of each shape change, after checking that the sequence
/// numbers run without gaps and every event carries its time and the shape after it.
pub fn shape_changes(events: &[Value]) -> Vec<(u64, u64)> {
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().expect("sequence"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "sequence out of order: {seqs:?}"
    );
    for e in events {
        assert!(e["time"].is_string() && e["shape"].is_array(), "{e}");
        if e["event"] == "shape_changed" {
            assert_eq!(e["shape"], e["new"]);
        }
    }
    events
        .iter()
        .filter(|e| e["event"] == "shape_changed")
        .map(|e| (e["old"][0].as_u64().unwrap(), e["new"][0].as_u64().unwrap()))
        .collect()
}

/// Patches one row at each of `rows` (out of order) with `--extend` through `run`, and
/// returns the shape changes that causes and the final length of axis 0.
pub fn patch_rows(run: impl Fn(&[&str]), rows: &[u64], mut current: u64) -> (Vec<(u64, u64)>, u64) {
    let mut expected = Vec::new();
    for &r in rows {
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
        if r + 1 > current {
            expected.push((current, r + 1));
            current = r + 1;
        }
    }
    (expected, current)
}
