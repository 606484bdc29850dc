//! Tiled backend: the backend trait over a Tiled server's HTTP API (verified on Tiled 0.2.20).
//!
//! The server has no resize route, no chunk listing and no shape history, does not check
//! dtypes, and does not lock concurrent extends. So extent:
//! - checks every patch with [`plan_patch`] before a byte is sent;
//! - grows an array with a zero-size `extend` patch, and refuses to shrink (`unsupported`);
//! - writes non-zero fill values itself (the server fills gaps with 0);
//! - locks its own writes per (server, array) with file locks shared by all extent processes
//!   (exclusive to grow, shared plus chunk locks inside the shape), and keeps the structure
//!   journal on the client;
//! - after a failed write that was to grow an array, finds out what the server was left with
//!   and says how to repair it.

mod boxes;
mod http;
mod inflight;
mod journal;
mod structure;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::{Method, Url};
use serde_json::Value;

use super::lockfile;
use super::{
    actor, checked_elements, element_json, fmt_shape, now_rfc3339, plan_patch, plan_resize,
    scalar_bytes, validate_path, ArrayData, ArrayInfo, Backend, Capabilities, Cause, ChunkMap,
    ChunkState, CreateRequest, Error, ErrorKind, Finding, NodeEntry, NodeKind, Page, Result,
    Selection, StructureChange,
};
use boxes::Box as Region;
use http::{Body, Http, Op};
use inflight::InFlight;
use journal::ClientState;
use structure::{Family, Remote};

/// Largest page the server accepts.
const PAGE_LIMIT: u64 = 300;
/// Largest read extent does in one call (an [`ArrayData`] lives in memory).
const MAX_READ: u64 = 4 << 30;
/// How long a group seen to exist is trusted without asking again.
const GROUP_CACHE_TTL: Duration = Duration::from_secs(5);

/// An array's structure as this process last read or wrote it. Its shape chooses a patch's
/// lock. Under that lock it stands in for `GET /metadata` (one request and ≈ 10 ms of server
/// CPU per patch) while it is younger than [`TiledOptions::structure_ttl`] and no extent
/// process recorded a structure change since (the journal's stamp is unchanged): extent's own
/// shape changes all go through the journal; other clients' are not locked out either way
/// (see module docs).
struct Known {
    remote: Remote,
    at: Instant,
    journal: Option<journal::JournalStamp>,
}

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
    /// Groups recently seen to exist (full catalog path → when).
    groups: Mutex<HashMap<String, Instant>>,
    /// The structure last seen per array key (see [`Known`]).
    known: Mutex<HashMap<String, Known>>,
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

/// Splits a store URL into the server's root and the catalog prefix:
/// `http://h:p/a/b` → (`http://h:p/`, [a, b]); `http://h:p/mnt/api/v1/a` → (`http://h:p/mnt/`, [a]).
fn parse_store_url(url: &str) -> Result<(Url, Vec<String>)> {
    let bad = |why: &str| {
        Error::invalid_input(format!(
            "'{}' is not a Tiled server URL ({why}); use http://host:port[/path/in/catalog]",
            redact_raw(url)
        ))
    };
    let u = Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(bad("the scheme must be http or https"));
    }
    if u.host_str().is_none_or(|h| h.is_empty()) {
        return Err(bad("no host"));
    }
    let segs: Vec<String> = u
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).map(percent_decode).collect())
        .unwrap_or_default();
    let api = segs.windows(2).position(|w| w[0] == "api" && w[1] == "v1");
    let (mount, prefix) = match api {
        Some(i) => (segs[..i].to_vec(), segs[i + 2..].to_vec()),
        None => (Vec::new(), segs),
    };
    for p in &prefix {
        if p == "." || p == ".." || p.contains('\0') {
            return Err(bad("the catalog path has '.' or '..'"));
        }
    }
    let mut root = u.clone();
    root.set_query(None);
    root.set_fragment(None);
    root.set_path("/");
    if let Ok(mut s) = root.path_segments_mut() {
        s.clear().extend(&mount).push("");
    }
    Ok((root, prefix))
}

