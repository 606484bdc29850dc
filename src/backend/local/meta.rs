//! `zarr.json`: reading it, turning it into an [`ArrayInfo`], and committing a new shape
//! (the metadata, then the journal).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use zarrs::array::{Array, ArrayMetadata, ArrayMetadataV3};

use super::consolidated::Change;
use super::durable::replace_json;
use super::{Inner, Store, EXTENT_ATTR, EXTENT_DIR, JOURNAL, META};
use crate::backend::journal::{self, Appended};
use crate::backend::locks::{lock_file, FileLock};
use crate::backend::{
    element_json, scalar_bytes, validate_path, ArrayInfo, Cause, DType, Error, Repair, Result,
};

pub(super) fn group_meta() -> Value {
    json!({"zarr_format": 3, "node_type": "group", "attributes": {}})
}

pub(super) fn zarrs_err(what: &str) -> impl Fn(zarrs::array::ArrayError) -> Error + '_ {
    move |e| Error::io(what).with_source(e)
}

impl Inner {
    /// The directory of a node, refusing paths that escape the store (`..`, symlinks).
    pub(super) fn node_dir(&self, path: &str) -> Result<PathBuf> {
        if path.is_empty() {
            return Ok(self.root.clone());
        }
        validate_path(path)?;
        let dir = self.root.join(path);
        // A symlink anywhere on the way could point outside the store.
        let mut p = self.root.clone();
        for part in path.split('/') {
            p.push(part);
            if let Ok(m) = fs::symlink_metadata(&p) {
                if m.file_type().is_symlink() {
                    let target = p.canonicalize().map_err(|_| {
                        Error::invalid_input(format!("'{path}' is a dangling symlink"))
                    })?;
                    if !target.starts_with(&self.root) {
                        return Err(Error::invalid_input(format!(
                            "'{path}' is a symlink that leads outside the store; refused"
                        )));
                    }
                }
            }
        }
        Ok(dir)
    }

