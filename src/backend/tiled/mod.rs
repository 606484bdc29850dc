//! Tiled backend: the backend trait over a Tiled server's HTTP API (verified on Tiled 0.2.20).
//!
//! The server has no resize route, no chunk listing and no shape history, does not check
//! dtypes, and does not lock concurrent extends. So extent:
//! - checks every patch with [`plan_patch`](crate::backend::plan_patch) before a byte is sent;
//! - grows an array with a zero-size `extend` patch, and refuses to shrink (`unsupported`);
//! - writes non-zero fill values itself (the server fills gaps with 0);
//! - locks its own writes per (server, array) with file locks shared by all extent processes
//!   (exclusive to grow, shared plus chunk locks inside the shape), and keeps the structure
//!   journal on the client;
//! - after a failed write that was to grow an array, finds out what the server was left with
//!   and says how to repair it.
//!
//! The files: `url` (store URLs, request addresses), `http` (the client: timeouts, retries,
//! typed errors, the key as a secret), `structure` (Tiled's JSON), `read`, `nodes` (create,
//! delete), `write` and `recover` (patches and resizes, and what a failed one left), `cache`
//! (remembered structures and groups), `journal` (history and write locks on the client),
//! `listing`, `check` (history, check, repair) and `watch` (following an array).

mod boxes;
mod cache;
mod check;
mod http;
mod inflight;
mod journal;
mod kinds;
mod listing;
mod nodes;
mod read;
mod recover;
mod structure;
mod url;
mod watch;
mod write;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Url;

use crate::backend::{
    normalize_path, validate_path, ArrayData, ArrayInfo, Backend, Capabilities, Cause,
    ChildReceiver, ChunkMap, ChunkState, CreateRequest, Error, ErrorKind, Finding, NodeEntry,
    NodeInfo, Page, Query, Result, Secret, Selection, StructureChange, TableData, WatchReceiver,
};
use cache::Cache;
use http::Http;
use inflight::InFlight;
use journal::ClientState;

/// Settings of a [`TiledBackend`]; `Default` is what the CLI uses.
#[derive(Debug, Clone)]
pub struct TiledOptions {
    /// Where the structure journal lives (default: the user's data dir, `$XDG_DATA_HOME/extent`).
    pub data_dir: Option<PathBuf>,
    /// Where the write locks live (default: the user's cache dir, `$XDG_CACHE_HOME/extent`).
    pub cache_dir: Option<PathBuf>,
    /// For establishing a connection.
    pub connect_timeout: Duration,
    /// For a whole request, body included.
    pub request_timeout: Duration,
    /// Largest request body; bigger writes are cut into several requests.
    pub max_request_bytes: u64,
    /// Retries of a failed read (GET) after 0.25 s, 0.5 s, 1 s...; writes are never retried.
    pub retries: u32,
    /// How long an array's structure this process read or wrote stands in for asking the
    /// server again before a write (only while no extent process changed the shape).
    pub structure_ttl: Duration,
}

impl Default for TiledOptions {
    fn default() -> TiledOptions {
        TiledOptions {
            data_dir: None,
            cache_dir: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            max_request_bytes: 64 << 20,
            retries: 3,
            structure_ttl: Duration::from_secs(2),
        }
    }
}

/// A connection to a Tiled server, rooted at a node of its catalog (the URL's path, if any).
pub struct TiledBackend {
    http: Http,
    /// The catalog path of the store's root (from the URL), as segments.
    prefix: Vec<String>,
    state: ClientState,
    max_request_bytes: u64,
    structure_ttl: Duration,
    /// Structures and groups seen lately.
    cache: Cache,
    /// Growing patches in flight, so the farthest goes first.
    in_flight: InFlight,
}

impl std::fmt::Debug for TiledBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Http's Debug shows the key as ***; nothing else holds it.
        f.debug_struct("TiledBackend")
            .field("http", &self.http)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl TiledBackend {
    /// Connects to `url` (`http[s]://host:port[/path/into/catalog]`) with an optional API key.
    /// No request is made here.
    pub fn new(url: &str, api_key: Option<Secret>) -> Result<TiledBackend> {
        Self::with_options(url, api_key, TiledOptions::default())
    }

    /// As `new`, with explicit settings (tests use short timeouts and private dirs).
    pub fn with_options(
        url: &str,
        api_key: Option<Secret>,
        opts: TiledOptions,
    ) -> Result<TiledBackend> {
        let (root, prefix) = url::parse_store_url(url)?;
        // From here on the key lives only inside `Http` (as a secret).
        let key = api_key.filter(|k| !k.is_blank());
        let http = Http::new(
            root,
            key,
            opts.connect_timeout,
            opts.request_timeout,
            opts.retries,
        )?;
        Ok(TiledBackend {
            http,
            prefix,
            state: ClientState::new(opts.data_dir, opts.cache_dir),
            max_request_bytes: opts.max_request_bytes.max(1),
            structure_ttl: opts.structure_ttl,
            cache: Cache::default(),
            in_flight: InFlight::default(),
        })
    }

    /// How many HTTP requests this backend has sent (retries count), e.g. to show that a
    /// search is done by the server in a few requests.
    pub fn requests_sent(&self) -> u64 {
        self.http.requests_sent()
    }

    /// The catalog path of a store path, as segments.
    fn full(&self, path: &str) -> Vec<String> {
        url::catalog_path(&self.prefix, path)
    }

    fn url(&self, route: &str, segs: &[String]) -> Url {
        let refs: Vec<&str> = segs.iter().map(String::as_str).collect();
        self.http.url(route, &refs)
    }

    /// The name of one array's lock and journal.
    fn key(&self, path: &str) -> String {
        journal::key(self.http.shown(), &self.full(path).join("/"))
    }

    fn label(&self, path: &str) -> String {
        format!("{}{}", self.http.shown(), self.full(path).join("/"))
    }

    fn not_found(&self, e: Error, path: &str) -> Error {
        if e.kind == ErrorKind::NotFound {
            Error::not_found(format!("no array or group '{path}' in {}", self.describe()))
        } else {
            e
        }
    }

    /// Starts following an array; see [`watch`].
    fn start_watch(&self, path: &str) -> Result<WatchReceiver> {
        let path = normalize_path(path);
        validate_path(&path)?;
        let segs = self.full(&path);
        let mut stream_url = self.url("stream/single", &segs);
        // Plain http only: extent's websocket client does not carry TLS.
        let streamable = stream_url.scheme() == "http" && stream_url.set_scheme("ws").is_ok();
        Ok(watch::spawn(watch::Target {
            http: self.http.clone(),
            meta_url: self.url("metadata", &segs),
            stream_url: streamable.then_some(stream_url),
            path,
        }))
    }
}

