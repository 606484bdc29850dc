//! Nodes of the store: creating arrays (and their parent groups), listing groups, reading,
//! deleting, and an array's history.

use std::fs;

use serde_json::json;
use zarrs::array::{ArrayBytes, ArraySubset};

use super::consolidated::Change;
use super::durable::{sync_dir, temp_path, unique_suffix, write_json_atomic, write_temp};
use super::meta::{attributes_with_resizable, fill_json, group_meta, info_from_meta, zarrs_err};
use super::{Inner, EXTENT_DIR, JOURNAL, META};
use crate::backend::journal::read_journal;
use crate::backend::{
    checked_elements, ArrayData, ArrayInfo, Cause, CreateRequest, Error, ErrorKind, NodeEntry,
    NodeKind, Page, Result, Selection, StructureChange,
};

impl Inner {
    /// Makes the missing groups above `path`; returns the ones it made.
    fn ensure_parent_groups(&self, path: &str) -> Result<Vec<String>> {
        let mut made = Vec::new();
        match self.read_meta("") {
            Ok(m) if m["node_type"] == "group" => {}
            Ok(_) => {
                return Err(Error::invalid_input(format!(
                    "cannot create '{path}': the store's root is an array, not a group"
                )))
            }
            Err(e) if e.kind == ErrorKind::NotFound => {
                write_json_atomic(&self.root.join(META), &group_meta(), self.durability)?;
            }
            Err(e) => return Err(e),
        }
        let parts: Vec<&str> = path.split('/').collect();
        for i in 1..parts.len() {
            let p = parts[..i].join("/");
            match self.read_meta(&p) {
                Ok(m) if m["node_type"] == "group" => {}
                Ok(_) => {
                    return Err(Error::invalid_input(format!(
                        "cannot create '{path}': '{p}' is an array, not a group"
                    )))
                }
                Err(e) if e.kind == ErrorKind::NotFound => {
                    let dir = self.node_dir(&p)?;
                    fs::create_dir_all(&dir).map_err(|e| {
                        Error::io(format!("cannot create {}", dir.display())).with_source(e)
                    })?;
                    write_json_atomic(&dir.join(META), &group_meta(), self.durability)?;
                    made.push(p);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(made)
    }

    pub(super) fn create(&self, req: &CreateRequest) -> Result<ArrayInfo> {
        req.validate()?;
        let path = req.path.as_str();
        let dir = self.node_dir(path)?;
        // A symlink planted where the new array's files go is refused before any write.
        self.no_link_under(&dir)?;
        if let Some(e) = super::meta::zarr_v2(&self.root, path) {
            return Err(e);
        }
        if dir.join(META).exists() {
            return Err(Error::already_exists(format!(
                "'{path}' already exists; choose another path or delete it first"
            )));
        }
        let groups = self.ensure_parent_groups(path)?;
        let meta = json!({
            "zarr_format": 3,
            "node_type": "array",
            "shape": req.shape,
            "data_type": req.dtype.name(),
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": req.chunks}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": fill_json(req.dtype, &req.fill_value)?,
            "codecs": [
                {"name": "bytes", "configuration": {"endian": "little"}},
                {"name": "zstd", "configuration": {"level": 1, "checksum": false}}
            ],
            "attributes": attributes_with_resizable(&req.metadata, &req.resizable),
        });
        let existed = dir.exists();
        fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display())).with_source(e))?;
        // A failed create (a full disk, say) leaves no half-made array: the directory goes
        // if this call made it.
        let undo = |e: Error| {
            if !existed {
                let _ = fs::remove_dir_all(&dir);
            }
            e
        };
        // Publish with a hard link: it fails if another creator got there first.
        let tmp = temp_path(&dir.join(META));
        let text = serde_json::to_vec_pretty(&meta).map_err(|e| {
            Error::io(format!("cannot encode the metadata of '{path}'")).with_source(e)
        })?;
        if let Err(e) = write_temp(&tmp, &text, self.durability, None) {
            return Err(undo(
                Error::io(format!("cannot write {}", tmp.display())).with_source(e),
            ));
        }
        let linked = fs::hard_link(&tmp, dir.join(META));
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::already_exists(format!("'{path}' already exists")))
            }
            Err(e) => {
                return Err(undo(
                    Error::io(format!("cannot create '{path}'")).with_source(e),
                ))
            }
        }
        self.journal(path, Cause::Create, None, Some(&req.shape))
            .map_err(|e| undo(e.context(format!("creating '{path}' failed and was undone"))))?;
        if self.durability.fsync() {
            // The new directories and their first entries.
            let parent = dir.parent().unwrap_or(&self.root);
            for d in [dir.join(EXTENT_DIR).as_path(), &dir, parent] {
                sync_dir(d).map_err(|e| {
                    Error::io(format!("cannot sync {}", d.display())).with_source(e)
                })?;
            }
        }
        let info = info_from_meta(path, &meta)?;
        if let Some(data) = &req.data {
            let zeros = vec![0; req.shape.len()];
            let written = self
                .array_from_meta(path, &meta)
                .and_then(|array| self.write_region(path, &array, &info, &zeros, data, false));
            if let Err(e) = written {
                // Creation is all or nothing.
                let _ = fs::remove_dir_all(&dir);
                return Err(e.context(format!("creating '{path}' failed and was undone")));
            }
        }
        let mut added: Vec<(String, serde_json::Value)> =
            groups.into_iter().map(|g| (g, group_meta())).collect();
        added.push((path.to_string(), meta));
        self.update_consolidated(path, &Change::Added(&added))
            .map_err(|e| {
                e.context(format!(
                    "'{path}' was created but a consolidated copy was not updated"
                ))
            })?;
        Ok(info)
    }

    pub(super) fn read(&self, path: &str, selection: Option<&Selection>) -> Result<ArrayData> {
        let info = self.info(path)?;
        let sel = selection
            .cloned()
            .unwrap_or_else(|| Selection::all(&info.shape));
        sel.check_within(&info.shape)?;
        let shape = sel.shape();
        let n = checked_elements(&shape)?;
        if n == 0 {
            return ArrayData::new(info.dtype, shape, Vec::new());
        }
        let array = self.open_array(path)?;
        // zarrs would follow a symlinked chunk (or block on a FIFO), and read a chunk of the
        // wrong size in part: each is checked first.
        self.chunks_for_read(path, &info, &array, &sel.start, &shape)?;
        let subset = ArraySubset::new_with_start_shape(sel.start.clone(), shape.clone())
            .map_err(|e| Error::io(format!("reading '{path}'")).with_source(e))?;
        let bytes = array
            .retrieve_array_subset::<ArrayBytes>(&subset)
            .map_err(|e| {
                let e = zarrs_err(&format!("reading '{path}'"))(e);
                self.name_bad_chunk(path, &info, &array, &sel.start, &shape, e)
            })?
            .into_fixed()
            .map_err(|e| Error::io(format!("reading '{path}'")).with_source(e))?
            .into_owned();
        ArrayData::new(info.dtype, shape, bytes)
    }

    pub(super) fn list_page(&self, parent: &str, offset: u64, limit: u64) -> Result<Page> {
        let meta = match self.read_meta(parent) {
            Ok(m) => m,
            // A broken root is a finding of `check`, not an outage: what is below it is
            // listed (as a group's children).
            Err(e) if parent.is_empty() && e.kind == ErrorKind::Io => group_meta(),
            Err(e) => return Err(e),
        };
        if parent.is_empty() && meta["node_type"] == "array" {
            // A store whose root is an array (zarr-python's `zarr.create(store=...)`): that
            // array is its one node, at the empty path.
            let entries = if offset == 0 && limit > 0 {
                vec![self.entry(String::new())]
            } else {
                Vec::new()
            };
            return Ok(Page {
                entries,
                total: Some(1),
            });
        }
        if meta["node_type"] != "group" {
            return Err(Error::invalid_input(format!(
                "'{parent}' is an array, not a group"
            )));
        }
        let dir = self.node_dir(parent)?;
        let names = self
            .listings
            .nodes(&dir, META)
            .map_err(|e| Error::io(format!("cannot list {}", dir.display())).with_source(e))?;
        let total = names.len() as u64;
        let mut entries = Vec::new();
        for name in names.iter().skip(offset as usize).take(limit as usize) {
            let path = if parent.is_empty() {
                name.clone()
            } else {
                format!("{parent}/{name}")
            };
            entries.push(self.entry(path));
        }
        Ok(Page {
            entries,
            total: Some(total),
        })
    }

    /// A listed node: an array, a group, or broken (metadata that cannot be read or used),
    /// so that one bad `zarr.json` does not hide its siblings.
    fn entry(&self, path: String) -> NodeEntry {
        let (kind, info) = match self.read_meta(&path) {
            Ok(m) if m["node_type"] == "group" => (NodeKind::Group, None),
            Ok(m) if m["node_type"] == "array" => match info_from_meta(&path, &m)
                .and_then(|i| self.array_from_meta(&path, &m).map(|_| i))
            {
                Ok(info) => (NodeKind::Array, Some(info)),
                Err(e) => (NodeKind::broken(&e), None),
            },
            Ok(m) => {
                let e = Error::invalid_input(format!(
                    "the metadata of '{path}' has node_type {}, neither array nor group",
                    m["node_type"]
                ));
                (NodeKind::broken(&e), None)
            }
            Err(e) => (NodeKind::broken(&e), None),
        };
        NodeEntry {
            path,
            kind,
            shape: info.as_ref().map(|i| i.shape.clone()),
            dtype: info.map(|i| i.dtype),
            specs: Vec::new(),
        }
    }

    pub(super) fn delete(&self, path: &str) -> Result<()> {
        if path.is_empty() {
            return Err(Error::invalid_input("refusing to delete the store's root"));
        }
        let dir = self.node_dir(path)?;
        // A node whose metadata cannot be read is deleted too (it is broken, not absent);
        // it is locked like an array when it has extent's lock directory.
        let is_array = match self.read_meta(path) {
            Ok(meta) => meta["node_type"] == "array",
            Err(e) if e.kind == ErrorKind::NotFound => return Err(e),
            Err(_) => dir.join(EXTENT_DIR).is_dir(),
        };
        let _lock = if is_array {
            Some(self.array_lock(path, true)?)
        } else {
            None
        };
        // Unpublish first (so the node is gone atomically), then remove the rest.
        let trash = dir.with_file_name(format!(
            ".deleted-{}-{}",
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            unique_suffix()
        ));
        fs::rename(&dir, &trash)
            .map_err(|e| Error::io(format!("cannot delete '{path}'")).with_source(e))?;
        let removed = fs::remove_dir_all(&trash).map_err(|e| {
            Error::io(format!(
                "'{path}' is deleted but {} remains",
                trash.display()
            ))
            .with_source(e)
        });
        self.update_consolidated(path, &Change::Removed)
            .map_err(|e| {
                e.context(format!(
                    "'{path}' is deleted but a consolidated copy was not updated"
                ))
            })?;
        removed
    }

    pub(super) fn history(&self, path: &str) -> Result<Vec<StructureChange>> {
        let meta = self.read_meta(path)?;
        if meta["node_type"] != "array" {
            return Err(Error::invalid_input(format!(
                "'{path}' is a group; history is kept per array"
            )));
        }
        read_journal(&self.extent_dir(path)?.join(JOURNAL))
    }
}
