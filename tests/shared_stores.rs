//! A store shared by the users of one group: another member writes to it (lock files it may
//! only read still lock), and every file extent rewrites (zarr.json, chunks, a consolidated
//! root) keeps its mode and group. As root the writer is a second uid (setpriv); otherwise the
//! test is the owner's own (mode preservation only, which it says).

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{expect_json, extent_bin, extent_ok};
use serde_json::{json, Value};

/// The group the store is shared in, and the member who writes (as root).
const GROUP: u32 = 41_234;
const MEMBER: u32 = 41_235;

fn is_root() -> bool {
    // The owner of /proc/self is this process's uid (the crate has no libc).
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        == 0
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chgrp(p: &Path, gid: u32) {
    std::os::unix::fs::lchown(p, None, Some(gid)).unwrap();
}

/// Every file and directory under `dir`.
fn all_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out
}

/// The extent binary the other member runs: a copy beside its `home` (whose parent the test
/// opened to it), since the build's own directory may be closed to other users (a checkout
/// under a 0700 temporary directory).
fn member_bin(home: &Path) -> PathBuf {
    if !is_root() {
        return extent_bin();
    }
    let copy = home
        .parent()
        .expect("the member's home has a parent")
        .join("extent-member");
    if !copy.exists() {
        std::fs::copy(extent_bin(), &copy).expect("cannot copy extent for the other member");
        chmod(&copy, 0o755);
    }
    copy
}

/// `extent ARGS` as the group's other member (as root), or as this user, with umask 002.
fn as_member(home: &Path, args: &[&str]) -> Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            format!("--reuid={MEMBER}"),
            format!("--regid={MEMBER}"),
            format!("--groups={GROUP}"),
        ]);
        c.arg("--");
        c
    } else {
        Command::new("env")
    };
    cmd.arg("sh")
        .arg("-c")
        .arg("umask 002; exec \"$0\" \"$@\"")
        .arg(member_bin(home))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("EXTENT_STORE");
    cmd.output().expect("cannot run setpriv / sh")
}

fn member_ok(home: &Path, args: &[&str]) -> Value {
    expect_json(args, &as_member(home, args))
}

/// (mode, gid) of a file.
fn mode_gid(p: &Path) -> (u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.mode() & 0o7777, m.gid())
}

