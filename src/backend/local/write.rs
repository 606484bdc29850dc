//! Patches: every chunk a patch touches is built (the patch's bytes, or read-modify-write),
//! encoded and written to a temp file, then renamed into place. A growing patch stages its
//! whole chunks while its new shape is being committed, and publishes none before it is.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use rayon::prelude::*;
use serde_json::json;
use zarrs::array::{Array, ArrayBytes, ArrayToBytesCodecTraits, ChunkShape, CodecOptions};

use super::chunks::chunk_stripe;
use super::consolidated::Change;
use super::durable::{ensure_dir, lock_set, sync_dir, temp_path, write_temp};
use super::meta::{info_from_meta, zarrs_err};
use super::{Inner, Store, OVERLAP_BYTES};
use crate::backend::data::copy_box;
use crate::backend::geometry::chunk_span;
use crate::backend::locks::lock_file;
use crate::backend::{
    fmt_shape, plan_patch, scalar_bytes, ArrayData, ArrayInfo, Cause, Error, Repair, Result,
};

/// A few patch-sized buffers kept between patches (at most [`BufferPool::MAX_BUFFERS`], none
/// above [`BufferPool::MAX_BYTES`]).
#[derive(Default)]
pub(super) struct BufferPool(std::sync::Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    const MAX_BUFFERS: usize = 4;
    const MAX_BYTES: usize = 32 << 20;

    /// An empty buffer with room for `len` bytes, recycled when one is at hand.
    pub(super) fn take(&self, len: usize) -> Vec<u8> {
        let mut pool = lock_set(&self.0);
        match pool.iter().position(|b| b.capacity() >= len) {
            Some(i) => pool.swap_remove(i),
            None => Vec::with_capacity(len),
        }
    }

    pub(super) fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() > Self::MAX_BYTES {
            return;
        }
        buf.clear();
        let mut pool = lock_set(&self.0);
        if pool.len() < Self::MAX_BUFFERS {
            pool.push(buf);
        }
    }
}

impl Inner {
    /// Writes `data` at `offset` chunk by chunk (in parallel). With `chunk_locks`, each chunk's
    /// read-modify-write holds its chunk lock (callers holding the array lock exclusively skip it).
    pub(super) fn write_region(
        &self,
        path: &str,
        array: &Array<Store>,
        info: &ArrayInfo,
        offset: &[u64],
        data: &ArrayData,
        chunk_locks: bool,
    ) -> Result<()> {
        self.write_region_after(path, array, info, offset, data, chunk_locks, None)
            .map_err(RegionError::into_inner)
    }

