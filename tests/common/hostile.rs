//! A hostile HTTP server on a real socket: each request gets whatever raw bytes the test's
//! route function chooses (no HTTP library on this side, so the answers can be as broken as
//! a real broken server or proxy makes them).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with one request.
pub enum Reply {
    /// These bytes, then the connection is closed.
    Raw(Vec<u8>),
    /// Waits, then answers.
    Slow(Duration, Vec<u8>),
    /// This head, then body bytes for as long as the client reads them.
    Endless(Vec<u8>),
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

pub type Route = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct Hostile {
    pub addr: SocketAddr,
    /// Body bytes written by `Endless` answers (across all requests).
    pub streamed: Arc<AtomicU64>,
    /// Every request received.
    pub seen: Arc<std::sync::Mutex<Vec<Request>>>,
}

impl Hostile {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn streamed(&self) -> u64 {
        self.streamed.load(Ordering::Relaxed)
    }
}

/// A well-formed answer with a correct content-length.
pub fn ok(content_type: &str, body: &[u8]) -> Reply {
    status(200, "OK", content_type, body)
}

pub fn status(code: u16, reason: &str, content_type: &str, body: &[u8]) -> Reply {
    let mut v = format!(
        "HTTP/1.1 {code} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    Reply::Raw(v)
}

/// Starts the server on a free port of 127.0.0.1 (in the current tokio runtime).
pub async fn serve(route: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Hostile {
    let route: Arc<Route> = Arc::new(route);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let streamed = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (s2, seen2) = (streamed.clone(), seen.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (route, streamed, seen) = (route.clone(), s2.clone(), seen2.clone());
            tokio::spawn(async move {
                let Some(req) = read_request(&mut sock).await else {
                    return;
                };
                seen.lock().unwrap().push(req.clone());
                match route(&req) {
                    Reply::Raw(b) => {
                        let _ = sock.write_all(&b).await;
                    }
                    Reply::Slow(d, b) => {
                        tokio::time::sleep(d).await;
                        let _ = sock.write_all(&b).await;
                    }
                    Reply::Endless(head) => {
                        if sock.write_all(&head).await.is_err() {
                            return;
                        }
                        let block = vec![b' '; 64 << 10];
                        while sock.write_all(&block).await.is_ok() {
                            streamed.fetch_add(block.len() as u64, Ordering::Relaxed);
                        }
                    }
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    Hostile {
        addr,
        streamed,
        seen,
    }
}

/// Reads the request head and its body (by content-length), so a reply is never cut short
/// by unread request bytes.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < len {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => have += n,
        }
    }
    let mut words = head.split_whitespace();
    Some(Request {
        method: words.next().unwrap_or("").to_string(),
        target: words.next().unwrap_or("/").to_string(),
    })
}
