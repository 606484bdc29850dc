//! Frames: the 2-D image of the last two axes of an array at one index of the leading axes,
//! its pixels kept in their own element type (see [`pixels`]) and read as `f64`, with what
//! turns them into colours (contrast, colormap, binning), their statistics and a PNG encoder.
//! Pure: no terminal, no I/O. A caller reads the frame's region with the backend's own read
//! (so only the chunks the frame spans are read) and hands the block to [`Frame::from_data`]:
//!
//! ```ignore
//! let sel = frame::selection(&info.shape, &at, None)?;
//! let frame = Frame::from_data(&store.read(&info.path, Some(&sel)).await?, at, sel.start)?;
//! ```

pub mod bin;
pub mod colormap;
pub mod contrast;
pub mod fit;
pub mod pixels;
pub mod png;
pub mod stats;

use std::ops::Range;
use std::sync::OnceLock;

use ndarray::{Array2, ArrayView2};

use crate::backend::{fmt_shape, ArrayData, DType, Error, Result, Selection};

pub use bin::{bin, fit_factor, BinMode};
pub use colormap::{Colormap, NAN_RGB};
pub use contrast::{Contrast, Limits};
pub use pixels::{Pixel, Pixels, PixelsView};
pub use stats::{Stats, Summary};

/// One 2-D frame: pixels `[row, column]` of the last two axes.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The pixels in the array's element type; bool is 0/1, NaN stays NaN.
    pixels: Pixels,
    /// The array's element type.
    pub dtype: DType,
    /// The index on each leading axis (empty for a 2-D array).
    pub index: Vec<u64>,
    /// Where the pixels start on the last two axes (non-zero for a window of a 2-D array).
    pub origin: [u64; 2],
    /// The summary of the pixels taken as they were converted (while each block was still in
    /// the cache), so the statistics need no pass of their own.
    summary: Summary,
    /// Every pixel as f64, made on the first [`Frame::view`] (the CLI's whole-frame work);
    /// the viewer works from the typed pixels and never makes it.
    wide: OnceLock<Array2<f64>>,
}

impl PartialEq for Frame {
    fn eq(&self, o: &Frame) -> bool {
        (self.dtype, &self.index, self.origin) == (o.dtype, &o.index, o.origin)
            && self.pixels == o.pixels
    }
}

impl Frame {
    /// Builds a frame from a read of [`selection`]: the block's last two axes are the image,
    /// every leading axis must have length 1. `index` and `origin` say where it came from.
    pub fn from_data(data: &ArrayData, index: Vec<u64>, origin: [u64; 2]) -> Result<Frame> {
        let mut frame = Frame {
            pixels: Pixels::empty(),
            dtype: data.dtype,
            index: Vec::new(),
            origin,
            summary: Summary::EMPTY,
            wide: OnceLock::new(),
        };
        frame.refill(data, index, origin)?;
        Ok(frame)
    }

    /// Converts `data` (as for [`Frame::from_data`]) into this frame, reusing its pixel
    /// buffer: a frame of the same element type no larger than the last allocates nothing, so
    /// a viewer that follows a writer touches the same pages every frame instead of faulting
    /// in fresh ones. After an error its pixels may be left empty (0×0).
    pub fn refill(&mut self, data: &ArrayData, index: Vec<u64>, origin: [u64; 2]) -> Result<()> {
        let dims = frame_dims(data)?;
        check_dtype(data.dtype)?;
        self.wide = OnceLock::new();
        self.summary = Summary::EMPTY;
        self.summary = self.pixels.refill(data.dtype, &data.bytes, dims)?;
        (self.dtype, self.index, self.origin) = (data.dtype, index, origin);
        Ok(())
    }

    /// Rows (height) of the image.
    pub fn height(&self) -> usize {
        self.pixels.dim().0
    }

    /// Columns (width) of the image.
    pub fn width(&self) -> usize {
        self.pixels.dim().1
    }

    /// Whether the frame has no pixels.
    pub fn is_empty(&self) -> bool {
        self.pixels.view().is_empty()
    }

