//! `extent demo --no-tui`: the out-of-order writer ends with the in-order check passed.

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
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "checked");
    assert_eq!(last["ok"], true);
    assert!(last["message"]
        .as_str()
        .unwrap()
        .contains("in-order check passed"));
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
    // The server holds the arrays: the Python client reads the detector stack back.
    let shape = s.python(&format!(
        "print(list(c['{group}']['detector']['frames'].shape))"
    ));
    assert_eq!(shape.trim(), "[30, 64]", "{shape}");
}
