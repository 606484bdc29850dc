//! Reading: a node's attributes, an array's structure, and its data.

use serde_json::Value;

use super::structure::{self, Remote};
use super::url::q;
use super::TiledBackend;
use crate::backend::{
    checked_elements, fmt_shape, validate_path, ArrayData, Error, Result, Selection,
};

/// Largest read extent does in one call (an [`ArrayData`] lives in memory).
const MAX_READ: u64 = 4 << 30;

impl TiledBackend {
    /// A node's attributes (`structure_family`, `structure`, `metadata`, `data_sources`).
    pub(super) async fn attributes(&self, path: &str) -> Result<Value> {
        let url = self.url("metadata", &self.full(path));
        // The data sources say whether the server manages the data or only serves a file.
        let query = q(&[("include_data_sources", "true".into())]);
        let v = self
            .http
            .get_json(&format!("reading '{path}'"), &url, &query)
            .await
            .map_err(|e| self.not_found(e, path))?;
        let attrs = &v["data"]["attributes"];
        if !attrs.is_object() {
            return Err(Error::io(format!(
                "reading '{path}': the server's answer has no node attributes"
            )));
        }
        Ok(attrs.clone())
    }

    /// An array's structure (an error for a group or another kind of node).
    pub(super) async fn remote(&self, path: &str) -> Result<Remote> {
        validate_path(path)?;
        let attrs = self.attributes(path).await?;
        structure::remote_from_attributes(path, &attrs)
    }

    /// Reads a box of an array (`sel` within its shape), in little-endian order.
    pub(super) async fn read_box(
        &self,
        path: &str,
        r: &Remote,
        sel: &Selection,
    ) -> Result<ArrayData> {
        let info = &r.info;
        sel.check_within(&info.shape)?;
        let shape = sel.shape();
        let n = checked_elements(&shape)?;
        let size = info.dtype.size() as u64;
        let expected = n.saturating_mul(size);
        if expected == 0 {
            return ArrayData::new(info.dtype, shape, Vec::new());
        }
        if expected > MAX_READ {
            return Err(Error::invalid_input(format!(
                "reading {} of '{path}' would take {} MiB; read a smaller slice",
                fmt_shape(&shape),
                expected >> 20
            )));
        }
        let url = self.url("array/full", &self.full(path));
        // Always an explicit slice: the array may grow meanwhile, the byte count must not.
        let query = q(&[("slice", sel.to_param())]);
        let mut bytes = self
            .http
            .get_bytes(&format!("reading '{path}'"), &url, &query, expected)
            .await
            .map_err(|e| self.not_found(e, path))?;
        if r.big_endian {
            structure::swap_bytes(&mut bytes, size as usize);
        }
        ArrayData::new(info.dtype, shape, bytes)
    }

    /// The whole array, or `selection` of it.
    pub(super) async fn read_array(
        &self,
        path: &str,
        selection: Option<&Selection>,
    ) -> Result<ArrayData> {
        let r = self.remote(path).await?;
        let sel = selection
            .cloned()
            .unwrap_or_else(|| Selection::all(&r.info.shape));
        self.read_box(path, &r, &sel).await
    }
}
