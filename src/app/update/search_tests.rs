//! The search on a server as a person types it: debounced requests, pages of hits, errors,
//! Esc back to the tree; and nodes the server announces.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use super::super::action::{Action, Effect, JobResult};
use super::super::catalog::{Row, SearchRequest, SearchState, SEARCH_DEBOUNCE};
use super::super::state::AppState;
use crate::backend::{Capabilities, Error, NodeEntry, NodeKind, Page, Query};

fn caps() -> Capabilities {
    Capabilities {
        can_shrink: false,
        lists_chunks: false,
        history_in_store: false,
        partial_chunks: false,
        empty_axes: false,
    }
}

fn run(path: &str) -> NodeEntry {
    NodeEntry {
        path: path.into(),
        kind: NodeKind::Group,
        shape: None,
        dtype: None,
        specs: vec!["BlueskyRun".into()],
    }
}

fn key(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// A store described as `describe`, with `runs/` expanded holding 300 runs (200 loaded) and
/// run-0150 selected.
fn store(describe: &str) -> AppState {
    let mut s = AppState::new("t", caps());
    s.update(Action::Resize(100, 30));
    s.update(Action::StoreReady {
        label: "t".into(),
        describe: describe.into(),
        capabilities: caps(),
    });
    s.update(JobResult::PageLoaded {
        parent: String::new(),
        offset: 0,
        result: Ok(Page {
            entries: vec![run("runs")],
            total: Some(1),
        }),
    });
    s.catalog.move_to(0);
    s.catalog.toggle_selected();
    let entries = (0..200).map(|i| run(&format!("runs/run-{i:04}"))).collect();
    s.update(JobResult::PageLoaded {
        parent: "runs".into(),
        offset: 0,
        result: Ok(Page {
            entries,
            total: Some(300),
        }),
    });
    assert!(s.catalog.select_path("runs/run-0150"));
    s.update(key(KeyCode::Down));
    s.update(key(KeyCode::Up));
    s
}

fn typed(s: &mut AppState, text: &str) -> Vec<Effect> {
    let mut all = Vec::new();
    for ch in text.chars() {
        all.extend(s.update(key(KeyCode::Char(ch))));
    }
    all
}

fn searches(fx: &[Effect]) -> Vec<SearchRequest> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Search(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn hits(from: u32, n: u32) -> Vec<NodeEntry> {
    (from..from + n)
        .map(|i| run(&format!("runs/run-{i:04}")))
        .collect()
}

#[test]
fn typing_asks_the_server_once_per_key_each_debounced_and_newer_lines_win() {
    let mut s = store("tiled:http://h:1/");
    let scroll = s.catalog.scroll;
    let fx = s.update(key(KeyCode::Char('/')));
    assert!(s.filter_editing && s.catalog.server_search().is_some());
    assert!(searches(&fx).is_empty(), "nothing typed yet: {fx:?}");
    let fx = typed(&mut s, "scan_id=4");
    let reqs = searches(&fx);
    // One request per key, each waiting out the debounce: the runtime keeps only the last.
    assert_eq!(reqs.len(), "scan_id=4".len(), "{reqs:?}");
    assert!(reqs.iter().all(|r| r.debounce == Some(SEARCH_DEBOUNCE)));
    let last = reqs.last().unwrap().clone();
    assert_eq!(last.scope, "runs", "the level the selection was at");
    assert_eq!(
        last.query,
        Query {
            text: None,
            equal: vec![("scan_id".into(), json!(4))]
        }
    );
    assert_eq!(
        s.catalog.server_search().unwrap().state,
        SearchState::Searching
    );
    // An answer to an older line is dropped.
    s.update(JobResult::SearchPage {
        generation: last.generation - 1,
        offset: 0,
        result: Ok(Page {
            entries: hits(0, 100),
            total: Some(312),
        }),
    });
    assert_eq!(s.catalog.search_counts(), (0, None));
    // The answer to the last line: its first page only.
    s.update(JobResult::SearchPage {
        generation: last.generation,
        offset: 0,
        result: Ok(Page {
            entries: hits(0, 100),
            total: Some(312),
        }),
    });
    assert_eq!(s.catalog.search_counts(), (100, Some(312)));
    assert_eq!(s.catalog.hits_noun(), "runs");
    assert_eq!(s.catalog.rows().len(), 101, "hits and a 'more' row");
    // Moving near the end asks for the next page, once, at once.
    s.update(key(KeyCode::Enter));
    assert!(!s.filter_editing);
    let mut more = Vec::new();
    for _ in 0..99 {
        more.extend(searches(&s.update(key(KeyCode::Down))));
    }
    assert_eq!(more.len(), 1, "{more:?}");
    assert_eq!(more[0].offset, 100);
    assert_eq!(more[0].debounce, None);
    assert_eq!(more[0].generation, last.generation);
    s.update(JobResult::SearchPage {
        generation: last.generation,
        offset: 100,
        result: Ok(Page {
            entries: hits(100, 100),
            total: Some(312),
        }),
    });
    assert_eq!(s.catalog.search_counts(), (200, Some(312)));
    // Esc: the tree as it was, the same run selected, the same scroll.
    s.update(key(KeyCode::Esc));
    assert!(s.catalog.server_search().is_none());
    assert_eq!(
        s.catalog.selected_node().unwrap().entry.path,
        "runs/run-0150"
    );
    assert_eq!(s.catalog.scroll, scroll);
}

#[test]
fn a_failed_search_says_so_in_the_pane_the_status_line_and_the_log() {
    let mut s = store("tiled:http://h:1/");
    s.update(key(KeyCode::Char('/')));
    let reqs = searches(&typed(&mut s, "sample3"));
    let generation = reqs.last().unwrap().generation;
    s.update(JobResult::SearchPage {
        generation,
        offset: 0,
        result: Err(Error::io("the server answered 500")),
    });
    let state = &s.catalog.server_search().unwrap().state;
    assert!(
        matches!(state, SearchState::Failed(e) if e.contains("500")),
        "{state:?}"
    );
    let status = &s.status.as_ref().unwrap().notice.text;
    assert!(
        status.contains("searching the server") && status.contains("500"),
        "{status}"
    );
    assert!(s.messages.entries.iter().any(|m| m.text.contains("500")));
    // A line that is not a query is refused before anything is asked.
    let fx = typed(&mut s, " =5");
    assert!(searches(&fx).is_empty() || s.catalog.server_search().unwrap().query.is_none());
    assert!(matches!(
        &s.catalog.server_search().unwrap().state,
        SearchState::Invalid(e) if e.contains("key")
    ));
}

#[test]
fn news_for_the_tree_while_searching_goes_to_the_tree() {
    let mut s = store("tiled:http://h:1/");
    s.update(key(KeyCode::Char('/')));
    let generation = searches(&typed(&mut s, "x")).last().unwrap().generation;
    s.update(JobResult::SearchPage {
        generation,
        offset: 0,
        result: Ok(Page {
            entries: hits(7, 1),
            total: Some(1),
        }),
    });
    // The tree's next page of runs/ and a run announced by the server land in the tree.
    s.update(JobResult::PageLoaded {
        parent: "runs".into(),
        offset: 200,
        result: Ok(Page {
            entries: hits(200, 100),
            total: Some(300),
        }),
    });
    s.update(Action::NodeAnnounced(run("runs/run-0300")));
    assert_eq!(
        s.catalog.rows(),
        &[Row::Node(1)][..],
        "the hits stay as they were"
    );
    assert!(s
        .status
        .as_ref()
        .unwrap()
        .notice
        .text
        .contains("new run: runs/run-0300"));
    s.update(key(KeyCode::Esc));
    assert!(s.catalog.select_path("runs/run-0299"));
    assert!(s.catalog.select_path("runs/run-0300"));
}

#[test]
fn a_local_store_filters_what_is_loaded() {
    let mut s = store("local:/t");
    s.update(key(KeyCode::Char('/')));
    let fx = typed(&mut s, "run-015");
    assert!(searches(&fx).is_empty());
    assert!(s.catalog.server_search().is_none());
    assert_eq!(s.catalog.filter(), "run-015");
    assert_eq!(s.catalog.matches(), 10);
}

#[test]
fn announced_nodes_appear_in_followed_groups_and_only_there() {
    let mut s = store("tiled:http://h:1/");
    // The poll follows the groups shown expanded.
    let fx = s.update(Action::Poll);
    assert!(
        fx.contains(&Effect::WatchChildren {
            parents: vec![String::new(), "runs".into()]
        }),
        "{fx:?}"
    );
    // Asked once; again only when the groups change.
    let fx = s.update(Action::Poll);
    assert!(!fx.iter().any(|e| matches!(e, Effect::WatchChildren { .. })));
    s.update(Action::NodeAnnounced(run("runs/run-0300")));
    // runs/ is not all loaded: its "more" row brings the new run in its place.
    assert!(!s.catalog.select_path("runs/run-0300"));
    s.update(JobResult::PageLoaded {
        parent: "runs".into(),
        offset: 200,
        result: Ok(Page {
            entries: hits(200, 100),
            total: Some(300),
        }),
    });
    s.update(Action::NodeAnnounced(run("runs/run-0300")));
    assert!(s.catalog.select_path("runs/run-0300"));
    assert!(s.catalog.select_path("runs/run-0299"));
    s.update(Action::NodeAnnounced(run("elsewhere/run-1")));
    assert!(!s.catalog.select_path("elsewhere/run-1"));
    // A local store is not followed this way (its listing is re-read).
    let mut local = store("local:/t");
    let fx = local.update(Action::Poll);
    assert!(!fx.iter().any(|e| matches!(e, Effect::WatchChildren { .. })));
}

#[test]
fn goto_leaves_the_search_for_the_tree() {
    let mut s = store("tiled:http://h:1/");
    s.update(key(KeyCode::Char('/')));
    typed(&mut s, "x");
    s.update(Action::Goto("runs/run-0007".into()));
    assert!(s.catalog.server_search().is_none() && !s.filter_editing);
    assert_eq!(
        s.catalog.selected_node().unwrap().entry.path,
        "runs/run-0007"
    );
}

#[test]
fn on_an_expanded_group_the_search_is_inside_it_else_at_the_selections_level() {
    let mut s = store("tiled:http://h:1/");
    assert!(s.catalog.select_path("runs"));
    s.update(key(KeyCode::Char('/')));
    assert_eq!(s.catalog.server_search().unwrap().scope, "runs");
    s.update(key(KeyCode::Esc));
    // Collapsed, `runs/` is one of the root's children: the root is searched.
    s.catalog.toggle_selected();
    s.update(key(KeyCode::Char('/')));
    assert_eq!(s.catalog.server_search().unwrap().scope, "");
}

/// `:filter TEXT` typed in the palette and run.
fn palette_filter(s: &mut AppState, text: &str) -> Vec<Effect> {
    let mut fx = s.update(key(KeyCode::Char(':')));
    fx.extend(typed(s, &format!("filter {text}")));
    fx.extend(s.update(key(KeyCode::Enter)));
    fx
}

#[test]
fn the_palettes_filter_asks_a_server_like_slash() {
    let mut s = store("tiled:http://h:1/");
    let fx = palette_filter(&mut s, "plan_name=count");
    let asked = searches(&fx);
    assert_eq!(asked.len(), 1, "{fx:?}");
    assert_eq!(asked[0].scope, "runs");
    assert_eq!(asked[0].offset, 0);
    assert_eq!(
        asked[0].query,
        Query::parse_line("plan_name=count").unwrap()
    );
    let search = s.catalog.server_search().expect("a server search is shown");
    assert_eq!(search.text, "plan_name=count");
    assert!(!s.filter_editing, "shown, not being typed");
    assert_eq!(s.catalog.filter(), "", "nothing filtered locally");
    // Another line replaces it; an empty one ends the search and the tree comes back.
    let fx = palette_filter(&mut s, "scan_id=4");
    assert_eq!(searches(&fx).len(), 1);
    assert_eq!(s.catalog.server_search().unwrap().text, "scan_id=4");
    palette_filter(&mut s, "");
    assert!(s.catalog.server_search().is_none());
    assert!(s.catalog.select_path("runs/run-0150"));
}

#[test]
fn the_palettes_filter_on_a_local_store_filters_what_is_loaded() {
    let mut s = store("local:/t");
    let fx = palette_filter(&mut s, "run-015");
    assert!(searches(&fx).is_empty());
    assert!(s.catalog.server_search().is_none());
    assert_eq!(s.catalog.filter(), "run-015");
    assert_eq!(s.catalog.matches(), 10);
}
