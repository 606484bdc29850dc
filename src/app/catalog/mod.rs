//! The catalog tree: groups load lazily, one page at a time, so a store with 100k nodes stays
//! smooth. Only the visible rows are drawn; the row list is rebuilt when the tree or the filter
//! changes, never per frame.
//!
//! The parts: `tree` (loading pages, expanding, going to a path), `live` (nodes made or
//! removed while the tree is open, re-listing), `rows` (the filter and the visible rows).

mod live;
mod rows;
mod search;
#[cfg(test)]
mod tests;
mod tree;

use std::collections::{HashMap, HashSet};

pub use search::{SearchRequest, SearchState, ServerSearch, SEARCH_DEBOUNCE, SEARCH_PAGE};

use crate::backend::{NodeEntry, NodeKind};

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
    /// The server search shown instead of the tree (then this catalog holds its hits).
    search: Option<ServerSearch>,
    /// While searching: the browse tree, set aside as it was.
    browse: Option<Box<Catalog>>,
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
                specs: Vec::new(),
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
            search: None,
            browse: None,
        };
        c.rebuild_rows();
        c
    }

    /// Forgets everything but remembers what was expanded and selected, for a refresh.
    pub fn reset_keeping_view(&mut self) {
        self.end_search();
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
}
