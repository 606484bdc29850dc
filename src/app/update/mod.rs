//! `update()`: the only place the state changes. Each action gives state changes and effects
//! (work for the runtime). No I/O here, so every path is testable without a terminal or a
//! store. By concern: `jobs` applies finished jobs, `watch` live events and the write rate,
//! `navigation` what is open and shown.

mod errors;
mod jobs;
mod navigation;
mod node_view;
mod pause;
mod search;
#[cfg(test)]
mod search_tests;
mod watch;

pub use errors::{error_detail, error_text};
pub use watch::newly_written;

use crate::app::state::RATE_WINDOW;

use super::action::{Action, Effect, JobKey};
use super::catalog::{PageRequest, CATALOG_POLL, RESCAN_GROUPS};
use super::dialogs::PlanContext;
use super::state::{AppState, OpenArray, Screen, Tone, FADE, STATUS_TTL};

fn page_effect(r: PageRequest) -> Effect {
    Effect::LoadPage {
        parent: r.parent,
        offset: r.offset,
    }
}

impl AppState {
    /// Applies one action (or a finished job's result); returns the work to start.
    pub fn update(&mut self, action: impl Into<Action>) -> Vec<Effect> {
        let mut fx = Vec::new();
        let quitting = self.quit;
        self.dirty = true;
        self.apply(action.into(), &mut fx);
        // Keys and palette words ask to leave by setting `quit`; leaving is an effect.
        if self.quit && !quitting {
            fx.push(Effect::Quit);
        }
        fx
    }

    /// Applies actions that arrived together (a burst of live events, jobs that finished at
    /// once) as one turn: the work they ask for is returned once, after all of them. Two
    /// events from one look at the store (a shape change and the chunk it wrote) read the
    /// frame once, and a view moved on within the burst reads nothing for where it was.
    pub fn update_batch(&mut self, actions: impl IntoIterator<Item = Action>) -> Vec<Effect> {
        let mut fx = Vec::new();
        let quitting = self.quit;
        let mut dirty = false;
        for action in actions {
            self.dirty = true;
            self.apply(action, &mut fx);
            dirty |= self.dirty;
        }
        self.dirty = dirty;
        if self.quit && !quitting {
            fx.push(Effect::Quit);
        }
        coalesce(fx)
    }

    fn apply(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let Some(action) = self.hold(action) else {
            return;
        };
        match action {
            Action::Key(k) => super::input::on_key(self, &k, fx),
            Action::Mouse(m) => super::input::on_mouse(self, &m, fx),
            Action::Resize(w, h) => {
                self.size = ratatui::layout::Rect::new(0, 0, w, h);
                if self.screen != Screen::Main {
                    return;
                }
                let hgt = self.catalog_height();
                self.catalog.ensure_visible(hgt);
                fx.extend(self.catalog.pages_needed(hgt).into_iter().map(page_effect));
                self.search_pages(hgt, fx);
                self.request_preview(fx, false);
                // A 2-D array's window follows the Frame pane's size.
                self.request_frame(fx, false);
            }
            Action::Tick(now) => self.on_tick(now),
            Action::Poll => {
                self.dirty = false;
                self.poll(fx);
                // The Frame or Data pane may have come into view or changed size since.
                self.request_frame(fx, false);
                self.request_preview(fx, false);
            }
            Action::Quit => self.quit = true,
            Action::StoreReady {
                label,
                describe,
                capabilities,
            } => self.store_ready(label, describe, capabilities, fx),
            Action::BackendEvent { path, event } => self.on_event(&path, event, fx),
            Action::Connection(c) => self.connection = Some(c),
            Action::Goto(path) => self.goto(&path, fx),
            Action::Watching { path, active } => {
                self.watched = active.then_some(path);
                self.dirty = false;
            }
            Action::Notice(notice) => {
                // Progress chatter (the demo's writer) never hides an error still showing.
                let error_showing = self.status.as_ref().is_some_and(|s| {
                    s.notice.tone == Tone::Error && self.now.duration_since(s.at) < STATUS_TTL
                });
                if error_showing && notice.tone != Tone::Error && !notice.sticky {
                    // Not shown now, but the log keeps every line.
                    let now = self.now;
                    self.messages.push(&notice.text, notice.tone, now, None);
                    self.dirty = false;
                    return;
                }
                self.notify(notice);
            }
            Action::NodeAnnounced(entry) => self.on_node_announced(entry),
            Action::GroupFollow { parent, state } => self.on_group_follow(parent, state),
            Action::Done(result) => self.on_job(result, fx),
        }
    }

