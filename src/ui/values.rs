//! The values the data preview shows: floats fitted to a cell, integers exact (a nanosecond
//! timestamp must not round to `1.7e18`), and the statistics line (min / max / mean of the
//! finite values, and how many are not finite).

use super::util::fit;
use crate::backend::{element_json, ArrayData, DType};

/// The window's values, decoded once per frame.
pub struct Values {
    /// Every value as f64 (for the sparkline and the mean).
    pub f: Vec<f64>,
    /// Integer dtypes: every value exactly.
    pub ints: Option<Vec<i128>>,
    pub dtype: DType,
}

impl Values {
    pub fn of(data: &ArrayData) -> Values {
        let f = (0..data.len()).map(|i| data.get_f64(i)).collect();
        let int = !data.dtype.is_float() && data.dtype != DType::Bool;
        let ints = int.then(|| {
            data.bytes
                .chunks_exact(data.dtype.size())
                .map(|b| exact(&element_json(data.dtype, b)))
                .collect()
        });
        Values {
            f,
            ints,
            dtype: data.dtype,
        }
    }

    pub fn len(&self) -> usize {
        self.f.len()
    }

    pub fn is_empty(&self) -> bool {
        self.f.is_empty()
    }

    /// Value `i` in at most `w` columns; integers are never abbreviated (their columns are
    /// as wide as the dtype needs, see `layout::preview_cell`).
    pub fn cell(&self, i: usize, w: usize) -> String {
        match (&self.ints, self.f.get(i)) {
            (Some(ints), _) => ints.get(i).map(|v| v.to_string()).unwrap_or_default(),
            (None, Some(&v)) => format_value(v, self.dtype, w),
            (None, None) => String::new(),
        }
    }

    /// `min … max … mean … (n shown)`, with the count of NaN and infinite values.
    pub fn stat_line(&self) -> String {
        let n = self.len();
        let non_finite = self.f.iter().filter(|v| !v.is_finite()).count();
        let tail = if non_finite > 0 {
            format!("({n} shown, {non_finite} non-finite)")
        } else {
            format!("({n} shown)")
        };
        if let Some(ints) = self.ints.as_ref().filter(|i| !i.is_empty()) {
            let lo = ints.iter().min().copied().unwrap_or(0);
            let hi = ints.iter().max().copied().unwrap_or(0);
            let mean = ints.iter().map(|&v| v as f64).sum::<f64>() / ints.len() as f64;
            return format!(
                "min {lo}  max {hi}  mean {}  {tail}",
                format_value(mean, DType::Float64, 12)
            );
        }
        match stats(&self.f) {
            Some((lo, hi, mean)) => format!(
                "min {}  max {}  mean {}  {tail}",
                format_value(lo, self.dtype, 12),
                format_value(hi, self.dtype, 12),
                format_value(mean, DType::Float64, 12),
            ),
            None => format!("no finite values {tail}"),
        }
    }
}

/// A JSON integer as i128 (every int64 and uint64 fits).
fn exact(v: &serde_json::Value) -> i128 {
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
        .unwrap_or(0)
}

/// A value in at most `w` columns.
pub fn format_value(v: f64, dtype: DType, w: usize) -> String {
    let s = if dtype == DType::Bool {
        if v != 0.0 {
            "true".into()
        } else {
            "false".into()
        }
    } else if !dtype.is_float() {
        format!("{v:.0}")
    } else if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if v == 0.0 || (v.abs() >= 1e-3 && v.abs() < 1e6) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s
        }
    } else {
        format!("{v:.2e}")
    };
    if s.chars().count() > w {
        let e = format!("{v:.1e}");
        if e.chars().count() <= w {
            e
        } else {
            fit(&s, w)
        }
    } else {
        s
    }
}

/// min, max, mean over finite values (NaN and ±inf left out); None when nothing is finite.
pub fn stats(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut n = 0usize;
    let (mut lo, mut hi, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
    for &v in values {
        if v.is_finite() {
            n += 1;
            lo = lo.min(v);
            hi = hi.max(v);
            sum += v;
        }
    }
    (n > 0).then(|| (lo, hi, sum / n as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fit() {
        assert_eq!(format_value(1.5, DType::Float64, 9), "1.5");
        assert_eq!(format_value(3.0, DType::Int32, 9), "3");
        assert_eq!(format_value(f64::NAN, DType::Float32, 9), "nan");
        assert!(format_value(1.0e12, DType::Float64, 9).chars().count() <= 9);
        assert_eq!(stats(&[1.0, f64::NAN, 3.0]), Some((1.0, 3.0, 2.0)));
        assert_eq!(stats(&[f64::NAN]), None);
    }

    #[test]
    fn integers_are_exact_and_non_finite_values_are_counted() {
        let big = (1u64 << 53) + 1;
        let bytes = [big, u64::MAX]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let d = ArrayData::new(DType::UInt64, vec![2], bytes).expect("data");
        let v = Values::of(&d);
        assert_eq!(v.cell(0, 10), "9007199254740993");
        assert_eq!(v.cell(1, 10), u64::MAX.to_string());
        assert!(v
            .stat_line()
            .starts_with("min 9007199254740993  max 18446744073709551615"));
        let f = [1.0, f64::INFINITY, f64::NAN, -f64::INFINITY];
        let bytes = f.iter().flat_map(|v: &f64| v.to_le_bytes()).collect();
        let d = ArrayData::new(DType::Float64, vec![4], bytes).expect("data");
        let line = Values::of(&d).stat_line();
        assert!(line.ends_with("(4 shown, 3 non-finite)"), "{line}");
    }
}
