//! Reading and writing `.npy` files (format 1.0–3.0), little- or big-endian, C order.
//!
//! Written here rather than through a typed reader because extent learns the dtype from the
//! file itself and must turn every malformed file into a clear error, never a panic.

use std::io::Write;
use std::path::Path;

use crate::backend::{checked_elements, ArrayData, DType, Error, Result};

const MAGIC: &[u8] = b"\x93NUMPY";
/// Header size cap: numpy itself refuses headers over 10 KiB by default.
const MAX_HEADER: usize = 1 << 16;

/// Parses a whole `.npy` file held in memory.
pub fn parse(bytes: &[u8]) -> Result<ArrayData> {
    let bad = |why: &str| Error::invalid_input(format!("not a valid .npy file: {why}"));
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad(
            "missing the \\x93NUMPY magic (is it empty or truncated?)",
        ));
    }
    let major = bytes[6];
    let (header_len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(bad("truncated header"));
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(bad(&format!("unsupported format version {v}"))),
    };
    if header_len > MAX_HEADER || start + header_len > bytes.len() {
        return Err(bad("truncated or oversized header"));
    }
    let header = std::str::from_utf8(&bytes[start..start + header_len])
        .map_err(|_| bad("header is not text"))?;
    let descr = dict_value(header, "descr").ok_or_else(|| bad("no 'descr' in header"))?;
    let descr = descr.trim().trim_matches(|c| c == '\'' || c == '"');
    let fortran = dict_value(header, "fortran_order").ok_or_else(|| bad("no 'fortran_order'"))?;
    if fortran.trim() != "False" {
        return Err(Error::invalid_input(
            "the .npy file is in Fortran order; save it in C order (numpy.ascontiguousarray) and retry",
        ));
    }
    let shape_text = dict_value(header, "shape").ok_or_else(|| bad("no 'shape' in header"))?;
    let shape = parse_tuple(shape_text).ok_or_else(|| bad("malformed 'shape'"))?;
    let (dtype, big_endian) = parse_descr(descr)?;
    let n = checked_elements(&shape)?;
    let want = (n as u128) * dtype.size() as u128;
    let body = &bytes[start + header_len..];
    if body.len() as u128 != want {
        return Err(bad(&format!(
            "the header promises {want} bytes of data but the file holds {}",
            body.len()
        )));
    }
    let mut data = body.to_vec();
    if big_endian && dtype.size() > 1 {
        for e in data.chunks_exact_mut(dtype.size()) {
            e.reverse();
        }
    }
    if dtype == DType::Bool && data.iter().any(|&b| b > 1) {
        return Err(bad("bool data holds values other than 0 and 1"));
    }
    ArrayData::new(dtype, shape, data)
}

/// Reads a `.npy` file from disk.
pub fn read(path: &Path) -> Result<ArrayData> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::invalid_input(format!("cannot read {}", path.display())).with_source(e)
    })?;
    parse(&bytes).map_err(|e| e.context(path.display()))
}

/// The header of a version 1.0 `.npy` file holding `shape` of `dtype`: what comes before the
/// data, so a writer can stream the data after it.
pub fn header(dtype: DType, shape: &[u64]) -> Vec<u8> {
    let shape = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => {
            let parts: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        dtype.npy_descr()
    );
    // Pad so the data starts on a 64-byte boundary, newline-terminated.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out
}

/// Encodes data as a version 1.0 `.npy` file.
pub fn encode(data: &ArrayData) -> Vec<u8> {
    let mut out = header(data.dtype, &data.shape);
    out.extend_from_slice(&data.bytes);
    out
}

/// Writes a `.npy` file (to a temp file, then renamed into place).
pub fn write(path: &Path, data: &ArrayData) -> Result<()> {
    let tmp = path.with_extension("npy.tmp");
    let r = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&encode(data)).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    r.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(format!("cannot write {}", path.display())).with_source(e)
    })
}

fn parse_descr(descr: &str) -> Result<(DType, bool)> {
    let unsupported = || {
        Error::dtype_mismatch(format!(
            "the .npy dtype '{descr}' is not supported (bool, int8-64, uint8-64, float32/64)"
        ))
    };
    let mut chars = descr.chars();
    let order = chars.next().ok_or_else(unsupported)?;
    let (kind, size) = match order {
        '<' | '>' | '|' | '=' => {
            let kind = chars.next().ok_or_else(unsupported)?;
            (kind, chars.as_str())
        }
        k => (k, &descr[1..]),
    };
    let size: usize = size.parse().map_err(|_| unsupported())?;
    let dtype = DType::from_kind(kind, size).ok_or_else(unsupported)?;
    Ok((dtype, order == '>'))
}

/// The text of `'key': value` in a Python dict literal, up to the next top-level comma.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pat1 = format!("'{key}'");
    let pat2 = format!("\"{key}\"");
    let at = header.find(&pat1).or_else(|| header.find(&pat2))? + pat1.len();
    let rest = header[at..].trim_start().strip_prefix(':')?;
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(rest[..i].trim()),
            _ => {}
        }
    }
    None
}

fn parse_tuple(text: &str) -> Option<Vec<u64>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.trim_end_matches('L').parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Replaces the first occurrence of `from` (same length as `to`) in the header.
    fn patch_header(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
        assert_eq!(from.len(), to.len());
        let mut out = bytes.to_vec();
        let at = out
            .windows(from.len())
            .position(|w| w == from.as_bytes())
            .unwrap();
        out[at..at + to.len()].copy_from_slice(to.as_bytes());
        out
    }

    #[test]
    fn round_trip() {
        for dtype in DType::ALL {
            let d = ArrayData::filled(dtype, &[2, 3], &serde_json::json!(1)).unwrap();
            assert_eq!(parse(&encode(&d)).unwrap(), d);
        }
        let d = ArrayData::filled(DType::Int16, &[5], &serde_json::json!(-3)).unwrap();
        assert_eq!(parse(&encode(&d)).unwrap(), d);
    }

    #[test]
    fn refuses_bad_files() {
        let d = ArrayData::filled(DType::Float64, &[2, 2], &serde_json::json!(1.5)).unwrap();
        let good = encode(&d);
        assert!(parse(&[]).is_err());
        assert!(parse(&good[..good.len() - 1]).is_err());
        let e = parse(&patch_header(&good, "False", "True ")).unwrap_err();
        assert!(e.message.contains("Fortran"), "{e}");
        let e = parse(&patch_header(&good, "<f8", "<c8")).unwrap_err();
        assert!(e.message.contains("<c8"), "{e}");
        assert!(parse(&patch_header(&good, "(2, 2)", "(2, 3)")).is_err());
    }

    #[test]
    fn big_endian_is_swapped() {
        let d = ArrayData::filled(DType::UInt16, &[1], &serde_json::json!(258)).unwrap();
        let mut bytes = patch_header(&encode(&d), "<u2", ">u2");
        let n = bytes.len();
        bytes[n - 2..].copy_from_slice(&258u16.to_be_bytes());
        assert_eq!(parse(&bytes).unwrap(), d);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_on_mutated_headers(i in 0usize..80, b in any::<u8>()) {
            let d = ArrayData::filled(DType::Int32, &[3, 2], &serde_json::json!(7)).unwrap();
            let mut bytes = encode(&d);
            let i = i % bytes.len();
            bytes[i] = b;
            let _ = parse(&bytes);
        }
    }
}