    /// The pixels in their own element type.
    pub fn pixels(&self) -> PixelsView<'_> {
        self.pixels.view()
    }

    /// The pixel at `(row, column)` as f64, `None` outside the frame.
    pub fn get(&self, at: (usize, usize)) -> Option<f64> {
        self.pixels.view().get(at)
    }

    /// Every pixel as f64, widened on the first call and kept: for whole-frame work done once
    /// (the CLI's PNG and exact statistics); a viewer uses [`Frame::pixels`].
    pub fn view(&self) -> ArrayView2<'_, f64> {
        self.wide.get_or_init(|| self.pixels.view().to_f64()).view()
    }

    /// Where the pixel buffer lives (tests: a kept buffer is converted into again).
    pub fn buffer_addr(&self) -> usize {
        self.pixels.buffer_addr()
    }

    /// The statistics of the pixels as converted, the histogram of a sample of at most about
    /// `sample` pixels (see [`Stats::sampled`]); no pass over the whole frame.
    pub fn sampled_stats(&self, bins: usize, sample: usize) -> Stats {
        self.pixels
            .view()
            .sampled_stats(bins, sample, Some(self.summary))
    }

    /// The contrast limits of the whole frame; min-max from the summary, no pass of its own.
    pub fn limits(&self, contrast: Contrast) -> Limits {
        match (contrast, self.summary.min_max()) {
            (Contrast::MinMax, Some((lo, hi))) => Limits::new(lo, hi, false),
            (c, ..) => self.pixels.view().limits(c),
        }
    }
}

/// Whether `dtype` has an image. Every dtype extent stores does (bool as 0/1); a new one must
/// decide here.
pub fn check_dtype(dtype: DType) -> Result<()> {
    match dtype {
        DType::Bool
        | DType::Int8
        | DType::Int16
        | DType::Int32
        | DType::Int64
        | DType::UInt8
        | DType::UInt16
        | DType::UInt32
        | DType::UInt64
        | DType::Float32
        | DType::Float64 => Ok(()),
    }
}

/// The region to read for the frame at `index` (one entry per leading axis) of an array of
/// `shape`. `window` narrows the last two axes (rows, columns), e.g. to a pane's worth of a
/// long 2-D waterfall; `None` takes them whole. Errors name what does not fit.
pub fn selection(
    shape: &[u64],
    index: &[u64],
    window: Option<[Range<u64>; 2]>,
) -> Result<Selection> {
    let n = shape.len();
    if n < 2 {
        return Err(Error::invalid_input(format!(
            "an array of shape {} has {n} dimension{}; a frame needs at least 2",
            fmt_shape(shape),
            if n == 1 { "" } else { "s" }
        )));
    }
    let lead = n - 2;
    if index.len() != lead {
        return Err(Error::invalid_input(format!(
            "an array of shape {} needs {lead} frame index{} (one per leading axis), got {}",
            fmt_shape(shape),
            if lead == 1 { "" } else { "es" },
            index.len()
        )));
    }
    let mut sel = Selection::all(shape);
    for (axis, (&i, &len)) in index.iter().zip(shape).enumerate() {
        if i >= len {
            return Err(Error::invalid_input(format!(
                "frame index {i} is out of range on axis {axis} of length {len}{}",
                if len == 0 {
                    " (no frame written yet)".to_string()
                } else {
                    format!(" (0 to {})", len - 1)
                }
            )));
        }
        sel.start[axis] = i;
        sel.end[axis] = i + 1;
    }
    if let Some(w) = window {
        for (k, r) in w.into_iter().enumerate() {
            let axis = lead + k;
            if r.start > r.end || r.end > shape[axis] {
                return Err(Error::invalid_input(format!(
                    "window {}..{} does not fit axis {axis} of length {}",
                    r.start, r.end, shape[axis]
                )));
            }
            sel.start[axis] = r.start;
            sel.end[axis] = r.end;
        }
    }
    Ok(sel)
}

/// The number of frames: the length of axis 0 for 3 or more dimensions, 1 for a 2-D array.
pub fn frame_count(shape: &[u64]) -> u64 {
    if shape.len() > 2 {
        shape[0]
    } else {
        1
    }
}

/// Index of the newest frame (the last along axis 0, 0 on the other leading axes), or `None`
/// when there is none yet; `[]` for a 2-D array.
pub fn last_index(shape: &[u64]) -> Option<Vec<u64>> {
    let n = shape.len();
    if n < 2 || shape[n - 2..].contains(&0) {
        return None;
    }
    if n == 2 {
        return Some(Vec::new());
    }
    let mut at = vec![0; n - 2];
    at[0] = shape[0].checked_sub(1)?;
    (shape[1..n - 2].iter().all(|&l| l > 0)).then_some(at)
}

