//! What a frame holds in numbers: min, max, mean, NaN count and a small histogram.

use ndarray::{s, ArrayView2};

use super::pixels::Pixel;

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
    pub fn of<T: Pixel>(pixels: ArrayView2<T>, bins: usize) -> Stats {
        Stats::with_histogram_of(pixels, bins, 1, None)
    }

    /// As [`Stats::of`] (min, max, mean and NaN count exact), but the histogram counts only an
    /// evenly spaced grid of at most about `sample` pixels: its shape, for a live view, at a
    /// small part of the cost; the counts are of the sample, not of the frame.
    pub fn sampled<T: Pixel>(pixels: ArrayView2<T>, bins: usize, sample: usize) -> Stats {
        Stats::sampled_with(pixels, bins, sample, None)
    }

    /// As [`Stats::sampled`], with the [`Summary`] of `pixels` when it is known already (taken
    /// as they were converted): no pass over the pixels but the histogram's sample.
    pub fn sampled_with<T: Pixel>(
        pixels: ArrayView2<T>,
        bins: usize,
        sample: usize,
        known: Option<Summary>,
    ) -> Stats {
        let n = pixels.len() as f64;
        let step = ((n / sample.max(1) as f64).sqrt().ceil() as usize).max(1);
        Stats::with_histogram_of(pixels, bins, step, known)
    }

    /// The statistics with the histogram over every `step`-th row and column.
    fn with_histogram_of<T: Pixel>(
        pixels: ArrayView2<T>,
        bins: usize,
        step: usize,
        known: Option<Summary>,
    ) -> Stats {
        let s = match (known, pixels.as_slice()) {
            (Some(s), _) => s,
            (None, Some(flat)) => Summary::of(flat),
            (None, None) => {
                let flat: Vec<T> = pixels.iter().copied().collect();
                Summary::of(&flat)
            }
        };
        let found = s.n > 0;
        Stats {
            min: found.then_some(s.lo),
            max: found.then_some(s.hi),
            mean: found.then(|| s.sum / s.n as f64),
            nan: s.nan,
            pixels: pixels.len() as u64,
            histogram: if found {
                let grid = pixels.slice(s![..;step, ..;step]);
                histogram(grid, s.lo, s.hi, bins)
            } else {
                vec![0; bins]
            },
        }
    }
}

/// Smallest, largest, sum and count of the non-NaN values, and the NaN count: what
/// [`Stats`] needs of every pixel, mergeable, so it can be taken block by block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    lo: f64,
    hi: f64,
    sum: f64,
    n: u64,
    nan: u64,
}

/// Independent accumulators per pass: the loop vectorises instead of waiting on one sum.
const LANES: usize = 8;

impl Summary {
    /// Nothing seen yet.
    pub const EMPTY: Summary = Summary {
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
        sum: 0.0,
        n: 0,
        nan: 0,
    };

    /// The summary of `v`.
    pub fn of<T: Pixel>(v: &[T]) -> Summary {
        T::summary(v)
    }

    /// The smallest and the largest non-NaN value, `None` when there is none.
    pub fn min_max(&self) -> Option<(f64, f64)> {
        (self.n > 0).then_some((self.lo, self.hi))
    }

    /// The summary of both parts.
    pub fn merge(self, o: Summary) -> Summary {
        Summary {
            lo: self.lo.min(o.lo),
            hi: self.hi.max(o.hi),
            sum: self.sum + o.sum,
            n: self.n + o.n,
            nan: self.nan + o.nan,
        }
    }
}

