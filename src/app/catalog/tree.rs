//! Loading the tree: pages of a group's children, the filter's search of unexpanded groups,
//! expanding and collapsing, and going to a path.

use super::{Catalog, PageRequest, Row, PAGE_SIZE};
use crate::backend::{NodeKind, Page};

impl Catalog {
    /// The first page of the root.
    pub fn initial_request(&mut self) -> PageRequest {
        self.nodes[0].loading = true;
        PageRequest {
            parent: String::new(),
            offset: 0,
        }
    }

    /// Applies a page that came back. Returns follow-up requests (groups to re-expand).
    pub fn apply_page(
        &mut self,
        parent: &str,
        offset: u64,
        result: Result<Page, String>,
    ) -> Vec<PageRequest> {
        if self.server_search().is_some() && !self.for_hits(parent) {
            if let Some(browse) = self.browse_mut() {
                return browse.apply_page(parent, offset, result);
            }
        }
        self.apply_page_here(parent, offset, result)
    }

    pub(super) fn apply_page_here(
        &mut self,
        parent: &str,
        offset: u64,
        result: Result<Page, String>,
    ) -> Vec<PageRequest> {
        let Some(&pid) = self.by_path.get(parent) else {
            return Vec::new();
        };
        let mut follow = Vec::new();
        {
            let p = &mut self.nodes[pid];
            p.loading = false;
            match &result {
                Err(e) => {
                    p.error = Some(e.clone());
                }
                Ok(_) if offset != p.children.len() as u64 => return Vec::new(), // stale
                Ok(_) => p.error = None,
            }
        }
        let Ok(page) = result else {
            self.rebuild_rows();
            return follow;
        };
        let got = page.entries.len() as u64;
        let mut itself = false;
        for entry in page.entries {
            // A store whose root is an array lists that array at the root's own path.
            itself |= entry.path == parent;
            if self.by_path.contains_key(&entry.path) {
                continue;
            }
            let expand = entry.kind == NodeKind::Group && self.want_expanded.remove(&entry.path);
            if expand {
                follow.push(PageRequest {
                    parent: entry.path.clone(),
                    offset: 0,
                });
            }
            let id = self.add_node(pid, entry, expand, false);
            self.nodes[pid].children.push(id);
        }
        let p = &mut self.nodes[pid];
        p.total = page.total;
        let loaded = p.children.len() as u64;
        p.complete = match page.total {
            Some(t) => loaded >= t,
            None => got < PAGE_SIZE,
        } || got == 0
            || itself;
        if itself {
            p.error = Some("the store's root is an array (CLI: /)".into());
        }
        self.rebuild_rows();
        if let Some(want) = self.want_selected.clone() {
            if self.select_path(&want) {
                self.want_selected = None;
            }
        }
        follow
    }

    /// Next pages for groups whose "more" row is within `window` rows of what is shown.
    pub fn pages_needed(&mut self, height: usize) -> Vec<PageRequest> {
        let lo = self.scroll;
        let hi = (self.scroll + height * 2 + 1).min(self.rows.len());
        let mut out = Vec::new();
        for r in lo..hi {
            if let Row::More(pid) = self.rows[r] {
                if pid == 0 && self.server_search().is_some() {
                    continue; // the hits' next page: `search_more`
                }
                let p = &mut self.nodes[pid];
                if !p.loading && !p.complete && p.error.is_none() {
                    p.loading = true;
                    out.push(PageRequest {
                        parent: p.entry.path.clone(),
                        offset: p.children.len() as u64,
                    });
                }
            }
        }
        out
    }

    /// While filtering: next pages of groups not fully loaded (expanded or not), so the
    /// filter searches the whole store, a few requests at a time, up to `max_nodes` nodes.
    pub fn search_requests(&mut self, max_nodes: usize, max_requests: usize) -> Vec<PageRequest> {
        if self.filter.is_empty() || self.nodes.len() >= max_nodes {
            return Vec::new();
        }
        let in_flight = self.nodes.iter().filter(|n| n.loading).count();
        let mut out = Vec::new();
        for id in 0..self.nodes.len() {
            if in_flight + out.len() >= max_requests {
                break;
            }
            let live = self.is_live(id);
            let n = &mut self.nodes[id];
            if live
                && n.entry.kind == NodeKind::Group
                && !n.complete
                && !n.loading
                && n.error.is_none()
            {
                n.loading = true;
                out.push(PageRequest {
                    parent: n.entry.path.clone(),
                    offset: n.children.len() as u64,
                });
            }
        }
        out
    }

    /// The filter is still loading groups to search.
    pub fn searching(&self) -> bool {
        !self.filter.is_empty() && self.nodes.iter().any(|n| n.loading)
    }