    pub(super) fn read_meta(&self, path: &str) -> Result<Value> {
        let dir = self.node_dir(path)?;
        let file = dir.join(META);
        self.no_link(&file)?;
        let text = match fs::read(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(v2) = zarr_v2(&self.root, path) {
                    return Err(v2);
                }
                return Err(Error::not_found(if path.is_empty() {
                    format!(
                        "'{}' is not a Zarr v3 store (no zarr.json)",
                        self.root.display()
                    )
                } else {
                    format!("no array or group '{path}' in this store")
                }));
            }
            Err(e) => {
                return Err(Error::io(format!("cannot read {}", file.display())).with_source(e))
            }
        };
        serde_json::from_slice(&text).map_err(|e| {
            Error::io(format!(
                "the metadata of '{path}' ({}) is not valid JSON",
                file.display()
            ))
            .with_source(e)
            .with_repair(Repair::Check { path: path.into() })
        })
    }

    /// The array's structure, refused (`unsupported`) when zarrs cannot use its metadata, so
    /// that reads and writes alike refuse it before any lock or temp file is made.
    pub(super) fn info(&self, path: &str) -> Result<ArrayInfo> {
        let meta = self.read_meta(path)?;
        let info = info_from_meta(path, &meta)?;
        self.array_from_meta(path, &meta)?;
        Ok(info)
    }

    pub(super) fn open_array(&self, path: &str) -> Result<Array<Store>> {
        Array::open(self.store.clone(), &format!("/{path}")).map_err(|e| create_error(path, e))
    }

    /// The zarrs array of metadata the caller already read (under its lock): one read of
    /// `zarr.json` per patch serves the plan, the chunk codecs and the shape rewrite.
    pub(super) fn array_from_meta(&self, path: &str, meta: &Value) -> Result<Array<Store>> {
        let v3: ArrayMetadataV3 = serde_json::from_value(meta.clone()).map_err(|e| {
            Error::io(format!("the metadata of '{path}' is not Zarr v3")).with_source(e)
        })?;
        Array::new_with_metadata(
            self.store.clone(),
            &format!("/{path}"),
            ArrayMetadata::V3(v3),
        )
        .map_err(|e| create_error(path, e))
    }

    /// The array's `.extent/` directory (refused when it is a symlink).
    pub(super) fn extent_dir(&self, path: &str) -> Result<PathBuf> {
        let dir = self.node_dir(path)?.join(EXTENT_DIR);
        self.no_link(&dir)?;
        Ok(dir)
    }

    pub(super) fn array_lock(&self, path: &str, exclusive: bool) -> Result<FileLock> {
        lock_file(&self.extent_dir(path)?.join("lock"), exclusive)
    }

    /// Appends to the array's journal, durably under `Durability::Fsync`.
    pub(super) fn journal(
        &self,
        path: &str,
        cause: Cause,
        old: Option<&[u64]>,
        new: Option<&[u64]>,
    ) -> Result<()> {
        let appended = self.journal_unsynced(path, cause, old, new)?;
        if self.durability.fsync() {
            appended.sync()
        } else {
            Ok(())
        }
    }

    /// Appends to the journal; the caller syncs (possibly alongside other fsyncs).
    pub(super) fn journal_unsynced(
        &self,
        path: &str,
        cause: Cause,
        old: Option<&[u64]>,
        new: Option<&[u64]>,
    ) -> Result<Appended> {
        let file = self.extent_dir(path)?.join(JOURNAL);
        journal::append(&file, &journal::entry(cause, old, new))
    }

    /// Rewrites the shape in `zarr.json`, keeping every other field as it was. Under
    /// `Durability::Fsync` the caller then makes the rename durable with [`Self::sync_node`].
    pub(super) fn write_shape(&self, path: &str, shape: &[u64]) -> Result<()> {
        let mut meta = self.read_meta(path)?;
        meta["shape"] = json!(shape);
        replace_json(&self.node_dir(path)?.join(META), &meta, self.durability)?;
        self.update_consolidated(path, &Change::Shape(shape))
    }

    /// Publishes a growing patch's shape (`new_meta`, read under the exclusive lock with the
    /// new shape set): zarr.json, then the journal; under `Durability::Fsync` the journal's
    /// fsync and the directory's (for the rename) run at once. A failed journal puts the old
    /// shape back.
    pub(super) fn commit_shape(
        &self,
        path: &str,
        old: &[u64],
        new: &[u64],
        new_meta: &Value,
    ) -> Result<()> {
        replace_json(&self.node_dir(path)?.join(META), new_meta, self.durability)?;
        let pending = match self.journal_unsynced(path, Cause::Patch, Some(old), Some(new)) {
            Ok(p) => p,
            Err(e) => {
                let _ = self.write_shape(path, old);
                return Err(e);
            }
        };
        let (journal, dir) = if self.durability.fsync() {
            std::thread::scope(|s| {
                let dir = s.spawn(|| self.sync_node(path));
                let journal = pending.sync();
                let dir = dir
                    .join()
                    .unwrap_or_else(|_| Err(Error::io("a directory fsync panicked")));
                (journal, dir)
            })
        } else {
            (Ok(()), Ok(()))
        };
        if let Err(e) = journal {
            let _ = self.write_shape(path, old);
            return Err(e);
        }
        dir
    }
}

/// The fields of a Zarr v3 array's metadata; any other is an extension.
const ARRAY_FIELDS: [&str; 11] = [
    "zarr_format",
    "node_type",
    "shape",
    "data_type",
    "chunk_grid",
    "chunk_key_encoding",
    "fill_value",
    "codecs",
    "attributes",
    "storage_transformers",
    "dimension_names",
];

/// Refuses (`unsupported`) an extension field that must be understood: Zarr v3 lets a reader
/// ignore one only when it says `"must_understand": false` (zarrs does not check this).
fn must_understand(path: &str, meta: &Value) -> Result<()> {
    let Some(obj) = meta.as_object() else {
        return Ok(());
    };
    for (name, value) in obj {
        if ARRAY_FIELDS.contains(&name.as_str()) || value["must_understand"] == false {
            continue;
        }
        return Err(Error::unsupported(format!(
            "'{path}' uses an extension field it must understand ('{name}'), which extent does not handle"
        )));
    }
    Ok(())
}

/// Zarr v2's metadata files (`.zarray`, `.zgroup`): a node that has one and no `zarr.json`
/// is Zarr v2, which extent does not read or write.
const V2_FILES: [(&str, &str); 2] = [(".zarray", "array"), (".zgroup", "group")];

