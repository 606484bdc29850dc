//! Delete: removes the array, or a group with everything in it; needs its name typed.

use crate::backend::{fmt_shape, ChunkState};

use super::{confirm_name, human_bytes, GroupTarget, Plan, PlanContext, PreviewLine};
use crate::app::action::Operation;

pub fn plan(ctx: PlanContext<'_>) -> Result<Plan, String> {
    let info = ctx.info.ok_or("no array is open")?;
    let chunks = match ctx.chunks.filter(|m| m.grid == info.chunk_grid()) {
        Some(m) if m.states.iter().any(|s| *s != ChunkState::Unknown) => {
            format!("{} written of {}", m.written(), m.states.len())
        }
        _ => "unknown".into(),
    };
    let preview = vec![
        PreviewLine::loss(
            "deletes",
            format!("'{}' {} {}", info.path, info.dtype, fmt_shape(&info.shape)),
        ),
        PreviewLine::loss("chunks erased", chunks),
        PreviewLine::loss(
            "data lost",
            format!(
                "up to {}",
                human_bytes(info.num_elements() * info.dtype.size() as u128)
            ),
        ),
    ];
    Ok(Plan {
        preview,
        op: Operation::Delete {
            path: info.path.clone(),
        },
        confirm_text: Some(confirm_name(&info.path)),
    })
}

/// Deleting a group takes every array and group under it.
pub fn plan_group(g: &GroupTarget) -> Plan {
    let plural = if g.arrays == 1 { "array" } else { "arrays" };
    let arrays = if g.more {
        format!(
            "at least {} {plural} (not all of the group is listed)",
            g.arrays
        )
    } else {
        format!("{} {plural}", g.arrays)
    };
    Plan {
        preview: vec![
            PreviewLine::loss(
                "deletes",
                format!("group '{}' and everything in it", g.path),
            ),
            PreviewLine::loss("arrays lost", arrays),
        ],
        op: Operation::Delete {
            path: g.path.clone(),
        },
        confirm_text: Some(confirm_name(&g.path)),
    }
}
