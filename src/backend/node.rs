//! Nodes of every kind: how a kind is spelled in JSON, what `node` says about any node (a
//! group's metadata, a table's columns, where an array's data comes from), a table's rows,
//! and the search query (`--search`, `--where`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::types::{ArrayInfo, NodeError, NodeKind};
use super::{Error, Result};

/// The JSON form of [`NodeKind`]: `{"kind": NAME}` plus `"error"` for a broken node.
#[derive(Serialize, Deserialize)]
pub(crate) struct KindRepr {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<NodeError>,
}

impl From<NodeKind> for KindRepr {
    fn from(k: NodeKind) -> KindRepr {
        let (kind, error) = match k {
            NodeKind::Array => ("array".to_string(), None),
            NodeKind::Group => ("group".to_string(), None),
            NodeKind::Table => ("table".to_string(), None),
            NodeKind::Broken { error } => ("broken".to_string(), Some(error)),
            NodeKind::Other { family } => (family, None),
        };
        KindRepr { kind, error }
    }
}

impl TryFrom<KindRepr> for NodeKind {
    type Error = String;

    fn try_from(r: KindRepr) -> std::result::Result<NodeKind, String> {
        Ok(match (r.kind.as_str(), r.error) {
            ("array", _) => NodeKind::Array,
            ("group", _) => NodeKind::Group,
            ("table", _) => NodeKind::Table,
            ("broken", Some(error)) => NodeKind::Broken { error },
            ("broken", None) => return Err("a broken node needs its \"error\"".into()),
            ("", _) => return Err("an empty node kind".into()),
            (other, _) => NodeKind::Other {
                family: other.to_string(),
            },
        })
    }
}

impl NodeKind {
    /// The kind's name, as `ls --json` prints it.
    pub fn name(&self) -> &str {
        match self {
            NodeKind::Array => "array",
            NodeKind::Group => "group",
            NodeKind::Table => "table",
            NodeKind::Broken { .. } => "broken",
            NodeKind::Other { family } => family,
        }
    }
}

/// Where an array's data comes from (Tiled's data source), when the store says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataOrigin {
    /// `writable` (the server manages it) or `external` (a file registered in place, which
    /// the server serves but cannot write), or the server's other word for it.
    pub management: String,
    /// The data's format, e.g. `application/x-hdf5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mimetype: Option<String>,
}

impl DataOrigin {
    /// The server serves the data but will not change it (a registered file, or data
    /// marked immutable or locked).
    pub fn read_only(&self) -> bool {
        self.management != "writable"
    }
}

/// A table's structure, as far as it is known without reading rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// How many partitions the rows are stored in.
    pub partitions: u64,
}

/// Any node, described: `show` on a group, a table, an array or another kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeInfo {
    /// The node's path in the store.
    pub path: String,
    /// What it is (`"kind"`).
    #[serde(flatten)]
    pub kind: NodeKind,
    /// The server's specs (e.g. `BlueskyRun`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub specs: Vec<String>,
    /// User metadata.
    pub metadata: Value,
    /// Number of children, for groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<u64>,
    /// The structure, for arrays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array: Option<ArrayInfo>,
    /// The columns and partitions, for tables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<TableInfo>,
    /// Where the data comes from (arrays and tables on a server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<DataOrigin>,
}

impl NodeInfo {
    /// An array as `show` gives it, with nothing more known.
    pub fn of_array(info: ArrayInfo) -> NodeInfo {
        NodeInfo {
            path: info.path.clone(),
            kind: NodeKind::Array,
            specs: Vec::new(),
            metadata: info.metadata.clone(),
            children: None,
            array: Some(info),
            table: None,
            origin: None,
        }
    }
}

/// A table's rows, column by column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableData {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// One list of values per column, all of the same length.
    pub values: Vec<Vec<Value>>,
}

impl TableData {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// Row `i`, one value per column.
    pub fn row(&self, i: usize) -> Vec<&Value> {
        self.values.iter().map(|c| &c[i]).collect()
    }

