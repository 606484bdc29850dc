//! Consolidated metadata (zarr-python's `consolidate_metadata`): a group's `zarr.json` may hold
//! a copy of every node's metadata below it, under `consolidated_metadata.metadata`, keyed by
//! the path relative to that group (entries of groups may hold their own copy). zarr-python's
//! default `open` trusts that copy instead of the nodes' files, so every change extent makes to
//! a node (a shape, a new node, a removed one) is made to each copy too. A copy that is not in
//! the form zarr-python writes is removed (as if the store had never been consolidated), which
//! makes zarr-python read the nodes' own files again.
//!
//! Each rewrite holds a `flock` on the group's directory (no file is created for it), re-reads
//! the group's `zarr.json` under it and replaces the file atomically (keeping its mode).

use std::fs::File;
use std::path::Path;

use serde_json::{Map, Value};

use super::durable::replace_json;
use super::{Inner, META};
use crate::backend::{Error, ErrorKind, Finding, FindingCode, Result};

const KEY: &str = "consolidated_metadata";

/// What changed at a node.
pub(super) enum Change<'a> {
    /// Its shape.
    Shape(&'a [u64]),
    /// Nodes were made: (path from the store's root, their metadata), parents first.
    Added(&'a [(String, Value)]),
    /// The node and everything below it were removed.
    Removed,
}

impl Inner {
    /// Brings every consolidated copy of `path`'s metadata in its ancestor groups up to date.
    /// Groups that hold none are only read.
    pub(super) fn update_consolidated(&self, path: &str, change: &Change) -> Result<()> {
        let mut group = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for i in 0..parts.len() {
            if i > 0 {
                group = parts[..i].join("/");
            }
            let rel = parts[i..].join("/");
            // Unreadable or missing group metadata holds no copy to update.
            let Ok(meta) = self.read_meta(&group) else {
                continue;
            };
            if meta.get(KEY).is_none_or(Value::is_null) {
                continue;
            }
            let dir = self.node_dir(&group)?;
            let _lock = lock_dir(&dir)?;
            let mut meta = self.read_meta(&group)?;
            if apply(&mut meta, &rel, change) {
                replace_json(&dir.join(META), &meta, self.durability)?;
                self.sync_node(&group)?;
            }
        }
        Ok(())
    }

    /// `check` of a group: entries of its consolidated copy that disagree with the nodes (a
    /// shape that is not the array's, a node that is gone), as left by a crash between a write
    /// and the copy's update or by another tool; with `repair`, the copy is brought up to date.
    pub(super) fn stale_copy(&self, group: &str, repair: bool) -> Result<Option<Finding>> {
        let dir = self.node_dir(group)?;
        let _lock = if repair { Some(lock_dir(&dir)?) } else { None };
        let Ok(mut meta) = self.read_meta(group) else {
            return Ok(None);
        };
        let Some(entries) = meta
            .get(KEY)
            .filter(|c| well_formed(c))
            .and_then(|c| c["metadata"].as_object())
        else {
            return Ok(None);
        };
        let mut stale = Vec::new();
        for (rel, entry) in entries.iter() {
            let path = if group.is_empty() {
                rel.clone()
            } else {
                format!("{group}/{rel}")
            };
            match self.read_meta(&path) {
                Ok(m) if entry["node_type"] == "array" && m["shape"] != entry["shape"] => {
                    stale.push((rel.clone(), Some(m["shape"].clone())))
                }
                Err(e) if e.kind == ErrorKind::NotFound => stale.push((rel.clone(), None)),
                _ => {}
            }
        }
        if stale.is_empty() {
            return Ok(None);
        }
        let mut f = Finding::new(
            group,
            FindingCode::StaleConsolidated,
            format!(
                "the consolidated metadata disagrees with {} node(s) (e.g. '{}'): zarr-python's default open would show them otherwise",
                stale.len(),
                stale[0].0
            ),
            Some("update the consolidated metadata from the nodes' own"),
        );
        if repair {
            for (rel, shape) in stale {
                // Through `apply`, so that copies nested in entries of groups follow.
                let shape: Option<Vec<u64>> = shape.and_then(|s| serde_json::from_value(s).ok());
                match &shape {
                    Some(s) => apply(&mut meta, &rel, &Change::Shape(s)),
                    None => apply(&mut meta, &rel, &Change::Removed),
                };
            }
            replace_json(&dir.join(META), &meta, self.durability)?;
            self.sync_node(group)?;
            f.repaired = true;
        }
        Ok(Some(f))
    }
}

/// Holds an exclusive `flock` on a directory until dropped.
fn lock_dir(dir: &Path) -> Result<File> {
    let f = File::open(dir)
        .map_err(|e| Error::io(format!("cannot open {}", dir.display())).with_source(e))?;
    f.lock()
        .map_err(|e| Error::io(format!("cannot lock {}", dir.display())).with_source(e))?;
    Ok(f)
}

/// Applies `change` at `rel` to the consolidated copy in `group` (a group's metadata) and in
/// the copies its entries hold; true when anything changed.
fn apply(group: &mut Value, rel: &str, change: &Change) -> bool {
    let Some(obj) = group.as_object_mut() else {
        return false;
    };
    match obj.get(KEY).map(well_formed) {
        None => return false,
        Some(false) if obj.get(KEY).is_some_and(Value::is_null) => return false,
        Some(false) => {
            obj.remove(KEY);
            return true;
        }
        Some(true) => {}
    }
    let Some(entries) = obj
        .get_mut(KEY)
        .and_then(|c| c.get_mut("metadata"))
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    let mut changed = false;
    match change {
        Change::Shape(shape) => {
            let shape = serde_json::json!(shape);
            if let Some(e) = entries.get_mut(rel).and_then(Value::as_object_mut) {
                if e.get("shape") != Some(&shape) {
                    e.insert("shape".into(), shape);
                    changed = true;
                }
            }
        }
        Change::Added(nodes) => {
            for (path, meta) in *nodes {
                // `rel` is the last node's path relative to this group: strip the same prefix.
                let Some(sub) = relative_to(path, nodes, rel) else {
                    continue;
                };
                if !entries.contains_key(&sub) {
                    entries.insert(sub, meta.clone());
                    changed = true;
                }
            }
        }
        Change::Removed => {
            let below = format!("{rel}/");
            let before = entries.len();
            entries.retain(|k, _| k != rel && !k.starts_with(&below));
            changed = entries.len() != before;
        }
    }
    // Entries of groups above `rel` may hold copies of their own.
    changed | nested(entries, rel, change)
}

/// Applies the change to the copies held by entries of groups on the way to `rel`.
fn nested(entries: &mut Map<String, Value>, rel: &str, change: &Change) -> bool {
    let mut changed = false;
    for (k, v) in entries.iter_mut() {
        if let Some(sub) = rel
            .strip_prefix(k.as_str())
            .and_then(|r| r.strip_prefix('/'))
        {
            if v.get(KEY).is_some_and(|c| !c.is_null()) {
                changed |= apply(v, sub, change);
            }
        }
    }
    changed
}

/// `path` (from the store's root) relative to the group that sees the last of `nodes` as
/// `rel`; `None` when it is not below that group.
fn relative_to(path: &str, nodes: &[(String, Value)], rel: &str) -> Option<String> {
    let last = &nodes.last()?.0;
    let prefix = last.strip_suffix(rel)?;
    path.strip_prefix(prefix)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The form zarr-python writes: `{"kind": "inline", "metadata": {...}}`.
fn well_formed(c: &Value) -> bool {
    c["kind"] == "inline" && c["metadata"].is_object()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn group(entries: Value) -> Value {
        json!({"zarr_format": 3, "node_type": "group", KEY: {"kind": "inline", "must_understand": false, "metadata": entries}})
    }

    #[test]
    fn shapes_additions_and_removals_reach_nested_copies() {
        let mut g = group(json!({
            "a": {"node_type": "array", "shape": [4]},
            "g": group(json!({"b": {"node_type": "array", "shape": [1]}})),
            "g/b": {"node_type": "array", "shape": [1]},
        }));
        assert!(apply(&mut g, "g/b", &Change::Shape(&[5])));
        assert_eq!(g[KEY]["metadata"]["g/b"]["shape"], json!([5]));
        assert_eq!(
            g[KEY]["metadata"]["g"][KEY]["metadata"]["b"]["shape"],
            json!([5])
        );
        let added = [
            ("g/h".to_string(), json!({"node_type": "group"})),
            (
                "g/h/c".to_string(),
                json!({"node_type": "array", "shape": [2]}),
            ),
        ];
        assert!(apply(&mut g, "g/h/c", &Change::Added(&added)));
        assert_eq!(g[KEY]["metadata"]["g/h/c"]["shape"], json!([2]));
        assert_eq!(
            g[KEY]["metadata"]["g"][KEY]["metadata"]["h/c"]["shape"],
            json!([2])
        );
        assert!(apply(&mut g, "g", &Change::Removed));
        let left: Vec<&String> = g[KEY]["metadata"].as_object().unwrap().keys().collect();
        assert_eq!(left, ["a"]);
        // Nothing to change: false, and an unknown form is removed.
        assert!(!apply(&mut g, "zz", &Change::Shape(&[1])));
        let mut odd = json!({"node_type": "group", KEY: {"kind": "elsewhere"}});
        assert!(apply(&mut odd, "a", &Change::Removed));
        assert!(odd.get(KEY).is_none());
    }
}
