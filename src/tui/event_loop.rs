//! The tokio event loop: terminal input, job results, live events, timers and signals in; each
//! becomes one `update()` of the state, whose effects the runner carries out; frames drawn at
//! most every 16 ms and only when something changed.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::app::action::{Action, JobResult};
use crate::app::notice::Notice;
use crate::app::state::AppState;
use crate::ui::theme::Theme;
use crate::ui::{self, View};

use super::jobs::Done;
use super::runner::Runner;
use super::terminal::Tui;

/// Minimum time between two frames.
pub const FRAME: Duration = Duration::from_millis(16);
/// How often the open array is re-read while no live stream drives it.
pub const POLL: Duration = Duration::from_secs(1);
/// Animation tick (fading highlights, expiring messages).
pub const TICK: Duration = Duration::from_millis(250);

/// What the loop starts with besides the state.
#[derive(Default)]
pub struct Start {
    /// Status lines from outside the UI: text, error, sticky.
    pub notices: Option<mpsc::UnboundedReceiver<Notice>>,
    /// An array to open once the store is ready.
    pub open_path: Option<String>,
    /// The first store's name for the top bar.
    pub label: String,
    /// A problem with the user's keymap or theme, shown once on the status line.
    pub warning: Option<String>,
}

/// Where finished jobs and live events arrive.
pub struct Channels {
    pub done_rx: mpsc::UnboundedReceiver<Done<JobResult>>,
    pub live_rx: mpsc::UnboundedReceiver<Action>,
}

fn to_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => Some(Action::Key(k)),
        Event::Mouse(m) => Some(Action::Mouse(m)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// One turn of the model: `update()`, then its effects in order. `Break` when one of them
/// says to leave.
fn handle(state: &mut AppState, runner: &mut Runner, action: impl Into<Action>) -> Turn {
    let mut flow = ControlFlow::Continue(());
    for effect in state.update(action) {
        if runner.run(effect).is_break() {
            flow = ControlFlow::Break(());
        }
    }
    Turn {
        flow,
        dirty: state.dirty,
    }
}

/// Several actions that arrived together, as one turn (`AppState::update_batch`): their
/// effects are carried out once all of them are applied, each request once.
fn handle_batch(state: &mut AppState, runner: &mut Runner, actions: Vec<Action>) -> Turn {
    let mut flow = ControlFlow::Continue(());
    for effect in state.update_batch(actions) {
        if runner.run(effect).is_break() {
            flow = ControlFlow::Break(());
        }
    }
    Turn {
        flow,
        dirty: state.dirty,
    }
}

/// Jobs finished: `first` and whatever else is ready, applied as one batch.
pub(super) fn on_done(
    state: &mut AppState,
    runner: &mut Runner,
    first: Done<JobResult>,
    rx: &mut mpsc::UnboundedReceiver<Done<JobResult>>,
) -> Turn {
    let mut batch = Vec::new();
    let mut next = Some(first);
    while let Some(done) = next {
        runner.jobs.finished(&done.key);
        batch.push(Action::Done(done.result));
        next = rx.try_recv().ok();
    }
    handle_batch(state, runner, batch)
}

/// Live events: `first` and all others ready (a fast writer sends many), as one batch.
pub(super) fn on_live(
    state: &mut AppState,
    runner: &mut Runner,
    first: Action,
    rx: &mut mpsc::UnboundedReceiver<Action>,
) -> Turn {
    let mut batch = vec![first];
    while let Ok(a) = rx.try_recv() {
        batch.push(a);
    }
    handle_batch(state, runner, batch)
}

/// What one turn asks of the loop: go on or leave, and whether the screen changed.
pub(super) struct Turn {
    flow: ControlFlow<()>,
    dirty: bool,
}

/// Runs until the user quits (or a signal asks to).
pub async fn run(
    mut state: AppState,
    theme: Theme,
    mut runner: Runner,
    tui: &mut Tui,
    channels: Channels,
    start: Start,
) -> std::io::Result<()> {
    let Channels {
        mut done_rx,
        mut live_rx,
    } = channels;
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
    let mut first = vec![Action::Resize(size.width, size.height)];
    if let Some(b) = runner.backend() {
        first.push(Action::StoreReady {
            label: start.label,
            describe: b.describe(),
            capabilities: b.capabilities(),
        });
        if let Some(p) = start.open_path {
            first.push(Action::Goto(p));
        }
    }
    if let Some(text) = start.warning {
        first.push(Action::Notice(Notice::error(text)));
    }
    for a in first {
        if handle(&mut state, &mut runner, a).flow.is_break() {
            return Ok(());
        }
    }
    let mut needs_draw = true;
    let mut last_draw = Instant::now() - FRAME;
    loop {
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
        let mut turn = Turn {
            flow: ControlFlow::Continue(()),
            dirty: false,
        };
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(e)) => {
                    if let Some(a) = to_action(e) {
                        turn = handle(&mut state, &mut runner, a);
                    }
                }
                Some(Err(e)) => {
                    tracing::error!("terminal input failed: {e}");
                    break;
                }
                None => break,
            },
            Some(done) = done_rx.recv() => {
                // Drain what else is ready before drawing (television's recv_many idea).
                turn = on_done(&mut state, &mut runner, done, &mut done_rx);
            }
            Some(notice) = next_notice(&mut notices) => {
                turn = handle(&mut state, &mut runner, Action::Notice(notice));
            }
            Some(a) = live_rx.recv() => {
                // A fast writer sends many events: take all that are ready, draw once.
                turn = on_live(&mut state, &mut runner, a, &mut live_rx);
            }
            _ = tick.tick() => turn = handle(&mut state, &mut runner, Action::Tick(Instant::now())),
            _ = poll.tick() => turn = handle(&mut state, &mut runner, Action::Poll),
            _ = term => {
                tracing::info!("SIGTERM or SIGHUP: quitting");
                turn = handle(&mut state, &mut runner, Action::Quit);
            }
            _ = &mut ctrl_c => {
                tracing::info!("SIGINT: quitting");
                turn = handle(&mut state, &mut runner, Action::Quit);
            }
            _ = tokio::time::sleep_until(frame_at), if needs_draw => {}
        }
        if turn.flow.is_break() {
            break;
        }
        needs_draw |= turn.dirty;
    }
    Ok(())
}

/// The next notice, or never when there is no notice source.
async fn next_notice(notices: &mut Option<mpsc::UnboundedReceiver<Notice>>) -> Option<Notice> {
    match notices {
        Some(rx) => rx.recv().await,
        None => futures::future::pending().await,
    }
}

fn draw(tui: &mut Tui, state: &AppState, theme: &Theme) -> std::io::Result<()> {
    use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
    let _ = crossterm::execute!(std::io::stdout(), BeginSynchronizedUpdate);
    let r = tui.terminal.draw(|f| ui::draw(f, &View { state, theme }));
    let _ = crossterm::execute!(std::io::stdout(), EndSynchronizedUpdate);
    r.map(|_| ())
}

#[cfg(test)]
#[path = "follow_reads_tests.rs"]
mod follow_reads_tests;
