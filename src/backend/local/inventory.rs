//! What `check` finds inside an array's directory that neither Zarr nor extent put there:
//! symlinks (refused by every operation, see `confine`), chunks that are not regular files,
//! and files no one can account for. A walk with `lstat`, following nothing.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::chunks::parse_chunk_key;
use super::confine::Leads;
use super::findings::ROLLBACK;
use super::{Inner, EXTENT_DIR, JOURNAL, META};
use crate::backend::{Finding, FindingCode};

/// extent's own files in `.extent/`.
const LOCK: &str = "lock";
const CHUNK_LOCKS: &str = "chunk-locks";

/// One finding per odd entry of the array `path` in `dir` (temp files are `check`'s own).
pub(super) fn odd_entries(
    inner: &Inner,
    path: &str,
    dir: &Path,
    meta: &Value,
    ndim: usize,
) -> Vec<Finding> {
    let enc = &meta["chunk_key_encoding"];
    let name = enc["name"].as_str().unwrap_or("default");
    let sep = enc["configuration"]["separator"]
        .as_str()
        .unwrap_or(if name == "v2" { "." } else { "/" });
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            let rel = p
                .strip_prefix(dir)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace(std::path::MAIN_SEPARATOR, "/");
            let shown = inner.rel(&p);
            if ft.is_symlink() {
                out.push(symlink_finding(inner, path, &p));
                continue;
            }
            if rel == META && ft.is_file() || rel.ends_with(".tmp") && ft.is_file() {
                continue;
            }
            if rel == EXTENT_DIR && ft.is_dir() {
                extent_files(inner, path, &p, &mut out);
                continue;
            }
            let chunk = parse_chunk_key(&rel, name, sep, ndim).is_some();
            if chunk && ft.is_file() {
                continue;
            }
            if chunk {
                out.push(Finding::new(
                    path,
                    FindingCode::NotRegularChunk,
                    format!("'{shown}' is in the place of a chunk but is not a regular file; reads and writes refuse it"),
                    None,
                ));
            } else if ft.is_dir() && is_chunk_dir(&rel, name, sep, ndim) {
                stack.push(p);
            } else {
                out.push(unknown(path, &shown));
            }
        }
    }
    out.sort_by(|a, b| a.message.cmp(&b.message));
    out
}

/// The entries of `.extent/`: the lock, the journal and the chunk-lock stripes.
fn extent_files(inner: &Inner, path: &str, dir: &Path, out: &mut Vec<Finding>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        let name = e.file_name().to_string_lossy().into_owned();
        if ft.is_symlink() {
            out.push(symlink_finding(inner, path, &p));
        } else if name == CHUNK_LOCKS && ft.is_dir() {
            let Ok(rd) = fs::read_dir(&p) else { continue };
            for e in rd.flatten() {
                let q = e.path();
                let Ok(ft) = e.file_type() else { continue };
                let stripe = e.file_name().to_string_lossy().parse::<u64>().is_ok();
                if ft.is_symlink() {
                    out.push(symlink_finding(inner, path, &q));
                } else if !(stripe && ft.is_file()) {
                    out.push(unknown(path, &inner.rel(&q)));
                }
            }
        } else if !((name == LOCK || name == JOURNAL || name == ROLLBACK) && ft.is_file()) {
            out.push(unknown(path, &inner.rel(&p)));
        }
    }
}

/// A finding for the symlink `p`, saying where it leads.
pub(super) fn symlink_finding(inner: &Inner, path: &str, p: &Path) -> Finding {
    let shown = inner.rel(p);
    let to = match inner.leads(p) {
        Leads::Outside(t) => format!("leads outside the store (to {})", t.display()),
        Leads::Inside => "leads elsewhere in the store".into(),
        Leads::Nowhere => "is dangling".into(),
    };
    Finding::new(
        path,
        FindingCode::Symlink,
        format!("'{shown}' is a symlink that {to}; extent refuses to follow it"),
        None,
    )
}

fn unknown(path: &str, shown: &str) -> Finding {
    Finding::new(
        path,
        FindingCode::UnknownFile,
        format!("'{shown}' is neither Zarr's nor extent's"),
        None,
    )
}

/// True for a directory on the way to chunks (`c`, `c/1` of a 3-d array with `/` keys).
fn is_chunk_dir(rel: &str, encoding: &str, sep: &str, ndim: usize) -> bool {
    if sep != "/" {
        return false;
    }
    let rest = if encoding == "v2" {
        Some(rel)
    } else if rel == "c" {
        return ndim > 0;
    } else {
        rel.strip_prefix("c/")
    };
    let Some(rest) = rest else { return false };
    let parts: Vec<&str> = rest.split('/').collect();
    parts.len() < ndim && parts.iter().all(|p| p.parse::<u64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_directories() {
        assert!(is_chunk_dir("c", "default", "/", 2));
        assert!(is_chunk_dir("c/3", "default", "/", 2));
        assert!(!is_chunk_dir("c/3/4", "default", "/", 2));
        assert!(!is_chunk_dir("c/x", "default", "/", 2));
        assert!(!is_chunk_dir("c", "default", ".", 2));
        assert!(!is_chunk_dir("c", "default", "/", 0));
        assert!(is_chunk_dir("3", "v2", "/", 2));
        assert!(!is_chunk_dir("d", "default", "/", 2));
    }
}
