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
    plan_resize(&info, &shape)?;
    let shrinks = info.shape.iter().zip(&shape).any(|(o, n)| n < o);
    if shrinks {
        if !store.capabilities().can_shrink {
            return Err(Error::unsupported(format!(
                "{} cannot shrink arrays; nothing was changed",
                store.describe()
            )));
        }
        let kept: u128 = info
            .shape
            .iter()
            .zip(&shape)
            .map(|(&o, &n)| o.min(n) as u128)
            .product();
        let lost = info.num_elements() - kept;
        let question = format!(
            "shrink '{path}' from {} to {}? {lost} elements ({} bytes) will be erased",
            fmt_shape(&info.shape),
            fmt_shape(&shape),
            lost * info.dtype.size() as u128
        );
        if !args.yes && !confirm(&question, "shrinking")? {
            return Err(Error::invalid_input("not confirmed; nothing was changed"));
        }
    }
    let new = store.resize(&path, &shape, Cause::Resize).await?;
    out.structure(&new);
    Ok(())
}
