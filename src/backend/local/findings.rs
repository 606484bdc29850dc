//! What `check` finds of writes that went wrong: a torn history line, a grow whose write never
//! landed, a rollback that did not finish, chunks that do not decode or have the wrong size,
//! and whether a temp file still belongs to a live writer.
//!
//! The rule for the shape: `zarr.json` is what every reader sees, so the history and the
//! chunks are judged against it, never the other way round.
//! - The history's last shape is the metadata's: consistent.
//! - The history ends in a grow from the metadata's shape to a larger one: that grow never
//!   landed (its shape commit failed, or its rollback was not journaled): `grow_not_landed`,
//!   repaired by journaling the rollback.
//! - Otherwise the metadata changed without a history line: `journal_behind`, repaired by
//!   journaling the metadata's shape.
//! - The last entry is a growing patch from O to the metadata's shape, and no chunk lies
//!   wholly past O: the process stopped between the shape change and its chunks (or the patch
//!   held only fill values, which look the same): `grow_not_landed`, repaired by rolling the
//!   shape back to O (nothing but fill values is lost).
//! - `.extent/rollback` names a rollback that did not finish: `failed_rollback`, repaired by
//!   finishing it while nothing changed since, else by forgetting it.

use std::fs::{self, OpenOptions};
use std::path::Path;

use serde_json::{json, Value};
use zarrs::array::{Array, ArrayBytes};

use super::chunks::fixed_chunk_len;
use super::durable::{sync_dir, temp_path, write_json_atomic, write_temp};
use super::{Inner, Store, JOURNAL};
use crate::backend::journal::{entry_lines, torn_lines};
use crate::backend::locks::no_follow;
use crate::backend::{
    fmt_shape, ArrayInfo, Cause, Error, Finding, FindingCode, Result, StructureChange,
};

/// The marker of a rollback in progress, in `.extent/`.
pub(super) const ROLLBACK: &str = "rollback";

impl Inner {
    /// Notes, before undoing a failed grow, that a rollback from `from` to `to` is under way
    /// (best effort: the rollback itself matters more than its marker).
    pub(super) fn mark_rollback(&self, path: &str, from: &[u64], to: &[u64]) {
        if let Ok(dir) = self.extent_dir(path) {
            let marker = json!({"from": from, "to": to});
            let _ = write_json_atomic(&dir.join(ROLLBACK), &marker, self.durability);
        }
    }

    /// Removes the marker of a rollback that finished.
    pub(super) fn clear_rollback(&self, path: &str) -> Result<()> {
        let file = self.extent_dir(path)?.join(ROLLBACK);
        match fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io(format!("cannot remove {}", file.display())).with_source(e))
            }
            _ => Ok(()),
        }
    }

    /// True while some process holds the array's lock (a writer is mid-way). Opens nothing
    /// new: an array without a lock file has no writer.
    pub(super) fn lock_busy(&self, path: &str) -> bool {
        let Ok(dir) = self.extent_dir(path) else {
            return false;
        };
        let Ok(f) = no_follow(OpenOptions::new().read(true)).open(dir.join("lock")) else {
            return false;
        };
        matches!(f.try_lock(), Err(fs::TryLockError::WouldBlock))
    }
}

