//! The top bar says what is wrong with the link: a refused API key, a server out of reach, a
//! server error — set from the kind of error the Tiled watcher (or the first listing) met, on
//! a real Tiled server.

mod common;

use std::time::Duration;

use common::create_request;
use common::tui::{caps, connected, render};
use extent::app::action::JobResult;
use extent::backend::tiled::{TiledBackend, TiledOptions};
use extent::backend::{Backend, ConnectionState, DType, WatchMessage};

fn options(home: &std::path::Path) -> TiledOptions {
    TiledOptions {
        data_dir: Some(home.join("data")),
        cache_dir: Some(home.join("cache")),
        ..TiledOptions::default()
    }
}

/// The first link state the watch of `path` reports that is not connecting or polling.
async fn first_trouble(b: &TiledBackend, path: &str) -> ConnectionState {
    let mut rx = b.watch(path).await.expect("a watch starts");
    let wait = async {
        while let Some(m) = rx.recv().await {
            if let WatchMessage::State(s) = m {
                if s.is_down() {
                    return s;
                }
            }
        }
        panic!("the watch ended without saying what is wrong");
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("the watch said what is wrong within 30 s")
}

/// What the top bar shows after the store's first listing failed with `b`.
async fn top_bar_after_listing(b: &TiledBackend) -> String {
    let mut s = connected("t", "tiled", caps(false, false), 100, 30);
    s.update(JobResult::PageLoaded {
        parent: String::new(),
        offset: 0,
        result: b.list_page("", 0, 10).await,
    });
    render(&s).lines().next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_and_an_unreachable_server_are_named() {
    let server = common::tiled::server();
    let prefix = format!("tui_connection/{}", common::tiled::unique("conn"));
    server.make_groups(&prefix);
    let home = tempfile::tempdir().unwrap();
    let store = format!("{}/{prefix}", server.url);
    let good = TiledBackend::with_options(
        &store,
        Some(server.api_key.clone().into()),
        options(home.path()),
    )
    .unwrap();
    good.create(&create_request("a", &[4], &[2], DType::UInt8))
        .await
        .unwrap();

    let wrong = TiledBackend::with_options(
        &store,
        Some("not-the-key".to_string().into()),
        options(home.path()),
    )
    .unwrap();
    assert_eq!(
        first_trouble(&wrong, "a").await,
        ConnectionState::AuthRefused
    );
    let bar = top_bar_after_listing(&wrong).await;
    assert!(bar.contains("✗ auth refused (401/403)"), "{bar}");

    // Nothing listens on port 9 of this machine.
    let gone = TiledBackend::with_options(
        "http://127.0.0.1:9/api/v1",
        Some(server.api_key.clone().into()),
        options(home.path()),
    )
    .unwrap();
    assert_eq!(
        first_trouble(&gone, "a").await,
        ConnectionState::Unreachable
    );
    let bar = top_bar_after_listing(&gone).await;
    assert!(bar.contains("✗ server unreachable"), "{bar}");
}
