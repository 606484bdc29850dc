//! Extend: append N along an axis (a resize recorded with cause `extend`).

use crate::backend::{fmt_shape, plan_resize, ArrayInfo, Cause};

use super::{Field, Plan, PlanContext, PreviewLine};
use crate::app::action::Operation;

pub const AXIS: &str = "axis";
pub const COUNT: &str = "append";

pub fn fields(info: Option<&ArrayInfo>) -> Vec<Field> {
    let axis = info
        .and_then(|i| i.resizable.iter().position(|&r| r))
        .unwrap_or(0);
    vec![
        Field::text(AXIS, axis.to_string(), "which axis grows"),
        Field::text(COUNT, "1", "how many elements to append"),
    ]
}

pub fn plan(fields: &[Field], ctx: PlanContext<'_>) -> Result<Plan, String> {
    let info = ctx.info.ok_or("no array is open")?;
    let get = |l: &str| {
        fields
            .iter()
            .find(|f| f.label == l)
            .map(|f| f.text.trim())
            .unwrap_or("")
    };
    let axis: usize = get(AXIS).parse().map_err(|_| {
        format!(
            "axis must be a number from 0 to {}",
            info.ndim().saturating_sub(1)
        )
    })?;
    if axis >= info.ndim() {
        return Err(format!(
            "axis {axis} does not exist: '{}' has {} axes (0..{})",
            info.path,
            info.ndim(),
            info.ndim() - 1
        ));
    }
    let n: u64 = get(COUNT)
        .parse()
        .map_err(|_| "append must be a whole number of elements".to_string())?;
    if n == 0 {
        return Err("append at least 1 element".into());
    }
    let mut shape = info.shape.clone();
    shape[axis] = shape[axis]
        .checked_add(n)
        .ok_or_else(|| "the new length overflows".to_string())?;
    plan_resize(info, &shape).map_err(|e| e.message)?;
    let old_grid: u128 = info.chunk_grid().iter().map(|&g| g as u128).product();
    let mut grown = info.clone();
    grown.shape = shape.clone();
    let new_grid: u128 = grown.chunk_grid().iter().map(|&g| g as u128).product();
    let preview = vec![
        PreviewLine::new(
            "shape",
            format!("{} → {}", fmt_shape(&info.shape), fmt_shape(&shape)),
        ),
        PreviewLine::new("chunk grid", format!("{old_grid} → {new_grid} chunks")),
        PreviewLine::new(
            "bytes written",
            format!("0 (new elements read as fill {})", info.fill_value),
        ),
    ];
    Ok(Plan {
        preview,
        op: Operation::Resize {
            path: info.path.clone(),
            shape,
            cause: Cause::Extend,
        },
        confirm_text: None,
    })
}