#[test]
fn another_member_of_the_group_writes_and_modes_and_group_survive() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    chmod(t, 0o755);
    let home = t.join("home");
    std::fs::create_dir(&home).unwrap();
    chmod(&home, 0o777);
    let store = t.join("shared");
    let s = store.to_str().unwrap();
    extent_ok(
        &t.join("owner"),
        &[
            "--store", s, "create", "g/a", "--shape", "4,2", "--chunks", "2,2", "--dtype", "int32",
        ],
    );
    extent_ok(
        &t.join("owner"),
        &[
            "--store", s, "patch", "g/a", "--offset", "0,0", "--value", "1", "--shape", "4,2",
        ],
    );
    // Consolidated by zarr-python, so its root is rewritten too.
    common::python(
        "import sys, warnings, zarr; warnings.simplefilter('ignore'); zarr.consolidate_metadata(sys.argv[1])",
        &[s],
    );
    let root = is_root();
    let gid = if root {
        GROUP
    } else {
        std::fs::metadata(&store).unwrap().gid()
    };
    // The layout a shared store has: setgid directories of the group, files the group may
    // write, chunks only the group may read; metadata and a lock as umask 022 made them.
    for p in all_under(&store).into_iter().chain([store.clone()]) {
        if root {
            chgrp(&p, gid);
        }
        let is_dir = p.is_dir();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let mode = if is_dir {
            0o2775
        } else if name == "lock" || name == "zarr.json" {
            0o644 // what umask 022 gave: other members rewrite them by renaming
        } else if p.strip_prefix(&store).unwrap().starts_with("g/a/c") {
            0o660 // a chunk
        } else {
            0o664
        };
        chmod(&p, mode);
    }
    let meta = store.join("g/a/zarr.json");
    let chunk = store.join("g/a/c/0/0");
    let root_meta = store.join("zarr.json");
    assert_eq!(mode_gid(&chunk), (0o660, gid));

    // Grow (new chunk, zarr.json and the consolidated root rewritten), patch in bounds (a
    // chunk rewritten), shrink and grow again.
    member_ok(
        &home,
        &[
            "--store", s, "patch", "g/a", "--offset", "4,0", "--value", "5", "--shape", "1,2",
            "--extend", "--json",
        ],
    );
    member_ok(
        &home,
        &[
            "--store", s, "patch", "g/a", "--offset", "0,0", "--value", "7", "--shape", "1,1",
            "--json",
        ],
    );
    member_ok(
        &home,
        &[
            "--store", s, "resize", "g/a", "--shape", "3,2", "--yes", "--json",
        ],
    );
    member_ok(
        &home,
        &["--store", s, "resize", "g/a", "--shape", "6,2", "--json"],
    );

    assert_eq!(mode_gid(&meta), (0o644, gid), "zarr.json");
    assert_eq!(mode_gid(&chunk), (0o660, gid), "a rewritten chunk");
    assert_eq!(mode_gid(&root_meta), (0o644, gid), "the consolidated root");
    assert_eq!(
        mode_gid(&store.join("g/a/.extent/lock")),
        (0o644, gid),
        "the lock"
    );
    // The new chunk's directory took the group (setgid), and umask 002 gave the group write.
    let new_dir = store.join("g/a/c/2");
    assert!(!new_dir.exists() || mode_gid(&new_dir) == (0o2775, gid));
    let read = member_ok(&home, &["--store", s, "read", "g/a", "--json"]);
    assert_eq!(read["shape"], json!([6, 2]));
    assert_eq!(read["data"], json!([7, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]));
    let cons: Value = serde_json::from_slice(&std::fs::read(&root_meta).unwrap()).unwrap();
    assert_eq!(
        cons["consolidated_metadata"]["metadata"]["g/a"]["shape"],
        json!([6, 2])
    );
    if !root {
        eprintln!("not root: tested mode preservation as the owner only (no second uid)");
    }
}

/// `check --all` goes on past an array it cannot read (its chunk directory denied to the
/// checker), reporting it as `unreadable` and counting every node.
#[test]
fn check_all_goes_on_past_an_unreadable_array() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    chmod(t, 0o755);
    let home = t.join("home");
    std::fs::create_dir(&home).unwrap();
    chmod(&home, 0o777);
    let store = t.join("s");
    let s = store.to_str().unwrap();
    for p in ["a", "b", "g/c"] {
        extent_ok(
            &t.join("owner"),
            &[
                "--store", s, "create", p, "--shape", "4", "--chunks", "2", "--dtype", "int8",
            ],
        );
        extent_ok(
            &t.join("owner"),
            &[
                "--store", s, "patch", p, "--offset", "0", "--value", "1", "--shape", "4",
            ],
        );
    }
    // Readable by all but `b`'s chunks (as root, the checker is another uid).
    for p in all_under(&store) {
        chmod(&p, if p.is_dir() { 0o755 } else { 0o644 });
    }
    // ...and the whole of `g/c` (its directory may not be entered).
    let denied = [store.join("b/c"), store.join("g/c")];
    for d in &denied {
        chmod(d, if is_root() { 0o700 } else { 0o000 });
    }
    let ls = as_member(&home, &["--store", s, "ls", "--json"]);
    let out = as_member(&home, &["--store", s, "check", "--all", "--json"]);
    for d in &denied {
        chmod(d, 0o755);
    }
    let ls: Value = expect_json(&["ls"], &ls);
    let paths: Vec<&str> = ls
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a", "b", "g", "g/c"], "{ls}");
    assert_eq!(ls[3]["kind"], "broken", "{ls}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["checked"], 5, "{report}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{report}");
    for (f, path) in findings.iter().zip(["b", "g/c"]) {
        assert_eq!(f["path"], path, "{report}");
        assert_eq!(f["code"], "unreadable", "{report}");
        assert!(
            f["message"].as_str().unwrap().contains("Permission denied"),
            "{report}"
        );
    }
}
