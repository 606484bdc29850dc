//! `extent watch` against a real Tiled server: every shape change made by another process, in
//! order; a server restarted mid-watch (reconnect and replay); a server without a streaming
//! cache (ETag polling).

mod common;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct OwnServer {
    url: String,
    key: String,
    pid: String,
    data: String,
}

/// Starts a private server with extra settings (fixed port and storage for a restart,
/// `TILED_STREAM=none` for no streaming cache). Fails the test with the reason if it cannot.
fn start_server(env: &[(&str, &str)]) -> OwnServer {
    common::venv();
    let mut cmd = Command::new("bash");
    cmd.arg(common::repo().join("scripts/start-tiled.sh"))
        .env_remove("TILED_PORT")
        .env_remove("TILED_API_KEY")
        .env_remove("TILED_DATA_DIR")
        .env_remove("TILED_STREAM")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("cannot run scripts/start-tiled.sh");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "could not start a Tiled server: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let var = |n: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {n}=")))
            .unwrap_or_else(|| panic!("no {n} in {text}"))
            .to_string()
    };
    OwnServer {
        url: var("TILED_URL"),
        key: var("TILED_API_KEY"),
        pid: var("TILED_PID"),
        data: var("TILED_DATA_DIR"),
    }
}

fn stop_server(s: &OwnServer) {
    let _ = Command::new("bash")
        .arg(common::repo().join("scripts/start-tiled.sh"))
        .args(["--stop", &s.pid])
        .status();
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        stop_server(self);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn extent(home: &std::path::Path, s: &OwnServer, args: &[&str]) {
    let mut all = vec!["--store", s.url.as_str(), "--api-key", s.key.as_str()];
    all.extend_from_slice(args);
    let out = common::extent(home, &all);
    assert!(
        out.status.success(),
        "extent {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn spawn_watch(home: &std::path::Path, s: &OwnServer, path: &str) -> Child {
    Command::new(common::extent_bin())
        .args([
            "--store",
            &s.url,
            "--api-key",
            &s.key,
            "watch",
            path,
            "--json",
            "--timeout",
            "120",
        ])
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Reads events until the shape reaches `rows` along axis 0 (or 60 s pass).
fn read_until(child: &mut Child, rows: u64) -> Vec<Value> {
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
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
        let e: Value = serde_json::from_str(&line).unwrap();
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

fn shape_changes(events: &[Value]) -> Vec<(u64, u64)> {
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "sequence out of order: {seqs:?}"
    );
    events
        .iter()
        .filter(|e| e["event"] == "shape_changed")
        .map(|e| (e["old"][0].as_u64().unwrap(), e["new"][0].as_u64().unwrap()))
        .collect()
}

/// Patches rows (out of order) and returns the shape changes they cause.
fn patch_rows(
    home: &std::path::Path,
    s: &OwnServer,
    path: &str,
    rows: &[u64],
    mut current: u64,
) -> (Vec<(u64, u64)>, u64) {
    let mut expected = Vec::new();
    for &r in rows {
        extent(
            home,
            s,
            &[
                "patch",
                path,
                "--offset",
                &format!("{r},0"),
                "--value",
                "1",
                "--shape",
                "1,4",
                "--extend",
            ],
        );
        if r + 1 > current {
            expected.push((current, r + 1));
            current = r + 1;
        }
    }
    (expected, current)
}

#[test]
fn tiled_watch_live_and_across_a_server_restart() {
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let data_dir = data.path().to_str().unwrap().to_string();
    let key = "restarttestkey0123456789";
    let env = [
        ("TILED_PORT", port.as_str()),
        ("TILED_DATA_DIR", data_dir.as_str()),
        ("TILED_API_KEY", key),
    ];
    let s = start_server(&env);
    extent(
        home.path(),
        &s,
        &[
            "create", "a", "--shape", "2,4", "--chunks", "1,4", "--dtype", "uint8",
        ],
    );
    let mut watch = spawn_watch(home.path(), &s, "a");
    std::thread::sleep(Duration::from_secs(2));
    let (mut expected, rows) = patch_rows(home.path(), &s, "a", &[6, 3, 4, 9, 7], 2);
    // Restart the server on the same port and storage while the watch runs.
    stop_server(&s);
    std::thread::sleep(Duration::from_secs(1));
    let s2 = start_server(&env);
    let (more, rows) = patch_rows(home.path(), &s2, "a", &[12, 10, 15], rows);
    expected.extend(more);
    let events = read_until(&mut watch, rows);
    let got = shape_changes(&events);
    assert_eq!(got, expected, "events: {events:#?}");
    std::mem::forget(s); // same server as s2: stopped once, by s2
}

#[test]
fn tiled_watch_polls_without_a_streaming_cache() {
    let home = tempfile::tempdir().unwrap();
    let s = start_server(&[("TILED_STREAM", "none")]);
    extent(
        home.path(),
        &s,
        &[
            "create", "a", "--shape", "2,4", "--chunks", "1,4", "--dtype", "uint8",
        ],
    );
    let mut watch = spawn_watch(home.path(), &s, "a");
    std::thread::sleep(Duration::from_secs(2));
    // Polling sees shapes, not every step: one patch at a time, each given time to be seen.
    let mut expected = Vec::new();
    let mut rows = 2;
    for r in [4u64, 7, 9] {
        extent(
            home.path(),
            &s,
            &[
                "patch",
                "a",
                "--offset",
                &format!("{r},0"),
                "--value",
                "1",
                "--shape",
                "1,4",
                "--extend",
            ],
        );
        expected.push((rows, r + 1));
        rows = r + 1;
        std::thread::sleep(Duration::from_millis(800));
    }
    let events = read_until(&mut watch, rows);
    assert_eq!(shape_changes(&events), expected, "events: {events:#?}");
}