    /// [`Self::write_region`] that first runs `commit` (the shape change of a growing patch):
    /// no chunk is published before it succeeded. Meanwhile the chunks the patch covers whole
    /// are encoded and written to their temp files (on this thread, `commit` on another when the
    /// work is worth a thread). Only for callers that hold the array lock exclusively.
    #[allow(clippy::too_many_arguments)]
    fn write_region_after(
        &self,
        path: &str,
        array: &Array<Store>,
        info: &ArrayInfo,
        offset: &[u64],
        data: &ArrayData,
        chunk_locks: bool,
        commit: Option<&(dyn Fn() -> Result<()> + Sync)>,
    ) -> std::result::Result<(), RegionError> {
        let committed = |r: Result<()>| r.map_err(RegionError::Commit);
        if data.is_empty() {
            return committed(commit.map_or(Ok(()), |c| c()));
        }
        // Refusals before the shape is committed leave nothing to undo.
        let before = |e: Error| RegionError::Commit(e);
        let fill = scalar_bytes(info.dtype, &info.fill_value).map_err(before)?;
        let mut parts = chunk_parts(info, offset, &data.shape);
        let changed_dirs = std::sync::Mutex::new(BTreeSet::new());
        let lock_dir = self.extent_dir(path).map_err(before)?.join("chunk-locks");
        self.no_link(&lock_dir).map_err(before)?;
        let dir = self.node_dir(path).map_err(before)?;
        // Every chunk's file is checked before anything is committed, read or replaced.
        for part in &mut parts {
            part.dst = self
                .chunk_dst(path, &dir, array, &part.chunk)
                .map_err(before)?;
        }
        // One chunk from image to published file, under its lock when asked.
        let whole_write = |part: &ChunkPart| -> Result<()> {
            let _lock = if chunk_locks {
                Some(lock_file(
                    &lock_dir.join(chunk_stripe(&part.chunk).to_string()),
                    true,
                )?)
            } else {
                None
            };
            let image = self.chunk_image(array, info, part, data, &fill)?;
            let staged = self.stage_chunk(array, info, part.dst.clone(), image)?;
            self.publish_chunk(&staged, &changed_dirs)
        };
        if commit.is_none() || chunk_locks {
            committed(commit.map_or(Ok(()), |c| c()))?;
            parts
                .par_iter()
                .try_for_each(whole_write)
                .map_err(RegionError::Write)?;
            return self.sync_dirs(changed_dirs).map_err(RegionError::Write);
        }
        let commit = commit.unwrap_or(&|| Ok(()));
        let (covering, partial): (Vec<&ChunkPart>, Vec<&ChunkPart>) =
            parts.iter().partition(|p| p.covers);
        let stage_all = || -> Vec<Result<Staged>> {
            covering
                .par_iter()
                .map(|part| {
                    let image = self.chunk_image(array, info, part, data, &fill)?;
                    self.stage_chunk(array, info, part.dst.clone(), image)
                })
                .collect()
        };
        let covering_bytes =
            covering.len() as u64 * info.chunks.iter().product::<u64>() * info.dtype.size() as u64;
        // Under fsync the commit waits on the disk for milliseconds: always worth overlapping.
        let overlap =
            !covering.is_empty() && (self.durability.fsync() || covering_bytes >= OVERLAP_BYTES);
        let (commit_result, staged) = if overlap {
            std::thread::scope(|s| {
                let handle = s.spawn(commit);
                let staged = stage_all();
                let result = handle
                    .join()
                    .unwrap_or_else(|_| Err(Error::io("the shape commit panicked")));
                (result, staged)
            })
        } else {
            match commit() {
                Ok(()) => (Ok(()), stage_all()),
                Err(e) => return Err(RegionError::Commit(e)),
            }
        };
        let discard = |staged: &[Result<Staged>]| {
            for s in staged.iter().flatten() {
                if let Staged::Write { tmp, .. } = s {
                    let _ = fs::remove_file(tmp);
                }
            }
        };
        if let Err(e) = commit_result {
            discard(&staged);
            return Err(RegionError::Commit(e));
        }
        let (staged, failed): (Vec<Result<Staged>>, Vec<_>) =
            staged.into_iter().partition(|s| s.is_ok());
        if let Some(Err(e)) = failed.into_iter().next() {
            discard(&staged);
            return Err(RegionError::Write(e));
        }
        let published = staged
            .par_iter()
            .flatten()
            .try_for_each(|s| self.publish_chunk(s, &changed_dirs))
            .and_then(|_| partial.par_iter().try_for_each(|p| whole_write(p)));
        if let Err(e) = published {
            discard(&staged);
            return Err(RegionError::Write(e));
        }
        self.sync_dirs(changed_dirs).map_err(RegionError::Write)
    }

