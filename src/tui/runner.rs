//! Carries out effects: backend calls as jobs whose results come back as [`JobResult`]s, the
//! live watch of the open array, switching stores, quitting.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::FutureExt;
use tokio::sync::mpsc;

use crate::app::action::{
    Action, BackendHandle, Effect, JobResult, Loaded, OpOutcome, Operation, StoreTarget,
};
use crate::app::catalog::PAGE_SIZE;
use crate::backend::{Backend, Error, Selection, WatchMessage};
use crate::stores::{expand_home, Opener, Target};

use super::frame_pool::FramePool;
use super::jobs::Jobs;

mod follow;

/// The memory the preview may hold (`--memory-limit`), when set: a read decodes whole chunks.
static MEMORY_BUDGET: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// Sets the memory budget of the preview for this process (once; later calls are ignored).
pub fn set_memory_budget(bytes: u64) {
    let _ = MEMORY_BUDGET.set(bytes);
}

fn mib(b: u64) -> f64 {
    b as f64 / (1u64 << 20) as f64
}

/// Refuses a preview of an array one chunk of which is over the memory budget.
async fn within_budget(b: &dyn Backend, path: &str) -> crate::backend::Result<()> {
    let Some(&budget) = MEMORY_BUDGET.get() else {
        return Ok(());
    };
    chunk_within(&b.show(path).await?, budget)
}

/// Refuses an array one chunk of which is over `budget`.
fn chunk_within(info: &crate::backend::ArrayInfo, budget: u64) -> crate::backend::Result<()> {
    let chunk = chunk_bytes(info);
    if chunk <= budget {
        return Ok(());
    }
    Err(Error::invalid_input(format!(
        "one chunk is {:.1} MiB, over the memory budget of {:.1} MiB (--memory-limit): not previewed",
        mib(chunk),
        mib(budget)
    )))
}

/// The bytes of one chunk decoded whole.
fn chunk_bytes(info: &crate::backend::ArrayInfo) -> u64 {
    info.chunks
        .iter()
        .try_fold(info.dtype.size() as u64, |a, &c| a.checked_mul(c))
        .unwrap_or(u64::MAX)
}

/// Refuses a frame (or a 2-D array's window) whose read would not fit the memory budget: its
/// elements as read, their f64 copy, and one chunk decoded whole. The chunk alone over the
/// budget is refused first, as for the preview.
async fn frame_within_budget(
    b: &dyn Backend,
    path: &str,
    sel: &Selection,
) -> crate::backend::Result<()> {
    let Some(&budget) = MEMORY_BUDGET.get() else {
        return Ok(());
    };
    let info = b.show(path).await?;
    chunk_within(&info, budget)?;
    let n = sel.start.len();
    let (h, w) = (
        sel.end[n - 2].saturating_sub(sel.start[n - 2]),
        sel.end[n - 1].saturating_sub(sel.start[n - 1]),
    );
    let need = h
        .saturating_mul(w)
        .saturating_mul(info.dtype.size() as u64 + 8)
        .saturating_add(chunk_bytes(&info));
    if need <= budget {
        return Ok(());
    }
    let (what, way_out) = if info.ndim() == 2 {
        (
            format!("a window of {h} × {w} elements"),
            "zoom in (+) to read a smaller window",
        )
    } else {
        (
            format!("one frame of {h} × {w} pixels"),
            "not shown; raise --memory-limit if this machine has the memory",
        )
    };
    Err(Error::invalid_input(format!(
        "{what} needs about {:.1} MiB, over the memory budget of {:.1} MiB (--memory-limit): {way_out}",
        mib(need),
        mib(budget)
    )))
}

/// What effects need: the store, how to open others, where live events go.
pub struct Runner {
    backend: Option<Arc<dyn Backend>>,
    opener: Opener,
    pub jobs: Jobs<JobResult>,
    /// Live events of the open array become actions here.
    live_tx: mpsc::UnboundedSender<Action>,
    watch: Option<tokio::task::JoinHandle<()>>,
    /// The server search and the groups followed.
    followers: follow::Followers,
    /// Demo stores made by this process, removed at exit.
    demo_dirs: Arc<Mutex<Vec<PathBuf>>>,
    /// Frame buffers reused from one frame read to the next.
    frames: Arc<FramePool>,
    /// The frame read asked for last, and whether it has begun reading the store.
    last_frame: Option<(String, Selection, Arc<AtomicBool>)>,
}

