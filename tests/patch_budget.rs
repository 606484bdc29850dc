//! A patch that cannot fit the memory budget is refused up front, naming the size: a chunk
//! larger than the budget (even for a one-element patch, which decodes the whole chunk), a
//! `--from` file or a `--value` block over it. Nothing is written. The TUI's data preview
//! keeps to the budget too.

mod common;

use common::{extent, extent_ok, snapshot_dir};
use extent::backend::{ArrayData, DType};

#[test]
fn patches_over_the_memory_budget_are_refused_before_anything_is_read_or_written() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let store = tmp.path().join("store");
    let s = store.to_str().unwrap();
    // One chunk of 32 MiB (under the default budget, so it can be made).
    extent_ok(
        &home,
        &[
            "--store", s, "create", "big", "--shape", "33554432", "--chunks", "33554432",
            "--dtype", "uint8",
        ],
    );
    extent_ok(
        &home,
        &[
            "--store", s, "create", "small", "--shape", "8", "--chunks", "8", "--dtype", "int32",
        ],
    );
    let npy = tmp.path().join("block.npy");
    let block = ArrayData::new(DType::Int32, vec![5_000_000], vec![0; 20_000_000]).unwrap();
    extent::npy::write(&npy, &block).unwrap();
    let before = snapshot_dir(&store);
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "patch", "big", "--offset", "5", "--value", "1", "--shape", "1",
            ],
            "32.00 MiB",
        ),
        (
            &[
                "patch",
                "small",
                "--offset",
                "0",
                "--from",
                npy.to_str().unwrap(),
                "--extend",
            ],
            "19.07 MiB",
        ),
        (
            &[
                "patch", "small", "--offset", "0", "--value", "1", "--shape", "5000000", "--extend",
            ],
            "19.07 MiB",
        ),
    ];
    for (args, size) in cases {
        let mut all = vec!["--store", s, "--memory-limit", "16M"];
        all.extend_from_slice(args);
        all.push("--json");
        let out = extent(&home, &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["error"]["kind"], "invalid_input", "{err}");
        let m = err["error"]["message"].as_str().unwrap();
        assert!(m.contains(size) && m.contains("16.00 MiB"), "{args:?}: {m}");
    }
    assert!(
        snapshot_dir(&store) == before,
        "a refused patch wrote nothing"
    );
    // Within the budget the same one-element patch goes through.
    extent_ok(
        &home,
        &[
            "--store",
            s,
            "--memory-limit",
            "256M",
            "patch",
            "big",
            "--offset",
            "5",
            "--value",
            "1",
            "--shape",
            "1",
        ],
    );
}

/// The TUI's data preview of an array whose chunks are over the budget says so instead of
/// decoding them.
#[test]
fn the_tui_preview_keeps_to_the_memory_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let store = tmp.path().join("store");
    let s = store.to_str().unwrap();
    // Chunks of 2 000 000 bytes (1.9 MiB) and of 8 bytes.
    extent_ok(
        &home,
        &[
            "--store",
            s,
            "create",
            "a",
            "--shape",
            "1000,1000",
            "--chunks",
            "1000,1000",
            "--dtype",
            "uint16",
        ],
    );
    extent_ok(
        &home,
        &[
            "--store", s, "create", "b", "--shape", "4,4", "--chunks", "2,2", "--dtype", "uint16",
        ],
    );
    let cmd = format!(
        "{} --memory-limit 1M --store {s}; sleep 30",
        common::extent_bin().display()
    );
    let t = common::tmux::Tmux::start(&home, &cmd, 120, 30);
    t.wait_for(&["Catalog (2)", "path      a"], 20);
    // To the Data tab of the right-hand pane (its number key).
    let data = extent::app::layout::Pane::Preview.number().to_string();
    t.keys(&[data.as_str()]);
    t.wait_for(
        &["one chunk is 1.9 MiB, over the memory budget of 1.0 MiB"],
        10,
    );
    // An array with small chunks previews as before.
    t.keys(&["1", "Down", data.as_str()]);
    t.wait_for(&["rows 0..4 of 4"], 10);
}
