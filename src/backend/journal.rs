//! The structure journal both backends keep: one JSON object per line, appended, never
//! rewritten. The local store keeps it beside each array, the Tiled backend in the user's data
//! dir; both read and append it here, so the format cannot drift between them. Also who and
//! when: the `actor` and the clock every entry carries.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::locks::{no_follow, open_error};
use super::{Cause, Error, Result, StructureChange};

/// Every entry of a journal file, oldest first; a missing file is an empty history, and a
/// line cut short by a crash is skipped, not fatal. A symlink in its place is refused.
pub(crate) fn read_journal(file: &Path) -> Result<Vec<StructureChange>> {
    let opened = no_follow(OpenOptions::new().read(true)).open(file);
    let mut text = String::new();
    match opened.and_then(|mut f| f.read_to_string(&mut text)) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(open_error(file, "cannot read", e)),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<StructureChange>(l).ok())
        .collect())
}

/// A journal entry made now by this process.
pub(crate) fn entry(cause: Cause, old: Option<&[u64]>, new: Option<&[u64]>) -> StructureChange {
    StructureChange {
        time: now_rfc3339(),
        actor: cached_actor(),
        cause,
        old_shape: old.map(|s| s.to_vec()),
        new_shape: new.map(|s| s.to_vec()),
    }
}

/// A line appended to a journal and not yet fsynced: the caller decides when (or whether) to
/// wait for the disk, possibly alongside other fsyncs.
#[must_use = "an appended line is durable only once synced"]
pub(crate) struct Appended {
    file: File,
    path: PathBuf,
}

impl Appended {
    /// Waits until the line is on the disk.
    pub(crate) fn sync(self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io(format!("cannot sync {}", self.path.display())).with_source(e))
    }
}

/// Appends one entry to the journal `file`, creating it and its directory when missing; a
/// symlink in its place is refused, never followed.
pub(crate) fn append(file: &Path, entry: &StructureChange) -> Result<Appended> {
    if let Some(dir) = file.parent() {
        fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display())).with_source(e))?;
    }
    let mut line = serde_json::to_vec(entry)
        .map_err(|e| Error::io("cannot encode a history entry").with_source(e))?;
    line.push(b'\n');
    // One write of a short line with O_APPEND: concurrent appends do not interleave.
    let mut f = no_follow(OpenOptions::new().create(true).append(true))
        .open(file)
        .map_err(|e| open_error(file, "cannot open", e))?;
    f.write_all(&line)
        .map_err(|e| Error::io(format!("cannot write {}", file.display())).with_source(e))?;
    Ok(Appended {
        file: f,
        path: file.to_path_buf(),
    })
}

/// `user@host` of this process, for the history.
pub fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(user_from_uid)
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

/// [`actor`], looked up once per process (it reads /proc and /etc/passwd, which a patch per
/// frame should not).
pub(crate) fn cached_actor() -> String {
    static ACTOR: OnceLock<String> = OnceLock::new();
    ACTOR.get_or_init(actor).clone()
}

/// The user name of this process's uid, from /proc and /etc/passwd (no USER in cron/CI).
fn user_from_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
    })
}

/// Now, RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&fmt)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_lines_read_back_and_torn_lines_are_skipped() {
        let t = tempfile::tempdir().unwrap();
        let file = t.path().join("new/dir/history.jsonl");
        assert!(read_journal(&file).unwrap().is_empty());
        let a = entry(Cause::Create, None, Some(&[2, 3]));
        let b = entry(Cause::Extend, Some(&[2, 3]), Some(&[4, 3]));
        append(&file, &a).unwrap().sync().unwrap();
        append(&file, &b).unwrap().sync().unwrap();
        // A crash in the middle of a line leaves a torn last line.
        let mut f = OpenOptions::new().append(true).open(&file).unwrap();
        f.write_all(b"{\"time\":\"2").unwrap();
        assert_eq!(read_journal(&file).unwrap(), vec![a.clone(), b]);
        assert_eq!(a.actor, actor());
        assert!(a.time.ends_with('Z'));
    }

    #[test]
    fn a_symlinked_journal_is_refused_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let outside = t.path().join("outside");
        fs::write(&outside, b"keep").unwrap();
        let file = t.path().join("history.jsonl");
        std::os::unix::fs::symlink(&outside, &file).unwrap();
        let e = append(&file, &entry(Cause::Create, None, Some(&[1])))
            .err()
            .unwrap();
        assert_eq!(e.kind, crate::backend::ErrorKind::InvalidInput);
        assert!(read_journal(&file).is_err());
        assert_eq!(fs::read(&outside).unwrap(), b"keep");
    }
}
