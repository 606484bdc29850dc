//! `read --out FILE.npy`: the header first, then slabs of whole chunk rows read one at a
//! time, so memory stays at a few chunk rows whatever the array's size. The file is written
//! beside the target under a fresh name and moved into place only when complete: a failed
//! export leaves no half file, and the target is checked before anything is read.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::backend::{ArrayInfo, Backend, Error, ErrorKind, Result, Selection};

/// Where an export goes, checked: not inside the store, not a device, FIFO or directory, and
/// not an existing file unless `--force`.
#[derive(Debug)]
pub struct Target {
    /// The path the user gave.
    path: PathBuf,
    /// Its directory, where the temp file is made.
    dir: PathBuf,
    force: bool,
}

impl Target {
    /// Checks `out` before anything is read; `store_root` is a local store's directory.
    pub fn check(out: &Path, store_root: Option<&Path>, force: bool) -> Result<Target> {
        let shown = out.display();
        let name = out
            .file_name()
            .ok_or_else(|| Error::invalid_input(format!("--out {shown} does not name a file")))?;
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let real_dir = dir.canonicalize().map_err(|e| {
            Error::invalid_input(format!(
                "--out {shown}: its directory {} cannot be used",
                dir.display()
            ))
            .with_source(e)
        })?;
        let mut real = vec![real_dir.join(name)];
        if let Ok(meta) = std::fs::symlink_metadata(out) {
            // A link is replaced, never written through; what it points to is judged too.
            let followed = std::fs::metadata(out).unwrap_or(meta);
            let kind = followed.file_type();
            if !kind.is_file() {
                return Err(Error::invalid_input(format!(
                    "--out {shown} is {}, not a regular file; name a new file",
                    describe(&kind)
                )));
            }
            if !force {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("--out {shown} exists; pass --force to replace it"),
                ));
            }
            if let Ok(r) = out.canonicalize() {
                real.push(r);
            }
        }
        if let Some(root) = store_root.and_then(|r| r.canonicalize().ok()) {
            if real.iter().any(|r| r.starts_with(&root)) {
                return Err(Error::invalid_input(format!(
                    "--out {shown} is inside the store {}; write the export outside the store",
                    root.display()
                )));
            }
        }
        Ok(Target {
            path: out.to_path_buf(),
            dir,
            force,
        })
    }

    /// Streams `sel` of the array into the target as `.npy`; returns the data bytes written.
    pub async fn write(
        &self,
        store: &dyn Backend,
        info: &ArrayInfo,
        sel: &Selection,
        piece_bytes: u64,
        done: &(dyn Fn(u64) + Sync),
    ) -> Result<u64> {
        // Ctrl-C or a TERM stops the export like a failure: the temp file goes too. The
        // handlers are in place before the file exists.
        let signals = Signals::new();
        let (tmp, file) = self.temp_file()?;
        let result = tokio::select! {
            r = self.fill(file, store, info, sel, piece_bytes, done) => r,
            signal = signals.wait() => Err(Error::io(format!(
                "the export was stopped by {signal}; {} was not written",
                self.path.display()
            ))),
        };
        let result = result.and_then(|n| self.publish(&tmp).map(|_| n));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Writes a small file held whole (a PNG frame, a table as CSV) the same way: a temp file beside the
    /// target, synced, then moved into place.
    pub fn write_bytes(&self, bytes: &[u8]) -> Result<()> {
        let (tmp, mut file) = self.temp_file()?;
        let result = file
            .write_all(bytes)
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io(format!("cannot write {}", self.path.display())).with_source(e))
            .and_then(|_| self.publish(&tmp));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    async fn fill(
        &self,
        mut file: File,
        store: &dyn Backend,
        info: &ArrayInfo,
        sel: &Selection,
        piece_bytes: u64,
        done: &(dyn Fn(u64) + Sync),
    ) -> Result<u64> {
        let io = |e: std::io::Error| {
            Error::io(format!("cannot write {}", self.path.display())).with_source(e)
        };
        file.write_all(&crate::npy::header(info.dtype, &sel.shape()))
            .map_err(io)?;
        let mut written = 0u64;
        for piece in super::read::slabs(info, sel, piece_bytes) {
            let whole = piece == Selection::all(&info.shape);
            let data = store.read(&info.path, (!whole).then_some(&piece)).await?;
            let want = crate::backend::checked_elements(&piece.shape())? * info.dtype.size() as u64;
            if data.dtype != info.dtype || data.bytes.len() as u64 != want {
                return Err(Error::io(format!(
                    "the store returned {} bytes of {} for {} bytes of {}",
                    data.bytes.len(),
                    data.dtype,
                    want,
                    info.dtype
                )));
            }
            file.write_all(&data.bytes).map_err(io)?;
            written += want;
            done(want);
        }
        file.sync_all().map_err(io)?;
        Ok(written)
    }

    /// A new file beside the target, under a name no one can have planted (O_EXCL).
    fn temp_file(&self) -> Result<(PathBuf, File)> {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mut last = None;
        for attempt in 0..16u32 {
            let tmp = self.dir.join(format!(
                ".{name}.{}-{nanos}-{attempt}.part",
                std::process::id()
            ));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => return Ok((tmp, f)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(self.cannot_create(e)),
            }
        }
        Err(self.cannot_create(last.unwrap_or_else(|| std::io::Error::other("no free name"))))
    }

    fn cannot_create(&self, e: std::io::Error) -> Error {
        Error::io(format!(
            "cannot create a file in {} for the export",
            self.dir.display()
        ))
        .with_source(e)
    }

    /// Moves the finished file into place. Without `--force` a file that appeared meanwhile
    /// is not replaced (a hard link fails on an existing name).
    fn publish(&self, tmp: &Path) -> Result<()> {
        let shown = self.path.display();
        if !self.force {
            match std::fs::hard_link(tmp, &self.path) {
                Ok(()) => {
                    let _ = std::fs::remove_file(tmp);
                    return self.sync_dir();
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!(
                            "--out {shown} appeared during the export; pass --force to replace it"
                        ),
                    ));
                }
                // A filesystem without hard links: the check before the read stands.
                Err(_) => {}
            }
        }
        std::fs::rename(tmp, &self.path).map_err(|e| {
            Error::io(format!("cannot move the export into place at {shown}")).with_source(e)
        })?;
        self.sync_dir()
    }

    /// The rename lasts once the directory is on disk.
    fn sync_dir(&self) -> Result<()> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(format!("cannot sync {}", self.dir.display())).with_source(e))
    }
}

