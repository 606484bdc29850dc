//! The HTTP side: one reqwest client, URL building, bounded bodies, retries for idempotent
//! requests, and the mapping of every server answer to a typed [`Error`].
//!
//! Secrets: the API key lives only in a sensitive default header and in a [`Secret`] (exposed
//! only in this file: for the headers and for redaction); every message that may carry
//! server or transport text goes through [`Http::redact`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_NONE_MATCH, RETRY_AFTER,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request as WsRequest;

mod answer;

use crate::backend::{Error, Repair, Result, Secret};
use answer::{e_without_url, parse_json, read_limited, server_detail, BodyError, BodyErrorKind};

/// Largest JSON answer accepted.
pub(super) const MAX_JSON: u64 = 64 << 20;
/// Largest error body read for its message.
const MAX_ERROR_BODY: u64 = 64 << 10;
const BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait a server's `Retry-After` gets before a read is tried again.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The `Authorization` header value that carries the key, marked sensitive (so it is left out
/// of any header dump).
fn key_header(key: &Secret) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(&format!("Apikey {}", key.expose()))
        .map_err(|_| Error::invalid_input("the API key contains characters that cannot be sent"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// The answer to a conditional GET.
#[derive(Debug)]
pub(super) enum Fetched {
    /// 304: the document has the ETag that was sent.
    Unchanged,
    /// The document, with its ETag when the server sent one.
    Changed { body: Value, etag: Option<String> },
}

/// What a request does, so a status maps to the right error kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Read,
    Create,
    Write,
    Delete,
}

/// Cheap to clone: the client is shared.
#[derive(Clone)]
pub(super) struct Http {
    client: reqwest::Client,
    /// The server's root (scheme, user-info if any, host, port, mount path), ending in `/`.
    root: Url,
    /// `root` without user-info, for messages and keys.
    shown: String,
    key: Option<Secret>,
    /// Retries of an idempotent request (so up to 1 + retries attempts).
    retries: u32,
    /// Requests sent, shared by the clones.
    sent: Arc<AtomicU64>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("root", &self.shown)
            .field("api_key", &self.key)
            .finish()
    }
}

/// The URL without user-info (and without query or fragment), for people.
pub(super) fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