    fn on_tick(&mut self, now: std::time::Instant) {
        self.now = now;
        // The rate shown in the top bar decays as time passes.
        let mut changed = !self.writes.is_empty();
        while self
            .writes
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            self.writes.pop_front();
        }
        // Paused, highlights hold still too.
        if let Some(open) = self.open.as_mut().filter(|_| !self.paused) {
            let before = open.changed.len();
            open.changed.retain(|(_, t)| now.duration_since(*t) < FADE);
            changed |= open.changed.len() != before;
        }
        changed |= self.monitor_tick();
        if self
            .status
            .as_ref()
            .is_some_and(|s| !s.notice.sticky && now.duration_since(s.at) >= STATUS_TTL)
        {
            self.status = None;
            changed = true;
        }
        self.dirty = changed;
    }

    /// Re-reads the open array (cheap polling until a live stream drives the view).
    fn poll(&mut self, fx: &mut Vec<Effect>) {
        if self.screen != Screen::Main || self.paused {
            return;
        }
        let now = self.now;
        let due = self
            .catalog_polled
            .is_none_or(|t| now.duration_since(t) >= CATALOG_POLL);
        if due {
            self.catalog_polled = Some(now);
            fx.extend(
                self.catalog
                    .rescan_targets(RESCAN_GROUPS)
                    .into_iter()
                    .map(|parent| Effect::Rescan { parent }),
            );
        }
        if self.searches_on_server() {
            self.follow_groups(fx);
        }
        if let Some(open) = &mut self.open {
            // A live watch drives this array: only its structure is re-read (cheap), because
            // a store may announce a write before its metadata shows it (Tiled does).
            if self.watched.as_deref() == Some(open.path.as_str()) {
                if open.info.is_some() {
                    fx.push(Effect::Show {
                        path: open.path.clone(),
                    });
                }
                return;
            }
            if open.info.is_some() {
                fx.push(Effect::Show {
                    path: open.path.clone(),
                });
                // List chunks again only after 4x the time the last listing took.
                let due = open
                    .chunks_asked
                    .is_none_or(|t| now.duration_since(t) >= open.chunks_took * 4);
                if due {
                    open.chunks_asked = Some(now);
                    fx.push(Effect::Chunks {
                        path: open.path.clone(),
                    });
                }
            }
        }
    }
}

/// The effects of a batch with repeats dropped: an identical request (a keyed job) once, and
/// of the frame and preview reads only the last, the region on screen now. Effects that are
/// not requests (a write, a store switch) keep their place and nothing moves across them.
fn coalesce(fx: Vec<Effect>) -> Vec<Effect> {
    let mut out: Vec<Effect> = Vec::with_capacity(fx.len());
    let mut since = 0;
    for e in fx {
        let Some(key) = e.key() else {
            out.push(e);
            since = out.len();
            continue;
        };
        if matches!(key, JobKey::Frame | JobKey::Read) {
            let mut i = since;
            while i < out.len() {
                if out[i].key().as_ref() == Some(&key) {
                    out.remove(i);
                } else {
                    i += 1;
                }
            }
        } else if out[since..].contains(&e) {
            continue;
        }
        out.push(e);
    }
    out
}