    /// Expands or collapses the selected group; returns a page request when it must load.
    pub fn toggle_selected(&mut self) -> Option<PageRequest> {
        let id = match self.selected_row()? {
            Row::Node(id) => id,
            Row::More(_) => return None,
        };
        if self.nodes[id].entry.kind != NodeKind::Group {
            return None;
        }
        if self.nodes[id].expanded {
            self.collapse(id);
            None
        } else {
            self.expand(id)
        }
    }

    /// Expands the selected group (no-op on arrays).
    pub fn expand_selected(&mut self) -> Option<PageRequest> {
        match self.selected_row()? {
            Row::Node(id)
                if self.nodes[id].entry.kind == NodeKind::Group && !self.nodes[id].expanded =>
            {
                self.expand(id)
            }
            _ => None,
        }
    }

    /// Collapses the selected group, or moves to the parent of the selected node.
    pub fn collapse_selected(&mut self) {
        let id = match self.selected_row() {
            Some(Row::Node(id)) => id,
            Some(Row::More(pid)) => pid,
            None => return,
        };
        if self.nodes[id].entry.kind == NodeKind::Group && self.nodes[id].expanded && id != 0 {
            self.collapse(id);
        } else if let Some(p) = self.nodes[id].parent.filter(|&p| p != 0) {
            if let Some(r) = self.rows.iter().position(|r| *r == Row::Node(p)) {
                self.selected = r;
            }
        }
    }

    pub(super) fn expand(&mut self, id: usize) -> Option<PageRequest> {
        let n = &mut self.nodes[id];
        n.expanded = true;
        let req = if n.children.is_empty() && !n.complete && !n.loading {
            n.loading = true;
            n.error = None;
            Some(PageRequest {
                parent: n.entry.path.clone(),
                offset: 0,
            })
        } else {
            None
        };
        self.rebuild_rows();
        req
    }

    pub(super) fn collapse(&mut self, id: usize) {
        self.nodes[id].expanded = false;
        let sel = self.selected_row();
        self.rebuild_rows();
        if sel.is_none() {
            self.clamp_selection();
        }
        if let Some(r) = self.rows.iter().position(|r| *r == Row::Node(id)) {
            self.selected = r;
        }
    }

    /// Selects a node by path if it is loaded and visible (expanding its ancestors).
    pub fn select_path(&mut self, path: &str) -> bool {
        let Some(&id) = self.by_path.get(path) else {
            return false;
        };
        let mut anc = self.nodes[id].parent;
        let mut changed = false;
        while let Some(a) = anc {
            if !self.nodes[a].expanded {
                self.nodes[a].expanded = true;
                changed = true;
            }
            anc = self.nodes[a].parent;
        }
        if changed {
            self.rebuild_rows();
        }
        match self.rows.iter().position(|r| *r == Row::Node(id)) {
            Some(r) => {
                self.selected = r;
                true
            }
            None => false,
        }
    }

    /// Path components that exist in the tree but are not loaded yet, for `goto`: the nearest
    /// loaded ancestor group of `path`.
    pub fn nearest_loaded(&self, path: &str) -> Option<String> {
        let mut p = path.to_string();
        loop {
            if self.by_path.contains_key(&p) {
                return Some(p);
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None if !p.is_empty() => p.clear(),
                None => return None,
            }
        }
    }

    /// Asks to expand a loaded group by path, for `goto` through unloaded levels.
    pub fn expand_path(&mut self, path: &str) -> Option<PageRequest> {
        let id = *self.by_path.get(path)?;
        if self.nodes[id].entry.kind != NodeKind::Group {
            return None;
        }
        self.expand(id)
    }

    /// Remembers a path to select when it shows up in a page.
    pub fn select_when_loaded(&mut self, path: &str) {
        self.want_selected = Some(path.to_string());
    }

    /// Reveals `path` when it is not loaded yet: remembers to select it, expands the groups
    /// on the way as their pages arrive, and returns the request for the nearest loaded one.
    pub fn goto(&mut self, path: &str) -> Option<PageRequest> {
        self.want_selected = Some(path.to_string());
        let mut prefix = String::new();
        for part in path.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if prefix != path {
                self.want_expanded.insert(prefix.clone());
            }
        }
        let near = self.nearest_loaded(path)?;
        let id = *self.by_path.get(&near)?;
        if self.nodes[id].entry.kind != NodeKind::Group {
            return None;
        }
        if self.nodes[id].expanded {
            // Its loaded children do not have the next step: open the ones we want.
            let wanted: Vec<usize> = self.nodes[id]
                .children
                .iter()
                .copied()
                .filter(|&c| self.want_expanded.contains(&self.nodes[c].entry.path))
                .collect();
            for c in wanted {
                let p = self.nodes[c].entry.path.clone();
                self.want_expanded.remove(&p);
                if let Some(r) = self.expand(c) {
                    return Some(r);
                }
            }
            return None;
        }
        self.expand(id)
    }
}
