//! Resizing: a shrink erases what lies past the new edge before the shape changes, so a crash
//! never leaves stale data that a later grow would bring back.

use rayon::prelude::*;
use zarrs::array::ArrayBytes;

use super::meta::zarrs_err;
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
        let n = info.ndim();
        let elem = info.dtype.size();
        let fill = scalar_bytes(info.dtype, &info.fill_value)?;
        let keys = self.chunk_keys(path, info)?;
        keys.par_iter().try_for_each(|chunk| -> Result<()> {
            let Some(keep) = chunk_within(chunk, &info.chunks, edge) else {
                return array
                    .erase_chunk(chunk)
                    .map_err(|e| Error::io("erasing a chunk").with_source(e));
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
            array
                .store_chunk(chunk, ArrayBytes::new_flen(buf))
                .map_err(zarrs_err("clearing a chunk"))
        })
    }
}
