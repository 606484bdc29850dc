//! Resizing: a shrink erases what lies past the new edge before the shape changes, so a crash
//! never leaves stale data that a later grow would bring back.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Mutex;

use rayon::prelude::*;
use zarrs::array::ArrayBytes;

use super::meta::zarrs_err;
use super::write::Staged;
use super::Inner;
use crate::backend::data::copy_box;
use crate::backend::geometry::chunk_within;
use crate::backend::{plan_resize, scalar_bytes, ArrayInfo, Cause, Error, Result};

impl Inner {
    pub(super) fn resize(&self, path: &str, shape: &[u64], cause: Cause) -> Result<ArrayInfo> {
        let info = self.info(path)?;
        plan_resize(&info, shape)?;
        let _exclusive = self.array_lock(path, true)?;
        let old = self.info(path)?;
        let plan = plan_resize(&old, shape)?;
        if !plan.changes() {
            return Ok(old);
        }
        if plan.shrinks {
            // Erase first: a crash after this point leaves the old shape with fill past the
            // new edge, never stale data that a later grow would bring back.
            self.cut_to(path, &old, shape)?;
        }
        self.write_shape(path, shape)?;
        self.journal(path, cause, Some(&old.shape), Some(shape))?;
        self.sync_node(path)?;
        let mut new = old;
        new.shape = shape.to_vec();
        Ok(new)
    }

    /// Erases every chunk that lies past `edge` and resets to fill the part of the chunks that
    /// straddle it. Caller holds the array lock exclusively.
    pub(super) fn cut_to(&self, path: &str, info: &ArrayInfo, edge: &[u64]) -> Result<()> {
        let array = self.open_array(path)?;
        let dir = self.node_dir(path)?;
        let n = info.ndim();
        let elem = info.dtype.size();
        let fill = scalar_bytes(info.dtype, &info.fill_value)?;
        // The listing refuses symlinks and odd files, so every chunk is seen and erased.
        let keys = self.chunk_keys(path, info)?;
        let changed_dirs = Mutex::new(BTreeSet::new());
        keys.par_iter().try_for_each(|chunk| -> Result<()> {
            let dst = self.chunk_dst(path, &dir, &array, chunk)?;
            let Some(keep) = chunk_within(chunk, &info.chunks, edge) else {
                return self.publish_chunk(&Staged::Erase(dst), &changed_dirs);
            };
            if keep == info.chunks {
                return Ok(());
            }
            let bytes = array
                .retrieve_chunk::<ArrayBytes>(chunk)
                .map_err(zarrs_err("reading a chunk"))?
                .into_fixed()
                .map_err(|e| Error::io("reading a chunk").with_source(e))?;
            let cn: u64 = info.chunks.iter().product();
            let mut buf = fill.repeat(cn as usize);
            let zeros = vec![0; n];
            copy_box(
                &bytes,
                &info.chunks,
                &zeros,
                &mut buf,
                &info.chunks,
                &zeros,
                &keep,
                elem,
            );
            let staged = self.stage_chunk(&array, info, dst, Cow::Owned(buf))?;
            self.publish_chunk(&staged, &changed_dirs)
        })?;
        self.sync_dirs(changed_dirs)
    }
}
