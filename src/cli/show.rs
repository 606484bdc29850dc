//! `extent show ARRAY`: the structure of one array.

use crate::backend::Result;

use super::{array_path, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// Print JSON: {"path","shape","chunks","dtype","resizable","fill_value","metadata"}.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let store = open_store(cli, false)?;
    let info = store.show(&array_path(&args.array)?).await?;
    out.structure(&info);
    Ok(())
}
