//! Waiting is bounded and explained: a writer whose lock holder is stopped (SIGSTOP) waits at
//! most `--lock-timeout` / `EXTENT_LOCK_TIMEOUT` (default 60 s), says on a terminal whom it
//! waits for, then fails with `conflict` naming the holder. The holder is a real `extent
//! patch`, stopped while it holds the array's lock.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::stopped::{stop_while_holding, stop_while_holding_with, StoppedWriter};
use common::tmux::Tmux;
use common::{extent, extent_ok};

/// A store with an array `a` ([1000, 1024] uint8 in chunks of [100, 1024]) and a patch of it
/// stopped while it holds the array's lock (a growing patch: exclusively).
fn stopped_patch(home: &Path, store: &Path) -> StoppedWriter {
    let s = store.to_str().unwrap();
    extent_ok(
        home,
        &[
            "--store",
            s,
            "create",
            "a",
            "--shape",
            "1000,1024",
            "--chunks",
            "100,1024",
            "--dtype",
            "uint8",
        ],
    );
    let lock = store.join("a/.extent/lock");
    stop_while_holding(
        home,
        store,
        &lock,
        &[
            "patch",
            "a",
            "--offset",
            "0,0",
            "--value",
            "1",
            "--shape",
            "40000,1024",
            "--extend",
        ],
    )
}

#[test]
fn a_writer_gives_up_on_a_stopped_holder_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, store) = (tmp.path().join("home"), tmp.path().join("store"));
    let holder = stopped_patch(&home, &store);
    let s = store.to_str().unwrap();
    let grow = [
        "--store",
        s,
        "--lock-timeout",
        "2",
        "patch",
        "a",
        "--offset",
        "50000,0",
        "--value",
        "2",
        "--shape",
        "1,1024",
        "--extend",
        "--json",
    ];
    let start = Instant::now();
    let out = extent(&home, &grow);
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "conflict", "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{} (", holder.pid)) && message.contains("extent"),
        "the holder's pid and command are named: {message}"
    );
    assert!(message.contains("2 s"), "{message}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "gave up after {took:?}"
    );
    // Nothing was written by the writer that gave up; not even in the history.
    let history = extent_ok(&home, &["--store", s, "history", "a", "--json"]);
    assert!(!history.contains("50001"), "{history}");

    // The same bound from the environment; an in-bounds write waits for the shared lock too.
    let start = Instant::now();
    let out = common::extent_command(
        &home,
        &[
            "--store", s, "patch", "a", "--offset", "0,0", "--value", "3", "--shape", "1,1024",
        ],
    )
    .env("EXTENT_LOCK_TIMEOUT", "1")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains(&holder.pid.to_string()), "{text}");
    assert!(start.elapsed() < Duration::from_secs(8));

    // Once the holder runs again, both writes go through.
    let done = holder.resume();
    assert!(done.status.success(), "{done:?}");
    let grow_again: Vec<&str> = grow.iter().copied().filter(|a| *a != "--json").collect();
    extent_ok(&home, &grow_again);
    let info = extent_ok(&home, &["--store", s, "show", "a", "--json"]);
    assert!(info.contains("50001"), "{info}");
    extent_ok(&home, &["--store", s, "check", "a"]);
}

#[test]
fn the_wait_is_told_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, store) = (tmp.path().join("home"), tmp.path().join("store"));
    let holder = stopped_patch(&home, &store);
    let cmd = format!(
        "{} --store {} --lock-timeout 3 patch a --offset 60000,0 --value 2 --shape 1,1024 --extend; sleep 30",
        common::extent_bin().display(),
        store.display()
    );
    let t = Tmux::start(&home, &cmd, 200, 20);
    let want = format!("waiting for {} (", holder.pid);
    let told = t.wait_for(&[&want], 10);
    assert!(!told.contains("gave up"), "told while it waits:\n{told}");
    let screen = t.wait_for(&["gave up", "(conflict)"], 15);
    assert!(screen.contains("extent"), "the holder's command: {screen}");
}

