//! Pieces of a write: request-sized regions, and the bytes of one piece (fill overlaid with
//! the patch).

use crate::backend::data::copy_box;
// The writer's regions and the region an extend adds are shared geometry; one import for both.
pub(super) use crate::backend::geometry::{grown_region, Region};

/// Cuts a box into pieces of at most `max_bytes` (never below one element), in C order, by
/// halving along the outermost axis longer than 1.
pub(super) fn split(b: &Region, elem: usize, max_bytes: u64) -> Vec<Region> {
    if b.is_empty() {
        return Vec::new();
    }
    let bytes = b.elements().saturating_mul(elem as u64);
    let Some(axis) = b.shape.iter().position(|&s| s > 1) else {
        return vec![b.clone()];
    };
    if bytes <= max_bytes {
        return vec![b.clone()];
    }
    // Rows of the split axis that fit; at least one.
    let row_bytes = bytes / b.shape[axis];
    let rows = (max_bytes / row_bytes.max(1)).max(1);
    if rows == 1 && row_bytes > max_bytes {
        // One row is too big: split each row further.
        let mut out = Vec::new();
        for i in 0..b.shape[axis] {
            let mut start = b.start.clone();
            let mut shape = b.shape.clone();
            start[axis] += i;
            shape[axis] = 1;
            out.extend(split(&Region { start, shape }, elem, max_bytes));
        }
        return out;
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.shape[axis] {
        let take = rows.min(b.shape[axis] - i);
        let mut start = b.start.clone();
        let mut shape = b.shape.clone();
        start[axis] += i;
        shape[axis] = take;
        out.push(Region { start, shape });
        i += take;
    }
    out
}

/// The bytes of `piece`: `fill` everywhere, overlaid with the patch `bytes` of `shape` (placed
/// at `offset`) where the two overlap. Little-endian, C order.
pub(super) fn materialize(
    piece: &Region,
    fill: &[u8],
    offset: &[u64],
    shape: &[u64],
    bytes: &[u8],
) -> Vec<u8> {
    let elem = fill.len();
    let patch = Region::new(offset.to_vec(), shape.to_vec());
    if *piece == patch {
        return bytes.to_vec();
    }
    let mut buf = fill.repeat(piece.elements() as usize);
    if let Some(common) = piece.intersect(&patch) {
        let src: Vec<u64> = common
            .start
            .iter()
            .zip(offset)
            .map(|(c, o)| c - o)
            .collect();
        let dst: Vec<u64> = common
            .start
            .iter()
            .zip(&piece.start)
            .map(|(c, p)| c - p)
            .collect();
        copy_box(
            bytes,
            shape,
            &src,
            &mut buf,
            &piece.shape,
            &dst,
            &common.shape,
            elem,
        );
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ArrayData;
    use crate::backend::DType;
    use proptest::prelude::*;

    #[test]
    fn materialize_overlays() {
        let d = ArrayData::new(DType::UInt8, vec![1, 2], vec![7, 8]).unwrap();
        let piece = Region::new(vec![2, 0], vec![2, 3]);
        let b = materialize(&piece, &[9], &[3, 1], &d.shape, &d.bytes);
        assert_eq!(b, vec![9, 9, 9, 9, 7, 8]);
    }

    proptest! {
        #[test]
        fn split_partitions_and_bounds(shape in proptest::collection::vec(1u64..9, 1..4),
                                       elem in prop_oneof![Just(1usize), Just(8usize)],
                                       max in 1u64..200) {
            let b = Region::new(vec![1; shape.len()], shape.clone());
            let parts = split(&b, elem, max);
            let sum: u64 = parts.iter().map(|p| p.elements()).sum();
            prop_assert_eq!(sum, b.elements());
            for p in &parts {
                prop_assert!(p.elements() * elem as u64 <= max.max(elem as u64));
                prop_assert_eq!(p.intersect(&b), Some(p.clone()));
            }
            for (i, p) in parts.iter().enumerate() {
                for q in &parts[i + 1..] {
                    prop_assert!(p.intersect(q).is_none());
                }
            }
        }
    }
}
