//! Box geometry for writes: the region an extend adds, request-sized pieces, and the bytes of
//! one piece (fill overlaid with the patch).

use crate::backend::data::copy_box;

/// An N-d box: start and size per axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Box {
    pub start: Vec<u64>,
    pub shape: Vec<u64>,
}

impl Box {
    pub fn new(start: Vec<u64>, shape: Vec<u64>) -> Box {
        Box { start, shape }
    }

    pub fn elements(&self) -> u64 {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.shape.contains(&0)
    }

    pub fn intersect(&self, other: &Box) -> Option<Box> {
        let mut start = Vec::with_capacity(self.start.len());
        let mut shape = Vec::with_capacity(self.start.len());
        for a in 0..self.start.len() {
            let s = self.start[a].max(other.start[a]);
            let e = (self.start[a] + self.shape[a]).min(other.start[a] + other.shape[a]);
            if e <= s {
                return None;
            }
            start.push(s);
            shape.push(e - s);
        }
        Some(Box { start, shape })
    }
}

/// The region of `new` that is not in `old` (every axis of `new` ≥ `old`), as disjoint boxes:
/// for axis a, the slab `old[a]..new[a]` on a, `0..old[b]` on earlier axes, `0..new[b]` on later.
pub(super) fn grown_region(old: &[u64], new: &[u64]) -> Vec<Box> {
    let n = old.len();
    let mut out = Vec::new();
    for a in 0..n {
        if new[a] <= old[a] {
            continue;
        }
        let mut start = vec![0; n];
        let mut shape = vec![0; n];
        for b in 0..n {
            match b.cmp(&a) {
                std::cmp::Ordering::Less => shape[b] = old[b],
                std::cmp::Ordering::Equal => {
                    start[b] = old[b];
                    shape[b] = new[b] - old[b];
                }
                std::cmp::Ordering::Greater => shape[b] = new[b],
            }
        }
        let b = Box { start, shape };
        if !b.is_empty() {
            out.push(b);
        }
    }
    out
}

/// Cuts a box into pieces of at most `max_bytes` (never below one element), in C order, by
/// halving along the outermost axis longer than 1.
pub(super) fn split(b: &Box, elem: usize, max_bytes: u64) -> Vec<Box> {
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
            out.extend(split(&Box { start, shape }, elem, max_bytes));
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
        out.push(Box { start, shape });
        i += take;
    }
    out
}

/// The bytes of `piece`: `fill` everywhere, overlaid with the patch `bytes` of `shape` (placed
/// at `offset`) where the two overlap. Little-endian, C order.
pub(super) fn materialize(
    piece: &Box,
    fill: &[u8],
    offset: &[u64],
    shape: &[u64],
    bytes: &[u8],
) -> Vec<u8> {
    let elem = fill.len();
    let patch = Box::new(offset.to_vec(), shape.to_vec());
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
    fn grown_region_covers_the_new_part_once() {
        let r = grown_region(&[2, 3], &[4, 5]);
        assert_eq!(
            r,
            vec![
                Box::new(vec![2, 0], vec![2, 5]),
                Box::new(vec![0, 3], vec![2, 2])
            ]
        );
        assert!(grown_region(&[2, 3], &[2, 3]).is_empty());
    }

    #[test]
    fn materialize_overlays() {
        let d = ArrayData::new(DType::UInt8, vec![1, 2], vec![7, 8]).unwrap();
        let piece = Box::new(vec![2, 0], vec![2, 3]);
        let b = materialize(&piece, &[9], &[3, 1], &d.shape, &d.bytes);
        assert_eq!(b, vec![9, 9, 9, 9, 7, 8]);
    }

    proptest! {
        #[test]
        fn grown_region_partitions(old in proptest::collection::vec(0u64..5, 1..4),
                                   add in proptest::collection::vec(0u64..4, 3)) {
            let new: Vec<u64> = old.iter().zip(&add).map(|(o, a)| o + a).collect();
            let boxes = grown_region(&old, &new);
            // Count cover of every cell of `new`: cells in `old` 0 times, others exactly once.
            let n = old.len();
            let total: u64 = new.iter().product();
            for lin in 0..total {
                let mut idx = vec![0u64; n];
                let mut r = lin;
                for a in (0..n).rev() { idx[a] = r % new[a]; r /= new[a]; }
                let inside_old = idx.iter().zip(&old).all(|(i, o)| i < o);
                let cover = boxes.iter().filter(|b| (0..n).all(|a| idx[a] >= b.start[a] && idx[a] < b.start[a] + b.shape[a])).count();
                prop_assert_eq!(cover, if inside_old { 0 } else { 1 });
            }
        }

        #[test]
        fn split_partitions_and_bounds(shape in proptest::collection::vec(1u64..9, 1..4),
                                       elem in prop_oneof![Just(1usize), Just(8usize)],
                                       max in 1u64..200) {
            let b = Box::new(vec![1; shape.len()], shape.clone());
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
