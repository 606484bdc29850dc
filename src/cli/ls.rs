//! `extent ls [PREFIX]`: every node below PREFIX, or, with `--search` / `--where`, PREFIX's
//! children that match (the server searches; a local store filters by path and attributes).

use crate::backend::{fmt_shape, normalize_path, NodeEntry, NodeKind, Query, Result};

use super::{open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Group to list (default: the store's root).
    pub prefix: Option<String>,
    /// Only PREFIX's children whose metadata has these words (full text; on a local store,
    /// the path or the attributes).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only PREFIX's children whose metadata at KEY (dotted: sample.name) equals VALUE (a
    /// JSON number, true, false or null when it parses as one, else text). Repeatable: all
    /// must hold.
    #[arg(long = "where", value_name = "KEY=VALUE")]
    pub where_: Vec<String>,
    /// Print JSON: [{"path","kind","shape"?,"dtype"?,"specs"?,"error"?}]; kind is array,
    /// group, table, broken (metadata that cannot be read; then "error":{"kind","message"})
    /// or the server's name for another kind (sparse, awkward, ...).
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    // Bad input is refused before the store is opened.
    let query = Query {
        text: args.search.clone().filter(|t| !t.trim().is_empty()),
        equal: args
            .where_
            .iter()
            .map(|w| Query::parse_where(w))
            .collect::<Result<_>>()?,
    };
    let store = open_store(cli, false)?;
    let prefix = normalize_path(args.prefix.as_deref().unwrap_or(""));
    let nodes = if query.is_empty() {
        store.walk(&prefix).await?
    } else {
        store.search(&prefix, &query).await?
    };
    out.emit(&nodes, || {
        let width = nodes.iter().map(|n| n.path.len()).max().unwrap_or(0);
        nodes.iter().map(|n| line(n, width)).collect()
    });
    Ok(())
}

/// One node, marked by its kind (and its specs, when the server gives some); `width` is the
/// longest path's length.
fn line(n: &NodeEntry, width: usize) -> String {
    let specs = if n.specs.is_empty() {
        String::new()
    } else {
        format!("  [{}]", n.specs.join(", "))
    };
    match &n.kind {
        NodeKind::Group => format!("{:<width$}  group{specs}\n", format!("{}/", n.path)),
        _ => node_line(n, width + 1, &specs),
    }
}

fn node_line(n: &NodeEntry, width: usize, specs: &str) -> String {
    match &n.kind {
        NodeKind::Broken { error } => format!(
            "{:<width$}  BROKEN  {} ({}); see `extent check {}`\n",
            n.path,
            error.message,
            error.kind.name(),
            n.path,
        ),
        // An array at the store's root has the empty path; people address it as `/`.
        NodeKind::Array => format!(
            "{:<width$}  array  {}  {}{specs}\n",
            if n.path.is_empty() {
                "/"
            } else {
                n.path.as_str()
            },
            n.shape
                .as_deref()
                .map(fmt_shape)
                .unwrap_or_else(|| "?".into()),
            n.dtype.map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
        ),
        other => format!("{:<width$}  {}{specs}\n", n.path, other.name()),
    }
}
