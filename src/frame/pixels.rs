//! A frame's pixels in their own element type: a 2048² uint16 frame is 8 MiB to read when it
//! is binned or summarised, not the 32 MiB it would be widened to `f64`. Every value is
//! widened to `f64` as it is read, so binning, statistics and limits give the numbers a
//! widened copy gives. Bool is kept as 0/1 bytes.

use std::ops::Range;

use ndarray::{s, Array2, ArrayView2};

use super::stats::{Stats, Summary};
use super::{BinMode, Contrast, Limits};
use crate::backend::{DType, Error, Result};

/// An element type a frame can hold: read as `f64` (the widening every dtype had before).
pub trait Pixel: Copy + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// Bytes of one element.
    const SIZE: usize;
    /// The value as f64 (exact up to 2^53, rounded beyond, as `as f64` does).
    fn to_f64(self) -> f64;
    /// One element from its little-endian bytes (`b` is `SIZE` long).
    fn from_le(b: &[u8]) -> Self;
    /// The summary of `v` (see [`Summary::of`]).
    fn summary(v: &[Self]) -> Summary {
        super::stats::summary(v)
    }
}

macro_rules! pixel {
    ($($t:ty),* ; $($small:ty),*) => {
        $(pixel!(@one $t);)*
        $(pixel!(@one $small, fn summary(v: &[Self]) -> Summary {
            super::stats::small_int_summary(v)
        });)*
    };
    (@one $t:ty $(, $summary:item)?) => {
        impl Pixel for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_le(b: &[u8]) -> Self {
                <$t>::from_le_bytes(b.try_into().unwrap_or([0; std::mem::size_of::<$t>()]))
            }
            $($summary)?
        }
    };
}
// 8- and 16-bit integers are summarised as integers (see `stats::small_int_summary`).
pixel!(u32, i32, u64, i64, f32, f64; u8, i8, u16, i16);

/// A frame's pixels, owned, one variant per element type (bool is `U8` of 0/1).
#[derive(Debug, Clone, PartialEq)]
pub enum Pixels {
    U8(Array2<u8>),
    I8(Array2<i8>),
    U16(Array2<u16>),
    I16(Array2<i16>),
    U32(Array2<u32>),
    I32(Array2<i32>),
    U64(Array2<u64>),
    I64(Array2<i64>),
    F32(Array2<f32>),
    F64(Array2<f64>),
}

