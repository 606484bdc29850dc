//! `extent watch --json` driven from tests: start it, wait for its ready line, read its
//! events, check their order.

use std::io::{BufRead, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a watch may take to say it is ready before the test fails.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A running `extent watch --json` whose ready line has been read; killed on drop.
pub struct Watch {
    child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// The ready line: `{"event":"ready","path","shape","state",...}`.
    pub ready: Value,
}

impl Watch {
    /// What the watch wrote on stderr so far, for failure messages.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `extent <store_args> watch PATH --json --timeout 120` in the background and waits
/// for its ready line: once it is back, every later change is reported. Fails the test with
/// the watch's stderr if no ready line comes within a minute.
pub fn spawn_watch(home: &Path, store_args: &[&str], path: &str) -> Watch {
    let mut child = super::extent_command(home, store_args)
        .args(["watch", path, "--json", "--timeout", "120"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start extent watch");
    let (tx, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("watch stdout");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut err_pipe = child.stderr.take().expect("watch stderr");
    let sink = stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = err_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut s) = sink.lock() {
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    let first = lines.recv_timeout(READY_WITHIN);
    let mut w = Watch {
        child,
        lines,
        stderr,
        ready: Value::Null,
    };
    let line = match first {
        Ok(line) => line,
        Err(RecvTimeoutError::Timeout) => panic!(
            "extent watch {path} printed no ready line within {READY_WITHIN:?}; stderr: {}",
            w.stderr()
        ),
        Err(RecvTimeoutError::Disconnected) => {
            let status = w.child.wait();
            panic!(
                "extent watch {path} ended ({status:?}) before its ready line; stderr: {}",
                w.stderr()
            )
        }
    };
    let ready: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the first line of watch --json is not JSON ({e}): {line}"));
    assert_eq!(
        ready["event"], "ready",
        "the first line is not the ready line: {line}"
    );
    w.ready = ready;
    w
}

impl Watch {
    /// The next event; fails the test (with the watch's stderr) if none comes within `secs`.
    pub fn next_event(&mut self, secs: u64) -> Value {
        match self.lines.recv_timeout(Duration::from_secs(secs)) {
            Ok(line) => serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("watch --json printed a non-JSON line ({e}): {line}")),
            Err(e) => panic!(
                "no event from the watch within {secs} s ({e}); stderr: {}",
                self.stderr()
            ),
        }
    }

    /// Reads events until the shape reaches `rows` along axis 0 (or 60 s pass, or the watch
    /// ends), leaving the watch running.
    pub fn events_until(&mut self, rows: u64) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut events = Vec::new();
        while Instant::now() < deadline {
            let line = match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => continue,
                // The watch ended: what it said is all there is.
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let e: Value = serde_json::from_str(&line).expect("one JSON object per line");
            let done = e["event"] == "shape_changed" && e["new"][0] == rows;
            events.push(e);
            if done {
                break;
            }
        }
        events
    }
}

/// Reads events until the shape reaches `rows` along axis 0 (or 60 s pass), then stops the
/// watch.
pub fn read_until(w: &mut Watch, rows: u64) -> Vec<Value> {
    let events = w.events_until(rows);
    let _ = w.child.kill();
    let _ = w.child.wait();
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
