//! Chunk files: their keys (`c/i/j`, `c.i.j` or v2's `i.j`), which exist (from a directory
//! listing, no data read), a stamp that changes when one is rewritten, and their lock stripes.

use std::fs;
use std::num::NonZeroU64;
use std::path::Path;

use zarrs::array::{Array, ArrayBytes, ArrayToBytesCodecTraits, BytesRepresentation};

use super::confine::not_regular;
use super::{Inner, Store, META};
use crate::backend::geometry;
use crate::backend::{ArrayInfo, ChunkMap, ChunkState, Error, Repair, Result};

/// Up to this many chunks, a read checks each by name; above, one listing serves.
const CHECK_BY_NAME: u64 = 4096;

/// At most this many chunk directories' listings are kept (a few MiB).
const MAX_KEPT_DIRS: usize = 65_536;

/// Number of striped chunk-lock files per array.
const CHUNK_LOCK_STRIPES: u64 = 64;

impl Inner {
    /// Indices of every chunk stored for an array, from a directory listing (no data read).
    pub(super) fn chunk_keys(&self, path: &str, info: &ArrayInfo) -> Result<Vec<Vec<u64>>> {
        Ok(self
            .chunk_files_with(path, info, false)?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// Every stored chunk with a stamp that changes whenever the chunk is rewritten
    /// (atomic writes make a new inode).
    pub(super) fn chunk_files(
        &self,
        path: &str,
        info: &ArrayInfo,
    ) -> Result<Vec<(Vec<u64>, ChunkStamp)>> {
        self.chunk_files_with(path, info, true)
    }

    /// The stored chunks, each with its stamp when `stamps` (else a default one: no file is
    /// stat'ed). Each chunk directory's listing is kept in the store's [`DirListings`] and
    /// read again only when the directory changed: watchers and the chunk grid list an array
    /// many times a second, and a stack of one chunk per frame has one directory per frame.
    /// The files are still stat'ed for their stamps, so a chunk rewritten in place is seen.
    pub(super) fn chunk_files_with(
        &self,
        path: &str,
        info: &ArrayInfo,
        stamps: bool,
    ) -> Result<Vec<(Vec<u64>, ChunkStamp)>> {
        let meta = self.read_meta(path)?;
        let enc = &meta["chunk_key_encoding"];
        let name = enc["name"].as_str().unwrap_or("default");
        let default_sep = if name == "v2" { "." } else { "/" };
        let sep = enc["configuration"]["separator"]
            .as_str()
            .unwrap_or(default_sep);
        let dir = self.node_dir(path)?;
        let n = info.ndim();
        let mut out = Vec::new();
        let mut stack = vec![dir.clone()];
        let mut visited = std::collections::HashSet::new();
        while let Some(d) = stack.pop() {
            let entries = match self.list_dir(&d) {
                Ok(Some(e)) => e,
                Ok(None) => continue,
                Err(e) => return Err(e),
            };
            visited.insert(d.clone());
            for (fname, kind) in entries.iter() {
                let p = d.join(fname);
                let fname = fname.to_string_lossy();
                if fname.starts_with('.') || fname == META || fname.ends_with(".tmp") {
                    continue;
                }
                // Followed, a symlinked chunk or chunk directory would hide chunks from an
                // erase while reads see them: refused instead.
                if *kind == EntryKind::Link {
                    return Err(self.link_refused(&p));
                }
                let Ok(rel) = p.strip_prefix(&dir) else {
                    continue;
                };
                let key = rel
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                let chunk = parse_chunk_key(&key, name, sep, n);
                if chunk.is_some() && *kind != EntryKind::File {
                    return Err(not_regular(&self.rel(&p)));
                }
                if *kind == EntryKind::Dir {
                    stack.push(p);
                    continue;
                }
                if let Some(idx) = chunk {
                    if !stamps {
                        out.push((idx, ChunkStamp::default()));
                        continue;
                    }
                    let stamp = match fs::symlink_metadata(&p) {
                        Ok(m) => stamp_of(&m),
                        // Removed since the listing: not stored any more.
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(_) => ChunkStamp::default(),
                    };
                    out.push((idx, stamp));
                }
            }
        }
        // Directories of this array no longer reached (removed, or the array made again) are
        // forgotten.
        if let Ok(mut k) = self.chunk_dirs.lock() {
            k.dirs
                .retain(|d, _| !d.starts_with(&dir) || visited.contains(d));
        }
        Ok(out)
    }

    /// The entries of `d` (name, kind), from the kept listings while `d`'s stamp is unchanged
    /// and old enough to trust; `None` when `d` does not exist.
    fn list_dir(&self, d: &Path) -> Result<Option<Listing>> {
        let cannot =
            |e: std::io::Error| Error::io(format!("cannot list {}", d.display())).with_source(e);
        let stamp = match fs::symlink_metadata(d) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Ok(m) => Some(DirStamp::of(&m)),
            Err(_) => None,
        };
        if let (Ok(k), Some(st)) = (self.chunk_dirs.lock(), &stamp) {
            if let Some((old, entries)) = k.dirs.get(d) {
                if old == st && st.settled() {
                    return Ok(Some(entries.clone()));
                }
            }
        }
        let rd = match fs::read_dir(d) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(cannot(e)),
        };
        let mut entries = Vec::new();
        for entry in rd.flatten() {
            let Ok(ft) = entry.file_type() else {
                continue;
            };
            let kind = if ft.is_symlink() {
                EntryKind::Link
            } else if ft.is_dir() {
                EntryKind::Dir
            } else if ft.is_file() {
                EntryKind::File
            } else {
                EntryKind::Other
            };
            entries.push((entry.file_name(), kind));
        }
        let entries = std::sync::Arc::new(entries);
        if let (Ok(mut k), Some(st)) = (self.chunk_dirs.lock(), stamp) {
            // Bounded: a check of a whole store would otherwise keep every directory of it.
            if k.dirs.len() >= MAX_KEPT_DIRS {
                k.dirs.clear();
            }
            k.dirs.insert(d.to_path_buf(), (st, entries.clone()));
        }
        Ok(Some(entries))
    }

