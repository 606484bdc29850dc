//! The chunk map projected onto the two axes the grid shows, with a summed-area table so the
//! grid widget answers "how many written chunks under this cell" in O(1): drawing a frame costs
//! per cell, not per chunk. Built once per chunk-map change (O(chunks in the plane)).

use crate::backend::{ChunkMap, ChunkState};

/// Above this many plane cells the table is built over blocks of chunks.
const MAX_TABLE_CELLS: u64 = 4 << 20;

/// Which 2-D plane of the chunk grid is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaneAxes {
    /// Axis drawn downwards (`None` for 1-D arrays: the strip wraps).
    pub row_axis: Option<usize>,
    /// Axis drawn across.
    pub col_axis: usize,
    /// Chunk index on every axis (only the axes not shown matter).
    pub fixed: Vec<u64>,
}

impl PlaneAxes {
    /// The two axes with the most chunks (in axis order: rows, cols); a 1-D array is one
    /// wrapped strip. For a detector stack `[frames, y, x]` the frames run down the rows.
    pub fn for_grid(grid: &[u64]) -> PlaneAxes {
        let n = grid.len();
        if n <= 2 {
            return PlaneAxes::default_for(n);
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| grid[b].cmp(&grid[a]).then(a.cmp(&b)));
        let (mut r, mut c) = (order[0], order[1]);
        if r > c {
            std::mem::swap(&mut r, &mut c);
        }
        PlaneAxes {
            row_axis: Some(r),
            col_axis: c,
            fixed: vec![0; n],
        }
    }

    /// For an array: its first resizable axis (the one that grows: frames of a detector stack)
    /// runs down the rows, even while it has no length yet; across, the other axis with the
    /// most chunks (the last on a tie). Without a resizable axis, as `for_grid`.
    pub fn for_array(grid: &[u64], resizable: &[bool]) -> PlaneAxes {
        let n = grid.len();
        let Some(r) = resizable.iter().take(n).position(|&r| r).filter(|_| n > 2) else {
            return PlaneAxes::for_grid(grid);
        };
        let c = (0..n)
            .filter(|&a| a != r)
            .max_by(|&a, &b| grid[a].cmp(&grid[b]).then(a.cmp(&b)))
            .unwrap_or(n - 1);
        PlaneAxes {
            row_axis: Some(r),
            col_axis: c,
            fixed: vec![0; n],
        }
    }

    /// The last two axes (rows, cols); a 1-D array is one wrapped strip.
    pub fn default_for(ndim: usize) -> PlaneAxes {
        match ndim {
            0 | 1 => PlaneAxes {
                row_axis: None,
                col_axis: 0,
                fixed: vec![0; ndim],
            },
            n => PlaneAxes {
                row_axis: Some(n - 2),
                col_axis: n - 1,
                fixed: vec![0; n],
            },
        }
    }

    /// Every (row, col) pair of axes, in order, for cycling.
    pub fn pairs(ndim: usize) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for r in 0..ndim {
            for c in r + 1..ndim {
                v.push((r, c));
            }
        }
        v
    }

    /// Axes that are neither rows nor cols.
    pub fn others(&self) -> Vec<usize> {
        (0..self.fixed.len())
            .filter(|&a| Some(a) != self.row_axis && a != self.col_axis)
            .collect()
    }
}

/// Written-chunk counts over a 2-D plane, queryable by rectangle.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkPlane {
    /// Chunks down and across.
    pub rows: u64,
    pub cols: u64,
    /// Chunks per table cell (1×1 unless the plane is huge).
    pub block: (u64, u64),
    table_rows: u64,
    table_cols: u64,
    /// (table_rows + 1) × (table_cols + 1) prefix sums of written chunks.
    sat: Vec<u32>,
    pub written: u64,
    /// The store cannot tell which chunks exist: chunks not seen written are unknown.
    pub unknown: bool,
    /// A 1-D strip that the widget wraps over lines.
    pub wrap: bool,
    /// The strip is the plane's rows (a stack of one chunk across, such as a detector's one
    /// frame per chunk): a column of hundreds of cells would show few of them, so it wraps.
    pub transposed: bool,
}