/// The TUI's writes use the same bound and show the conflict in the dialog.
#[test]
fn a_tui_write_gives_up_on_a_stopped_holder_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, store) = (tmp.path().join("home"), tmp.path().join("store"));
    let holder = stopped_patch(&home, &store);
    let cmd = format!(
        "{} --lock-timeout 2 --store {}; sleep 30",
        common::extent_bin().display(),
        store.display()
    );
    let t = Tmux::start(&home, &cmd, 120, 30);
    t.wait_for(&["Catalog (1)", "path      a"], 20);
    // The patch dialog's default: one slab appended to axis 0.
    t.keys(&["p"]);
    t.wait_for(&["Patch a", "extend"], 10);
    // The dialog appends a row: growing needs extend turned on (its fifth field).
    t.keys(&["Tab", "Tab", "Tab", "Tab", "Space"]);
    t.wait_for(&["Patch a", "bytes written"], 10);
    t.keys(&["Enter"]);
    t.wait_for(&["Apply this change?"], 10);
    let start = Instant::now();
    t.keys(&["y"]);
    let screen = t.wait_for(&["Error: gave up after waiting 2 s"], 15);
    assert!(start.elapsed() < Duration::from_secs(10));
    // The message wraps inside the dialog: read it as one line.
    let flat: Vec<&str> = screen
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect();
    let flat = flat.join(" ");
    assert!(
        flat.contains(&format!("held by process {} (", holder.pid)) && flat.contains("extent"),
        "the holder is named:\n{screen}"
    );
}

#[test]
fn lock_timeouts_out_of_range_are_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let s = tmp.path().join("store");
    let s = s.to_str().unwrap();
    extent_ok(
        &home,
        &[
            "--store", s, "create", "a", "--shape", "2", "--chunks", "2", "--dtype", "uint8",
        ],
    );
    for bad in ["1e30", "-1", "soon", "2h"] {
        let out = extent(
            &home,
            &[
                "--store",
                s,
                "--lock-timeout",
                bad,
                "patch",
                "a",
                "--offset",
                "0",
                "--value",
                "1",
                "--shape",
                "1",
                "--json",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
        let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["error"]["kind"], "invalid_input", "{bad}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("lock timeout"),
            "{err}"
        );
    }
}

/// The same bound on a Tiled server: its per-array lock file (in the user's cache dir) is
/// waited for the same way, and the holder named.
#[test]
fn a_tiled_writer_gives_up_on_a_stopped_holder_naming_it() {
    let server = common::tiled::server();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let name = common::tiled::unique("lockwait");
    let run = |args: &[&str], timeout: Option<&str>| {
        let mut all = vec!["--store", server.url.as_str()];
        all.extend_from_slice(args);
        let mut cmd = common::extent_command(&home, &all);
        cmd.env("TILED_API_KEY", &server.api_key);
        if let Some(t) = timeout {
            cmd.env("EXTENT_LOCK_TIMEOUT", t);
        }
        cmd.output().unwrap()
    };
    let made = run(
        &[
            "create",
            &name,
            "--shape",
            "1000,1024",
            "--chunks",
            "100,1024",
            "--dtype",
            "uint8",
        ],
        None,
    );
    assert!(made.status.success(), "{made:?}");
    let small = [
        "patch", &name, "--offset", "0,0", "--value", "1", "--shape", "1,1024",
    ];
    let first = run(&small, None);
    assert!(first.status.success(), "{first:?}");
    // The array's lock file, made by that write.
    let locks = home.join("cache/extent/tiled-locks");
    let lock = std::fs::read_dir(&locks)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "lock"))
        .expect("the write made a lock file");
    let holder = stop_while_holding_with(
        &home,
        Path::new(&server.url),
        &lock,
        &[
            "patch",
            &name,
            "--offset",
            "0,0",
            "--value",
            "2",
            "--shape",
            "20000,1024",
            "--extend",
        ],
        &[("TILED_API_KEY", server.api_key.as_str())],
    );
    let start = Instant::now();
    let grow = [
        "patch", &name, "--offset", "50000,0", "--value", "3", "--shape", "100,1024", "--extend",
        "--json",
    ];
    let out = run(&grow, Some("2"));
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "conflict", "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("{} (", holder.pid)), "{message}");
    assert!(start.elapsed() < Duration::from_secs(10));
    let done = holder.resume();
    assert!(done.status.success(), "{done:?}");
}
