//! `extent ls [PREFIX]`: every group and array below PREFIX.

use crate::backend::{fmt_shape, normalize_path, NodeKind, Result};

use super::{open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Group to list (default: the store's root).
    pub prefix: Option<String>,
    /// Print JSON: [{"path","kind","shape"?,"dtype"?,"error"?}]; kind is array, group or
    /// broken (metadata that cannot be read; then "error":{"kind","message"}).
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let store = open_store(cli, false)?;
    let prefix = normalize_path(args.prefix.as_deref().unwrap_or(""));
    let nodes = store.walk(&prefix).await?;
    // An array at the store's root has the empty path; people address it as `/`.
    let shown = |p: &str| {
        if p.is_empty() {
            "/".to_string()
        } else {
            p.to_string()
        }
    };
    out.emit(&nodes, || {
        let width = nodes.iter().map(|n| n.path.len()).max().unwrap_or(0);
        nodes
            .iter()
            .map(|n| match &n.kind {
                NodeKind::Group => format!("{:<width$}  group\n", format!("{}/", n.path)),
                NodeKind::Broken { error } => format!(
                    "{:<width$}  BROKEN  {} ({}); see `extent check {}`\n",
                    n.path,
                    error.message,
                    error.kind.name(),
                    n.path,
                    width = width + 1
                ),
                NodeKind::Array => format!(
                    "{:<width$}  array  {}  {}\n",
                    shown(&n.path),
                    n.shape
                        .as_deref()
                        .map(fmt_shape)
                        .unwrap_or_else(|| "?".into()),
                    n.dtype.map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
                    width = width + 1
                ),
            })
            .collect()
    });
    Ok(())
}
