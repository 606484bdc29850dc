//! `extent watch GROUP`: on a store that announces new nodes (Tiled), a ready line once the
//! group is followed, then one line per child made in it.

use serde::Serialize;

use crate::backend::{now_rfc3339, ChildNews, ChildReceiver, Error, NodeEntry, Result};

use super::watch::{Args, TIMEOUT_EXIT};
use super::Output;

/// The first line: the group is followed, so every child made from now on will be reported.
#[derive(Debug, Serialize)]
struct Ready<'a> {
    event: &'static str,
    time: String,
    path: &'a str,
    kind: &'static str,
    state: &'static str,
}

/// One child made in the group.
#[derive(Debug, Serialize)]
struct ChildCreated<'a> {
    time: String,
    sequence: u64,
    event: &'static str,
    #[serde(flatten)]
    child: &'a NodeEntry,
}

/// Follows `path`'s children until `--count` of them came or `--timeout` passed.
pub async fn run(
    mut rx: ChildReceiver,
    path: &str,
    args: &Args,
    deadline: Option<tokio::time::Instant>,
    out: &Output,
) -> Result<i32> {
    let mut ready = false;
    let mut seen = 0u64;
    loop {
        if args.count.is_some_and(|n| seen >= n) {
            return Ok(0);
        }
        let news = match deadline {
            Some(d) => match tokio::time::timeout_at(d, rx.recv()).await {
                Ok(news) => news,
                Err(_) => {
                    if let Some(n) = args.count {
                        eprintln!("watch: timed out after {seen} of {n} new nodes");
                        return Ok(TIMEOUT_EXIT);
                    }
                    return Ok(0);
                }
            },
            None => rx.recv().await,
        };
        let Some(news) = news else {
            return Err(Error::io(format!(
                "the server stopped announcing new nodes in '{path}' (its stream was refused or \
                 lost for good)"
            )));
        };
        match news {
            ChildNews::Following if !ready => {
                ready = true;
                let line = Ready {
                    event: "ready",
                    time: now_rfc3339(),
                    path,
                    kind: "group",
                    state: "live",
                };
                let shown = if path.is_empty() { "/" } else { path };
                out.emit(&line, || {
                    format!("watching {shown}/  new nodes  live  (Ctrl-C to stop)")
                });
            }
            ChildNews::Following => {
                if !out.json {
                    eprintln!("-- live");
                }
            }
            ChildNews::Lost => {
                if !out.json {
                    eprintln!("-- reconnecting");
                }
            }
            ChildNews::Created(child) => {
                seen += 1;
                let line = ChildCreated {
                    time: now_rfc3339(),
                    sequence: seen,
                    event: "created",
                    child: &child,
                };
                out.emit(&line, || {
                    format!(
                        "{}  #{:<5} created  {}  {}",
                        line.time,
                        line.sequence,
                        child.path,
                        child.kind.name()
                    )
                });
            }
        }
    }
}
