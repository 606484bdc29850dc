//! The tree while it is open: nodes made or removed (our own writes, live events) and the
//! periodic re-listing of expanded groups.

use std::collections::HashSet;

use super::{Catalog, CatalogNode, Rescan, Row, PAGE_SIZE};
use crate::backend::{NodeEntry, NodeKind, Page};

impl Catalog {
    /// A node created while the tree is open (our own create, or a live event): a new group
    /// is known to be empty.
    pub fn insert(&mut self, entry: NodeEntry) {
        self.insert_node(entry, true);
    }

    /// A node the store announced (a live event): a group may already hold anything. Only
    /// where every child is loaded; elsewhere the "more" row brings it in its place.
    pub fn announced(&mut self, entry: NodeEntry) {
        let parent = entry.path.rsplit_once('/').map_or("", |(p, _)| p);
        let complete = |c: &Catalog| {
            c.by_path
                .get(parent)
                .is_some_and(|&id| c.nodes[id].complete)
        };
        if complete(self) || self.browse.as_deref().is_some_and(complete) {
            self.insert_node(entry, false);
        }
    }

    pub(super) fn insert_node(&mut self, entry: NodeEntry, known_empty: bool) {
        if self.by_path.contains_key(&entry.path) {
            return;
        }
        let parent_path = entry
            .path
            .rsplit_once('/')
            .map(|(p, _)| p)
            .unwrap_or("")
            .to_string();
        if self.server_search().is_some() {
            // The browse tree takes it; the hits only below a hit already shown.
            if self.by_path.contains_key(&parent_path) && !parent_path.is_empty() {
                self.insert_here(entry.clone(), &parent_path, known_empty);
            }
            if let Some(browse) = self.browse_mut() {
                browse.insert_node(entry, known_empty);
            }
            return;
        }
        self.insert_here(entry, &parent_path, known_empty);
    }

    fn insert_here(&mut self, entry: NodeEntry, parent_path: &str, known_empty: bool) {
        // Missing intermediate groups: insert them first.
        if !self.by_path.contains_key(parent_path) {
            self.insert_node(
                NodeEntry {
                    path: parent_path.to_string(),
                    kind: NodeKind::Group,
                    shape: None,
                    dtype: None,
                    specs: Vec::new(),
                },
                known_empty,
            );
        }
        let Some(&pid) = self.by_path.get(parent_path) else {
            return;
        };
        if !self.nodes[pid].complete && !self.nodes[pid].expanded {
            // Not loaded yet: the next listing will bring it.
            return;
        }
        // A group found by a listing may hold anything: it loads when expanded.
        let complete = entry.kind == NodeKind::Group && known_empty;
        let id = self.add_node(pid, entry, false, complete);
        // Keep siblings sorted by name.
        let pos = {
            let nodes = &self.nodes;
            let name = nodes[id].name();
            nodes[pid]
                .children
                .iter()
                .position(|&c| nodes[c].name() > name)
                .unwrap_or(nodes[pid].children.len())
        };
        self.nodes[pid].children.insert(pos, id);
        if let Some(t) = self.nodes[pid].total.as_mut() {
            *t += 1;
        }
        self.rebuild_rows_keeping_selection();
    }

    /// Groups to list again so that nodes made or removed by others show up: the expanded
    /// groups whose children are all loaded, at most `max`. Bigger groups are not re-listed
    /// whole; their first page tells whether more nodes arrived.
    pub fn rescan_targets(&self, max: usize) -> Vec<String> {
        // While searching, the root holds the hits: the server's answer, not a listing.
        let searching = self.server_search().is_some();
        self.nodes
            .iter()
            .enumerate()
            .filter(|&(id, n)| {
                !(searching && id == 0)
                    && n.entry.kind == NodeKind::Group
                    && n.expanded
                    && !n.loading
                    && n.error.is_none()
                    && (n.complete || !n.children.is_empty())
                    && self.is_live(id)
                    && self.is_shown(id)
            })
            .map(|(_, n)| n.entry.path.clone())
            .take(max)
            .collect()
    }

    /// Groups to follow for the nodes the store announces: those shown expanded (the root
    /// first), at most `max`.
    pub fn watch_targets(&self, max: usize) -> Vec<String> {
        let searching = self.server_search().is_some();
        self.nodes
            .iter()
            .enumerate()
            .filter(|&(id, n)| {
                !(searching && id == 0)
                    && n.entry.kind == NodeKind::Group
                    && n.expanded
                    && self.is_live(id)
                    && self.is_shown(id)
            })
            .map(|(_, n)| n.entry.path.clone())
            .take(max)
            .collect()
    }

