//! The conformance suite: every rule in `rules.rs` runs against the local Zarr backend (a temp
//! dir) and against a real Tiled 0.2.20 server (started by the tests, or reused from
//! `EXTENT_TILED_URL`). The rules never ask which backend they run on, only what it declares
//! it can do (`Backend::capabilities`); what differs per backend lives here, in how a `Cx` is
//! made and reopened. The Tiled rules run twice: on the single-process server and on the
//! production-like one (PostgreSQL, several workers, Redis; `tiled_prod::rule`). `tiled_only.rs` holds what only exists on Tiled (auth, the Python
//! client, the remembered structures, server bugs).

#[path = "../common/mod.rs"]
mod common;
mod rules;
mod rules_cli;
mod rules_concurrent;
mod tiled_only;

use std::path::PathBuf;

use extent::backend::local::LocalBackend;
use extent::backend::tiled::{TiledBackend, TiledOptions};
use extent::backend::Backend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Local,
    Tiled,
    /// Tiled's production-like profile: PostgreSQL, several workers, Redis.
    TiledProd,
}

/// One rule's world: a fresh, empty store of one kind, and how to reach it again.
pub struct Cx {
    /// Which backend: for making and reopening the store here; rules use `capabilities()`.
    pub kind: Kind,
    pub backend: Box<dyn Backend>,
    /// The store as `extent --store` takes it.
    pub store: String,
    pub api_key: Option<String>,
    /// A private HOME (XDG dirs inside) for extent processes and the backend's journal/locks.
    pub home: tempfile::TempDir,
    /// Tiled: the catalog path of the store's root on the server.
    pub catalog_prefix: String,
    _dir: Option<tempfile::TempDir>,
    _serial: Option<tokio::sync::MutexGuard<'static, ()>>,
}

/// Tiled tests run one at a time: a Tiled server on SQLite answers 500 "database is locked"
/// when several clients write at once, which would make the suite flaky (extent never
/// retries a write). Local tests still run in parallel.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}

/// The production-like server's rules also run one at a time (among themselves): they share
/// 2 cores with everything else, and a rule's timing must not depend on its neighbours.
pub async fn serial_prod() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}

impl Cx {
    pub async fn new(kind: Kind, rule: &str) -> Cx {
        match kind {
            Kind::Local => Cx::local(),
            Kind::Tiled => Cx::tiled(rule).await,
            Kind::TiledProd => {
                let serial = serial_prod().await;
                Cx::tiled_on(Kind::TiledProd, common::tiled::prod_server(), rule, serial)
            }
        }
    }

    pub fn local() -> Cx {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let backend = LocalBackend::open_or_create(&store).unwrap();
        Cx {
            kind: Kind::Local,
            backend: Box::new(backend),
            store: store.display().to_string(),
            api_key: None,
            home: tempfile::tempdir().unwrap(),
            catalog_prefix: String::new(),
            _dir: Some(dir),
            _serial: None,
        }
    }

    /// A Tiled store rooted at a fresh group of the shared server (so it starts empty).
    pub async fn tiled(rule: &str) -> Cx {
        let serial = serial().await;
        Cx::tiled_on(Kind::Tiled, common::tiled::server(), rule, serial)
    }

    /// A Tiled store rooted at a fresh group of `server`, holding `serial` while it lives.
    fn tiled_on(
        kind: Kind,
        server: &'static common::tiled::Server,
        rule: &str,
        serial: tokio::sync::MutexGuard<'static, ()>,
    ) -> Cx {
        let prefix = format!("conformance/{}", common::tiled::unique(rule));
        server.make_groups(&prefix);
        let home = tempfile::tempdir().unwrap();
        let store = format!("{}/{prefix}", server.url);
        let backend = TiledBackend::with_options(
            &store,
            Some(server.api_key.clone().into()),
            Cx::options(home.path()),
        )
        .unwrap();
        Cx {
            kind,
            backend: Box::new(backend),
            store,
            api_key: Some(server.api_key.clone()),
            home,
            catalog_prefix: prefix,
            _dir: None,
            _serial: Some(serial),
        }
    }

    /// Journal and locks where an `extent` process with this HOME keeps them.
    pub fn options(home: &std::path::Path) -> TiledOptions {
        TiledOptions {
            data_dir: Some(home.join("data/extent")),
            cache_dir: Some(home.join("cache/extent")),
            ..TiledOptions::default()
        }
    }

    pub fn b(&self) -> &dyn Backend {
        &*self.backend
    }

    /// Another handle on the same store (as another process would open it).
    pub fn reopen(&self) -> Box<dyn Backend> {
        self.reopen_with(TiledOptions::default())
    }

    /// Another handle on the same store from another machine: none of this one's local state
    /// (journal, locks, cache), only what is in the store.
    pub fn reopen_elsewhere(&self) -> Box<dyn Backend> {
        // A home of its own, inside this one so it goes away with it.
        self.open_from(&self.home.path().join("elsewhere"), TiledOptions::default())
    }

    pub fn reopen_with(&self, opts: TiledOptions) -> Box<dyn Backend> {
        self.open_from(self.home.path(), opts)
    }

    /// A handle whose local state (Tiled's journal, locks, cache) lives under `home`.
    fn open_from(&self, home: &std::path::Path, opts: TiledOptions) -> Box<dyn Backend> {
        match self.kind {
            Kind::Local => Box::new(LocalBackend::open(&self.store).unwrap()),
            Kind::Tiled | Kind::TiledProd => Box::new(
                TiledBackend::with_options(
                    &self.store,
                    self.api_key.clone().map(Into::into),
                    TiledOptions {
                        data_dir: Some(home.join("data/extent")),
                        cache_dir: Some(home.join("cache/extent")),
                        ..opts
                    },
                )
                .unwrap(),
            ),
        }
    }

    /// Runs the real `extent` binary against this store.
    pub fn extent(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["--store", self.store.as_str()];
        if let Some(k) = &self.api_key {
            all.extend(["--api-key", k.as_str()]);
        }
        all.extend(args);
        common::extent(self.home.path(), &all)
    }

    pub fn tmp(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }
}

/// One `#[tokio::test]` per rule and backend: `local::rule` and `tiled::rule`.
macro_rules! on_both {
    ($($rule:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $rule() {
                    let cx = crate::Cx::new(crate::Kind::Local, stringify!($rule)).await;
                    crate::rules::$rule(&cx).await;
                }
            )*
        }
        mod tiled {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $rule() {
                    let cx = crate::Cx::new(crate::Kind::Tiled, stringify!($rule)).await;
                    crate::rules::$rule(&cx).await;
                }
            )*
        }
        mod tiled_prod {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $rule() {
                    let cx = crate::Cx::new(crate::Kind::TiledProd, stringify!($rule)).await;
                    crate::rules::$rule(&cx).await;
                }
            )*
        }
    };
}

on_both!(
    create_and_show,
    every_dtype_round_trips,
    patch_in_bounds,
    extend_returns_the_new_structure,
    out_of_bounds_writes_nothing,
    out_of_order_converges,
    refused_before_anything_is_written,
    fill_value_in_gaps,
    slices,
    pagination_past_300,
    shrink,
    grow_by_resize,
    errors_by_kind,
    nested_groups,
    chunk_states_and_capabilities,
    create_shapes_the_store_can_hold,
    concurrent_writers_converge,
    one_writer_many_in_flight,
    history_survives_reopen,
    cli_commands,
    processes_extend_concurrently,
);