    /// Rows `range` as text, one string per cell (text as is, null empty, the rest as JSON).
    pub fn text_rows(&self, range: std::ops::Range<usize>) -> Vec<Vec<String>> {
        let cell = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            v => v.to_string(),
        };
        range
            .map(|i| self.row(i).into_iter().map(cell).collect())
            .collect()
    }

    /// The width of each column to fit its name and `rows` (from `text_rows`).
    pub fn column_widths(&self, rows: &[Vec<String>]) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .map(|(c, name)| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([name.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// The columns with their values, checked: every column as long as the first.
    pub fn new(columns: Vec<String>, values: Vec<Vec<Value>>) -> Result<TableData> {
        let n = values.first().map_or(0, Vec::len);
        if columns.len() != values.len() || values.iter().any(|c| c.len() != n) {
            return Err(Error::io(
                "the table's columns do not all have the same number of rows",
            ));
        }
        Ok(TableData { columns, values })
    }
}

/// A search among a group's children: full text and metadata equalities, all of which must
/// hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// Words that must appear in the metadata (or, on a local store, the path).
    pub text: Option<String>,
    /// `(dotted.key, value)`: the metadata at the key equals the value.
    pub equal: Vec<(String, Value)>,
}

impl Query {
    /// Nothing to filter by.
    pub fn is_empty(&self) -> bool {
        self.text.is_none() && self.equal.is_empty()
    }

    /// Parses `KEY=VALUE`: the value is JSON when it parses as a number, a boolean or null,
    /// else the text as it is.
    pub fn parse_where(s: &str) -> Result<(String, Value)> {
        Query::equality(s, "--where ")
    }

    /// A search line as typed in a front end: `key=value` words (dotted keys) are metadata
    /// equalities read as [`Query::parse_where`] reads them; the other words are full text.
    pub fn parse_line(line: &str) -> Result<Query> {
        let mut words = Vec::new();
        let mut equal = Vec::new();
        for w in line.split_whitespace() {
            if w.contains('=') {
                equal.push(Query::equality(w, "")?);
            } else {
                words.push(w);
            }
        }
        Ok(Query {
            text: (!words.is_empty()).then(|| words.join(" ")),
            equal,
        })
    }

    /// `KEY=VALUE`, with `what` naming where it was typed in the errors.
    fn equality(s: &str, what: &str) -> Result<(String, Value)> {
        let Some((key, value)) = s.split_once('=') else {
            return Err(Error::invalid_input(format!(
                "{what}'{s}' is not KEY=VALUE (e.g. scan_id=42)"
            )));
        };
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(Error::invalid_input(format!(
                "{what}'{s}': the key must be a name or dotted names (e.g. sample.name)"
            )));
        }
        let value = match serde_json::from_str::<Value>(value) {
            Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
            _ => Value::String(value.to_string()),
        };
        Ok((key.to_string(), value))
    }

    /// Whether a node matches, from its path and metadata (the local store's search).
    pub fn matches(&self, path: &str, metadata: &Value) -> bool {
        if let Some(text) = &self.text {
            let hay = format!("{path} {metadata}").to_lowercase();
            if !text
                .split_whitespace()
                .all(|w| hay.contains(&w.to_lowercase()))
            {
                return false;
            }
        }
        self.equal.iter().all(|(key, want)| {
            let got = key.split('.').try_fold(metadata, |v, k| v.get(k));
            got.is_some_and(|g| same(g, want))
        })
    }
}

/// JSON equality where 42 and 42.0 are the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if a.is_number() && b.is_number() => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_spell_as_the_server_does() {
        for (kind, name) in [
            (NodeKind::Table, "table"),
            (
                NodeKind::Other {
                    family: "sparse".into(),
                },
                "sparse",
            ),
        ] {
            let v = serde_json::to_value(KindRepr::from(kind.clone())).unwrap();
            assert_eq!(v, json!({ "kind": name }));
            let back: KindRepr = serde_json::from_value(v).unwrap();
            assert_eq!(NodeKind::try_from(back).unwrap(), kind);
            assert_eq!(kind.name(), name);
        }
        let bad: KindRepr = serde_json::from_value(json!({"kind": "broken"})).unwrap();
        assert!(NodeKind::try_from(bad).is_err());
    }

    #[test]
    fn a_search_line_is_text_and_equalities() {
        let q = Query::parse_line("  sample3 scan_id=42 beam  sample.name=x ").unwrap();
        assert_eq!(q.text.as_deref(), Some("sample3 beam"));
        assert_eq!(
            q.equal,
            vec![
                ("scan_id".to_string(), json!(42)),
                ("sample.name".to_string(), json!("x"))
            ]
        );
        assert_eq!(
            Query::parse_line("plan_name=scan").unwrap().text,
            None,
            "equalities alone have no text"
        );
        assert!(Query::parse_line("   ").unwrap().is_empty());
        for bad in ["=5", "a..b=1", "x .b=1"] {
            let e = Query::parse_line(bad).unwrap_err();
            assert!(!e.to_string().contains("--where"), "{e}");
            assert!(e.to_string().contains("key"), "{e}");
        }
    }

    #[test]
    fn where_values_are_json_when_they_parse() {
        let p = |s| Query::parse_where(s).unwrap();
        assert_eq!(p("scan_id=42"), ("scan_id".into(), json!(42)));
        assert_eq!(p("a.b=true"), ("a.b".into(), json!(true)));
        assert_eq!(p("x=null"), ("x".into(), json!(null)));
        assert_eq!(p("x=count"), ("x".into(), json!("count")));
        assert_eq!(p("x=[1]"), ("x".into(), json!("[1]")));
        assert_eq!(p("x="), ("x".into(), json!("")));
        for bad in ["x", "=1", "a..b=1", ".a=1"] {
            assert!(Query::parse_where(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_matching() {
        let q = Query {
            text: Some("Det".into()),
            equal: vec![("sample.name".into(), json!("s1")), ("n".into(), json!(2))],
        };
        let md = json!({"sample": {"name": "s1"}, "n": 2.0});
        assert!(q.matches("runs/det", &md));
        assert!(!q.matches("runs/x", &md));
        assert!(!q.matches("runs/det", &json!({"sample": {"name": "s2"}, "n": 2})));
        assert!(Query::default().matches("any", &json!(null)));
    }
}