    /// Applies a re-listing of `parent` (its first page): adds new nodes, drops the ones that
    /// are gone (only when the page holds all children) and refreshes array shapes. Returns
    /// what changed.
    pub fn apply_rescan(&mut self, parent: &str, page: Page) -> Rescan {
        if self.server_search().is_some()
            && (parent.is_empty() || !self.by_path.contains_key(parent))
        {
            return match self.browse_mut() {
                Some(browse) => browse.apply_rescan(parent, page),
                None => Rescan::default(),
            };
        }
        let Some(&pid) = self.by_path.get(parent) else {
            return Rescan::default();
        };
        if self.nodes[pid].loading {
            return Rescan::default(); // a page load is on its way with the same news
        }
        let got = page.entries.len() as u64;
        let whole = match page.total {
            Some(t) => t <= got,
            None => got < PAGE_SIZE,
        };
        let mut changed = false;
        let mut added = Vec::new();
        if whole {
            let listed: HashSet<&str> = page.entries.iter().map(|e| e.path.as_str()).collect();
            let gone: Vec<String> = self.nodes[pid]
                .children
                .iter()
                .map(|&c| self.nodes[c].entry.path.clone())
                .filter(|p| !listed.contains(p.as_str()))
                .collect();
            for p in gone {
                self.remove(&p);
                changed = true;
            }
        }
        let complete = self.nodes[pid].complete;
        for e in page.entries {
            match self.by_path.get(&e.path) {
                Some(&id) if e.shape.is_some() && self.nodes[id].entry.shape != e.shape => {
                    self.nodes[id].entry.shape = e.shape;
                    changed = true;
                }
                Some(_) => {}
                // Only where the tree holds every child; elsewhere the "more" row loads it.
                None if complete || whole => {
                    if e.kind == NodeKind::Array {
                        added.push(e.path.clone());
                    }
                    self.insert_node(e, false);
                    changed = true;
                }
                None => {}
            }
        }
        let p = &mut self.nodes[pid];
        if !whole {
            // More children than one page: the tail loads on demand through the "more" row.
            if let Some(t) = page.total {
                if t > p.children.len() as u64 && p.complete {
                    p.complete = false;
                    changed = true;
                }
                p.total = Some(t);
            }
        } else {
            p.complete = true;
            p.total = Some(p.children.len() as u64);
        }
        if changed {
            self.rebuild_rows_keeping_selection();
        }
        Rescan { added, changed }
    }

    /// Adds a node under `pid` (the caller places it among the parent's children). An
    /// expanded node is loading its first page.
    pub(super) fn add_node(
        &mut self,
        pid: usize,
        entry: NodeEntry,
        expanded: bool,
        complete: bool,
    ) -> usize {
        let id = self.nodes.len();
        self.by_path.insert(entry.path.clone(), id);
        self.nodes.push(CatalogNode {
            entry,
            depth: self.nodes[pid].depth + 1,
            parent: Some(pid),
            expanded,
            children: Vec::new(),
            total: None,
            loading: expanded,
            gone: false,
            complete,
            error: None,
        });
        id
    }

    /// `id` is still in the tree.
    pub(super) fn is_live(&self, id: usize) -> bool {
        !self.nodes[id].gone
    }

    /// All of `id`'s ancestors are expanded (the root always is shown).
    pub(super) fn is_shown(&self, id: usize) -> bool {
        let mut cur = self.nodes[id].parent;
        while let Some(p) = cur {
            if !self.nodes[p].expanded {
                return false;
            }
            cur = self.nodes[p].parent;
        }
        true
    }

    /// Rebuilds the rows and keeps the same node selected when rows above it came or went.
    pub(super) fn rebuild_rows_keeping_selection(&mut self) {
        let keep = self.selected_node().map(|n| n.entry.path.clone());
        self.rebuild_rows();
        if let Some(p) = keep {
            if let Some(&id) = self.by_path.get(&p) {
                if let Some(row) = self.rows.iter().position(|r| *r == Row::Node(id)) {
                    self.selected = row;
                }
            }
        }
    }

    /// Removes a node (and what is below it) from the tree.
    pub fn remove(&mut self, path: &str) {
        if let Some(browse) = self.browse_mut() {
            browse.remove(path);
        }
        let Some(&id) = self.by_path.get(path) else {
            return;
        };
        if id == 0 {
            return;
        }
        let sel = self.selected;
        if let Some(pid) = self.nodes[id].parent {
            self.nodes[pid].children.retain(|&c| c != id);
            if let Some(t) = self.nodes[pid].total.as_mut() {
                *t = t.saturating_sub(1);
            }
        }
        // Unlink from the path index; the slot stays (ids are stable) but is unreachable.
        let prefix = format!("{path}/");
        let nodes = &mut self.nodes;
        self.by_path.retain(|p, &mut i| {
            let keep = p != path && !p.starts_with(&prefix);
            nodes[i].gone |= !keep;
            keep
        });
        let was_selected = self.selected_node().map(|n| n.entry.path.clone());
        let removed_selected = was_selected
            .as_deref()
            .is_some_and(|p| p == path || p.starts_with(&prefix));
        if removed_selected {
            self.rebuild_rows();
            self.selected = sel.min(self.rows.len().saturating_sub(1));
        } else {
            self.rebuild_rows_keeping_selection();
        }
    }

    /// Updates the shape shown for an array.
    pub fn set_shape(&mut self, path: &str, shape: &[u64]) {
        if let Some(browse) = self.browse_mut() {
            browse.set_shape(path, shape);
        }
        if let Some(&id) = self.by_path.get(path) {
            self.nodes[id].entry.shape = Some(shape.to_vec());
        }
    }
}