    /// The full new content of one chunk: the patch's own bytes when they are the whole chunk
    /// (no copy), else the fill value or the stored chunk (read-modify-write) with the patch
    /// copied in.
    fn chunk_image<'d>(
        &self,
        array: &Array<Store>,
        info: &ArrayInfo,
        part: &ChunkPart,
        data: &'d ArrayData,
        fill: &[u8],
    ) -> Result<Cow<'d, [u8]>> {
        let elem = info.dtype.size();
        if part.covers && part.count == info.chunks {
            if let Some(range) = contiguous_range(&data.shape, &part.in_data, &part.count, elem) {
                return Ok(Cow::Borrowed(&data.bytes[range]));
            }
        }
        let mut buf = if part.covers {
            // Whole chunk up to the array edge: no read needed; the overhang stays fill.
            let cn: u64 = info.chunks.iter().product();
            fill.repeat(cn as usize)
        } else {
            array
                .retrieve_chunk::<ArrayBytes>(&part.chunk)
                .map_err(zarrs_err("reading a chunk to update it"))?
                .into_fixed()
                .map_err(|e| Error::io("reading a chunk to update it").with_source(e))?
                .into_owned()
        };
        copy_box(
            &data.bytes,
            &data.shape,
            &part.in_data,
            &mut buf,
            &info.chunks,
            &part.in_chunk,
            &part.count,
            elem,
        );
        Ok(Cow::Owned(buf))
    }

    /// The file of chunk `chunk` of the array `path` (in `dir`), refused when a symlink or
    /// something other than a regular file is in its way.
    pub(super) fn chunk_dst(
        &self,
        path: &str,
        dir: &std::path::Path,
        array: &Array<Store>,
        chunk: &[u64],
    ) -> Result<PathBuf> {
        self.chunk_file(path, dir, array.chunk_key(chunk).as_str())
    }

    /// Encodes one chunk (the file `dst`, from [`Self::chunk_dst`]) with the array's codecs and
    /// writes it to a new temp file beside it (the caller holds the chunk's lock or the array's
    /// exclusively). A chunk that is all fill is erased instead (as zarrs does).
    pub(super) fn stage_chunk(
        &self,
        array: &Array<Store>,
        info: &ArrayInfo,
        dst: PathBuf,
        image: Cow<'_, [u8]>,
    ) -> Result<Staged> {
        let bytes = ArrayBytes::new_flen(image);
        if bytes.is_fill_value(array.fill_value()) {
            return Ok(Staged::Erase(dst));
        }
        let shape: ChunkShape = info
            .chunks
            .iter()
            .map(|&c| std::num::NonZeroU64::new(c).ok_or_else(|| Error::io("zero chunk shape")))
            .collect::<Result<_>>()?;
        let encoded = array
            .codecs()
            .encode(
                bytes,
                &shape,
                array.data_type(),
                array.fill_value(),
                &CodecOptions::default(),
            )
            .map_err(|e| Error::io("encoding a chunk").with_source(e))?;
        let tmp = temp_path(&dst);
        let io = |e: std::io::Error| {
            Error::io(format!("writing a chunk ({})", tmp.display())).with_source(e)
        };
        let mut created = Vec::new();
        if let Some(parent) = dst.parent() {
            ensure_dir(parent, &mut created).map_err(io)?;
        }
        if !self.durability.fsync() {
            created.clear();
        }
        // Under fsync: the directories that gained an entry are synced while the temp file is.
        let written = std::thread::scope(|s| {
            let syncs: Vec<_> = created
                .iter()
                .map(|d| s.spawn(move || sync_dir(d)))
                .collect();
            let written = write_temp(&tmp, &encoded, self.durability, Some(&dst));
            syncs.into_iter().fold(written, |acc, h| {
                acc.and(
                    h.join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("panicked"))),
                )
            })
        });
        written.map_err(io)?;
        Ok(Staged::Write { tmp, dst })
    }

    /// Renames a staged chunk into place (or erases it); a failed rename removes the temp file.
    pub(super) fn publish_chunk(
        &self,
        staged: &Staged,
        changed_dirs: &std::sync::Mutex<BTreeSet<PathBuf>>,
    ) -> Result<()> {
        let dst =
            match staged {
                Staged::Write { tmp, dst } => {
                    if let Err(e) = fs::rename(tmp, dst) {
                        let _ = fs::remove_file(tmp);
                        return Err(Error::io(format!("writing a chunk ({})", dst.display()))
                            .with_source(e));
                    }
                    dst
                }
                Staged::Erase(dst) => match fs::remove_file(dst) {
                    Ok(()) => dst,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    Err(e) => {
                        return Err(Error::io(format!("erasing a chunk ({})", dst.display()))
                            .with_source(e))
                    }
                },
            };
        if self.durability.fsync() {
            if let Some(parent) = dst.parent() {
                lock_set(changed_dirs).insert(parent.to_path_buf());
            }
        }
        Ok(())
    }

    pub(super) fn patch(
        &self,
        path: &str,
        offset: &[u64],
        data: &ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo> {
        // Refuse early, before taking any lock or writing anything.
        let info = self.info(path)?;
        let plan = plan_patch(&info, offset, data, extend)?;
        if !plan.grows {
            let _shared = self.array_lock(path, false)?;
            // Re-read: a shrink may have happened since.
            let meta = self.read_meta(path)?;
            let info = info_from_meta(path, &meta)?;
            let plan = plan_patch(&info, offset, data, extend)?;
            if !plan.grows {
                let array = self.array_from_meta(path, &meta)?;
                self.write_region(path, &array, &info, offset, data, true)?;
                return Ok(info);
            }
        }
        let _exclusive = self.array_lock(path, true)?;
        let mut meta = self.read_meta(path)?;
        let old = info_from_meta(path, &meta)?;
        let plan = plan_patch(&old, offset, data, extend)?;
        let mut new = old.clone();
        new.shape = plan.new_shape.clone();
        meta["shape"] = json!(new.shape);
        let array = self.array_from_meta(path, &meta)?;
        // The new shape is published (zarr.json, then the journal) before any chunk.
        let commit = || -> Result<()> {
            if !plan.grows {
                return Ok(());
            }
            self.commit_shape(path, &old.shape, &new.shape, &meta)
        };
        match self.write_region_after(path, &array, &new, offset, data, false, Some(&commit)) {
            Ok(()) if plan.grows => {
                // Other tools read the shape from the groups' consolidated copies too.
                self.update_consolidated(path, &Change::Shape(&new.shape))
                    .map_err(|e| {
                        e.context("the patch was written but a consolidated copy was not updated")
                    })?;
                Ok(new)
            }
            Ok(()) => Ok(new),
            Err(RegionError::Commit(e)) => Err(e),
            Err(RegionError::Write(e)) if plan.grows => {
                // Roll the shape back and clear what landed past the old edge; a note says so
                // until it is done, so `check` can finish a rollback that fails too.
                self.mark_rollback(path, &new.shape, &old.shape);
                let rolled = self
                    .cut_to(path, &new, &old.shape)
                    .and_then(|_| self.write_shape(path, &old.shape))
                    .and_then(|_| {
                        self.journal(path, Cause::Rollback, Some(&new.shape), Some(&old.shape))
                    })
                    .and_then(|_| self.sync_node(path))
                    .and_then(|_| self.clear_rollback(path));
                if let Err(r) = rolled {
                    // Both failures are told: the write's, then the rollback's as the cause.
                    return Err(Error::io(format!(
                        "{}; rolling the shape back to {} also failed",
                        e.chain(),
                        fmt_shape(&old.shape)
                    ))
                    .with_source(r)
                    .with_repair(Repair::CheckAndRepair { path: path.into() }));
                }
                Err(e.context(format!(
                    "the write failed and the shape was rolled back to {}",
                    fmt_shape(&old.shape)
                )))
            }
            Err(RegionError::Write(e)) => Err(e),
        }
    }
}