/// What a dialog may look at.
pub fn plan_ctx(
    open: Option<&OpenArray>,
    capabilities: crate::backend::Capabilities,
) -> PlanContext<'_> {
    PlanContext {
        info: open.and_then(|o| o.info.as_ref()),
        capabilities,
        chunks: open.and_then(|o| o.chunks.as_deref()),
        npy: None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::super::action::{BackendHandle, JobResult};
    use super::*;
    use crate::backend::{Capabilities, DType, EventKind, NodeEntry, NodeKind, Page};

    fn caps() -> Capabilities {
        Capabilities {
            can_shrink: false,
            lists_chunks: true,
            history_in_store: true,
            partial_chunks: true,
            empty_axes: true,
        }
    }

    /// A store with arrays `a` and `b`, the first selected and open.
    pub(super) fn state() -> (AppState, Vec<Effect>) {
        let mut s = AppState::new("t", caps());
        s.update(Action::Resize(80, 24));
        s.update(Action::StoreReady {
            label: "t".into(),
            describe: "local:/t".into(),
            capabilities: caps(),
        });
        let entries = ["a", "b"]
            .iter()
            .map(|n| NodeEntry {
                path: n.to_string(),
                kind: NodeKind::Array,
                shape: Some(vec![4]),
                dtype: Some(DType::Float64),
                specs: Vec::new(),
            })
            .collect();
        let fx = s.update(JobResult::PageLoaded {
            parent: String::new(),
            offset: 0,
            result: Ok(Page {
                entries,
                total: Some(2),
            }),
        });
        (s, fx)
    }

    #[test]
    fn opening_and_closing_an_array_starts_and_stops_its_watch() {
        let (mut s, fx) = state();
        assert!(fx.contains(&Effect::Watch { path: "a".into() }), "{fx:?}");
        let fx = s.update(Action::Key(KeyEvent::new(
            KeyCode::Down,
            KeyModifiers::NONE,
        )));
        assert!(fx.contains(&Effect::Watch { path: "b".into() }), "{fx:?}");
        let fx = s.update(Action::BackendEvent {
            path: "b".into(),
            event: EventKind::Deleted,
        });
        assert_eq!(fx, vec![Effect::StopWatch]);
    }

    #[test]
    fn a_batch_asks_for_each_read_once_and_for_the_frame_shown_last() {
        use crate::backend::Selection;
        let sel = |i: u64| Selection {
            start: vec![i, 0, 0],
            end: vec![i + 1, 4, 4],
        };
        let frame = |i| Effect::ReadFrame {
            path: "a".into(),
            selection: sel(i),
        };
        let chunks = Effect::Chunks { path: "a".into() };
        let fx = coalesce(vec![
            frame(1),
            chunks.clone(),
            Effect::Show { path: "a".into() },
            chunks.clone(),
            frame(2),
            frame(2),
        ]);
        assert_eq!(
            fx,
            vec![chunks.clone(), Effect::Show { path: "a".into() }, frame(2)]
        );
        // Nothing moves across a store switch or a write: those requests may differ.
        let fx = coalesce(vec![frame(1), Effect::StopWatch, frame(1), chunks.clone()]);
        assert_eq!(fx, vec![frame(1), Effect::StopWatch, frame(1), chunks]);
    }

    #[test]
    fn quitting_is_an_effect() {
        let (mut s, _) = state();
        assert_eq!(s.update(Action::Quit), vec![Effect::Quit]);
        let (mut s, _) = state();
        let fx = s.update(Action::Key(KeyEvent::new(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
        )));
        assert_eq!(fx, vec![Effect::Quit]);
    }

    #[test]
    fn an_opened_store_is_used_before_its_catalog_is_listed() {
        let (mut s, _) = state();
        let dir = tempfile::tempdir().unwrap();
        let b = crate::backend::local::LocalBackend::open_or_create(dir.path()).unwrap();
        let handle = BackendHandle(Arc::new(b));
        let fx = s.update(JobResult::StoreOpened {
            label: "other".into(),
            describe: "local:/other".into(),
            capabilities: caps(),
            backend: handle.clone(),
        });
        assert_eq!(
            fx,
            vec![
                Effect::UseStore(handle),
                Effect::StopWatch,
                Effect::LoadPage {
                    parent: String::new(),
                    offset: 0
                }
            ]
        );
        assert_eq!(s.store_label, "other");
        assert!(s.open.is_none());
    }
}
