//! `extent watch` against a real Tiled server: every shape change made by another process, in
//! order; a server restarted mid-watch (reconnect and replay); a server without a streaming
//! cache (ETag polling). A container's follower across a cut connection and a restarted
//! server: every child made meanwhile announced once; `extent watch` on a container.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::watch::{patch_rows, read_until, shape_changes, spawn_watch};
use extent::backend::ChildNews;

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

/// Children announced by a container's follower, as paths, until `want` are in (or `secs`
/// pass), then 4 s more for any late duplicate.
/// The follower's next message, within 30 s.
fn next_news(
    rt: &tokio::runtime::Runtime,
    rx: &mut extent::backend::ChildReceiver,
) -> Option<ChildNews> {
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .ok()
            .flatten()
    })
}

fn announced(
    rt: &tokio::runtime::Runtime,
    rx: &mut extent::backend::ChildReceiver,
    want: &[String],
    secs: u64,
) -> Vec<String> {
    rt.block_on(async {
        let mut got: Vec<String> = Vec::new();
        let until = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !want.iter().all(|w| got.contains(w)) {
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(ChildNews::Created(e))) => got.push(e.path),
                Ok(Some(ChildNews::Following | ChildNews::Lost)) => {}
                Ok(None) | Err(_) => return got,
            }
        }
        // A duplicate would come with the replay, right behind the listing.
        let settle = tokio::time::Instant::now() + Duration::from_secs(4);
        while let Ok(Some(news)) = tokio::time::timeout_at(settle, rx.recv()).await {
            if let ChildNews::Created(e) = news {
                got.push(e.path);
            }
        }
        got
    })
}

#[test]
fn a_followed_container_misses_no_child_across_a_cut_and_a_restart() {
    use extent::backend::tiled::TiledBackend;
    use extent::backend::Backend;

    let data = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (port_s, data_dir) = (port.to_string(), data.path().to_str().unwrap().to_string());
    let key = "followtestkey0123456789";
    let env = [
        ("TILED_PORT", port_s.as_str()),
        ("TILED_DATA_DIR", data_dir.as_str()),
        ("TILED_API_KEY", key),
    ];
    let s = start_server(&env);
    let direct = common::tiled::Server {
        url: s.url.clone(),
        api_key: key.to_string(),
        data_dir: None,
        pid: None,
    };
    direct.make_groups("c/old");
    let relay = common::relay::Relay::start(port);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = TiledBackend::new(&relay.url, Some(key.into())).unwrap();
    let mut rx = rt.block_on(b.watch_children("c")).expect("following 'c'");
    // Live first: once the follower says it listens, a child made comes on the stream.
    let first = next_news(&rt, &mut rx);
    assert_eq!(first, Some(ChildNews::Following));
    direct.make_groups("c/live");
    let got = announced(&rt, &mut rx, &["c/live".to_string()], 30);
    assert_eq!(got, ["c/live"]);

    // The link is cut; a child is made; the server restarts (its cache starts empty, so only
    // a listing can tell about the first); another child is made; the link comes back.
    relay.cut();
    // The follower says it lost the stream (the TUI shows it), before anything else.
    let lost = next_news(&rt, &mut rx);
    assert_eq!(lost, Some(ChildNews::Lost));
    direct.make_groups("c/during-cut");
    stop_server(&s);
    std::thread::sleep(Duration::from_secs(1));
    let s2 = start_server(&env);
    direct.make_groups("c/after-restart");
    relay.restore();
    let want = ["c/during-cut".to_string(), "c/after-restart".to_string()];
    let got = announced(&rt, &mut rx, &want, 60);
    assert_eq!(got, want, "each child made meanwhile, once, in order");

    // Live again after the reconnect: a new child comes once.
    direct.make_groups("c/later");
    let got = announced(&rt, &mut rx, &["c/later".to_string()], 30);
    assert_eq!(got, ["c/later"]);
    std::mem::forget(s); // same server as s2: stopped once, by s2
    drop(s2);
}

#[test]
fn extent_watch_on_a_group_prints_each_new_child() {
    let s = common::tiled::server();
    let home = tempfile::tempdir().unwrap();
    let group = common::tiled::unique("runs");
    s.make_groups(&format!("{group}/old"));
    let store = ["--store", s.url.as_str(), "--api-key", s.api_key.as_str()];
    let mut watch = spawn_watch(home.path(), &store, &group);
    assert_eq!(watch.ready["kind"], "group", "{}", watch.ready);
    assert_eq!(watch.ready["state"], "live", "{}", watch.ready);
    s.python(&format!(
        "g = c[{group:?}]\n\
         g.create_container('run-1', metadata={{'scan_id': 1}}, specs=['BlueskyRun'])\n\
         g.write_array(np.zeros((2, 3), dtype='uint8'), key='det')\n"
    ));
    let first = watch.next_event(30);
    assert_eq!(first["event"], "created", "{first}");
    assert_eq!(first["path"], format!("{group}/run-1"), "{first}");
    assert_eq!(first["kind"], "group", "{first}");
    assert_eq!(first["specs"][0], "BlueskyRun", "{first}");
    assert_eq!(first["sequence"], 1, "{first}");
    let second = watch.next_event(30);
    assert_eq!(second["path"], format!("{group}/det"), "{second}");
    assert_eq!(second["kind"], "array", "{second}");
    assert_eq!(second["shape"], serde_json::json!([2, 3]), "{second}");
    assert_eq!(second["sequence"], 2, "{second}");
}