/// Why a region write failed: before its shape change was committed (nothing to undo) or
/// after (the caller rolls the shape back).
enum RegionError {
    Commit(Error),
    Write(Error),
}

impl RegionError {
    fn into_inner(self) -> Error {
        match self {
            RegionError::Commit(e) | RegionError::Write(e) => e,
        }
    }
}

/// A chunk encoded and written to its temp file, or to be erased (all fill), not yet published.
pub(super) enum Staged {
    Write { tmp: PathBuf, dst: PathBuf },
    Erase(PathBuf),
}

/// How a patch meets one chunk.
#[derive(Debug, PartialEq)]
struct ChunkPart {
    chunk: Vec<u64>,
    /// Where the patch's part starts inside the chunk, and inside the patch.
    in_chunk: Vec<u64>,
    in_data: Vec<u64>,
    count: Vec<u64>,
    /// The patch covers the chunk up to the array's edge: nothing needs to be read.
    covers: bool,
    /// The chunk's file, once checked ([`Inner::chunk_dst`]).
    dst: PathBuf,
}

/// Every chunk a patch of `data_shape` at `offset` touches (the array's shape includes it).
fn chunk_parts(info: &ArrayInfo, offset: &[u64], data_shape: &[u64]) -> Vec<ChunkPart> {
    let n = info.ndim();
    let Some(span) = chunk_span(offset, data_shape, &info.chunks) else {
        return Vec::new();
    };
    span.iter()
        .map(|chunk| {
            let origin: Vec<u64> = (0..n).map(|a| chunk[a] * info.chunks[a]).collect();
            // The chunk's part inside the array, and the patch's part inside the chunk.
            let in_array: Vec<u64> = (0..n)
                .map(|a| info.chunks[a].min(info.shape[a] - origin[a]))
                .collect();
            let start: Vec<u64> = (0..n).map(|a| offset[a].max(origin[a])).collect();
            let end: Vec<u64> = (0..n)
                .map(|a| (offset[a] + data_shape[a]).min(origin[a] + info.chunks[a]))
                .collect();
            let count: Vec<u64> = (0..n).map(|a| end[a] - start[a]).collect();
            let in_chunk: Vec<u64> = (0..n).map(|a| start[a] - origin[a]).collect();
            let in_data: Vec<u64> = (0..n).map(|a| start[a] - offset[a]).collect();
            let covers = in_chunk.iter().all(|&s| s == 0) && count == in_array;
            ChunkPart {
                chunk,
                in_chunk,
                in_data,
                count,
                covers,
                dst: PathBuf::new(),
            }
        })
        .collect()
}

