//! The catalog pane during a server search, drawn (TestBackend + insta): waiting, hits with
//! their count, a line that is not a query, a server that failed, and the tree back after Esc.

mod common;

use common::tui::{caps, ch, group_entry, key, render, typed};
use crossterm::event::KeyCode;
use extent::app::action::{Action, Effect, JobResult};
use extent::app::state::AppState;
use extent::backend::{Error, NodeEntry, Page};

fn run(i: u32) -> NodeEntry {
    NodeEntry {
        specs: vec!["BlueskyRun".into()],
        ..group_entry(&format!("runs/run-{i:04}"))
    }
}

/// A Tiled store with `runs/` expanded (40 of 312 runs loaded), run-0003 selected.
fn catalog() -> AppState {
    let mut s = AppState::new("facility", caps(false, false));
    s.update(Action::Resize(100, 24));
    s.update(Action::StoreReady {
        label: "facility".into(),
        describe: "tiled:http://beamline:8000/".into(),
        capabilities: caps(false, false),
    });
    for (parent, entries, total) in [
        ("", vec![group_entry("runs")], 1),
        ("runs", (0..40).map(run).collect(), 312),
    ] {
        if !parent.is_empty() {
            s.catalog.move_to(0);
            s.catalog.toggle_selected();
        }
        s.update(JobResult::PageLoaded {
            parent: parent.into(),
            offset: 0,
            result: Ok(Page {
                entries,
                total: Some(total),
            }),
        });
    }
    assert!(s.catalog.select_path("runs/run-0003"));
    s.update(key(KeyCode::Down));
    s.update(key(KeyCode::Up));
    s
}

/// The generation of the last search asked for.
fn typed_search(s: &mut AppState, text: &str) -> u64 {
    let mut last = None;
    for c in text.chars() {
        for e in s.update(ch(c)) {
            if let Effect::Search(r) = e {
                last = Some(r.generation);
            }
        }
    }
    last.expect("a search was asked for")
}

#[test]
fn the_pane_says_what_the_search_shows() {
    let mut s = catalog();
    let browse = render(&s);
    s.update(ch('/'));
    insta::assert_snapshot!("search_empty", render(&s));
    let generation = typed_search(&mut s, "plan_name=count sample3");
    insta::assert_snapshot!("search_waiting", render(&s));
    s.update(JobResult::SearchPage {
        generation,
        offset: 0,
        result: Ok(Page {
            entries: (0..100).map(|i| run(i * 2)).collect(),
            total: Some(312),
        }),
    });
    insta::assert_snapshot!("search_hits", render(&s));
    s.update(key(KeyCode::Enter));
    insta::assert_snapshot!("search_kept", render(&s));
    s.update(ch('/'));
    typed(&mut s, " =5");
    insta::assert_snapshot!("search_not_a_query", render(&s));
    s.update(key(KeyCode::Backspace));
    s.update(key(KeyCode::Backspace));
    let generation = typed_search(&mut s, "x");
    s.update(JobResult::SearchPage {
        generation,
        offset: 0,
        result: Err(Error::io("the server answered 503 Service Unavailable")),
    });
    insta::assert_snapshot!("search_failed", render(&s));
    s.update(key(KeyCode::Esc));
    // The same screen but the status line, which still says what failed.
    fn panes(screen: &str) -> Vec<&str> {
        screen.lines().rev().skip(1).collect()
    }
    assert_eq!(
        panes(&render(&s)),
        panes(&browse),
        "Esc brings the tree back as it was"
    );
}

/// The groups followed for new nodes: the top bar says whether the server's announcements
/// come live or are reconnecting, and the message log says when they dropped and came back.
#[test]
fn the_top_bar_says_how_new_nodes_come() {
    use extent::app::state::GroupFollow;
    let mut s = catalog();
    let fx = s.update(Action::Poll);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::WatchChildren { parents } if parents.contains(&"runs".to_string()))),
        "{fx:?}"
    );
    let top = |s: &AppState| render(s).lines().next().unwrap_or_default().to_string();
    assert!(
        top(&s).contains("○ catalog polled, no array open"),
        "{}",
        top(&s)
    );
    let follow = |s: &mut AppState, state| {
        s.update(Action::GroupFollow {
            parent: "runs".into(),
            state,
        })
    };
    follow(&mut s, GroupFollow::Live);
    assert!(top(&s).contains("● new nodes live"), "{}", top(&s));
    follow(&mut s, GroupFollow::Reconnecting);
    insta::assert_snapshot!("follow_reconnecting", render(&s));
    follow(&mut s, GroupFollow::Live);
    assert!(top(&s).contains("● new nodes live"), "{}", top(&s));
    let log: Vec<String> = s.messages.entries.iter().map(|m| m.text.clone()).collect();
    assert!(
        log.iter()
            .any(|t| t.contains("new nodes in runs/: stream lost, reconnecting")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|t| t.contains("new nodes in runs/: live again")),
        "{log:?}"
    );
    // A follower of a group no longer followed is not heard.
    s.update(Action::GroupFollow {
        parent: "elsewhere".into(),
        state: GroupFollow::Reconnecting,
    });
    assert!(top(&s).contains("● new nodes live"), "{}", top(&s));
}
