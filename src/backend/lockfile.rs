//! Files both backends keep beside the data: the structure journal (JSON lines) and lock
//! files. The lock files are opened (created when missing, never truncated) so that
//! `flock` can be taken on them. flock locks belong to the open file, so they exclude other
//! threads of this process as well as other processes.

use std::fs::{self, File, OpenOptions};
use std::path::Path;

use super::{Error, Result, StructureChange};

/// Every entry of a journal file, oldest first; a missing file is an empty history, and a
/// line cut short by a crash is skipped, not fatal.
pub(crate) fn read_journal(file: &Path) -> Result<Vec<StructureChange>> {
    let text = match fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("cannot read {}: {e}", file.display()))),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<StructureChange>(l).ok())
        .collect())
}

/// Opens `path` for locking, creating it and its directory when missing.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create {}: {e}", parent.display())))?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::io(format!("cannot open lock {}: {e}", path.display())))
}
