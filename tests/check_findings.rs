//! `check` finds what goes wrong, through the real binary on real stores: a torn history line
//! (and the next append starts a line of its own), a grow whose write never landed, a rollback
//! that failed (made for real with `ulimit -f`), damaged chunks (which reads refuse, naming
//! them), chunks past the edge, and temp files of a writer that is still running (not
//! leftovers) or dead (leftovers).

mod common;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::stopped::stop_while_holding;
use extent::backend::{ArrayData, DType};
use serde_json::Value;

struct Env {
    home: PathBuf,
    store: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        Env {
            home: tmp.path().join("home"),
            store: tmp.path().join("store"),
            _tmp: tmp,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--store", self.store.to_str().unwrap()];
        all.extend_from_slice(args);
        common::extent(&self.home, &all)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `check ARGS --json`: the findings as (code, message, repaired).
    fn check(&self, args: &[&str]) -> Vec<(String, String, bool)> {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        all.push("--json");
        let out = self.run(&all);
        let report: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{all:?}: {e}: {out:?}"));
        let findings: Vec<(String, String, bool)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                    f["repaired"].as_bool().unwrap(),
                )
            })
            .collect();
        let left = findings.iter().any(|f| !f.2);
        assert_eq!(
            out.status.code(),
            Some(if left { 1 } else { 0 }),
            "{findings:?}"
        );
        findings
    }

    fn repair(&self, path: &str) -> Vec<(String, String, bool)> {
        self.check(&[path, "--repair", "--yes"])
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.store.join(rel)
    }

    fn shape(&self, array: &str) -> Vec<u64> {
        let info: Value = serde_json::from_str(&self.ok(&["show", array, "--json"])).unwrap();
        serde_json::from_value(info["shape"].clone()).unwrap()
    }

    fn history(&self, array: &str) -> Vec<Value> {
        serde_json::from_str(&self.ok(&["history", array, "--json"])).unwrap()
    }
}

fn codes(f: &[(String, String, bool)]) -> Vec<&str> {
    f.iter().map(|f| f.0.as_str()).collect()
}

fn create(e: &Env, array: &str, shape: &str, chunks: &str, dtype: &str) {
    e.ok(&[
        "create", array, "--shape", shape, "--chunks", chunks, "--dtype", dtype,
    ]);
}

fn append(file: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new().append(true).open(file).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn a_torn_history_line_is_found_and_the_next_append_starts_its_own_line() {
    let e = Env::new();
    create(&e, "a", "2,4", "2,4", "int32");
    let journal = e.path("a/.extent/history.jsonl");
    // A crash in the middle of an append.
    append(&journal, b"{\"time\":\"2026-01-01T00:0");
    let found = e.check(&["a"]);
    assert_eq!(codes(&found), ["torn_journal"], "{found:?}");
    assert!(found[0].1.contains("cut short"), "{found:?}");

    e.ok(&[
        "patch", "a", "--offset", "2,0", "--value", "1", "--shape", "2,4", "--extend",
    ]);
    let text = fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[1], "{\"time\":\"2026-01-01T00:0",
        "the torn line is ended, not glued"
    );
    assert!(
        lines[2].starts_with('{') && lines[2].contains("\"new_shape\":[4,4]"),
        "{text}"
    );
    let history = e.history("a");
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[1]["new_shape"], serde_json::json!([4, 4]));

    let repaired = e.repair("a");
    assert_eq!(codes(&repaired), ["torn_journal"]);
    assert!(repaired[0].2);
    assert_eq!(e.check(&["a"]), vec![]);
    assert_eq!(fs::read_to_string(&journal).unwrap().lines().count(), 2);
    assert_eq!(e.history("a"), history);
}

#[test]
fn a_grow_the_metadata_never_got_is_found_and_journaled_as_rolled_back() {
    let e = Env::new();
    create(&e, "a", "2,4", "2,4", "int32");
    // What a failed shape commit leaves: the history says [2, 4] → [6, 4], zarr.json [2, 4].
    let journal = e.path("a/.extent/history.jsonl");
    append(
        &journal,
        b"{\"time\":\"2026-01-01T00:00:00.000Z\",\"actor\":\"x@y\",\"cause\":\"patch\",\"old_shape\":[2,4],\"new_shape\":[6,4]}\n",
    );
    let found = e.check(&["a"]);
    assert_eq!(codes(&found), ["grow_not_landed"], "{found:?}");
    assert!(found[0].1.contains("[2, 4] to [6, 4]"), "{found:?}");
    let repaired = e.repair("a");
    assert_eq!(codes(&repaired), ["grow_not_landed"]);
    let history = e.history("a");
    let last = history.last().unwrap();
    assert_eq!(last["cause"], "rollback");
    assert_eq!(last["new_shape"], serde_json::json!([2, 4]));
    assert_eq!(e.shape("a"), [2, 4]);
    assert_eq!(e.check(&["a"]), vec![]);
}

