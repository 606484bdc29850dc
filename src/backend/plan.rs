//! Write planning shared by every backend: the checks a patch or a resize must pass, and what
//! it will do, worked out before any byte is written. Also the rules for node paths.

use super::geometry::{chunk_within, Boxes};
use super::{fmt_shape, ArrayData, ArrayInfo, ChunkMap, ChunkState, Error, Result};

/// The plan for a patch, computed before anything is written.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPlan {
    /// The shape after the patch (equal to the current shape when it fits).
    pub new_shape: Vec<u64>,
    /// Whether the patch grows the array.
    pub grows: bool,
}

/// Checks a patch against an array's structure: dtype, ndim, overflow, bounds, resizable.
/// Returns the shape the array will have afterwards. Pure: nothing is written.
pub fn plan_patch(
    info: &ArrayInfo,
    offset: &[u64],
    data: &ArrayData,
    extend: bool,
) -> Result<PatchPlan> {
    if data.dtype != info.dtype {
        return Err(Error::dtype_mismatch(format!(
            "data is {} but array '{}' is {}; nothing was written",
            data.dtype, info.path, info.dtype
        )));
    }
    let n = info.ndim();
    if data.shape.len() != n {
        return Err(Error::shape_mismatch(format!(
            "data has {} axes (shape {}) but array '{}' has {n} (shape {}); nothing was written",
            data.shape.len(),
            fmt_shape(&data.shape),
            info.path,
            fmt_shape(&info.shape)
        )));
    }
    if offset.len() != n {
        return Err(Error::shape_mismatch(format!(
            "offset {} has {} axes but array '{}' has {n}; nothing was written",
            fmt_shape(offset),
            offset.len(),
            info.path
        )));
    }
    let mut new_shape = info.shape.clone();
    for axis in 0..n {
        let end = offset[axis].checked_add(data.shape[axis]).ok_or_else(|| {
            Error::invalid_input(format!(
                "offset {} + size {} overflows on axis {axis}",
                offset[axis], data.shape[axis]
            ))
        })?;
        if end > info.shape[axis] {
            new_shape[axis] = end;
        }
    }
    checked_elements(&new_shape)?;
    let grows = new_shape != info.shape;
    if grows {
        if !extend {
            let axes: Vec<String> = (0..n)
                .filter(|&a| new_shape[a] > info.shape[a])
                .map(|a| {
                    format!(
                        "axis {a}: {}..{} > {}",
                        offset[a],
                        offset[a] + data.shape[a],
                        info.shape[a]
                    )
                })
                .collect();
            return Err(Error::out_of_bounds(format!(
                "patch at {} of shape {} goes past the shape {} of '{}' ({}); pass extend to grow it; nothing was written",
                fmt_shape(offset),
                fmt_shape(&data.shape),
                fmt_shape(&info.shape),
                info.path,
                axes.join(", ")
            )));
        }
        check_resizable(info, &new_shape)?;
    }
    Ok(PatchPlan { new_shape, grows })
}

/// The plan for a resize, computed before anything is written: the shapes, and what a
/// shrink loses. Both the resize dialog and `extent resize` show these numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResizePlan {
    /// The shape before.
    pub old_shape: Vec<u64>,
    /// The shape after.
    pub new_shape: Vec<u64>,
    /// The array's chunk shape.
    pub chunks: Vec<u64>,
    /// Some axis gets shorter: what lies past the new edge is erased.
    pub shrinks: bool,
    /// Some axis gets longer: the new elements read as the fill value.
    pub grows: bool,
    /// Elements of the old shape that lie outside the new one.
    pub elements_lost: u64,
    /// Their size in bytes.
    pub bytes_lost: u64,
    /// Chunks of the old grid wholly past the new edge: erased where they hold data.
    pub chunks_erased: u64,
    /// Chunks that straddle the new edge on an axis that shrinks: where they hold data, the
    /// part past the edge is reset to the fill value.
    pub chunks_cleared: u64,
}

/// Of the chunks that hold data, those a resize erases and those it clears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChunkLoss {
    /// Written chunks wholly past the new edge.
    pub erased: u64,
    /// Written chunks straddling the new edge on an axis that shrinks.
    pub cleared: u64,
}

impl ResizePlan {
    /// Whether the shape changes at all.
    pub fn changes(&self) -> bool {
        self.old_shape != self.new_shape
    }

    /// Of the chunks `map` (the array's chunk map before the resize) marks written, those this
    /// resize erases and clears.
    pub fn written_loss(&self, map: &ChunkMap) -> ChunkLoss {
        let mut loss = ChunkLoss::default();
        for (chunk, state) in Boxes::grid(&map.grid).zip(&map.states) {
            if *state != ChunkState::Written {
                continue;
            }
            match chunk_within(&chunk, &self.chunks, &self.new_shape) {
                None => loss.erased += 1,
                Some(keep) if self.straddles(&keep) => loss.cleared += 1,
                Some(_) => {}
            }
        }
        loss
    }

