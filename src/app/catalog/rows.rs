//! The visible rows: the filter, the selection and the row list rebuilt from the tree.

use super::{Catalog, CatalogNode, Row};
use crate::backend::NodeKind;

impl Catalog {
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

    pub(super) fn clamp_selection(&mut self) {
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Rebuilds the visible rows: O(loaded nodes), only when the tree or the filter changes.
    pub(super) fn rebuild_rows(&mut self) {
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
