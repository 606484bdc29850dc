//! `extent patch ARRAY --offset 6,0 (--from x.npy | --value 1.5 --shape 2,3) [--extend]`.

use std::path::PathBuf;

use crate::backend::{parse_offset, parse_scalar, parse_shape, ArrayData, Error, Result};

use super::budget::Budget;
use super::progress::{fmt_bytes, Progress};
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
    let budget = Budget::resolve(cli.memory_limit.as_deref())?;
    let store = open_store(cli, false)?;
    let info = store.show(&path).await?;
    // A write decodes, patches and encodes whole chunks: one must fit, with the block.
    let chunk = info
        .chunks
        .iter()
        .try_fold(info.dtype.size() as u64, |a, &c| a.checked_mul(c))
        .unwrap_or(u64::MAX);
    let chunk_need =
        |block: u64, what: &str| {
            budget.hold(
            chunk.saturating_add(block),
            &format!("patching {what} into {path}, whose chunks are {} each", fmt_bytes(chunk)),
            "raise --memory-limit, or rechunk the array smaller (every write decodes whole chunks)",
        )
        };
    // One request (or one write) cannot report partial progress: a spinner with the size.
    let spin = Progress::spinner(out.json, "reading the block");
    let data = match (&args.from, &args.value, &args.shape) {
        (Some(f), None, None) => {
            // The block is held whole: a file over the budget is refused unread.
            let size = std::fs::metadata(f).map_or(0, |m| m.len());
            budget.hold(
                size,
                &format!("--from {}", f.display()),
                "write the data in parts (several patches of a slice each), or raise --memory-limit",
            )?;
            chunk_need(size, &f.display().to_string())?;
            spin.set_message(format!("reading {}", f.display()));
            crate::npy::read(f)?
        }
        (None, Some(v), Some(s)) => {
            let shape = parse_shape(s)?;
            let block = shape
                .iter()
                .try_fold(info.dtype.size() as u64, |a, &c| a.checked_mul(c))
                .unwrap_or(u64::MAX);
            budget.hold(
                block,
                &format!("a block of shape {s}"),
                "write it in parts (several patches of a slice each), or raise --memory-limit",
            )?;
            chunk_need(block, &format!("a block of shape {s}"))?;
            // The value is typed by the array's dtype: 1.5 into an int array is refused.
            let dtype = info.dtype;
            ArrayData::filled(dtype, &shape, &parse_scalar(dtype, v)?)?
        }
        _ => {
            return Err(Error::invalid_input(
                "give the block with --from FILE.npy or with --value V --shape S",
            ))
        }
    };
    spin.set_message(format!(
        "writing {} to {path}",
        fmt_bytes(data.bytes.len() as u64)
    ));
    let info = store.patch_owned(&path, &offset, data, args.extend).await?;
    spin.finish();
    out.structure(&info);
    Ok(())
}
