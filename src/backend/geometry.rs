//! N-d boxes of a regular chunk grid: walking every index of a box in C order, the chunks a
//! patch spans, the lock stripes of those chunks, and regions of elements (overlaps, the part
//! an extend adds). Pure arithmetic, shared by both backends
//! and the TUI, so there is one walker to get right.

use std::collections::BTreeSet;

/// Every index of the box `first..=last` in C order (the last axis fastest). Empty when some
/// axis has `first > last`; one empty index for a box of no axes (a scalar is one chunk).
#[derive(Debug, Clone)]
pub struct Boxes {
    first: Vec<u64>,
    last: Vec<u64>,
    next: Option<Vec<u64>>,
}

impl Boxes {
    /// The box `first..=last` (both inclusive, one entry per axis).
    pub fn new(first: &[u64], last: &[u64]) -> Boxes {
        let empty = first.len() != last.len() || first.iter().zip(last).any(|(f, l)| f > l);
        Boxes {
            first: first.to_vec(),
            last: last.to_vec(),
            next: (!empty).then(|| first.to_vec()),
        }
    }

    /// Every index of a grid of `grid` (`0..grid` per axis), in the order of [`unravel`].
    pub fn grid(grid: &[u64]) -> Boxes {
        let last: Vec<u64> = grid.iter().map(|g| g.saturating_sub(1)).collect();
        let mut boxes = Boxes::new(&vec![0; grid.len()], &last);
        if grid.contains(&0) {
            boxes.next = None;
        }
        boxes
    }
}

impl Iterator for Boxes {
    type Item = Vec<u64>;

    fn next(&mut self) -> Option<Vec<u64>> {
        let current = self.next.take()?;
        let mut idx = current.clone();
        // Odometer step: the last axis that is not at its end moves on, the later ones restart.
        for a in (0..idx.len()).rev() {
            if idx[a] < self.last[a] {
                idx[a] += 1;
                self.next = Some(idx);
                return Some(current);
            }
            idx[a] = self.first[a];
        }
        Some(current)
    }
}

/// The number of indices in the box `first..=last` (0 when it is empty), or None when it does
/// not fit a `u64`.
pub fn box_count(first: &[u64], last: &[u64]) -> Option<u64> {
    first.iter().zip(last).try_fold(1u64, |n, (&f, &l)| {
        if f > l {
            Some(0)
        } else {
            n.checked_mul((l - f).checked_add(1)?)
        }
    })
}

/// The C-order grid index of the `i`-th element of a grid of `grid` (the inverse of a linear
/// index such as [`crate::backend::ChunkMap::index`]).
pub fn unravel(mut i: u64, grid: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; grid.len()];
    for a in (0..grid.len()).rev() {
        let g = grid[a].max(1);
        out[a] = i % g;
        i /= g;
    }
    out
}

/// The chunks (first and last, inclusive) that the box at `offset` of `shape` touches in a
/// grid of `chunks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSpan {
    /// The first chunk index on each axis.
    pub first: Vec<u64>,
    /// The last chunk index on each axis (inclusive).
    pub last: Vec<u64>,
}

impl ChunkSpan {
    /// How many chunks the box touches (None when that does not fit a `u64`).
    pub fn count(&self) -> Option<u64> {
        box_count(&self.first, &self.last)
    }

    /// Every chunk the box touches, in C order.
    pub fn iter(&self) -> Boxes {
        Boxes::new(&self.first, &self.last)
    }
}

/// The chunks of a grid of `chunks` that the box at `offset` of `shape` touches; None when the
/// box is empty or the three disagree on the number of axes. A zero-length chunk axis counts
/// as length one.
pub fn chunk_span(offset: &[u64], shape: &[u64], chunks: &[u64]) -> Option<ChunkSpan> {
    if shape.contains(&0) || offset.len() != shape.len() || chunks.len() != shape.len() {
        return None;
    }
    let first = offset.iter().zip(chunks).map(|(&o, &c)| o / c.max(1));
    let last = offset
        .iter()
        .zip(shape)
        .zip(chunks)
        .map(|((&o, &s), &c)| o.saturating_add(s - 1) / c.max(1));
    Some(ChunkSpan {
        first: first.collect(),
        last: last.collect(),
    })
}

