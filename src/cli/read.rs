//! `extent read ARRAY [--slice 0:4,:] [--out x.npy]`; a table's rows (`--out x.csv`).

mod table;

use std::path::PathBuf;

use crate::backend::{
    fmt_shape, parse_slice, ArrayData, ArrayInfo, Backend, ErrorKind, NodeKind, Result, Selection,
};
use crate::stores::{expand_home, Opener, Target as StoreTarget};

use super::budget::{Budget, HELD_PER_ELEMENT};
use super::export::Target;
use super::progress::{fmt_bytes, Progress, Unit};
use super::{array_path, open_store, Cli, Output};

/// At most this many bytes per read when a read is cut into pieces (progress, streaming).
const PIECE_BYTES: u64 = 16 << 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    pub array: String,
    /// numpy-style slice without steps, e.g. 0:4,: or -10:
    #[arg(long, allow_hyphen_values = true)]
    pub slice: Option<String>,
    /// Write the data to a .npy file instead of printing it (streamed: any size that fits on
    /// disk). The file must not be inside the store.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Print JSON: {"shape","dtype","data":[flat, C order]}; a table:
    /// {"columns","rows","data":{COLUMN:[values]}}. A table's --out file is CSV.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let budget = Budget::resolve(cli.memory_limit.as_deref())?;
    let target = match &args.out {
        Some(file) => Some(Target::check(
            file,
            local_root(cli)?.as_deref(),
            args.force,
        )?),
        None => None,
    };
    let store = open_store(cli, false)?;
    let path = array_path(&args.array)?;
    let info = match store.show(&path).await {
        Ok(info) => info,
        // Not an array: a table is read as rows.
        Err(e) if e.kind == ErrorKind::Unsupported => match store.node(&path).await {
            Ok(n) if n.kind == NodeKind::Table => {
                return table::run(store.as_ref(), &path, args, target, out).await
            }
            _ => return Err(e),
        },
        Err(e) => return Err(e),
    };
    let selection = match &args.slice {
        Some(s) => parse_slice(s, &info.shape)?,
        None => Selection::all(&info.shape),
    };
    let elements = crate::backend::checked_elements(&selection.shape())?;
    let total = elements * info.dtype.size() as u64;
    fits(&budget, &info, &selection, args.out.is_some())?;
    let bar = Progress::bar(out.json, total, Unit::Bytes, format!("reading {path}"));
    if let (Some(target), Some(file)) = (&target, &args.out) {
        let piece = PIECE_BYTES.min(budget.bytes / 4);
        target
            .write(store.as_ref(), &info, &selection, piece, &|n| bar.inc(n))
            .await?;
        bar.finish();
        let shape = selection.shape();
        let summary = serde_json::json!({"shape": shape, "dtype": info.dtype, "out": file});
        out.emit(&summary, || {
            format!(
                "wrote {} {} to {}",
                fmt_shape(&shape),
                info.dtype,
                file.display()
            )
        });
        return Ok(());
    }
    let data = read_in_pieces(store.as_ref(), &info, &selection, PIECE_BYTES, &|n| {
        bar.inc(n)
    })
    .await?;
    bar.finish();
    let value = serde_json::json!({
        "shape": data.shape,
        "dtype": data.dtype,
        "data": data.to_json_values(),
    });
    out.emit(&value, || text(&data));
    Ok(())
}

/// The directory of a local store, to keep exports out of it; `None` for a Tiled server.
pub(super) fn local_root(cli: &Cli) -> Result<Option<PathBuf>> {
    let Some(spec) = cli.store.as_deref() else {
        return Ok(None);
    };
    Ok(match Opener::new(None).resolve(spec)? {
        StoreTarget::Dir(d) => Some(d),
        StoreTarget::Named(s) if !s.is_remote() => Some(expand_home(&s.url_or_path)),
        _ => None,
    })
}

