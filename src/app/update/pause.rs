//! Pause: the view is a frozen snapshot. Live events, catalog rescans and re-reads of what is
//! already shown are held while paused and applied in order on resume, so the view catches up
//! at once. What the user asks for (opening another array, a write) still goes through.

use super::super::action::{Action, Effect, JobResult, Loaded};
use super::super::notice::Notice;
use super::super::state::{AppState, MAX_HELD};

impl AppState {
    /// Whether `action` changes what is shown on its own (not asked for by the user now).
    fn is_live_update(&self, action: &Action) -> bool {
        let open = self.open.as_ref();
        let shown = |path: &str| open.filter(|o| o.path == path);
        match action {
            Action::BackendEvent { .. } => true,
            Action::Done(JobResult::Rescanned { .. }) => true,
            Action::Done(JobResult::InfoLoaded(Loaded { path, .. })) => {
                shown(path).is_some_and(|o| o.info.is_some())
            }
            Action::Done(JobResult::ChunksLoaded(Loaded { path, .. })) => {
                shown(path).is_some_and(|o| o.chunks.is_some())
            }
            Action::Done(JobResult::HistoryLoaded(Loaded { path, .. })) => {
                shown(path).is_some_and(|o| o.history.is_some())
            }
            _ => false,
        }
    }

    /// Holds `action` while paused; gives it back when it must be applied now.
    pub(super) fn hold(&mut self, action: Action) -> Option<Action> {
        if !self.paused || !self.is_live_update(&action) {
            return Some(action);
        }
        if self.held.len() >= MAX_HELD {
            self.held.clear();
            self.held_overflow = true;
        }
        if !self.held_overflow {
            self.held.push(action);
        }
        // Only the count of held updates in the top bar changes.
        self.dirty = true;
        None
    }

    /// Pauses or resumes; resuming applies everything held, in the order it arrived.
    pub fn toggle_pause(&mut self, fx: &mut Vec<Effect>) {
        self.paused = !self.paused;
        if self.paused {
            self.notify(Notice::info("paused: the view holds still; space resumes"));
            return;
        }
        let held = std::mem::take(&mut self.held);
        let n = held.len();
        for action in held {
            self.apply(action, fx);
        }
        if std::mem::take(&mut self.held_overflow) {
            self.refresh(fx);
        }
        self.notify(Notice::info(format!(
            "resumed: {n} live update{} applied",
            if n == 1 { "" } else { "s" }
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::state;
    use super::*;
    use crate::backend::{ArrayInfo, DType, EventKind};

    fn info(shape: &[u64]) -> ArrayInfo {
        ArrayInfo {
            path: "a".into(),
            dtype: DType::Float64,
            shape: shape.to_vec(),
            chunks: vec![2],
            fill_value: serde_json::json!(0.0),
            metadata: serde_json::json!({}),
            resizable: vec![true],
        }
    }

    fn catalog_shape(s: &AppState) -> Option<Vec<u64>> {
        s.catalog
            .selected_node()
            .and_then(|n| n.entry.shape.clone())
    }

    #[test]
    fn pause_freezes_the_view_and_resume_catches_up() {
        let (mut s, _) = state();
        s.update(JobResult::InfoLoaded(Loaded {
            path: "a".into(),
            result: Ok(info(&[4])),
        }));
        let mut fx = Vec::new();
        s.toggle_pause(&mut fx);
        let fx = s.update(Action::BackendEvent {
            path: "a".into(),
            event: EventKind::ShapeChanged {
                old: vec![4],
                new: vec![6],
            },
        });
        assert!(fx.is_empty(), "nothing is asked for while paused: {fx:?}");
        s.update(JobResult::InfoLoaded(Loaded {
            path: "a".into(),
            result: Ok(info(&[6])),
        }));
        assert_eq!(s.open_info().map(|i| i.shape.clone()), Some(vec![4]));
        assert_eq!(catalog_shape(&s), Some(vec![4]));
        assert_eq!(s.held.len(), 2);
        let mut fx = Vec::new();
        s.toggle_pause(&mut fx);
        assert_eq!(s.open_info().map(|i| i.shape.clone()), Some(vec![6]));
        assert_eq!(catalog_shape(&s), Some(vec![6]));
        assert!(s.held.is_empty());
        assert!(fx.contains(&Effect::Chunks { path: "a".into() }), "{fx:?}");
    }
}
