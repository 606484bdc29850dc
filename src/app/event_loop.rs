//! The tokio event loop: terminal input, job results, timers and signals in; one state changed
//! by `update()`; frames drawn at most every 16 ms and only when something changed.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;

use super::action::{
    Action, BackendHandle, ConnectionState, Effect, OpOutcome, Operation, StoreTarget,
};
use super::catalog::PAGE_SIZE;
use super::jobs::{Done, Jobs};
use super::notice::Notice;
use super::state::AppState;
use super::terminal::Tui;
use super::theme::Theme;
use super::{demo_store, UrlOpener};
use crate::backend::local::LocalBackend;
use crate::backend::{Backend, Error};
use crate::config::is_url;
use crate::ui::{self, View};

/// Minimum time between two frames.
pub const FRAME: Duration = Duration::from_millis(16);
/// How often the open array is re-read while no live stream drives it.
pub const POLL: Duration = Duration::from_secs(1);
/// Animation tick (fading highlights, expiring messages).
pub const TICK: Duration = Duration::from_millis(250);

/// What effects need: the store, and how to open others.
pub struct Runner {
    pub backend: Option<Arc<dyn Backend>>,
    pub url_opener: Option<UrlOpener>,
    pub jobs: Jobs,
    /// Demo stores made by this process, removed at exit.
    pub demo_dirs: Arc<Mutex<Vec<PathBuf>>>,
}

impl Runner {
    /// Starts the work for one effect.
    pub fn run(&mut self, effect: Effect) {
        let key = effect.key();
        if let Effect::OpenStore(target) = effect {
            let opener = self.url_opener.clone();
            let demos = self.demo_dirs.clone();
            let job = async move {
                match open_store(target.clone(), opener, demos).await {
                    Ok(b) => Action::StoreOpened {
                        label: target.label(),
                        backend: BackendHandle(b),
                    },
                    Err(e) => Action::StoreFailed {
                        message: format!("cannot open {}: {}", target.label(), e.message),
                    },
                }
            };
            self.jobs.submit(key, job.boxed());
            return;
        }
        if let Effect::LoadNpy { path } = effect {
            let job = async move {
                let p = expand_home(&path);
                let result = tokio::task::spawn_blocking(move || crate::npy::read(&p))
                    .await
                    .unwrap_or_else(|e| Err(Error::io(format!("reading the file failed: {e}"))));
                Action::NpyLoaded { path, result }
            };
            self.jobs.submit(key, job.boxed());
            return;
        }
        let Some(b) = self.backend.clone() else {
            tracing::warn!(?effect, "no store open; effect dropped");
            return;
        };
        let job = async move {
            match effect {
                Effect::LoadPage { parent, offset } => {
                    let result = b.list_page(&parent, offset, PAGE_SIZE).await;
                    Action::PageLoaded {
                        parent,
                        offset,
                        result,
                    }
                }
                Effect::Rescan { parent } => {
                    let result = b.list_page(&parent, 0, PAGE_SIZE).await;
                    Action::Rescanned { parent, result }
                }
                Effect::Show { path } => {
                    let result = b.show(&path).await;
                    Action::InfoLoaded { path, result }
                }
                Effect::Chunks { path } => {
                    let result = b.chunk_states(&path).await.map(Arc::new);
                    Action::ChunksLoaded { path, result }
                }
                Effect::History { path } => {
                    let result = b.history(&path).await;
                    Action::HistoryLoaded { path, result }
                }
                Effect::Read { path, selection } => {
                    let result = b.read(&path, Some(&selection)).await;
                    Action::PreviewLoaded {
                        path,
                        selection,
                        result,
                    }
                }
                Effect::Run(op) => {
                    let summary = op.summary();
                    tracing::info!(?summary, "running operation");
                    let result = match *op {
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
                        Operation::Create(req) => {
                            b.create(&req.0).await.map(|i| OpOutcome::Info(Box::new(i)))
                        }
                        Operation::Delete { path } => {
                            b.delete(&path).await.map(|_| OpOutcome::Deleted)
                        }
                    };
                    Action::OpDone {
                        op: summary,
                        result,
                    }
                }
                Effect::OpenStore(_) | Effect::LoadNpy { .. } => Action::Poll,
            }
        };
        self.jobs.submit(key, job.boxed());
    }
}

