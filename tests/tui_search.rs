//! The TUI on a facility catalog, in tmux against the real Tiled server: `/` and the palette's
//! `filter` ask the server (debounced, a page of hits at a time: the server's access log counts
//! the requests; the title and the top bar give the server's count of matches), and
//! new runs appear in an open container as the server announces them, without a key press,
//! and the top bar says when those announcements are cut off and when they are back.

mod common;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::tmux::{isolated_env, shell_quote, Tmux};

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

/// The TUI on `store` in a 120×40 terminal.
fn tui(home: &Path, store: &str, key: &str) -> Tmux {
    let cmd = format!(
        "{env} {bin} --store {store} --api-key {key}; sleep 60",
        env = isolated_env(home),
        bin = shell_quote(&common::extent_bin()),
        store = shell_quote(Path::new(store)),
        key = shell_quote(Path::new(key)),
    );
    Tmux::start(home, &cmd, 120, 40)
}

/// The searches of `group`'s children the server has answered so far, from its access log
/// (a listing has no `filter` parameter; a search always has one).
fn searches_logged(group: &str) -> Vec<String> {
    let data = common::tiled::server().data_dir.clone().expect(
        "counting requests reads the server's access log: let the tests start their server",
    );
    let log = std::fs::read_to_string(data.join("server.log"))
        .expect("the server's access log (server.log in its data dir)");
    log.lines()
        .filter(|l| l.contains(&format!("/api/v1/search/{group}?")) && l.contains("filter"))
        .map(str::to_string)
        .collect()
}

/// Waits until the log holds `n` searches of `group` (the server writes its line after it
/// answers), then a little longer to see that no more come.
fn wait_logged(group: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while searches_logged(group).len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(800));
    searches_logged(group)
}

#[test]
fn slash_asks_the_server_debounced_and_a_page_at_a_time() {
    let (url, key, root) = fixture();
    let home = tempfile::tempdir().unwrap();
    let t = tui(home.path(), &format!("{url}/{root}"), key);
    t.wait_for(&["runs/", "tables/"], 30);
    t.keys(&[":"]);
    t.text("goto runs/run-0005");
    t.keys(&["Enter"]);
    t.wait_for(&["run-0005", "scan_id"], 30);
    let group = format!("{root}/runs");
    assert!(searches_logged(&group).is_empty());

    // Typed at once: one request for the whole line, its first page of hits only.
    t.keys(&["/"]);
    t.text("plan_name=count");
    // The title and the top bar give the server's count, not what is loaded of it.
    t.wait_for(
        &[
            "/plan_name=count",
            "100 of 150 runs",
            "Catalog: 150 matches in runs/",
            "│ search: 150 matches",
        ],
        30,
    );
    let logged = wait_logged(&group, 1);
    assert_eq!(
        logged.len(),
        1,
        "15 keys, one search:\n{}",
        logged.join("\n")
    );
    assert!(
        logged[0].contains("page%5Blimit%5D=100") || logged[0].contains("page[limit]=100"),
        "{}",
        logged[0]
    );

    // Kept, then to the last hit: the next page, and only it.
    t.keys(&["Enter"]);
    t.wait_for(
        &[
            "Catalog: 150 matches in runs/",
            "/plan_name=count ",
            "100 of 150 runs",
        ],
        10,
    );
    t.keys(&["G"]);
    t.wait_for(&["150 of 150 runs"], 30);
    t.keys(&["G"]);
    t.wait_for(&["run-0298"], 10);
    let logged = wait_logged(&group, 2);
    assert_eq!(logged.len(), 2, "{}", logged.join("\n"));

    // A line superseded before the debounce ends is never asked: one request for the last.
    t.keys(&["/", "C-u"]);
    t.text("scan_id=4");
    std::thread::sleep(Duration::from_millis(50));
    t.text("2");
    t.wait_for(
        &["1 of 1 runs", "run-0042", "Catalog: 1 match in runs/"],
        30,
    );
    let logged = wait_logged(&group, 3);
    assert_eq!(logged.len(), 3, "{}", logged.join("\n"));

    // Not a query: said in the pane, nothing asked.
    t.keys(&["C-u"]);
    t.text("=5");
    t.wait_for(&["not a query", "the key must be a name"], 10);
    assert_eq!(wait_logged(&group, 3).len(), 3);

    // Esc: the tree as it was, the same run selected.
    t.keys(&["Escape"]);
    let screen = t.wait_for(&["/ filter", "run-0005"], 10);
    assert!(!screen.contains("of 150"), "{screen}");
    assert!(!screen.contains("search:"), "{screen}");

    // The palette's filter asks the server the same way: one request, the server's count.
    t.keys(&[":"]);
    t.text("filter scan_id=7");
    t.keys(&["Enter"]);
    let screen = t.wait_for(
        &[
            "/scan_id=7 ",
            "1 of 1 runs",
            "run-0007",
            "Catalog: 1 match in runs/",
            "│ search: 1 match",
        ],
        30,
    );
    assert!(!screen.contains("run-0005"), "{screen}");
    let logged = wait_logged(&group, 4);
    assert_eq!(logged.len(), 4, "{}", logged.join("\n"));
    assert!(logged[3].contains("scan_id"), "{}", logged[3]);
    t.keys(&["Escape"]);
    t.wait_for(&["/ filter", "run-0005"], 10);
}

/// Runs `run-I` (specs BlueskyRun, metadata scan_id I) in the container `group`, made by
/// Tiled's own client; the container too when it is missing.
fn make_runs(group: &str, ids: std::ops::Range<u32>) {
    common::tiled::server().python(&format!(
        "r = c[{group:?}] if {group:?} in c else c.create_container({group:?})\n\
         for i in range({}, {}):\n    \
             r.create_container(f'run-{{i}}', metadata={{'scan_id': i}}, specs=['BlueskyRun'])\n",
        ids.start, ids.end
    ));
}

#[test]
fn new_runs_appear_in_an_open_container_as_the_server_announces_them() {
    let (url, key, _) = fixture();
    let live = common::tiled::unique("live");
    make_runs(&live, 0..2);
    let home = tempfile::tempdir().unwrap();
    let t = tui(home.path(), &format!("{url}/{live}"), key);
    t.wait_for(&["run-0", "run-1"], 30);
    // The root is followed from the next poll (every second) on.
    std::thread::sleep(Duration::from_secs(3));
    make_runs(&live, 2..3);
    // No key pressed: the run is in the tree, and the notice says the server announced it
    // (a re-listing adds groups without one).
    t.wait_for(&["run-2", "new run: run-2"], 15);
}

#[test]
fn the_top_bar_says_when_new_runs_stop_coming_live_and_when_they_are_back() {
    let s = common::tiled::server();
    let (_, key, _) = fixture();
    let live = common::tiled::unique("cut");
    make_runs(&live, 0..1);
    let port: u16 = s
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("the test server's URL ends with its port");
    let relay = common::relay::Relay::start(port);
    let home = tempfile::tempdir().unwrap();
    let t = tui(home.path(), &format!("{}/{live}", relay.url), key);
    t.wait_for(&["run-0", "● new nodes live"], 30);
    // The network goes: the top bar and the message log say so.
    relay.cut();
    t.wait_for(&["new nodes: reconnecting"], 20);
    make_runs(&live, 1..2);
    relay.restore();
    // Back: the run made meanwhile is in the tree without a key, and the bar says live.
    t.wait_for(&["run-1", "● new nodes live"], 60);
    t.keys(&["m"]);
    t.wait_for(
        &["stream lost, reconnecting", "new run: run-1", "live again"],
        10,
    );
}
