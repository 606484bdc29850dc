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
    let mut f = no_follow(OpenOptions::new().read(true).create(true).append(true))
        .open(file)
        .map_err(|e| open_error(file, "cannot open", e))?;
    // A line torn by a crash is ended first, so this entry starts a line of its own.
    if ends_torn(&f) {
        line.insert(0, b'\n');
    }
    f.write_all(&line)
        .map_err(|e| Error::io(format!("cannot write {}", file.display())).with_source(e))?;
    Ok(Appended {
        file: f,
        path: file.to_path_buf(),
    })
}

/// True when the file is not empty and its last byte is not a newline.
fn ends_torn(f: &File) -> bool {
    use std::os::unix::fs::FileExt;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut last = [0u8];
    len > 0 && f.read_at(&mut last, len - 1).is_ok_and(|n| n == 1) && last[0] != b'\n'
}

/// Lines of a journal that are not entries.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct TornLines {
    /// Complete lines (ended by a newline) that are not entries: cut short by a crash, then
    /// ended by the next append. Readers skip them.
    pub(crate) inner: usize,
    /// Where a last line that is not ended and not an entry starts (a crash in mid-append).
    pub(crate) tail: Option<u64>,
}

/// The lines of the journal `file` that are not entries; a missing file has none.
pub(crate) fn torn_lines(file: &Path) -> Result<TornLines> {
    let mut bytes = Vec::new();
    match no_follow(OpenOptions::new().read(true))
        .open(file)
        .and_then(|mut f| f.read_to_end(&mut bytes))
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TornLines::default()),
        Err(e) => return Err(open_error(file, "cannot read", e)),
    }
    let mut out = TornLines::default();
    let mut start = 0usize;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let ended = line.ends_with(b"\n");
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let entry = serde_json::from_slice::<StructureChange>(text).is_ok();
        if !entry && !text.iter().all(u8::is_ascii_whitespace) {
            if ended {
                out.inner += 1;
            } else {
                out.tail = Some(start as u64);
            }
        }
        start += line.len();
    }
    Ok(out)
}

/// The journal `file` with only its entries (each on its own line): what a repair keeps.
pub(crate) fn entry_lines(file: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for e in read_journal(file)? {
        out.extend(
            serde_json::to_vec(&e)
                .map_err(|e| Error::io("cannot encode a history entry").with_source(e))?,
        );
        out.push(b'\n');
    }
    Ok(out)
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

    /// The next append after a torn line starts a line of its own; the torn line is found,
    /// and cutting it off leaves every entry.
    #[test]
    fn an_append_after_a_torn_line_starts_a_new_line() {
        let t = tempfile::tempdir().unwrap();
        let file = t.path().join("history.jsonl");
        let a = entry(Cause::Create, None, Some(&[2]));
        let b = entry(Cause::Extend, Some(&[2]), Some(&[4]));
        append(&file, &a).unwrap().sync().unwrap();
        let good = fs::metadata(&file).unwrap().len();
        let mut f = OpenOptions::new().append(true).open(&file).unwrap();
        f.write_all(b"{\"time\":\"2").unwrap();
        assert_eq!(
            torn_lines(&file).unwrap(),
            TornLines {
                inner: 0,
                tail: Some(good)
            }
        );
        append(&file, &b).unwrap().sync().unwrap();
        assert_eq!(read_journal(&file).unwrap(), vec![a.clone(), b.clone()]);
        let text = fs::read_to_string(&file).unwrap();
        assert!(text.ends_with("}\n"), "{text}");
        assert_eq!(torn_lines(&file).unwrap().inner, 1);
        // What a repair keeps: the entries, each on its own line.
        f.write_all(b"{\"ti").unwrap();
        let kept = String::from_utf8(entry_lines(&file).unwrap()).unwrap();
        assert_eq!(kept.lines().count(), 2);
        assert!(
            text.ends_with(&kept[kept.find('\n').unwrap() + 1..]),
            "{kept}"
        );
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
