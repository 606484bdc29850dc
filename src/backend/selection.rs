//! Parsers for the offset, shape and slice arguments (`6,0`, `2,3`, `0:4,:`).

use super::{fmt_shape, Error, Result};

/// A rectangular selection: start and end (exclusive) per axis, resolved against a shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// First index per axis.
    pub start: Vec<u64>,
    /// End per axis (exclusive).
    pub end: Vec<u64>,
}

impl Selection {
    /// The whole of `shape`.
    pub fn all(shape: &[u64]) -> Selection {
        Selection {
            start: vec![0; shape.len()],
            end: shape.to_vec(),
        }
    }

    /// Elements per axis.
    pub fn shape(&self) -> Vec<u64> {
        self.start
            .iter()
            .zip(&self.end)
            .map(|(s, e)| e - s)
            .collect()
    }

    /// Refuses selections that do not fit `shape`.
    pub fn check_within(&self, shape: &[u64]) -> Result<()> {
        if self.start.len() != shape.len() || self.end.len() != shape.len() {
            return Err(Error::shape_mismatch(format!(
                "selection has {} axes but the array has {}",
                self.start.len(),
                shape.len()
            )));
        }
        for (axis, ((&s, &e), &n)) in self.start.iter().zip(&self.end).zip(shape).enumerate() {
            if s > e || e > n {
                return Err(Error::out_of_bounds(format!(
                    "selection {s}:{e} on axis {axis} is outside the shape {}",
                    fmt_shape(shape)
                )));
            }
        }
        Ok(())
    }

    /// `0:4,:` style.
    pub fn to_param(&self) -> String {
        let parts: Vec<String> = self
            .start
            .iter()
            .zip(&self.end)
            .map(|(s, e)| format!("{s}:{e}"))
            .collect();
        parts.join(",")
    }
}

fn parse_u64(text: &str, what: &str) -> Result<u64> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(Error::invalid_input(format!(
            "{what} '{t}' is negative; use a value >= 0"
        )));
    }
    t.parse::<u64>()
        .map_err(|_| Error::invalid_input(format!("{what} '{t}' is not a non-negative integer")))
}

fn parse_list(text: &str, what: &str) -> Result<Vec<u64>> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    if t.trim().is_empty() {
        return Err(Error::invalid_input(format!("{what} is empty")));
    }
    t.split(',').map(|p| parse_u64(p, what)).collect()
}

/// `6,0` → `[6, 0]`.
pub fn parse_offset(text: &str) -> Result<Vec<u64>> {
    parse_list(text, "offset")
}

/// `2,3` → `[2, 3]`.
pub fn parse_shape(text: &str) -> Result<Vec<u64>> {
    parse_list(text, "shape")
}

/// `0:4,:` or `2,1:3` against `shape`. Negative and open bounds are as in numpy
/// (`-2:` = the last two); steps are not supported. An integer keeps its axis (length 1).
pub fn parse_slice(text: &str, shape: &[u64]) -> Result<Selection> {
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() > shape.len() {
        return Err(Error::shape_mismatch(format!(
            "slice '{text}' has {} axes but the array has {} (shape {})",
            parts.len(),
            shape.len(),
            fmt_shape(shape)
        )));
    }
    let mut sel = Selection::all(shape);
    for (axis, part) in parts.iter().enumerate() {
        let n = shape[axis];
        let p = part.trim();
        let resolve = |s: &str, default: u64| -> Result<u64> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(default);
            }
            let v: i128 = s.parse().map_err(|_| {
                Error::invalid_input(format!(
                    "slice bound '{s}' on axis {axis} is not an integer"
                ))
            })?;
            let v = if v < 0 { n as i128 + v } else { v };
            if v < 0 || v > n as i128 {
                return Err(Error::out_of_bounds(format!(
                    "slice bound '{s}' is outside axis {axis} of length {n}"
                )));
            }
            Ok(v as u64)
        };
        match p.split(':').collect::<Vec<_>>().as_slice() {
            [single] => {
                if single.trim().is_empty() {
                    return Err(Error::invalid_input(format!("slice axis {axis} is empty")));
                }
                let i = resolve(single, 0)?;
                if i >= n {
                    return Err(Error::out_of_bounds(format!(
                        "index {single} is outside axis {axis} of length {n}"
                    )));
                }
                sel.start[axis] = i;
                sel.end[axis] = i + 1;
            }
            [a, b] => {
                let s = resolve(a, 0)?;
                let e = resolve(b, n)?;
                sel.start[axis] = s;
                sel.end[axis] = e.max(s);
            }
            _ => {
                return Err(Error::invalid_input(format!(
                    "slice '{p}' on axis {axis}: steps are not supported; use start:end"
                )))
            }
        }
    }
    Ok(sel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slices() {
        let s = parse_slice("0:4,:", &[10, 3]).unwrap();
        assert_eq!((s.start, s.end), (vec![0, 0], vec![4, 3]));
        let s = parse_slice("-2:", &[10, 3]).unwrap();
        assert_eq!((s.start, s.end), (vec![8, 0], vec![10, 3]));
        let s = parse_slice("3", &[10]).unwrap();
        assert_eq!((s.start, s.end), (vec![3], vec![4]));
        assert!(parse_slice("0:11", &[10]).is_err());
        assert!(parse_slice("0:4:2", &[10]).is_err());
        assert!(parse_slice("0,0", &[10]).is_err());
        assert!(parse_offset("-1,0").is_err());
        assert!(parse_offset("").is_err());
        assert!(parse_offset("18446744073709551616").is_err());
        assert_eq!(parse_shape("[2, 3]").unwrap(), vec![2, 3]);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = parse_offset(&s);
            let _ = parse_shape(&s);
            let _ = parse_slice(&s, &[5, 7, 0]);
        }

        #[test]
        fn slices_stay_in_bounds(s in "[-0-9:, ]{0,20}", a in 0u64..20, b in 0u64..20) {
            if let Ok(sel) = parse_slice(&s, &[a, b]) {
                sel.check_within(&[a, b]).unwrap();
            }
        }
    }
}
