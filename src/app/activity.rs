//! The Activity pane: every array that changed recently, one line each (from the monitor),
//! most recent first; Enter opens the highlighted one. The screen an operator leaves open.

use super::action::Effect;
use super::commands::CommandInfo;
use super::keymap::Command;
use super::layout::Pane;
use super::monitor::Activity;
use super::state::AppState;

impl AppState {
    /// The rows of the Activity pane now.
    pub fn activity_rows(&self) -> Vec<&Activity> {
        self.monitor.recent(self.now)
    }

    /// The highlighted row, kept inside the list as it changes.
    pub fn activity_selected(&self) -> usize {
        let n = self.activity_rows().len();
        self.activity_row.min(n.saturating_sub(1))
    }
}

/// Keys in the Activity pane.
pub(super) fn on_move(s: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    let n = s.activity_rows().len();
    let last = n.saturating_sub(1);
    let at = s.activity_selected();
    s.activity_row = match cmd {
        Command::Up => at.saturating_sub(1),
        Command::Down => (at + 1).min(last),
        Command::PageUp => at.saturating_sub(10),
        Command::PageDown => (at + 10).min(last),
        Command::Top => 0,
        Command::Bottom => last,
        _ => at,
    };
    if cmd == Command::Open {
        let path = s.activity_rows().get(at).map(|a| a.path.clone());
        match path {
            Some(p) => {
                s.goto(&p, fx);
                s.focus = Pane::Activity;
            }
            None => s.dirty = false,
        }
    }
}

/// The Activity pane's hint bar.
pub(super) fn commands(s: &AppState) -> Vec<CommandInfo> {
    let any = !s.activity_rows().is_empty();
    let open = CommandInfo {
        label: "open array",
        ..CommandInfo::mapped(Command::Open)
    };
    vec![
        open.enabled(any),
        CommandInfo::mapped(Command::Up).enabled(any),
        CommandInfo::mapped(Command::Down).enabled(any),
        CommandInfo::mapped(Command::NextPane),
        CommandInfo::mapped(Command::Pause),
        CommandInfo::mapped(Command::Help),
        CommandInfo::mapped(Command::Quit),
    ]
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::action::Action;
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

    fn listing(shapes: &[(&str, u64)]) -> super::super::action::JobResult {
        let entries = shapes
            .iter()
            .map(|(p, n)| NodeEntry {
                path: p.to_string(),
                kind: NodeKind::Array,
                shape: Some(vec![*n, 8]),
                dtype: Some(DType::UInt16),
                specs: Vec::new(),
            })
            .collect();
        super::super::action::JobResult::Rescanned {
            parent: String::new(),
            result: Ok(Page {
                entries,
                total: Some(shapes.len() as u64),
            }),
        }
    }

    /// A state with a controlled clock at `t0`.
    fn state() -> (AppState, std::time::Instant) {
        let mut s = AppState::new("t", caps());
        s.update(Action::Resize(80, 24));
        let t0 = s.now;
        s.update(listing(&[("a", 4), ("b", 4), ("quiet", 4)]));
        (s, t0)
    }

    #[test]
    fn rescans_feed_rates_most_recent_first_and_stalls_are_told() {
        let (mut s, t0) = state();
        assert!(s.activity_rows().is_empty());
        s.update(Action::Tick(t0 + Duration::from_secs(1)));
        s.update(listing(&[("a", 6), ("b", 4), ("quiet", 4)]));
        s.update(Action::Tick(t0 + Duration::from_secs(2)));
        s.update(listing(&[("a", 6), ("b", 5), ("quiet", 4)]));
        let rows: Vec<&str> = s.activity_rows().iter().map(|a| a.path.as_str()).collect();
        assert_eq!(rows, ["b", "a"]);
        let a = s.monitor.get("a").unwrap();
        // Two frames of 8 uint16 within the 5 s window.
        assert_eq!(a.rate(s.now), (0.4, 6.4));
        // More than 30 s after a's last growth, a stalls; b a second later.
        s.update(Action::Tick(t0 + Duration::from_secs(32)));
        assert!(s.monitor.is_stalled("a") && !s.monitor.is_stalled("b"));
        let notice = &s.status.as_ref().unwrap().notice;
        assert_eq!(notice.tone, super::super::notice::Tone::Warn);
        assert!(notice.text.contains("a stalled"), "{notice:?}");
        s.update(Action::Tick(t0 + Duration::from_secs(33)));
        assert!(s.monitor.is_stalled("b"));
        assert!(!s.monitor.is_stalled("quiet"), "it never grew");
        // Growing again clears it.
        s.update(listing(&[("a", 7), ("b", 5), ("quiet", 4)]));
        assert!(!s.monitor.is_stalled("a"));
    }

    #[test]
    fn the_threshold_is_configurable_and_live_events_count() {
        let (mut s, t0) = state();
        s.monitor.stall_after = Duration::from_secs(5);
        s.update(Action::Tick(t0 + Duration::from_secs(1)));
        s.update(Action::BackendEvent {
            path: "a".into(),
            event: EventKind::ChunksWritten {
                offset: vec![4, 0],
                shape: vec![1, 8],
            },
        });
        s.update(Action::BackendEvent {
            path: "a".into(),
            event: EventKind::ShapeChanged {
                old: vec![4, 8],
                new: vec![5, 8],
            },
        });
        let a = s.monitor.get("a").unwrap();
        assert_eq!(a.rate(s.now).0, 0.2, "one frame, counted once");
        s.update(Action::Tick(t0 + Duration::from_secs(6)));
        assert!(!s.monitor.is_stalled("a"));
        s.update(Action::Tick(t0 + Duration::from_secs(7)));
        assert!(s.monitor.is_stalled("a"));
    }

    #[test]
    fn paused_nothing_stalls() {
        let (mut s, t0) = state();
        s.update(listing(&[("a", 6), ("b", 4), ("quiet", 4)]));
        s.paused = true;
        s.update(Action::Tick(t0 + Duration::from_secs(60)));
        assert!(!s.monitor.is_stalled("a"));
    }

    #[test]
    fn enter_opens_the_highlighted_array() {
        let (mut s, t0) = state();
        s.update(Action::Tick(t0 + Duration::from_secs(1)));
        s.update(listing(&[("a", 6), ("b", 4), ("quiet", 4)]));
        s.focus = Pane::Activity;
        s.right_tab = Pane::Activity;
        let mut fx = Vec::new();
        on_move(&mut s, Command::Open, &mut fx);
        assert_eq!(s.open.as_ref().map(|o| o.path.as_str()), Some("a"));
        assert!(fx.contains(&Effect::Watch { path: "a".into() }), "{fx:?}");
    }
}
