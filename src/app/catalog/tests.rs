//! The catalog's unit tests: paging, the filter, live changes and re-listing.

use super::*;
use crate::backend::{NodeEntry, NodeKind, Page};

fn arr(path: &str) -> NodeEntry {
    NodeEntry {
        path: path.into(),
        kind: NodeKind::Array,
        shape: Some(vec![4, 3]),
        dtype: Some(crate::backend::DType::Float64),
        specs: Vec::new(),
    }
}
fn grp(path: &str) -> NodeEntry {
    NodeEntry {
        path: path.into(),
        kind: NodeKind::Group,
        shape: None,
        dtype: None,
        specs: Vec::new(),
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

/// A store whose root is an array lists it at the root's own path: the catalog says so
/// instead of waiting for "1 more" that never comes.
#[test]
fn a_root_that_is_an_array_is_said_not_awaited() {
    let mut c = Catalog::new();
    c.initial_request();
    c.apply_page("", 0, page(vec![arr("")], 1));
    assert!(c.rows().is_empty(), "{:?}", c.rows());
    let root = c.node(0).unwrap();
    assert!(root.complete);
    assert!(root.error.as_deref().unwrap().contains("root is an array"));
    assert!(c.pages_needed(20).is_empty());
}
