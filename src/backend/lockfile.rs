//! The lock files both backends use: opened (created when missing, never truncated) so that
//! `flock` can be taken on them. flock locks belong to the open file, so they exclude other
//! threads of this process as well as other processes.

use std::fs::{self, File, OpenOptions};
use std::path::Path;

use super::{Error, Result};

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
