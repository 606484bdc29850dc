//! Searching on the server: the browse tree is put aside as it is, and the server's answers,
//! a page at a time, make a flat tree of their own (a hit expands like any group). Esc brings
//! the browse tree back with its selection and scroll.
//!
//! Typing is debounced by the runtime (each request waits [`SEARCH_DEBOUNCE`] and is dropped
//! when a newer one comes), and answers of an older query are recognised by their generation.

use std::time::Duration;

use super::{Catalog, Row};
use crate::backend::{NodeEntry, NodeKind, Page, Query};

/// Quiet time after the last key before the query goes to the server.
pub const SEARCH_DEBOUNCE: Duration = Duration::from_millis(300);
/// Hits asked for per request; more load as the cursor nears the end.
pub const SEARCH_PAGE: u64 = 100;

/// Where a search stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchState {
    /// Nothing typed yet.
    Empty,
    /// Waiting for the server (or for the typing to stop).
    Searching,
    /// The server answered.
    Done,
    /// The line is not a query (the reason).
    Invalid(String),
    /// The server refused or could not be reached (the reason, shortly).
    Failed(String),
}

/// A search the server runs among the children of `scope`.
#[derive(Debug, Clone)]
pub struct ServerSearch {
    /// The group searched (the level the selection was at).
    pub scope: String,
    /// The line as typed.
    pub text: String,
    /// The query the line parsed to, while it parses.
    pub query: Option<Query>,
    /// Bumped by every new line: older answers are dropped.
    pub generation: u64,
    pub state: SearchState,
}

/// One request for a page of hits.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub scope: String,
    pub query: Query,
    pub offset: u64,
    pub generation: u64,
    /// Wait this long first (typing); pages after the first go at once.
    pub debounce: Option<Duration>,
}

impl Catalog {
    /// The server search shown instead of the tree, if any.
    pub fn server_search(&self) -> Option<&ServerSearch> {
        self.search.as_ref()
    }

    /// Puts the browse tree aside and starts an empty search among `scope`'s children.
    pub fn begin_search(&mut self, scope: &str) {
        if self.search.is_some() {
            return;
        }
        let browse = std::mem::take(self);
        self.nodes[0].complete = true;
        self.search = Some(ServerSearch {
            scope: scope.to_string(),
            text: String::new(),
            query: None,
            generation: 0,
            state: SearchState::Empty,
        });
        self.browse = Some(Box::new(browse));
        self.rebuild_rows();
    }

    /// Ends the search: the browse tree comes back as it was left. False when none ran.
    pub fn end_search(&mut self) -> bool {
        match self.browse.take() {
            Some(browse) => {
                *self = *browse;
                true
            }
            None => false,
        }
    }

    /// A new line typed: the hits so far go, and the first page of the new query is asked
    /// for (after the debounce) when the line parses.
    pub fn set_search_text(&mut self, text: &str) -> Option<SearchRequest> {
        let (search, browse) = (self.search.take()?, self.browse.take());
        let generation = search.generation + 1;
        let scope = search.scope;
        let parsed = Query::parse_line(text);
        *self = Catalog::new();
        self.browse = browse;
        self.nodes[0].complete = true;
        let (state, query) = match parsed {
            Ok(q) if q.is_empty() => (SearchState::Empty, None),
            Ok(q) => (SearchState::Searching, Some(q)),
            Err(e) => (SearchState::Invalid(e.to_string()), None),
        };
        let request = query.clone().map(|query| {
            self.nodes[0].loading = true;
            self.nodes[0].complete = false;
            SearchRequest {
                scope: scope.clone(),
                query,
                offset: 0,
                generation,
                debounce: Some(SEARCH_DEBOUNCE),
            }
        });
        self.search = Some(ServerSearch {
            scope,
            text: text.to_string(),
            query,
            generation,
            state,
        });
        self.rebuild_rows();
        request
    }

    /// A page of hits came back; answers of an older line are dropped. The error, if any, is
    /// worded by the caller.
    pub fn apply_search(&mut self, generation: u64, offset: u64, result: Result<Page, String>) {
        let Some(search) = self.search.as_mut() else {
            return;
        };
        if search.generation != generation {
            return;
        }
        search.state = match &result {
            Ok(_) => SearchState::Done,
            Err(e) => SearchState::Failed(e.clone()),
        };
        let keep = self.selected_node().map(|n| n.entry.path.clone());
        self.apply_page_here("", offset, result);
        if let Some(p) = keep {
            self.select_path(&p);
        }
    }

    /// The next page of hits when the flat root's "more" row is within two screens of
    /// `height` rows of what is shown (one at a time).
    pub fn search_more(&mut self, height: usize) -> Option<SearchRequest> {
        let s = self.search.as_ref()?;
        let query = s.query.clone()?;
        let root = &self.nodes[0];
        if root.loading || root.complete || root.error.is_some() {
            return None;
        }
        let hi = (self.scroll + height * 2 + 1).min(self.rows.len());
        if !self.rows[self.scroll.min(hi)..hi].contains(&Row::More(0)) {
            return None;
        }
        let request = SearchRequest {
            scope: s.scope.clone(),
            query,
            offset: root.children.len() as u64,
            generation: s.generation,
            debounce: None,
        };
        self.nodes[0].loading = true;
        self.rebuild_rows();
        Some(request)
    }

    /// Hits loaded and the server's count of all of them.
    pub fn search_counts(&self) -> (u64, Option<u64>) {
        let root = &self.nodes[0];
        (root.children.len() as u64, root.total)
    }

    /// What the hits are, for the count: "runs" when every one loaded is a Bluesky run.
    pub fn hits_noun(&self) -> &'static str {
        let root = &self.nodes[0];
        let runs = !root.children.is_empty()
            && root.children.iter().all(|&c| {
                let e: &NodeEntry = &self.nodes[c].entry;
                e.kind == NodeKind::Group && e.specs.iter().any(|s| s == "BlueskyRun")
            });
        if runs {
            "runs"
        } else {
            "nodes"
        }
    }

    /// While searching, the browse tree set aside (where news for it goes).
    pub(super) fn browse_mut(&mut self) -> Option<&mut Catalog> {
        self.browse.as_deref_mut()
    }

    /// While searching: whether news for `parent` belongs to the hits' tree (a hit or a node
    /// below one, loading) rather than to the browse tree set aside.
    pub(super) fn for_hits(&self, parent: &str) -> bool {
        !parent.is_empty()
            && self
                .by_path
                .get(parent)
                .is_some_and(|&id| self.nodes[id].loading)
    }
}