/// True when a temp file named `<name>.<pid>.<random>.tmp` belongs to a process that is
/// still running.
pub(super) fn writer_alive(file_name: &str) -> bool {
    let Some(stem) = file_name.strip_suffix(".tmp") else {
        return false;
    };
    let mut parts = stem.rsplit('.');
    let (Some(random), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let pid: u32 = match pid.parse() {
        Ok(p) if p > 0 && random.len() == 16 => p,
        _ => return false,
    };
    random.chars().all(|c| c.is_ascii_hexdigit()) && Path::new(&format!("/proc/{pid}")).exists()
}

/// History lines cut short by a crash; the repair rewrites the history with its entries only
/// (atomically, under the array's lock).
pub(super) fn torn_journal(inner: &Inner, path: &str, repair: bool) -> Result<Option<Finding>> {
    let file = inner.extent_dir(path)?.join(JOURNAL);
    let torn = torn_lines(&file)?;
    if torn.inner == 0 && torn.tail.is_none() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    if torn.tail.is_some() {
        parts.push("the history's last line was cut short by an interrupted write".to_string());
    }
    if torn.inner > 0 {
        parts.push(format!(
            "{} line(s) of the history are not entries (cut short by a crash, then ended by a later append; readers skip them)",
            torn.inner
        ));
    }
    let mut f = Finding::new(
        path,
        FindingCode::TornJournal,
        parts.join("; "),
        Some("rewrite the history without the lines that are not entries"),
    );
    if repair {
        let kept = entry_lines(&file)?;
        let tmp = temp_path(&file);
        let io = |e: std::io::Error| {
            Error::io(format!("cannot rewrite {}", file.display())).with_source(e)
        };
        write_temp(&tmp, &kept, inner.durability, Some(&file)).map_err(io)?;
        fs::rename(&tmp, &file)
            .inspect_err(|_| {
                let _ = fs::remove_file(&tmp);
            })
            .map_err(io)?;
        if let Some(dir) = file.parent().filter(|_| inner.durability.fsync()) {
            sync_dir(dir).map_err(io)?;
        }
        f.repaired = true;
    }
    Ok(Some(f))
}

/// A rollback that did not finish (`.extent/rollback`). Finished by the repair when the array
/// is still as the failed write left it; forgotten when it changed since.
pub(super) fn failed_rollback(
    inner: &Inner,
    path: &str,
    info: &ArrayInfo,
    history: &[StructureChange],
    repair: bool,
) -> Result<Option<Finding>> {
    let file = inner.extent_dir(path)?.join(ROLLBACK);
    let Ok(text) = fs::read(&file) else {
        return Ok(None);
    };
    let marker: Value = serde_json::from_slice(&text).unwrap_or_default();
    let shape = |k: &str| serde_json::from_value::<Vec<u64>>(marker[k].clone()).ok();
    let (Some(from), Some(to)) = (shape("from"), shape("to")) else {
        let mut f = Finding::new(
            path,
            FindingCode::FailedRollback,
            "a rollback did not finish, and its note (.extent/rollback) cannot be read".into(),
            Some("remove the note"),
        );
        if repair {
            inner.clear_rollback(path)?;
            f.repaired = true;
        }
        return Ok(Some(f));
    };
    let last = history.iter().rev().find_map(|h| h.new_shape.clone());
    let untouched = last.as_deref() == Some(&from[..])
        && (info.shape == from || info.shape == to)
        && from.len() == info.ndim()
        && to.len() == info.ndim();
    let what = format!(
        "a write failed after growing the array from {} to {} and undoing the grow did not finish",
        fmt_shape(&to),
        fmt_shape(&from)
    );
    let mut f = if untouched {
        Finding::new(
            path,
            FindingCode::FailedRollback,
            format!("{what}; the array has shape {}", fmt_shape(&info.shape)),
            Some(
                "finish the rollback: erase what lies past the old edge and restore the old shape",
            ),
        )
    } else {
        Finding::new(
            path,
            FindingCode::FailedRollback,
            format!(
                "{what}; the array changed since (shape {}), so what the failed write left between the two edges stays: check that region",
                fmt_shape(&info.shape)
            ),
            Some("forget the unfinished rollback (the array keeps its shape)"),
        )
    };
    if repair {
        if untouched {
            let mut grown = info.clone();
            grown.shape = from.clone();
            inner.cut_to(path, &grown, &to)?;
            inner.write_shape(path, &to)?;
            inner.journal(path, Cause::Rollback, Some(&from), Some(&to))?;
            inner.sync_node(path)?;
        }
        inner.clear_rollback(path)?;
        f.repaired = true;
    }
    Ok(Some(f))
}

/// The history against the metadata's shape (see the module's rule).
pub(super) fn journal_vs_meta(
    inner: &Inner,
    path: &str,
    info: &ArrayInfo,
    history: &[StructureChange],
    repair: bool,
) -> Result<Option<Finding>> {
    let last_entry = history.iter().rev().find(|h| h.new_shape.is_some());
    let last = last_entry.and_then(|h| h.new_shape.clone());
    if last.as_deref() == Some(&info.shape[..]) {
        return Ok(None);
    }
    let grew_from_here = last_entry.is_some_and(|h| {
        h.old_shape.as_deref() == Some(&info.shape[..])
            && h.new_shape.as_ref().is_some_and(|n| grows(&info.shape, n))
    });
    let mut f = match (&last, grew_from_here) {
        (Some(s), true) => Finding::new(
            path,
            FindingCode::GrowNotLanded,
            format!(
                "the history records a grow from {} to {} that never landed: the metadata still has shape {}",
                fmt_shape(&info.shape),
                fmt_shape(s),
                fmt_shape(&info.shape)
            ),
            Some("record in the history that the grow was rolled back"),
        ),
        (Some(s), false) => Finding::new(
            path,
            FindingCode::JournalBehind,
            format!(
                "the history ends at shape {} but the array has shape {} (a change was not journaled)",
                fmt_shape(s),
                fmt_shape(&info.shape)
            ),
            Some("record the current shape in the history (cause: repair)"),
        ),
        (None, _) => Finding::new(
            path,
            FindingCode::JournalBehind,
            format!(
                "the history has no entry for this array (shape {}); it was made by another tool or its creation was interrupted",
                fmt_shape(&info.shape)
            ),
            Some("record the current shape in the history (cause: repair)"),
        ),
    };
    if repair {
        let cause = if grew_from_here {
            Cause::Rollback
        } else {
            Cause::Repair
        };
        inner.journal(path, cause, last.as_deref(), Some(&info.shape))?;
        f.repaired = true;
    }
    Ok(Some(f))
}

/// True when `new` is `old` grown along at least one axis and shrunk along none.
fn grows(old: &[u64], new: &[u64]) -> bool {
    old.len() == new.len() && old != new && old.iter().zip(new).all(|(o, n)| n >= o)
}

/// The last entry is a growing patch to the current shape, and no stored chunk lies wholly
/// past its old edge where such chunks fit: its data never landed. `keys`: the stored chunks.
pub(super) fn grow_without_data(
    inner: &Inner,
    path: &str,
    info: &ArrayInfo,
    history: &[StructureChange],
    keys: &[Vec<u64>],
    repair: bool,
) -> Result<Option<Finding>> {
    let Some(last) = history.last() else {
        return Ok(None);
    };
    let (Some(old), Some(new)) = (&last.old_shape, &last.new_shape) else {
        return Ok(None);
    };
    if !matches!(last.cause, Cause::Patch | Cause::Extend) || new != &info.shape || !grows(old, new)
    {
        return Ok(None);
    }
    // Chunks that start at or past the old edge on a grown axis are the patch's alone.
    let past = |k: &[u64]| (0..k.len()).any(|a| new[a] > old[a] && k[a] * info.chunks[a] >= old[a]);
    let room = (0..new.len())
        .any(|a| new[a] > old[a] && old[a].div_ceil(info.chunks[a]) * info.chunks[a] < new[a]);
    if !room || keys.iter().any(|k| past(k)) {
        return Ok(None);
    }
    let mut f = Finding::new(
        path,
        FindingCode::GrowNotLanded,
        format!(
            "the last patch grew the array from {} to {} but none of its data past {} landed (the writer stopped between the shape change and its chunks, or wrote only fill values)",
            fmt_shape(old),
            fmt_shape(new),
            fmt_shape(old)
        ),
        Some("roll the shape back to where the patch started (only fill values lie past it)"),
    );
    if repair {
        inner.cut_to(path, info, old)?;
        inner.write_shape(path, old)?;
        inner.journal(path, Cause::Rollback, Some(new), Some(old))?;
        inner.sync_node(path)?;
        f.repaired = true;
    }
    Ok(Some(f))
}

/// Stored chunks of the wrong size (when the codecs give every chunk one size) or that do
/// not decode. Needs a person: the data in them is lost or wrong.
pub(super) fn bad_chunks(
    inner: &Inner,
    path: &str,
    info: &ArrayInfo,
    array: &Array<Store>,
    files: &[(Vec<u64>, u64)],
) -> Option<Finding> {
    let want = fixed_chunk_len(array, info);
    let mut bad: Vec<String> = Vec::new();
    for (chunk, len) in files {
        let key = array.chunk_key(chunk);
        let shown = inner.rel(&inner.root.join(key.as_str()));
        match want {
            Some(w) if w != *len => bad.push(format!("'{shown}' is {len} bytes, not {w}")),
            Some(_) => {}
            None => {
                if let Err(e) = array.retrieve_chunk::<ArrayBytes>(chunk) {
                    bad.push(format!("'{shown}' does not decode ({e})"));
                }
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    let shown: Vec<&str> = bad.iter().take(5).map(String::as_str).collect();
    let more = bad.len().saturating_sub(shown.len());
    Some(Finding::new(
        path,
        FindingCode::BadChunk,
        format!(
            "{} chunk(s) are damaged: {}{}; reads of them are refused (restore them, or erase them to read the fill value)",
            bad.len(),
            shown.join("; "),
            if more > 0 { format!("; and {more} more") } else { String::new() }
        ),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_carry_the_writer() {
        let me = std::process::id();
        assert!(writer_alive(&format!("0.{me}.00112233aabbccdd.tmp")));
        assert!(writer_alive(&format!(
            "zarr.json.{me}.00112233aabbccdd.tmp"
        )));
        assert!(!writer_alive("0.tmp"));
        assert!(!writer_alive(&format!("0.{me}.xyz.tmp")));
        assert!(!writer_alive("0.4294967295.00112233aabbccdd.tmp"));
        assert!(grows(&[2, 3], &[4, 3]));
        assert!(!grows(&[2, 3], &[2, 3]));
        assert!(!grows(&[2, 3], &[4, 2]));
    }
}
