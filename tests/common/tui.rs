//! Builders for TUI tests that drive `AppState::update` without a terminal: key and mouse
//! actions, capabilities, catalog entries, and an app connected to a store. Thin on purpose:
//! each says what a test means in one call and leaves the app's own types visible.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use extent::app::action::{Action, JobResult};
use extent::app::state::AppState;
use extent::backend::{Capabilities, DType, NodeEntry, NodeKind, Page};

/// A key press without modifiers.
pub fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A character typed without modifiers.
pub fn ch(c: char) -> Action {
    key(KeyCode::Char(c))
}

/// Ctrl + a character.
pub fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// A mouse event at a cell, without modifiers.
pub fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Action {
    Action::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

/// Types `text` one character at a time, as a user would.
pub fn typed(s: &mut AppState, text: &str) {
    for c in text.chars() {
        s.update(ch(c));
    }
}

/// What a store can do; the history is the store's own, and any shape can be created.
pub fn caps(can_shrink: bool, lists_chunks: bool) -> Capabilities {
    Capabilities {
        can_shrink,
        lists_chunks,
        history_in_store: true,
        partial_chunks: true,
        empty_axes: true,
    }
}

/// A catalog entry for an array.
pub fn array_entry(path: &str, shape: &[u64], dtype: DType) -> NodeEntry {
    NodeEntry {
        path: path.into(),
        kind: NodeKind::Array,
        shape: Some(shape.to_vec()),
        dtype: Some(dtype),
        specs: Vec::new(),
    }
}

/// A catalog entry for a group.
pub fn group_entry(path: &str) -> NodeEntry {
    NodeEntry {
        path: path.into(),
        kind: NodeKind::Group,
        shape: None,
        dtype: None,
        specs: Vec::new(),
    }
}

/// The app on a terminal of `w`×`h`, its store `label` (described as `describe`) connected.
pub fn connected(
    label: &str,
    describe: &str,
    capabilities: Capabilities,
    w: u16,
    h: u16,
) -> AppState {
    let mut s = AppState::new(label, capabilities);
    s.update(Action::Resize(w, h));
    s.update(Action::StoreReady {
        label: label.into(),
        describe: describe.into(),
        capabilities,
    });
    s
}

/// The whole listing of `parent` arrives as one page.
pub fn page_loaded(s: &mut AppState, parent: &str, entries: Vec<NodeEntry>) {
    s.update(JobResult::PageLoaded {
        parent: parent.into(),
        offset: 0,
        result: Ok(Page {
            total: Some(entries.len() as u64),
            entries,
        }),
    });
}

/// The screen `state` draws (monochrome theme), one trimmed line per row.
pub fn render(state: &AppState) -> String {
    let theme = extent::ui::theme::Theme::monochrome();
    let (w, h) = (state.size.width, state.size.height);
    let backend = ratatui::backend::TestBackend::new(w, h);
    let mut term = ratatui::Terminal::new(backend).expect("terminal");
    let view = extent::ui::View {
        state,
        theme: &theme,
    };
    term.draw(|f| extent::ui::draw(f, &view)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Runs what `update` asks of the store `b` (listings, structure, chunks, history, writes) the
/// way the runtime does, feeding each answer back, until nothing is left. Live watches,
/// previews and `.npy` reads are not run; frames are.
pub fn drive(
    rt: &tokio::runtime::Runtime,
    b: &std::sync::Arc<dyn extent::backend::Backend>,
    s: &mut AppState,
    a: Action,
) {
    use extent::app::action::{Effect, Loaded, OpOutcome, Operation};
    let mut queue = vec![a];
    while let Some(a) = queue.pop() {
        for e in s.update(a) {
            let done = match e {
                Effect::LoadPage { parent, offset } => JobResult::PageLoaded {
                    result: rt.block_on(b.list_page(&parent, offset, 100)),
                    parent,
                    offset,
                },
                Effect::Show { path } => JobResult::InfoLoaded(Loaded {
                    result: rt.block_on(b.show(&path)),
                    path,
                }),
                Effect::Chunks { path } => JobResult::ChunksLoaded(Loaded {
                    result: rt.block_on(b.chunk_states(&path)).map(std::sync::Arc::new),
                    path,
                }),
                // As the runtime does: the node, and a table's rows.
                Effect::Node { path } => {
                    let result = rt.block_on(b.node(&path)).and_then(|info| {
                        let rows = match info.kind {
                            extent::backend::NodeKind::Table => {
                                Some(rt.block_on(b.read_table(&path))?)
                            }
                            _ => None,
                        };
                        Ok(Box::new((info, rows)))
                    });
                    JobResult::NodeLoaded(Loaded { path, result })
                }
                Effect::History { path } => JobResult::HistoryLoaded(Loaded {
                    result: rt.block_on(b.history(&path)),
                    path,
                }),
                Effect::ReadFrame { path, selection } => {
                    let n = selection.start.len();
                    let result = rt.block_on(b.read(&path, Some(&selection))).and_then(|d| {
                        let at = selection.start[..n - 2].to_vec();
                        let origin = [selection.start[n - 2], selection.start[n - 1]];
                        extent::frame::Frame::from_data(&d, at, origin).map(std::sync::Arc::new)
                    });
                    JobResult::FrameLoaded {
                        path,
                        selection,
                        result,
                    }
                }
                Effect::Run(op) => {
                    let summary = op.summary();
                    let result = match *op {
                        Operation::Delete { path } => {
                            rt.block_on(b.delete(&path)).map(|_| OpOutcome::Deleted)
                        }
                        Operation::Patch {
                            path,
                            offset,
                            data,
                            extend,
                        } => rt
                            .block_on(b.patch(&path, &offset, &data, extend))
                            .map(|i| OpOutcome::Info(Box::new(i))),
                        Operation::Resize { path, shape, cause } => rt
                            .block_on(b.resize(&path, &shape, cause))
                            .map(|i| OpOutcome::Info(Box::new(i))),
                        Operation::Create(req) => rt
                            .block_on(b.create(&req.0))
                            .map(|i| OpOutcome::Info(Box::new(i))),
                    };
                    JobResult::OpDone {
                        op: summary,
                        result,
                    }
                }
                _ => continue,
            };
            queue.push(done.into());
        }
    }
}

/// The app on a `w`×`h` terminal with `info` listed at the root, opened, its structure, an
/// all-written chunk map and an empty history loaded (no preview yet: see `preview_loaded`).
pub fn with_array(
    capabilities: Capabilities,
    info: &extent::backend::ArrayInfo,
    w: u16,
    h: u16,
) -> AppState {
    use extent::app::action::Loaded;
    use extent::backend::{ChunkMap, ChunkState};
    let mut s = connected("t", "local:/t", capabilities, w, h);
    page_loaded(
        &mut s,
        "",
        vec![array_entry(&info.path, &info.shape, info.dtype)],
    );
    s.update(JobResult::InfoLoaded(Loaded {
        path: info.path.clone(),
        result: Ok(info.clone()),
    }));
    let map = ChunkMap::new(info.chunk_grid(), ChunkState::Written);
    s.update(JobResult::ChunksLoaded(Loaded {
        path: info.path.clone(),
        result: Ok(std::sync::Arc::new(map)),
    }));
    s.update(JobResult::HistoryLoaded(Loaded {
        path: info.path.clone(),
        result: Ok(Vec::new()),
    }));
    s
}

/// The preview window the app asks for now arrives, its values from `value(flat index)`.
pub fn preview_loaded(s: &mut AppState, value: impl Fn(u64) -> Vec<u8>) {
    let sel = s.preview_selection().expect("a preview window");
    let info = s.open_info().cloned().expect("an open array");
    let n: u64 = sel.shape().iter().product();
    let bytes = (0..n).flat_map(value).collect();
    let data = extent::backend::ArrayData::new(info.dtype, sel.shape(), bytes).expect("data");
    s.update(JobResult::PreviewLoaded {
        path: info.path.clone(),
        selection: sel,
        result: Ok(data),
    });
}
