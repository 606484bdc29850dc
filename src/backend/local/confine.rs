//! Nothing inside an array is reached through a symlink. extent follows a symlink only as a
//! node's own directory (and only when it leads inside the store, see `node_dir`); below it —
//! `zarr.json`, `.extent/` and its files, chunk directories and chunks — every symlink is
//! refused with `invalid_input` naming it, by reads, writes, erases and `check` alike. Chunks
//! must also be regular files (a FIFO or a directory in a chunk's place is refused too).

use std::fs;
use std::path::{Path, PathBuf};

use super::Inner;
use crate::backend::{Error, Result};

/// Where a symlink leads.
pub(super) enum Leads {
    /// Outside the store (its target, resolved).
    Outside(PathBuf),
    /// Somewhere inside the store.
    Inside,
    /// Nowhere: dangling or a loop.
    Nowhere,
}

impl Inner {
    /// `p` relative to the store's root, for messages.
    pub(super) fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .display()
            .to_string()
    }

    /// Where the symlink `p` leads.
    pub(super) fn leads(&self, p: &Path) -> Leads {
        match p.canonicalize() {
            Ok(t) if t.starts_with(&self.root) => Leads::Inside,
            Ok(t) => Leads::Outside(t),
            Err(_) => Leads::Nowhere,
        }
    }

    /// `invalid_input` for the symlink `p` inside an array, saying where it leads.
    pub(super) fn link_refused(&self, p: &Path) -> Error {
        let rel = self.rel(p);
        let to = match self.leads(p) {
            Leads::Outside(t) => format!("leads outside the store (to {})", t.display()),
            Leads::Inside => "leads elsewhere in the store".into(),
            Leads::Nowhere => "is dangling".into(),
        };
        Error::invalid_input(format!(
            "'{rel}' is a symlink that {to}; extent follows no symlink inside an array: refused"
        ))
    }

    /// Refuses `p` when it is a symlink (a missing `p` is fine).
    pub(super) fn no_link(&self, p: &Path) -> Result<()> {
        match fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() => Err(self.link_refused(p)),
            _ => Ok(()),
        }
    }

    /// Refuses the first symlink found anywhere under `dir` (a directory a new array is about
    /// to be made in, usually missing or empty).
    pub(super) fn no_link_under(&self, dir: &Path) -> Result<()> {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = fs::read_dir(&d) else { continue };
            for e in rd.flatten() {
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_symlink() {
                    return Err(self.link_refused(&e.path()));
                }
                if ft.is_dir() {
                    stack.push(e.path());
                }
            }
        }
        Ok(())
    }

    /// The file of the chunk at store key `key` (as zarrs names it) of the array in `dir`,
    /// once no directory on the way and not the chunk itself is a symlink, and the chunk, if
    /// there, is a regular file.
    pub(super) fn chunk_file(&self, path: &str, dir: &Path, key: &str) -> Result<PathBuf> {
        let inner_key = if path.is_empty() {
            key
        } else {
            key.strip_prefix(path)
                .and_then(|k| k.strip_prefix('/'))
                .unwrap_or(key)
        };
        let parts: Vec<&str> = inner_key.split('/').collect();
        let mut p = dir.to_path_buf();
        for (i, part) in parts.iter().enumerate() {
            p.push(part);
            let m = match fs::symlink_metadata(&p) {
                Ok(m) => m,
                // The rest of the way is missing: nothing to follow.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(dir.join(inner_key))
                }
                Err(e) => {
                    return Err(Error::io(format!("cannot inspect {}", p.display())).with_source(e))
                }
            };
            let last = i + 1 == parts.len();
            if m.file_type().is_symlink() {
                return Err(self.link_refused(&p));
            }
            if last && !m.is_file() {
                return Err(not_regular(&self.rel(&p)));
            }
            if !last && !m.is_dir() {
                return Err(Error::invalid_input(format!(
                    "'{}' is in the place of a chunk directory but is not a directory",
                    self.rel(&p)
                )));
            }
        }
        Ok(p)
    }
}

/// `invalid_input` for a chunk that is not a regular file.
pub(super) fn not_regular(rel: &str) -> Error {
    Error::invalid_input(format!(
        "'{rel}' is in the place of a chunk but is not a regular file: refused"
    ))
}