#[test]
fn a_grow_whose_chunks_never_landed_is_found_and_rolled_back() {
    let e = Env::new();
    create(&e, "a", "2,4", "2,4", "int32");
    e.ok(&[
        "patch", "a", "--offset", "0,0", "--value", "5", "--shape", "2,4",
    ]);
    // A growing patch whose data landed is clean.
    e.ok(&[
        "patch", "a", "--offset", "2,0", "--value", "6", "--shape", "2,4", "--extend",
    ]);
    assert_eq!(e.check(&["a"]), vec![]);
    // One whose writer stopped between the shape change and its chunks.
    e.ok(&[
        "patch", "a", "--offset", "4,0", "--value", "7", "--shape", "4,4", "--extend",
    ]);
    fs::remove_file(e.path("a/c/2/0")).unwrap();
    fs::remove_file(e.path("a/c/3/0")).unwrap();
    let found = e.check(&["a"]);
    assert_eq!(codes(&found), ["grow_not_landed"], "{found:?}");
    assert!(found[0].1.contains("from [4, 4] to [8, 4]"), "{found:?}");
    e.repair("a");
    assert_eq!(e.shape("a"), [4, 4]);
    assert_eq!(e.history("a").last().unwrap()["cause"], "rollback");
    assert_eq!(e.check(&["a"]), vec![]);
    let data: Value = serde_json::from_str(&e.ok(&["read", "a", "--json"])).unwrap();
    assert_eq!(data["data"][15], 6, "{data}");
}

#[test]
fn a_failed_rollback_is_found_and_finished() {
    let e = Env::new();
    // Chunks of 16 KiB of noise (it does not compress); the failing write may write files
    // of 4 KiB at most, so neither its chunks nor the rollback's rewrite of the edge chunk fit.
    create(&e, "a", "2,4096", "4,4096", "uint8");
    let dir = tempfile::tempdir().unwrap();
    let (first, grow) = (dir.path().join("first.npy"), dir.path().join("grow.npy"));
    extent::npy::write(&first, &noise(2, 1)).unwrap();
    extent::npy::write(&grow, &noise(10, 2)).unwrap();
    e.ok(&[
        "patch",
        "a",
        "--offset",
        "0,0",
        "--from",
        first.to_str().unwrap(),
    ]);
    let script = "trap '' XFSZ; ulimit -f 8; exec \"$@\"";
    let out = Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(common::extent_bin())
        .args(["--store", e.store.to_str().unwrap()])
        .args([
            "patch",
            "a",
            "--offset",
            "2,0",
            "--from",
            grow.to_str().unwrap(),
            "--extend",
        ])
        .env("HOME", &e.home)
        .env("XDG_DATA_HOME", e.home.join("data"))
        .env("XDG_STATE_HOME", e.home.join("state"))
        .env("XDG_CACHE_HOME", e.home.join("cache"))
        .env_remove("EXTENT_STORE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains("rolling the shape back"),
        "the rollback failed too: {err}"
    );
    assert!(e.path("a/.extent/rollback").exists());

    let found = e.check(&["a"]);
    assert_eq!(codes(&found), ["failed_rollback"], "{found:?}");
    assert!(found[0].1.contains("[2, 4096] to [12, 4096]"), "{found:?}");
    let repaired = e.repair("a");
    assert!(repaired.iter().all(|f| f.2), "{repaired:?}");
    assert_eq!(e.shape("a"), [2, 4096]);
    assert_eq!(e.check(&["a"]), vec![]);
    assert!(!e.path("a/.extent/rollback").exists());
    let last = e.history("a").last().unwrap().clone();
    assert_eq!(last["cause"], "rollback");
    assert_eq!(last["new_shape"], serde_json::json!([2, 4096]));
    // What was acknowledged is still there, and a grow shows fill past the old edge.
    e.ok(&["resize", "a", "--shape", "4,4096"]);
    let out = dir.path().join("out.npy");
    e.ok(&["read", "a", "--out", out.to_str().unwrap()]);
    let got = extent::npy::read(&out).unwrap();
    let want = noise(2, 1).bytes;
    assert_eq!(&got.bytes[..want.len()], &want[..]);
    assert!(got.bytes[want.len()..].iter().all(|&b| b == 0));
}

/// `rows` × 4096 bytes of noise (an LCG seeded with `seed`).
fn noise(rows: u64, seed: u64) -> ArrayData {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let bytes = (0..rows * 4096)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect();
    ArrayData::new(DType::UInt8, vec![rows, 4096], bytes).unwrap()
}

