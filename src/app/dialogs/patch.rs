//! Patch: write a block (one value repeated over a shape, or a `.npy` file) at an offset,
//! optionally extending the array to fit.

use crate::backend::{
    fmt_shape, parse_offset, parse_scalar, parse_shape, plan_patch, ArrayData, ArrayInfo,
};

use super::{chunks_touched_text, human_bytes, Field, Plan, PlanContext, PreviewLine};
use crate::app::action::Operation;

pub const OFFSET: &str = "offset";
pub const VALUE: &str = "value";
pub const SHAPE: &str = "shape";
pub const NPY: &str = ".npy file";
pub const EXTEND: &str = "extend";

/// Largest block the dialog builds from a value (bigger writes: use a file or the CLI).
const MAX_FILL_BYTES: u64 = 16 << 20;

/// Defaults name one slab after the end of axis 0; extend is off (as in the CLI), so growing
/// the array takes the explicit toggle and the preview shows the new shape first.
pub fn fields(info: Option<&ArrayInfo>) -> Vec<Field> {
    let (offset, shape) = match info {
        Some(i) => {
            let mut off = vec![0u64; i.ndim()];
            let mut shp = i.shape.clone();
            if let (Some(o), Some(s)) = (off.first_mut(), shp.first_mut()) {
                *o = i.shape[0];
                *s = 1;
            }
            (join(&off), join(&shp))
        }
        None => (String::new(), String::new()),
    };
    vec![
        Field::text(OFFSET, offset, "e.g. 6,0"),
        Field::text(VALUE, "1", "every element of the block"),
        Field::text(SHAPE, shape, "block shape, e.g. 2,3"),
        Field::text(NPY, "", "instead of value+shape"),
        Field::toggle(EXTEND, false, "grow the shape to fit (Space)"),
    ]
}

fn join(v: &[u64]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn text<'a>(fields: &'a [Field], label: &str) -> &'a str {
    fields
        .iter()
        .find(|f| f.label == label)
        .map(|f| f.text.as_str())
        .unwrap_or("")
}

pub fn plan(fields: &[Field], ctx: PlanContext<'_>) -> Result<Plan, String> {
    let info = ctx.info.ok_or("no array is open")?;
    let extend = fields
        .iter()
        .find(|f| f.label == EXTEND)
        .is_some_and(|f| f.on);
    let offset = parse_offset(text(fields, OFFSET)).map_err(|e| e.message)?;
    let npy_path = text(fields, NPY).trim();
    let (data, source) = if !npy_path.is_empty() {
        match ctx
            .npy
            .filter(|n| n.path == npy_path)
            .and_then(|n| n.data.as_ref())
        {
            None => return Err(format!("reading {npy_path} ...")),
            Some(Err(e)) => return Err(e.clone()),
            Some(Ok(d)) => (
                d.clone(),
                format!("{npy_path} ({} {})", d.dtype, fmt_shape(&d.shape)),
            ),
        }
    } else {
        let shape = parse_shape(text(fields, SHAPE)).map_err(|e| e.message)?;
        let value = parse_scalar(info.dtype, text(fields, VALUE)).map_err(|e| e.message)?;
        let elements = crate::backend::checked_elements(&shape).map_err(|e| e.message)?;
        if elements.saturating_mul(info.dtype.size() as u64) > MAX_FILL_BYTES {
            return Err(format!(
                "a block of shape {} is too large to fill from the dialog; use a .npy file",
                fmt_shape(&shape)
            ));
        }
        if shape.len() != info.ndim() {
            return Err(format!(
                "shape {} has {} axes but '{}' has {}",
                fmt_shape(&shape),
                shape.len(),
                info.path,
                info.ndim()
            ));
        }
        let d = ArrayData::filled(info.dtype, &shape, &value).map_err(|e| e.message)?;
        (d, format!("value {value} ({})", info.dtype))
    };
    let p = plan_patch(info, &offset, &data, extend).map_err(|e| {
        // The backend words it for the CLI; here growing is the extend field's toggle.
        e.message.replace(
            "pass extend to grow it",
            "turn extend on (Space on its field) to grow it",
        )
    })?;
    let shape_line = if p.grows {
        format!("{} → {}", fmt_shape(&info.shape), fmt_shape(&p.new_shape))
    } else {
        format!("{} (unchanged)", fmt_shape(&info.shape))
    };
    let bytes = data.bytes.len() as u128;
    let preview = vec![
        PreviewLine::new("shape", shape_line),
        PreviewLine::new(
            "region",
            format!("at {} size {}", fmt_shape(&offset), fmt_shape(&data.shape)),
        ),
        PreviewLine::new("source", source),
        PreviewLine::new(
            "chunks touched",
            chunks_touched_text(&info.chunks, &offset, &data.shape),
        ),
        PreviewLine::new("bytes written", human_bytes(bytes)),
    ];
    Ok(Plan {
        preview,
        op: Operation::Patch {
            path: info.path.clone(),
            offset,
            data,
            extend,
        },
        confirm_text: None,
    })
}
