//! Every kind of node a Tiled server has: listing entries, `node` (containers, tables,
//! arrays with where their data comes from), reading a table, and the refusal to write what
//! the server only serves (a registered file).

use serde_json::Value;

use super::structure::{self, Family, Remote};
use super::url::q;
use super::TiledBackend;
use crate::backend::{
    fmt_shape, validate_path, DataOrigin, Error, ErrorKind, Finding, FindingCode, NodeEntry,
    NodeInfo, NodeKind, Result, Selection, TableData, TableInfo,
};

/// The node's specs by name (`[{"name": "BlueskyRun", "version": null}]`, or plain strings).
pub(super) fn specs(attributes: &Value) -> Vec<String> {
    attributes["specs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["name"].as_str().or_else(|| s.as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The kind of a node from its attributes.
pub(super) fn kind(attributes: &Value) -> NodeKind {
    match structure::family(attributes) {
        (Family::Array, _) => NodeKind::Array,
        (Family::Container, _) => NodeKind::Group,
        (Family::Other, name) if name == "table" => NodeKind::Table,
        (Family::Other, family) => NodeKind::Other { family },
    }
}

/// A listing entry from a node's attributes (shape and dtype for arrays).
pub(super) fn entry(path: String, attributes: &Value) -> NodeEntry {
    let kind = kind(attributes);
    let (shape, dtype) = if kind == NodeKind::Array {
        let st = &attributes["structure"];
        let shape: Option<Vec<u64>> = st["shape"]
            .as_array()
            .and_then(|a| a.iter().map(|x| x.as_u64()).collect());
        let dtype = structure::parse_data_type(&st["data_type"]).map(|d| d.0);
        (shape, dtype)
    } else {
        (None, None)
    };
    NodeEntry {
        path,
        kind,
        shape,
        dtype,
        specs: specs(attributes),
    }
}

/// The first data source's management and mimetype (present when the server was asked for
/// data sources).
pub(super) fn origin(attributes: &Value) -> Option<DataOrigin> {
    let ds = attributes["data_sources"].as_array()?.first()?;
    Some(DataOrigin {
        management: ds["management"].as_str()?.to_string(),
        mimetype: ds["mimetype"].as_str().map(str::to_string),
    })
}

/// A node described from its attributes.
pub(super) fn node_info(path: &str, attributes: &Value) -> Result<NodeInfo> {
    let kind = kind(attributes);
    let metadata = match &attributes["metadata"] {
        Value::Null => serde_json::json!({}),
        m => structure::split_metadata(m).0,
    };
    let st = &attributes["structure"];
    let mut info = NodeInfo {
        path: path.to_string(),
        kind: kind.clone(),
        specs: specs(attributes),
        metadata,
        children: None,
        array: None,
        table: None,
        origin: origin(attributes),
    };
    match kind {
        NodeKind::Array => {
            info.array = Some(structure::remote_from_attributes(path, attributes)?.info)
        }
        NodeKind::Group => info.children = st["count"].as_u64(),
        NodeKind::Table => {
            let columns = st["columns"]
                .as_array()
                .and_then(|a| a.iter().map(|c| c.as_str().map(str::to_string)).collect())
                .ok_or_else(|| {
                    Error::io(format!(
                        "the Tiled server sent no valid column list for the table '{path}'"
                    ))
                })?;
            let partitions = st["npartitions"].as_u64().unwrap_or(1);
            info.table = Some(TableInfo {
                columns,
                partitions,
            });
        }
        NodeKind::Broken { .. } | NodeKind::Other { .. } => {}
    }
    Ok(info)
}

impl Remote {
    /// Refuses to write an array the server only serves (a registered file), naming why.
    pub(super) fn writable(&self, path: &str) -> Result<()> {
        match &self.origin {
            Some(o) if o.read_only() => Err(Error::unsupported(format!(
                "'{path}' is registered, read-only: the server serves {} data it does not \
                 manage ({}), and cannot change it",
                o.mimetype.as_deref().unwrap_or("this"),
                o.management
            ))),
            _ => Ok(()),
        }
    }
}

impl TiledBackend {
    /// Any node, described (one request).
    pub(super) async fn node_of(&self, path: &str) -> Result<NodeInfo> {
        if !path.is_empty() {
            validate_path(path)?;
        }
        let attrs = self.attributes(path).await?;
        node_info(path, &attrs)
    }

    /// A table's rows, column by column, in the order of its structure.
    pub(super) async fn table_of(&self, path: &str) -> Result<TableData> {
        let info = self.node_of(path).await?;
        let Some(table) = info.table else {
            return Err(Error::invalid_input(format!(
                "'{path}' is {} {}, not a table",
                article(info.kind.name()),
                info.kind.name()
            )));
        };
        let url = self.url("table/full", &self.full(path));
        let query = q(&[("format", "application/json".into())]);
        let v = self
            .http
            .get_json(&format!("reading the table '{path}'"), &url, &query)
            .await
            .map_err(|e| self.not_found(e, path))?;
        let bad = || {
            Error::io(format!(
                "reading the table '{path}': the server's answer is not columns of values"
            ))
        };
        let obj = v.as_object().ok_or_else(bad)?;
        let mut values = Vec::with_capacity(table.columns.len());
        for c in &table.columns {
            values.push(
                obj.get(c)
                    .and_then(Value::as_array)
                    .ok_or_else(bad)?
                    .clone(),
            );
        }
        TableData::new(table.columns, values)
    }
}

impl TiledBackend {
    /// Reads the array's last element: a server whose data does not have the catalog's shape
    /// says so (422, or 503 while a file catches up), which is a finding, not a failure.
    pub(super) async fn data_finding(&self, path: &str, r: &Remote) -> Option<Finding> {
        let shape = &r.info.shape;
        if shape.contains(&0) {
            return None;
        }
        let last = Selection {
            start: shape.iter().map(|&s| s - 1).collect(),
            end: shape.clone(),
        };
        let e = self.read_box(path, r, &last).await.err()?;
        let why = match e.kind {
            ErrorKind::NotReady => "has fewer frames than the catalog's shape yet (not ready)",
            ErrorKind::InvalidInput if e.message.contains("(422)") => {
                "cannot be served at the catalog's shape"
            }
            _ => return None,
        };
        Some(Finding::new(
            path,
            FindingCode::DataShapeMismatch,
            format!(
                "the server's data {why} {}: {}",
                fmt_shape(shape),
                e.message
            ),
            None,
        ))
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_family_is_listed() {
        let run = json!({"structure_family": "container", "specs": [{"name": "BlueskyRun",
                         "version": null}], "structure": {"count": 3}, "metadata": {"scan_id": 1}});
        let e = entry("r".into(), &run);
        assert_eq!(
            (e.kind, e.specs),
            (NodeKind::Group, vec!["BlueskyRun".into()])
        );
        let n = node_info("r", &run).unwrap();
        assert_eq!(n.children, Some(3));
        assert_eq!(n.metadata, json!({"scan_id": 1}));
        let t = json!({"structure_family": "table", "structure": {"columns": ["a", "b"],
                       "npartitions": 2}, "specs": null});
        assert_eq!(entry("t".into(), &t).kind, NodeKind::Table);
        let ti = node_info("t", &t).unwrap().table.unwrap();
        assert_eq!((ti.columns.len(), ti.partitions), (2, 2));
        let s = json!({"structure_family": "sparse"});
        assert_eq!(
            entry("s".into(), &s).kind,
            NodeKind::Other {
                family: "sparse".into()
            }
        );
        assert!(node_info("t", &json!({"structure_family": "table"})).is_err());
    }

    #[test]
    fn registered_arrays_are_read_only() {
        let a = json!({"structure_family": "array", "structure": {
            "data_type": {"kind": "f", "itemsize": 8, "endianness": "little"},
            "chunks": [[2]], "shape": [2]},
            "data_sources": [{"management": "external", "mimetype": "application/x-hdf5"}]});
        let r = structure::remote_from_attributes("x", &a).unwrap();
        let e = r.writable("x").unwrap_err();
        assert_eq!(e.kind, crate::backend::ErrorKind::Unsupported);
        assert!(e.message.contains("registered, read-only"), "{}", e.message);
        let n = node_info("x", &a).unwrap();
        assert_eq!(
            n.origin.unwrap().mimetype.as_deref(),
            Some("application/x-hdf5")
        );
    }
}
