//! `extent read` within a memory budget: `--out` streams arrays larger than the process may
//! hold, output that must be held is refused up front, and the export target is checked
//! (not in the store, not special, not replaced without `--force`, no half file on failure).

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Output;

use common::{extent, snapshot_dir};
use serde_json::Value;

use common::cli_env::{env, Env};

impl Env {
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "extent {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A refusal of `kind` whose message holds `needle`; the store and the directory the
    /// exports go to are left as they were.
    fn refused(&self, args: &[&str], kind: &str, needle: &str) -> String {
        let before = (snapshot_dir(Path::new(&self.store)), listing(&self.root));
        let out = self.run(args);
        let after = (snapshot_dir(Path::new(&self.store)), listing(&self.root));
        let (k, msg) = error(args, &out);
        assert_eq!(k, kind, "extent {args:?}: {msg}");
        assert!(
            msg.contains(needle),
            "extent {args:?}: {msg:?} lacks {needle:?}"
        );
        assert!(before == after, "extent {args:?} changed files");
        msg
    }
}

/// The kind and message of a failed command's error: JSON with `--json`, otherwise the
/// text form `error: MESSAGE (kind)`.
fn error(args: &[&str], out: &Output) -> (String, String) {
    assert!(!out.status.success(), "extent {args:?} should have failed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Ok(err) = serde_json::from_str::<Value>(&stderr) {
        let kind = err["error"]["kind"].as_str().unwrap().to_string();
        return (kind, err["error"]["message"].as_str().unwrap().to_string());
    }
    let first = stderr.lines().next().unwrap_or_default();
    let parsed = first
        .strip_prefix("error: ")
        .and_then(|l| l.strip_suffix(')'))
        .and_then(|l| l.rsplit_once(" ("));
    let (msg, kind) =
        parsed.unwrap_or_else(|| panic!("extent {args:?}: not an extent error: {stderr}"));
    (kind.to_string(), msg.to_string())
}

/// The names in `dir` (not recursive), sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn npy(path: &Path, data: &extent::backend::ArrayData) {
    std::fs::write(path, extent::npy::encode(data)).unwrap();
}

/// `rows` rows of `cols` uint16 values, value = (row * 31 + col) % 65521.
fn pattern(first_row: u64, rows: u64, cols: u64) -> extent::backend::ArrayData {
    let mut bytes = Vec::new();
    for r in first_row..first_row + rows {
        for c in 0..cols {
            bytes.extend_from_slice(&(((r * 31 + c) % 65521) as u16).to_le_bytes());
        }
    }
    extent::backend::ArrayData::new(extent::backend::DType::UInt16, vec![rows, cols], bytes)
        .unwrap()
}

