//! Keys and mouse → state changes. Called from `update()` only.
//!
//! Order: Ctrl-C closes an overlay, else quits; an overlay (dialog, palette, help) takes the keys first; then
//! the store picker; then the catalog filter while it is being typed; then the keymap.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::action::{CompleteTarget, Effect};
use super::catalog::Row;
use super::commands::{complete, parse_palette, CommandInfo, Invocation};
use super::dialogs::{DialogEvent, DialogKind, Stage};
use super::keymap::Command;
use super::layout::{self, Pane};
use super::notice::Notice;
use super::state::{AppState, Overlay, Palette, Screen};
use super::text;
use super::update::plan_ctx;

pub fn on_key(s: &mut AppState, key: &KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind == KeyEventKind::Release {
        s.dirty = false;
        return;
    }
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        // Ctrl-C closes what is open over the screen first (never a write in flight).
        match &s.overlay {
            Some(Overlay::Dialog(d)) if d.stage != Stage::Running => {
                let title = d.kind.title().to_lowercase();
                s.overlay = None;
                s.notify(Notice::info(format!(
                    "{title} cancelled; nothing was written"
                )));
            }
            Some(
                Overlay::Help { .. }
                | Overlay::Palette(_)
                | Overlay::Messages(_)
                | Overlay::Metadata { .. },
            ) => s.overlay = None,
            _ => s.quit = true,
        }
        return;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('y') && s.dialog().is_some() {
        s.copy_cli(fx);
        return;
    }
    match s.overlay {
        Some(Overlay::Messages(_)) => return super::messages::on_key(s, key),
        Some(Overlay::Metadata { .. }) => return super::metadata::on_key(s, key),
        _ => {}
    }
    if s.overlay.is_some() {
        on_overlay_key(s, key, fx);
        return;
    }
    if s.screen == Screen::Picker {
        super::picker::on_key(s, key, fx);
        return;
    }
    if s.search_took_key(key, fx) {
        return;
    }
    if s.filter_editing {
        on_filter_key(s, key, fx);
        return;
    }
    match s.keymap.lookup(key) {
        Some(cmd) => on_command(s, cmd, fx),
        None if super::focus::on_number(s, key) => {
            s.request_frame(fx, false);
            s.request_preview(fx, false);
        }
        None => s.dirty = false,
    }
}

fn on_overlay_key(s: &mut AppState, key: &KeyEvent, fx: &mut Vec<Effect>) {
    let Some(overlay) = s.overlay.as_mut() else {
        return;
    };
    match overlay {
        Overlay::Help { scroll } => match s.keymap.lookup(key) {
            Some(Command::Down) => *scroll += 1,
            Some(Command::Up) => *scroll = scroll.saturating_sub(1),
            Some(Command::PageDown) => *scroll += 10,
            Some(Command::PageUp) => *scroll = scroll.saturating_sub(10),
            _ => s.overlay = None,
        },
        // Handled before (they need the whole state).
        Overlay::Messages(_) | Overlay::Metadata { .. } => {}
        Overlay::Palette(p) => match key.code {
            KeyCode::Esc => s.overlay = None,
            KeyCode::Enter => {
                let input = p.input.trim().to_string();
                s.overlay = None;
                run_palette(s, &input, fx);
            }
            KeyCode::Tab => {
                // `goto det` completes the path among the loaded nodes, else the word.
                if let Some(done) = complete_goto(&s.catalog, &p.input) {
                    p.input = done;
                } else if let Some(w) = complete(p.input.trim()) {
                    p.input = if w.arg.is_empty() {
                        w.name.to_string()
                    } else {
                        format!("{} ", w.name)
                    };
                }
            }
            _ => match text::edit_at_end(&mut p.input, key) {
                text::Edit::Ignored => s.dirty = false,
                _ => p.error = None,
            },
        },
        Overlay::Dialog(d) => {
            let ev = d.on_key(key);
            match ev {
                DialogEvent::None => s.dirty = false,
                DialogEvent::Changed => {
                    d.replan(plan_ctx(s.open.as_ref(), s.capabilities));
                }
                DialogEvent::NeedsNpy(path) => {
                    d.replan(plan_ctx(s.open.as_ref(), s.capabilities));
                    fx.push(Effect::LoadNpy { path });
                }
                DialogEvent::Complete(typed) => fx.push(Effect::CompletePath {
                    target: CompleteTarget::Npy,
                    typed,
                }),
                DialogEvent::Cancel => {
                    let title = d.kind.title().to_lowercase();
                    s.overlay = None;
                    s.notify(Notice::info(format!(
                        "{title} cancelled; nothing was written"
                    )));
                }
                DialogEvent::Apply(op) => {
                    if let Some(open) = s.open.as_mut().filter(|o| o.path == op.summary().path) {
                        open.shape_at_confirm = open.info.as_ref().map(|i| i.shape.clone());
                    }
                    fx.push(Effect::Run(op));
                }
            }
        }
    }
}