/// `scheme://user:pw@host/..` → `scheme://host/..`, for text that did not parse as a URL.
fn redact_raw(url: &str) -> String {
    let t = url.trim();
    match (t.find("://"), t.rfind('@')) {
        (Some(s), Some(a)) if a > s => format!("{}://{}", &t[..s], &t[a + 1..]),
        _ => t.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn join(list: &[u64]) -> String {
    list.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn q(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Everything one write (a patch or a grow) needs, for the requests and for the diagnosis.
struct WriteJob<'a> {
    path: &'a str,
    key: &'a str,
    cur: &'a Remote,
    offset: &'a [u64],
    /// The patch's dtype and shape, and its bytes unless `body` holds them.
    data: &'a ArrayData,
    /// The patch's bytes when the caller handed them over: sent without a copy.
    body: Option<Bytes>,
    new_shape: &'a [u64],
    cause: Cause,
    /// How to redo this write, for messages.
    redo: String,
}

impl WriteJob<'_> {
    fn patch_bytes(&self) -> &[u8] {
        self.body.as_deref().unwrap_or(&self.data.bytes)
    }
}

impl TiledBackend {
    /// Connects to `url` (`http[s]://host:port[/path/into/catalog]`) with an optional API key.
    /// No request is made here.
    pub fn new(url: &str, api_key: Option<String>) -> Result<TiledBackend> {
        Self::with_options(url, api_key, TiledOptions::default())
    }

    /// As `new`, with explicit settings (tests use short timeouts and private dirs).
    pub fn with_options(
        url: &str,
        api_key: Option<String>,
        opts: TiledOptions,
    ) -> Result<TiledBackend> {
        let (root, prefix) = parse_store_url(url)?;
        let key = api_key.filter(|k| !k.trim().is_empty());
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
            groups: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
            in_flight: InFlight::default(),
        })
    }

    /// The catalog path of a store path, as segments.
    fn full(&self, path: &str) -> Vec<String> {
        let mut v = self.prefix.clone();
        v.extend(path.split('/').filter(|s| !s.is_empty()).map(String::from));
        v
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

    /// A node's attributes (`structure_family`, `structure`, `metadata`).
    async fn attributes(&self, path: &str) -> Result<Value> {
        let url = self.url("metadata", &self.full(path));
        let v = self
            .http
            .get_json(&format!("reading '{path}'"), &url, &[])
            .await
            .map_err(|e| self.not_found(e, path))?;
        let attrs = &v["data"]["attributes"];
        if !attrs.is_object() {
            return Err(Error::io(format!(
                "reading '{path}': the server's answer has no node attributes"
            )));
        }
        Ok(attrs.clone())
    }

    async fn remote(&self, path: &str) -> Result<Remote> {
        validate_path(path)?;
        let attrs = self.attributes(path).await?;
        structure::remote_from_attributes(path, &attrs)
    }

    /// Reads a box of an array (`sel` within its shape), in little-endian order.
    async fn read_box(&self, path: &str, r: &Remote, sel: &Selection) -> Result<ArrayData> {
        let info = &r.info;
        sel.check_within(&info.shape)?;
        let shape = sel.shape();
        let n = checked_elements(&shape)?;
        let size = info.dtype.size() as u64;
        let expected = n.saturating_mul(size);
        if expected == 0 {
            return ArrayData::new(info.dtype, shape, Vec::new());
        }
        if expected > MAX_READ {
            return Err(Error::invalid_input(format!(
                "reading {} of '{path}' would take {} MiB; read a smaller slice",
                fmt_shape(&shape),
                expected >> 20
            )));
        }
        let url = self.url("array/full", &self.full(path));
        // Always an explicit slice: the array may grow meanwhile, the byte count must not.
        let query = q(&[("slice", sel.to_param())]);
        let mut bytes = self
            .http
            .get_bytes(&format!("reading '{path}'"), &url, &query, expected)
            .await
            .map_err(|e| self.not_found(e, path))?;
        if r.big_endian {
            structure::swap_bytes(&mut bytes, size as usize);
        }
        ArrayData::new(info.dtype, shape, bytes)
    }

    /// Makes sure every ancestor of `path` is a group, creating the missing ones.
    async fn ensure_groups(&self, path: &str) -> Result<()> {
        let full = self.full(path);
        let parent = full[..full.len() - 1].join("/");
        if self.known_group(&parent) {
            return Ok(());
        }
        // Walk up to the deepest existing ancestor, then create downwards.
        let mut depth = full.len() - 1;
        while depth > 0 {
            let anc = &full[..depth];
            let shown = anc.join("/");
            let url = self.url("metadata", anc);
            match self
                .http
                .get_json(&format!("reading '{shown}'"), &url, &[])
                .await
            {
                Ok(v) => {
                    // Tiled accepts children under an array; extent does not.
                    if structure::family(&v["data"]["attributes"]).0 != Family::Container {
                        return Err(Error::invalid_input(format!(
                            "cannot create '{path}': '{shown}' is an array, not a group"
                        )));
                    }
                    break;
                }
                Err(e) if e.kind == ErrorKind::NotFound => depth -= 1,
                Err(e) => return Err(e),
            }
        }
        for d in depth + 1..full.len() {
            let url = self.url("metadata", &full[..d - 1]);
            let body = structure::container_body(&full[d - 1]);
            let what = format!("creating the group '{}'", full[..d].join("/"));
            match self
                .http
                .send(Op::Create, &what, Method::POST, &url, &[], Body::Json(body))
                .await
            {
                Ok(_) => {}
                // Someone else created it meanwhile.
                Err(e) if e.kind == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        self.remember_group(parent);
        Ok(())
    }

    /// The shape this process last saw of an array (a hint for choosing a lock).
    fn last_shape(&self, key: &str) -> Option<Vec<u64>> {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.get(key).map(|k| k.remote.info.shape.clone())
    }

    /// The array's structure, from [`Known`] when that is still good, else from the server.
    /// Only under the array's lock.
    async fn current(&self, path: &str, key: &str) -> Result<(Remote, bool)> {
        let fresh = {
            let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
            known
                .get(key)
                .filter(|k| k.at.elapsed() < self.structure_ttl)
                .map(|k| (k.remote.clone(), k.journal))
        };
        if let Some((remote, stamp)) = fresh {
            if self.state.stamp(key) == stamp {
                return Ok((remote, true));
            }
        }
        match self.remote(path).await {
            Ok(r) => {
                self.remember(key, r.clone());
                Ok((r, false))
            }
            Err(e) => {
                self.forget(key);
                Err(e)
            }
        }
    }

    /// The array's structure and the plan of a patch against it. A refusal planned against a
    /// remembered structure is checked against the server's (another client may have grown
    /// the array meanwhile).
    async fn plan_current(
        &self,
        path: &str,
        key: &str,
        offset: &[u64],
        data: &ArrayData,
        extend: bool,
    ) -> Result<(Remote, super::PatchPlan)> {
        let (cur, remembered) = self.current(path, key).await?;
        match plan_patch(&cur.info, offset, data, extend) {
            Ok(plan) => Ok((cur, plan)),
            Err(_) if remembered => {
                self.forget(key);
                let (cur, _) = self.current(path, key).await?;
                let plan = plan_patch(&cur.info, offset, data, extend)?;
                Ok((cur, plan))
            }
            Err(e) => Err(e),
        }
    }

    /// Records a structure read or written under the array's lock.
    fn remember(&self, key: &str, remote: Remote) {
        let journal = self.state.stamp(key);
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= 4096 && !known.contains_key(key) {
            known.clear();
        }
        let at = Instant::now();
        known.insert(
            key.to_string(),
            Known {
                remote,
                at,
                journal,
            },
        );
    }

    fn forget(&self, key: &str) {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.remove(key);
    }

    /// Was `full` seen to be a group a moment ago? Saves one request per create when many
    /// arrays go into one group; short-lived, because another client may replace it.
    fn known_group(&self, full: &str) -> bool {
        let groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
        groups
            .get(full)
            .is_some_and(|t| t.elapsed() < GROUP_CACHE_TTL)
    }

    fn remember_group(&self, full: String) {
        let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
        groups.retain(|_, t| t.elapsed() < GROUP_CACHE_TTL);
        groups.insert(full, Instant::now());
    }

    /// Writes the content of a new array (its shape already set), in pieces when large.
    async fn write_initial(
        &self,
        path: &str,
        info: &ArrayInfo,
        fill: &[u8],
        data: Option<&ArrayData>,
    ) -> Result<()> {
        let n = info.ndim();
        let zeros = vec![0u64; n];
        let empty;
        let data = match data {
            Some(d) => d,
            None => {
                empty = ArrayData::new(info.dtype, vec![0; n], Vec::new())?;
                &empty
            }
        };
        let whole = Region::new(zeros.clone(), info.shape.clone());
        let url = self.url("array/full", &self.full(path));
        let what = format!("writing the content of '{path}'");
        let pieces = boxes::split(&whole, info.dtype.size(), self.max_request_bytes);
        if pieces.len() == 1 {
            let bytes = boxes::materialize(&whole, fill, &zeros, &data.shape, &data.bytes);
            self.http
                .send(
                    Op::Write,
                    &what,
                    Method::PUT,
                    &url,
                    &[],
                    Body::Bytes(bytes.into()),
                )
                .await?;
            return Ok(());
        }
        for p in pieces {
            let bytes = boxes::materialize(&p, fill, &zeros, &data.shape, &data.bytes);
            let query = q(&[
                ("offset", join(&p.start)),
                ("shape", join(&p.shape)),
                ("extend", "false".into()),
            ]);
            self.http
                .send(
                    Op::Write,
                    &what,
                    Method::PATCH,
                    &url,
                    &query,
                    Body::Bytes(bytes.into()),
                )
                .await?;
        }
        Ok(())
    }

    /// The requests of a write: (box, extend). Growing with a non-zero fill, or with a body
    /// too big for one request, first grows with a zero-size patch, then writes in place.
    fn plan_requests(&self, job: &WriteJob<'_>, fill: &[u8]) -> Vec<(Region, bool)> {
        let info = &job.cur.info;
        let n = info.ndim();
        let elem = info.dtype.size();
        let max = self.max_request_bytes;
        let patch = Region::new(job.offset.to_vec(), job.data.shape.clone());
        let grows = job.new_shape != info.shape.as_slice();
        let fill_zero = fill.iter().all(|&b| b == 0);
        let split = |b: &Region| -> Vec<(Region, bool)> {
            boxes::split(b, elem, max)
                .into_iter()
                .map(|p| (p, false))
                .collect()
        };
        if !grows {
            return split(&patch);
        }
        if fill_zero && job.patch_bytes().len() as u64 <= max {
            return vec![(patch, true)];
        }
        let mut reqs = vec![(Region::new(job.new_shape.to_vec(), vec![0; n]), true)];
        if fill_zero {
            reqs.extend(split(&patch));
        } else {
            // The new region: fill, with the patch overlaid where it falls in it.
            for g in boxes::grown_region(&info.shape, job.new_shape) {
                reqs.extend(split(&g));
            }
            let old = Region::new(vec![0; n], info.shape.clone());
            if let Some(inside) = patch.intersect(&old) {
                reqs.extend(split(&inside));
            }
        }
        reqs
    }

    /// A patch; `body`, when given, holds its bytes (then `data` only describes it).
    async fn patch_with(
        &self,
        path: &str,
        offset: &[u64],
        data: &ArrayData,
        body: Option<Bytes>,
        extend: bool,
    ) -> Result<ArrayInfo> {
        validate_path(path)?;
        // The structure is read under the lock (another extent process may be growing the
        // array), and the patch is checked against it before any byte reaches the server.
        let key = self.key(path);
        let redo = || {
            format!(
                "re-run the same patch at offset {} with --extend (writing the same data again is safe)",
                join(offset)
            )
        };
        // A patch that leaves the shape alone runs beside other such patches to other chunks
        // (shared array lock + its chunks' locks); one that grows takes the array alone. Which
        // one this is, is guessed from the shape last seen, and checked under the lock.
        // The patch's far corner.
        let corner: Vec<u64> = offset
            .iter()
            .zip(&data.shape)
            .map(|(o, n)| o.saturating_add(*n))
            .collect();
        let fits = |shape: &[u64]| {
            shape.len() == offset.len()
                && data.shape.len() == offset.len()
                && corner.iter().zip(shape).all(|(c, s)| c <= s)
        };
        let hinted_fit = || self.last_shape(&key).is_some_and(|s| fits(&s));
        // A growing patch lets a farther one of this process go first (then it may fit).
        let registration =
            (extend && !hinted_fit()).then(|| self.in_flight.register(&key, corner.clone()));
        let job = |cur, new_shape| WriteJob {
            path,
            key: &key,
            cur,
            offset,
            data,
            body: body.clone(),
            new_shape,
            cause: Cause::Patch,
            redo: redo(),
        };
        loop {
            if let Some(reg) = &registration {
                self.in_flight.wait_for_farther(reg).await;
            }
            if !extend || hinted_fit() {
                let mut lock = self.state.lock_shared(&key).await?;
                let (cur, plan) = self.plan_current(path, &key, offset, data, extend).await?;
                if plan.new_shape == cur.info.shape {
                    Self::check_extendable(&cur.info)?;
                    let stripes = lockfile::box_stripes(
                        &cur.info.chunks,
                        offset,
                        &data.shape,
                        journal::CHUNK_STRIPES,
                    );
                    self.state.lock_stripes(&mut lock, &key, stripes).await?;
                    let out = self.write_locked(&job(&cur, &plan.new_shape)).await;
                    if out.is_err() {
                        self.forget(&key);
                    }
                    return out;
                }
            }
            let lock = self.state.lock(&key).await?;
            // A farther patch registered while this one waited for the lock: it goes first.
            if registration
                .as_ref()
                .is_some_and(|r| self.in_flight.dominated(r))
            {
                drop(lock);
                continue;
            }
            let (cur, plan) = self.plan_current(path, &key, offset, data, extend).await?;
            Self::check_extendable(&cur.info)?;
            let out = self.write_locked(&job(&cur, &plan.new_shape)).await;
            match &out {
                Ok(info) => {
                    let mut now = cur.clone();
                    now.info.shape = info.shape.clone();
                    // The server's chunk lists grew with the shape.
                    now.chunk_totals = info.shape.clone();
                    self.remember(&key, now);
                }
                Err(_) => self.forget(&key),
            }
            return out;
        }
    }

    /// Sends a write; the caller holds the array's lock and planned it against `job.cur`.
    async fn write_locked(&self, job: &WriteJob<'_>) -> Result<ArrayInfo> {
        let info = &job.cur.info;
        let path = job.path;
        let fill = scalar_bytes(info.dtype, &info.fill_value)?;
        let reqs = self.plan_requests(job, &fill);
        let url = self.url("array/full", &self.full(path));
        let what = if job.cause == Cause::Patch {
            format!("patching '{path}'")
        } else {
            format!("resizing '{path}'")
        };
        let mut answered: Option<Vec<u64>> = None;
        let patch = Region::new(job.offset.to_vec(), job.data.shape.clone());
        for (i, (b, extend)) in reqs.iter().enumerate() {
            let bytes: Bytes = match &job.body {
                Some(body) if *b == patch && !job.cur.big_endian => body.clone(),
                _ => {
                    let mut bytes = boxes::materialize(
                        b,
                        &fill,
                        job.offset,
                        &job.data.shape,
                        job.patch_bytes(),
                    );
                    if job.cur.big_endian {
                        structure::swap_bytes(&mut bytes, info.dtype.size());
                    }
                    bytes.into()
                }
            };
            let query = q(&[
                ("offset", join(&b.start)),
                ("shape", join(&b.shape)),
                ("extend", extend.to_string()),
            ]);
            match self
                .http
                .send(
                    Op::Write,
                    &what,
                    Method::PATCH,
                    &url,
                    &query,
                    Body::Bytes(bytes),
                )
                .await
            {
                Ok(answer) => answered = structure::shape_of_answer(&answer),
                Err(e) => {
                    let e = self.not_found(e, path);
                    return self.after_failed_write(job, i, reqs.len(), e).await;
                }
            }
        }
        let final_shape = match answered {
            Some(s) if s.len() == info.ndim() => s,
            _ if reqs.is_empty() => info.shape.clone(),
            // No usable shape in the answer: ask.
            _ => self.remote(path).await?.info.shape,
        };
        let planned = job.new_shape;
        if final_shape.iter().zip(planned).any(|(f, p)| f < p) {
            // Tiled never shrinks: an answer below the plan cannot be trusted.
            return Err(Error::io(format!(
                "{what}: the server reports shape {} after the write, smaller than the {} it must have; check with `extent show {path}` and `extent read {path}`",
                fmt_shape(&final_shape),
                fmt_shape(planned)
            )));
        }
        if planned != info.shape.as_slice() {
            self.journal(job.key, path, job.cause, Some(&info.shape), Some(planned))?;
        }
        if final_shape != planned {
            // Larger than planned: another client extended it meanwhile (extent only
            // serialises its own writes), or the stored array was larger than the catalog
            // (a Tiled bug). Both are the array's truth now; record them as observed.
            tracing::warn!(
                "{what}: the server reports shape {} where {} was planned",
                fmt_shape(&final_shape),
                fmt_shape(planned)
            );
            self.journal(
                job.key,
                path,
                Cause::Observed,
                Some(planned),
                Some(&final_shape),
            )?;
        }
        let mut out = info.clone();
        out.shape = final_shape;
        Ok(out)
    }

    /// After request `failed` of `total` failed: find out what the server was left with, and
    /// turn that into the error (or, when the write verifiably landed, into success).
    async fn after_failed_write(
        &self,
        job: &WriteJob<'_>,
        failed: usize,
        total: usize,
        err: Error,
    ) -> Result<ArrayInfo> {
        let path = job.path;
        let info = &job.cur.info;
        let old = &info.shape;
        let planned = job.new_shape;
        // A refusal (4xx) of the first request: the server changed nothing.
        if failed == 0 && err.kind != ErrorKind::Io {
            return Err(err);
        }
        let grows = planned != old.as_slice();
        if !grows {
            return Err(Error {
                kind: err.kind,
                message: format!(
                    "{}; the shape did not change, but part of the data may have been written: {}",
                    err.message, job.redo
                ),
            });
        }
        // With a non-zero fill value, the new region must get it before the data goes in again.
        let fill = scalar_bytes(info.dtype, &info.fill_value).unwrap_or_default();
        let repair = if fill.iter().all(|&b| b == 0) {
            job.redo.clone()
        } else {
            let value = match &info.fill_value {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            let cmds: Vec<String> = boxes::grown_region(old, planned)
                .iter()
                .map(|g| {
                    format!(
                        "`extent patch {path} --offset {} --shape {} --value {value}`",
                        join(&g.start),
                        join(&g.shape),
                    )
                })
                .collect();
            format!(
                "write the fill value into the new region ({}), then {}",
                cmds.join(", "),
                job.redo
            )
        };
        let now = match self.remote(path).await {
            Ok(r) => r.info.shape,
            Err(e2) => {
                return Err(Error::io(format!(
                    "{err}; extent could not check '{path}' afterwards ({e2}): it may have been \
                     grown to {} without all of its data. Check with `extent show {path}`, then {repair}",
                    fmt_shape(planned),
                )))
            }
        };
        if now.as_slice() == planned {
            self.journal_quietly(job.key, path, job.cause, Some(old), Some(&now));
            if total == 1 {
                // One request, and the shape is there: did the data land too (a lost answer)?
                let sel = Selection {
                    start: job.offset.to_vec(),
                    end: job
                        .offset
                        .iter()
                        .zip(&job.data.shape)
                        .map(|(o, s)| o + s)
                        .collect(),
                };
                let mut grown = job.cur.clone();
                grown.info.shape = now.clone();
                if let Ok(back) = self.read_box(path, &grown, &sel).await {
                    if back.bytes == job.patch_bytes() {
                        tracing::warn!(
                            "{err}; but '{path}' has the new shape and data: the write landed"
                        );
                        return Ok(grown.info);
                    }
                }
            }
            return Err(Error::io(format!(
                "{err}; '{path}' was grown to {} but its data may be incomplete (missing parts \
                 read as 0). Repair: {repair}",
                fmt_shape(planned),
            )));
        }
        if now == *old {
            // Tiled resizes its stored Zarr array before writing and updates its catalog last,
            // so a failed write can leave the storage larger than the catalog. A zero-size
            // in-bounds patch at the planned edge tells: it passes only if the storage is that
            // large, and then it publishes the storage's shape to the catalog.
            let url = self.url("array/full", &self.full(path));
            let n = old.len();
            let query = q(&[
                ("offset", join(planned)),
                ("shape", join(&vec![0; n])),
                ("extend", "false".into()),
            ]);
            let what = format!("checking '{path}'");
            return match self
                .http
                .send(
                    Op::Write,
                    &what,
                    Method::PATCH,
                    &url,
                    &query,
                    Body::Bytes(Bytes::new()),
                )
                .await
            {
                Ok(answer) => {
                    let s = structure::shape_of_answer(&answer).unwrap_or_else(|| planned.to_vec());
                    self.journal_quietly(job.key, path, Cause::Repair, Some(old), Some(&s));
                    Err(Error::io(format!(
                        "{err}; the server had grown its stored array to {} without updating its \
                         catalog (a Tiled bug); extent published that shape so both agree again, \
                         but the data is missing (reads as 0). Repair: {repair}",
                        fmt_shape(&s),
                    )))
                }
                Err(e2) if e2.kind == ErrorKind::OutOfBounds => Err(Error::io(format!(
                    "{err}; nothing changed: '{path}' still has shape {}. Try again when the \
                     server is healthy",
                    fmt_shape(old)
                ))),
                Err(e2) => Err(Error::io(format!(
                    "{err}; '{path}' still shows shape {}, but the server may have grown its \
                     stored array without its catalog (a Tiled bug) and extent could not check \
                     ({e2}). Repair: {repair}; then check with `extent show {path}`",
                    fmt_shape(old),
                ))),
            };
        }
        Err(Error::io(format!(
            "{err}; '{path}' now has shape {}, neither {} before nor the planned {}: another \
             client changed it meanwhile. Check with `extent show {path}`",
            fmt_shape(&now),
            fmt_shape(old),
            fmt_shape(planned)
        )))
    }

    /// Under the array's lock: appends an `observed` entry when the server's shape is not the
    /// last one recorded. Returns the whole history.
    async fn observe(
        &self,
        path: &str,
        key: &str,
        _lock: journal::WriteLock,
    ) -> Result<Vec<StructureChange>> {
        let mut entries = self.state.read(key)?;
        let last = entries.last().and_then(|e| e.new_shape.clone());
        let now = self.remote(path).await?.info.shape;
        if last.as_ref() != Some(&now) {
            let entry = StructureChange {
                time: now_rfc3339(),
                actor: actor(),
                cause: Cause::Observed,
                old_shape: last,
                new_shape: Some(now),
            };
            self.state.append(key, &self.label(path), &entry)?;
            entries.push(entry);
        }
        Ok(entries)
    }

    /// Journals on a path that already reports an error: a journal failure is logged, so it
    /// does not hide the diagnosis.
    fn journal_quietly(
        &self,
        key: &str,
        path: &str,
        cause: Cause,
        old: Option<&[u64]>,
        new: Option<&[u64]>,
    ) {
        if let Err(e) = self.journal(key, path, cause, old, new) {
            tracing::warn!("cannot record the change of '{path}' in the history: {e}");
        }
    }

    fn journal(
        &self,
        key: &str,
        path: &str,
        cause: Cause,
        old: Option<&[u64]>,
        new: Option<&[u64]>,
    ) -> Result<()> {
        let entry = StructureChange {
            time: now_rfc3339(),
            actor: actor(),
            cause,
            old_shape: old.map(|s| s.to_vec()),
            new_shape: new.map(|s| s.to_vec()),
        };
        self.state.append(key, &self.label(path), &entry)
    }

    /// Tiled cannot extend an array with a zero-length chunk axis (division by zero).
    fn check_extendable(info: &ArrayInfo) -> Result<()> {
        if info.chunks.contains(&0) {
            return Err(Error::unsupported(format!(
                "'{}' has a zero-length axis (shape {}), which Tiled 0.2.20 cannot write to or \
                 extend (a server bug); recreate it with at least one chunk along every axis",
                info.path,
                fmt_shape(&info.shape)
            )));
        }
        Ok(())
    }

    fn parse_page(&self, parent: &str, v: &Value) -> Result<ListPage> {
        let items = v["data"].as_array().ok_or_else(|| {
            Error::io(format!(
                "listing '{parent}': the server's answer has no list of nodes"
            ))
        })?;
        let mut entries = Vec::with_capacity(items.len());
        for item in items {
            let Some(id) = item["id"].as_str() else {
                continue;
            };
            let attrs = &item["attributes"];
            let path = if parent.is_empty() {
                id.to_string()
            } else {
                format!("{parent}/{id}")
            };
            match structure::family(attrs).0 {
                Family::Container => entries.push(NodeEntry {
                    path,
                    kind: NodeKind::Group,
                    shape: None,
                    dtype: None,
                }),
                Family::Array => {
                    let st = &attrs["structure"];
                    let shape: Option<Vec<u64>> = st["shape"]
                        .as_array()
                        .and_then(|a| a.iter().map(|x| x.as_u64()).collect());
                    let dtype = structure::parse_data_type(&st["data_type"]).map(|d| d.0);
                    entries.push(NodeEntry {
                        path,
                        kind: NodeKind::Array,
                        shape,
                        dtype,
                    });
                }
                // Tables, sparse and awkward nodes: not for extent.
                Family::Other => {}
            }
        }
        let total = v["meta"]["count"].as_u64();
        let next = v["links"]["next"].as_str().map(String::from);
        Ok((entries, items.len() as u64, total, next))
    }

    async fn search(&self, parent: &str, query: &[(String, String)]) -> Result<Value> {
        if !parent.is_empty() {
            validate_path(parent)?;
        }
        let url = self.url("search", &self.full(parent));
        let shown = if parent.is_empty() { "/" } else { parent };
        match self
            .http
            .get_json(&format!("listing '{shown}'"), &url, query)
            .await
        {
            Ok(v) => Ok(v),
            Err(e) if e.kind == ErrorKind::NotFound && !parent.is_empty() => {
                // Tiled answers 404 for an array too: say which it is.
                match self.attributes(parent).await {
                    Ok(a) if structure::family(&a).0 != Family::Container => Err(
                        Error::invalid_input(format!("'{parent}' is an array, not a group")),
                    ),
                    Ok(_) => Err(e),
                    Err(e2) => Err(e2),
                }
            }
            Err(e) if e.kind == ErrorKind::NotFound => Err(Error::not_found(format!(
                "the catalog path of {} does not exist on the server",
                self.describe()
            ))),
            Err(e) => Err(e),
        }
    }
}

/// Entries, number of raw items (before dropping non-array nodes), total, next link.
type ListPage = (Vec<NodeEntry>, u64, Option<u64>, Option<String>);

fn fields() -> Vec<(String, String)> {
    // `count` makes the server count exactly (otherwise past 100 children it estimates).
    q(&[
        ("fields", "structure_family".into()),
        ("fields", "structure".into()),
        ("fields", "count".into()),
    ])
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
        let mut query = q(&[
            ("page[offset]", offset.to_string()),
            ("page[limit]", limit.clamp(1, PAGE_LIMIT).to_string()),
        ]);
        query.extend(fields());
        let v = self.search(parent, &query).await?;
        let (entries, _, total, _) = self.parse_page(parent, &v)?;
        Ok(Page { entries, total })
    }

    /// Follows the server's `links.next` (a cursor), so nodes added meanwhile do not shift pages.
    async fn list(&self, parent: &str) -> Result<Vec<NodeEntry>> {
        let mut query = q(&[
            ("page[offset]", "0".into()),
            ("page[limit]", PAGE_LIMIT.to_string()),
        ]);
        let mut out = Vec::new();
        let mut seen = 0u64;
        loop {
            query.extend(fields());
            let v = self.search(parent, &query).await?;
            let (entries, raw, total, next) = self.parse_page(parent, &v)?;
            out.extend(entries);
            seen += raw;
            // The next link is the truth; the count only guards against a server looping.
            let Some(next) = next else { break };
            if raw == 0 {
                break;
            }
            if total.is_some_and(|t| seen > t + PAGE_LIMIT) {
                return Err(Error::io(format!(
                    "listing '{parent}': the server keeps sending pages past its own count"
                )));
            }
            let Ok(next) = Url::parse(&next) else {
                return Err(Error::io(format!(
                    "listing '{parent}': the server's next-page link is not a URL"
                )));
            };
            query = next
                .query_pairs()
                .filter(|(k, _)| k.starts_with("page["))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        }
        Ok(out)
    }

    async fn show(&self, path: &str) -> Result<ArrayInfo> {
        Ok(self.remote(path).await?.info)
    }

    async fn create(&self, req: &CreateRequest) -> Result<ArrayInfo> {
        req.validate()?;
        structure::check_creatable(&req.shape, &req.chunks)?;
        let path = req.path.as_str();
        let fill = scalar_bytes(req.dtype, &req.fill_value)?;
        let fill_json = element_json(req.dtype, &fill);
        self.ensure_groups(path).await?;
        let key = self.key(path);
        let _lock = self.state.lock(&key).await?;
        let full = self.full(path);
        let (name, parent) = full
            .split_last()
            .ok_or_else(|| Error::invalid_input("the path is empty"))?;
        let metadata = structure::metadata_with_extent(&req.metadata, &req.resizable, &fill_json);
        let body = structure::create_body(name, &req.shape, &req.chunks, req.dtype, metadata);
        let url = self.url("metadata", parent);
        self.http
            .send(
                Op::Create,
                &format!("creating '{path}'"),
                Method::POST,
                &url,
                &[],
                Body::Json(body),
            )
            .await
            .map_err(|e| match e.kind {
                ErrorKind::AlreadyExists => Error::already_exists(format!(
                    "'{path}' already exists; choose another path or delete it first"
                )),
                _ => e,
            })?;
        let info = ArrayInfo {
            path: path.to_string(),
            shape: req.shape.clone(),
            chunks: req.chunks.clone(),
            dtype: req.dtype,
            resizable: req.resizable.clone(),
            fill_value: fill_json,
            metadata: req.metadata.clone(),
        };
        // The server starts with zeros: write the data, or a non-zero fill value.
        if req.data.is_some() || fill.iter().any(|&b| b != 0) {
            if let Err(e) = self
                .write_initial(path, &info, &fill, req.data.as_ref())
                .await
            {
                let q = q(&[("external_only", "false".into())]);
                let url = self.url("metadata", &full);
                let undo = self
                    .http
                    .send(Op::Delete, "undoing", Method::DELETE, &url, &q, Body::None)
                    .await;
                return Err(match undo {
                    Ok(_) => e.context(format!("creating '{path}' failed and was undone")),
                    Err(u) => Error::io(format!(
                        "creating '{path}' failed ({e}) and removing the half-made array also \
                         failed ({u}); delete it with `extent rm {path}`"
                    )),
                });
            }
        }
        // A journal left by an earlier array of the same name is not this one's.
        self.forget(&key);
        self.state.reset(&key)?;
        self.journal(&key, path, Cause::Create, None, Some(&req.shape))?;
        // What `show` would say, without asking again (creating many arrays is slow enough).
        Ok(ArrayInfo {
            metadata: structure::split_metadata(&req.metadata).0,
            ..info
        })
    }

    async fn read(&self, path: &str, selection: Option<&Selection>) -> Result<ArrayData> {
        let r = self.remote(path).await?;
        let sel = selection
            .cloned()
            .unwrap_or_else(|| Selection::all(&r.info.shape));
        self.read_box(path, &r, &sel).await
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
        // The bytes become the request body as they are; what is left describes the patch.
        let ArrayData {
            dtype,
            shape,
            bytes,
        } = data;
        let described = ArrayData {
            dtype,
            shape,
            bytes: Vec::new(),
        };
        self.patch_with(path, offset, &described, Some(Bytes::from(bytes)), extend)
            .await
    }

    async fn resize(&self, path: &str, shape: &[u64], cause: Cause) -> Result<ArrayInfo> {
        let shrink_error = |info: &ArrayInfo| -> Result<()> {
            if info.shape.iter().zip(shape).any(|(o, n)| n < o) {
                return Err(Error::unsupported(format!(
                    "cannot shrink '{path}' from {} to {}: Tiled servers cannot shrink arrays. \
                     To keep a part, copy it: `extent read {path} --slice .. --out part.npy`, \
                     then create a new array `--from part.npy`",
                    fmt_shape(&info.shape),
                    fmt_shape(shape)
                )));
            }
            Ok(())
        };
        let first = self.remote(path).await?;
        plan_resize(&first.info, shape)?;
        shrink_error(&first.info)?;
        if first.info.shape == shape {
            return Ok(first.info);
        }
        Self::check_extendable(&first.info)?;
        let key = self.key(path);
        let _lock = self.state.lock(&key).await?;
        let cur = self.remote(path).await?;
        plan_resize(&cur.info, shape)?;
        shrink_error(&cur.info)?;
        if cur.info.shape == shape {
            return Ok(cur.info);
        }
        // A zero-size patch whose far corner is the new shape grows the array.
        let empty = ArrayData::new(cur.info.dtype, vec![0; shape.len()], Vec::new())?;
        let job = WriteJob {
            path,
            key: &key,
            cur: &cur,
            offset: shape,
            data: &empty,
            body: None,
            new_shape: shape,
            cause,
            redo: format!("run `extent resize {path} --shape {}` again", join(shape)),
        };
        self.write_locked(&job).await
    }

    async fn delete(&self, path: &str) -> Result<()> {
        if path.is_empty() {
            return Err(Error::invalid_input("refusing to delete the store's root"));
        }
        validate_path(path)?;
        let attrs = self.attributes(path).await?;
        let family = structure::family(&attrs).0;
        let key = self.key(path);
        let _lock = match family {
            Family::Array => Some(self.state.lock(&key).await?),
            _ => None,
        };
        let mut query = q(&[("external_only", "false".into())]);
        if family == Family::Container {
            query.push(("recursive".into(), "true".into()));
        }
        let url = self.url("metadata", &self.full(path));
        self.http
            .send(
                Op::Delete,
                &format!("deleting '{path}'"),
                Method::DELETE,
                &url,
                &query,
                Body::None,
            )
            .await
            .map_err(|e| self.not_found(e, path))?;
        if family == Family::Array {
            // The history goes with the array, as in a local store.
            self.forget(&key);
            self.state.reset(&key)?;
        } else {
            self.groups
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        }
        Ok(())
    }

    /// extent's journal, plus an `observed` entry when the server's shape differs from the
    /// last one recorded (another client changed it).
    async fn history(&self, path: &str) -> Result<Vec<StructureChange>> {
        let r = self.remote(path).await?;
        let key = self.key(path);
        let entries = self.state.read(&key)?;
        let last = entries.last().and_then(|e| e.new_shape.clone());
        if last.as_ref() == Some(&r.info.shape) {
            return Ok(entries);
        }
        // If a writer holds the lock, its change is in flight: report what is recorded.
        match self.state.try_lock(&key) {
            Some(lock) => self.observe(path, &key, lock).await,
            None => Ok(entries),
        }
    }

    /// Reads only: the catalog's own consistency, and whether the shape changed outside
    /// extent since the last recorded change.
    async fn watch(&self, path: &str) -> Result<crate::backend::WatchReceiver> {
        let path = crate::backend::normalize_path(path);
        crate::backend::validate_path(&path)?;
        let (http, api_base, api_key) = self.http.watch_parts();
        Ok(crate::backend::tiled_watch::spawn(
            crate::backend::tiled_watch::TiledWatchTarget {
                http,
                api_base,
                server_path: self.full(&path).join("/"),
                path,
                api_key,
            },
        ))
    }

    async fn check(&self, path: &str) -> Result<Vec<Finding>> {
        if path.is_empty() {
            return Ok(Vec::new());
        }
        validate_path(path)?;
        let attrs = self.attributes(path).await?;
        if structure::family(&attrs).0 != Family::Array {
            return Ok(Vec::new());
        }
        let r = structure::remote_from_attributes(path, &attrs)?;
        let info = &r.info;
        let finding = |code: &str, message: String, repair: Option<&str>| Finding {
            path: path.to_string(),
            code: code.into(),
            message,
            repair: repair.map(String::from),
            repaired: false,
        };
        let mut out = Vec::new();
        if r.chunk_totals != info.shape {
            out.push(finding(
                "chunk_list_mismatch",
                format!(
                    "the server's chunk lists cover {} but the shape is {}: the catalog is \
                     inconsistent (a Tiled bug); copy the data to a new array",
                    fmt_shape(&r.chunk_totals),
                    fmt_shape(&info.shape)
                ),
                None,
            ));
        }
        if info.chunks.contains(&0) {
            out.push(finding(
                "zero_length_axis",
                format!(
                    "shape {} has a zero-length axis, which Tiled 0.2.20 cannot extend; \
                     recreate the array with at least one chunk along every axis",
                    fmt_shape(&info.shape)
                ),
                None,
            ));
        }
        let entries = self.state.read(&self.key(path))?;
        if let Some(last) = entries.last() {
            if last.new_shape.as_ref() != Some(&info.shape) {
                out.push(finding(
                    "journal_behind",
                    format!(
                        "the history ends at shape {} but the server has {}: another client \
                         changed it",
                        last.new_shape
                            .as_deref()
                            .map(fmt_shape)
                            .unwrap_or_else(|| "(deleted)".into()),
                        fmt_shape(&info.shape)
                    ),
                    Some("record the change in extent's history (cause: observed)"),
                ));
            }
        }
        Ok(out)
    }

    async fn repair(&self, path: &str) -> Result<Vec<Finding>> {
        let mut found = self.check(path).await?;
        for f in &mut found {
            if f.code == "journal_behind" {
                let key = self.key(path);
                let lock = self.state.lock(&key).await?;
                self.observe(path, &key, lock).await?;
                f.repaired = true;
            }
        }
        Ok(found)
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
    fn store_urls() {
        let (r, p) = parse_store_url("http://127.0.0.1:8000").unwrap();
        assert_eq!((r.as_str(), p.len()), ("http://127.0.0.1:8000/", 0));
        let (r, p) = parse_store_url("http://h:1/some/node/").unwrap();
        assert_eq!(r.as_str(), "http://h:1/");
        assert_eq!(p, vec!["some", "node"]);
        let (r, p) = parse_store_url("https://h/tiled/api/v1/a%20b?x=1").unwrap();
        assert_eq!(r.as_str(), "https://h/tiled/");
        assert_eq!(p, vec!["a b"]);
        assert!(parse_store_url("ftp://h/").is_err());
        assert!(parse_store_url("not a url").is_err());
        let e = parse_store_url("ftp://user:secret@h/").unwrap_err();
        assert!(!e.message.contains("secret"), "{}", e.message);
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }

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