/// How many chunks of a grid of `chunks` the box at `offset` of `shape` touches: 0 for an
/// empty box (or one whose axes disagree), None when the count does not fit a `u64`.
pub fn chunks_touched(offset: &[u64], shape: &[u64], chunks: &[u64]) -> Option<u64> {
    chunk_span(offset, shape, chunks).map_or(Some(0), |span| span.count())
}

/// The part of chunk `chunk` (of a grid of `chunks`) that lies inside an array of shape
/// `edge`: its size per axis, or None when the chunk lies wholly past the edge.
pub fn chunk_within(chunk: &[u64], chunks: &[u64], edge: &[u64]) -> Option<Vec<u64>> {
    chunk
        .iter()
        .zip(chunks)
        .zip(edge)
        .map(|((&i, &c), &e)| {
            let origin = i.saturating_mul(c);
            (origin < e).then(|| c.min(e - origin))
        })
        .collect()
}

/// An N-d region of elements: its start and size per axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The first element on each axis.
    pub start: Vec<u64>,
    /// The length on each axis.
    pub shape: Vec<u64>,
}

impl Region {
    /// The region of `shape` elements from `start`.
    pub fn new(start: Vec<u64>, shape: Vec<u64>) -> Region {
        Region { start, shape }
    }

    /// How many elements it holds.
    pub fn elements(&self) -> u64 {
        self.shape.iter().product()
    }

    /// True when some axis has length zero.
    pub fn is_empty(&self) -> bool {
        self.shape.contains(&0)
    }

    /// The region both cover, or None when they do not overlap.
    pub fn intersect(&self, other: &Region) -> Option<Region> {
        let mut start = Vec::with_capacity(self.start.len());
        let mut shape = Vec::with_capacity(self.start.len());
        let axes = self.start.iter().zip(&self.shape);
        for ((&s1, &n1), (&s2, &n2)) in axes.zip(other.start.iter().zip(&other.shape)) {
            let s = s1.max(s2);
            let e = s1.saturating_add(n1).min(s2.saturating_add(n2));
            if e <= s {
                return None;
            }
            start.push(s);
            shape.push(e - s);
        }
        Some(Region { start, shape })
    }
}

/// The region of `new` that is not in `old` (every axis of `new` ≥ `old`), as disjoint regions:
/// for axis a, the slab `old[a]..new[a]` on a, `0..old[b]` on earlier axes, `0..new[b]` on later.
pub fn grown_region(old: &[u64], new: &[u64]) -> Vec<Region> {
    let n = old.len().min(new.len());
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
        let r = Region { start, shape };
        if !r.is_empty() {
            out.push(r);
        }
    }
    out
}

/// The lock stripe of a chunk: FNV-1a over its indices, so the same chunk always maps to the
/// same one of `stripes` lock files.
pub(crate) fn chunk_stripe(chunk: &[u64], stripes: u64) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &i in chunk {
        h ^= i;
        h = h.wrapping_mul(0x100000001b3);
    }
    h % stripes
}

