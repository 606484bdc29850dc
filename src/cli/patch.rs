//! `extent patch ARRAY --offset 6,0 (--from x.npy | --value 1.5 --shape 2,3) [--extend]`.

use std::path::PathBuf;

use crate::backend::{parse_offset, parse_scalar, parse_shape, ArrayData, Error, Result};

use super::{array_path, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// Where the block starts, e.g. 6,0.
    #[arg(long, allow_hyphen_values = true)]
    pub offset: String,
    /// The block, from a .npy file.
    #[arg(long, conflicts_with_all = ["value", "shape"])]
    pub from: Option<PathBuf>,
    /// Every element of the block has this value (needs --shape).
    #[arg(long, requires = "shape", allow_hyphen_values = true)]
    pub value: Option<String>,
    /// Shape of the block for --value, e.g. 2,3.
    #[arg(long, requires = "value")]
    pub shape: Option<String>,
    /// Grow the array to fit instead of refusing an out-of-bounds block.
    #[arg(long)]
    pub extend: bool,
    /// Print the new structure as JSON (as `show --json`).
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let path = array_path(&args.array)?;
    let offset = parse_offset(&args.offset)?;
    let store = open_store(cli, false)?;
    let data = match (&args.from, &args.value, &args.shape) {
        (Some(f), None, None) => crate::npy::read(f)?,
        (None, Some(v), Some(s)) => {
            let shape = parse_shape(s)?;
            // The value is typed by the array's dtype: 1.5 into an int array is refused.
            let dtype = store.show(&path).await?.dtype;
            ArrayData::filled(dtype, &shape, &parse_scalar(dtype, v)?)?
        }
        _ => {
            return Err(Error::invalid_input(
                "give the block with --from FILE.npy or with --value V --shape S",
            ))
        }
    };
    let info = store.patch(&path, &offset, &data, args.extend).await?;
    out.structure(&info);
    Ok(())
}
