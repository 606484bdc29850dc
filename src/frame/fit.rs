//! Fitting a frame to a box of pixels: the largest size with the frame's aspect ratio, then
//! resampling to exactly that size — blocks binned (mean or max) when shrinking, nearest
//! neighbour when growing — so a 2048² frame and a 128² one both fill the pane.

use ndarray::{Array2, ArrayView2};

use super::pixels::Pixel;
use super::BinMode;

/// The largest `(rows, columns)` inside `rows`×`cols` with the aspect ratio of `h`×`w`
/// (square pixels); at least 1×1, `(0, 0)` for an empty frame or box.
pub fn fit_size(h: usize, w: usize, rows: usize, cols: usize) -> (usize, usize) {
    if h == 0 || w == 0 || rows == 0 || cols == 0 {
        return (0, 0);
    }
    // Compare rows/h with cols/w without floats: the tighter axis sets the scale.
    let (oh, ow) = if rows as u128 * w as u128 <= cols as u128 * h as u128 {
        (rows, (w as u128 * rows as u128 / h as u128) as usize)
    } else {
        ((h as u128 * cols as u128 / w as u128) as usize, cols)
    };
    (oh.clamp(1, rows), ow.clamp(1, cols))
}

/// The input pixels `[start, end)` that output pixel `i` of `n_out` covers along an axis of
/// `n_in`: a block when shrinking, one pixel (repeated) when growing.
fn span(i: usize, n_in: usize, n_out: usize) -> (usize, usize) {
    let start = (i as u128 * n_in as u128 / n_out as u128) as usize;
    let end = ((i as u128 + 1) * n_in as u128 / n_out as u128) as usize;
    (start.min(n_in - 1), end.max(start + 1).min(n_in))
}

/// Where input pixel `y` lands among `n_out` output pixels: the middle of the output pixels
/// it fills (growing) or the one whose block holds it (shrinking).
pub fn to_output(y: usize, n_in: usize, n_out: usize) -> usize {
    if n_in == 0 || n_out == 0 {
        return 0;
    }
    let y = y.min(n_in - 1) as u128;
    let (n_in, n_out) = (n_in as u128, n_out as u128);
    // The last output pixel whose span starts at or before `y`, and the first that starts at it.
    let last = ((y + 1) * n_out).div_ceil(n_in) - 1;
    let first = (y * n_out).div_ceil(n_in);
    let at = if first <= last {
        (first + last) / 2
    } else {
        last
    };
    (at as usize).min(n_out as usize - 1)
}

/// The input pixel output pixel `i` shows (the first of its block): the inverse of
/// [`to_output`], for reading a value back from a fitted image.
pub fn to_input(i: usize, n_in: usize, n_out: usize) -> usize {
    if n_in == 0 || n_out == 0 {
        return 0;
    }
    span(i.min(n_out - 1), n_in, n_out).0
}

/// Resamples `pixels` to exactly `rows`×`cols`: each output pixel is the mean (or max) of the
/// non-NaN input pixels its block covers, a block of only NaN stays NaN; growing repeats
/// pixels (nearest neighbour).
pub fn resample<T: Pixel>(
    pixels: ArrayView2<T>,
    (rows, cols): (usize, usize),
    mode: BinMode,
) -> Array2<f64> {
    let (h, w) = pixels.dim();
    if h == 0 || w == 0 || rows == 0 || cols == 0 {
        return Array2::zeros((0, 0));
    }
    if (rows, cols) == (h, w) {
        return pixels.mapv(T::to_f64);
    }
    let start = match mode {
        BinMode::Mean => 0.0,
        BinMode::Max => f64::NEG_INFINITY,
    };
    let spans: Vec<(usize, usize)> = (0..cols).map(|j| span(j, w, cols)).collect();
    let mut out = Array2::from_elem((rows, cols), f64::NAN);
    // Per output row: fold its block of input rows into per-column lanes (they vectorise),
    // then each output pixel folds its span of lanes.
    let mut acc = vec![start; w];
    let mut count = vec![0u32; w];
    let mut copy = Vec::new();
    for i in 0..rows {
        let (r0, r1) = span(i, h, rows);
        acc.fill(start);
        count.fill(0);
        for r in r0..r1 {
            let row = pixels.row(r);
            super::bin::accumulate(
                &mut acc,
                &mut count,
                super::bin::row_slice(&row, &mut copy),
                mode,
            );
        }
        let mut o = out.row_mut(i);
        for (slot, &(c0, c1)) in o.iter_mut().zip(&spans) {
            let n: u32 = count[c0..c1].iter().sum();
            if n > 0 {
                *slot = match mode {
                    BinMode::Mean => acc[c0..c1].iter().sum::<f64>() / n as f64,
                    BinMode::Max => acc[c0..c1].iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v)),
                };
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn the_fit_keeps_the_aspect_and_fills_one_side() {
        assert_eq!(fit_size(128, 128, 90, 200), (90, 90));
        assert_eq!(fit_size(2048, 2048, 90, 200), (90, 90));
        assert_eq!(fit_size(32, 48, 72, 100), (66, 100));
        assert_eq!(fit_size(100, 1, 10, 10), (10, 1));
        assert_eq!(fit_size(0, 5, 10, 10), (0, 0));
    }

    #[test]
    fn shrinking_bins_and_growing_repeats() {
        let a = array![[1.0, 3.0, 5.0, 7.0], [f64::NAN, 2.0, 7.0, 9.0]];
        let m = resample(a.view(), (1, 2), BinMode::Mean);
        assert_eq!(m, array![[2.0, 7.0]]);
        let x = resample(a.view(), (1, 2), BinMode::Max);
        assert_eq!(x, array![[3.0, 9.0]]);
        let g = resample(array![[1.0, 2.0], [3.0, 4.0]].view(), (4, 4), BinMode::Mean);
        assert_eq!(g.row(0).to_vec(), vec![1.0, 1.0, 2.0, 2.0]);
        assert_eq!(g.row(3).to_vec(), vec![3.0, 3.0, 4.0, 4.0]);
        // Not a whole factor: 5 → 3 still covers every input pixel once.
        let r = resample(
            array![[1.0, 2.0, 3.0, 4.0, 5.0]].view(),
            (1, 3),
            BinMode::Max,
        );
        assert_eq!(r, array![[1.0, 3.0, 5.0]]);
        let nan = resample(array![[f64::NAN, f64::NAN]].view(), (1, 1), BinMode::Mean);
        assert!(nan[[0, 0]].is_nan());
    }

    #[test]
    fn a_pixel_maps_out_and_back() {
        // Growing 4 → 10: pixel 1 fills outputs 3 and 4 (spans start at 0,0,0,1,1,2,2,2,3,3).
        assert_eq!(to_output(1, 4, 10), 3);
        for y in 0..4 {
            assert_eq!(to_input(to_output(y, 4, 10), 4, 10), y);
        }
        // Shrinking 100 → 7: the output whose block holds the pixel.
        for y in 0..100 {
            let i = to_output(y, 100, 7);
            let (a, b) = span(i, 100, 7);
            assert!((a..b).contains(&y), "{y} → {i} ({a}..{b})");
        }
    }
}
