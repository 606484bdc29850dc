//! Resize: grow or shrink. Shrinking shows what is lost and needs the array's name typed.

use crate::backend::{
    fmt_shape, parse_shape, plan_resize, ArrayInfo, Cause, ChunkState, ResizePlan,
};

use super::{confirm_name, human_bytes, Field, Plan, PlanContext, PreviewLine};
use crate::app::action::Operation;

pub const SHAPE: &str = "new shape";

pub fn fields(info: Option<&ArrayInfo>) -> Vec<Field> {
    let shape = info
        .map(|i| {
            i.shape
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    vec![Field::text(SHAPE, shape, "e.g. 10,3")]
}

pub fn plan(fields: &[Field], ctx: PlanContext<'_>) -> Result<Plan, String> {
    let info = ctx.info.ok_or("no array is open")?;
    let text = fields
        .iter()
        .find(|f| f.label == SHAPE)
        .map(|f| f.text.as_str())
        .unwrap_or("");
    let shape = parse_shape(text).map_err(|e| e.message)?;
    let resize = plan_resize(info, &shape).map_err(|e| e.message)?;
    if !resize.changes() {
        return Err(format!("{} is already the shape", fmt_shape(&shape)));
    }
    let shrinks = resize.shrinks;
    if shrinks && !ctx.capabilities.can_shrink {
        return Err("this store cannot shrink arrays (not supported by this backend); only growing is possible".into());
    }
    let mut preview = vec![PreviewLine::new(
        "shape",
        format!("{} → {}", fmt_shape(&info.shape), fmt_shape(&shape)),
    )];
    if shrinks {
        preview.push(PreviewLine::loss(
            "elements lost",
            format!(
                "{} ({} erased)",
                resize.elements_lost,
                human_bytes(resize.bytes_lost.into())
            ),
        ));
        let (erased, cleared) = lost_chunks(info, &resize, ctx);
        preview.push(PreviewLine::loss("chunks erased", erased));
        preview.push(PreviewLine::loss("edge chunks cleared", cleared));
        preview.push(PreviewLine::new(
            "note",
            "growing back reads fill, not the old data",
        ));
    } else {
        preview.push(PreviewLine::new(
            "bytes written",
            format!("0 (new elements read as fill {})", info.fill_value),
        ));
    }
    Ok(Plan {
        preview,
        op: Operation::Resize {
            path: info.path.clone(),
            shape,
            cause: Cause::Resize,
        },
        confirm_text: shrinks.then(|| confirm_name(&info.path)),
    })
}

/// Written chunks past the new edge (erased) and straddling it (cleared), from the chunk map.
fn lost_chunks(info: &ArrayInfo, resize: &ResizePlan, ctx: PlanContext<'_>) -> (String, String) {
    let Some(map) = ctx.chunks.filter(|m| m.grid == info.chunk_grid()) else {
        return ("unknown (no chunk map)".into(), "unknown".into());
    };
    if map.states.iter().all(|s| *s == ChunkState::Unknown) {
        return (
            "unknown (this store does not list chunks)".into(),
            "unknown".into(),
        );
    }
    let loss = resize.written_loss(map);
    (
        format!("{} written chunk(s)", loss.erased),
        format!("{} written chunk(s)", loss.cleared),
    )
}
