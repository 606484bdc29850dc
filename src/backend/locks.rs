//! Lock files both backends keep beside their data. They are opened (created when missing,
//! never truncated) so that `flock` can be taken on them. flock locks belong to the open file,
//! so they exclude other threads of this process as well as other processes.

use std::fs::{self, File, OpenOptions};
use std::path::Path;

use super::{Error, Result};

/// Opens `path` for locking, creating it and its directory when missing.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create {}", parent.display())).with_source(e))?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::io(format!("cannot open lock {}", path.display())).with_source(e))
}

/// A held file lock; released on drop (closing the file releases the flock).
pub(crate) struct FileLock(#[allow(dead_code)] File);

/// Waits for the lock of `path`, exclusive or shared.
pub(crate) fn lock_file(path: &Path, exclusive: bool) -> Result<FileLock> {
    let f = open_lock_file(path)?;
    let r = if exclusive { f.lock() } else { f.lock_shared() };
    r.map_err(|e| Error::io(format!("cannot lock {}", path.display())).with_source(e))?;
    Ok(FileLock(f))
}
