//! `check` for the local store: what a crash, another tool or a bug could leave behind, and
//! the safe repair for each. Repairs hold the array lock exclusively, so no writer is mid-way.

use std::fs;
use std::path::Path;

use zarrs::array::ArrayBytes;

use super::confine::Leads;
use super::findings::{self, writer_alive};
use super::inventory::{odd_entries, symlink_finding};
use super::meta::info_from_meta;
use super::{Inner, META};
use crate::backend::geometry::{chunk_within, Boxes};
use crate::backend::{fmt_shape, scalar_bytes, Error, ErrorKind, Finding, FindingCode, Result};

/// Checks one array (or, for a group, its leftovers from interrupted deletes); with `repair`,
/// fixes what is safe to fix.
pub(super) fn check(inner: &Inner, path: &str, repair: bool) -> Result<Vec<Finding>> {
    let dir = inner.node_dir(path)?;
    // A symlinked zarr.json is not read (nothing else can be judged without it).
    let meta_file = dir.join(META);
    if fs::symlink_metadata(&meta_file).is_ok_and(|m| m.file_type().is_symlink()) {
        return Ok(vec![symlink_finding(inner, path, &meta_file)]);
    }
    let meta = match inner.read_meta(path) {
        Ok(m) => m,
        // Not there, or Zarr v2: nothing of extent's to check.
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Unsupported) => return Err(e),
        // Metadata this user may not read is not broken: it was not checked.
        Err(e)
            if fs::File::open(&meta_file)
                .is_err_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied) =>
        {
            return Ok(vec![Finding::new(
                path,
                FindingCode::Unreadable,
                format!("could not be checked: {}", e.chain()),
                None,
            )])
        }
        Err(e) => return super::broken::finding(inner, path, &dir, &e, repair),
    };
    if meta["node_type"] == "group" {
        let mut out = leftovers_in_group(inner, path, &dir, repair)?;
        out.extend(inner.stale_copy(path, repair)?);
        return Ok(out);
    }
    // Unreadable metadata (or metadata zarrs cannot use): nothing else can be judged.
    let usable =
        info_from_meta(path, &meta).and_then(|i| inner.array_from_meta(path, &meta).map(|_| i));
    let info = match usable {
        Ok(i) => i,
        Err(e) => {
            return Ok(vec![Finding::new(
                path,
                FindingCode::BadMetadata,
                format!("the metadata cannot be used: {}", e.chain()),
                None,
            )])
        }
    };
    // Symlinks and odd chunks are refused by every operation, so the checks below that
    // read chunks or the journal could not run: they wait until a person removed them.
    let odd = odd_entries(inner, path, &dir, &meta, info.ndim());
    if odd
        .iter()
        .any(|f| matches!(f.code, FindingCode::Symlink | FindingCode::NotRegularChunk))
    {
        let mut out = odd;
        out.extend(temp_finding(path, &dir, false, inner.lock_busy(path))?);
        return Ok(out);
    }
    let _lock = if repair {
        Some(inner.array_lock(path, true)?)
    } else {
        None
    };
    // A writer mid-way (it holds the lock) is not judged by what it has not finished yet.
    let busy = !repair && inner.lock_busy(path);
    // Re-read under the lock (a writer may have finished meanwhile).
    let mut info = if repair { inner.info(path)? } else { info };
    let mut out = odd;
    out.extend(temp_finding(path, &dir, repair, busy)?);
    out.extend(findings::torn_journal(inner, path, repair)?);

    let mut history = inner.history(path)?;
    if let Some(f) = findings::failed_rollback(inner, path, &info, &history, repair)? {
        let done = f.repaired;
        out.push(f);
        if !done {
            // What the rollback would undo is told by its finding alone.
            return Ok(out);
        }
        info = inner.info(path)?;
        history = inner.history(path)?;
    }
    if busy {
        return Ok(out);
    }
    // The journal must end at the current shape.
    if let Some(f) = findings::journal_vs_meta(inner, path, &info, &history, repair)? {
        let rolled = f.code == FindingCode::GrowNotLanded;
        out.push(f);
        if rolled {
            history = inner.history(path)?;
        }
    }
    let files: Vec<(Vec<u64>, u64)> = inner
        .chunk_files(path, &info)?
        .into_iter()
        .map(|(k, stamp)| (k, stamp.len))
        .collect();
    let keys: Vec<Vec<u64>> = files.iter().map(|(k, _)| k.clone()).collect();
    if let Some(f) = findings::grow_without_data(inner, path, &info, &history, &keys, repair)? {
        let repaired = f.repaired;
        out.push(f);
        if repaired {
            return Ok(out);
        }
    }
    let array = inner.open_array(path)?;
    if let Some(f) = findings::bad_chunks(inner, path, &info, &array, &files) {
        // Damaged chunks cannot be read to judge their overhang.
        out.push(f);
        return Ok(out);
    }

    // Chunks past the edge, and edge chunks whose overhang is not the fill value: a later grow
    // would bring that data back.
    let beyond: Vec<&Vec<u64>> = keys
        .iter()
        .filter(|k| chunk_within(k, &info.chunks, &info.shape).is_none())
        .collect();
    let fill = scalar_bytes(info.dtype, &info.fill_value)?;
    let elem = info.dtype.size();
    let mut dirty = 0usize;
    for k in &keys {
        // Chunks past the edge are counted above; whole chunks inside it have no overhang.
        let Some(keep) = chunk_within(k, &info.chunks, &info.shape) else {
            continue;
        };
        if keep == info.chunks {
            continue;
        }
        let bytes = array
            .retrieve_chunk::<ArrayBytes>(k)
            .map_err(|e| Error::io(format!("cannot read chunk {k:?} of '{path}'")).with_source(e))?
            .into_fixed()
            .map_err(|e| {
                Error::io(format!("cannot read chunk {k:?} of '{path}'")).with_source(e)
            })?;
        if overhang_dirty(&bytes, &info.chunks, &keep, &fill, elem) {
            dirty += 1;
        }
    }
    if !beyond.is_empty() || dirty > 0 {
        let mut parts = Vec::new();
        if !beyond.is_empty() {
            parts.push(format!(
                "{} chunk(s) lie past the shape {}",
                beyond.len(),
                fmt_shape(&info.shape)
            ));
        }
        if dirty > 0 {
            parts.push(format!("{dirty} edge chunk(s) hold data past the edge"));
        }
        let mut f = Finding::new(
            path,
            FindingCode::StaleData,
            format!(
                "{}: a later grow would show that old data instead of the fill value",
                parts.join("; ")
            ),
            Some("erase the chunks past the edge and reset the overhang to the fill value"),
        );
        if repair {
            inner.cut_to(path, &info, &info.shape)?;
            f.repaired = true;
        }
        out.push(f);
    }
    Ok(out)
}