impl Http {
    pub fn new(
        root: Url,
        key: Option<Secret>,
        connect_timeout: Duration,
        timeout: Duration,
        retries: u32,
    ) -> Result<Http> {
        let mut headers = HeaderMap::new();
        if let Some(k) = &key {
            headers.insert(AUTHORIZATION, key_header(k)?);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .user_agent(concat!("extent/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::io("cannot set up the HTTP client").with_source(e))?;
        let shown = redact_url(&root);
        Ok(Http {
            client,
            root,
            shown,
            key,
            retries,
            sent: Arc::default(),
        })
    }

    /// Requests sent so far by this client and its clones.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// The websocket handshake for `url` (`ws://`), with the key as every request carries it.
    pub fn ws_request(&self, url: &Url) -> Result<WsRequest> {
        let mut req = url.as_str().into_client_request().map_err(|e| {
            // The handshake's errors name no URL or key: the cause can be kept as it is.
            Error::invalid_input(format!("cannot open a stream from {}", redact_url(url)))
                .with_source(e)
        })?;
        if let Some(k) = &self.key {
            req.headers_mut().insert(AUTHORIZATION, key_header(k)?);
        }
        Ok(req)
    }

    /// The server root for people (no user-info).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `{root}api/v1/{route}/{path...}`, each segment percent-encoded. An empty path gives a
    /// trailing slash (Tiled's spelling of the catalog root).
    pub fn url(&self, route: &str, path: &[&str]) -> Url {
        let mut u = self.root.clone();
        if let Ok(mut segs) = u.path_segments_mut() {
            segs.pop_if_empty()
                .push("api")
                .push("v1")
                .extend(route.split('/'));
            if path.is_empty() {
                segs.push("");
            } else {
                segs.extend(path);
            }
        }
        u
    }

    /// Removes the key (and anything that looks like user-info of the root) from a message.
    pub fn redact(&self, text: &str) -> String {
        let mut s = text.to_string();
        if let Some(k) = &self.key {
            if !k.expose().is_empty() {
                s = s.replace(k.expose(), "***");
            }
        }
        if let Some(pw) = self.root.password() {
            if !pw.is_empty() {
                s = s.replace(pw, "***");
            }
        }
        s
    }

    fn transport_error(&self, what: &str, e: reqwest::Error) -> Error {
        let why = if e.is_timeout() {
            "no answer in time".to_string()
        } else if e.is_connect() {
            "cannot connect (is the server running?)".to_string()
        } else {
            e_without_url(&e)
        };
        // The cause is kept without its URL: the URL is ours, shown redacted in the message.
        Error::io(self.redact(&format!(
            "{what}: the Tiled server at {} failed: {why}",
            self.shown
        )))
        .with_source(e.without_url())
    }

    /// The error for a non-success answer.
    pub fn status_error(&self, op: Op, what: &str, status: StatusCode, body: &[u8]) -> Error {
        let detail = self.redact(&server_detail(body));
        let code = status.as_u16();
        let with = |s: &str| {
            if detail.is_empty() {
                format!("{what}: {s}")
            } else {
                format!("{what}: {s}: {detail}")
            }
        };
        match code {
            401 => Error::auth(if self.key.is_some() {
                format!(
                    "{what}: the Tiled server at {} refused the API key (401)",
                    self.shown
                )
            } else {
                format!(
                    "{what}: the Tiled server at {} needs an API key (401)",
                    self.shown
                )
            })
            .with_repair(Repair::ApiKey {
                refused: self.key.is_some(),
            }),
            403 => Error::auth(with(&format!(
                "the API key is not allowed to do this on {} (403)",
                self.shown
            ))),
            404 => Error::not_found(with("not found (404)")),
            409 => match op {
                Op::Write => {
                    Error::out_of_bounds(with("refused by the server (409); nothing was written"))
                }
                Op::Create => Error::already_exists(with("already exists (409)")),
                Op::Delete => Error::conflict(with("refused by the server (409)")),
                Op::Read => Error::conflict(with("conflict (409)")),
            },
            422 | 400 => {
                Error::invalid_input(with(&format!("the server refused the request ({code})")))
            }
            413 => Error::invalid_input(with("the request is too large for the server (413)")),
            500..=599 => Error::io(with(&format!("the Tiled server failed ({code})"))),
            _ => Error::io(with(&format!("unexpected answer {code} from the server"))),
        }
    }

    /// Sends once; a status other than success (or 304, which only a conditional request
    /// can get) becomes an error.
    async fn send_once(&self, op: Op, what: &str, req: RequestBuilder) -> Result<Response> {
        self.count();
        let resp = req
            .send()
            .await
            .map_err(|e| self.transport_error(what, e))?;
        let status = resp.status();
        tracing::debug!(status = status.as_u16(), "{what}");
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(resp);
        }
        let body = read_limited(resp, MAX_ERROR_BODY, true)
            .await
            .unwrap_or_default();
        Err(self.status_error(op, what, status, &body))
    }

    /// GET with retries (transport failures and 5xx/429, after the server's `Retry-After`
    /// when it gives one), reading the body within `limit` bytes; a 503 with `Retry-After`
    /// still there after the retries is `not_ready`. `exact`: the body must have exactly `limit` bytes.
    async fn get_body(
        &self,
        what: &str,
        url: &Url,
        query: &[(String, String)],
        accept: &'static str,
        limit: u64,
        exact: bool,
    ) -> Result<Vec<u8>> {
        let mut attempt = 0;
        loop {
            let mut wait = None;
            let req = self
                .client
                .get(url.clone())
                .query(query)
                .header(ACCEPT, accept);
            self.count();
            let result = match req.send().await {
                Err(e) => Err((true, self.transport_error(what, e))),
                Ok(resp) => {
                    let status = resp.status();
                    tracing::debug!(status = status.as_u16(), "{what}");
                    if status.is_success() {
                        // Over the limit is refused, never cut: a cut JSON answer or array
                        // body must not be mistaken for a whole one.
                        read_limited(resp, limit, false)
                            .await
                            .map_err(|e| (e.retry, self.body_error(what, e, limit, exact)))
                    } else {
                        wait = retry_after(&resp);
                        let body = read_limited(resp, MAX_ERROR_BODY, true)
                            .await
                            .unwrap_or_default();
                        let retry = status.is_server_error() || status.as_u16() == 429;
                        let mut e = self.status_error(Op::Read, what, status, &body);
                        if status == StatusCode::SERVICE_UNAVAILABLE && wait.is_some() {
                            // The catalog is ahead of the data (a file still being written).
                            e = Error::not_ready(format!(
                                "{what}: the server has no data for it yet (503, retried {} \
                                 times); try again later: {}",
                                self.retries,
                                self.redact(&server_detail(&body))
                            ));
                        }
                        Err((retry, e))
                    }
                }
            };
            match result {
                Ok(body) if exact && body.len() as u64 != limit => {
                    return Err(Error::io(format!(
                        "{what}: the server sent {} bytes where the array's structure says {limit}",
                        body.len()
                    )))
                }
                Ok(body) => return Ok(body),
                Err((true, e)) if attempt < self.retries => {
                    tracing::debug!("{what}: retrying after: {}", e.chain());
                    let backoff = BACKOFF * 2u32.pow(attempt.min(6));
                    tokio::time::sleep(wait.take().unwrap_or(backoff)).await;
                    attempt += 1;
                }
                Err((_, e)) => return Err(e),
            }
        }
    }

    fn body_error(&self, what: &str, e: BodyError, limit: u64, exact: bool) -> Error {
        match e.kind {
            BodyErrorKind::TooLarge(n) if exact => Error::io(format!(
                "{what}: the server sent {} bytes where the array's structure says {limit}",
                n.map(|n| n.to_string()).unwrap_or_else(|| "more".into())
            )),
            BodyErrorKind::TooLarge(_) => Error::io(format!(
                "{what}: the server's answer is larger than {} MiB; refused",
                limit >> 20
            )),
            BodyErrorKind::Transport(t) => self.transport_error(what, t),
        }
    }

    /// GET a JSON document (retried).
    pub async fn get_json(
        &self,
        what: &str,
        url: &Url,
        query: &[(String, String)],
    ) -> Result<Value> {
        let body = self
            .get_body(what, url, query, "application/json", MAX_JSON, false)
            .await?;
        parse_json(what, &body)
    }

    /// GET raw array bytes (retried); the body must be exactly `expected` bytes.
    pub async fn get_bytes(
        &self,
        what: &str,
        url: &Url,
        query: &[(String, String)],
        expected: u64,
    ) -> Result<Vec<u8>> {
        self.get_body(what, url, query, "application/octet-stream", expected, true)
            .await
    }

    /// GET a JSON document once within `timeout`, with `If-None-Match: etag` when one is
    /// given. For following a node: the caller has its own schedule of retries.
    pub async fn get_json_if_changed(
        &self,
        what: &str,
        url: &Url,
        etag: Option<&str>,
        timeout: Duration,
    ) -> Result<Fetched> {
        let mut req = self
            .client
            .get(url.clone())
            .timeout(timeout)
            .header(ACCEPT, "application/json");
        // A tag that is not a valid header value cannot have come from the server: skip it.
        if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
            req = req.header(IF_NONE_MATCH, tag);
        }
        let resp = self.send_once(Op::Read, what, req).await?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::Unchanged);
        }
        let etag = resp
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = read_limited(resp, MAX_JSON, false)
            .await
            .map_err(|e| self.body_error(what, e, MAX_JSON, false))?;
        Ok(Fetched::Changed {
            body: parse_json(what, &body)?,
            etag,
        })
    }

    /// A request that changes something: sent once, never retried (it may have landed).
    /// Returns the JSON answer (`Null` when the body is empty).
    pub async fn send(
        &self,
        op: Op,
        what: &str,
        method: Method,
        url: &Url,
        query: &[(String, String)],
        body: Body,
    ) -> Result<Value> {
        let mut req = self
            .client
            .request(method, url.clone())
            .query(query)
            .header(ACCEPT, "application/json");
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Bytes(b) => req.header(CONTENT_TYPE, "application/octet-stream").body(b),
        };
        let resp = self.send_once(op, what, req).await?;
        let body = read_limited(resp, MAX_JSON, true)
            .await
            .map_err(|e| self.body_error(what, e, MAX_JSON, false))?;
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Value::Null);
        }
        parse_json(what, &body)
    }
}

