//! The highlighted node when it is not an array: a group's metadata and specs (a run's
//! plan_name, scan_id, time), a table's columns and last rows. Read once per node highlighted.

use crate::backend::{NodeKind, TableData};

use super::super::action::{Effect, Loaded};
use super::super::state::{AppState, NodeView, NODE_VIEW_ROWS};
use super::error_text;

impl AppState {
    /// After the selection moved: describe the highlighted group, table or other node.
    pub(super) fn view_selected_node(&mut self, fx: &mut Vec<Effect>) {
        let path = self
            .catalog
            .selected_node()
            .filter(|n| !n.entry.path.is_empty())
            .filter(|n| !matches!(n.entry.kind, NodeKind::Array | NodeKind::Broken { .. }))
            .map(|n| n.entry.path.clone());
        let Some(path) = path else {
            return;
        };
        if self.node_view.as_ref().is_some_and(|v| v.path == path) {
            return;
        }
        self.node_view = Some(NodeView {
            path: path.clone(),
            info: None,
            rows: None,
            error: None,
        });
        fx.push(Effect::Node { path });
    }

    pub(super) fn on_node_loaded(
        &mut self,
        loaded: Loaded<Box<(crate::backend::NodeInfo, Option<TableData>)>>,
    ) {
        let keys = &self.keymap;
        let Some(view) = self.node_view.as_mut().filter(|v| v.path == loaded.path) else {
            self.dirty = false;
            return;
        };
        match loaded.result {
            Ok(found) => {
                let (info, rows) = *found;
                view.info = Some(info);
                view.rows = rows.map(last_rows);
                view.error = None;
            }
            Err(e) => view.error = Some(error_text(&e, Some(keys))),
        }
    }
}

/// The last `NODE_VIEW_ROWS` rows: what a growing event table has newest.
fn last_rows(t: TableData) -> TableData {
    let skip = t.rows().saturating_sub(NODE_VIEW_ROWS);
    TableData {
        columns: t.columns,
        values: t
            .values
            .into_iter()
            .map(|c| c.into_iter().skip(skip).collect())
            .collect(),
    }
}