impl ChunkPlane {
    /// An empty plane (no array open).
    pub fn empty() -> ChunkPlane {
        ChunkPlane {
            rows: 0,
            cols: 0,
            block: (1, 1),
            table_rows: 0,
            table_cols: 0,
            sat: vec![0],
            written: 0,
            unknown: false,
            wrap: false,
            transposed: false,
        }
    }

    /// Projects `map` onto `axes`.
    pub fn build(map: &ChunkMap, axes: &PlaneAxes) -> ChunkPlane {
        let n = map.grid.len();
        // A zero-length axis (a stack before its first frame) has no chunks to show.
        if n == 0
            || axes.col_axis >= n
            || axes.row_axis.is_some_and(|r| r >= n)
            || map.grid.contains(&0)
        {
            return ChunkPlane::empty();
        }
        let mut rows = axes.row_axis.map(|r| map.grid[r]).unwrap_or(1);
        let mut cols = map.grid[axes.col_axis];
        // C-order strides over the grid.
        let mut strides = vec![1u64; n];
        for a in (0..n.saturating_sub(1)).rev() {
            strides[a] = strides[a + 1] * map.grid[a + 1];
        }
        let mut base = 0u64;
        for a in axes.others() {
            let i = axes
                .fixed
                .get(a)
                .copied()
                .unwrap_or(0)
                .min(map.grid[a].saturating_sub(1));
            base += i * strides[a];
        }
        let mut rs = axes.row_axis.map(|r| strides[r]).unwrap_or(0);
        let mut cs = strides[axes.col_axis];
        let transposed = rows > 1 && cols == 1;
        if transposed {
            (rows, cols, rs, cs) = (1, rows, 0, rs);
        }
        let cells = rows.saturating_mul(cols);
        let f = if cells > MAX_TABLE_CELLS {
            ((cells as f64 / MAX_TABLE_CELLS as f64).sqrt().ceil() as u64).max(2)
        } else {
            1
        };
        let block = (f.min(rows.max(1)), f.min(cols.max(1)));
        let tr = rows.div_ceil(block.0);
        let tc = cols.div_ceil(block.1);
        let w = (tc + 1) as usize;
        let mut sat = vec![0u32; ((tr + 1) * (tc + 1)) as usize];
        let (mut any_unknown, mut any_missing) = (false, false);
        let mut written = 0u64;
        // Counts per table cell, stored at (r+1, c+1).
        for r in 0..rows {
            let row_base = base + r * rs;
            let tr_i = (r / block.0 + 1) as usize;
            for c in 0..cols {
                let idx = (row_base + c * cs) as usize;
                let st = map.states.get(idx).copied().unwrap_or(ChunkState::Unknown);
                any_unknown |= st == ChunkState::Unknown;
                any_missing |= st == ChunkState::Missing;
                if st == ChunkState::Written {
                    written += 1;
                    sat[tr_i * w + (c / block.1 + 1) as usize] += 1;
                }
            }
        }
        for r in 1..=tr as usize {
            for c in 1..=tc as usize {
                sat[r * w + c] +=
                    sat[(r - 1) * w + c] + sat[r * w + c - 1] - sat[(r - 1) * w + c - 1];
            }
        }
        ChunkPlane {
            rows,
            cols,
            block,
            table_rows: tr,
            table_cols: tc,
            sat,
            written,
            unknown: any_unknown && !any_missing,
            wrap: axes.row_axis.is_none() || transposed,
            transposed,
        }
    }