/// Runs a command typed in the palette: its words parse into the commands keys run.
pub fn run_palette(s: &mut AppState, input: &str, fx: &mut Vec<Effect>) {
    match parse_palette(input) {
        Ok(None) => {}
        Ok(Some(Invocation::Command(cmd))) => on_command(s, cmd, fx),
        Ok(Some(Invocation::Goto(path))) => s.goto(&path, fx),
        Ok(Some(Invocation::Store(name))) => s.switch_store(&name, fx),
        Ok(Some(Invocation::FilterText(text))) => {
            s.focus = Pane::Catalog;
            // A server searches itself: the same search as `/`, with the line given whole.
            if s.searches_on_server() {
                s.search_for(&text, fx);
            } else {
                s.catalog.set_filter(&text);
                s.after_selection_change(fx);
            }
        }
        Err(error) => {
            s.overlay = Some(Overlay::Palette(Palette {
                input: input.to_string(),
                error: Some(error),
            }))
        }
    }
}

/// `goto PART` completed among the loaded catalog paths (groups end with `/`); `None` when
/// the line is not a goto or nothing is added.
fn complete_goto(c: &super::catalog::Catalog, input: &str) -> Option<String> {
    let (word, arg) = input.split_once(' ')?;
    let goto = super::commands::PALETTE
        .iter()
        .find(|w| w.target == super::commands::PaletteTarget::Goto)?;
    if word != goto.name && !goto.aliases.contains(&word) {
        return None;
    }
    let arg = arg.trim_start();
    let paths: Vec<String> = (1..)
        .map_while(|i| c.node(i))
        .map(|n| match n.entry.kind {
            crate::backend::NodeKind::Group => format!("{}/", n.entry.path),
            _ => n.entry.path.clone(),
        })
        .collect();
    let (longer, _) = text::complete(arg, &paths);
    longer.map(|t| format!("{word} {t}"))
}

/// The palette's keys.
pub fn palette_commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::fixed("Enter", "run", "run the command typed"),
        CommandInfo::fixed(
            "Tab",
            "complete",
            "complete the command's name, or goto's path",
        ),
        CommandInfo::fixed("Esc", "close", "close the palette"),
    ]
}

/// The help's keys (it scrolls with the keymap's movement keys; any other key closes it).
pub fn help_commands() -> Vec<CommandInfo> {
    let scroll = |c: Command, label| CommandInfo {
        label,
        ..CommandInfo::mapped(c)
    };
    vec![
        scroll(Command::Down, "scroll down"),
        scroll(Command::Up, "scroll up"),
        scroll(Command::PageDown, "page down").help_only(),
        scroll(Command::PageUp, "page up").help_only(),
        CommandInfo::fixed("other keys", "close", "any other key closes the help"),
    ]
}