/// `~/x` → `$HOME/x`.
fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// Opens a store: the demo, a local directory, or a URL through the CLI's opener.
pub async fn open_store(
    target: StoreTarget,
    opener: Option<UrlOpener>,
    demos: Arc<Mutex<Vec<PathBuf>>>,
) -> crate::backend::Result<Arc<dyn Backend>> {
    let (loc, key) = match target {
        StoreTarget::Demo => {
            let dir = demo_store::temp_dir();
            if let Ok(mut d) = demos.lock() {
                d.push(dir.clone());
            }
            let b = demo_store::create(&dir).await?;
            return Ok(Arc::new(b));
        }
        StoreTarget::Named(spec) => {
            let key = spec.api_key();
            (spec.url_or_path, key)
        }
        StoreTarget::Location(l) => (l, std::env::var("TILED_API_KEY").ok()),
    };
    open_location(&loc, key, opener.as_ref())
}

/// A URL through the opener, anything else as a local store directory.
pub fn open_location(
    loc: &str,
    api_key: Option<String>,
    opener: Option<&UrlOpener>,
) -> crate::backend::Result<Arc<dyn Backend>> {
    if is_url(loc) {
        return match opener {
            Some(open) => open(loc, api_key),
            None => Err(Error::unsupported(
                "this build cannot open Tiled servers from the TUI yet; start it with `extent --store URL`",
            )),
        };
    }
    Ok(Arc::new(LocalBackend::open(expand_home(loc))?))
}

fn to_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => Some(Action::Key(k)),
        Event::Mouse(m) => Some(Action::Mouse(m)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// Applies an action and starts its effects; a finished store-open swaps the backend first.
fn handle(state: &mut AppState, runner: &mut Runner, action: Action) {
    let action = match action {
        Action::StoreOpened { label, backend } => {
            let b = backend.0;
            let a = Action::StoreReady {
                label,
                describe: b.describe(),
                capabilities: b.capabilities(),
            };
            runner.backend = Some(b);
            a
        }
        other => other,
    };
    for effect in state.update(action) {
        runner.run(effect);
    }
}

/// Runs until the user quits (or a signal asks to).
pub async fn run(
    mut state: AppState,
    theme: Theme,
    mut runner: Runner,
    tui: &mut Tui,
    done_rx: &mut mpsc::UnboundedReceiver<Done>,
    start: Start,
) -> std::io::Result<()> {
    let mut notices = start.notices;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());

    let size = tui.terminal.size()?;
    handle(
        &mut state,
        &mut runner,
        Action::Resize(size.width, size.height),
    );
    if let Some(b) = runner.backend.clone() {
        let label = state.store_label.clone();
        handle(
            &mut state,
            &mut runner,
            Action::StoreReady {
                label,
                describe: b.describe(),
                capabilities: b.capabilities(),
            },
        );
        if let Some(p) = start.open_path {
            handle(&mut state, &mut runner, Action::Goto(p));
        }
    }
    let mut needs_draw = true;
    let mut last_draw = Instant::now() - FRAME;
    // The live watch of the open array: its messages arrive as actions on `live_rx`.
    let (live_tx, mut live_rx) = mpsc::unbounded_channel::<Action>();
    let mut watch: Option<(String, tokio::task::JoinHandle<()>)> = None;
    loop {
        follow_open_array(&state, &runner, &live_tx, &mut watch);
        needs_draw |= state.dirty;
        state.dirty = false;
        if state.quit {
            break;
        }
        let now = Instant::now();
        if needs_draw && now.duration_since(last_draw) >= FRAME {
            draw(tui, &state, &theme)?;
            last_draw = now;
            needs_draw = false;
        }
        let frame_at = tokio::time::Instant::from_std(last_draw + FRAME);
        // SIGTERM, or SIGHUP (the terminal went away): quit cleanly all the same.
        #[cfg(unix)]
        let term = futures::future::select(Box::pin(sigterm.recv()), Box::pin(sighup.recv()));
        #[cfg(not(unix))]
        let term = futures::future::pending::<()>();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(e)) => {
                    if let Some(a) = to_action(e) {
                        handle(&mut state, &mut runner, a);
                    }
                }
                Some(Err(e)) => {
                    tracing::error!("terminal input failed: {e}");
                    break;
                }
                None => break,
            },
            Some(done) = done_rx.recv() => {
                // Drain what else is ready before drawing (television's recv_many idea). Each
                // action says whether it changed the screen, so collect that after every one.
                let mut next = Some(done);
                while let Some(done) = next {
                    runner.jobs.finished(&done.key);
                    handle(&mut state, &mut runner, done.result);
                    needs_draw |= std::mem::take(&mut state.dirty);
                    next = done_rx.try_recv().ok();
                }
            }
            Some(notice) = next_notice(&mut notices) => {
                handle(&mut state, &mut runner, Action::Notice(notice));
            }
            Some(a) = live_rx.recv() => {
                // A fast writer sends many events: take all that are ready, draw once.
                let mut next = Some(a);
                while let Some(a) = next {
                    handle(&mut state, &mut runner, a);
                    needs_draw |= std::mem::take(&mut state.dirty);
                    next = live_rx.try_recv().ok();
                }
            }
            _ = tick.tick() => handle(&mut state, &mut runner, Action::Tick(Instant::now())),
            _ = poll.tick() => handle(&mut state, &mut runner, Action::Poll),
            _ = term => {
                tracing::info!("SIGTERM or SIGHUP: quitting");
                state.quit = true;
            }
            _ = &mut ctrl_c => {
                tracing::info!("SIGINT: quitting");
                state.quit = true;
            }
            _ = tokio::time::sleep_until(frame_at), if needs_draw => {}
        }
    }
    Ok(())
}