    /// Written chunks and chunks in total in rows `r0..r1`, cols `c0..c1` (clipped).
    pub fn count(&self, r0: u64, r1: u64, c0: u64, c1: u64) -> (u64, u64) {
        let r1 = r1.min(self.rows);
        let c1 = c1.min(self.cols);
        if r0 >= r1 || c0 >= c1 {
            return (0, 0);
        }
        let (br, bc) = self.block;
        let (tr0, tr1) = (r0 / br, r1.div_ceil(br).min(self.table_rows));
        let (tc0, tc1) = (c0 / bc, c1.div_ceil(bc).min(self.table_cols));
        let w = (self.table_cols + 1) as usize;
        let at = |r: u64, c: u64| self.sat[r as usize * w + c as usize] as i64;
        let written = at(tr1, tc1) - at(tr0, tc1) - at(tr1, tc0) + at(tr0, tc0);
        let total = if self.block == (1, 1) {
            (r1 - r0) * (c1 - c0)
        } else {
            ((tr1 * br).min(self.rows) - tr0 * br) * ((tc1 * bc).min(self.cols) - tc0 * bc)
        };
        (written.max(0) as u64, total)
    }

    /// The chunk rectangle shown at `zoom` (0 = all) from `pan`, clamped: `(r0, r1, c0, c1)`.
    /// Each zoom step halves the visible extent on both axes.
    pub fn viewport(&self, zoom: u32, pan: (u64, u64)) -> (u64, u64, u64, u64) {
        let z = zoom.min(62);
        let vis_r = self.rows.div_ceil(1u64 << z).max(1).min(self.rows.max(1));
        let vis_c = self.cols.div_ceil(1u64 << z).max(1).min(self.cols.max(1));
        let r0 = pan.0.min(self.rows.saturating_sub(vis_r));
        let c0 = pan.1.min(self.cols.saturating_sub(vis_c));
        (
            r0,
            (r0 + vis_r).min(self.rows),
            c0,
            (c0 + vis_c).min(self.cols),
        )
    }

    /// The deepest useful zoom: one chunk per cell.
    pub fn max_zoom(&self) -> u32 {
        64 - self.rows.max(self.cols).max(1).leading_zeros()
    }

    /// Written chunks in the flat 1-D strip `i0..i1` (wrap mode; rows are 1).
    pub fn count_flat(&self, i0: u64, i1: u64) -> (u64, u64) {
        self.count(0, 1, i0, i1)
    }
}

/// How the grid lays a plane out in an area at a zoom: the chunks shown, chunks per cell and
/// each cell's size in terminal cells. Zooming in first splits cells that aggregate chunks,
/// then enlarges cells of one chunk; the area stays the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridView {
    pub r0: u64,
    pub r1: u64,
    pub c0: u64,
    pub c1: u64,
    /// Chunks per cell down and across.
    pub sr: u64,
    pub sc: u64,
    /// A cell's height and width in terminal cells.
    pub ch: u64,
    pub cw: u64,
}

/// The largest cells zooming in makes (rows, cols of the terminal).
const MAX_CELL: (u64, u64) = (4, 8);

/// Chunks per cell and cell size along one axis of `n` chunks in `space` terminal cells.
fn along(n: u64, space: u64, cell0: u64, max_cell: u64, zoom: u32) -> (u64, u64) {
    let per0 = n.div_ceil((space / cell0).max(1)).max(1);
    let m = 1u64 << zoom.min(40);
    if per0 >= m {
        (per0.div_ceil(m), cell0)
    } else {
        (1, (cell0 * (m / per0)).min(max_cell.max(cell0)))
    }
}

impl ChunkPlane {
    /// The layout at `zoom` from `pan` in `height` × `width` terminal cells (the cells area,
    /// without labels).
    pub fn grid_view(&self, zoom: u32, pan: (u64, u64), height: u64, width: u64) -> GridView {
        let (rows, cols) = (self.rows.max(1), self.cols.max(1));
        let (height, width) = (height.max(1), width.max(1));
        // Few chunks: bigger cells (about twice as wide as tall, like a square).
        let mut ch = (height / rows).clamp(1, 3);
        let mut cw = (width / cols).clamp(1, 6);
        cw = cw.min(2 * ch).max(1);
        ch = ch.min((cw / 2).max(1));
        let (sr, ch) = along(rows, height, ch, MAX_CELL.0.min(height), zoom);
        let (sc, cw) = along(cols, width, cw, MAX_CELL.1.min(width), zoom);
        let vis_r = ((height / ch).max(1) * sr).min(rows);
        let vis_c = ((width / cw).max(1) * sc).min(cols);
        let r0 = pan.0.min(rows - vis_r);
        let c0 = pan.1.min(cols - vis_c);
        GridView {
            r0,
            r1: (r0 + vis_r).min(self.rows),
            c0,
            c1: (c0 + vis_c).min(self.cols),
            sr,
            sc,
            ch,
            cw,
        }
    }