/// An export of a 512 MiB array by a process limited to 256 MiB of address space: it must
/// stream. Every row of the file is checked: written rows hold their pattern, the rest the
/// fill value.
#[test]
fn export_larger_than_the_address_space_limit_streams() {
    const ROWS: u64 = 262_144;
    const COLS: u64 = 1024;
    const LIMIT: u64 = 256 << 20;
    let e = env();
    let shape = format!("{ROWS},{COLS}");
    e.ok(&[
        "create", "big", "--shape", &shape, "--chunks", "256,1024", "--dtype", "uint16", "--fill",
        "7",
    ]);
    let written = [(0u64, 300u64), (ROWS / 2 - 5, 10), (ROWS - 3, 3)];
    for (at, rows) in written {
        let f = e.root.join(format!("p{at}.npy"));
        npy(&f, &pattern(at, rows, COLS));
        e.ok(&[
            "patch",
            "big",
            "--offset",
            &format!("{at},0"),
            "--from",
            f.to_str().unwrap(),
        ]);
    }
    let out = e.root.join("big.npy");
    // The limit is set by prlimit around the binary, so the test process is untouched.
    let mut limited = std::process::Command::new("prlimit");
    limited
        .arg(format!("--as={LIMIT}"))
        .arg(common::extent_bin())
        .args(["--store", &e.store, "read", "big", "--out"])
        .arg(&out)
        .envs(run_env(&e.home));
    let res = limited.output().expect("cannot run prlimit (util-linux)");
    assert!(
        res.status.success(),
        "the export under a {LIMIT}-byte address-space limit failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    let file = std::fs::File::open(&out).unwrap();
    let header = extent::npy::header(extent::backend::DType::UInt16, &[ROWS, COLS]);
    assert_eq!(
        file.metadata().unwrap().len(),
        header.len() as u64 + ROWS * COLS * 2,
        "the export has the wrong size"
    );
    let mut r = std::io::BufReader::with_capacity(1 << 20, file);
    let mut head = vec![0; header.len()];
    r.read_exact(&mut head).unwrap();
    assert_eq!(head, header);
    let fill: Vec<u8> = (0..COLS).flat_map(|_| 7u16.to_le_bytes()).collect();
    let mut row = vec![0u8; (COLS * 2) as usize];
    for i in 0..ROWS {
        r.read_exact(&mut row).unwrap();
        let hit = written.iter().any(|&(at, n)| (at..at + n).contains(&i));
        if hit {
            assert_eq!(row, pattern(i, 1, COLS).bytes, "row {i}");
        } else {
            assert_eq!(row, fill, "row {i}");
        }
    }
    // And the same bytes as a slice read of the middle rows.
    let mid = e.root.join("mid.npy");
    let slice = format!("{}:{},:", ROWS / 2 - 6, ROWS / 2 + 6);
    e.ok(&[
        "read",
        "big",
        "--slice",
        &slice,
        "--out",
        mid.to_str().unwrap(),
    ]);
    let mid = extent::npy::read(&mid).unwrap();
    let whole = std::fs::read(&out).unwrap();
    let at = header.len() + ((ROWS / 2 - 6) * COLS * 2) as usize;
    assert_eq!(&whole[at..at + mid.bytes.len()], &mid.bytes[..]);
}

/// The environment `common::extent_command` gives the binary, for commands built by hand.
fn run_env(home: &Path) -> Vec<(String, String)> {
    let cmd = common::extent_command(home, &[]);
    cmd.get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
        .collect()
}

#[test]
fn printing_more_than_the_budget_is_refused_up_front() {
    let e = env();
    e.ok(&["create", "a", "--shape", "100000", "--dtype", "float64"]);
    let msg = e.refused(
        &["--memory-limit", "1M", "read", "a", "--json"],
        "invalid_input",
        "--out",
    );
    assert!(msg.contains("--slice") && msg.contains("1.00 MiB"), "{msg}");
    // Text output is held too; the env variable sets the same budget.
    let out = common::extent_command(&e.home, &["--store", &e.store, "read", "a", "--json"])
        .env("EXTENT_MEMORY_LIMIT", "1M")
        .output()
        .unwrap();
    assert_eq!(error(&["read"], &out).0, "invalid_input");
    // A slice that fits is read; so is everything, streamed to a file.
    let v: Value = serde_json::from_str(&e.ok(&[
        "--memory-limit",
        "1M",
        "read",
        "a",
        "--slice",
        "0:10",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["shape"], serde_json::json!([10]));
    let f = e.root.join("a.npy");
    e.ok(&[
        "--memory-limit",
        "1M",
        "read",
        "a",
        "--out",
        f.to_str().unwrap(),
    ]);
    assert_eq!(extent::npy::read(&f).unwrap().shape, vec![100000]);
    // A bad budget is refused at once.
    e.refused(
        &["--memory-limit", "lots", "read", "a"],
        "invalid_input",
        "lots",
    );
}

/// The case: a huge array made in milliseconds must not be read into memory.
#[test]
fn a_huge_array_is_refused_for_printing_and_chunks_over_the_budget_for_create() {
    let e = env();
    e.ok(&["create", "huge", "--shape", "1000000000000"]);
    let msg = e.refused(&["read", "huge", "--json"], "invalid_input", "--out");
    assert!(msg.contains("1000000000000 elements"), "{msg}");
    e.refused(&["read", "huge"], "invalid_input", "--slice");
    let v: Value =
        serde_json::from_str(&e.ok(&["read", "huge", "--slice", "-3:", "--json"])).unwrap();
    assert_eq!(v["data"], serde_json::json!([0.0, 0.0, 0.0]));
    let msg = e.refused(
        &[
            "create",
            "c",
            "--shape",
            "1000000000000",
            "--chunks",
            "1000000000000",
        ],
        "invalid_input",
        "--chunks",
    );
    assert!(msg.contains("one chunk of c"), "{msg}");
    e.refused(
        &[
            "--memory-limit",
            "1M",
            "create",
            "d",
            "--shape",
            "1000000",
            "--chunks",
            "1000000",
        ],
        "invalid_input",
        "memory budget",
    );
}

#[test]
fn export_targets_that_are_not_safe_are_refused() {
    let e = env();
    e.ok(&[
        "create", "a", "--shape", "4,3", "--dtype", "int32", "--fill", "5",
    ]);
    let inside = format!("{}/a/x.npy", e.store);
    e.refused(
        &["read", "a", "--out", &inside],
        "invalid_input",
        "inside the store",
    );
    // Through a link from outside into the store, too.
    let link = e.root.join("link.npy");
    std::fs::write(Path::new(&e.store).join("a/planted.npy"), b"mine").unwrap();
    std::os::unix::fs::symlink(Path::new(&e.store).join("a/planted.npy"), &link).unwrap();
    e.refused(
        &["read", "a", "--out", link.to_str().unwrap(), "--force"],
        "invalid_input",
        "inside the store",
    );
    let fifo = e.root.join("fifo.npy");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo failed");
    e.refused(
        &["read", "a", "--out", fifo.to_str().unwrap(), "--force"],
        "invalid_input",
        "FIFO",
    );
    let dir = e.root.join("adir");
    std::fs::create_dir(&dir).unwrap();
    e.refused(
        &["read", "a", "--out", dir.to_str().unwrap(), "--force"],
        "invalid_input",
        "directory",
    );
    e.refused(
        &["read", "a", "--out", "/dev/null", "--force"],
        "invalid_input",
        "device",
    );
    let existing = e.root.join("old.npy");
    std::fs::write(&existing, b"old").unwrap();
    e.refused(
        &["read", "a", "--out", existing.to_str().unwrap()],
        "already_exists",
        "--force",
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"old");
    e.ok(&["read", "a", "--out", existing.to_str().unwrap(), "--force"]);
    assert_eq!(extent::npy::read(&existing).unwrap().shape, vec![4, 3]);
    assert_eq!(
        listing(&e.root)
            .iter()
            .filter(|n| n.ends_with(".part"))
            .count(),
        0
    );
}

/// A read that fails half way (a chunk that does not decode) leaves neither the target nor
/// a temp file behind.
#[test]
fn a_failed_export_leaves_no_half_file() {
    let e = env();
    e.ok(&[
        "create", "a", "--shape", "64,4", "--chunks", "4,4", "--dtype", "int32",
    ]);
    let f = e.root.join("p.npy");
    let data = extent::backend::ArrayData::new(
        extent::backend::DType::Int32,
        vec![64, 4],
        (0..256i32).flat_map(|i| i.to_le_bytes()).collect(),
    )
    .unwrap();
    npy(&f, &data);
    e.ok(&[
        "patch",
        "a",
        "--offset",
        "0,0",
        "--from",
        f.to_str().unwrap(),
    ]);
    // Chunk row 12 of 16 cannot be read; a 1 MiB budget still reads it in several slabs.
    let chunk = Path::new(&e.store).join("a/c/12/0");
    assert!(chunk.is_file(), "chunk layout changed: {}", chunk.display());
    // A directory where the chunk file was: the read of that slab fails.
    std::fs::remove_file(&chunk).unwrap();
    std::fs::create_dir(&chunk).unwrap();
    let out = e.root.join("x.npy");
    let before = listing(&e.root);
    let res = e.run(&[
        "--memory-limit",
        "1M",
        "read",
        "a",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        !res.status.success(),
        "the export of a broken chunk succeeded"
    );
    assert_eq!(listing(&e.root), before, "the failed export left files");
}

/// On a Tiled server the export streams the same way: many slabs, the bytes of a plain read.
#[test]
fn export_streams_from_a_tiled_server() {
    let s = common::tiled::server();
    let group = common::tiled::unique("export");
    s.make_groups(&group);
    let tmp = tempfile::tempdir().unwrap();
    let store = format!("{}/{group}", s.url);
    let run = |args: &[&str]| {
        let mut all = vec!["--store", store.as_str(), "--api-key", s.api_key.as_str()];
        all.extend_from_slice(args);
        extent(tmp.path(), &all)
    };
    let f = tmp.path().join("p.npy");
    let data = pattern(0, 2048, 256);
    npy(&f, &data);
    let created = run(&[
        "create",
        "t",
        "--from",
        f.to_str().unwrap(),
        "--chunks",
        "64,256",
    ]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    // A 1 MiB budget: slabs of 256 KiB, four of them.
    let out = tmp.path().join("t.npy");
    let res = run(&[
        "--memory-limit",
        "1M",
        "read",
        "t",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(extent::npy::read(&out).unwrap(), data);
    let refused = run(&["--memory-limit", "1M", "read", "t", "--json"]);
    let (kind, msg) = error(&["read", "t", "--json"], &refused);
    assert_eq!(kind, "invalid_input");
    assert!(msg.contains("--out"), "{msg}");
}

#[test]
fn numbers_out_of_range_are_refused_at_once() {
    let e = env();
    e.ok(&["create", "a", "--shape", "4"]);
    for t in ["1e30", "-1", "NaN", "inf"] {
        let started = std::time::Instant::now();
        let flag = format!("--timeout={t}");
        let out = e.run(&["watch", "a", "--json", &flag]);
        let (kind, msg) = error(&["watch", "--timeout", t], &out);
        assert_eq!(kind, "invalid_input", "--timeout {t}: {msg}");
        assert!(msg.contains("--timeout"), "{msg}");
        assert!(
            started.elapsed().as_secs() < 10,
            "--timeout {t} was waited for"
        );
    }
    let dir = e.root.join("demo");
    let d = dir.to_str().unwrap();
    for (flag, v) in [
        ("--rate", "0"),
        ("--rate", "-5"),
        ("--rate", "NaN"),
        ("--rate", "inf"),
        ("--rate", "1e30"),
        ("--frames", "0"),
        ("--frames", "1000000000000"),
    ] {
        let arg = format!("{flag}={v}");
        let out = extent(&e.home, &["demo", "--no-tui", "--json", "--dir", d, &arg]);
        let (kind, msg) = error(&["demo", flag, v], &out);
        assert_eq!(kind, "invalid_input", "demo {flag} {v}: {msg}");
        assert!(msg.contains(flag), "{msg}");
        assert!(!dir.exists(), "demo {flag} {v} made its store");
    }
}

/// An export stopped by Ctrl-C (SIGINT) or SIGTERM removes its temp file and writes no target.
#[test]
fn an_interrupted_export_leaves_no_file() {
    let e = env();
    e.ok(&[
        "create",
        "a",
        "--shape",
        "131072,1024",
        "--chunks",
        "256,1024",
        "--dtype",
        "uint16",
    ]);
    let out_dir = e.root.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("a.npy");
    for signal in ["-INT", "-TERM"] {
        let child = common::extent_command(
            &e.home,
            &[
                "--store",
                &e.store,
                "read",
                "a",
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        let started = std::time::Instant::now();
        while listing(&out_dir).is_empty() {
            assert!(started.elapsed().as_secs() < 20, "the export never started");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let res = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert!(
            !res.status.success(),
            "{signal}: the export finished first: {stderr}"
        );
        assert!(stderr.contains("stopped"), "{signal}: {stderr}");
        assert!(
            listing(&out_dir).is_empty(),
            "{signal} left {:?}",
            listing(&out_dir)
        );
    }
}
