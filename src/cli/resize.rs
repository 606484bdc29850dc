//! `extent resize ARRAY --shape 10,3 [--yes]`: grow, or shrink after confirmation.

use crate::backend::{fmt_shape, parse_shape, plan_resize, Cause, Error, Result};

use super::{array_path, confirm, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// The new shape, e.g. 10,3.
    #[arg(long)]
    pub shape: String,
    /// Shrink without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// Print the new structure as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let path = array_path(&args.array)?;
    let shape = parse_shape(&args.shape)?;
    let store = open_store(cli, false)?;
    let info = store.show(&path).await?;
    let plan = plan_resize(&info, &shape)?;
    if plan.shrinks {
        if !store.capabilities().can_shrink {
            return Err(Error::unsupported(format!(
                "{} cannot shrink arrays; nothing was changed",
                store.describe()
            )));
        }
        let question = format!(
            "shrink '{path}' from {} to {}? {} elements ({} bytes) will be erased",
            fmt_shape(&plan.old_shape),
            fmt_shape(&plan.new_shape),
            plan.elements_lost,
            plan.bytes_lost
        );
        if !args.yes && !confirm(&question, "shrinking")? {
            return Err(Error::invalid_input("not confirmed; nothing was changed"));
        }
    }
    let new = store.resize(&path, &shape, Cause::Resize).await?;
    out.structure(&new);
    Ok(())
}
