//! `extent show PATH`: an array's structure, or what any other node is (a group's metadata,
//! specs and number of children; a table's columns and partitions).

use crate::backend::{NodeInfo, Result};

use super::output::structure_text;
use super::{array_path, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// Print JSON. An array: {"path","shape","chunks","dtype","resizable","fill_value",
    /// "metadata","origin"? (registered data only)}; any other node: {"path","kind","specs"?,"metadata",
    /// "children"? (groups),"table"?:{"columns","partitions"},"origin"?}. "origin" is
    /// {"management","mimetype"?} where the server says where the data comes from.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let store = open_store(cli, false)?;
    let node = store.node(&array_path(&args.array)?).await?;
    match &node.array {
        Some(info) => {
            // An array prints the same on every store, plus where its data comes from when
            // the server only serves it (a registered file).
            let mut v = serde_json::to_value(info).unwrap_or_default();
            let registered = node.origin.as_ref().filter(|o| o.read_only());
            if let (Some(o), Some(obj)) = (registered, v.as_object_mut()) {
                obj.insert("origin".into(), serde_json::to_value(o).unwrap_or_default());
            }
            let text = structure_text(info);
            out.emit(&v, || match registered {
                Some(_) => text + &origin_text(&node),
                None => text,
            })
        }
        None => out.emit(&node, || node_text(&node)),
    }
    Ok(())
}

fn origin_text(node: &NodeInfo) -> String {
    match &node.origin {
        Some(o) => {
            let access = if o.read_only() {
                " (registered, read-only)"
            } else {
                ""
            };
            let mime = o.mimetype.as_deref().unwrap_or("?");
            format!("{:<11} {}{access}, {mime}\n", "data", o.management)
        }
        None => String::new(),
    }
}

/// A node that is not an array, for people.
fn node_text(node: &NodeInfo) -> String {
    let mut rows = vec![
        ("path", node.path.clone()),
        ("kind", node.kind.name().to_string()),
    ];
    if !node.specs.is_empty() {
        rows.push(("specs", node.specs.join(", ")));
    }
    if let Some(n) = node.children {
        rows.push(("children", n.to_string()));
    }
    if let Some(t) = &node.table {
        rows.push(("columns", t.columns.join(", ")));
        rows.push(("partitions", t.partitions.to_string()));
        // Types and row counts sit in the Arrow schema and the data: `read` gives the rows.
        rows.push(("rows", "not counted (extent read gives them)".into()));
    }
    rows.push(("metadata", node.metadata.to_string()));
    let mut s: String = rows
        .into_iter()
        .map(|(k, v)| format!("{k:<11} {v}\n"))
        .collect();
    s.push_str(&origin_text(node));
    s
}
