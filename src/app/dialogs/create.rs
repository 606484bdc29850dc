//! Create: a new array (path, shape, chunks, dtype, resizable axes, fill value).

use crate::backend::{fmt_shape, normalize_path, parse_scalar, parse_shape, CreateRequest, DType};

use super::{human_bytes, Field, Plan, PlanContext, PreviewLine};
use crate::app::action::{CreateRequestEq, Operation};

pub const PATH: &str = "path";
pub const SHAPE: &str = "shape";
pub const CHUNKS: &str = "chunks";
pub const DTYPE: &str = "dtype";
pub const RESIZABLE: &str = "resizable";
pub const FILL: &str = "fill value";

pub fn fields(group: &str) -> Vec<Field> {
    let path = if group.is_empty() {
        "new_array".to_string()
    } else {
        format!("{group}/new_array")
    };
    vec![
        Field::text(PATH, path, "inside the store, /-separated"),
        Field::text(SHAPE, "100,100", "e.g. 0,512,512"),
        Field::text(CHUNKS, "10,100", "chunk shape"),
        Field::choice(
            DTYPE,
            DType::ALL.iter().map(|d| d.name().to_string()).collect(),
            "float64",
            "←/→",
        ),
        Field::text(RESIZABLE, "all", "all, none, or y,n per axis"),
        Field::text(FILL, "0", "what unwritten elements read as"),
    ]
}

/// `all`, `none`, or one flag per axis (`y,n`, `true,false`, `1,0`).
pub fn parse_resizable(text: &str, ndim: usize) -> Result<Vec<bool>, String> {
    match text.trim() {
        "all" | "" => return Ok(vec![true; ndim]),
        "none" => return Ok(vec![false; ndim]),
        _ => {}
    }
    let flags: Result<Vec<bool>, String> = text
        .split(',')
        .map(|p| match p.trim() {
            "y" | "yes" | "true" | "1" => Ok(true),
            "n" | "no" | "false" | "0" => Ok(false),
            other => Err(format!("resizable: '{other}' is not y or n")),
        })
        .collect();
    let flags = flags?;
    if flags.len() != ndim {
        return Err(format!(
            "resizable has {} entries but the shape has {ndim} axes",
            flags.len()
        ));
    }
    Ok(flags)
}

pub fn plan(fields: &[Field], ctx: PlanContext<'_>) -> Result<Plan, String> {
    let get = |l: &str| {
        fields
            .iter()
            .find(|f| f.label == l)
            .map(|f| f.text.as_str())
            .unwrap_or("")
    };
    let path = normalize_path(get(PATH));
    let shape = parse_shape(get(SHAPE)).map_err(|e| e.message)?;
    let chunks = parse_shape(get(CHUNKS)).map_err(|e| format!("chunks: {}", e.message))?;
    let dtype = DType::parse(get(DTYPE)).map_err(|e| e.message)?;
    let resizable = parse_resizable(get(RESIZABLE), shape.len())?;
    let fill_value =
        parse_scalar(dtype, get(FILL)).map_err(|e| format!("fill value: {}", e.message))?;
    let req = CreateRequest {
        path: path.clone(),
        shape: shape.clone(),
        chunks: chunks.clone(),
        dtype,
        resizable: resizable.clone(),
        fill_value: fill_value.clone(),
        metadata: serde_json::json!({}),
        data: None,
    };
    req.validate().map_err(|e| e.message)?;
    refused_by_store(&shape, &chunks, ctx.capabilities)?;
    let grid: Vec<u64> = shape
        .iter()
        .zip(&chunks)
        .map(|(&s, &c)| s.div_ceil(c))
        .collect();
    let n_chunks: u128 = grid.iter().map(|&g| g as u128).product();
    let elements: u128 = shape.iter().map(|&s| s as u128).product();
    let flags: Vec<&str> = resizable
        .iter()
        .map(|&r| if r { "yes" } else { "no" })
        .collect();
    let preview = vec![
        PreviewLine::new("creates", format!("'{path}' {dtype} {}", fmt_shape(&shape))),
        PreviewLine::new(
            "chunk grid",
            format!(
                "{} = {n_chunks} chunks of {}",
                fmt_shape(&grid),
                fmt_shape(&chunks)
            ),
        ),
        PreviewLine::new("resizable", format!("[{}]", flags.join(", "))),
        PreviewLine::new(
            "size",
            format!(
                "{} logical; 0 bytes written (all read as fill {fill_value})",
                human_bytes(elements * dtype.size() as u128)
            ),
        ),
    ];
    Ok(Plan {
        preview,
        op: Operation::Create(CreateRequestEq(req)),
        confirm_text: None,
    })
}

/// What this store would refuse (Tiled: a zero-length axis, a shape that is not a whole
/// number of chunks), said as the user types rather than after a round trip.
fn refused_by_store(
    shape: &[u64],
    chunks: &[u64],
    caps: crate::backend::Capabilities,
) -> Result<(), String> {
    if let Some(axis) = shape
        .iter()
        .position(|&s| s == 0)
        .filter(|_| !caps.empty_axes)
    {
        return Err(format!(
            "this store cannot extend an array created with a zero-length axis (axis {axis} of \
             {}); start with at least one chunk along every axis",
            fmt_shape(shape)
        ));
    }
    let ragged = shape.iter().zip(chunks).any(|(&s, &c)| c > 0 && s % c != 0);
    if ragged && !caps.partial_chunks {
        return Err(format!(
            "this store needs a shape that is a whole number of chunks: {} is not a multiple \
             of {}",
            fmt_shape(shape),
            fmt_shape(chunks)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resizable_flags() {
        assert_eq!(parse_resizable("all", 2).unwrap(), vec![true, true]);
        assert_eq!(parse_resizable("y,n", 2).unwrap(), vec![true, false]);
        assert!(parse_resizable("y", 2).is_err());
        assert!(parse_resizable("maybe,y", 2).is_err());
    }
}
