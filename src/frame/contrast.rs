//! Contrast: the limits that map pixel values to the colormap's 0..1.

use ndarray::{s, ArrayView2};

use super::pixels::Pixel;
use crate::backend::{Error, Result};

/// At most about this many pixels feed a percentile (a grid sample): a 4096² frame stays fast.
const SAMPLE: usize = 1 << 16;

/// How the limits are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Contrast {
    /// The 1st to the 99th percentile, so a few hot or dead pixels do not wash the image out.
    #[default]
    Auto,
    /// The smallest to the largest value.
    MinMax,
    /// Logarithmic, from the smallest positive value to the largest.
    Log,
    /// Fixed limits `lo < hi`.
    Manual(f64, f64),
}

impl Contrast {
    /// Parses `auto`, `minmax`, `log` or `LO:HI` (numbers, `LO < HI`).
    pub fn parse(text: &str) -> Result<Contrast> {
        let t = text.trim();
        match t.to_ascii_lowercase().as_str() {
            "auto" => return Ok(Contrast::Auto),
            "minmax" | "min-max" => return Ok(Contrast::MinMax),
            "log" => return Ok(Contrast::Log),
            _ => {}
        }
        let bad = || {
            Error::invalid_input(format!(
                "contrast {t:?} is not auto, minmax, log or LO:HI (two numbers, LO < HI, e.g. 0:4095)"
            ))
        };
        let (lo, hi) = t.split_once(':').ok_or_else(bad)?;
        let lo: f64 = lo.trim().parse().map_err(|_| bad())?;
        let hi: f64 = hi.trim().parse().map_err(|_| bad())?;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(bad());
        }
        Ok(Contrast::Manual(lo, hi))
    }

    /// The name shown in titles and JSON: `auto`, `minmax`, `log` or `LO:HI`.
    pub fn name(&self) -> String {
        match self {
            Contrast::Auto => "auto".into(),
            Contrast::MinMax => "minmax".into(),
            Contrast::Log => "log".into(),
            Contrast::Manual(lo, hi) => format!("{lo}:{hi}"),
        }
    }

    /// The next automatic mode (auto → minmax → log → auto; manual → auto).
    pub fn next(&self) -> Contrast {
        match self {
            Contrast::Auto => Contrast::MinMax,
            Contrast::MinMax => Contrast::Log,
            Contrast::Log | Contrast::Manual(..) => Contrast::Auto,
        }
    }

    /// The limits for these pixels.
    pub fn limits<T: Pixel>(&self, pixels: ArrayView2<T>) -> Limits {
        let values = || pixels.iter().map(|&v| v.to_f64());
        let lin = |lo, hi| Limits::new(lo, hi, false);
        match *self {
            Contrast::Manual(lo, hi) => lin(lo, hi),
            Contrast::MinMax => {
                let (lo, hi) = min_max(values());
                lin(lo, hi)
            }
            Contrast::Log => {
                let (lo, hi) = min_max(values().filter(|&v| v > 0.0));
                Limits::new(lo, hi, true)
            }
            Contrast::Auto => {
                let mut v = sample(pixels);
                let (lo, hi) = (percentile(&mut v, 1.0), percentile(&mut v, 99.0));
                match (lo, hi) {
                    (Some(lo), Some(hi)) if lo < hi => lin(lo, hi),
                    _ => {
                        let (lo, hi) = min_max(values());
                        lin(lo, hi)
                    }
                }
            }
        }
    }
}

impl std::fmt::Display for Contrast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::str::FromStr for Contrast {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Contrast, String> {
        Contrast::parse(s).map_err(|e| e.message)
    }
}

/// The value range mapped onto the colormap, linear or logarithmic.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Limits {
    /// The value drawn as the map's first colour (and everything below).
    pub lo: f64,
    /// The value drawn as the map's last colour (and everything above).
    pub hi: f64,
    /// Logarithmic scale (`lo > 0`).
    pub log: bool,
}

