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
