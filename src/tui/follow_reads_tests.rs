//! What the TUI reads while it follows a writer, on a real local store, through the runtime's
//! own runner, jobs, watch and batches (the event loop without a terminal): the store is
//! wrapped to record every data read it serves.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc;

use super::{on_done, on_live};
use crate::app::action::{Action, JobResult};
use crate::app::state::AppState;
use crate::backend::local::LocalBackend;
use crate::backend::{
    ArrayData, ArrayInfo, Backend, Capabilities, Cause, ChunkMap, CreateRequest, DType, Page,
    Result, Selection, StructureChange, WatchReceiver,
};
use crate::tui::jobs::{Done, Jobs};
use crate::tui::runner::Runner;

const SIDE: u64 = 32;

/// A local store that records the region of every data read.
struct Recorded {
    store: LocalBackend,
    reads: Mutex<Vec<Selection>>,
}

impl Recorded {
    fn take(&self) -> Vec<Selection> {
        std::mem::take(&mut *self.reads.lock().unwrap())
    }
}

#[async_trait]
impl Backend for Recorded {
    fn describe(&self) -> String {
        self.store.describe()
    }
    fn capabilities(&self) -> Capabilities {
        self.store.capabilities()
    }
    async fn list_page(&self, parent: &str, offset: u64, limit: u64) -> Result<Page> {
        self.store.list_page(parent, offset, limit).await
    }
    async fn show(&self, path: &str) -> Result<ArrayInfo> {
        self.store.show(path).await
    }
    async fn create(&self, req: &CreateRequest) -> Result<ArrayInfo> {
        self.store.create(req).await
    }
    async fn read(&self, path: &str, selection: Option<&Selection>) -> Result<ArrayData> {
        let whole = || Selection::all(&[]);
        let sel = selection.cloned().unwrap_or_else(whole);
        self.reads.lock().unwrap().push(sel);
        self.store.read(path, selection).await
    }
    async fn patch(
        &self,
        path: &str,
        offset: &[u64],
        data: &ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo> {
        self.store.patch(path, offset, data, extend).await
    }
    async fn resize(&self, path: &str, shape: &[u64], cause: Cause) -> Result<ArrayInfo> {
        self.store.resize(path, shape, cause).await
    }
    async fn delete(&self, path: &str) -> Result<()> {
        self.store.delete(path).await
    }
    async fn history(&self, path: &str) -> Result<Vec<StructureChange>> {
        self.store.history(path).await
    }
    async fn chunk_states(&self, path: &str) -> Result<ChunkMap> {
        self.store.chunk_states(path).await
    }
    async fn watch(&self, path: &str) -> Result<WatchReceiver> {
        self.store.watch(path).await
    }
}

/// Appends frame `i` as a detector writer does: its chunk file in place first (a copy of frame
/// 0's, moved in whole), then the array grown over it. Every look of the watch sees the frame
/// whole or not at all, so each one is a single change.
async fn append(store: &Recorded, root: &std::path::Path, i: u64) {
    let chunk = |i: u64| root.join(format!("stack/c/{i}/0/0"));
    let staged = root.with_extension("staged");
    std::fs::copy(chunk(0), &staged).unwrap();
    std::fs::create_dir_all(chunk(i).parent().unwrap()).unwrap();
    std::fs::rename(&staged, chunk(i)).unwrap();
    store
        .store
        .resize("stack", &[i + 1, SIDE, SIDE], Cause::Resize)
        .await
        .unwrap();
}

fn frame(i: u64) -> ArrayData {
    let bytes = (0..SIDE * SIDE)
        .flat_map(|k| ((k + i) as u16).to_le_bytes())
        .collect();
    ArrayData::new(DType::UInt16, vec![1, SIDE, SIDE], bytes).unwrap()
}

/// The TUI's state and runtime on `store`, the way `tui::run` joins them.
struct App {
    state: AppState,
    runner: Runner,
    done_rx: mpsc::UnboundedReceiver<Done<JobResult>>,
    live_rx: mpsc::UnboundedReceiver<Action>,
}

impl App {
    fn new(store: Arc<Recorded>) -> App {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let (live_tx, live_rx) = mpsc::unbounded_channel();
        let caps = store.capabilities();
        let runner = Runner::new(
            Some(store),
            crate::stores::Opener::default(),
            Jobs::new(done_tx),
            live_tx,
            Arc::default(),
        );
        App {
            state: AppState::new("t", caps),
            runner,
            done_rx,
            live_rx,
        }
    }