fn on_filter_key(s: &mut AppState, key: &KeyEvent, fx: &mut Vec<Effect>) {
    match key.code {
        KeyCode::Enter => s.filter_editing = false,
        KeyCode::Esc => {
            s.filter_editing = false;
            s.catalog.set_filter("");
        }
        KeyCode::Up => s.catalog.move_by(-1),
        KeyCode::Down => s.catalog.move_by(1),
        _ => {
            let mut f = s.catalog.filter().to_string();
            if text::edit_at_end(&mut f, key) == text::Edit::Ignored {
                s.dirty = false;
                return;
            }
            s.catalog.set_filter(&f);
        }
    }
    s.after_selection_change(fx);
}

/// The filter's keys while it is being typed.
pub fn filter_commands() -> Vec<CommandInfo> {
    vec![
        CommandInfo::fixed(
            "type",
            "filter",
            "match paths; a server searches: words, k=v",
        ),
        CommandInfo::fixed("↑↓", "move", "move in the filtered catalog"),
        CommandInfo::fixed("Enter", "keep", "keep the filter and go back to the keys"),
        CommandInfo::fixed("Esc", "clear", "clear the filter"),
    ]
}

use super::focus::set_focus;

/// Focuses `p` and asks for what it shows (the Frame pane reads its frame when it appears).
fn focus_pane(s: &mut AppState, p: Pane, fx: &mut Vec<Effect>) {
    set_focus(s, p);
    s.request_frame(fx, false);
    s.request_preview(fx, false);
}

/// Whether `cmd` applies to what is open now. The hint bar, the help and the palette grey out
/// a command that does not; its handler still refuses it (with a notice where it says why).
pub fn applies(s: &AppState, cmd: Command) -> bool {
    let open = s.open.as_ref();
    let main = s.screen == Screen::Main;
    // Writes act on the highlighted row: a group can only be deleted.
    let on_group = main && s.selected_group().is_some();
    let on_array = open.is_some_and(|o| o.info.is_some()) && !on_group;
    match cmd {
        Command::Patch | Command::Extend | Command::Resize => main && on_array,
        Command::Delete => main && (on_array || on_group),
        Command::Create | Command::Refresh => s.screen == Screen::Main,
        Command::ZoomIn => open.is_some_and(|o| o.zoom < s.max_zoom()),
        Command::ZoomOut => open.is_some_and(|o| o.zoom > 0),
        Command::CycleAxes => open.is_some_and(|o| o.axes.fixed.len() > 2),
        Command::SliceNext | Command::SlicePrev => {
            on_array && open.is_some_and(|o| !o.axes.others().is_empty())
        }
        Command::SliceAxis => open.is_some_and(|o| o.axes.others().len() > 1),
        Command::Metadata => main && on_array,
        Command::Activity => main,
        c if super::frame_view::COMMANDS.contains(&c) => main && super::frame_view::applies(s, c),
        _ => true,
    }
}

/// The hint bar of the main screen: the commands worth a reminder in the focused pane (the
/// help lists every one).
pub fn pane_commands(s: &AppState) -> Vec<CommandInfo> {
    match s.focus {
        Pane::Frame => return super::frame_view::commands(s),
        Pane::Activity => return super::activity::commands(s),
        _ => {}
    }
    let cmds: &[Command] = match s.focus {
        Pane::Catalog => &[
            Command::Open,
            Command::Filter,
            Command::NextPane,
            Command::Patch,
            Command::Extend,
            Command::Resize,
            Command::Create,
            Command::Delete,
            Command::Palette,
            Command::Refresh,
            Command::Metadata,
            Command::Messages,
            Command::Help,
            Command::Quit,
        ],
        Pane::Grid => &[
            Command::ZoomIn,
            Command::ZoomOut,
            Command::CycleAxes,
            Command::SliceNext,
            Command::SlicePrev,
            Command::NextPane,
            Command::Patch,
            Command::Extend,
            Command::Resize,
            Command::Pause,
            Command::Maximise,
            Command::Messages,
            Command::Help,
            Command::Quit,
        ],
        Pane::History => &[
            Command::Open,
            Command::NextPane,
            Command::Patch,
            Command::Extend,
            Command::Resize,
            Command::Pause,
            Command::Palette,
            Command::Maximise,
            Command::Messages,
            Command::Help,
            Command::Quit,
        ],
        Pane::Preview => &[
            Command::NextPane,
            Command::SliceNext,
            Command::SlicePrev,
            Command::Patch,
            Command::Extend,
            Command::Resize,
            Command::Pause,
            Command::Palette,
            Command::Maximise,
            Command::Messages,
            Command::Help,
            Command::Quit,
        ],
        Pane::Frame | Pane::Activity => &[],
    };
    cmds.iter()
        .map(|&c| CommandInfo::mapped(c).enabled(applies(s, c)))
        .collect()
}