    /// A chunk whose part inside the new shape is `keep` is cut on an axis that shrinks.
    fn straddles(&self, keep: &[u64]) -> bool {
        keep.iter()
            .zip(&self.chunks)
            .zip(self.new_shape.iter().zip(&self.old_shape))
            .any(|((k, c), (new, old))| k < c && new < old)
    }
}

/// Checks a resize (ndim, overflow, only resizable axes change) and works out what it loses.
/// Pure: nothing is written.
pub fn plan_resize(info: &ArrayInfo, new_shape: &[u64]) -> Result<ResizePlan> {
    if new_shape.len() != info.ndim() {
        return Err(Error::shape_mismatch(format!(
            "new shape {} has {} axes but '{}' has {} (shape {})",
            fmt_shape(new_shape),
            new_shape.len(),
            info.path,
            info.ndim(),
            fmt_shape(&info.shape)
        )));
    }
    checked_elements(new_shape)?;
    check_resizable(info, new_shape)?;
    let old = &info.shape;
    // Saturating: a shape read from a store may be absurd, and a preview must not panic.
    let product =
        |v: &mut dyn Iterator<Item = u64>| v.fold(1u128, |n, x| n.saturating_mul(u128::from(x)));
    let clamp = |n: u128| u64::try_from(n).unwrap_or(u64::MAX);
    let lost = product(&mut old.iter().copied())
        - product(&mut old.iter().zip(new_shape).map(|(&o, &n)| o.min(n)));
    // Chunk counts by axis: the old grid, the part of it the new shape keeps, and of that the
    // part no shrinking axis cuts.
    let chunk = |a: usize| info.chunks.get(a).copied().unwrap_or(1).max(1);
    let grid: Vec<u64> = (0..old.len()).map(|a| old[a].div_ceil(chunk(a))).collect();
    let kept: Vec<u64> = (0..old.len())
        .map(|a| grid[a].min(new_shape[a].div_ceil(chunk(a))))
        .collect();
    let whole = (0..old.len()).map(|a| {
        let cut = new_shape[a] < old[a] && !new_shape[a].is_multiple_of(chunk(a));
        kept[a] - u64::from(cut && kept[a] > 0)
    });
    let kept_chunks = product(&mut kept.iter().copied());
    Ok(ResizePlan {
        old_shape: old.clone(),
        new_shape: new_shape.to_vec(),
        chunks: info.chunks.clone(),
        shrinks: old.iter().zip(new_shape).any(|(o, n)| n < o),
        grows: old.iter().zip(new_shape).any(|(o, n)| n > o),
        elements_lost: clamp(lost),
        bytes_lost: clamp(lost.saturating_mul(info.dtype.size() as u128)),
        chunks_erased: clamp(product(&mut grid.iter().copied()) - kept_chunks),
        chunks_cleared: clamp(kept_chunks - product(&mut whole.into_iter())),
    })
}

fn check_resizable(info: &ArrayInfo, new_shape: &[u64]) -> Result<()> {
    for (axis, (&old, &new)) in info.shape.iter().zip(new_shape).enumerate() {
        if old != new && !info.resizable.get(axis).copied().unwrap_or(true) {
            return Err(Error::not_resizable(format!(
                "axis {axis} of '{}' is not resizable (it would change {old} -> {new}); nothing was written",
                info.path
            )));
        }
    }
    Ok(())
}

/// Number of elements of a shape, refusing shapes whose byte size cannot be addressed.
pub fn checked_elements(shape: &[u64]) -> Result<u64> {
    shape
        .iter()
        .try_fold(1u64, |acc, &s| acc.checked_mul(s))
        .filter(|&n| n <= (1u64 << 60))
        .ok_or_else(|| Error::invalid_input(format!("shape {} is too large", fmt_shape(shape))))
}

/// Checks an array or group path: relative, `/`-separated names, no `.`/`..`, no NUL,
/// no backslashes. The root is the empty string.
pub fn validate_path(path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(Error::invalid_input("the path is empty"));
    }
    for part in path.split('/') {
        let bad = part.is_empty()
            || part == "."
            || part == ".."
            || part.starts_with('.')
            || part.contains('\0')
            || part.contains('\\')
            || part.chars().any(|c| c.is_control());
        if bad {
            return Err(Error::invalid_input(format!(
                "invalid path '{}': use names separated by '/', without '.', '..', leading dots or control characters",
                path.escape_debug()
            )));
        }
    }
    Ok(())
}