/// SIGINT and SIGTERM, caught while an export runs.
struct Signals(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(int), Ok(term)) => Signals(Some((int, term))),
            _ => Signals(None),
        }
    }

    /// Waits for one and names it; never returns when they could not be caught.
    async fn wait(mut self) -> &'static str {
        let Some((int, term)) = &mut self.0 else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => "an interrupt (SIGINT)",
            _ = term.recv() => "SIGTERM",
        }
    }
}

/// What a file that is not a regular one is, in words.
fn describe(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_inside_the_store_special_or_existing_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("store");
        std::fs::create_dir_all(store.join("a")).unwrap();
        let kind = |out: &Path, force| Target::check(out, Some(&store), force).unwrap_err().kind;
        assert_eq!(kind(&store.join("a/x.npy"), false), ErrorKind::InvalidInput);
        assert_eq!(kind(&store.join("a"), true), ErrorKind::InvalidInput);
        let file = tmp.path().join("x.npy");
        std::fs::write(&file, b"old").unwrap();
        assert_eq!(kind(&file, false), ErrorKind::AlreadyExists);
        assert!(Target::check(&file, Some(&store), true).is_ok());
        // A link out of the store into it: judged by where it leads.
        let link = tmp.path().join("link.npy");
        std::os::unix::fs::symlink(store.join("a/x.npy"), &link).unwrap();
        std::fs::write(store.join("a/x.npy"), b"in").unwrap();
        assert_eq!(kind(&link, true), ErrorKind::InvalidInput);
        assert_eq!(kind(Path::new("/dev/null"), true), ErrorKind::InvalidInput);
        assert_eq!(
            kind(&tmp.path().join("missing/x.npy"), true),
            ErrorKind::InvalidInput
        );
    }
}
