//! A block of array data: dtype, shape and little-endian C-order bytes.

use super::{checked_elements, element_f64, element_json, fmt_shape, scalar_bytes, DType};
use super::{Error, Result};

/// A dense block of elements, little-endian, C order. The layout every backend speaks.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayData {
    /// Element type.
    pub dtype: DType,
    /// Elements per axis.
    pub shape: Vec<u64>,
    /// `shape.product() * dtype.size()` bytes.
    pub bytes: Vec<u8>,
}

impl ArrayData {
    /// Wraps bytes, checking their length matches dtype and shape.
    pub fn new(dtype: DType, shape: Vec<u64>, bytes: Vec<u8>) -> Result<ArrayData> {
        let n = checked_elements(&shape)?;
        let want = n
            .checked_mul(dtype.size() as u64)
            .ok_or_else(|| Error::invalid_input("data too large"))?;
        if bytes.len() as u64 != want {
            return Err(Error::shape_mismatch(format!(
                "{} bytes do not make a {dtype} block of shape {} ({want} bytes)",
                bytes.len(),
                fmt_shape(&shape)
            )));
        }
        Ok(ArrayData {
            dtype,
            shape,
            bytes,
        })
    }

    /// A block where every element is `value`.
    pub fn filled(dtype: DType, shape: &[u64], value: &serde_json::Value) -> Result<ArrayData> {
        let one = scalar_bytes(dtype, value)?;
        let n = checked_elements(shape)?;
        if n > (1 << 31) {
            return Err(Error::invalid_input(format!(
                "a filled block of shape {} is too large to build in memory",
                fmt_shape(shape)
            )));
        }
        let bytes = one.repeat(n as usize);
        Ok(ArrayData {
            dtype,
            shape: shape.to_vec(),
            bytes,
        })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.bytes.len() / self.dtype.size()
    }

    /// Whether the block has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` (C order) as f64.
    pub fn get_f64(&self, i: usize) -> f64 {
        let s = self.dtype.size();
        element_f64(self.dtype, &self.bytes[i * s..(i + 1) * s])
    }

    /// All elements as JSON values, C order.
    pub fn to_json_values(&self) -> Vec<serde_json::Value> {
        self.bytes
            .chunks_exact(self.dtype.size())
            .map(|b| element_json(self.dtype, b))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_checked() {
        assert!(ArrayData::new(DType::UInt16, vec![2, 2], vec![0; 8]).is_ok());
        let e = ArrayData::new(DType::UInt16, vec![2, 2], vec![0; 7]).unwrap_err();
        assert_eq!(e.kind, super::super::ErrorKind::ShapeMismatch);
        let f = ArrayData::filled(DType::Int16, &[3], &serde_json::json!(-2)).unwrap();
        assert_eq!(f.get_f64(2), -2.0);
        assert_eq!(f.to_json_values(), vec![serde_json::json!(-2); 3]);
    }
}

/// Copies an N-d box of `count` elements from `src` (a C-order block of `src_shape`, box at
/// `src_start`) into `dst` (of `dst_shape`, box at `dst_start`). Elements are `elem` bytes.
/// Callers guarantee the boxes fit; this is the one strided copy every backend uses.
#[allow(clippy::too_many_arguments)]
pub fn copy_box(
    src: &[u8],
    src_shape: &[u64],
    src_start: &[u64],
    dst: &mut [u8],
    dst_shape: &[u64],
    dst_start: &[u64],
    count: &[u64],
    elem: usize,
) {
    let n = count.len();
    if n == 0 {
        dst[..elem].copy_from_slice(&src[..elem]);
        return;
    }
    if count.contains(&0) {
        return;
    }
    let strides = |shape: &[u64]| -> Vec<u64> {
        let mut s = vec![1u64; shape.len()];
        for i in (0..shape.len().saturating_sub(1)).rev() {
            s[i] = s[i + 1] * shape[i + 1];
        }
        s
    };
    let ss = strides(src_shape);
    let ds = strides(dst_shape);
    let row = count[n - 1] as usize * elem;
    // Iterate over every index of the leading n-1 axes; the last axis is one contiguous row.
    let mut idx = vec![0u64; n - 1];
    loop {
        let mut so = src_start[n - 1];
        let mut doff = dst_start[n - 1];
        for a in 0..n - 1 {
            so += (src_start[a] + idx[a]) * ss[a];
            doff += (dst_start[a] + idx[a]) * ds[a];
        }
        let (so, doff) = (so as usize * elem, doff as usize * elem);
        dst[doff..doff + row].copy_from_slice(&src[so..so + row]);
        // Odometer increment over the leading axes. Kept here rather than using
        // `geometry::Boxes`: this runs once per row of every read and write, and stepping in
        // place allocates nothing.
        let mut a = n - 1;
        loop {
            if a == 0 {
                return;
            }
            a -= 1;
            idx[a] += 1;
            if idx[a] < count[a] {
                break;
            }
            idx[a] = 0;
        }
    }
}

#[cfg(test)]
mod copy_tests {
    use super::copy_box;

    #[test]
    fn copies_a_box() {
        // 3x4 source, take the 2x2 box at (1,1) into a 2x3 destination at (0,1).
        let src: Vec<u8> = (0..12).collect();
        let mut dst = vec![0u8; 6];
        copy_box(
            &src,
            &[3, 4],
            &[1, 1],
            &mut dst,
            &[2, 3],
            &[0, 1],
            &[2, 2],
            1,
        );
        assert_eq!(dst, vec![0, 5, 6, 0, 9, 10]);
        let mut d1 = vec![0u8; 4];
        copy_box(&[1, 2, 3, 4, 5], &[5], &[1], &mut d1, &[4], &[0], &[3], 1);
        assert_eq!(d1, vec![2, 3, 4, 0]);
    }
}