impl Runner {
    pub fn new(
        backend: Option<Arc<dyn Backend>>,
        opener: Opener,
        jobs: Jobs<JobResult>,
        live_tx: mpsc::UnboundedSender<Action>,
        demo_dirs: Arc<Mutex<Vec<PathBuf>>>,
    ) -> Runner {
        Runner {
            backend,
            opener,
            jobs,
            live_tx,
            watch: None,
            followers: follow::Followers::default(),
            demo_dirs,
            frames: Arc::default(),
            last_frame: None,
        }
    }

    /// The store effects run against.
    pub fn backend(&self) -> Option<&Arc<dyn Backend>> {
        self.backend.as_ref()
    }

    /// Carries out one effect; `Break` when it is time to leave.
    pub fn run(&mut self, effect: Effect) -> ControlFlow<()> {
        let key = effect.key();
        match effect {
            Effect::Quit => return ControlFlow::Break(()),
            Effect::Clipboard(text) => copy_to_clipboard(&text),
            Effect::CompletePath { target, typed } => {
                let job = async move {
                    let t = typed.clone();
                    let candidates = tokio::task::spawn_blocking(move || super::complete::list(&t))
                        .await
                        .unwrap_or_default();
                    JobResult::PathsListed {
                        target,
                        typed,
                        candidates,
                    }
                };
                self.jobs.submit(key, job.boxed());
            }
            Effect::UseStore(b) => {
                self.stop_watch();
                self.followers.stop();
                self.frames.clear();
                self.backend = Some(b.0);
            }
            Effect::Watch { path } => self.start_watch(path),
            Effect::StopWatch => self.stop_watch(),
            Effect::Search(req) => self.search(req),
            Effect::WatchChildren { parents } => self.follow_groups(parents),
            Effect::OpenStore(target) => {
                let job = open_store(target, self.opener.clone(), self.demo_dirs.clone());
                self.jobs.submit(key, job.boxed());
            }
            Effect::LoadNpy { path } => {
                let job = async move {
                    let p = expand_home(&path);
                    let result = tokio::task::spawn_blocking(move || crate::npy::read(&p))
                        .await
                        .unwrap_or_else(|e| {
                            Err(Error::io("reading the file failed").with_source(e))
                        });
                    JobResult::NpyLoaded(Loaded { path, result })
                };
                self.jobs.submit(key, job.boxed());
            }
            Effect::ReadFrame { path, selection } if self.frame_read_pending(&path, &selection) => {
                // Two events of one look at the store can reach the model in two bursts: the
                // read asked for after the first has not begun, so it sees what both report.
                tracing::debug!(%path, start = ?selection.start, "frame read already on its way");
            }
            other => {
                let Some(b) = self.backend.clone() else {
                    tracing::warn!(effect = ?other, "no store open; effect dropped");
                    return ControlFlow::Continue(());
                };
                let begun = Arc::new(AtomicBool::new(false));
                if let Effect::ReadFrame { path, selection } = &other {
                    self.last_frame = Some((path.clone(), selection.clone(), begun.clone()));
                }
                if let Some(job) = backend_job(b, other, &self.frames, begun) {
                    self.jobs.submit(key, job);
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// Whether the frame read asked for last is of `selection` and has not begun reading.
    fn frame_read_pending(&self, path: &str, selection: &Selection) -> bool {
        self.last_frame.as_ref().is_some_and(|(p, s, begun)| {
            p == path && s == selection && !begun.load(Ordering::SeqCst)
        })
    }

    /// Follows `path` live (replacing the watch of another array); its messages become
    /// actions on the live channel.
    fn start_watch(&mut self, path: String) {
        self.stop_watch();
        let Some(backend) = self.backend.clone() else {
            return;
        };
        let tx = self.live_tx.clone();
        self.watch = Some(tokio::spawn(async move {
            let Ok(mut rx) = backend.watch(&path).await else {
                let _ = tx.send(Action::Watching {
                    path,
                    active: false,
                });
                return;
            };
            let _ = tx.send(Action::Watching {
                path: path.clone(),
                active: true,
            });
            while let Some(m) = rx.recv().await {
                let a = match m {
                    WatchMessage::Event(e) => Action::BackendEvent {
                        path: e.path,
                        event: e.kind,
                    },
                    WatchMessage::State(s) => Action::Connection(s),
                };
                if tx.send(a).is_err() {
                    return;
                }
            }
            let _ = tx.send(Action::Watching {
                path,
                active: false,
            });
        }));
    }

    fn stop_watch(&mut self) {
        if let Some(task) = self.watch.take() {
            task.abort();
        }
        // Another array (or none) comes next: its frames need not be this one's size.
        self.frames.clear();
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop_watch();
        self.followers.stop();
    }
}

/// The job for a read or a write on the open store; `None` for effects that are not backend
/// calls (`Runner::run` carries those out itself).
fn backend_job(
    b: Arc<dyn Backend>,
    effect: Effect,
    frames: &Arc<FramePool>,
    begun: Arc<AtomicBool>,
) -> Option<BoxFuture<'static, JobResult>> {
    let job = match effect {
        Effect::LoadPage { parent, offset } => async move {
            let result = b.list_page(&parent, offset, PAGE_SIZE).await;
            JobResult::PageLoaded {
                parent,
                offset,
                result,
            }
        }
        .boxed(),
        Effect::Rescan { parent } => async move {
            let result = b.list_page(&parent, 0, PAGE_SIZE).await;
            JobResult::Rescanned { parent, result }
        }
        .boxed(),
        Effect::Show { path } => async move {
            let result = b.show(&path).await;
            JobResult::InfoLoaded(Loaded { path, result })
        }
        .boxed(),
        Effect::Chunks { path } => async move {
            let result = b.chunk_states(&path).await.map(Arc::new);
            JobResult::ChunksLoaded(Loaded { path, result })
        }
        .boxed(),
        Effect::Node { path } => async move {
            let result = match b.node(&path).await {
                Ok(info) if info.kind == crate::backend::NodeKind::Table => {
                    b.read_table(&path).await.map(|t| (info, Some(t)))
                }
                Ok(info) => Ok((info, None)),
                Err(e) => Err(e),
            };
            let result = result.map(Box::new);
            JobResult::NodeLoaded(Loaded { path, result })
        }
        .boxed(),
        Effect::History { path } => async move {
            let result = b.history(&path).await;
            JobResult::HistoryLoaded(Loaded { path, result })
        }
        .boxed(),
        Effect::Read { path, selection } => async move {
            tracing::debug!(%path, start = ?selection.start, end = ?selection.end, "preview read");
            let result = match within_budget(&*b, &path).await {
                Ok(()) => b.read(&path, Some(&selection)).await,
                Err(e) => Err(e),
            };
            JobResult::PreviewLoaded {
                path,
                selection,
                result,
            }
        }
        .boxed(),
        Effect::ReadFrame { path, selection } => {
            let frames = frames.clone();
            async move {
                let result = read_frame(b.as_ref(), &frames, &path, &selection, &begun).await;
                begun.store(true, Ordering::SeqCst);
                JobResult::FrameLoaded {
                    path,
                    selection,
                    result,
                }
            }
            .boxed()
        }
        Effect::Run(op) => run_operation(b, *op).boxed(),
        Effect::LoadNpy { .. }
        | Effect::OpenStore(_)
        | Effect::UseStore(_)
        | Effect::Watch { .. }
        | Effect::StopWatch
        | Effect::Clipboard(_)
        | Effect::CompletePath { .. }
        | Effect::Search(_)
        | Effect::WatchChildren { .. }
        | Effect::Quit => return None,
    };
    Some(job)
}

/// One frame's region, read and turned into pixels here, off the UI thread.
async fn read_frame(
    b: &dyn Backend,
    frames: &FramePool,
    path: &str,
    sel: &Selection,
    begun: &AtomicBool,
) -> crate::backend::Result<Arc<crate::frame::Frame>> {
    tracing::debug!(%path, start = ?sel.start, end = ?sel.end, "frame read");
    let n = sel.start.len();
    if n < 2 {
        return Err(crate::backend::Error::invalid_input(
            "a frame needs at least 2 dimensions",
        ));
    }
    // A read decodes whole chunks: the frame keeps to the same budget as the preview.
    frame_within_budget(b, path, sel).await?;
    begun.store(true, Ordering::SeqCst);
    let data = b.read(path, Some(sel)).await?;
    frames.make(
        &data,
        sel.start[..n - 2].to_vec(),
        [sel.start[n - 2], sel.start[n - 1]],
    )
}

/// A confirmed write.
async fn run_operation(b: Arc<dyn Backend>, op: Operation) -> JobResult {
    let summary = op.summary();
    tracing::info!(?summary, "running operation");
    let result = match op {
        Operation::Patch {
            path,
            offset,
            data,
            extend,
        } => b
            .patch_owned(&path, &offset, data, extend)
            .await
            .map(|i| OpOutcome::Info(Box::new(i))),
        Operation::Resize { path, shape, cause } => b
            .resize(&path, &shape, cause)
            .await
            .map(|i| OpOutcome::Info(Box::new(i))),
        Operation::Create(req) => b.create(&req.0).await.map(|i| OpOutcome::Info(Box::new(i))),
        Operation::Delete { path } => b.delete(&path).await.map(|_| OpOutcome::Deleted),
    };
    JobResult::OpDone {
        op: summary,
        result,
    }
}

/// Opens a store through the one opener; the demo store is made in a fresh temp dir.
async fn open_store(
    target: StoreTarget,
    opener: Opener,
    demos: Arc<Mutex<Vec<PathBuf>>>,
) -> JobResult {
    let label = target.label();
    let opened = match target {
        StoreTarget::Demo => open_demo(&opener, &demos).await,
        StoreTarget::Named(spec) => opener.open_target(&Target::Named(spec)),
        StoreTarget::Location(loc) => opener.open(&loc),
    };
    // Opening a Tiled backend does not talk to the server: ask it for the first entry, so a
    // store that does not answer is refused here and the one on screen stays.
    let opened = match opened {
        Ok(b) => b.list_page("", 0, 1).await.map(|_| b),
        Err(e) => Err(e),
    };
    match opened {
        Ok(b) => JobResult::StoreOpened {
            label,
            describe: b.describe(),
            capabilities: b.capabilities(),
            backend: BackendHandle(b),
        },
        Err(e) => JobResult::StoreFailed {
            message: format!("cannot open {label}: {}", crate::app::error_text(&e, None)),
        },
    }
}

async fn open_demo(
    opener: &Opener,
    demos: &Mutex<Vec<PathBuf>>,
) -> crate::backend::Result<Arc<dyn Backend>> {
    let dir = crate::demo::temp_dir();
    if let Ok(mut d) = demos.lock() {
        d.push(dir.clone());
    }
    let maker = Opener {
        create: true,
        ..opener.clone()
    };
    let b = maker.open_target(&Target::Dir(dir))?;
    crate::demo::make_sample(b.as_ref()).await?;
    Ok(b)
}

/// Sets the terminal's clipboard with OSC 52 (the terminal, not this host, holds it: it works
/// over SSH). Terminals that do not support it ignore the sequence; the text is also in the
/// message log.
fn copy_to_clipboard(text: &str) {
    use std::io::Write;
    let seq = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    let mut out = std::io::stdout();
    if let Err(e) = out.write_all(seq.as_bytes()).and_then(|_| out.flush()) {
        tracing::warn!("cannot write the clipboard sequence: {e}");
    }
}

/// Standard base64 with padding (what OSC 52 carries).
fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod clipboard_tests {
    #[test]
    fn base64_pads() {
        assert_eq!(super::base64(b"extent"), "ZXh0ZW50");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"a"), "YQ==");
        assert_eq!(super::base64(b""), "");
    }
}