/// Uncompressed chunks (as another tool writes them) of the wrong size, and compressed ones
/// that do not decode: every read that spans one is refused naming it, `check` lists them.
#[test]
fn damaged_chunks_are_found_and_reads_refuse_them_naming_the_chunk() {
    let e = Env::new();
    create(&e, "z", "4,4", "2,4", "int32");
    create(&e, "u", "4,4", "2,4", "int32");
    let meta = e.path("u/zarr.json");
    let mut json: Value = serde_json::from_slice(&fs::read(&meta).unwrap()).unwrap();
    json["codecs"] = serde_json::json!([{"name": "bytes", "configuration": {"endian": "little"}}]);
    fs::write(&meta, serde_json::to_vec(&json).unwrap()).unwrap();
    for a in ["z", "u"] {
        e.ok(&[
            "patch", a, "--offset", "0,0", "--value", "5", "--shape", "4,4",
        ]);
        let first = e.path(&format!("{a}/c/0/0"));
        let bytes = fs::read(&first).unwrap();
        fs::write(&first, &bytes[..bytes.len() - 4]).unwrap();
        append(&e.path(&format!("{a}/c/1/0")), b"junk");
    }
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("x.npy");
    for (a, why) in [
        ("u", "bytes where its codecs make 32"),
        ("z", "does not decode"),
    ] {
        for (args, chunk) in [
            (vec!["read", a, "--json"], "c/0/0"),
            (vec!["read", a, "--slice", "0:1,0:2", "--json"], "c/0/0"),
            (vec!["read", a, "--slice", "3:4,:", "--json"], "c/1/0"),
            (
                vec!["read", a, "--out", out_file.to_str().unwrap(), "--json"],
                "c/0/0",
            ),
        ] {
            let out = e.run(&args);
            assert_eq!(out.status.code(), Some(6), "{args:?}: {out:?}");
            let err: Value = serde_json::from_slice(&out.stderr).unwrap();
            assert_eq!(err["error"]["kind"], "io", "{err}");
            let m = err["error"]["message"].as_str().unwrap();
            assert!(m.contains(&format!("chunk '{a}/{chunk}'")), "{args:?}: {m}");
            assert!(m.contains(why), "{args:?}: {m}");
        }
        assert!(!out_file.exists());
    }
    let found = e.check(&["u"]);
    assert_eq!(codes(&found), ["bad_chunk"], "{found:?}");
    assert!(
        found[0].1.contains("'u/c/0/0' is 28 bytes, not 32"),
        "{found:?}"
    );
    assert!(
        found[0].1.contains("'u/c/1/0' is 36 bytes, not 32"),
        "{found:?}"
    );
    let found = e.check(&["z"]);
    assert_eq!(codes(&found), ["bad_chunk"], "{found:?}");
    assert!(
        found[0].1.contains("'z/c/0/0' does not decode"),
        "{found:?}"
    );
    assert!(
        found[0].1.contains("'z/c/1/0' does not decode"),
        "{found:?}"
    );
    // Nothing to repair safely: the data is lost or wrong.
    let again = e.repair("u");
    assert_eq!(codes(&again), ["bad_chunk"]);
    assert!(!again[0].2);
}

#[test]
fn chunks_past_the_edge_are_found_and_erased() {
    let e = Env::new();
    create(&e, "a", "4,4", "2,4", "int32");
    e.ok(&[
        "patch", "a", "--offset", "0,0", "--value", "5", "--shape", "4,4",
    ]);
    // Another tool shrank the shape and left the chunks.
    let meta = e.path("a/zarr.json");
    let mut json: Value = serde_json::from_slice(&fs::read(&meta).unwrap()).unwrap();
    json["shape"] = serde_json::json!([2, 4]);
    fs::write(&meta, serde_json::to_vec(&json).unwrap()).unwrap();
    assert_eq!(e.shape("a"), [2, 4]);
    let found = e.check(&["a"]);
    assert!(codes(&found).contains(&"stale_data"), "{found:?}");
    assert!(found
        .iter()
        .any(|f| f.1.contains("1 chunk(s) lie past the shape [2, 4]")));
    e.repair("a");
    assert!(!e.path("a/c/1/0").exists());
    assert_eq!(e.check(&["a"]), vec![]);
}

#[test]
fn temp_files_of_a_running_writer_are_not_leftovers() {
    let e = Env::new();
    create(&e, "a", "1000,1024", "100,1024", "uint8");
    let writer = stop_while_holding(
        &e.home,
        &e.store,
        &e.path("a/.extent/lock"),
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
    );
    // A temp file of the stopped writer's (it may or may not have made its own yet).
    fs::create_dir_all(e.path("a/c/0")).unwrap();
    let planted = e.path(&format!("a/c/0/9.{}.00112233aabbccdd.tmp", writer.pid));
    fs::write(&planted, b"in progress").unwrap();
    let found = e.check(&["a"]);
    assert!(
        !codes(&found).contains(&"temp_file"),
        "a running writer's temp files are not leftovers: {found:?}"
    );
    writer.kill();
    let found = e.check(&["a"]);
    assert!(codes(&found).contains(&"temp_file"), "{found:?}");
    e.repair("a");
    assert!(!planted.exists());
    let left = e.check(&["a"]);
    assert!(!codes(&left).contains(&"temp_file"), "{left:?}");
}
