//! Element types extent supports, with their numpy, Zarr v3 and Tiled spellings.

use serde::{Deserialize, Serialize};

use super::{Error, Result};

/// The element type of an array. Names are numpy's, which are also Zarr v3's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// `bool` (one byte, 0 or 1).
    Bool,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    #[serde(rename = "uint8")]
    /// `uint8`.
    UInt8,
    #[serde(rename = "uint16")]
    /// `uint16`.
    UInt16,
    #[serde(rename = "uint32")]
    /// `uint32`.
    UInt32,
    #[serde(rename = "uint64")]
    /// `uint64`.
    UInt64,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
}

impl DType {
    /// Every supported dtype, smallest integers first.
    pub const ALL: [DType; 11] = [
        DType::Bool,
        DType::Int8,
        DType::Int16,
        DType::Int32,
        DType::Int64,
        DType::UInt8,
        DType::UInt16,
        DType::UInt32,
        DType::UInt64,
        DType::Float32,
        DType::Float64,
    ];

    /// numpy / Zarr v3 name, e.g. `float64`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::Int8 => "int8",
            DType::Int16 => "int16",
            DType::Int32 => "int32",
            DType::Int64 => "int64",
            DType::UInt8 => "uint8",
            DType::UInt16 => "uint16",
            DType::UInt32 => "uint32",
            DType::UInt64 => "uint64",
            DType::Float32 => "float32",
            DType::Float64 => "float64",
        }
    }

    /// From a numpy name (`uint16`, `float64`, ...); an unknown name is `invalid_input`.
    pub fn parse(s: &str) -> Result<DType> {
        let s = s.trim();
        DType::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = DType::ALL.iter().map(|d| d.name()).collect();
                Error::invalid_input(format!(
                    "unknown dtype '{s}'; expected one of {}",
                    names.join(", ")
                ))
            })
    }

    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::Int8 | DType::UInt8 => 1,
            DType::Int16 | DType::UInt16 => 2,
            DType::Int32 | DType::UInt32 | DType::Float32 => 4,
            DType::Int64 | DType::UInt64 | DType::Float64 => 8,
        }
    }

    /// numpy kind character: `b`, `i`, `u` or `f`.
    pub fn kind(self) -> char {
        match self {
            DType::Bool => 'b',
            DType::Int8 | DType::Int16 | DType::Int32 | DType::Int64 => 'i',
            DType::UInt8 | DType::UInt16 | DType::UInt32 | DType::UInt64 => 'u',
            DType::Float32 | DType::Float64 => 'f',
        }
    }

    /// From numpy's kind character and item size.
    pub fn from_kind(kind: char, itemsize: usize) -> Option<DType> {
        DType::ALL
            .into_iter()
            .find(|d| d.kind() == kind && d.size() == itemsize)
    }

    /// The .npy descr string in little-endian, e.g. `<f8` (`|b1` for bool, `|u1`, `|i1`).
    pub fn npy_descr(self) -> String {
        let order = if self.size() == 1 { '|' } else { '<' };
        format!("{order}{}{}", self.kind(), self.size())
    }

    /// `float32` or `float64`.
    pub fn is_float(self) -> bool {
        matches!(self, DType::Float32 | DType::Float64)
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Encodes a JSON scalar (number, bool, or "NaN"/"Infinity"/"-Infinity") as one
/// little-endian element of `dtype`, refusing values the dtype cannot hold.
pub fn scalar_bytes(dtype: DType, value: &serde_json::Value) -> Result<Vec<u8>> {
    use serde_json::Value;
    let bad = || {
        Error::invalid_input(format!(
            "value {value} does not fit dtype {dtype}",
            value = value
        ))
    };
    let as_f64 = || -> Result<f64> {
        match value {
            Value::Number(n) => n.as_f64().ok_or_else(bad),
            Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
            Value::String(s) => match s.as_str() {
                "NaN" | "nan" => Ok(f64::NAN),
                "Infinity" | "inf" => Ok(f64::INFINITY),
                "-Infinity" | "-inf" => Ok(f64::NEG_INFINITY),
                // A number too large for f64 parses as infinity: refused, not clamped.
                _ => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(bad),
            },
            _ => Err(bad()),
        }
    };
    let as_i128 = || -> Result<i128> {
        match value {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(i as i128)
                } else if let Some(u) = n.as_u64() {
                    Ok(u as i128)
                } else {
                    let f = n.as_f64().ok_or_else(bad)?;
                    // Past 2^53 a float is not an exact integer: refused, never rounded
                    // into range.
                    if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                        Ok(f as i128)
                    } else {
                        Err(bad())
                    }
                }
            }
            Value::Bool(b) => Ok(*b as i128),
            Value::String(s) => s.trim().parse::<i128>().map_err(|_| bad()),
            _ => Err(bad()),
        }
    };
    macro_rules! int {
        ($t:ty) => {{
            let v = as_i128()?;
            <$t>::try_from(v).map_err(|_| bad())?.to_le_bytes().to_vec()
        }};
    }
    Ok(match dtype {
        DType::Bool => match value {
            Value::Bool(b) => vec![*b as u8],
            Value::Number(_) | Value::String(_) => match as_i128()? {
                0 => vec![0],
                1 => vec![1],
                _ => return Err(bad()),
            },
            _ => return Err(bad()),
        },
        DType::Int8 => int!(i8),
        DType::Int16 => int!(i16),
        DType::Int32 => int!(i32),
        DType::Int64 => int!(i64),
        DType::UInt8 => int!(u8),
        DType::UInt16 => int!(u16),
        DType::UInt32 => int!(u32),
        DType::UInt64 => int!(u64),
        DType::Float32 => {
            // `as` would turn a finite value beyond f32's range into infinity.
            let f = as_f64()?;
            let narrow = f as f32;
            if f.is_finite() && !narrow.is_finite() {
                return Err(bad());
            }
            narrow.to_le_bytes().to_vec()
        }
        DType::Float64 => as_f64()?.to_le_bytes().to_vec(),
    })
}