/// `unsupported` naming the node when `path` (in the store at `root`) is a Zarr v2 node.
pub(super) fn zarr_v2(root: &Path, path: &str) -> Option<Error> {
    let dir = root.join(path);
    if fs::symlink_metadata(dir.join(META)).is_ok() {
        return None;
    }
    let (file, kind) = V2_FILES
        .into_iter()
        .find(|(f, _)| fs::symlink_metadata(dir.join(f)).is_ok())?;
    let name = if path.is_empty() {
        format!("the store '{}'", root.display())
    } else {
        format!("'{path}'")
    };
    Some(Error::unsupported(format!(
        "{name} is a Zarr v2 {kind} ({file}, no zarr.json); extent reads and writes Zarr v3 only, and writes nothing to it"
    )))
}

/// zarrs's refusal of an array's metadata: `unsupported` for what it does not implement (a
/// codec such as blosc, a storage transformer, a `must_understand` extension, a data type or
/// grid), `io` for metadata that is invalid.
fn create_error(path: &str, e: zarrs::array::ArrayCreateError) -> Error {
    use zarrs::array::ArrayCreateError as E;
    let what = match &e {
        E::AdditionalFieldUnsupportedError(_) => "an extension field it must understand",
        E::CodecsCreateError(_) => "a codec",
        E::StorageTransformersCreateError(_) => "a storage transformer",
        E::DataTypeCreateError(_) => "a data type",
        E::ChunkGridCreateError(_) => "a chunk grid",
        E::ChunkKeyEncodingCreateError(_) => "a chunk key encoding",
        _ => return Error::io(format!("cannot open array '{path}'")).with_source(e),
    };
    Error::unsupported(format!(
        "'{path}' uses {what} that extent does not handle: {e}"
    ))
}

pub(super) fn attributes_with_resizable(metadata: &Value, resizable: &[bool]) -> Value {
    let mut attrs = match metadata {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    attrs.insert(EXTENT_ATTR.into(), json!({"resizable": resizable}));
    Value::Object(attrs)
}

/// The fill value as Zarr v3 writes it for `dtype` (floats as floats, NaN as a string).
pub(super) fn fill_json(dtype: DType, value: &Value) -> Result<Value> {
    let bytes = scalar_bytes(dtype, value)?;
    Ok(element_json(dtype, &bytes))
}

/// Builds the structure from a `zarr.json`, refusing what extent cannot handle.
pub(super) fn info_from_meta(path: &str, meta: &Value) -> Result<ArrayInfo> {
    if meta["node_type"] != "array" {
        return Err(Error::invalid_input(format!(
            "'{path}' is a group, not an array"
        )));
    }
    if meta["zarr_format"] != 3 {
        return Err(Error::unsupported(format!(
            "'{path}' is not a Zarr v3 array"
        )));
    }
    must_understand(path, meta)?;
    let bad = |what: &str| Error::io(format!("the metadata of '{path}' has an invalid {what}"));
    let shape: Vec<u64> =
        serde_json::from_value(meta["shape"].clone()).map_err(|e| bad("shape").with_source(e))?;
    let dtype_name = meta["data_type"].as_str().ok_or_else(|| bad("data_type"))?;
    let dtype = DType::parse(dtype_name).map_err(|_| {
        Error::unsupported(format!(
            "'{path}' has data type {dtype_name}, which extent does not handle"
        ))
    })?;
    let grid = &meta["chunk_grid"];
    if grid["name"] != "regular" {
        return Err(Error::unsupported(format!(
            "'{path}' does not use a regular chunk grid; extent handles regular grids only"
        )));
    }
    let chunks: Vec<u64> = serde_json::from_value(grid["configuration"]["chunk_shape"].clone())
        .map_err(|e| bad("chunk shape").with_source(e))?;
    if chunks.len() != shape.len() || chunks.contains(&0) {
        return Err(bad("chunk shape"));
    }
    let mut metadata = meta["attributes"].clone();
    let mut resizable = vec![true; shape.len()];
    if let Value::Object(m) = &mut metadata {
        if let Some(ext) = m.remove(EXTENT_ATTR) {
            if let Ok(r) = serde_json::from_value::<Vec<bool>>(ext["resizable"].clone()) {
                if r.len() == shape.len() {
                    resizable = r;
                }
            }
        }
    } else {
        metadata = json!({});
    }
    let fill_value = if meta["fill_value"].is_null() {
        json!(0)
    } else {
        meta["fill_value"].clone()
    };
    Ok(ArrayInfo {
        path: path.to_string(),
        shape,
        chunks,
        dtype,
        resizable,
        fill_value,
        metadata,
    })
}
