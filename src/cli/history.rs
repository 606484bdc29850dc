//! `extent history ARRAY`: structure changes, oldest first.

use crate::backend::{fmt_shape, Result};

use super::{array_path, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// Print JSON: [{"time","actor","cause","old_shape","new_shape"}].
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let store = open_store(cli, false)?;
    let entries = store.history(&array_path(&args.array)?).await?;
    out.emit(&entries, || {
        if entries.is_empty() {
            return "no structure changes recorded".into();
        }
        let shape =
            |s: &Option<Vec<u64>>| s.as_deref().map(fmt_shape).unwrap_or_else(|| "-".into());
        entries
            .iter()
            .map(|e| {
                format!(
                    "{}  {:<9} {:<20} {} -> {}\n",
                    e.time,
                    e.cause.name(),
                    e.actor,
                    shape(&e.old_shape),
                    shape(&e.new_shape)
                )
            })
            .collect()
    });
    Ok(())
}
