//! `extent create ARRAY --shape --chunks --dtype [--resizable] [--fill] [--from x.npy]`.

use std::path::PathBuf;

use crate::backend::{fmt_shape, parse_scalar, parse_shape, CreateRequest, DType, Error, Result};

use super::budget::Budget;
use super::progress::{fmt_bytes, Progress};
use super::{array_path, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// Shape, e.g. 4,3 (default: the shape of --from).
    #[arg(long)]
    pub shape: Option<String>,
    /// Regular chunk shape, e.g. 2,3 (default: chunks of about 4 MiB along the first axis).
    #[arg(long)]
    pub chunks: Option<String>,
    /// numpy dtype name: bool, int8..int64, uint8..uint64, float32, float64 (default: from --from, else float64).
    #[arg(long)]
    pub dtype: Option<String>,
    /// Per-axis resizable flags, e.g. true,false (default: all true).
    #[arg(long)]
    pub resizable: Option<String>,
    /// Fill value for unwritten elements (default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub fill: Option<String>,
    /// User metadata as a JSON object.
    #[arg(long)]
    pub metadata: Option<String>,
    /// Initial content from a .npy file.
    #[arg(long)]
    pub from: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let budget = Budget::resolve(cli.memory_limit.as_deref())?;
    if let Some(file) = &args.from {
        // The initial content is held whole: a file over the budget is refused unread.
        let size = std::fs::metadata(file).map_or(0, |m| m.len());
        budget.hold(
            size,
            &format!("--from {}", file.display()),
            "create the array empty and write the file in parts with `extent patch`",
        )?;
    }
    let spin = Progress::spinner(out.json, "reading the initial content");
    let req = request(args)?;
    let chunk = req
        .chunks
        .iter()
        .try_fold(req.dtype.size() as u64, |a, &c| a.checked_mul(c))
        .unwrap_or(u64::MAX);
    budget.hold(
        chunk,
        &format!("one chunk of {} ({})", req.path, fmt_shape(&req.chunks)),
        "choose smaller --chunks (every read and write decodes whole chunks)",
    )?;
    let store = open_store(cli, true)?;
    let size = req.data.as_ref().map_or(0, |d| d.bytes.len() as u64);
    spin.set_message(format!("creating {} ({})", req.path, fmt_bytes(size)));
    let info = store.create(&req).await?;
    spin.finish();
    out.structure(&info);
    Ok(())
}

fn request(args: &Args) -> Result<CreateRequest> {
    let path = array_path(&args.array)?;
    let data = args.from.as_deref().map(crate::npy::read).transpose()?;
    let dtype = match (&args.dtype, &data) {
        (Some(d), Some(data)) => {
            let d = DType::parse(d)?;
            if d != data.dtype {
                return Err(Error::dtype_mismatch(format!(
                    "--dtype {d} but {} holds {}",
                    args.from
                        .as_deref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    data.dtype
                )));
            }
            d
        }
        (Some(d), None) => DType::parse(d)?,
        (None, Some(data)) => data.dtype,
        (None, None) => DType::Float64,
    };
    let shape = match (&args.shape, &data) {
        (Some(s), Some(data)) => {
            let s = parse_shape(s)?;
            if s != data.shape {
                return Err(Error::shape_mismatch(format!(
                    "--shape {} but the file holds shape {}",
                    fmt_shape(&s),
                    fmt_shape(&data.shape)
                )));
            }
            s
        }
        (Some(s), None) => parse_shape(s)?,
        (None, Some(data)) => data.shape.clone(),
        (None, None) => {
            return Err(Error::invalid_input(
                "--shape is required (or --from FILE.npy)",
            ))
        }
    };
    let chunks = match &args.chunks {
        Some(c) => parse_shape(c)?,
        None => default_chunks(&shape, dtype.size()),
    };
    let resizable = match &args.resizable {
        Some(r) => r
            .split(',')
            .map(|x| match x.trim() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" => Ok(false),
                other => Err(Error::invalid_input(format!(
                    "--resizable '{other}' is not true or false"
                ))),
            })
            .collect::<Result<Vec<bool>>>()?,
        None => vec![true; shape.len()],
    };
    let fill_value = match &args.fill {
        Some(f) => parse_scalar(dtype, f)?,
        None => parse_scalar(dtype, "0")?,
    };
    let metadata = match &args.metadata {
        Some(m) => {
            let v: serde_json::Value = serde_json::from_str(m)
                .map_err(|e| Error::invalid_input("--metadata is not JSON").with_source(e))?;
            if !v.is_object() {
                return Err(Error::invalid_input("--metadata must be a JSON object"));
            }
            v
        }
        None => serde_json::json!({}),
    };
    let req = CreateRequest {
        path,
        shape,
        chunks,
        dtype,
        resizable,
        fill_value,
        metadata,
        data,
    };
    req.validate()?;
    Ok(req)
}

/// The whole shape, cut along the first axes until a chunk is at most 4 MiB. Each cut divides
/// the axis exactly, so the shape stays chunk-aligned (Tiled needs it).
fn default_chunks(shape: &[u64], elem: usize) -> Vec<u64> {
    let mut c: Vec<u64> = shape.iter().map(|&s| s.max(1)).collect();
    let mut axis = 0;
    while c.iter().product::<u64>() * elem as u64 > 4 << 20 && axis < c.len() {
        if c[axis] > 1 {
            // Divide by the smallest prime factor: the largest proper divisor.
            let n = c[axis];
            let p = (2..)
                .take_while(|p| p * p <= n)
                .find(|p| n.is_multiple_of(*p))
                .unwrap_or(n);
            c[axis] /= p;
        } else {
            axis += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_chunks_are_bounded() {
        assert_eq!(super::default_chunks(&[4, 3], 8), vec![4, 3]);
        let c = super::default_chunks(&[100_000, 2048], 2);
        assert!(c.iter().product::<u64>() * 2 <= 4 << 20);
        assert_eq!(c[1], 2048);
        assert_eq!(super::default_chunks(&[0, 5], 8), vec![1, 5]);
        let c = super::default_chunks(&[1000, 4096], 8);
        assert_eq!(1000 % c[0], 0, "{c:?}");
    }
}
