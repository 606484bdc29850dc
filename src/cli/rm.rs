//! `extent rm ARRAY [--yes]`: delete an array or group.

use crate::backend::{Error, Result};

use super::{array_path, confirm, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
    /// Print JSON: {"deleted": PATH}.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let store = open_store(cli, false)?;
    let path = array_path(&args.array)?;
    // Fail on a missing node before asking anything.
    if let Err(e) = store.show(&path).await {
        if e.kind == crate::backend::ErrorKind::NotFound {
            return Err(e);
        }
    }
    if !args.yes && !confirm(&format!("delete '{path}' and all its data?"), "rm")? {
        return Err(Error::invalid_input("not confirmed; nothing was deleted"));
    }
    store.delete(&path).await?;
    out.emit(&serde_json::json!({"deleted": path}), || {
        format!("deleted {path}")
    });
    Ok(())
}
