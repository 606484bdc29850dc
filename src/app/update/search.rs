//! `/` on a server that searches (Tiled): the line goes to the server, debounced, and its hits
//! come back a page at a time; new nodes the server announces in followed groups.

use crossterm::event::{KeyCode, KeyEvent};

use super::super::action::Effect;
use super::super::notice::Notice;
use super::super::state::{AppState, GroupFollow, Status};
use super::super::text;
use crate::backend::{Error, NodeEntry, NodeKind, Page};

/// Groups followed at once for the nodes the server announces (one stream each).
pub const CHILD_WATCHES: usize = 8;

impl AppState {
    /// The store searches itself, so `/` asks it rather than filtering what is loaded. The
    /// backend's description names its kind.
    pub fn searches_on_server(&self) -> bool {
        self.store_describe.starts_with("tiled:")
    }

    /// `/` on a server: a search among the children of the level the selection is at, or
    /// inside the selected group when it is expanded (the cursor on an open `runs/` searches
    /// the runs); kept when one is already shown, to edit its line.
    pub fn start_search(&mut self) {
        if self.catalog.server_search().is_none() {
            let selected = self.catalog.selected_node();
            let scope = selected
                .filter(|n| n.entry.kind == NodeKind::Group && n.expanded)
                .map(|n| n.entry.path.clone())
                .or_else(|| {
                    selected
                        .and_then(|n| n.parent)
                        .and_then(|p| self.catalog.node(p))
                        .map(|p| p.entry.path.clone())
                })
                .unwrap_or_default();
            self.catalog.begin_search(&scope);
        }
        self.filter_editing = true;
    }

    /// `:filter TEXT` on a server: the search `/` runs, with the line given whole and shown
    /// rather than edited; an empty line ends the search.
    pub fn search_for(&mut self, text: &str, fx: &mut Vec<Effect>) {
        if text.trim().is_empty() {
            return self.end_search(fx);
        }
        self.start_search();
        self.filter_editing = false;
        fx.extend(self.catalog.set_search_text(text).map(Effect::Search));
        self.after_selection_change(fx);
    }

    /// Esc: the search ends and the tree comes back where it was.
    pub fn end_search(&mut self, fx: &mut Vec<Effect>) {
        self.filter_editing = false;
        if self.catalog.end_search() {
            self.after_selection_change(fx);
        }
    }

    /// Keys while a server search is shown: its line while typed, Esc to leave it. True when
    /// the key was taken.
    pub fn search_took_key(&mut self, key: &KeyEvent, fx: &mut Vec<Effect>) -> bool {
        if self.catalog.server_search().is_none() {
            return false;
        }
        if self.filter_editing {
            self.on_search_key(key, fx);
            return true;
        }
        if key.code == KeyCode::Esc {
            self.end_search(fx);
            return true;
        }
        false
    }

    /// A key while the search line is being typed.
    fn on_search_key(&mut self, key: &KeyEvent, fx: &mut Vec<Effect>) {
        match key.code {
            KeyCode::Enter => self.filter_editing = false,
            KeyCode::Esc => return self.end_search(fx),
            KeyCode::Up => self.catalog.move_by(-1),
            KeyCode::Down => self.catalog.move_by(1),
            _ => {
                let Some(mut line) = self.catalog.server_search().map(|s| s.text.clone()) else {
                    return;
                };
                if text::edit_at_end(&mut line, key) == text::Edit::Ignored {
                    self.dirty = false;
                    return;
                }
                fx.extend(self.catalog.set_search_text(&line).map(Effect::Search));
            }
        }
        self.after_selection_change(fx);
    }

    /// A page of hits: shown, or the error in the pane, the status line and the log.
    pub(super) fn on_search_page(
        &mut self,
        generation: u64,
        offset: u64,
        result: Result<Page, Error>,
        fx: &mut Vec<Effect>,
    ) {
        let current = self
            .catalog
            .server_search()
            .is_some_and(|s| s.generation == generation);
        if !current {
            self.dirty = false;
            return;
        }
        let result = result.map_err(|e| {
            let text = self.log_error("searching the server", &e);
            // Logged whole above; the status line says it once.
            self.status = Some(Status {
                notice: Notice::error(format!("searching the server: {text}")),
                at: self.now,
            });
            text
        });
        self.catalog.apply_search(generation, offset, result);
        self.after_selection_change(fx);
    }

    /// Next pages of hits as the cursor nears the end (with the tree's own pages).
    pub(super) fn search_pages(&mut self, height: usize, fx: &mut Vec<Effect>) {
        fx.extend(self.catalog.search_more(height).map(Effect::Search));
    }

    /// A node the server announced in a followed group: added where it is shown.
    pub(super) fn on_node_announced(&mut self, entry: NodeEntry) {
        let what = match &entry.kind {
            NodeKind::Group if entry.specs.iter().any(|s| s == "BlueskyRun") => "run",
            NodeKind::Group => "group",
            NodeKind::Array => "array",
            k => k.name(),
        };
        let text = format!("new {what}: {}", entry.path);
        self.catalog.announced(entry);
        self.notify(Notice::info(text));
    }

    /// Follows the groups shown expanded (a few), so that new nodes appear without a key.
    pub(super) fn follow_groups(&mut self, fx: &mut Vec<Effect>) {
        let parents = self.catalog.watch_targets(CHILD_WATCHES);
        if parents != self.groups_followed {
            self.group_follow.retain(|p, _| parents.contains(p));
            self.groups_followed = parents.clone();
            fx.push(Effect::WatchChildren { parents });
        }
    }

    /// A follower's news: a lost or regained stream goes to the message log (the top bar
    /// shows the state), so an operator knows new nodes may come late.
    pub(super) fn on_group_follow(&mut self, parent: String, state: GroupFollow) {
        if !self.groups_followed.contains(&parent) {
            return; // a follower stopped a moment ago
        }
        let shown = if parent.is_empty() {
            "/".to_string()
        } else {
            format!("{parent}/")
        };
        let before = self.group_follow.insert(parent.clone(), state);
        match (before, state) {
            (_, GroupFollow::Reconnecting) => self.notify(Notice::warn(format!(
                "new nodes in {shown}: stream lost, reconnecting"
            ))),
            (Some(GroupFollow::Reconnecting), GroupFollow::Live) => self.notify(Notice::info(
                format!("new nodes in {shown}: live again (those made meanwhile listed)"),
            )),
            (Some(GroupFollow::Reconnecting | GroupFollow::Live), GroupFollow::Polled) => self
                .notify(Notice::warn(format!(
                    "new nodes in {shown}: stream gone; found by re-listing"
                ))),
            _ => self.dirty = true,
        }
    }
}
