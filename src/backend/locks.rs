//! Lock files both backends keep beside their data. They are opened (created when missing,
//! never truncated) so that `flock` can be taken on them. flock locks belong to the open file,
//! so they exclude other threads of this process as well as other processes.
//!
//! Files extent creates or appends to are opened with `O_NOFOLLOW` ([`no_follow`]): a symlink
//! planted in their place is refused, never followed out of the store.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{Error, Result};

pub(crate) use wait::wait_for_lock;
pub use wait::{lock_wait, set_lock_wait, LockHolder, LockWaitHook, DEFAULT_LOCK_WAIT};

mod wait;

/// `O_NOFOLLOW` of this platform (std exposes no constant and the crate has no libc).
#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "powerpc",
        target_arch = "powerpc64"
    )
))]
const O_NOFOLLOW: i32 = 0o100000;
#[cfg(all(
    target_os = "linux",
    not(any(
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "powerpc",
        target_arch = "powerpc64"
    ))
))]
const O_NOFOLLOW: i32 = 0o400000;
#[cfg(not(target_os = "linux"))]
const O_NOFOLLOW: i32 = 0x100;

/// Makes `open` refuse a symlink in the file's own place (`O_NOFOLLOW`).
pub(crate) fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    options.custom_flags(O_NOFOLLOW)
}

/// The error for a file that could not be opened: `invalid_input` naming it when it is a
/// symlink (which [`no_follow`] refused), else `io` with `what` and the cause.
pub(crate) fn open_error(path: &Path, what: &str, e: std::io::Error) -> Error {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => symlink_refused(path),
        _ => Error::io(format!("{what} {}", path.display())).with_source(e),
    }
}

/// `invalid_input` for a symlink found where extent keeps a file of its own.
pub(crate) fn symlink_refused(path: &Path) -> Error {
    Error::invalid_input(format!(
        "'{}' is a symlink; extent does not follow symlinks in its own files",
        path.display()
    ))
}

/// Opens `path` for locking, creating it and its directory when missing; a symlink in its
/// place, or as its directory, is refused.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create {}", parent.display())).with_source(e))?;
        if fs::symlink_metadata(parent).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(symlink_refused(parent));
        }
    }
    no_follow(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .open(path)
    .or_else(|e| match e.kind() {
        // flock needs no write access: another user's lock file that this one may only
        // read still locks (a shared store whose lock files were made under umask 022).
        std::io::ErrorKind::PermissionDenied => no_follow(OpenOptions::new().read(true)).open(path),
        _ => Err(e),
    })
    .map_err(|e| open_error(path, "cannot open lock", e))
}

/// A held file lock; released on drop (closing the file releases the flock).
pub(crate) struct FileLock(#[allow(dead_code)] File);

/// Waits for the lock of `path`, exclusive or shared, at most the bound of [`set_lock_wait`].
pub(crate) fn lock_file(path: &Path, exclusive: bool) -> Result<FileLock> {
    let f = open_lock_file(path)?;
    wait_for_lock(f, path, exclusive).map(FileLock)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written `O_NOFOLLOW` is the platform's: a symlink is refused, naming it.
    #[test]
    fn lock_files_do_not_follow_symlinks() {
        let t = tempfile::tempdir().unwrap();
        let outside = t.path().join("outside");
        fs::write(&outside, b"keep").unwrap();
        let lock = t.path().join("d/lock");
        fs::create_dir(t.path().join("d")).unwrap();
        std::os::unix::fs::symlink(&outside, &lock).unwrap();
        let e = open_lock_file(&lock).err().unwrap();
        assert_eq!(e.kind, crate::backend::ErrorKind::InvalidInput);
        assert!(e.message.contains("d/lock"), "{}", e.message);
        assert_eq!(fs::read(&outside).unwrap(), b"keep");
        fs::remove_file(&lock).unwrap();
        lock_file(&lock, true).unwrap();
    }
}