/// The delay a `Retry-After: SECONDS` header asks for, at most `MAX_RETRY_AFTER` (an HTTP
/// date is not honoured: the backoff applies).
fn retry_after(resp: &Response) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

pub(super) enum Body {
    None,
    Json(Value),
    /// Sent as it is (shared, not copied).
    Bytes(bytes::Bytes),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client of `root` holding the key `KEY123`.
    fn with_key(root: &str) -> Http {
        let root = Url::parse(root).unwrap();
        let t = Duration::from_secs(1);
        Http::new(root, Some("KEY123".into()), t, t, 0).unwrap()
    }

    #[test]
    fn urls_and_secrets() {
        let h = with_key("http://u:pw@h:1/mount/");
        assert_eq!(h.shown(), "http://h:1/mount/");
        assert_eq!(
            h.url("metadata", &["a b", "c"]).as_str(),
            "http://u:pw@h:1/mount/api/v1/metadata/a%20b/c"
        );
        assert_eq!(
            h.url("search", &[]).as_str(),
            "http://u:pw@h:1/mount/api/v1/search/"
        );
        assert_eq!(h.redact("x KEY123 pw y"), "x *** *** y");
        let dbg = format!("{h:?}");
        assert!(!dbg.contains("KEY123") && !dbg.contains("pw"), "{dbg}");
        let e = h.status_error(Op::Read, "reading 'a'", StatusCode::UNAUTHORIZED, b"KEY123");
        assert_eq!(e.kind, crate::backend::ErrorKind::Auth);
        assert!(!e.message.contains("KEY123"));
        let e = h.status_error(
            Op::Write,
            "w",
            StatusCode::CONFLICT,
            br#"{"detail":"KEY123"}"#,
        );
        assert_eq!(e.kind, crate::backend::ErrorKind::OutOfBounds);
        assert!(!e.message.contains("KEY123"));
    }

    #[test]
    fn the_websocket_handshake_carries_the_key_unshown() {
        let h = with_key("http://h:1/");
        let mut u = h.url("stream/single", &["a b"]);
        u.set_scheme("ws").unwrap();
        let req = h.ws_request(&u).unwrap();
        assert_eq!(req.uri().to_string(), "ws://h:1/api/v1/stream/single/a%20b");
        let v = &req.headers()[AUTHORIZATION];
        assert!(v.is_sensitive());
        assert_eq!(v.to_str().unwrap(), "Apikey KEY123");
        assert_eq!(format!("{h:?}").matches("KEY123").count(), 0);
    }
}
