//! No write ever leaves the store: a symlink planted in the place of every file or directory
//! the local store writes (chunks, chunk directories, temp names, `zarr.json`, `.extent/` and
//! its journal and locks) is refused with `invalid_input` naming it, or left alone by an
//! operation that does not need it — never followed. `check` reports each of them, and chunks
//! that are not regular files, and files no one can account for.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, Cause, DType, ErrorKind, FindingCode, Result};

/// The operations run against each planted symlink.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Read,
    Patch,
    Extend,
    Shrink,
    Grow,
    Create,
    Delete,
}

const OPS: [Op; 7] = [
    Op::Read,
    Op::Patch,
    Op::Extend,
    Op::Shrink,
    Op::Grow,
    Op::Create,
    Op::Delete,
];

/// One planted symlink: where (in the store), and the operations that need what is there and
/// so must refuse it (the others may succeed, as long as they do not follow it).
struct Plant {
    at: &'static str,
    refused_by: &'static [Op],
}

use Op::*;

/// Every file and directory the local store creates or writes. `STRIPE` stands for the
/// chunk-lock file of chunk [0, 0]; `c/1/1.tmp` is the temp name chunks used to have.
const PLANTS: &[Plant] = &[
    // Delete is not refused: an array whose metadata cannot be read is a broken node, which
    // `rm` removes; the link goes with the array's directory, its target stays untouched.
    Plant {
        at: "a/zarr.json",
        refused_by: &[Read, Patch, Extend, Shrink, Grow],
    },
    Plant {
        at: "a/.extent",
        refused_by: &[Patch, Extend, Shrink, Grow, Delete],
    },
    Plant {
        at: "a/.extent/history.jsonl",
        refused_by: &[Extend, Shrink, Grow],
    },
    Plant {
        at: "a/.extent/lock",
        refused_by: &[Patch, Extend, Shrink, Grow, Delete],
    },
    Plant {
        at: "a/.extent/chunk-locks",
        refused_by: &[Patch],
    },
    Plant {
        at: "a/.extent/chunk-locks/STRIPE",
        refused_by: &[Patch],
    },
    Plant {
        at: "a/c",
        refused_by: &[Read, Patch, Extend, Shrink],
    },
    Plant {
        at: "a/c/0",
        refused_by: &[Read, Patch, Shrink],
    },
    Plant {
        at: "a/c/0/0",
        refused_by: &[Read, Patch, Shrink],
    },
    Plant {
        at: "a/c/1/1.tmp",
        refused_by: &[],
    },
    Plant {
        at: "a/c/2",
        refused_by: &[Extend],
    },
    Plant {
        at: "b/zarr.json",
        refused_by: &[Create],
    },
    Plant {
        at: "b/.extent",
        refused_by: &[Create],
    },
    Plant {
        at: "b/.extent/history.jsonl",
        refused_by: &[Create],
    },
    Plant {
        at: "b/c",
        refused_by: &[Create],
    },
];

fn ints(values: &[i32], shape: &[u64]) -> ArrayData {
    let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    ArrayData::new(DType::Int32, shape.to_vec(), bytes).unwrap()
}

/// A store with the 4×4 array `a` (2×2 chunks, all written, one in-bounds patch so that a
/// chunk-lock file exists), beside a directory `outside` the store.
async fn setup(t: &Path) -> LocalBackend {
    let b = LocalBackend::open_or_create(t.join("store")).unwrap();
    b.create(&common::create_request("a", &[4, 4], &[2, 2], DType::Int32))
        .await
        .unwrap();
    let all: Vec<i32> = (1..=16).collect();
    b.patch("a", &[0, 0], &ints(&all, &[4, 4]), false)
        .await
        .unwrap();
    // Only chunk [0, 0]'s stripe is left, the one the patch below takes again.
    fs::remove_dir_all(b.root().join("a/.extent/chunk-locks")).unwrap();
    b.patch("a", &[0, 0], &ints(&[1], &[1, 1]), false)
        .await
        .unwrap();
    fs::create_dir(t.join("outside")).unwrap();
    b
}