/// Parses a scalar typed on the command line (`1.5`, `-3`, `true`, `nan`) for `dtype`.
pub fn parse_scalar(dtype: DType, text: &str) -> Result<serde_json::Value> {
    let t = text.trim();
    let value = match t {
        "true" | "True" => serde_json::Value::Bool(true),
        "false" | "False" => serde_json::Value::Bool(false),
        "nan" | "NaN" => serde_json::Value::String("NaN".into()),
        "inf" | "Infinity" => serde_json::Value::String("Infinity".into()),
        "-inf" | "-Infinity" => serde_json::Value::String("-Infinity".into()),
        _ => {
            let int = t.parse::<i128>().ok();
            if let Some(i) = int.and_then(|i| i64::try_from(i).ok()) {
                i.into()
            } else if let Some(u) = int.and_then(|i| u64::try_from(i).ok()) {
                u.into()
            } else if int.is_some() && !dtype.is_float() {
                // Exact, so never rounded into range as a float would be.
                return Err(Error::invalid_input(format!(
                    "value {t} does not fit dtype {dtype}"
                )));
            } else if let Ok(f) = t.parse::<f64>() {
                serde_json::Number::from_f64(f)
                    .filter(|_| f.is_finite())
                    .map(serde_json::Value::Number)
                    .ok_or_else(|| {
                        Error::invalid_input(format!("value {t} does not fit dtype {dtype}"))
                    })?
            } else {
                return Err(Error::invalid_input(format!(
                    "'{t}' is not a value of dtype {dtype}"
                )));
            }
        }
    };
    // Validate that it fits, and normalise (e.g. 1.0 for float).
    // Said with the text as typed (`1e39`, not JSON's `1e+39`).
    let bytes = scalar_bytes(dtype, &value)
        .map_err(|_| Error::invalid_input(format!("value {t} does not fit dtype {dtype}")))?;
    Ok(element_json(dtype, &bytes))
}

/// One little-endian element as JSON (floats that are not finite become strings, as in Zarr v3).
pub fn element_json(dtype: DType, b: &[u8]) -> serde_json::Value {
    use serde_json::Value;
    let f = |x: f64| -> Value {
        if x.is_nan() {
            Value::String("NaN".into())
        } else if x == f64::INFINITY {
            Value::String("Infinity".into())
        } else if x == f64::NEG_INFINITY {
            Value::String("-Infinity".into())
        } else {
            serde_json::Number::from_f64(x)
                .map(Value::Number)
                .unwrap_or(Value::Null)
        }
    };
    match dtype {
        DType::Bool => Value::Bool(b[0] != 0),
        DType::Int8 => (b[0] as i8).into(),
        DType::Int16 => i16::from_le_bytes([b[0], b[1]]).into(),
        DType::Int32 => i32::from_le_bytes(b[..4].try_into().unwrap_or_default()).into(),
        DType::Int64 => i64::from_le_bytes(b[..8].try_into().unwrap_or_default()).into(),
        DType::UInt8 => b[0].into(),
        DType::UInt16 => u16::from_le_bytes([b[0], b[1]]).into(),
        DType::UInt32 => u32::from_le_bytes(b[..4].try_into().unwrap_or_default()).into(),
        DType::UInt64 => u64::from_le_bytes(b[..8].try_into().unwrap_or_default()).into(),
        DType::Float32 => f(f32::from_le_bytes(b[..4].try_into().unwrap_or_default()) as f64),
        DType::Float64 => f(f64::from_le_bytes(b[..8].try_into().unwrap_or_default())),
    }
}