fn on_command(s: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    match cmd {
        Command::Quit => s.quit = true,
        Command::Help => s.overlay = Some(Overlay::Help { scroll: 0 }),
        Command::Palette => s.overlay = Some(Overlay::Palette(Palette::default())),
        Command::NextPane => focus_pane(s, s.focus.next(), fx),
        Command::PrevPane => focus_pane(s, s.focus.prev(), fx),
        Command::Activity => focus_pane(s, Pane::Activity, fx),
        Command::ZoomIn | Command::ZoomOut if s.focus == Pane::Frame => {
            super::frame_view::on_command(s, cmd, fx)
        }
        Command::Follow | Command::FrameNext | Command::FramePrev | Command::FrameFirst => {
            super::frame_view::on_command(s, cmd, fx)
        }
        Command::FrameLast | Command::Colormap | Command::Contrast | Command::Binning => {
            super::frame_view::on_command(s, cmd, fx)
        }
        Command::Filter => {
            s.focus = Pane::Catalog;
            s.filter_editing = true;
            if s.searches_on_server() {
                s.start_search();
            }
        }
        Command::Patch => s.open_dialog(DialogKind::Patch),
        Command::Extend => s.open_dialog(DialogKind::Extend),
        Command::Resize => s.open_dialog(DialogKind::Resize),
        Command::Create => s.open_dialog(DialogKind::Create),
        Command::Delete => s.open_dialog(DialogKind::Delete),
        Command::Refresh => s.refresh(fx),
        Command::Pause => s.toggle_pause(fx),
        Command::Stores => s.screen = Screen::Picker,
        Command::Messages => s.open_messages(),
        Command::Metadata => s.open_metadata(),
        Command::Maximise => {
            super::focus::toggle_maximise(s);
            // A 2-D array's window follows the Frame pane's size.
            s.request_frame(fx, false);
        }
        Command::ZoomIn | Command::ZoomOut => zoom(s, cmd == Command::ZoomIn),
        Command::CycleAxes => s.cycle_axes(fx),
        Command::SliceNext => s.step_slice(1, fx),
        Command::SlicePrev => s.step_slice(-1, fx),
        Command::SliceAxis => {
            if let Some(o) = s.open.as_mut() {
                let n = o.axes.others().len().max(1);
                o.slice_axis = (o.slice_axis + 1) % n;
            }
        }
        Command::Up
        | Command::Down
        | Command::Left
        | Command::Right
        | Command::PageUp
        | Command::PageDown
        | Command::Top
        | Command::Bottom
        | Command::Open => match s.focus {
            Pane::Catalog => catalog_move(s, cmd, fx),
            Pane::Grid => grid_move(s, cmd),
            Pane::History if cmd == Command::Open => {
                let top = s.open.as_ref().map_or(0, |o| o.history_scroll);
                s.open_change(top);
            }
            Pane::History => history_move(s, cmd),
            Pane::Preview => preview_move(s, cmd, fx),
            Pane::Frame => super::frame_view::on_command(s, cmd, fx),
            Pane::Activity => super::activity::on_move(s, cmd, fx),
        },
    }
}