#[async_trait]
impl Backend for TiledBackend {
    fn describe(&self) -> String {
        format!("tiled:{}{}", self.http.shown(), self.prefix.join("/"))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            can_shrink: false,
            lists_chunks: false,
            history_in_store: false,
            // Tiled 0.2.20 adds phantom elements when it extends a shape that is not a whole
            // number of chunks, and cannot extend an array created with a zero-length axis.
            partial_chunks: false,
            empty_axes: false,
        }
    }

    async fn list_page(&self, parent: &str, offset: u64, limit: u64) -> Result<Page> {
        self.page_of(parent, offset, limit).await
    }

    async fn list(&self, parent: &str) -> Result<Vec<NodeEntry>> {
        self.list_all(parent, &Query::default()).await
    }

    async fn show(&self, path: &str) -> Result<ArrayInfo> {
        Ok(self.remote(path).await?.info)
    }

    async fn node(&self, path: &str) -> Result<NodeInfo> {
        self.node_of(path).await
    }

    /// The server searches (Tiled's `fulltext` and `eq` queries): one request per page.
    async fn search_page(
        &self,
        parent: &str,
        query: &Query,
        offset: u64,
        limit: u64,
    ) -> Result<Page> {
        self.search_page_of(parent, query, offset, limit).await
    }

    async fn search(&self, parent: &str, query: &Query) -> Result<Vec<NodeEntry>> {
        self.list_all(parent, query).await
    }

    async fn read_table(&self, path: &str) -> Result<TableData> {
        self.table_of(path).await
    }

    async fn create(&self, req: &CreateRequest) -> Result<ArrayInfo> {
        self.create_array(req).await
    }

    async fn read(&self, path: &str, selection: Option<&Selection>) -> Result<ArrayData> {
        self.read_array(path, selection).await
    }

    async fn patch(
        &self,
        path: &str,
        offset: &[u64],
        data: &ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo> {
        self.patch_with(path, offset, data, None, extend).await
    }

    async fn patch_owned(
        &self,
        path: &str,
        offset: &[u64],
        data: ArrayData,
        extend: bool,
    ) -> Result<ArrayInfo> {
        self.patch_owned_data(path, offset, data, extend).await
    }

    async fn resize(&self, path: &str, shape: &[u64], cause: Cause) -> Result<ArrayInfo> {
        self.resize_array(path, shape, cause).await
    }

    async fn delete(&self, path: &str) -> Result<()> {
        self.delete_node(path).await
    }

    /// extent's journal, plus an `observed` entry when the server's shape differs from the
    /// last one recorded (another client changed it).
    async fn history(&self, path: &str) -> Result<Vec<StructureChange>> {
        self.history_of(path).await
    }

    async fn watch(&self, path: &str) -> Result<WatchReceiver> {
        self.start_watch(path)
    }

    async fn watch_children(&self, parent: &str) -> Result<ChildReceiver> {
        let parent = normalize_path(parent);
        if !parent.is_empty() {
            validate_path(&parent)?;
        }
        let mut stream_url = self.url("stream/single", &self.full(&parent));
        // Plain http only, as for arrays: extent's websocket client does not carry TLS.
        if stream_url.scheme() != "http" || stream_url.set_scheme("ws").is_err() {
            return Err(Error::unsupported(format!(
                "{} streams over https, which extent does not follow",
                self.describe()
            )));
        }
        let search_url = self.url("search", &self.full(&parent));
        Ok(watch::spawn_children(watch::ChildTarget {
            http: self.http.clone(),
            stream_url,
            search_url,
            parent,
        }))
    }

    /// Reads only: the catalog's own consistency, and whether the shape changed outside
    /// extent since the last recorded change.
    async fn check(&self, path: &str) -> Result<Vec<Finding>> {
        self.check_array(path).await
    }

    async fn repair(&self, path: &str) -> Result<Vec<Finding>> {
        self.repair_array(path).await
    }

    async fn chunk_states(&self, path: &str) -> Result<ChunkMap> {
        let info = self.remote(path).await?.info;
        // Tiled has no route that lists stored chunks; reading data to find out is not an option.
        ChunkMap::for_array(&info, ChunkState::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_describe_hide_secrets() {
        let b = TiledBackend::new("http://me:pw123@h:1/x", Some("KEY-987".into())).unwrap();
        let shown = format!("{b:?} {}", b.describe());
        assert!(
            !shown.contains("KEY-987") && !shown.contains("pw123"),
            "{shown}"
        );
        assert_eq!(b.describe(), "tiled:http://h:1/x");
    }
}
