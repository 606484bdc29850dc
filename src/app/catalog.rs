//! The catalog tree: groups load lazily, one page at a time, so a store with 100k nodes stays
//! smooth. Only the visible rows are drawn; the row list is rebuilt when the tree or the filter
//! changes, never per frame.

use std::collections::{HashMap, HashSet};

use crate::backend::{NodeEntry, NodeKind, Page};

/// Children fetched per `list_page` call.
pub const PAGE_SIZE: u64 = 200;
/// The filter loads unexpanded groups to search them, up to this many nodes.
pub const SEARCH_NODES: usize = 50_000;
/// Page requests in flight at once while the filter searches.
pub const SEARCH_REQUESTS: usize = 4;
/// Groups re-listed per catalog poll (each is one `list_page` call).
pub const RESCAN_GROUPS: usize = 16;
/// How often expanded groups are listed again, so arrays made by others appear (every third
/// one-second poll): often enough to feel live, rare enough to cost a server nothing.
pub const CATALOG_POLL: std::time::Duration = std::time::Duration::from_millis(2_500);

/// What a re-listing changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rescan {
    /// Arrays that appeared.
    pub added: Vec<String>,
    /// Anything visible changed (nodes came or went, shapes moved).
    pub changed: bool,
}

/// One node of the tree (index 0 is the store's root group).
#[derive(Debug, Clone)]
pub struct CatalogNode {
    pub entry: NodeEntry,
    pub depth: usize,
    pub parent: Option<usize>,
    pub expanded: bool,
    pub children: Vec<usize>,
    /// Total children as reported by the store, once a page came back.
    pub total: Option<u64>,
    /// A page request is in flight.
    pub loading: bool,
    /// Removed from the tree (its slot stays so that ids remain stable).
    pub gone: bool,
    /// All children are loaded.
    pub complete: bool,
    pub error: Option<String>,
}

impl CatalogNode {
    /// Last path component (the root's is empty); not stored, so 100k nodes keep one string each.
    pub fn name(&self) -> &str {
        let p = &self.entry.path;
        p.rsplit('/').next().unwrap_or(p)
    }
}

/// A visible row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Node(usize),
    /// "N more" under a group whose children are not all loaded.
    More(usize),
}

/// A request for the next page of a group's children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub parent: String,
    pub offset: u64,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    nodes: Vec<CatalogNode>,
    by_path: HashMap<String, usize>,
    rows: Vec<Row>,
    /// Selected row.
    pub selected: usize,
    /// First row shown.
    pub scroll: usize,
    filter: String,
    matches: usize,
    /// Groups to expand again once they load (after a refresh).
    want_expanded: HashSet<String>,
    want_selected: Option<String>,
    /// Arrays loaded and whether a group has unloaded pages (kept by `rebuild_rows`, so the
    /// top bar does not walk 100k nodes per frame).
    array_count: (usize, bool),
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::new()
    }
}

impl Catalog {
    pub fn new() -> Catalog {
        let root = CatalogNode {
            entry: NodeEntry {
                path: String::new(),
                kind: NodeKind::Group,
                shape: None,
                dtype: None,
            },
            depth: 0,
            parent: None,
            expanded: true,
            children: Vec::new(),
            total: None,
            loading: false,
            gone: false,
            complete: false,
            error: None,
        };
        let mut c = Catalog {
            nodes: vec![root],
            by_path: HashMap::from([(String::new(), 0)]),
            rows: Vec::new(),
            selected: 0,
            scroll: 0,
            filter: String::new(),
            matches: 0,
            want_expanded: HashSet::new(),
            want_selected: None,
            array_count: (0, true),
        };
        c.rebuild_rows();
        c
    }

    /// Forgets everything but remembers what was expanded and selected, for a refresh.
    pub fn reset_keeping_view(&mut self) {
        let expanded: HashSet<String> = self
            .nodes
            .iter()
            .filter(|n| n.expanded && !n.entry.path.is_empty())
            .map(|n| n.entry.path.clone())
            .collect();
        let selected = self.selected_node().map(|n| n.entry.path.clone());
        let filter = std::mem::take(&mut self.filter);
        *self = Catalog::new();
        self.want_expanded = expanded;
        self.want_selected = selected;
        self.set_filter(&filter);
    }

