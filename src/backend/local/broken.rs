//! A node whose `zarr.json` cannot be read (truncated, garbled): `check` reports it as a
//! finding instead of failing, and repairs the one case that is certain — a directory that
//! holds nodes and nothing of an array's was a group, so its metadata is rewritten as one.

use std::fs;
use std::path::Path;

use super::durable::write_json_atomic;
use super::meta::group_meta;
use super::{Inner, EXTENT_DIR, META};
use crate::backend::{Error, Finding, FindingCode, Result};

/// The finding for a node whose metadata gave `error`; with `repair`, a plain group's
/// metadata is rewritten.
pub(super) fn finding(
    inner: &Inner,
    path: &str,
    dir: &Path,
    error: &Error,
    repair: bool,
) -> Result<Vec<Finding>> {
    let group = holds_only_nodes(dir);
    let advice = if group {
        "the directory holds only nodes, so it was a group"
    } else {
        "restore its zarr.json from a backup, or delete the node"
    };
    let mut f = Finding::new(
        path,
        FindingCode::BadMetadata,
        format!("the metadata cannot be read: {}; {advice}", error.chain()),
        group.then_some("rewrite zarr.json as a group's (its attributes are lost)"),
    );
    if repair && group {
        write_json_atomic(&dir.join(META), &group_meta(), inner.durability)?;
        f.repaired = true;
    }
    Ok(vec![f])
}

/// True when `dir` holds at least one child node and nothing else but its own `zarr.json`
/// (and temp files or leftovers of deletes): no chunks, no journal of an array.
fn holds_only_nodes(dir: &Path) -> bool {
    let Ok(rd) = fs::read_dir(dir) else {
        return false;
    };
    let mut nodes = 0;
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if name == META || name.ends_with(".tmp") || name.starts_with(".deleted-") {
            continue;
        }
        if !is_dir || name == EXTENT_DIR || !e.path().join(META).is_file() {
            return false;
        }
        nodes += 1;
    }
    nodes > 0
}