    /// Checks, before a read of the box (`start`, `shape`), every stored chunk it spans: no
    /// symlink or odd file (as [`Self::chunk_dst`]), and, where the codecs give every chunk
    /// one size, a file of that size. A file cut short or extended would otherwise be read
    /// in part without an error.
    pub(super) fn chunks_for_read(
        &self,
        path: &str,
        info: &ArrayInfo,
        array: &Array<Store>,
        start: &[u64],
        shape: &[u64],
    ) -> Result<()> {
        let dir = self.node_dir(path)?;
        let want = fixed_chunk_len(array, info);
        let check = |file: &Path, len: u64| match want {
            Some(w) if w != len => Err(self.wrong_size(path, file, len, w)),
            _ => Ok(()),
        };
        match geometry::chunk_span(start, shape, &info.chunks) {
            Some(span) if span.count().is_some_and(|c| c <= CHECK_BY_NAME) => {
                for chunk in span.iter() {
                    let file = self.chunk_dst(path, &dir, array, &chunk)?;
                    if let Ok(m) = fs::symlink_metadata(&file) {
                        check(&file, m.len())?;
                    }
                }
            }
            // Many chunks: one listing of the stored ones (it refuses the same things).
            _ => {
                let end: Vec<u64> = start.iter().zip(shape).map(|(s, n)| s + n).collect();
                for (chunk, stamp) in self.chunk_files(path, info)? {
                    let spanned = (0..chunk.len()).all(|a| {
                        let lo = chunk[a] * info.chunks[a];
                        lo < end[a] && lo + info.chunks[a] > start[a]
                    });
                    if spanned {
                        let key = array.chunk_key(&chunk);
                        check(&self.root.join(key.as_str()), stamp.len)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// After a read of the box (`start`, `shape`) failed with `e`: the first chunk it spans
    /// that does not decode, named, instead of the bare codec error (`e` when none is found).
    pub(super) fn name_bad_chunk(
        &self,
        path: &str,
        info: &ArrayInfo,
        array: &Array<Store>,
        start: &[u64],
        shape: &[u64],
        e: Error,
    ) -> Error {
        let Some(span) = geometry::chunk_span(start, shape, &info.chunks) else {
            return e;
        };
        // A failed read is rare: decoding up to this many chunks to name the bad one is cheap.
        for chunk in span.iter().take(CHECK_BY_NAME as usize) {
            if let Err(cause) = array.retrieve_chunk::<ArrayBytes>(&chunk) {
                let file = self.root.join(array.chunk_key(&chunk).as_str());
                return Error::io(format!(
                    "chunk '{}' of '{path}' does not decode, so its data cannot be trusted; refused",
                    self.rel(&file)
                ))
                .with_source(cause)
                .with_repair(Repair::Check { path: path.into() });
            }
        }
        e
    }

    /// `io` for a chunk file of `len` bytes where the codecs make `want`.
    pub(super) fn wrong_size(&self, path: &str, file: &Path, len: u64, want: u64) -> Error {
        Error::io(format!(
            "chunk '{}' of '{path}' is {len} bytes where its codecs make {want}: it was cut short or extended, so its data cannot be trusted; refused",
            self.rel(file)
        ))
        .with_repair(Repair::Check { path: path.into() })
    }

    pub(super) fn chunk_states(&self, path: &str) -> Result<ChunkMap> {
        let info = self.info(path)?;
        let mut map = ChunkMap::for_array(&info, ChunkState::Missing)?;
        for key in self.chunk_keys(path, &info)? {
            if let Some(i) = map.index(&key) {
                map.states[i] = ChunkState::Written;
            }
        }
        Ok(map)
    }
}

/// The size of every encoded chunk of `array`, when its codecs make one size (no
/// compression): then a file of another size is damaged.
pub(super) fn fixed_chunk_len(array: &Array<Store>, info: &ArrayInfo) -> Option<u64> {
    let shape: Vec<NonZeroU64> = info
        .chunks
        .iter()
        .map(|&c| NonZeroU64::new(c))
        .collect::<Option<_>>()?;
    match array
        .codecs()
        .encoded_representation(&shape, array.data_type(), array.fill_value())
    {
        Ok(BytesRepresentation::FixedSize(n)) => Some(n),
        _ => None,
    }
}

/// Identifies one version of a chunk file.
/// A directory's entries: name and kind.
type Listing = std::sync::Arc<Vec<(std::ffi::OsString, EntryKind)>>;

/// What a directory entry is, from the listing (no stat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    File,
    Dir,
    Link,
    Other,
}

/// A directory's identity and last change: its listing is kept while these stay the same.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DirStamp {
    ino: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl DirStamp {
    fn of(m: &fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        DirStamp {
            ino: m.ino(),
            mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
            ctime_ns: m.ctime() as i128 * 1_000_000_000 + m.ctime_nsec() as i128,
        }
    }

    /// Whether the last change is older than the file system's timestamp granularity, so a
    /// second change could not have left the same stamp (directory times come from a coarse
    /// clock: two entries added within one tick leave one mtime).
    fn settled(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        now - self.mtime_ns.max(self.ctime_ns) > 1_000_000_000
    }
}

/// Chunk directories' listings, kept between listings of the store's arrays (see
/// [`Inner::chunk_files_with`]).
#[derive(Debug, Default)]
pub(super) struct DirListings {
    dirs: std::collections::HashMap<std::path::PathBuf, (DirStamp, Listing)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ChunkStamp {
    ino: u64,
    mtime_ns: i128,
    pub(super) len: u64,
}

fn stamp_of(m: &fs::Metadata) -> ChunkStamp {
    use std::os::unix::fs::MetadataExt;
    ChunkStamp {
        ino: m.ino(),
        mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        len: m.len(),
    }
}

pub(super) fn chunk_stripe(chunk: &[u64]) -> u64 {
    geometry::chunk_stripe(chunk, CHUNK_LOCK_STRIPES)
}

pub(super) fn parse_chunk_key(
    key: &str,
    encoding: &str,
    sep: &str,
    ndim: usize,
) -> Option<Vec<u64>> {
    let rest = if encoding == "v2" {
        key.to_string()
    } else {
        let r = key.strip_prefix('c')?;
        if r.is_empty() {
            return (ndim == 0).then(Vec::new);
        }
        r.strip_prefix(sep)?.to_string()
    };
    let parts: Vec<u64> = rest
        .split(sep)
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    (parts.len() == ndim).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_keys_parse() {
        assert_eq!(
            parse_chunk_key("c/1/2", "default", "/", 2),
            Some(vec![1, 2])
        );
        assert_eq!(
            parse_chunk_key("c.1.2", "default", ".", 2),
            Some(vec![1, 2])
        );
        assert_eq!(parse_chunk_key("1.2", "v2", ".", 2), Some(vec![1, 2]));
        assert_eq!(parse_chunk_key("c/1", "default", "/", 2), None);
        assert_eq!(parse_chunk_key("c/x/1", "default", "/", 2), None);
        assert!(chunk_stripe(&[3, 4]) < CHUNK_LOCK_STRIPES);
    }
}