/// The stripes of every chunk (of a regular grid of `chunks`) that the box at `offset` of
/// `shape` touches; every stripe when it touches more chunks than there are stripes.
pub(crate) fn box_stripes(
    chunks: &[u64],
    offset: &[u64],
    shape: &[u64],
    stripes: u64,
) -> BTreeSet<u64> {
    if chunks.contains(&0) {
        return BTreeSet::new();
    }
    let Some(span) = chunk_span(offset, shape, chunks) else {
        return BTreeSet::new();
    };
    if span.count().is_none_or(|n| n > stripes) {
        return (0..stripes).collect();
    }
    span.iter()
        .map(|chunk| chunk_stripe(&chunk, stripes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn grown_region_covers_the_new_part_once() {
        let r = grown_region(&[2, 3], &[4, 5]);
        assert_eq!(
            r,
            vec![
                Region::new(vec![2, 0], vec![2, 5]),
                Region::new(vec![0, 3], vec![2, 2])
            ]
        );
        assert!(grown_region(&[2, 3], &[2, 3]).is_empty());
    }

    proptest! {
        #[test]
        fn grown_region_partitions(old in proptest::collection::vec(0u64..5, 1..4),
                                   add in proptest::collection::vec(0u64..4, 3)) {
            let new: Vec<u64> = old.iter().zip(&add).map(|(o, a)| o + a).collect();
            let regions = grown_region(&old, &new);
            // Count cover of every cell of `new`: cells in `old` 0 times, others exactly once.
            for idx in Boxes::grid(&new) {
                let inside_old = idx.iter().zip(&old).all(|(i, o)| i < o);
                let inside = |r: &&Region| {
                    idx.iter().zip(&r.start).zip(&r.shape).all(|((&i, &s), &n)| i >= s && i < s + n)
                };
                let cover = regions.iter().filter(inside).count();
                prop_assert_eq!(cover, if inside_old { 0 } else { 1 });
            }
        }
    }

    #[test]
    fn box_stripes_cover_the_touched_chunks() {
        // Rows 3..5 of chunks of 2 rows: chunks 1 and 2.
        let got = box_stripes(&[2, 10], &[3, 0], &[2, 10], 64);
        let want: BTreeSet<u64> = [chunk_stripe(&[1, 0], 64), chunk_stripe(&[2, 0], 64)].into();
        assert_eq!(got, want);
        assert!(box_stripes(&[2, 10], &[3, 0], &[0, 10], 64).is_empty());
        assert_eq!(box_stripes(&[1, 1], &[0, 0], &[100, 100], 64).len(), 64);
        // Scalars (no axes) are one chunk.
        assert_eq!(box_stripes(&[], &[], &[], 64).len(), 1);
        assert!(chunk_stripe(&[3, 4], 64) < 64);
    }

    #[test]
    fn boxes_walk_in_c_order() {
        let all: Vec<Vec<u64>> = Boxes::new(&[0, 1], &[1, 2]).collect();
        assert_eq!(all, vec![vec![0, 1], vec![0, 2], vec![1, 1], vec![1, 2]]);
        assert_eq!(
            Boxes::new(&[0, 1], &[1, 1]).collect::<Vec<_>>(),
            vec![vec![0, 1], vec![1, 1]]
        );
        assert_eq!(
            Boxes::new(&[], &[]).collect::<Vec<_>>(),
            vec![Vec::<u64>::new()]
        );
        assert_eq!(Boxes::new(&[2], &[1]).count(), 0);
        assert_eq!(Boxes::grid(&[2, 0]).count(), 0);
        // The grid walk is the linear order of a chunk map.
        let grid = [3, 1, 4];
        for (i, idx) in Boxes::grid(&grid).enumerate() {
            assert_eq!(unravel(i as u64, &grid), idx);
        }
        assert_eq!(Boxes::grid(&grid).count(), 12);
        assert_eq!(box_count(&[1, 0], &[2, 5]), Some(12));
        assert_eq!(box_count(&[0, 0], &[u64::MAX, 1]), None);
    }

    #[test]
    fn spans_of_patches() {
        let span = chunk_span(&[1, 0], &[2, 3], &[2, 2]).unwrap();
        assert_eq!(span.first, vec![0, 0]);
        assert_eq!(span.last, vec![1, 1]);
        assert_eq!(span.count(), Some(4));
        assert_eq!(span.iter().count(), 4);
        assert_eq!(chunk_span(&[0], &[0], &[10]), None);
        assert_eq!(chunks_touched(&[1, 0], &[2, 4], &[2, 2]), Some(4));
        assert_eq!(chunks_touched(&[0], &[0], &[10]), Some(0));
        assert_eq!(
            chunks_touched(&[0, 0], &[u64::MAX, u64::MAX], &[1, 1]),
            None
        );
        assert_eq!(chunk_span(&[0, 0], &[1], &[1, 1]), None);
        assert_eq!(chunk_span(&[5], &[1], &[0]).unwrap().first, vec![5]);
    }

    #[test]
    fn chunks_within_an_edge() {
        // Chunks of 4 in an array of 10: the third is cut to 2, the fourth is past the edge.
        assert_eq!(chunk_within(&[0], &[4], &[10]), Some(vec![4]));
        assert_eq!(chunk_within(&[2], &[4], &[10]), Some(vec![2]));
        assert_eq!(chunk_within(&[3], &[4], &[10]), None);
        assert_eq!(chunk_within(&[1, 0], &[4, 4], &[10, 0]), None);
        assert_eq!(chunk_within(&[], &[], &[]), Some(vec![]));
    }
}