    pub fn node(&self, id: usize) -> Option<&CatalogNode> {
        self.nodes.get(id)
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Matching nodes while filtering.
    pub fn matches(&self) -> usize {
        self.matches
    }

    /// Nodes loaded (without the root).
    pub fn loaded(&self) -> usize {
        self.by_path.len() - 1
    }

    /// Arrays loaded, and whether more may exist in unloaded pages.
    pub fn array_count(&self) -> (usize, bool) {
        self.array_count
    }

    pub fn selected_row(&self) -> Option<Row> {
        self.rows.get(self.selected).copied()
    }

    pub fn selected_node(&self) -> Option<&CatalogNode> {
        match self.selected_row()? {
            Row::Node(id) => self.nodes.get(id),
            Row::More(_) => None,
        }
    }

    /// The group that new arrays go into: the selected group or the selected array's parent.
    pub fn current_group(&self) -> String {
        match self.selected_node() {
            Some(n) if n.entry.kind == NodeKind::Group => n.entry.path.clone(),
            Some(n) => n
                .parent
                .and_then(|p| self.nodes.get(p))
                .map(|p| p.entry.path.clone())
                .unwrap_or_default(),
            None => String::new(),
        }
    }

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
        for entry in page.entries {
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
        } || got == 0;
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

    fn expand(&mut self, id: usize) -> Option<PageRequest> {
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

    fn collapse(&mut self, id: usize) {
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

    /// A node created while the tree is open (our own create, or a live event): a new group
    /// is known to be empty.
    pub fn insert(&mut self, entry: NodeEntry) {
        self.insert_node(entry, true);
    }

    fn insert_node(&mut self, entry: NodeEntry, known_empty: bool) {
        if self.by_path.contains_key(&entry.path) {
            return;
        }
        let parent_path = entry.path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        // Missing intermediate groups: insert them first.
        if !self.by_path.contains_key(parent_path) {
            self.insert_node(
                NodeEntry {
                    path: parent_path.to_string(),
                    kind: NodeKind::Group,
                    shape: None,
                    dtype: None,
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
        self.nodes
            .iter()
            .enumerate()
            .filter(|&(id, n)| {
                n.entry.kind == NodeKind::Group
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

    /// Applies a re-listing of `parent` (its first page): adds new nodes, drops the ones that
    /// are gone (only when the page holds all children) and refreshes array shapes. Returns
    /// what changed.
    pub fn apply_rescan(&mut self, parent: &str, page: Page) -> Rescan {
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
    fn add_node(&mut self, pid: usize, entry: NodeEntry, expanded: bool, complete: bool) -> usize {
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
    fn is_live(&self, id: usize) -> bool {
        !self.nodes[id].gone
    }

    /// All of `id`'s ancestors are expanded (the root always is shown).
    fn is_shown(&self, id: usize) -> bool {
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
    fn rebuild_rows_keeping_selection(&mut self) {
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
        if let Some(&id) = self.by_path.get(path) {
            self.nodes[id].entry.shape = Some(shape.to_vec());
        }
    }

    pub fn set_filter(&mut self, filter: &str) {
        let keep = self.selected_node().map(|n| n.entry.path.clone());
        self.filter = filter.to_string();
        self.rebuild_rows();
        self.selected = 0;
        if let Some(p) = keep {
            // Keeps the selection visible (expanding its groups when the filter is cleared).
            self.select_path(&p);
        }
        if self.filter.is_empty() {
            self.scroll = 0;
        }
        self.clamp_selection();
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.rows.len() - 1;
        self.selected = (self.selected as isize + delta).clamp(0, last as isize) as usize;
    }

    pub fn move_to(&mut self, row: usize) {
        self.selected = row.min(self.rows.len().saturating_sub(1));
    }

    /// Keeps the selection inside the window of `height` rows.
    pub fn ensure_visible(&mut self, height: usize) {
        let h = height.max(1);
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + h {
            self.scroll = self.selected + 1 - h;
        }
        let max_scroll = self.rows.len().saturating_sub(h);
        self.scroll = self.scroll.min(max_scroll);
    }

    fn clamp_selection(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Rebuilds the visible rows: O(loaded nodes), only when the tree or the filter changes.
    fn rebuild_rows(&mut self) {
        let live = || {
            self.nodes
                .iter()
                .enumerate()
                .filter(|&(id, _)| self.is_live(id))
                .map(|(_, n)| n)
        };
        self.array_count = (
            live().filter(|n| n.entry.kind == NodeKind::Array).count(),
            live().any(|n| n.entry.kind == NodeKind::Group && !n.complete),
        );
        let filter = self.filter.to_lowercase();
        let mut keep: Option<Vec<bool>> = None;
        self.matches = 0;
        if !filter.is_empty() {
            let mut k = vec![false; self.nodes.len()];
            for (id, n) in self.nodes.iter().enumerate().skip(1) {
                if n.gone {
                    continue;
                }
                // The name is the path's last part: matching the path covers both.
                if n.entry.path.to_lowercase().contains(&filter) {
                    self.matches += 1;
                    let mut cur = Some(id);
                    while let Some(c) = cur {
                        if k[c] {
                            break;
                        }
                        k[c] = true;
                        cur = self.nodes[c].parent;
                    }
                }
            }
            keep = Some(k);
        }
        let mut rows = Vec::new();
        // Explicit stack: deep trees cannot overflow it.
        let mut stack: Vec<Row> = Vec::new();
        let push_children =
            |stack: &mut Vec<Row>, id: usize, nodes: &[CatalogNode], filtering: bool| {
                let n = &nodes[id];
                if !filtering
                    && !n.complete
                    && (n.loading || !n.children.is_empty() || n.error.is_some())
                {
                    stack.push(Row::More(id));
                }
                for &c in n.children.iter().rev() {
                    stack.push(Row::Node(c));
                }
            };
        let filtering = keep.is_some();
        if filtering || self.nodes[0].expanded {
            push_children(&mut stack, 0, &self.nodes, filtering);
            if !filtering && self.nodes[0].children.is_empty() && !self.nodes[0].complete {
                stack.clear();
                stack.push(Row::More(0));
            }
        }
        while let Some(row) = stack.pop() {
            match row {
                Row::More(_) => rows.push(row),
                Row::Node(id) => {
                    if let Some(k) = &keep {
                        if !k[id] {
                            continue;
                        }
                    }
                    rows.push(row);
                    let n = &self.nodes[id];
                    if n.entry.kind == NodeKind::Group && (filtering || n.expanded) {
                        push_children(&mut stack, id, &self.nodes, filtering);
                    }
                }
            }
        }
        self.rows = rows;
        self.clamp_selection();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(path: &str) -> NodeEntry {
        NodeEntry {
            path: path.into(),
            kind: NodeKind::Array,
            shape: Some(vec![4, 3]),
            dtype: Some(crate::backend::DType::Float64),
        }
    }
    fn grp(path: &str) -> NodeEntry {
        NodeEntry {
            path: path.into(),
            kind: NodeKind::Group,
            shape: None,
            dtype: None,
        }
    }
    fn page(entries: Vec<NodeEntry>, total: u64) -> Result<Page, String> {
        Ok(Page {
            entries,
            total: Some(total),
        })
    }

    #[test]
    fn lazy_pages_and_filter() {
        let mut c = Catalog::new();
        let r = c.initial_request();
        assert_eq!(r.parent, "");
        c.apply_page("", 0, page(vec![grp("g"), arr("x")], 2));
        assert_eq!(c.rows().len(), 2);
        c.move_to(0);
        let req = c.toggle_selected().unwrap();
        assert_eq!(req.parent, "g");
        // Loading row shown while the page is in flight.
        assert_eq!(c.rows().len(), 3);
        let first: Vec<NodeEntry> = (0..PAGE_SIZE).map(|i| arr(&format!("g/a{i:05}"))).collect();
        c.apply_page("g", 0, page(first, 1000));
        assert_eq!(c.rows().len(), 2 + PAGE_SIZE as usize + 1);
        assert!(matches!(c.rows()[1 + PAGE_SIZE as usize], Row::More(_)));
        c.move_to(PAGE_SIZE as usize);
        c.ensure_visible(20);
        let more = c.pages_needed(20);
        assert_eq!(
            more,
            vec![PageRequest {
                parent: "g".into(),
                offset: PAGE_SIZE
            }]
        );
        // Asking again while in flight does not duplicate.
        assert!(c.pages_needed(20).is_empty());
        c.set_filter("a0019");
        assert_eq!(c.matches(), 10);
        assert_eq!(c.rows().len(), 11); // the group + 10 arrays
        c.set_filter("");
        let (n, more) = c.array_count();
        assert_eq!((n, more), (PAGE_SIZE as usize + 1, true));
    }

    fn names(c: &Catalog) -> Vec<String> {
        c.rows()
            .iter()
            .map(|r| match r {
                Row::Node(id) => c.node(*id).unwrap().entry.path.clone(),
                Row::More(_) => "more".into(),
            })
            .collect()
    }

    #[test]
    fn rescan_adds_removes_and_keeps_the_selection() {
        let mut c = Catalog::new();
        c.initial_request();
        c.apply_page("", 0, page(vec![arr("b"), grp("g"), arr("x")], 3));
        assert!(c.select_path("x"));
        assert_eq!(c.rescan_targets(16), [""]);
        // Another writer made "a" and "h/new" (a group with content) and removed "b"; "x" grew.
        let mut x = arr("x");
        x.shape = Some(vec![9, 3]);
        let r = c.apply_rescan("", page(vec![arr("a"), grp("g"), grp("h"), x], 4).unwrap());
        assert_eq!(r.added, ["a"]);
        assert!(r.changed);
        assert_eq!((c.loaded(), c.array_count()), (4, (2, true)));
        assert_eq!(names(&c), ["a", "g", "h", "x"]);
        // The selection stays on the same array although rows above it changed.
        assert_eq!(c.selected_node().unwrap().entry.path, "x");
        assert_eq!(c.selected_node().unwrap().entry.shape, Some(vec![9, 3]));
        // A group found by a listing is not assumed empty: expanding it loads it.
        assert!(c.select_path("h"));
        let req = c
            .toggle_selected()
            .expect("the new group loads when expanded");
        assert_eq!(req.parent, "h");
        c.apply_page("h", 0, page(vec![arr("h/new")], 1));
        assert_eq!(names(&c), ["a", "g", "h", "h/new", "x"]);
        // Nothing new: nothing changes, nothing to redraw.
        let again = page(vec![arr("a"), grp("g"), grp("h"), arr("x")], 4).unwrap();
        let mut again_x = again;
        again_x.entries[3].shape = Some(vec![9, 3]);
        assert_eq!(c.apply_rescan("", again_x), Rescan::default());
        // Collapsed and unloaded groups are not re-listed; the expanded "h" is.
        assert_eq!(c.rescan_targets(16), ["", "h"]);
    }

    #[test]
    fn rescan_of_a_big_group_only_reopens_its_tail() {
        let mut c = Catalog::new();
        c.initial_request();
        let first: Vec<NodeEntry> = (0..PAGE_SIZE).map(|i| arr(&format!("a{i:05}"))).collect();
        c.apply_page("", 0, page(first.clone(), PAGE_SIZE));
        assert_eq!(c.array_count(), (PAGE_SIZE as usize, false));
        // One more array arrived beyond the first page: nothing is removed, the "more" row
        // comes back and loads it.
        let r = c.apply_rescan("", page(first, PAGE_SIZE + 1).unwrap());
        assert!(r.changed && r.added.is_empty());
        assert_eq!(c.array_count(), (PAGE_SIZE as usize, true));
        assert!(matches!(c.rows().last(), Some(Row::More(0))));
    }

    #[test]
    fn insert_remove_and_select() {
        let mut c = Catalog::new();
        c.initial_request();
        c.apply_page("", 0, page(vec![arr("b"), arr("d")], 2));
        c.insert(arr("c"));
        let names: Vec<String> = c
            .rows()
            .iter()
            .map(|r| match r {
                Row::Node(id) => c.node(*id).unwrap().name().to_string(),
                Row::More(_) => "more".into(),
            })
            .collect();
        assert_eq!(names, ["b", "c", "d"]);
        assert!(c.select_path("c"));
        assert_eq!(c.selected_node().unwrap().entry.path, "c");
        c.remove("c");
        assert_eq!(c.rows().len(), 2);
        assert!(!c.select_path("c"));
        assert_eq!(c.current_group(), "");
    }

    #[test]
    fn refresh_keeps_expanded_groups() {
        let mut c = Catalog::new();
        c.initial_request();
        c.apply_page("", 0, page(vec![grp("g")], 1));
        c.move_to(0);
        c.toggle_selected();
        c.apply_page("g", 0, page(vec![arr("g/x")], 1));
        c.move_to(1);
        c.reset_keeping_view();
        c.initial_request();
        let follow = c.apply_page("", 0, page(vec![grp("g")], 1));
        assert_eq!(
            follow,
            vec![PageRequest {
                parent: "g".into(),
                offset: 0
            }]
        );
        c.apply_page("g", 0, page(vec![arr("g/x")], 1));
        assert_eq!(c.selected_node().unwrap().entry.path, "g/x");
    }

    #[test]
    fn a_hundred_thousand_nodes_filter_and_unfilter() {
        let mut c = Catalog::new();
        c.initial_request();
        let entries: Vec<NodeEntry> = (0..100_000).map(|i| arr(&format!("a{i:06}"))).collect();
        c.apply_page("", 0, page(entries, 100_000));
        c.set_filter("a09");
        assert_eq!((c.matches(), c.rows().len()), (10_000, 10_000));
        c.set_filter("");
        assert_eq!(c.rows().len(), 100_000);
        assert_eq!(c.array_count(), (100_000, false));
    }
}