/// A view of a frame's pixels (or a window of them) in their own element type.
#[derive(Debug, Clone, Copy)]
pub enum PixelsView<'a> {
    U8(ArrayView2<'a, u8>),
    I8(ArrayView2<'a, i8>),
    U16(ArrayView2<'a, u16>),
    I16(ArrayView2<'a, i16>),
    U32(ArrayView2<'a, u32>),
    I32(ArrayView2<'a, i32>),
    U64(ArrayView2<'a, u64>),
    I64(ArrayView2<'a, i64>),
    F32(ArrayView2<'a, f32>),
    F64(ArrayView2<'a, f64>),
}

/// `$body` with `$a` bound to the typed array of whichever variant `$v` is.
macro_rules! each {
    ($ty:ident, $v:expr, $a:ident => $body:expr) => {
        match $v {
            $ty::U8($a) => $body,
            $ty::I8($a) => $body,
            $ty::U16($a) => $body,
            $ty::I16($a) => $body,
            $ty::U32($a) => $body,
            $ty::I32($a) => $body,
            $ty::U64($a) => $body,
            $ty::I64($a) => $body,
            $ty::F32($a) => $body,
            $ty::F64($a) => $body,
        }
    };
}

/// As [`each`], the result wrapped in the same variant of `$out`.
macro_rules! map {
    ($ty:ident => $out:ident, $v:expr, $a:ident => $body:expr) => {
        match $v {
            $ty::U8($a) => $out::U8($body),
            $ty::I8($a) => $out::I8($body),
            $ty::U16($a) => $out::U16($body),
            $ty::I16($a) => $out::I16($body),
            $ty::U32($a) => $out::U32($body),
            $ty::I32($a) => $out::I32($body),
            $ty::U64($a) => $out::U64($body),
            $ty::I64($a) => $out::I64($body),
            $ty::F32($a) => $out::F32($body),
            $ty::F64($a) => $out::F64($body),
        }
    };
}

impl Pixels {
    /// No pixels.
    pub fn empty() -> Pixels {
        Pixels::F64(Array2::zeros((0, 0)))
    }

    /// The pixels as a view.
    pub fn view(&self) -> PixelsView<'_> {
        map!(Pixels => PixelsView, self, a => a.view())
    }

    /// `(rows, columns)`.
    pub fn dim(&self) -> (usize, usize) {
        each!(Pixels, self, a => a.dim())
    }
}

impl<'a> PixelsView<'a> {
    /// `(rows, columns)`.
    pub fn dim(&self) -> (usize, usize) {
        each!(PixelsView, self, a => a.dim())
    }

    /// Whether there are no pixels.
    pub fn is_empty(&self) -> bool {
        each!(PixelsView, self, a => a.is_empty())
    }

    /// Rows `rows` and columns `cols` of these (ranges within [`PixelsView::dim`]).
    pub fn window(self, rows: Range<usize>, cols: Range<usize>) -> PixelsView<'a> {
        map!(PixelsView => PixelsView, self, a => a.slice_move(s![rows, cols]))
    }

    /// The pixel at `(row, column)` as f64, `None` outside.
    pub fn get(&self, (y, x): (usize, usize)) -> Option<f64> {
        each!(PixelsView, self, a => a.get((y, x)).map(|v| v.to_f64()))
    }

    /// Every pixel as f64.
    pub fn to_f64(&self) -> Array2<f64> {
        each!(PixelsView, self, a => a.mapv(Pixel::to_f64))
    }

    /// Resampled to exactly `size` (see [`super::fit::resample`]).
    pub fn resample(&self, size: (usize, usize), mode: BinMode) -> Array2<f64> {
        each!(PixelsView, self, a => super::fit::resample(a.view(), size, mode))
    }

    /// The contrast limits of these pixels (see [`Contrast::limits`]).
    pub fn limits(&self, contrast: Contrast) -> Limits {
        each!(PixelsView, self, a => contrast.limits(a.view()))
    }

    /// See [`Stats::sampled_with`].
    pub fn sampled_stats(&self, bins: usize, sample: usize, known: Option<Summary>) -> Stats {
        each!(PixelsView, self, a => Stats::sampled_with(a.view(), bins, sample, known))
    }
}

/// Elements converted at a time: a block's pixels are still in the cache for its summary.
pub(super) const BLOCK: usize = 1 << 13;

impl Pixels {
    /// `bytes` (`h`×`w` little-endian elements of `dtype`) converted into these pixels: the
    /// buffer is reused when its element type is the same and it is not far larger than the
    /// frame. Returns the summary of the values, taken block by block as they are converted.
    pub(super) fn refill(
        &mut self,
        dtype: DType,
        bytes: &[u8],
        (h, w): (usize, usize),
    ) -> Result<Summary> {
        let old = std::mem::replace(self, Pixels::empty());
        macro_rules! into {
            ($var:ident, $conv:expr) => {{
                let old = match old {
                    Pixels::$var(a) => Some(a),
                    _ => None,
                };
                let (a, summary) = fill(old, bytes, (h, w), $conv)?;
                *self = Pixels::$var(a);
                summary
            }};
        }
        Ok(match dtype {
            DType::Bool => into!(U8, |b: &[u8]| (b[0] != 0) as u8),
            DType::UInt8 => into!(U8, <u8 as Pixel>::from_le),
            DType::Int8 => into!(I8, <i8 as Pixel>::from_le),
            DType::UInt16 => into!(U16, <u16 as Pixel>::from_le),
            DType::Int16 => into!(I16, <i16 as Pixel>::from_le),
            DType::UInt32 => into!(U32, <u32 as Pixel>::from_le),
            DType::Int32 => into!(I32, <i32 as Pixel>::from_le),
            DType::UInt64 => into!(U64, <u64 as Pixel>::from_le),
            DType::Int64 => into!(I64, <i64 as Pixel>::from_le),
            DType::Float32 => into!(F32, <f32 as Pixel>::from_le),
            DType::Float64 => into!(F64, <f64 as Pixel>::from_le),
        })
    }

    /// Where the pixel buffer lives (tests: a kept buffer is converted into again).
    pub fn buffer_addr(&self) -> usize {
        each!(Pixels, self, a => a.as_ptr() as usize)
    }
}

/// The elements of `bytes` (`T::SIZE` bytes each, `h * w` of them) by `conv` into `old`'s
/// buffer (or a new one), and their summary.
fn fill<T: Pixel>(
    old: Option<Array2<T>>,
    bytes: &[u8],
    (h, w): (usize, usize),
    conv: impl Fn(&[u8]) -> T,
) -> Result<(Array2<T>, Summary)> {
    let mut buf = old
        .map(|a| a.into_raw_vec_and_offset().0)
        .unwrap_or_default();
    // A buffer far larger than this frame (a big frame seen before) is not kept alive.
    if buf.capacity() > 2 * h * w {
        buf = Vec::new();
    }
    buf.clear();
    buf.reserve_exact(bytes.len() / T::SIZE);
    let mut total = Summary::EMPTY;
    for b in bytes.chunks(BLOCK * T::SIZE) {
        let start = buf.len();
        buf.extend(b.chunks_exact(T::SIZE).map(&conv));
        total = total.merge(Summary::of(&buf[start..]));
    }
    let a = Array2::from_shape_vec((h, w), buf)
        .map_err(|e| Error::invalid_input(format!("frame of {h}x{w}: {e}")))?;
    Ok((a, total))
}