fn catalog_move(s: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    let page = s.catalog_height().max(1) as isize;
    match cmd {
        Command::Up => s.catalog.move_by(-1),
        Command::Down => s.catalog.move_by(1),
        Command::PageUp => s.catalog.move_by(-page),
        Command::PageDown => s.catalog.move_by(page),
        Command::Top => s.catalog.move_to(0),
        Command::Bottom => s.catalog.move_to(usize::MAX),
        Command::Left => s.catalog.collapse_selected(),
        Command::Right => {
            if let Some(r) = s.catalog.expand_selected() {
                fx.push(Effect::LoadPage {
                    parent: r.parent,
                    offset: r.offset,
                });
            }
        }
        Command::Open => {
            if let Some(Row::Node(_)) = s.catalog.selected_row() {
                let is_array = s
                    .catalog
                    .selected_node()
                    .is_some_and(|n| n.entry.kind == crate::backend::NodeKind::Array);
                if is_array {
                    set_focus(s, Pane::Grid);
                } else if let Some(r) = s.catalog.toggle_selected() {
                    fx.push(Effect::LoadPage {
                        parent: r.parent,
                        offset: r.offset,
                    });
                }
            }
        }
        _ => {}
    }
    s.after_selection_change(fx);
}

fn zoom(s: &mut AppState, inwards: bool) {
    let max = s.max_zoom();
    let Some(o) = s.open.as_mut() else { return };
    o.zoom = if inwards {
        (o.zoom + 1).min(max)
    } else {
        o.zoom.saturating_sub(1)
    };
}

fn grid_move(s: &mut AppState, cmd: Command) {
    s.leave_follow();
    let Some((zoom, pan)) = s.open.as_ref().map(|o| (o.zoom, o.pan)) else {
        return;
    };
    let (r0, r1, c0, c1) = s.grid_viewport(zoom, pan);
    let (vr, vc) = ((r1 - r0).max(1), (c1 - c0).max(1));
    let (sr, sc) = ((vr / 8).max(1), (vc / 8).max(1));
    let (mut pr, mut pc) = (r0, c0);
    let mut zoom = zoom;
    match cmd {
        Command::Up => pr = pr.saturating_sub(sr),
        Command::Down => pr += sr,
        Command::Left => pc = pc.saturating_sub(sc),
        Command::Right => pc += sc,
        Command::PageUp => pr = pr.saturating_sub(vr),
        Command::PageDown => pr += vr,
        Command::Top => (pr, pc) = (0, 0),
        Command::Bottom => pr = u64::MAX,
        Command::Open => zoom = 0,
        _ => {}
    }
    // Clamp through the viewport so the pan never leaves the grid.
    let (r0, _, c0, _) = s.grid_viewport(zoom, (pr, pc));
    if let Some(o) = s.open.as_mut() {
        (o.zoom, o.pan) = (zoom, (r0, c0));
    }
}

fn history_move(s: &mut AppState, cmd: Command) {
    let Some(o) = s.open.as_mut() else { return };
    let n = o.history.as_ref().map(|h| h.len()).unwrap_or(0);
    let last = n.saturating_sub(1);
    o.history_scroll = match cmd {
        Command::Up => o.history_scroll.saturating_sub(1),
        Command::Down => (o.history_scroll + 1).min(last),
        Command::PageUp => o.history_scroll.saturating_sub(10),
        Command::PageDown => (o.history_scroll + 10).min(last),
        Command::Top => 0,
        Command::Bottom => last,
        _ => o.history_scroll,
    };
}