    fn act(&mut self, a: Action) {
        for e in self.state.update(a) {
            let _ = self.runner.run(e);
        }
    }

    fn key(&mut self, c: char) {
        self.act(Action::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }

    /// Runs the loop for `d`: finished jobs and live events in batches, the 1-s poll.
    async fn run_for(&mut self, d: Duration) {
        let end = tokio::time::Instant::now() + d;
        let mut poll = tokio::time::interval(super::POLL);
        loop {
            tokio::select! {
                Some(done) = self.done_rx.recv() => {
                    on_done(&mut self.state, &mut self.runner, done, &mut self.done_rx);
                }
                Some(a) = self.live_rx.recv() => {
                    on_live(&mut self.state, &mut self.runner, a, &mut self.live_rx);
                }
                _ = poll.tick() => self.act(Action::Poll),
                _ = tokio::time::sleep_until(end) => return,
            }
        }
    }

    fn shown(&self) -> Option<u64> {
        let img = self.state.open.as_ref()?.frame.image.as_ref()?;
        img.index.first().copied()
    }
}

/// The frame (index on axis 0) each read was for; panics on a read of more than one frame.
fn frames_read(reads: &[Selection]) -> Vec<u64> {
    reads
        .iter()
        .map(|s| {
            assert_eq!(s.start.len(), 3, "a read of the whole array: {s:?}");
            assert_eq!(s.end[0] - s.start[0], 1, "more than one frame read: {s:?}");
            s.start[0]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_a_writer_reads_each_new_frame_once_and_nothing_while_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalBackend::open_or_create(dir.path()).unwrap();
    local
        .create(&CreateRequest {
            path: "stack".into(),
            shape: vec![1, SIDE, SIDE],
            chunks: vec![1, SIDE, SIDE],
            dtype: DType::UInt16,
            resizable: vec![true, false, false],
            fill_value: serde_json::json!(0),
            metadata: serde_json::json!({}),
            data: Some(frame(0)),
        })
        .await
        .unwrap();
    let store = Arc::new(Recorded {
        store: local,
        reads: Mutex::default(),
    });
    let mut app = App::new(store.clone());
    app.act(Action::Resize(120, 36));
    app.act(Action::StoreReady {
        label: "t".into(),
        describe: store.describe(),
        capabilities: store.capabilities(),
    });
    app.act(Action::Goto("stack".into()));
    app.run_for(Duration::from_millis(600)).await;
    // The Frame pane (4), following (F).
    app.key('4');
    app.key('F');
    app.run_for(Duration::from_millis(600)).await;
    assert_eq!(app.shown(), Some(0), "frame 0 is not on screen");
    store.take();

    // A writer appends a frame at a time, each seen on its own by the watch (100 ms polls).
    let last = 8;
    for i in 1..=last {
        append(&store, dir.path(), i).await;
        app.run_for(Duration::from_millis(300)).await;
    }
    app.run_for(Duration::from_millis(1200)).await;
    assert_eq!(app.shown(), Some(last), "the newest frame is not on screen");
    // Each frame once (one the watch saw together with the next is never shown, so never
    // read), the newest among them. The events of one look can still reach the loop in two
    // bursts, after the read for the first has begun: a frame is then read again, rarely.
    let read = frames_read(&store.take());
    for i in 1..=last {
        let n = read.iter().filter(|&&f| f == i).count();
        assert!(n <= 2, "frame {i} read {n} times (frames read: {read:?})");
    }
    assert!(read.windows(2).all(|w| w[0] <= w[1]), "{read:?}");
    assert_eq!(read.last(), Some(&last), "{read:?}");
    assert!(
        read.len() as u64 > last / 2,
        "the view did not follow: {read:?}"
    );

    // The Frame pane hidden behind the chunk grid (2): the writer goes on, nothing is read.
    app.key('2');
    for i in last + 1..=last + 3 {
        append(&store, dir.path(), i).await;
        app.run_for(Duration::from_millis(300)).await;
    }
    app.run_for(Duration::from_millis(1200)).await;
    let read = store.take();
    assert!(read.is_empty(), "read while hidden: {read:?}");
    // Shown again: the newest frame, once.
    app.key('4');
    app.run_for(Duration::from_millis(600)).await;
    assert_eq!(frames_read(&store.take()), vec![last + 3]);
    assert_eq!(app.shown(), Some(last + 3));
}
