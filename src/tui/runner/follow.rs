//! The runner's long-lived searches and followers: the server search (debounced, one at a
//! time: a newer one drops the one waiting or in flight) and the groups followed for the
//! nodes the store announces.

use std::collections::HashMap;

use crate::app::action::{Action, JobResult};
use crate::app::catalog::{SearchRequest, SEARCH_PAGE};
use crate::app::state::GroupFollow;
use crate::backend::ChildNews;

use super::Runner;

/// The tasks behind a search and the followed groups.
#[derive(Default)]
pub(super) struct Followers {
    search: Option<tokio::task::JoinHandle<()>>,
    groups: HashMap<String, tokio::task::JoinHandle<()>>,
}

impl Followers {
    /// Stops everything (the store changed, or the TUI ends).
    pub(super) fn stop(&mut self) {
        if let Some(t) = self.search.take() {
            t.abort();
        }
        for (_, t) in self.groups.drain() {
            t.abort();
        }
    }
}

impl Runner {
    /// Asks the server for a page of hits, after the debounce; drops the search before it.
    pub(super) fn search(&mut self, req: SearchRequest) {
        if let Some(t) = self.followers.search.take() {
            t.abort();
        }
        let Some(b) = self.backend.clone() else {
            return;
        };
        let tx = self.live_tx.clone();
        self.followers.search = Some(tokio::spawn(async move {
            if let Some(wait) = req.debounce {
                tokio::time::sleep(wait).await;
            }
            let result = b
                .search_page(&req.scope, &req.query, req.offset, SEARCH_PAGE)
                .await;
            let _ = tx.send(Action::Done(JobResult::SearchPage {
                generation: req.generation,
                offset: req.offset,
                result,
            }));
        }));
    }

    /// Follows exactly `parents`: new followers start, the others stop.
    pub(super) fn follow_groups(&mut self, parents: Vec<String>) {
        self.followers.groups.retain(|p, t| {
            let keep = parents.contains(p) && !t.is_finished();
            if !keep {
                t.abort();
            }
            keep
        });
        let Some(b) = self.backend.clone() else {
            return;
        };
        for parent in parents {
            if self.followers.groups.contains_key(&parent) {
                continue;
            }
            let (b, tx) = (b.clone(), self.live_tx.clone());
            let task = tokio::spawn({
                let parent = parent.clone();
                async move {
                    let state = |state| Action::GroupFollow {
                        parent: parent.clone(),
                        state,
                    };
                    // A store that announces nothing: its catalog's re-listing covers it.
                    if let Ok(mut rx) = b.watch_children(&parent).await {
                        while let Some(news) = rx.recv().await {
                            let action = match news {
                                ChildNews::Created(entry) => Action::NodeAnnounced(entry),
                                ChildNews::Following => state(GroupFollow::Live),
                                ChildNews::Lost => state(GroupFollow::Reconnecting),
                            };
                            if tx.send(action).is_err() {
                                return;
                            }
                        }
                    }
                    let _ = tx.send(state(GroupFollow::Polled));
                }
            });
            self.followers.groups.insert(parent, task);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::app::catalog::SEARCH_DEBOUNCE;
    use crate::backend::{Backend, Query};
    use crate::stores::Opener;
    use crate::tui::jobs::Jobs;

    fn request(generation: u64, debounce: Option<Duration>) -> SearchRequest {
        SearchRequest {
            scope: String::new(),
            query: Query {
                text: Some("a".into()),
                equal: Vec::new(),
            },
            offset: 0,
            generation,
            debounce,
        }
    }

    #[tokio::test]
    async fn a_newer_search_drops_the_one_waiting_or_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let b = crate::backend::local::LocalBackend::open_or_create(dir.path()).unwrap();
        let b: Arc<dyn Backend> = Arc::new(b);
        let (live_tx, mut live) = tokio::sync::mpsc::unbounded_channel();
        let (jobs_tx, _jobs) = tokio::sync::mpsc::unbounded_channel();
        let mut r = Runner::new(
            Some(b),
            Opener::new(None),
            Jobs::new(jobs_tx),
            live_tx,
            Arc::new(Mutex::new(Vec::new())),
        );
        // Three lines typed in a row: only the last is asked, after its debounce.
        r.search(request(1, Some(SEARCH_DEBOUNCE)));
        r.search(request(2, Some(SEARCH_DEBOUNCE)));
        r.search(request(3, Some(Duration::from_millis(20))));
        let answered = tokio::time::timeout(Duration::from_secs(5), live.recv())
            .await
            .expect("an answer")
            .expect("the channel is open");
        assert!(
            matches!(
                answered,
                Action::Done(JobResult::SearchPage { generation: 3, .. })
            ),
            "{answered:?}"
        );
        tokio::time::sleep(SEARCH_DEBOUNCE * 2).await;
        assert!(live.try_recv().is_err(), "the older searches never answer");
    }
}