/// The byte range of the box (`start`, `count`) of a C-order block of `shape`, when that box is
/// one contiguous run: every axis after the first one with more than one element is whole.
fn contiguous_range(
    shape: &[u64],
    start: &[u64],
    count: &[u64],
    elem: usize,
) -> Option<std::ops::Range<usize>> {
    let n = shape.len();
    let j = count
        .iter()
        .position(|&c| c > 1)
        .unwrap_or(n.saturating_sub(1));
    if (j + 1..n).any(|a| start[a] != 0 || count[a] != shape[a]) {
        return None;
    }
    let mut lin = 0u64;
    for a in 0..n {
        lin = lin * shape[a] + start[a];
    }
    let len: u64 = count.iter().product();
    let (lin, len) = (lin as usize * elem, len as usize * elem);
    Some(lin..lin + len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::local::{Durability, LocalBackend};
    use crate::backend::{CreateRequest, DType};

    /// Patches of every kind (whole chunks from a contiguous or strided block, chunks clipped
    /// at the edge, read-modify-write, growing or not) against an in-memory model, under both
    /// durabilities.
    #[test]
    fn writes_match_a_model() {
        for durability in [Durability::Atomic, Durability::Fsync] {
            let tmp = tempfile::tempdir().unwrap();
            let b = LocalBackend::open_or_create(tmp.path())
                .unwrap()
                .with_durability(durability);
            let s = &b.inner;
            let (rows, cols) = (9u64, 6u64);
            s.create(&CreateRequest {
                path: "a".into(),
                shape: vec![2, cols],
                chunks: vec![2, 3],
                dtype: DType::UInt16,
                resizable: vec![true, false],
                fill_value: 7.into(),
                metadata: json!({}),
                data: None,
            })
            .unwrap();
            let mut model = vec![7u16; (rows * cols) as usize];
            let mut shape0 = 2u64;
            let mut n = 0u16;
            // (offset, shape): whole chunks, strided, partial, growing past the edge.
            let patches: [([u64; 2], [u64; 2]); 8] = [
                ([0, 0], [2, 6]),
                ([2, 0], [2, 3]),
                ([1, 1], [2, 4]),
                ([4, 0], [4, 6]),
                ([3, 5], [1, 1]),
                ([8, 0], [1, 6]),
                ([6, 3], [3, 3]),
                ([0, 0], [9, 6]),
            ];
            for (off, shp) in patches {
                let mut bytes = Vec::new();
                for r in 0..shp[0] {
                    for c in 0..shp[1] {
                        n = n.wrapping_add(1);
                        bytes.extend(n.to_le_bytes());
                        model[((off[0] + r) * cols + off[1] + c) as usize] = n;
                    }
                }
                let data = ArrayData::new(DType::UInt16, shp.to_vec(), bytes).unwrap();
                let info = s.patch("a", &off, &data, true).unwrap();
                shape0 = shape0.max(off[0] + shp[0]);
                assert_eq!(info.shape, vec![shape0, cols]);
                let got = s.read("a", None).unwrap();
                let want: Vec<u8> = model[..(shape0 * cols) as usize]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect();
                assert_eq!(got.bytes, want, "{durability:?} after patch at {off:?}");
            }
            // A whole chunk of fill values is erased, not stored, and still reads as fill.
            let fill = ArrayData::filled(DType::UInt16, &[2, 3], &7.into()).unwrap();
            s.patch("a", &[0, 0], &fill, false).unwrap();
            assert!(!tmp.path().join("a/c/0/0").exists());
            let got = s.read("a", None).unwrap();
            assert!(got.bytes[..6].chunks(2).all(|v| v == [7, 0]));
            assert!(super::super::check::check(s, "a", false)
                .unwrap()
                .is_empty());
            let history = s.history("a").unwrap();
            assert_eq!(history.last().unwrap().new_shape, Some(vec![rows, cols]));
        }
        assert_eq!(Durability::parse(" Atomic").unwrap(), Durability::Atomic);
        assert!(Durability::parse("sometimes").is_err());
    }

    #[test]
    fn contiguous_boxes() {
        // Frames of a (4, 3, 2) block: each is one run; a column is not.
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[1, 0, 0], &[1, 3, 2], 2),
            Some(12..24)
        );
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[1, 0, 0], &[2, 3, 2], 1),
            Some(6..18)
        );
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[0, 1, 1], &[1, 1, 1], 1),
            Some(3..4)
        );
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[0, 1, 0], &[1, 2, 1], 1),
            None
        );
        assert_eq!(
            contiguous_range(&[4, 3, 2], &[0, 0, 0], &[2, 2, 2], 1),
            None
        );
        assert_eq!(contiguous_range(&[], &[], &[], 8), Some(0..8));
    }
}
