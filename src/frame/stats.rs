//! What a frame holds in numbers: min, max, mean, NaN count and a small histogram.

use ndarray::ArrayView2;

/// Statistics of a frame's pixels. Min, max and mean are over the non-NaN pixels (`None`
/// when there are none).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stats {
    /// Smallest non-NaN value.
    pub min: Option<f64>,
    /// Largest non-NaN value.
    pub max: Option<f64>,
    /// Mean of the non-NaN values.
    pub mean: Option<f64>,
    /// Pixels that are NaN.
    pub nan: u64,
    /// Pixels in all.
    pub pixels: u64,
    /// Counts of the non-NaN values in equal bins from `min` to `max` (the last bin closed).
    pub histogram: Vec<u64>,
}

impl Stats {
    /// The statistics of `pixels`, with a histogram of `bins` bins.
    pub fn of(pixels: ArrayView2<f64>, bins: usize) -> Stats {
        let (mut lo, mut hi, mut sum, mut n, mut nan) =
            (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, 0u64, 0u64);
        for &v in pixels.iter() {
            if v.is_nan() {
                nan += 1;
            } else {
                lo = lo.min(v);
                hi = hi.max(v);
                sum += v;
                n += 1;
            }
        }
        let found = n > 0;
        Stats {
            min: found.then_some(lo),
            max: found.then_some(hi),
            mean: found.then(|| sum / n as f64),
            nan,
            pixels: pixels.len() as u64,
            histogram: if found {
                histogram(pixels, lo, hi, bins)
            } else {
                vec![0; bins]
            },
        }
    }
}

/// Counts of the values in `lo..=hi`, in `bins` equal bins; values outside and NaN are left
/// out. With `lo == hi` every value equal to it falls in the first bin.
pub fn histogram(pixels: ArrayView2<f64>, lo: f64, hi: f64, bins: usize) -> Vec<u64> {
    let mut h = vec![0u64; bins];
    if bins == 0 || lo.is_nan() || hi.is_nan() || lo > hi {
        return h;
    }
    let width = hi - lo;
    let scale = if width > 0.0 && width.is_finite() {
        bins as f64 / width
    } else {
        0.0
    };
    for &v in pixels.iter() {
        if v >= lo && v <= hi {
            let i = ((v - lo) * scale) as usize;
            h[i.min(bins - 1)] += 1;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn stats_skip_nan_and_count_it() {
        let a = array![[0.0, 1.0, f64::NAN], [2.0, 3.0, 4.0]];
        let s = Stats::of(a.view(), 4);
        assert_eq!((s.min, s.max, s.mean), (Some(0.0), Some(4.0), Some(2.0)));
        assert_eq!((s.nan, s.pixels), (1, 6));
        assert_eq!(s.histogram, vec![1, 1, 1, 2]);
        let none = Stats::of(array![[f64::NAN]].view(), 3);
        assert_eq!(
            (none.min, none.mean, none.histogram),
            (None, None, vec![0; 3])
        );
        assert_eq!(
            histogram(array![[5.0, 5.0]].view(), 5.0, 5.0, 2),
            vec![2, 0]
        );
    }
}