/// Normalises a user-typed path: trims spaces and leading/trailing slashes.
pub fn normalize_path(path: &str) -> String {
    path.trim().trim_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{DType, ErrorKind};

    fn info(shape: &[u64], resizable: &[bool]) -> ArrayInfo {
        ArrayInfo {
            path: "a".into(),
            shape: shape.to_vec(),
            chunks: vec![2; shape.len()],
            dtype: DType::Float64,
            resizable: resizable.to_vec(),
            fill_value: 0.into(),
            metadata: serde_json::json!({}),
        }
    }

    #[test]
    fn plan_patch_rules() {
        let a = info(&[4, 3], &[true, false]);
        let d = ArrayData::filled(DType::Float64, &[2, 3], &1.0.into()).unwrap();
        let p = plan_patch(&a, &[2, 0], &d, false).unwrap();
        assert!(!p.grows);
        let e = plan_patch(&a, &[6, 0], &d, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::OutOfBounds);
        let p = plan_patch(&a, &[6, 0], &d, true).unwrap();
        assert_eq!(p.new_shape, vec![8, 3]);
        let e = plan_patch(&a, &[0, 1], &d, true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotResizable);
        let e = plan_patch(&a, &[u64::MAX, 0], &d, true).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        let i = ArrayData::filled(DType::Int32, &[2, 3], &1.into()).unwrap();
        assert_eq!(
            plan_patch(&a, &[0, 0], &i, true).unwrap_err().kind,
            ErrorKind::DtypeMismatch
        );
        let d1 = ArrayData::filled(DType::Float64, &[3], &1.0.into()).unwrap();
        assert_eq!(
            plan_patch(&a, &[0], &d1, true).unwrap_err().kind,
            ErrorKind::ShapeMismatch
        );
    }

    #[test]
    fn resize_plans_count_the_loss() {
        // 10x6 in chunks of 4x4 (a 3x2 grid) shrunk to 5x6: rows 5..10 are lost.
        let mut a = info(&[10, 6], &[true, true]);
        a.chunks = vec![4, 4];
        let p = plan_resize(&a, &[5, 6]).unwrap();
        assert!(p.shrinks && !p.grows && p.changes());
        assert_eq!(p.elements_lost, 30);
        assert_eq!(p.bytes_lost, 240);
        // Grid row 2 goes; grid row 1 (rows 4..8) is cut at row 5.
        assert_eq!((p.chunks_erased, p.chunks_cleared), (2, 2));
        let mut map = ChunkMap::new(vec![3, 2], ChunkState::Missing);
        for i in [0, 2, 4, 5] {
            map.states[i] = ChunkState::Written;
        }
        assert_eq!(
            p.written_loss(&map),
            ChunkLoss {
                erased: 2,
                cleared: 1
            }
        );
        // Growing loses nothing; the same shape changes nothing.
        let g = plan_resize(&a, &[12, 6]).unwrap();
        assert!(g.grows && !g.shrinks);
        assert_eq!(
            (g.elements_lost, g.chunks_erased, g.chunks_cleared),
            (0, 0, 0)
        );
        assert!(!plan_resize(&a, &[10, 6]).unwrap().changes());
        let fixed = info(&[4, 3], &[true, false]);
        assert_eq!(
            plan_resize(&fixed, &[4, 2]).unwrap_err().kind,
            ErrorKind::NotResizable
        );
        assert_eq!(
            plan_resize(&fixed, &[4]).unwrap_err().kind,
            ErrorKind::ShapeMismatch
        );
    }

    #[test]
    fn resize_plan_counts_match_a_walk_of_the_grid() {
        for (old, new, chunks) in [
            ([7u64, 5, 3], [3u64, 9, 1], [2u64, 3, 2]),
            ([8, 8, 8], [4, 8, 0], [4, 3, 5]),
            ([1, 9, 4], [1, 2, 4], [1, 4, 1]),
        ] {
            let mut a = info(&old, &[true; 3]);
            a.chunks = chunks.to_vec();
            let p = plan_resize(&a, &new).unwrap();
            let all = ChunkMap::new(a.chunk_grid(), ChunkState::Written);
            let walked = p.written_loss(&all);
            assert_eq!(
                (walked.erased, walked.cleared),
                (p.chunks_erased, p.chunks_cleared),
                "{old:?} -> {new:?} in chunks {chunks:?}"
            );
        }
    }

    #[test]
    fn paths_are_checked() {
        for bad in [
            "",
            "/a",
            "a/../b",
            "..",
            "a//b",
            "a/.hidden",
            "a\0b",
            "a\\b",
        ] {
            assert!(validate_path(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "a/b", "det-1/frames_2"] {
            validate_path(good).unwrap();
        }
    }
}