/// Replaces `at` by a symlink to a place outside the store: what was there moves outside
/// (so following the link would find real data); a name that was free gets a link to a
/// file that does not exist yet (so following it would create a file outside).
fn plant(store: &Path, outside: &Path, at: &str) -> PathBuf {
    let at = if at.ends_with("STRIPE") {
        let stripes = store.join("a/.extent/chunk-locks");
        let name = fs::read_dir(&stripes).unwrap().next().unwrap().unwrap();
        format!(
            "a/.extent/chunk-locks/{}",
            name.file_name().to_string_lossy()
        )
    } else {
        at.to_string()
    };
    let place = store.join(&at);
    let target = outside.join(at.replace('/', "_"));
    if fs::symlink_metadata(&place).is_ok() {
        fs::rename(&place, &target).unwrap();
    }
    fs::create_dir_all(place.parent().unwrap()).unwrap();
    symlink(&target, &place).unwrap();
    place
}

async fn run(b: &LocalBackend, op: Op) -> Result<()> {
    match op {
        Op::Read => b.read("a", None).await.map(|_| ()),
        Op::Patch => b
            .patch("a", &[0, 0], &ints(&[9], &[1, 1]), false)
            .await
            .map(|_| ()),
        Op::Extend => b
            .patch("a", &[3, 0], &ints(&[7; 12], &[3, 4]), true)
            .await
            .map(|_| ()),
        Op::Shrink => b.resize("a", &[1, 4], Cause::Resize).await.map(|_| ()),
        Op::Grow => b.resize("a", &[8, 4], Cause::Resize).await.map(|_| ()),
        Op::Create => {
            let req = extent::backend::CreateRequest {
                data: Some(ints(&[5; 4], &[2, 2])),
                ..common::create_request("b", &[2, 2], &[2, 2], DType::Int32)
            };
            b.create(&req).await.map(|_| ())
        }
        Op::Delete => b.delete("a").await,
    }
}