/// The image's height and width of a block that is one frame, or why it is not one.
fn frame_dims(data: &ArrayData) -> Result<(usize, usize)> {
    let n = data.shape.len();
    if n < 2 || data.shape[..n - 2].iter().any(|&l| l != 1) {
        return Err(Error::invalid_input(format!(
            "a block of shape {} is not one 2-D frame",
            fmt_shape(&data.shape)
        )));
    }
    Ok((data.shape[n - 2] as usize, data.shape[n - 1] as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ErrorKind;

    #[test]
    fn selection_picks_one_frame_and_names_what_does_not_fit() {
        let s = selection(&[5, 3, 4], &[2], None).unwrap();
        assert_eq!((s.start, s.end), (vec![2, 0, 0], vec![3, 3, 4]));
        let s = selection(&[7, 9], &[], Some([2..5, 0..9])).unwrap();
        assert_eq!((s.start, s.end), (vec![2, 0], vec![5, 9]));
        let e = selection(&[5, 3, 4], &[5], None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("out of range"), "{}", e.message);
        let e = selection(&[5], &[], None).unwrap_err();
        assert!(e.message.contains("at least 2"), "{}", e.message);
        assert!(selection(&[0, 3, 4], &[0], None).is_err());
        assert!(selection(&[2, 3, 4], &[], None).is_err());
    }

    #[test]
    fn blocks_become_f64_frames_bool_as_0_1_and_nan_kept() {
        let d = ArrayData::new(DType::Bool, vec![1, 2, 2], vec![0, 1, 2, 0]).unwrap();
        let f = Frame::from_data(&d, vec![3], [0, 0]).unwrap();
        assert_eq!(f.view(), ndarray::array![[0.0, 1.0], [1.0, 0.0]]);
        assert!(matches!(f.pixels(), PixelsView::U8(_)));
        let bytes: Vec<u8> = [1.5f32, f32::NAN, -2.0, 7.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let d = ArrayData::new(DType::Float32, vec![2, 2], bytes).unwrap();
        let f = Frame::from_data(&d, vec![], [0, 0]).unwrap();
        assert!(f.view()[[0, 1]].is_nan());
        assert!(f.get((0, 1)).unwrap().is_nan());
        assert_eq!(
            (f.view()[[1, 0]], f.get((1, 0)), f.get((2, 0))),
            (-2.0, Some(-2.0), None)
        );
        assert!(matches!(f.pixels(), PixelsView::F32(_)));
        let d = ArrayData::new(DType::UInt8, vec![2, 2, 1], vec![0; 4]).unwrap();
        assert!(Frame::from_data(&d, vec![0], [0, 0]).is_err());
    }

    /// Four values of `dtype` (its extremes among them) as little-endian bytes, and the
    /// pixels they must become.
    fn sample(dtype: DType) -> (Vec<u8>, [f64; 4]) {
        fn le<T: Copy, const N: usize>(v: [T; 4], f: fn(T) -> [u8; N]) -> Vec<u8> {
            v.iter().flat_map(|&x| f(x)).collect()
        }
        match dtype {
            DType::Bool => (vec![0, 1, 7, 0], [0.0, 1.0, 1.0, 0.0]),
            DType::Int8 => (
                le([-128i8, -1, 0, 127], i8::to_le_bytes),
                [-128.0, -1.0, 0.0, 127.0],
            ),
            DType::UInt8 => (vec![0, 1, 128, 255], [0.0, 1.0, 128.0, 255.0]),
            DType::Int16 => (
                le([i16::MIN, -1, 0, i16::MAX], i16::to_le_bytes),
                [-32768.0, -1.0, 0.0, 32767.0],
            ),
            DType::UInt16 => (
                le([0u16, 1, 4095, u16::MAX], u16::to_le_bytes),
                [0.0, 1.0, 4095.0, 65535.0],
            ),
            DType::Int32 => (
                le([i32::MIN, -1, 0, i32::MAX], i32::to_le_bytes),
                [i32::MIN as f64, -1.0, 0.0, i32::MAX as f64],
            ),
            DType::UInt32 => (
                le([0u32, 1, 1 << 31, u32::MAX], u32::to_le_bytes),
                [0.0, 1.0, 2147483648.0, u32::MAX as f64],
            ),
            DType::Int64 => (
                le([i64::MIN, -1, 0, i64::MAX], i64::to_le_bytes),
                [i64::MIN as f64, -1.0, 0.0, i64::MAX as f64],
            ),
            DType::UInt64 => (
                le([0u64, 1, 1 << 53, u64::MAX], u64::to_le_bytes),
                [0.0, 1.0, 9007199254740992.0, u64::MAX as f64],
            ),
            DType::Float32 => (
                le([-1.5f32, f32::NAN, f32::INFINITY, 3.25], f32::to_le_bytes),
                [-1.5, f64::NAN, f64::INFINITY, 3.25],
            ),
            DType::Float64 => (
                le([-1e300, f64::NAN, f64::NEG_INFINITY, 0.1], f64::to_le_bytes),
                [-1e300, f64::NAN, f64::NEG_INFINITY, 0.1],
            ),
        }
    }

    #[test]
    fn a_frame_converted_into_again_holds_the_same_numbers_in_the_same_buffer() {
        let same = |a: ArrayView2<f64>, b: &[f64]| {
            a.iter()
                .zip(b)
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
        };
        // A frame of another element type first: its buffer is let go of.
        let other = ArrayData::new(DType::Float64, vec![1, 1, 1], vec![0; 8]).unwrap();
        let mut changing = Frame::from_data(&other, vec![0], [0, 0]).unwrap();
        for dtype in DType::ALL {
            // A 2x3 frame of `dtype` first: its 2x2 frame then goes into the same buffer.
            let size = dtype.size();
            let big = ArrayData::new(dtype, vec![1, 2, 3], vec![0; 6 * size]).unwrap();
            let mut reused = Frame::from_data(&big, vec![0], [0, 0]).unwrap();
            let buffer = reused.buffer_addr();
            let (bytes, want) = sample(dtype);
            let data = ArrayData::new(dtype, vec![1, 2, 2], bytes).unwrap();
            let fresh = Frame::from_data(&data, vec![5], [1, 2]).unwrap();
            assert!(same(fresh.view(), &want), "{dtype}: {:?}", fresh.view());
            // Widened once, then refilled: the widened copy is of the new pixels.
            assert_eq!(reused.view().dim(), (2, 3));
            reused.refill(&data, vec![5], [1, 2]).unwrap();
            assert!(same(reused.view(), &want), "{dtype} refilled");
            assert_eq!((reused.height(), reused.width()), (2, 2));
            assert_eq!(reused.buffer_addr(), buffer, "{dtype}: a new buffer");
            changing.refill(&data, vec![5], [1, 2]).unwrap();
            assert!(
                same(changing.view(), &want),
                "{dtype} after another element type"
            );
            assert_eq!(
                format!("{:?}", changing.pixels()),
                format!("{:?}", fresh.pixels())
            );
            assert_eq!(
                (reused.dtype, &reused.index, reused.origin),
                (dtype, &vec![5], [1, 2])
            );
            // The summary taken while converting gives the statistics of a pass of their own.
            let exact = Stats::of(reused.view(), 4);
            assert_eq!(
                format!("{:?}", reused.sampled_stats(4, 1 << 20)),
                format!("{exact:?}")
            );
        }
        // A block that is not one frame is refused, as by from_data.
        let bad = ArrayData::new(DType::UInt8, vec![2, 1, 2], vec![0; 4]).unwrap();
        assert!(changing.refill(&bad, vec![0], [0, 0]).is_err());
        // A much smaller frame does not keep a big buffer alive.
        let big = ArrayData::new(DType::UInt8, vec![64, 64], vec![1; 4096]).unwrap();
        let mut f = Frame::from_data(&big, vec![], [0, 0]).unwrap();
        let tiny = ArrayData::new(DType::UInt8, vec![2, 2], vec![1; 4]).unwrap();
        f.refill(&tiny, vec![], [0, 0]).unwrap();
        let Pixels::U8(kept) = std::mem::replace(&mut f.pixels, Pixels::empty()) else {
            panic!("uint8 pixels are kept as u8");
        };
        let (kept, _) = kept.into_raw_vec_and_offset();
        assert_eq!(kept, vec![1; 4]);
        assert!(kept.capacity() < 4096, "{}", kept.capacity());
    }

    #[test]
    fn a_frame_of_many_blocks_is_summarised_whole() {
        // 3 blocks and a part: the summary spans them all.
        let n = 3 * pixels::BLOCK + 5;
        let bytes = (0..n)
            .flat_map(|k| ((k % 4000) as u16).to_le_bytes())
            .collect();
        let d = ArrayData::new(DType::UInt16, vec![1, 1, n as u64], bytes).unwrap();
        let f = Frame::from_data(&d, vec![0], [0, 0]).unwrap();
        let (s, exact) = (f.sampled_stats(8, n), Stats::of(f.view(), 8));
        assert_eq!(
            (s.min, s.max, s.nan, s.pixels),
            (Some(0.0), Some(3999.0), 0, n as u64)
        );
        assert_eq!(s.histogram, exact.histogram);
        assert!((s.mean.unwrap() - exact.mean.unwrap()).abs() < 1e-9);
    }

    /// `h`×`w` values of `dtype` spread over its whole range; floats with NaN, ±inf and
    /// whole rows of NaN among them.
    fn spread(dtype: DType, (h, w): (usize, usize)) -> ArrayData {
        let bytes = (0..h * w)
            .flat_map(|k| {
                let x = (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7;
                let f = (x % 20_000) as f64 / 7.0 - 1000.0;
                let f = match k % 97 {
                    3 => f64::NAN,
                    5 => f64::INFINITY,
                    8 => f64::NEG_INFINITY,
                    _ if k / w == 4 => f64::NAN,
                    _ => f,
                };
                match dtype {
                    DType::Bool | DType::UInt8 | DType::Int8 => vec![x as u8],
                    DType::UInt16 | DType::Int16 => (x as u16).to_le_bytes().to_vec(),
                    DType::UInt32 | DType::Int32 => (x as u32).to_le_bytes().to_vec(),
                    DType::UInt64 | DType::Int64 => (x << 7 | k as u64).to_le_bytes().to_vec(),
                    DType::Float32 => (f as f32).to_le_bytes().to_vec(),
                    DType::Float64 => f.to_le_bytes().to_vec(),
                }
            })
            .collect();
        ArrayData::new(dtype, vec![h as u64, w as u64], bytes).unwrap()
    }

    #[test]
    fn typed_pixels_bin_summarise_and_limit_as_their_f64_copy_does() {
        let dbg = |x: &dyn std::fmt::Debug| format!("{x:?}");
        for dtype in DType::ALL {
            let f = Frame::from_data(&spread(dtype, (61, 83)), vec![], [0, 0]).unwrap();
            let wide = f.view().to_owned();
            let typed = f.pixels();
            assert_eq!(dbg(&typed.to_f64()), dbg(&wide), "{dtype}");
            // Fitted (shrunk, grown, both), whole-factor binning, both modes, a window.
            for mode in [BinMode::Mean, BinMode::Max] {
                for size in [(10, 14), (61, 83), (200, 30), (1, 1)] {
                    let want = fit::resample(wide.view(), size, mode);
                    assert_eq!(dbg(&typed.resample(size, mode)), dbg(&want), "{dtype}");
                }
                let win = typed.window(7..40, 3..80);
                let want = fit::resample(wide.slice(ndarray::s![7..40, 3..80]), (9, 20), mode);
                assert_eq!(dbg(&win.resample((9, 20), mode)), dbg(&want), "{dtype}");
                assert_eq!(dbg(&win.get((1, 2))), dbg(&Some(wide[[8, 5]])), "{dtype}");
                let want = bin(wide.view(), [4, 3], mode);
                each_view_bin(typed, [4, 3], mode, &want, dtype);
            }
            // The statistics from the summary taken while converting, and every contrast.
            for (bins, sample) in [(16, 1 << 10), (7, 1 << 20)] {
                let want = Stats::sampled(wide.view(), bins, sample);
                assert_eq!(dbg(&f.sampled_stats(bins, sample)), dbg(&want), "{dtype}");
            }
            for c in [
                Contrast::Auto,
                Contrast::MinMax,
                Contrast::Log,
                Contrast::Manual(1.0, 9.0),
            ] {
                assert_eq!(f.limits(c), c.limits(wide.view()), "{dtype} {c}");
            }
        }
    }

    /// Whole-factor binning of a typed view against the f64 result.
    fn each_view_bin(v: PixelsView, f: [usize; 2], mode: BinMode, want: &Array2<f64>, d: DType) {
        let got = match v {
            PixelsView::U8(a) => bin(a, f, mode),
            PixelsView::I8(a) => bin(a, f, mode),
            PixelsView::U16(a) => bin(a, f, mode),
            PixelsView::I16(a) => bin(a, f, mode),
            PixelsView::U32(a) => bin(a, f, mode),
            PixelsView::I32(a) => bin(a, f, mode),
            PixelsView::U64(a) => bin(a, f, mode),
            PixelsView::I64(a) => bin(a, f, mode),
            PixelsView::F32(a) => bin(a, f, mode),
            PixelsView::F64(a) => bin(a, f, mode),
        };
        assert_eq!(format!("{got:?}"), format!("{want:?}"), "{d}");
    }

    #[test]
    fn last_index_is_the_newest_frame() {
        assert_eq!(last_index(&[42, 8, 8]), Some(vec![41]));
        assert_eq!(last_index(&[3, 2, 8, 8]), Some(vec![2, 0]));
        assert_eq!(last_index(&[0, 8, 8]), None);
        assert_eq!(last_index(&[4, 8]), Some(vec![]));
        assert_eq!(frame_count(&[42, 8, 8]), 42);
    }
}
