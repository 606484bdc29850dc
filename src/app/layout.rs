//! Screen geometry, shared by drawing (ui) and by input (mouse hit-testing, page sizes, how
//! large a preview window to read). Pure arithmetic on the terminal size.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

use crate::backend::DType;

/// The panes that take focus, in Tab order. `ORDER` is the one list: Tab, the number keys
/// (`1` is the first), the tab line and the titles' numbers all follow it.
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

    /// The title where the tab line is short of room.
    pub fn short_title(self) -> &'static str {
        match self {
            Pane::Catalog => "Cat",
            Pane::Grid => "Chunks",
            Pane::History => "Hist",
            Pane::Preview => "Data",
            Pane::Frame => "Frame",
            Pane::Activity => "Act",
        }
    }

    /// The pane's number key (1-based place in `ORDER`).
    pub fn number(self) -> usize {
        Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    /// The pane with number key `n`.
    pub fn by_number(n: usize) -> Option<Pane> {
        n.checked_sub(1).and_then(|i| Pane::ORDER.get(i).copied())
    }

    /// `2 Chunks`: the title with the pane's number key.
    pub fn numbered(self) -> String {
        format!("{} {}", self.number(), self.title())
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
    /// One pane at a time (a small terminal, or a pane maximised): the tab line lists them all.
    pub single: bool,
}

/// Wide layout from this size on.
pub const WIDE_COLS: u16 = 130;
pub const WIDE_ROWS: u16 = 36;
/// Below this size the split layout cannot work: one pane at a time.
pub const SINGLE_COLS: u16 = 60;
pub const SINGLE_ROWS: u16 = 16;

/// Lays out a `size` terminal. `shown` is the pane shown when one is (a small terminal, or
/// `maximised`), and the right pane of the compact layout (the catalog there means the grid).
pub fn areas(size: Rect, shown: Pane, maximised: bool) -> Areas {
    let [top, main, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(size);
    if maximised || size.width < SINGLE_COLS || size.height < SINGLE_ROWS {
        return single(top, main, hints, shown);
    }
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
            // The history gets the room: date, time, actor, cause and both shapes.
            Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
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
            single: false,
        };
        // The largest slot shows the chunk grid, or the Activity pane when chosen; the Frame
        // pane shares it with the grid (a detector stack's grid is a narrow column).
        match shown {
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
            single: false,
        };
        match shown {
            Pane::History => a.history = Some(pane),
            Pane::Preview => a.preview = Some(pane),
            Pane::Frame => a.frame = Some(pane),
            Pane::Activity => a.activity = Some(pane),
            _ => a.grid = Some(pane),
        }
        a
    }
}

/// One pane over the whole body, under a tab line naming every pane.
fn single(top: Rect, main: Rect, hints: Rect, shown: Pane) -> Areas {
    let [tabs, pane] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(main);
    let none = Rect::new(main.x, main.y, 0, 0);
    let mut a = Areas {
        top,
        hints,
        catalog: none,
        structure: none,
        tabs: Some(tabs),
        grid: None,
        history: None,
        preview: None,
        frame: None,
        activity: None,
        wide: false,
        single: true,
    };
    match shown {
        Pane::Catalog => a.catalog = pane,
        Pane::Grid => a.grid = Some(pane),
        Pane::History => a.history = Some(pane),
        Pane::Preview => a.preview = Some(pane),
        Pane::Frame => a.frame = Some(pane),
        Pane::Activity => a.activity = Some(pane),
    }
    a
}

/// The panes as tabs: (pane, first column, end column). The compact layout lists the right
/// panes; one pane at a time lists them all.
/// Where the names do not all fit, the panes not shown are only their numbers.
pub fn tab_ranges(tabs: Rect, single: bool, shown: Pane) -> Vec<(Pane, u16, u16, String)> {
    let panes: Vec<Pane> = Pane::ORDER
        .iter()
        .copied()
        .filter(|p| single || *p != Pane::Catalog)
        .collect();
    // Full titles where they fit, else short ones, else only numbers (the shown pane keeps
    // its title).
    let width = |label: &dyn Fn(Pane) -> String| -> usize {
        panes
            .iter()
            .map(|p| label(*p).chars().count() + 3)
            .sum::<usize>()
            + 1
    };
    let fits = |label: &dyn Fn(Pane) -> String| width(label) <= tabs.width as usize;
    let full = |p: Pane| p.numbered();
    let brief = |p: Pane| format!("{} {}", p.number(), p.short_title());
    let level = if fits(&full) {
        0
    } else if fits(&brief) {
        1
    } else {
        2
    };
    let mut x = tabs.x + 1;
    let mut out = Vec::new();
    for p in panes {
        let label = match level {
            0 => full(p),
            1 => brief(p),
            _ if p == shown => full(p),
            _ => p.number().to_string(),
        };
        let w = label.chars().count() as u16 + 2;
        out.push((p, x, x + w, label));
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

/// Width of one value of `dtype` in the 2-D preview: integers are shown exactly, so the
/// columns of 32- and 64-bit integers are wider (`-9223372036854775808` has 20 characters).
pub fn preview_cell(dtype: DType) -> u16 {
    match dtype {
        DType::Int64 | DType::UInt64 => 21,
        DType::Int32 | DType::UInt32 => 12,
        _ => PREVIEW_CELL,
    }
}

/// How many (rows, cols) of values the preview pane shows for an array of `ndim` axes of
/// `dtype`. 1-D: `cols` values (the sparkline's width), one row.
pub fn preview_capacity(pane: Rect, ndim: usize, dtype: DType) -> (u64, u64) {
    let i = inner(pane);
    if ndim <= 1 {
        return (1, (i.width as u64).clamp(1, 512));
    }
    let rows = i.height.saturating_sub(PREVIEW_CHROME + 1).max(1) as u64;
    let cols = (i.width.saturating_sub(PREVIEW_LABEL) / preview_cell(dtype)).max(1) as u64;
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
        let a = areas(Rect::new(0, 0, 80, 24), Pane::Grid, false);
        assert!(!a.wide);
        assert_eq!(a.top.height, 1);
        assert_eq!(a.hints.y, 23);
        assert!(a.grid.is_some() && a.history.is_none());
        let b = areas(Rect::new(0, 0, 160, 48), Pane::Grid, false);
        assert!(b.wide && b.history.is_some() && b.preview.is_some());
        // Tiny terminals do not panic.
        let _ = areas(Rect::new(0, 0, 10, 3), Pane::Preview, false);
        let c = areas(Rect::new(0, 0, 40, 12), Pane::History, false);
        assert!(c.single && c.history.is_some() && c.grid.is_none());
        assert_eq!(c.catalog.width, 0);
        let t = tab_ranges(c.tabs.unwrap_or_default(), true, Pane::History);
        let labels: Vec<&str> = t.iter().map(|r| r.3.as_str()).collect();
        assert_eq!(labels, ["1", "2", "3 History", "4", "5", "6"]);
        let d = areas(Rect::new(0, 0, 160, 48), Pane::Catalog, true);
        assert!(d.single && d.catalog.width == 160);
        assert_eq!(
            preview_capacity(Rect::new(0, 0, 0, 0), 2, DType::Float64),
            (1, 1)
        );
    }
}