#[tokio::test]
async fn a_planted_symlink_is_refused_or_left_alone_never_followed() {
    let mut failures = Vec::new();
    for p in PLANTS {
        for op in OPS {
            let t = tempfile::tempdir().unwrap();
            let b = setup(t.path()).await;
            let (store, outside) = (b.root().to_path_buf(), t.path().join("outside"));
            let place = plant(&store, &outside, p.at);
            let rel = place.strip_prefix(&store).unwrap().display().to_string();
            let before = common::snapshot_dir(&outside);
            let result = run(&b, op).await;
            let case = format!("{op:?} with a symlink at {rel}");
            match &result {
                Err(e) if e.kind == ErrorKind::InvalidInput && e.message.contains(&rel) => {}
                Err(e) => failures.push(format!("{case}: {:?} {}", e.kind, e.message)),
                Ok(()) if p.refused_by.contains(&op) => {
                    failures.push(format!("{case}: succeeded, should be refused"))
                }
                Ok(()) => {}
            }
            if common::snapshot_dir(&outside) != before {
                failures.push(format!("{case}: the files outside the store changed"));
            }
            // The link is still there (unless the array went with it): check reports it.
            let node = rel.split('/').next().unwrap();
            let meta = store.join(node).join("zarr.json");
            if fs::symlink_metadata(&place).is_ok() && fs::symlink_metadata(&meta).is_ok() {
                match b.check(node).await {
                    Ok(found) => {
                        let named = found
                            .iter()
                            .any(|f| f.code == FindingCode::Symlink && f.message.contains(&rel));
                        if !named {
                            failures.push(format!("{case}: check did not report it: {found:?}"));
                        }
                    }
                    Err(e) => failures.push(format!("{case}: check failed: {}", e.message)),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A shrink over a symlinked chunk directory used to "erase" nothing and the old data came
/// back with the next grow; now the shrink is refused and the data stays where it was.
#[tokio::test]
async fn a_shrink_never_half_erases_through_a_symlinked_chunk_directory() {
    let t = tempfile::tempdir().unwrap();
    let b = setup(t.path()).await;
    let outside = t.path().join("outside");
    plant(b.root(), &outside, "a/c/1");
    let e = b.resize("a", &[2, 4], Cause::Resize).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput, "{}", e.message);
    assert!(e.message.contains("a/c/1"), "{}", e.message);
    assert!(e.message.contains("outside the store"), "{}", e.message);
    assert_eq!(b.show("a").await.unwrap().shape, vec![4, 4]);
    assert_eq!(fs::read_dir(outside.join("a_c_1")).unwrap().count(), 2);
}

/// Chunks that are not regular files are refused (a FIFO would block a read for ever), and
/// `check` names them and every file it cannot account for.
#[tokio::test]
async fn odd_chunks_and_unknown_files_are_findings() {
    let t = tempfile::tempdir().unwrap();
    let b = setup(t.path()).await;
    let a = b.root().join("a");
    fs::remove_file(a.join("c/1/1")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(a.join("c/1/1"))
        .status()
        .expect("mkfifo is needed to make a FIFO chunk");
    assert!(made.success(), "mkfifo failed");
    fs::remove_file(a.join("c/0/1")).unwrap();
    fs::create_dir(a.join("c/0/1")).unwrap();
    fs::write(a.join("notes.txt"), b"mine").unwrap();
    fs::write(a.join(".extent/extra"), b"mine").unwrap();
    for (what, e) in [
        ("read", b.read("a", None).await.map(|_| ()).unwrap_err()),
        (
            "patch",
            b.patch("a", &[3, 3], &ints(&[1], &[1, 1]), false)
                .await
                .map(|_| ())
                .unwrap_err(),
        ),
        (
            "shrink",
            b.resize("a", &[1, 1], Cause::Resize)
                .await
                .map(|_| ())
                .unwrap_err(),
        ),
    ] {
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{what}: {}", e.message);
        assert!(
            e.message.contains("not a regular file"),
            "{what}: {}",
            e.message
        );
    }
    let found = b.check("a").await.unwrap();
    let has = |code: FindingCode, name: &str| {
        found
            .iter()
            .any(|f| f.code == code && f.message.contains(name))
    };
    assert!(has(FindingCode::NotRegularChunk, "a/c/1/1"), "{found:?}");
    assert!(has(FindingCode::NotRegularChunk, "a/c/0/1"), "{found:?}");
    assert!(has(FindingCode::UnknownFile, "a/notes.txt"), "{found:?}");
    assert!(
        has(FindingCode::UnknownFile, "a/.extent/extra"),
        "{found:?}"
    );
    // The repair leaves what needs a person alone.
    let repaired = b.repair("a").await.unwrap();
    assert!(repaired.iter().all(|f| !f.repaired), "{repaired:?}");
    assert!(a.join("notes.txt").exists());
}

/// A clean array has no findings at all (nothing extent writes is taken for unknown), and a
/// symlink leading out of the store from a group is reported there too.
#[tokio::test]
async fn a_clean_store_has_no_findings_and_groups_report_links_out() {
    let t = tempfile::tempdir().unwrap();
    let b = setup(t.path()).await;
    b.patch("a", &[4, 0], &ints(&[3; 8], &[2, 4]), true)
        .await
        .unwrap();
    b.resize("a", &[3, 4], Cause::Resize).await.unwrap();
    assert_eq!(b.check("a").await.unwrap(), vec![]);
    symlink(t.path().join("outside"), b.root().join("elsewhere")).unwrap();
    let found = b.check("").await.unwrap();
    assert!(
        found
            .iter()
            .any(|f| f.code == FindingCode::Symlink && f.message.contains("elsewhere")),
        "{found:?}"
    );
}
