//! Binning: a frame larger than the pane shrinks by whole blocks of pixels.

use ndarray::{Array2, ArrayView2};

use super::pixels::Pixel;

/// How a block of pixels becomes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BinMode {
    /// The mean of the block's non-NaN pixels: noise averages out.
    #[default]
    Mean,
    /// The largest: a single hot pixel stays visible.
    Max,
}

impl BinMode {
    /// The name shown in titles.
    pub fn name(self) -> &'static str {
        match self {
            BinMode::Mean => "mean",
            BinMode::Max => "max",
        }
    }
}

/// The smallest factor (the same on both axes, so pixels stay square) that fits a `h`×`w`
/// image into `rows`×`cols` pixels; 1 when it already fits.
pub fn fit_factor(h: usize, w: usize, rows: usize, cols: usize) -> usize {
    let f = |n: usize, m: usize| n.div_ceil(m.max(1));
    f(h, rows).max(f(w, cols)).max(1)
}

/// Bins `pixels` by `[fy, fx]` (rows, columns; at least 1): each output pixel is one block,
/// the last ones partial. A block of only NaN stays NaN.
pub fn bin<T: Pixel>(pixels: ArrayView2<T>, [fy, fx]: [usize; 2], mode: BinMode) -> Array2<f64> {
    let (fy, fx) = (fy.max(1), fx.max(1));
    let (h, w) = pixels.dim();
    if fy == 1 && fx == 1 {
        return pixels.mapv(T::to_f64);
    }
    let (oh, ow) = (h.div_ceil(fy), w.div_ceil(fx));
    let mut out = Array2::from_elem((oh, ow), f64::NAN);
    let start = match mode {
        BinMode::Mean => 0.0,
        BinMode::Max => f64::NEG_INFINITY,
    };
    // Rows are first folded into per-column accumulators (independent lanes, so the loop
    // vectorises), then each band of `fy` rows is folded across its blocks of `fx` columns.
    let mut acc = vec![start; w];
    let mut count = vec![0u32; w];
    let mut copy = Vec::new();
    for (r, row) in pixels.rows().into_iter().enumerate() {
        if r % fy == 0 {
            acc.fill(start);
            count.fill(0);
        }
        accumulate(&mut acc, &mut count, row_slice(&row, &mut copy), mode);
        if r % fy == fy - 1 || r == h - 1 {
            let mut o = out.row_mut(r / fy);
            let blocks = acc.chunks(fx).zip(count.chunks(fx));
            for (o, (a, n)) in o.iter_mut().zip(blocks) {
                let n: u32 = n.iter().sum();
                if n > 0 {
                    *o = match mode {
                        BinMode::Mean => a.iter().sum::<f64>() / n as f64,
                        BinMode::Max => a.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v)),
                    };
                }
            }
        }
    }
    out
}

/// A row as a slice (copied into `copy` when the view is not contiguous).
pub(super) fn row_slice<'a, T: Pixel>(
    row: &'a ndarray::ArrayView1<'_, T>,
    copy: &'a mut Vec<T>,
) -> &'a [T] {
    match row.as_slice() {
        Some(s) => s,
        None => {
            copy.clear();
            copy.extend(row.iter().copied());
            copy
        }
    }
}

/// Adds one row into the per-column accumulators: the sum (mean) or the largest value (max),
/// and how many values were not NaN. A comparison with NaN is false, so NaN never wins a max.
/// Branch-free so the loop vectorises; counts stay far below `u32::MAX` (one per row summed).
pub(super) fn accumulate<T: Pixel>(acc: &mut [f64], count: &mut [u32], row: &[T], mode: BinMode) {
    let lanes = acc.iter_mut().zip(count.iter_mut()).zip(row);
    match mode {
        BinMode::Mean => {
            for ((a, n), &v) in lanes {
                let v = v.to_f64();
                let ok = !v.is_nan();
                *a += if ok { v } else { 0.0 };
                *n = n.wrapping_add(ok as u32);
            }
        }
        BinMode::Max => {
            for ((a, n), &v) in lanes {
                let v = v.to_f64();
                *a = if v > *a { v } else { *a };
                *n = n.wrapping_add(!v.is_nan() as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn factor_fits_the_larger_side() {
        assert_eq!(fit_factor(4096, 4096, 200, 200), 21);
        assert_eq!(fit_factor(100, 400, 100, 200), 2);
        assert_eq!(fit_factor(10, 10, 200, 200), 1);
        assert_eq!(fit_factor(10, 10, 0, 0), 10);
    }

    #[test]
    fn mean_and_max_of_blocks_with_partial_edges_and_nan() {
        let a = array![[1.0, 3.0, 5.0], [f64::NAN, 2.0, 7.0], [9.0, 9.0, f64::NAN]];
        let m = bin(a.view(), [2, 2], BinMode::Mean);
        assert_eq!(m.dim(), (2, 2));
        assert_eq!(m[[0, 0]], 2.0);
        assert_eq!(m[[0, 1]], 6.0);
        assert_eq!(m[[1, 0]], 9.0);
        assert!(m[[1, 1]].is_nan());
        let x = bin(a.view(), [2, 2], BinMode::Max);
        assert_eq!((x[[0, 0]], x[[0, 1]], x[[1, 0]]), (3.0, 7.0, 9.0));
        assert!(x[[1, 1]].is_nan());
        // A strided view (a transposed one) bins the same as its copy.
        let t = a.t();
        let owned = t.to_owned();
        let (p, q) = (
            bin(t, [2, 1], BinMode::Max),
            bin(owned.view(), [2, 1], BinMode::Max),
        );
        assert_eq!(format!("{p:?}"), format!("{q:?}"));
        assert_eq!(bin(a.view(), [1, 1], BinMode::Mean).dim(), (3, 3));
    }
}