/// Temp files from interrupted atomic writes (removed with `repair`). While the array's lock
/// is `busy`, those of a writer that is still running are its work in progress, not leftovers.
fn temp_finding(path: &str, dir: &Path, repair: bool, busy: bool) -> Result<Option<Finding>> {
    let mut temps = temp_files(dir);
    if busy {
        temps.retain(|t| {
            !t.file_name()
                .is_some_and(|n| writer_alive(&n.to_string_lossy()))
        });
    }
    if temps.is_empty() {
        return Ok(None);
    }
    let mut f = Finding::new(
        path,
        FindingCode::TempFile,
        format!(
            "{} temp file(s) from interrupted writes (e.g. {})",
            temps.len(),
            temps[0].strip_prefix(dir).unwrap_or(&temps[0]).display()
        ),
        Some("delete the temp files (they were never part of the array)"),
    );
    if repair {
        for t in &temps {
            fs::remove_file(t)
                .map_err(|e| Error::io(format!("cannot remove {}", t.display())).with_source(e))?;
        }
        f.repaired = true;
    }
    Ok(Some(f))
}

/// True when any element of `chunk` outside the `keep` box differs from `fill`.
fn overhang_dirty(
    chunk: &[u8],
    chunk_shape: &[u64],
    keep: &[u64],
    fill: &[u8],
    elem: usize,
) -> bool {
    // The walk is in C order, the order of the chunk's bytes.
    Boxes::grid(chunk_shape).enumerate().any(|(lin, idx)| {
        let outside = idx.iter().zip(keep).any(|(i, k)| i >= k);
        let i = lin * elem;
        outside && chunk.get(i..i + elem) != Some(fill)
    })
}

/// Temp files (`*.tmp`) anywhere in an array's directory.
fn temp_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(ft) = e.file_type() else { continue };
            // A symlink is never a temp file of extent's (the inventory reports it).
            if ft.is_dir() {
                if name != ".extent" {
                    stack.push(p);
                }
            } else if ft.is_file() && name.ends_with(".tmp") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A group: directories left by an interrupted delete, and temp files beside `zarr.json`.
fn leftovers_in_group(inner: &Inner, path: &str, dir: &Path, repair: bool) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(dir) else {
        return Ok(out);
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        // A node may be a symlink within the store; one leading out of it is refused.
        if ft.is_symlink() && !matches!(inner.leads(&p), Leads::Inside) {
            out.push(symlink_finding(inner, path, &p));
            continue;
        }
        let is_dir = ft.is_dir();
        let (code, message, repair_text) = if is_dir && name.starts_with(".deleted-") {
            (
                FindingCode::DeletedLeftover,
                format!("'{name}' is what remains of an interrupted delete"),
                "remove it",
            )
        } else if !is_dir && name.ends_with(".tmp") && !writer_alive(&name) {
            (
                FindingCode::TempFile,
                format!("'{name}' is a temp file from an interrupted write"),
                "delete it",
            )
        } else {
            continue;
        };
        let mut f = Finding::new(path, code, message, Some(repair_text));
        if repair {
            let r = if is_dir {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
            r.map_err(|e| Error::io(format!("cannot remove {}", p.display())).with_source(e))?;
            f.repaired = true;
        }
        out.push(f);
    }
    Ok(out)
}