impl Limits {
    /// Limits `lo..hi`, widened so that `lo < hi` (a flat frame draws in one colour) and, for a
    /// log scale, `0 < lo`.
    pub fn new(lo: f64, hi: f64, log: bool) -> Limits {
        let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
            (lo, hi)
        } else if log {
            (1.0, 10.0)
        } else {
            (0.0, 1.0)
        };
        if log {
            if lo <= 0.0 {
                lo = f64::MIN_POSITIVE;
            }
            if hi <= lo {
                hi = lo * 10.0;
            }
        } else if hi <= lo {
            hi = lo + 1.0;
        }
        Limits { lo, hi, log }
    }

    /// Where `v` falls, 0..1 (clamped); `None` for NaN. On a log scale `v <= 0` is 0.
    #[inline]
    pub fn level(&self, v: f64) -> Option<f64> {
        if v.is_nan() {
            return None;
        }
        let t = if self.log {
            if v <= 0.0 {
                return Some(0.0);
            }
            (v / self.lo).ln() / (self.hi / self.lo).ln()
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        Some(t.clamp(0.0, 1.0))
    }

    /// The value at level `t` (0..1): the colour bar's labels.
    pub fn value_at(&self, t: f64) -> f64 {
        if self.log {
            self.lo * (self.hi / self.lo).powf(t)
        } else {
            self.lo + (self.hi - self.lo) * t
        }
    }
}

/// The smallest and largest non-NaN values (`NaN, NaN` for none).
fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo > hi {
        (f64::NAN, f64::NAN)
    } else {
        (lo, hi)
    }
}

/// The non-NaN pixels of an evenly spaced grid of at most about [`SAMPLE`] of them.
fn sample<T: Pixel>(pixels: ArrayView2<T>) -> Vec<f64> {
    let (h, w) = pixels.dim();
    let n = h * w;
    let step = ((n as f64 / SAMPLE as f64).sqrt().ceil() as usize).max(1);
    let grid = pixels.slice(s![..;step, ..;step]);
    grid.iter()
        .map(|&v| v.to_f64())
        .filter(|v| !v.is_nan())
        .collect()
}

/// The `p`-th percentile (nearest rank) of `v`, reordering it; `None` when empty.
fn percentile(v: &mut [f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let k = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    let (_, x, _) = v.select_nth_unstable_by(k.min(v.len() - 1), |a, b| a.total_cmp(b));
    Some(*x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn modes_parse_and_bad_ones_are_named() {
        assert_eq!(Contrast::parse("auto").unwrap(), Contrast::Auto);
        assert_eq!(Contrast::parse("MinMax").unwrap(), Contrast::MinMax);
        assert_eq!(
            Contrast::parse("-5:10.5").unwrap(),
            Contrast::Manual(-5.0, 10.5)
        );
        for bad in ["", "5:5", "9:1", "a:b", "1:", "nan:3", "bright"] {
            let e = Contrast::parse(bad).unwrap_err();
            assert!(e.message.contains("LO:HI"), "{bad}: {}", e.message);
        }
        assert_eq!(Contrast::Manual(0.0, 4095.0).name(), "0:4095");
    }

    #[test]
    fn auto_ignores_a_few_hot_pixels_minmax_does_not() {
        let mut a = Array2::from_shape_fn((100, 100), |(r, c)| ((r * 100 + c) % 100) as f64);
        a[[3, 3]] = 1e9;
        a[[7, 9]] = f64::NAN;
        let auto = Contrast::Auto.limits(a.view());
        assert!(
            auto.lo <= 1.0 && auto.hi >= 98.0 && auto.hi < 100.0,
            "{auto:?}"
        );
        let mm = Contrast::MinMax.limits(a.view());
        assert_eq!((mm.lo, mm.hi), (0.0, 1e9));
        assert_eq!(mm.level(f64::NAN), None);
        assert_eq!(mm.level(-1.0), Some(0.0));
        assert_eq!(mm.level(5e8), Some(0.5));
    }

    #[test]
    fn log_starts_at_the_smallest_positive_value() {
        let a = ndarray::array![[0.0, 1.0], [10.0, 100.0]];
        let l = Contrast::Log.limits(a.view());
        assert_eq!((l.lo, l.hi, l.log), (1.0, 100.0, true));
        assert_eq!(l.level(10.0), Some(0.5));
        assert_eq!(l.level(0.0), Some(0.0));
        assert!((l.value_at(0.5) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn flat_and_empty_frames_get_usable_limits() {
        let flat = Array2::from_elem((4, 4), 7.0);
        for c in [Contrast::Auto, Contrast::MinMax, Contrast::Log] {
            let l = c.limits(flat.view());
            assert!(l.lo < l.hi, "{c}: {l:?}");
            assert!(l.level(7.0).is_some());
        }
        let nan = Array2::from_elem((2, 2), f64::NAN);
        let l = Contrast::Auto.limits(nan.view());
        assert_eq!((l.lo, l.hi), (0.0, 1.0));
    }
}
