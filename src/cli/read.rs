//! `extent read ARRAY [--slice 0:4,:] [--out x.npy]`.

use std::path::PathBuf;

use crate::backend::{fmt_shape, parse_slice, ArrayData, ArrayInfo, Backend, Result, Selection};

use super::progress::{Progress, Unit};
use super::{array_path, open_store, Cli, Output};

/// About this many bytes per read when a read is cut into pieces for progress.
const PIECE_BYTES: u64 = 16 << 20;

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
    let info = store.show(&path).await?;
    let selection = match &args.slice {
        Some(s) => parse_slice(s, &info.shape)?,
        None => Selection::all(&info.shape),
    };
    let total = crate::backend::checked_elements(&selection.shape())? * info.dtype.size() as u64;
    let bar = Progress::bar(out.json, total, Unit::Bytes, format!("reading {path}"));
    let data = read_in_pieces(store.as_ref(), &info, &selection, PIECE_BYTES, &|n| {
        bar.inc(n)
    })
    .await?;
    bar.finish();
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

/// Reads `sel` as slabs of whole chunk rows along axis 0, about `piece_bytes` each, calling
/// `done` with each slab's size. C order makes the slabs' bytes simply follow one another.
pub async fn read_in_pieces(
    store: &dyn Backend,
    info: &ArrayInfo,
    sel: &Selection,
    piece_bytes: u64,
    done: &(dyn Fn(u64) + Sync),
) -> Result<ArrayData> {
    let path = info.path.as_str();
    let shape = sel.shape();
    let rows = shape.first().copied().unwrap_or(0);
    let row_elems: u64 = shape.iter().skip(1).product();
    let row_bytes = row_elems.max(1) * info.dtype.size() as u64;
    if rows.saturating_mul(row_bytes) <= piece_bytes || info.chunks.is_empty() {
        let whole = *sel == Selection::all(&info.shape);
        let data = store.read(path, (!whole).then_some(sel)).await?;
        done(data.bytes.len() as u64);
        return Ok(data);
    }
    // Slab boundaries on multiples of `step` (whole chunks), so no chunk is decoded twice.
    let chunk_rows = info.chunks[0].max(1);
    let step = chunk_rows * (piece_bytes / (chunk_rows * row_bytes)).max(1);
    let (start, end) = (sel.start[0], sel.end[0]);
    let mut bytes = Vec::new();
    let mut dtype = None;
    let mut s = start;
    while s < end {
        let e = end.min((s / step + 1) * step);
        let mut piece = sel.clone();
        piece.start[0] = s;
        piece.end[0] = e;
        let data = store.read(path, Some(&piece)).await?;
        done(data.bytes.len() as u64);
        dtype = Some(data.dtype);
        bytes.extend_from_slice(&data.bytes);
        s = e;
    }
    let dtype = dtype.ok_or_else(|| crate::backend::Error::io("empty read"))?;
    ArrayData::new(dtype, shape, bytes)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::local::LocalBackend;
    use crate::backend::{CreateRequest, DType};

    #[tokio::test]
    async fn pieces_give_the_same_bytes_as_one_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBackend::open_or_create(dir.path()).unwrap();
        let shape = vec![23u64, 5, 3];
        let n: u64 = shape.iter().product();
        let bytes: Vec<u8> = (0..n as u32).flat_map(|i| i.to_le_bytes()).collect();
        let info = store
            .create(&CreateRequest {
                path: "a".into(),
                shape: shape.clone(),
                chunks: vec![2, 5, 3],
                dtype: DType::UInt32,
                resizable: vec![true; 3],
                fill_value: 0.into(),
                metadata: serde_json::json!({}),
                data: Some(ArrayData::new(DType::UInt32, shape.clone(), bytes).unwrap()),
            })
            .await
            .unwrap();
        for slice in [None, Some("3:20,1:4,:"), Some("-1:")] {
            let sel = match slice {
                Some(s) => parse_slice(s, &shape).unwrap(),
                None => Selection::all(&shape),
            };
            let whole = store.read("a", Some(&sel)).await.unwrap();
            let counted = std::sync::atomic::AtomicU64::new(0);
            // 100 bytes a piece: many pieces, each of whole chunk rows.
            let pieces = read_in_pieces(&store, &info, &sel, 100, &|b| {
                counted.fetch_add(b, std::sync::atomic::Ordering::Relaxed);
            })
            .await
            .unwrap();
            assert_eq!(pieces, whole, "slice {slice:?}");
            assert_eq!(counted.into_inner(), whole.bytes.len() as u64);
        }
    }
}