    /// The cells area of a grid pane's inner `height` × `width`: (rows, cols, left margin).
    /// Three rows go to the header, the ruler and the legend; the margin holds row numbers.
    pub fn cells_area(&self, height: u16, width: u16) -> (u64, u64, u16) {
        let digits = self.rows.max(self.cols).max(1).to_string().len() as u16;
        let lm = digits + 1;
        (
            height.saturating_sub(3) as u64,
            width.saturating_sub(lm + 1) as u64,
            lm,
        )
    }

    /// The deepest zoom that still changes the layout in that area.
    pub fn max_zoom_in(&self, height: u64, width: u64) -> u32 {
        let at = |z| {
            let v = self.grid_view(z, (0, 0), height, width);
            (v.sr, v.sc, v.ch, v.cw)
        };
        (0..40).find(|&z| at(z) == at(z + 1)).unwrap_or(40)
    }
}

/// Plane coordinates (row, col) of a chunk, if it lies on the shown plane; on a transposed
/// strip (row, 0) becomes (0, row).
pub fn strip_coords(chunk: &[u64], axes: &PlaneAxes, plane: &ChunkPlane) -> Option<(u64, u64)> {
    let (r, c) = plane_coords(chunk, axes)?;
    Some(if plane.transposed { (0, r) } else { (r, c) })
}