/// One pass over `v`, in [`LANES`] lanes (a comparison with NaN is false, so NaN is never the
/// smallest or the largest; it adds 0 to the sum and 1 to the NaN count).
pub(super) fn summary<T: Pixel>(v: &[T]) -> Summary {
    let (mut lo, mut hi) = ([f64::INFINITY; LANES], [f64::NEG_INFINITY; LANES]);
    let (mut sum, mut nan) = ([0.0f64; LANES], [0u64; LANES]);
    let blocks = v.chunks_exact(LANES);
    let rest = blocks.remainder();
    let mut lane = |k: usize, x: f64| {
        let bad = x.is_nan();
        lo[k] = if x < lo[k] { x } else { lo[k] };
        hi[k] = if x > hi[k] { x } else { hi[k] };
        sum[k] += if bad { 0.0 } else { x };
        nan[k] += bad as u64;
    };
    for b in blocks {
        for (k, &x) in b.iter().enumerate() {
            lane(k, x.to_f64());
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        lane(k, x.to_f64());
    }
    let nan: u64 = nan.iter().sum();
    Summary {
        lo: lo.iter().copied().fold(f64::INFINITY, f64::min),
        hi: hi.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        sum: sum.iter().sum(),
        n: v.len() as u64 - nan,
        nan,
    }
}

/// [`summary`] of 8- and 16-bit integers: smallest and largest in integer lanes (twice as
/// many to a vector as f64) and an exact integer sum, which is the sum the f64 lanes give (every
/// partial sum below 2^53 is exact) for fewer than 2^37 values; no NaN.
pub(super) fn small_int_summary<T: Pixel + Into<i32>>(v: &[T]) -> Summary {
    const INT_LANES: usize = 16;
    let (mut lo, mut hi) = ([i32::MAX; INT_LANES], [i32::MIN; INT_LANES]);
    let mut sum = [0i64; INT_LANES];
    let blocks = v.chunks_exact(INT_LANES);
    let rest = blocks.remainder();
    for b in blocks {
        for (k, &x) in b.iter().enumerate() {
            let x: i32 = x.into();
            lo[k] = lo[k].min(x);
            hi[k] = hi[k].max(x);
            sum[k] += x as i64;
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        let x: i32 = x.into();
        lo[k] = lo[k].min(x);
        hi[k] = hi[k].max(x);
        sum[k] += x as i64;
    }
    if v.is_empty() {
        return Summary::EMPTY;
    }
    Summary {
        lo: lo.iter().copied().min().unwrap_or(0) as f64,
        hi: hi.iter().copied().max().unwrap_or(0) as f64,
        sum: sum.iter().sum::<i64>() as f64,
        n: v.len() as u64,
        nan: 0,
    }
}

/// Counts of the values in `lo..=hi`, in `bins` equal bins; values outside and NaN are left
/// out. With `lo == hi` every value equal to it falls in the first bin.
pub fn histogram<T: Pixel>(pixels: ArrayView2<T>, lo: f64, hi: f64, bins: usize) -> Vec<u64> {
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
    // Several partial histograms: consecutive pixels (often in the same bin) do not wait on
    // each other's count.
    let mut part = vec![[0u64; 4]; bins];
    let mut count = |k: usize, v: f64| {
        if v >= lo && v <= hi {
            let i = ((v - lo) * scale) as usize;
            part[i.min(bins - 1)][k] += 1;
        }
    };
    match pixels.as_slice() {
        Some(flat) => {
            let blocks = flat.chunks_exact(4);
            for (k, &v) in blocks.remainder().iter().enumerate() {
                count(k, v.to_f64());
            }
            for b in blocks {
                for (k, &v) in b.iter().enumerate() {
                    count(k, v.to_f64());
                }
            }
        }
        None => pixels.iter().for_each(|&v| count(0, v.to_f64())),
    }
    for (h, p) in h.iter_mut().zip(&part) {
        *h = p.iter().sum();
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

    #[test]
    fn a_sampled_histogram_has_the_shape_and_exact_summary() {
        // 300×300: a ramp 0..299 along the columns, one NaN.
        let mut a = ndarray::Array2::from_shape_fn((300, 300), |(_, c)| c as f64);
        a[[1, 1]] = f64::NAN;
        let exact = Stats::of(a.view(), 3);
        let s = Stats::sampled(a.view(), 3, 10_000);
        assert_eq!(
            (s.min, s.max, s.mean, s.nan, s.pixels),
            (exact.min, exact.max, exact.mean, exact.nan, exact.pixels)
        );
        // Every 3rd row and column: a ninth of the pixels, in the same proportions.
        assert_eq!(s.histogram.iter().sum::<u64>(), 100 * 100);
        assert_eq!(exact.histogram.iter().sum::<u64>(), 300 * 300 - 1);
        for (s, e) in s.histogram.iter().zip(&exact.histogram) {
            assert!(
                (*s as f64 * 9.0 - *e as f64).abs() < 0.05 * *e as f64,
                "{s} {e}"
            );
        }
        // A summary taken in blocks gives the same statistics.
        let flat = a.as_slice().unwrap();
        let blocks = flat.chunks(777).map(Summary::of);
        let merged = blocks.fold(Summary::EMPTY, Summary::merge);
        let m = Stats::sampled_with(a.view(), 3, 10_000, Some(merged));
        assert_eq!(
            (m.min, m.max, m.nan, m.histogram),
            (s.min, s.max, s.nan, s.histogram)
        );
        assert!((m.mean.unwrap() - s.mean.unwrap()).abs() < 1e-9);
        // A frame smaller than the sample is counted whole.
        assert_eq!(Stats::sampled(a.view(), 3, 1 << 20), exact);
    }

    #[test]
    fn lanes_give_what_one_value_at_a_time_gives() {
        for len in [1usize, 3, 7, 8, 9, 31, 100] {
            let v: Vec<f64> = (0..len)
                .map(|i| match i % 11 {
                    5 => f64::NAN,
                    k => ((i * 37) % 101) as f64 - 20.0 + k as f64,
                })
                .collect();
            let a = ndarray::Array2::from_shape_vec((1, len), v.clone()).unwrap();
            let s = Stats::of(a.view(), 5);
            let ok: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            let (lo, hi) = ok
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                    (l.min(x), h.max(x))
                });
            assert_eq!((s.min, s.max), (Some(lo), Some(hi)), "{len}");
            assert_eq!(s.mean, Some(ok.iter().sum::<f64>() / ok.len() as f64));
            assert_eq!(s.nan as usize, len - ok.len());
            let mut want = vec![0u64; 5];
            for &x in &ok {
                let i = ((x - lo) * (5.0 / (hi - lo).max(f64::MIN_POSITIVE))) as usize;
                want[if hi > lo { i.min(4) } else { 0 }] += 1;
            }
            assert_eq!(s.histogram, want, "{len}");
            // A strided view counts the same as its copy.
            let t = a.t();
            assert_eq!(Stats::of(t, 5), Stats::of(t.to_owned().view(), 5));
        }
    }
}