fn preview_move(s: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    s.leave_follow();
    let Some(sel) = s.preview_selection() else {
        return;
    };
    let Some(o) = s.open.as_mut() else { return };
    let Some(info) = o.info.clone() else { return };
    let ca = o.axes.col_axis;
    let ra = o.axes.row_axis;
    let window = |a: usize| sel.end[a].saturating_sub(sel.start[a]).max(1);
    let shift = |o: &mut super::state::OpenArray, a: usize, d: i64| {
        let max = info.shape[a].saturating_sub(window(a)) as i64;
        o.index[a] = (o.index[a] as i64 + d).clamp(0, max.max(0)) as u64;
    };
    match (cmd, ra) {
        (Command::Left, _) => shift(o, ca, -1),
        (Command::Right, _) => shift(o, ca, 1),
        (Command::Up, Some(r)) => shift(o, r, -1),
        (Command::Down, Some(r)) => shift(o, r, 1),
        (Command::PageUp, Some(r)) => shift(o, r, -(window(r) as i64)),
        (Command::PageDown, Some(r)) => shift(o, r, window(r) as i64),
        (Command::Up | Command::PageUp, None) => shift(o, ca, -(window(ca) as i64)),
        (Command::Down | Command::PageDown, None) => shift(o, ca, window(ca) as i64),
        (Command::Top, _) => {
            for a in [Some(ca), ra].into_iter().flatten() {
                o.index[a] = 0;
            }
        }
        (Command::Bottom, _) => {
            let a = ra.unwrap_or(ca);
            shift(o, a, i64::MAX / 2);
        }
        _ => {}
    }
    s.request_preview(fx, false);
}

pub fn on_mouse(s: &mut AppState, m: &MouseEvent, fx: &mut Vec<Effect>) {
    if s.overlay.is_some() || s.screen != Screen::Main {
        s.dirty = false;
        return;
    }
    let a = s.areas();
    let (x, y) = (m.column, m.row);
    let over = |r: Option<ratatui::layout::Rect>| r.is_some_and(|r| layout::contains(r, x, y));
    let pane = if layout::contains(a.catalog, x, y) {
        Some(Pane::Catalog)
    } else if over(a.grid) {
        Some(Pane::Grid)
    } else if over(a.history) {
        Some(Pane::History)
    } else if over(a.preview) {
        Some(Pane::Preview)
    } else if over(a.frame) {
        Some(Pane::Frame)
    } else if over(a.activity) {
        Some(Pane::Activity)
    } else {
        None
    };
    match m.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let Some(p) = pane else {
                s.dirty = false;
                return;
            };
            let down = m.kind == MouseEventKind::ScrollDown;
            let prev = s.focus;
            s.focus = p;
            let cmd = if down { Command::Down } else { Command::Up };
            for _ in 0..3 {
                match p {
                    Pane::Catalog => s.catalog.move_by(if down { 1 } else { -1 }),
                    Pane::Grid => grid_move(s, cmd),
                    Pane::History => history_move(s, cmd),
                    Pane::Preview => preview_move(s, cmd, fx),
                    Pane::Frame => super::frame_view::on_command(s, cmd, fx),
                    Pane::Activity => super::activity::on_move(s, cmd, fx),
                }
            }
            s.focus = prev;
            if p == Pane::Catalog {
                s.after_selection_change(fx);
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            if let Some(tabs) = a.tabs.filter(|t| layout::contains(*t, x, y)) {
                for (p, x0, x1, _) in layout::tab_ranges(tabs, a.single, s.shown_pane()) {
                    if x >= x0 && x < x1 {
                        focus_pane(s, p, fx);
                    }
                }
                return;
            }
            match pane {
                Some(Pane::Catalog) => {
                    s.focus = Pane::Catalog;
                    // Border, then the list; the filter line is the last inner row.
                    let list_top = a.catalog.y + 1;
                    if y >= list_top && (y - list_top) < s.catalog_height() as u16 {
                        let row = s.catalog.scroll + (y - list_top) as usize;
                        if row < s.catalog.rows().len() {
                            let again = row == s.catalog.selected;
                            s.catalog.move_to(row);
                            if again {
                                catalog_move(s, Command::Open, fx);
                                return;
                            }
                        }
                    }
                    s.after_selection_change(fx);
                }
                Some(p) => focus_pane(s, p, fx),
                None => s.dirty = false,
            }
        }
        _ => s.dirty = false,
    }
}