/// One little-endian element as f64 (for previews and statistics).
pub fn element_f64(dtype: DType, b: &[u8]) -> f64 {
    match dtype {
        DType::Bool => (b[0] != 0) as u8 as f64,
        DType::Int8 => b[0] as i8 as f64,
        DType::Int16 => i16::from_le_bytes([b[0], b[1]]) as f64,
        DType::Int32 => i32::from_le_bytes(b[..4].try_into().unwrap_or_default()) as f64,
        DType::Int64 => i64::from_le_bytes(b[..8].try_into().unwrap_or_default()) as f64,
        DType::UInt8 => b[0] as f64,
        DType::UInt16 => u16::from_le_bytes([b[0], b[1]]) as f64,
        DType::UInt32 => u32::from_le_bytes(b[..4].try_into().unwrap_or_default()) as f64,
        DType::UInt64 => u64::from_le_bytes(b[..8].try_into().unwrap_or_default()) as f64,
        DType::Float32 => f32::from_le_bytes(b[..4].try_into().unwrap_or_default()) as f64,
        DType::Float64 => f64::from_le_bytes(b[..8].try_into().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ErrorKind;
    use serde_json::json;

    #[test]
    fn names_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::parse(d.name()).unwrap(), d);
            assert_eq!(DType::from_kind(d.kind(), d.size()), Some(d));
            let s = serde_json::to_string(&d).unwrap();
            assert_eq!(s, format!("\"{}\"", d.name()));
        }
        assert!(DType::parse("complex64").is_err());
    }

    #[test]
    fn scalars_are_range_checked() {
        assert_eq!(scalar_bytes(DType::UInt8, &json!(255)).unwrap(), vec![255]);
        assert!(scalar_bytes(DType::UInt8, &json!(256)).is_err());
        assert!(scalar_bytes(DType::UInt8, &json!(-1)).is_err());
        assert!(scalar_bytes(DType::Int8, &json!(1.5)).is_err());
        assert!(scalar_bytes(DType::Bool, &json!(2)).is_err());
        assert_eq!(
            scalar_bytes(DType::UInt64, &json!(u64::MAX)).unwrap(),
            u64::MAX.to_le_bytes()
        );
        assert!(parse_scalar(DType::Float64, "nan").is_ok());
        assert!(parse_scalar(DType::Int32, "abc").is_err());
        assert_eq!(parse_scalar(DType::Float32, "2").unwrap(), json!(2.0));
    }

    /// Every integer width at and just past both ends, and floats past their range: refused
    /// with `invalid_input`, never clamped or wrapped.
    #[test]
    fn values_past_the_range_are_refused() {
        let ints: [(DType, i128, i128); 8] = [
            (DType::Int8, i8::MIN.into(), i8::MAX.into()),
            (DType::Int16, i16::MIN.into(), i16::MAX.into()),
            (DType::Int32, i32::MIN.into(), i32::MAX.into()),
            (DType::Int64, i64::MIN.into(), i64::MAX.into()),
            (DType::UInt8, 0, u8::MAX.into()),
            (DType::UInt16, 0, u16::MAX.into()),
            (DType::UInt32, 0, u32::MAX.into()),
            (DType::UInt64, 0, u64::MAX.into()),
        ];
        for (d, lo, hi) in ints {
            for ok in [lo, hi] {
                let v = parse_scalar(d, &ok.to_string()).unwrap();
                assert_eq!(v.to_string(), ok.to_string(), "{d}");
            }
            for bad in [lo - 1, hi + 1] {
                let e = parse_scalar(d, &bad.to_string()).unwrap_err();
                assert_eq!(e.kind, ErrorKind::InvalidInput, "{d} {bad}");
                assert!(e.message.contains("does not fit"), "{d} {bad}: {e}");
            }
        }
        // Written as floats, past the end of the integer type.
        assert!(parse_scalar(DType::Int64, "9.3e18").is_err());
        assert!(parse_scalar(DType::UInt64, "1e20").is_err());
        assert!(parse_scalar(DType::UInt8, "-1").is_err());
        assert!(scalar_bytes(DType::Int64, &json!(9.3e18)).is_err());
        assert!(scalar_bytes(DType::UInt32, &json!(-1)).is_err());
        // Floats: beyond f32 (would become infinity), beyond f64 (parses as infinity).
        for t in ["1e39", "-1e39", "3.5e38"] {
            let e = parse_scalar(DType::Float32, t).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{t}");
        }
        assert!(parse_scalar(DType::Float32, "3.4e38").is_ok());
        assert!(parse_scalar(DType::Float64, "1e39").is_ok());
        assert!(parse_scalar(DType::Float64, "1e400").is_err());
        assert!(scalar_bytes(DType::Float64, &json!("1e400")).is_err());
        assert!(scalar_bytes(DType::Float32, &json!(1e39)).is_err());
        // Infinity itself, asked for by name, is a value.
        assert!(parse_scalar(DType::Float32, "inf").is_ok());
        assert!(parse_scalar(DType::Float64, "-Infinity").is_ok());
    }
}
