//! `extent watch` against a real Tiled server: every shape change made by another process, in
//! order; a server restarted mid-watch (reconnect and replay); a server without a streaming
//! cache (ETag polling).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::watch::{patch_rows, read_until, shape_changes, spawn_watch};

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
    let mut all = store_args(s).to_vec();
    all.extend_from_slice(args);
    common::extent_ok(home, &all);
}

fn store_args(s: &OwnServer) -> [&str; 4] {
    ["--store", s.url.as_str(), "--api-key", s.key.as_str()]
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
    let mut watch = spawn_watch(home.path(), &store_args(&s), "a");
    assert_eq!(watch.ready["state"], "live", "{}", watch.ready);
    let (mut expected, rows) =
        patch_rows(|a: &[&str]| extent(home.path(), &s, a), &[6, 3, 4, 9, 7], 2);
    // Restart the server on the same port and storage while the watch runs.
    stop_server(&s);
    // Down on purpose for a moment (not a wait for the watch): the watch must lose the link
    // and come back through its reconnect path, not slip past a restart it never saw.
    std::thread::sleep(Duration::from_secs(1));
    let s2 = start_server(&env);
    let (more, rows) = patch_rows(
        |a: &[&str]| extent(home.path(), &s2, a),
        &[12, 10, 15],
        rows,
    );
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
    let mut watch = spawn_watch(home.path(), &store_args(&s), "a");
    assert_eq!(watch.ready["state"], "polling", "{}", watch.ready);
    // Polling sees shapes, not every step: one patch at a time, the next once this one was
    // seen.
    let mut expected = Vec::new();
    let mut events = Vec::new();
    let mut rows = 2;
    for r in [4u64, 7, 9] {
        let (step, now) = patch_rows(|a: &[&str]| extent(home.path(), &s, a), &[r], rows);
        expected.extend(step);
        rows = now;
        events.extend(watch.events_until(rows));
    }
    drop(watch);
    assert_eq!(shape_changes(&events), expected, "events: {events:#?}");
}
