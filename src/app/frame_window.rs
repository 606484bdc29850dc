//! The window of a 2-D array the Frame pane shows: a region with the pane's aspect ratio (square
//! pixels), as large as the array's shorter side allows, so a long waterfall (100 000 rows ×
//! 2048 columns, or 64 rows × 20 000 columns) fills the pane instead of showing a thin strip;
//! zoom shrinks it, pan moves it along the long axis. Pure arithmetic: no state, no I/O.

/// Most a window is magnified on its short side: a waterfall of a few rows so far shows as a
/// strip, not as a few giant pixels.
const MAX_MAGNIFICATION: u128 = 4;

/// The size (rows, columns) of the window of an `h`×`w` array shown in a box of
/// `rows`×`cols` pixels at `zoom` (each step halves it). At zoom 0 the window has the box's
/// aspect and spans the array's tighter side (magnified at most `MAX_MAGNIFICATION`
/// times); an array that fits the box is shown whole; the window is never larger than the
/// array nor smaller than one element.
pub fn window_size(h: u64, w: u64, (rows, cols): (u64, u64), zoom: u32) -> (u64, u64) {
    if h == 0 || w == 0 {
        return (0, 0);
    }
    let (rows, cols) = (rows.max(1) as u128, cols.max(1) as u128);
    let (h128, w128) = (h as u128, w as u128);
    let shrink = |n: u128| (n >> zoom.min(63)).max(1);
    if h128 <= rows && w128 <= cols {
        return (shrink(h128) as u64, shrink(w128) as u64);
    }
    // The scale from the box to the array: h/rows or w/cols, whichever is smaller, so the
    // window fits the array on that side. Compared without floats.
    let (br, bc) = if h128 * cols <= w128 * rows {
        (h128, (cols * h128 / rows).max(1))
    } else {
        ((rows * w128 / cols).max(1), w128)
    };
    let br = br.max((rows / MAX_MAGNIFICATION).min(h128));
    let bc = bc.max((cols / MAX_MAGNIFICATION).min(w128));
    ((shrink(br).min(h128)) as u64, (shrink(bc).min(w128)) as u64)
}

/// `start` moved by `delta` and kept so that a window of `len` fits in `total`.
pub fn moved(start: u64, delta: i64, len: u64, total: u64) -> u64 {
    let last = total.saturating_sub(len) as i128;
    (start as i128 + delta as i128).clamp(0, last) as u64
}

/// A count with its thousands apart: `100 000`.
pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// `rows 99 800–99 999 of 100 000`: the first and last shown, and how many there are.
pub fn fmt_span(word: &str, start: u64, end: u64, total: u64) -> String {
    if end <= start {
        return format!("{word} none of {}", fmt_count(total));
    }
    format!(
        "{word} {}–{} of {}",
        fmt_count(start),
        fmt_count(end - 1),
        fmt_count(total)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_array_fills_the_box_along_its_short_side() {
        // 100 000 rows × 2048 columns in a box of 80 rows × 100 columns of pixels: every
        // column, and rows in the box's aspect.
        assert_eq!(window_size(100_000, 2048, (80, 100), 0), (1638, 2048));
        // 64 rows × 20 000 columns: every row, columns in the box's aspect (not 20 000),
        // magnified when the box is taller than the array.
        assert_eq!(window_size(64, 20_000, (80, 100), 0), (64, 80));
        assert_eq!(window_size(64, 20_000, (32, 40), 0), (64, 80));
        // Zoom halves both sides.
        assert_eq!(window_size(100_000, 2048, (80, 100), 1), (819, 1024));
        assert_eq!(window_size(64, 20_000, (32, 40), 2), (16, 20));
        assert_eq!(window_size(64, 20_000, (32, 40), 40), (1, 1));
    }

    #[test]
    fn a_small_array_is_shown_whole_and_a_narrow_one_is_magnified_at_most_four_times() {
        assert_eq!(window_size(10, 10, (80, 100), 0), (10, 10));
        assert_eq!(window_size(10, 10, (80, 100), 1), (5, 5));
        assert_eq!(window_size(100, 100, (80, 100), 0), (80, 100));
        // 10 rows × 1000 columns: the box's aspect, magnified 3.2 times.
        assert_eq!(window_size(10, 1000, (32, 40), 0), (10, 12));
        // One row so far of a waterfall: a strip a quarter of the box wide, not one pixel.
        assert_eq!(window_size(1, 2048, (32, 40), 0), (1, 10));
        assert_eq!(window_size(0, 1000, (32, 40), 0), (0, 0));
        assert_eq!(window_size(1, 1, (0, 0), 0), (1, 1));
    }

    #[test]
    fn moves_keep_the_window_inside() {
        assert_eq!(moved(0, -5, 10, 100), 0);
        assert_eq!(moved(85, 10, 10, 100), 90);
        assert_eq!(moved(5, 3, 10, 100), 8);
        assert_eq!(moved(0, 3, 100, 50), 0);
        assert_eq!(moved(0, i64::MAX, 10, 100), 90);
        assert_eq!(moved(u64::MAX - 20, 100, 10, u64::MAX), u64::MAX - 10);
    }

    #[test]
    fn spans_read_as_people_write_them() {
        assert_eq!(fmt_count(100_000), "100 000");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1_234_567), "1 234 567");
        assert_eq!(
            fmt_span("rows", 99_800, 100_000, 100_000),
            "rows 99 800–99 999 of 100 000"
        );
        assert_eq!(fmt_span("rows", 0, 0, 0), "rows none of 0");
    }
}
