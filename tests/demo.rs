//! `extent demo --no-tui`: the out-of-order writer (one 128x128 frame per chunk) leaves holes
//! that fill, and ends with the in-order check passed; on Tiled in a group of its own.

mod common;

#[test]
fn demo_writes_out_of_order_and_checks_in_order_result() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = common::extent(
        tmp.path(),
        &[
            "demo",
            "--no-tui",
            "--json",
            "--rate",
            "500",
            "--frames",
            "60",
            "--dir",
            dir.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let frames: Vec<u64> = lines
        .iter()
        .filter(|l| l["event"] == "frame")
        .map(|l| l["frame"].as_u64().unwrap())
        .collect();
    let mut sorted = frames.clone();
    sorted.sort();
    assert_eq!(sorted, (4..60).collect::<Vec<_>>());
    assert_ne!(frames, sorted, "the demo must write out of order");
    // Frames arrive before the ones below them: holes open, and all of them fill.
    let missing: Vec<u64> = lines
        .iter()
        .filter(|l| l["event"] == "frame")
        .map(|l| l["missing"].as_u64().unwrap())
        .collect();
    assert!(missing.iter().any(|&m| m > 0), "{missing:?}");
    assert_eq!(missing.last(), Some(&0), "{missing:?}");
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "checked");
    assert_eq!(last["ok"], true);
    assert!(last["message"]
        .as_str()
        .unwrap()
        .contains("in-order check passed"));
    assert_eq!(last["array"], "detector/frames");
    // One frame per chunk: 60 frames of 128x128.
    let show = common::extent_ok(
        tmp.path(),
        &[
            "--store",
            dir.to_str().unwrap(),
            "show",
            "detector/frames",
            "--json",
        ],
    );
    let show: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(show["shape"], serde_json::json!([60, 128, 128]), "{show}");
    assert_eq!(show["chunks"], serde_json::json!([1, 128, 128]), "{show}");
    // The store is a real one: the history shows the growth.
    let h = common::extent(
        tmp.path(),
        &[
            "--store",
            dir.to_str().unwrap(),
            "history",
            "detector/frames",
            "--json",
        ],
    );
    let h: serde_json::Value = serde_json::from_slice(&h.stdout).unwrap();
    assert!(h.as_array().unwrap().len() > 5);
}

/// The same demo against a real Tiled server (in a group of its own): out of order, and the
/// in-order check passes on what the server holds.
#[test]
fn demo_runs_against_a_tiled_server() {
    let s = common::tiled::server();
    let group = common::tiled::unique("demo");
    s.make_groups(&group);
    let tmp = tempfile::tempdir().unwrap();
    let store = format!("{}/{group}", s.url);
    let out = common::extent(
        tmp.path(),
        &[
            "--store",
            &store,
            "--api-key",
            &s.api_key,
            "demo",
            "--no-tui",
            "--json",
            "--rate",
            "200",
            "--frames",
            "30",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        (&last["event"], &last["ok"]),
        (&"checked".into(), &true.into())
    );
    assert!(
        !stdout.contains(&s.api_key),
        "the key leaked into the output"
    );
    assert_eq!(last["array"], "extent-demo/detector/frames");
    // The server holds the arrays, in a group of their own: the Python client reads the
    // detector stack back.
    let shape = s.python(&format!(
        "print(list(c['{group}']['extent-demo']['detector']['frames'].shape))"
    ));
    assert_eq!(shape.trim(), "[30, 128, 128]", "{shape}");
}

/// The kind and message of a failed `extent --json` command.
fn json_error(out: &std::process::Output) -> (String, String) {
    assert!(!out.status.success(), "the command should have failed");
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|_| {
        panic!(
            "stderr is not JSON: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let kind = err["error"]["kind"].as_str().unwrap().to_string();
    (kind, err["error"]["message"].as_str().unwrap().to_string())
}

/// A store that already holds the demo's arrays is refused before anything is written: the
/// data and the history stay as they were.
#[test]
fn demo_refuses_a_directory_that_holds_its_arrays() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let d = dir.to_str().unwrap();
    let args = [
        "demo", "--no-tui", "--json", "--rate", "1000", "--frames", "8", "--dir", d,
    ];
    common::extent_ok(tmp.path(), &args);
    let before = common::snapshot_dir(&dir);
    let (kind, msg) = json_error(&common::extent(tmp.path(), &args));
    assert_eq!(kind, "already_exists", "{msg}");
    assert!(
        msg.contains("detector/frames") && msg.contains("--dir"),
        "{msg}"
    );
    assert!(
        before == common::snapshot_dir(&dir),
        "the refused demo changed the store"
    );
    // Only one of the arrays there is enough to refuse.
    let other = tmp.path().join("other");
    let o = other.to_str().unwrap();
    common::extent_ok(
        tmp.path(),
        &[
            "--store",
            o,
            "create",
            "timeseries/temperature",
            "--shape",
            "3",
        ],
    );
    let before = common::snapshot_dir(&other);
    let args = ["demo", "--no-tui", "--json", "--dir", o];
    let (kind, msg) = json_error(&common::extent(tmp.path(), &args));
    assert_eq!(kind, "already_exists", "{msg}");
    assert!(
        before == common::snapshot_dir(&other),
        "the refused demo changed the store"
    );
}

/// The same on a Tiled server: a second demo in the same group is refused and the server's
/// arrays keep their data.
#[test]
fn demo_refuses_a_tiled_group_that_holds_its_arrays() {
    let s = common::tiled::server();
    let group = common::tiled::unique("demo-again");
    s.make_groups(&group);
    let tmp = tempfile::tempdir().unwrap();
    let store = format!("{}/{group}", s.url);
    let args = [
        "--store",
        &store,
        "--api-key",
        &s.api_key,
        "demo",
        "--no-tui",
        "--json",
        "--rate",
        "500",
        "--frames",
        "12",
    ];
    common::extent_ok(tmp.path(), &args);
    let read = |what: &str| s.python(&format!("print(c['{group}']{what}.read().tolist())"));
    let before = read("['extent-demo']['detector']['frames']");
    let again = [
        "--store",
        &store,
        "--api-key",
        &s.api_key,
        "demo",
        "--no-tui",
        "--json",
        "--frames",
        "8",
    ];
    let (kind, msg) = json_error(&common::extent(tmp.path(), &again));
    assert_eq!(kind, "already_exists", "{msg}");
    assert!(!msg.contains(&s.api_key), "the key leaked");
    assert_eq!(
        read("['extent-demo']['detector']['frames']"),
        before,
        "the data changed"
    );
}

/// A stall threshold out of bounds is refused before the demo makes anything.
#[test]
fn demo_refuses_a_bad_stall_threshold_before_making_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let d = dir.to_str().unwrap();
    for bad in ["0", "-3", "NaN", "1e9"] {
        let args = [
            "--stall-after",
            bad,
            "demo",
            "--no-tui",
            "--json",
            "--dir",
            d,
        ];
        let (kind, msg) = json_error(&common::extent(tmp.path(), &args));
        assert_eq!(kind, "invalid_input", "{msg}");
        assert!(msg.contains("--stall-after"), "{msg}");
        assert!(!dir.exists(), "the refused demo made {d}");
    }
}