/// Refuses, before a byte is read, what would need more memory than the budget: a chunk
/// decoded whole, a row of chunks (the smallest slab), or a read held whole for printing.
fn fits(budget: &Budget, info: &ArrayInfo, sel: &Selection, streamed: bool) -> Result<()> {
    let size = info.dtype.size() as u64;
    let chunk = info.chunks.iter().try_fold(size, |a, &c| a.checked_mul(c));
    let chunk = chunk.unwrap_or(u64::MAX);
    budget.hold(
        chunk,
        &format!("one chunk of {} ({} bytes)", info.path, chunk),
        "raise --memory-limit if this machine has the memory",
    )?;
    let shape = sel.shape();
    if streamed {
        let rows = info.chunks.first().copied().unwrap_or(1).max(1);
        let row: u64 = shape
            .iter()
            .skip(1)
            .try_fold(size, |a, &c| a.checked_mul(c))
            .unwrap_or(u64::MAX);
        return budget.hold(
            row.saturating_mul(rows),
            &format!("one row of chunks of {} as selected", info.path),
            "narrow the later axes with --slice (e.g. --slice :,0:100)",
        );
    }
    let elements = crate::backend::checked_elements(&shape)?;
    let held = elements.saturating_mul(HELD_PER_ELEMENT + size);
    let bytes = elements.saturating_mul(size);
    budget.hold(
        held,
        &format!(
            "printing {} ({} of data, {} elements)",
            info.path,
            fmt_bytes(bytes),
            elements
        ),
        "write it to a file with --out FILE.npy (streamed), or read a part with --slice",
    )
}

/// The slabs a read of `sel` is cut into: whole chunk rows along axis 0, about `piece_bytes`
/// each (at least one chunk row), on multiples of the chunk rows so no chunk is decoded twice.
/// C order makes the slabs' bytes simply follow one another.
pub fn slabs(info: &ArrayInfo, sel: &Selection, piece_bytes: u64) -> Vec<Selection> {
    let shape = sel.shape();
    let rows = shape.first().copied().unwrap_or(0);
    let row_elems: u64 = shape.iter().skip(1).product();
    let row_bytes = row_elems.max(1) * info.dtype.size() as u64;
    if rows.saturating_mul(row_bytes) <= piece_bytes || info.chunks.is_empty() {
        return vec![sel.clone()];
    }
    let chunk_rows = info.chunks[0].max(1);
    let per_piece = piece_bytes / chunk_rows.saturating_mul(row_bytes);
    let step = chunk_rows.saturating_mul(per_piece.max(1));
    let (start, end) = (sel.start[0], sel.end[0]);
    let mut out = Vec::new();
    let mut s = start;
    while s < end {
        let e = end.min((s / step).saturating_add(1).saturating_mul(step));
        let mut piece = sel.clone();
        piece.start[0] = s;
        piece.end[0] = e;
        out.push(piece);
        s = e;
    }
    out
}

/// Reads `sel` slab by slab (see [`slabs`]) into one `ArrayData`, calling `done` with each
/// slab's size: for output that is printed whole, after the budget allowed it.
pub async fn read_in_pieces(
    store: &dyn Backend,
    info: &ArrayInfo,
    sel: &Selection,
    piece_bytes: u64,
    done: &(dyn Fn(u64) + Sync),
) -> Result<ArrayData> {
    let pieces = slabs(info, sel, piece_bytes);
    let mut bytes = Vec::new();
    let mut dtype = info.dtype;
    for piece in &pieces {
        let whole = *piece == Selection::all(&info.shape);
        let data = store.read(&info.path, (!whole).then_some(piece)).await?;
        done(data.bytes.len() as u64);
        if pieces.len() == 1 {
            return Ok(data);
        }
        dtype = data.dtype;
        bytes.extend_from_slice(&data.bytes);
    }
    ArrayData::new(dtype, sel.shape(), bytes)
}

/// numpy-like text: rows of the last axis, blocks separated by blank lines; long arrays are
/// cut with an ellipsis (use --json or --out for everything).
fn text(data: &ArrayData) -> String {
    const MAX: usize = 2000;
    let values: Vec<String> = data
        .to_json_values()
        .iter()
        .take(MAX)
        // NaN and the infinities are JSON strings; as text they are plain words.
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        })
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

    #[test]
    fn text_prints_nan_and_infinities_as_words_not_strings() {
        let v = [1.5f64, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
        let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        let out = text(&ArrayData::new(DType::Float64, vec![4], bytes).unwrap());
        assert!(!out.contains('"'), "{out}");
        let words: Vec<&str> = out
            .lines()
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .collect();
        assert_eq!(words, ["1.5", "NaN", "Infinity", "-Infinity"]);
    }

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
