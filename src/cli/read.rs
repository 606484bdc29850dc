//! `extent read ARRAY [--slice 0:4,:] [--out x.npy]`.

use std::path::PathBuf;

use crate::backend::{fmt_shape, parse_slice, ArrayData, Result};

use super::{array_path, open_store, Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// numpy-style slice without steps, e.g. 0:4,: or -10:
    #[arg(long, allow_hyphen_values = true)]
    pub slice: Option<String>,
    /// Write the data to a .npy file instead of printing it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print JSON: {"shape","dtype","data":[flat, C order]}.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let store = open_store(cli, false)?;
    let path = array_path(&args.array)?;
    let selection = match &args.slice {
        Some(s) => Some(parse_slice(s, &store.show(&path).await?.shape)?),
        None => None,
    };
    let data = store.read(&path, selection.as_ref()).await?;
    if let Some(file) = &args.out {
        crate::npy::write(file, &data)?;
        let summary = serde_json::json!({"shape": data.shape, "dtype": data.dtype, "out": file});
        out.emit(&summary, || {
            format!(
                "wrote {} {} to {}",
                fmt_shape(&data.shape),
                data.dtype,
                file.display()
            )
        });
        return Ok(());
    }
    let value = serde_json::json!({
        "shape": data.shape,
        "dtype": data.dtype,
        "data": data.to_json_values(),
    });
    out.emit(&value, || text(&data));
    Ok(())
}

/// numpy-like text: rows of the last axis, blocks separated by blank lines; long arrays are
/// cut with an ellipsis (use --json or --out for everything).
fn text(data: &ArrayData) -> String {
    const MAX: usize = 2000;
    let values: Vec<String> = data
        .to_json_values()
        .iter()
        .take(MAX)
        .map(|v| v.to_string())
        .collect();
    let width = values.iter().map(|v| v.len()).max().unwrap_or(1);
    let row = data.shape.last().copied().unwrap_or(1).max(1) as usize;
    let block = if data.shape.len() >= 2 {
        (data.shape[data.shape.len() - 2] as usize).max(1) * row
    } else {
        usize::MAX
    };
    let mut s = format!("{} {}\n", fmt_shape(&data.shape), data.dtype);
    for (i, v) in values.iter().enumerate() {
        if i > 0 && i % row == 0 {
            s.push('\n');
            if i % block == 0 {
                s.push('\n');
            }
        }
        s.push_str(&format!("{v:>width$} "));
    }
    if data.len() > MAX {
        s.push_str(&format!(
            "\n... ({} more values; use --json or --out)",
            data.len() - MAX
        ));
    }
    s
}
