//! Chunk files: their keys (`c/i/j`, `c.i.j` or v2's `i.j`), which exist (from a directory
//! listing, no data read), a stamp that changes when one is rewritten, and their lock stripes.

use std::fs;

use super::confine::not_regular;
use super::{Inner, META};
use crate::backend::geometry;
use crate::backend::{ArrayInfo, ChunkMap, ChunkState, Error, Result};

/// Number of striped chunk-lock files per array.
const CHUNK_LOCK_STRIPES: u64 = 64;

impl Inner {
    /// Indices of every chunk stored for an array, from a directory listing (no data read).
    pub(super) fn chunk_keys(&self, path: &str, info: &ArrayInfo) -> Result<Vec<Vec<u64>>> {
        Ok(self
            .chunk_files(path, info)?
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
        while let Some(d) = stack.pop() {
            let rd = match fs::read_dir(&d) {
                Ok(rd) => rd,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(Error::io(format!("cannot list {}", d.display())).with_source(e))
                }
            };
            for entry in rd.flatten() {
                let p = entry.path();
                let fname = entry.file_name();
                let fname = fname.to_string_lossy();
                if fname.starts_with('.') || fname == META || fname.ends_with(".tmp") {
                    continue;
                }
                let ft = match entry.file_type() {
                    Ok(ft) => ft,
                    Err(_) => continue,
                };
                // Followed, a symlinked chunk or chunk directory would hide chunks from an
                // erase while reads see them: refused instead.
                if ft.is_symlink() {
                    return Err(self.link_refused(&p));
                }
                let Ok(rel) = p.strip_prefix(&dir) else {
                    continue;
                };
                let key = rel
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                let chunk = parse_chunk_key(&key, name, sep, n);
                if chunk.is_some() && !ft.is_file() {
                    return Err(not_regular(&self.rel(&p)));
                }
                if ft.is_dir() {
                    stack.push(p);
                    continue;
                }
                if let Some(idx) = chunk {
                    let stamp = entry.metadata().map(|m| stamp_of(&m)).unwrap_or_default();
                    out.push((idx, stamp));
                }
            }
        }
        Ok(out)
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

/// Identifies one version of a chunk file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ChunkStamp {
    ino: u64,
    mtime_ns: i128,
    len: u64,
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
