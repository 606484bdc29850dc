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

/// The lock stripe of a chunk: FNV-1a over its indices, so the same chunk always maps to the
/// same one of `stripes` lock files.
pub(crate) fn chunk_stripe(chunk: &[u64], stripes: u64) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &i in chunk {
        h ^= i;
        h = h.wrapping_mul(0x100000001b3);
    }
    h % stripes
}

/// The stripes of every chunk (of a regular grid of `chunks`) that the box at `offset` of
/// `shape` touches; every stripe when it touches more chunks than there are stripes.
pub(crate) fn box_stripes(
    chunks: &[u64],
    offset: &[u64],
    shape: &[u64],
    stripes: u64,
) -> std::collections::BTreeSet<u64> {
    if shape.contains(&0) || chunks.contains(&0) {
        return Default::default();
    }
    let first: Vec<u64> = (0..chunks.len()).map(|i| offset[i] / chunks[i]).collect();
    let last: Vec<u64> = (0..chunks.len())
        .map(|i| (offset[i] + shape[i] - 1) / chunks[i])
        .collect();
    let count = first
        .iter()
        .zip(&last)
        .try_fold(1u64, |n, (f, l)| n.checked_mul(l - f + 1));
    if count.is_none_or(|n| n > stripes) {
        return (0..stripes).collect();
    }
    box_indices(&first, &last)
        .iter()
        .map(|chunk| chunk_stripe(chunk, stripes))
        .collect()
}

/// Every chunk index in the box `first..=last`.
pub(crate) fn box_indices(first: &[u64], last: &[u64]) -> Vec<Vec<u64>> {
    let mut out = vec![Vec::new()];
    for (&f, &l) in first.iter().zip(last) {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (f..=l).map(move |i| {
                    let mut v = prefix.clone();
                    v.push(i);
                    v
                })
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_stripes_cover_the_touched_chunks() {
        // Rows 3..5 of chunks of 2 rows: chunks 1 and 2.
        let got = box_stripes(&[2, 10], &[3, 0], &[2, 10], 64);
        let want: std::collections::BTreeSet<u64> =
            [chunk_stripe(&[1, 0], 64), chunk_stripe(&[2, 0], 64)].into();
        assert_eq!(got, want);
        assert!(box_stripes(&[2, 10], &[3, 0], &[0, 10], 64).is_empty());
        assert_eq!(box_stripes(&[1, 1], &[0, 0], &[100, 100], 64).len(), 64);
        // Scalars (no axes) are one chunk.
        assert_eq!(box_stripes(&[], &[], &[], 64).len(), 1);
    }
}