/// What the loop starts with besides the state.
#[derive(Default)]
pub struct Start {
    /// Status lines from outside the UI.
    pub notices: Option<mpsc::UnboundedReceiver<Notice>>,
    /// An array to open once the store is ready.
    pub open_path: Option<String>,
}

/// The next notice, or never when there is no notice source.
async fn next_notice(notices: &mut Option<mpsc::UnboundedReceiver<Notice>>) -> Option<Notice> {
    match notices {
        Some(rx) => rx.recv().await,
        None => futures::future::pending().await,
    }
}

/// Starts a live watch when another array is opened (and stops the previous one).
fn follow_open_array(
    state: &AppState,
    runner: &Runner,
    live_tx: &mpsc::UnboundedSender<Action>,
    watch: &mut Option<(String, tokio::task::JoinHandle<()>)>,
) {
    let open = state.open.as_ref().map(|o| o.path.clone());
    if watch.as_ref().map(|(p, _)| p) == open.as_ref() {
        return;
    }
    if let Some((_, task)) = watch.take() {
        task.abort();
    }
    let (Some(path), Some(backend)) = (open, runner.backend.clone()) else {
        return;
    };
    let tx = live_tx.clone();
    let p = path.clone();
    let task = tokio::spawn(async move {
        use crate::backend::{ConnectionState as Link, WatchMessage};
        let Ok(mut rx) = backend.watch(&p).await else {
            let _ = tx.send(Action::Watching {
                path: p,
                active: false,
            });
            return;
        };
        let _ = tx.send(Action::Watching {
            path: p.clone(),
            active: true,
        });
        while let Some(m) = rx.recv().await {
            let a = match m {
                WatchMessage::Event(e) => Action::BackendEvent {
                    path: e.path,
                    event: e.kind,
                },
                WatchMessage::State(s) => Action::Connection(match s {
                    Link::Live => ConnectionState::Live,
                    Link::Polling => ConnectionState::Polling,
                    Link::Reconnecting => ConnectionState::Reconnecting,
                    Link::Offline => ConnectionState::Offline("the store does not answer".into()),
                }),
            };
            if tx.send(a).is_err() {
                return;
            }
        }
        let _ = tx.send(Action::Watching {
            path: p,
            active: false,
        });
    });
    *watch = Some((path, task));
}

fn draw(tui: &mut Tui, state: &AppState, theme: &Theme) -> std::io::Result<()> {
    use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
    let _ = crossterm::execute!(std::io::stdout(), BeginSynchronizedUpdate);
    let r = tui.terminal.draw(|f| ui::draw(f, &View { state, theme }));
    let _ = crossterm::execute!(std::io::stdout(), EndSynchronizedUpdate);
    r.map(|_| ())
}