/// Plane coordinates (row, col) of a chunk, if it lies on the shown plane.
pub fn plane_coords(chunk: &[u64], axes: &PlaneAxes) -> Option<(u64, u64)> {
    for a in axes.others() {
        if chunk.get(a) != axes.fixed.get(a) {
            return None;
        }
    }
    let r = match axes.row_axis {
        Some(r) => *chunk.get(r)?,
        None => 0,
    };
    Some((r, *chunk.get(axes.col_axis)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(grid: &[u64], written: &[usize]) -> ChunkMap {
        let mut m = ChunkMap::new(grid.to_vec(), ChunkState::Missing);
        for &i in written {
            m.states[i] = ChunkState::Written;
        }
        m
    }

    #[test]
    fn counts_rectangles() {
        // 3x4 grid, written: (0,0), (1,1), (2,3)
        let m = map(&[3, 4], &[0, 5, 11]);
        let p = ChunkPlane::build(&m, &PlaneAxes::default_for(2));
        assert_eq!((p.rows, p.cols, p.written), (3, 4, 3));
        assert_eq!(p.count(0, 3, 0, 4), (3, 12));
        assert_eq!(p.count(0, 2, 0, 2), (2, 4));
        assert_eq!(p.count(2, 3, 3, 4), (1, 1));
        assert_eq!(p.count(1, 1, 0, 4), (0, 0));
        assert_eq!(p.count(0, 99, 0, 99), (3, 12));
    }

    #[test]
    fn projects_other_axes() {
        // grid [2, 2, 3]: write chunk (1, 0, 2) = index 1*6 + 0*3 + 2 = 8
        let m = map(&[2, 2, 3], &[8]);
        let mut axes = PlaneAxes::default_for(3);
        let p = ChunkPlane::build(&m, &axes);
        assert_eq!(p.written, 0);
        axes.fixed[0] = 1;
        let p = ChunkPlane::build(&m, &axes);
        assert_eq!(p.written, 1);
        assert_eq!(p.count(0, 1, 2, 3), (1, 1));
        assert_eq!(plane_coords(&[1, 0, 2], &axes), Some((0, 2)));
        assert_eq!(plane_coords(&[0, 0, 2], &axes), None);
        let axes = PlaneAxes {
            row_axis: Some(0),
            col_axis: 2,
            fixed: vec![0, 0, 0],
        };
        let p = ChunkPlane::build(&m, &axes);
        assert_eq!((p.rows, p.cols, p.written), (2, 3, 1));
        assert_eq!(PlaneAxes::pairs(3), vec![(0, 1), (0, 2), (1, 2)]);
    }

    #[test]
    fn a_stack_of_one_chunk_across_wraps_as_a_strip_of_frames() {
        // 6 frames of one chunk each, frames 0, 2 and 5 written.
        let m = map(&[6, 1, 1], &[0, 2, 5]);
        let axes = PlaneAxes::for_array(&m.grid, &[true, false, false]);
        assert_eq!((axes.row_axis, axes.col_axis), (Some(0), 2));
        let p = ChunkPlane::build(&m, &axes);
        assert!(p.wrap && p.transposed);
        assert_eq!((p.rows, p.cols, p.written), (1, 6, 3));
        assert_eq!(p.count_flat(0, 3), (2, 3));
        assert_eq!(p.count_flat(5, 6), (1, 1));
        assert_eq!(strip_coords(&[5, 0, 0], &axes, &p), Some((0, 5)));
        // Two chunks across: a real plane, not a strip.
        let m = map(&[6, 1, 2], &[0]);
        let p = ChunkPlane::build(&m, &PlaneAxes::for_array(&m.grid, &[true, false, false]));
        assert!(!p.wrap && !p.transposed);
        assert_eq!(
            strip_coords(&[3, 0, 1], &PlaneAxes::for_array(&m.grid, &[true; 3]), &p),
            Some((3, 1))
        );
    }

    #[test]
    fn one_dimensional_wraps_and_unknown() {
        let m = map(&[10], &[0, 9]);
        let p = ChunkPlane::build(&m, &PlaneAxes::default_for(1));
        assert!(p.wrap);
        assert_eq!(p.count_flat(0, 5), (1, 5));
        let u = ChunkMap::new(vec![4, 4], ChunkState::Unknown);
        assert!(ChunkPlane::build(&u, &PlaneAxes::default_for(2)).unknown);
    }

    #[test]
    fn zoom_in_enlarges_cells_in_the_same_area() {
        // 50 × 4 chunks in 8 rows × 40 columns: zoom 0 aggregates the rows.
        let p = ChunkPlane::build(&map(&[50, 4], &[]), &PlaneAxes::default_for(2));
        let v0 = p.grid_view(0, (0, 0), 8, 40);
        assert_eq!((v0.r1 - v0.r0, v0.c1 - v0.c0), (50, 4));
        assert!(v0.sr > 1);
        let v2 = p.grid_view(2, (0, 0), 8, 40);
        // Every column still shows, in wider cells; fewer chunks per row cell.
        assert_eq!(v2.c1 - v2.c0, 4);
        assert!(v2.cw > v0.cw && v2.sr < v0.sr, "{v0:?} {v2:?}");
        assert!((v2.r1 - v2.r0) * v2.ch / v2.sr <= 8 && v2.cw * 4 <= 40);
        let max = p.max_zoom_in(8, 40);
        let vm = p.grid_view(max, (0, 0), 8, 40);
        assert_eq!((vm.sr, vm.sc), (1, 1));
        assert_eq!(vm.c1 - vm.c0, 4);
    }

    #[test]
    fn huge_planes_use_blocks() {
        let m = ChunkMap::new(vec![4000, 4000], ChunkState::Written);
        let p = ChunkPlane::build(&m, &PlaneAxes::default_for(2));
        assert!(p.block.0 > 1);
        let (w, t) = p.count(0, 4000, 0, 4000);
        assert_eq!(w, t);
        assert_eq!(t, 16_000_000);
    }
}
