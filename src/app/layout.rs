//! Screen geometry, shared by drawing (ui) and by input (mouse hit-testing, page sizes, how
//! large a preview window to read). Pure arithmetic on the terminal size.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

/// The panes that take focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Catalog,
    Grid,
    History,
    Preview,
    /// The image of one frame (`app::frame_view`).
    Frame,
    /// Every array that changed recently (`app::activity`).
    Activity,
}

impl Pane {
    /// Data stays last, so Shift-Tab from the catalog reaches it at once.
    pub const ORDER: [Pane; 6] = [
        Pane::Catalog,
        Pane::Grid,
        Pane::History,
        Pane::Frame,
        Pane::Activity,
        Pane::Preview,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Catalog => "Catalog",
            Pane::Grid => "Chunks",
            Pane::History => "History",
            Pane::Preview => "Data",
            Pane::Frame => "Frame",
            Pane::Activity => "Activity",
        }
    }

    pub fn next(self) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ORDER[(i + 1) % Pane::ORDER.len()]
    }

    pub fn prev(self) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ORDER[(i + Pane::ORDER.len() - 1) % Pane::ORDER.len()]
    }
}

/// Where everything goes. Right-side panes that are not shown are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub top: Rect,
    pub hints: Rect,
    pub catalog: Rect,
    pub structure: Rect,
    /// Compact layout: the tab line above the one right pane shown.
    pub tabs: Option<Rect>,
    pub grid: Option<Rect>,
    pub history: Option<Rect>,
    pub preview: Option<Rect>,
    /// The Frame and Activity panes take the chunk grid's place when chosen.
    pub frame: Option<Rect>,
    pub activity: Option<Rect>,
    /// All right panes shown at once.
    pub wide: bool,
}

/// Wide layout from this size on.
pub const WIDE_COLS: u16 = 130;
pub const WIDE_ROWS: u16 = 36;

/// Lays out a `size` terminal; in the compact layout `right_tab` is the right pane shown.
pub fn areas(size: Rect, right_tab: Pane) -> Areas {
    let [top, main, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(size);
    let wide = size.width >= WIDE_COLS && size.height >= WIDE_ROWS;
    let cat_w = if wide {
        (size.width / 4).clamp(28, 48)
    } else {
        (size.width * 35 / 100).clamp(20, 40)
    };
    let [catalog, right] =
        Layout::horizontal([Constraint::Length(cat_w), Constraint::Min(0)]).areas(main);
    if wide {
        let [upper, grid, preview] = Layout::vertical([
            Constraint::Length(10),
            Constraint::Min(8),
            Constraint::Percentage(35),
        ])
        .areas(right);
        let [structure, history] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(upper);
        let mut a = Areas {
            top,
            hints,
            catalog,
            structure,
            tabs: None,
            grid: None,
            history: Some(history),
            preview: Some(preview),
            frame: None,
            activity: None,
            wide,
        };
        // The largest slot shows the chunk grid, or the Activity pane when chosen; the Frame
        // pane shares it with the grid (a detector stack's grid is a narrow column).
        match right_tab {
            Pane::Frame => {
                let [g, f] =
                    Layout::horizontal([Constraint::Percentage(35), Constraint::Percentage(65)])
                        .areas(grid);
                (a.grid, a.frame) = (Some(g), Some(f));
            }
            Pane::Activity => a.activity = Some(grid),
            _ => a.grid = Some(grid),
        }
        a
    } else {
        let [structure, tabs, pane] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([
                Constraint::Length(8),
                Constraint::Length(1),
                Constraint::Min(0),
            ])
            .areas(right);
        let mut a = Areas {
            top,
            hints,
            catalog,
            structure,
            tabs: Some(tabs),
            grid: None,
            history: None,
            preview: None,
            frame: None,
            activity: None,
            wide,
        };
        match right_tab {
            Pane::History => a.history = Some(pane),
            Pane::Preview => a.preview = Some(pane),
            Pane::Frame => a.frame = Some(pane),
            Pane::Activity => a.activity = Some(pane),
            _ => a.grid = Some(pane),
        }
        a
    }
}

/// The right panes as tabs in the compact layout: (pane, first column, end column).
pub fn tab_ranges(tabs: Rect) -> Vec<(Pane, u16, u16)> {
    let mut x = tabs.x + 1;
    let mut out = Vec::new();
    for p in Pane::ORDER.into_iter().skip(1) {
        let w = p.title().len() as u16 + 2;
        out.push((p, x, x + w));
        x += w + 1;
    }
    out
}

/// Inside of a bordered block.
pub fn inner(r: Rect) -> Rect {
    Rect {
        x: r.x.saturating_add(1),
        y: r.y.saturating_add(1),
        width: r.width.saturating_sub(2),
        height: r.height.saturating_sub(2),
    }
}

/// Width of one value in the 2-D data preview, and of the row-label column.
pub const PREVIEW_CELL: u16 = 10;
pub const PREVIEW_LABEL: u16 = 8;
/// Lines of the preview used for the header and the statistics.
pub const PREVIEW_CHROME: u16 = 2;

/// How many (rows, cols) of values the preview pane shows for an array of `ndim` axes.
/// 1-D: `cols` values (the sparkline's width), one row.
pub fn preview_capacity(pane: Rect, ndim: usize) -> (u64, u64) {
    let i = inner(pane);
    if ndim <= 1 {
        return (1, (i.width as u64).clamp(1, 512));
    }
    let rows = i.height.saturating_sub(PREVIEW_CHROME + 1).max(1) as u64;
    let cols = (i.width.saturating_sub(PREVIEW_LABEL) / PREVIEW_CELL).max(1) as u64;
    (rows, cols)
}

/// Centred box of at most `w × h` inside `r`.
pub fn centered(r: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(r.width);
    let h = h.min(r.height);
    Rect {
        x: r.x + (r.width - w) / 2,
        y: r.y + (r.height - h) / 2,
        width: w,
        height: h,
    }
}

/// True when the point lies inside `r`.
pub fn contains(r: Rect, col: u16, row: u16) -> bool {
    col >= r.x && col < r.x + r.width && row >= r.y && row < r.y + r.height
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_fit() {
        let a = areas(Rect::new(0, 0, 80, 24), Pane::Grid);
        assert!(!a.wide);
        assert_eq!(a.top.height, 1);
        assert_eq!(a.hints.y, 23);
        assert!(a.grid.is_some() && a.history.is_none());
        let b = areas(Rect::new(0, 0, 160, 48), Pane::Grid);
        assert!(b.wide && b.history.is_some() && b.preview.is_some());
        // Tiny terminals do not panic.
        let _ = areas(Rect::new(0, 0, 10, 3), Pane::Preview);
        assert_eq!(preview_capacity(Rect::new(0, 0, 0, 0), 2), (1, 1));
    }
}
