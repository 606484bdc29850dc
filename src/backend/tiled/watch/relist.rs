//! A container's children, newest first (`sort=-`: the catalog's insertion order reversed),
//! down to the first child the follower knew: what was made while its stream was down.

use std::collections::HashSet;

use reqwest::Url;
use serde_json::Value;

use super::super::http::Http;
use super::super::kinds;
use super::super::url::q;
use super::children::child_path;
use crate::backend::{Error, NodeEntry, Result};

/// Children per page.
const PAGE: u64 = 100;
/// Pages read at most while looking for a child the follower knew (the rest is older).
const PAGES: usize = 10;

/// What a listing found.
pub(super) struct Relisted {
    /// Children newer than every known one, oldest first (as they were made). Empty when
    /// nothing was known yet: then nothing is news.
    pub fresh: Vec<NodeEntry>,
    /// Paths of the other children read (they exist).
    pub seen: Vec<String>,
}

fn query() -> Vec<(String, String)> {
    q(&[
        ("sort", "-".into()),
        ("fields", "structure_family".into()),
        ("fields", "structure".into()),
        ("fields", "specs".into()),
    ])
}

/// Lists `parent`'s children at `search_url`, newest first. With `announce`, reads until a
/// child in `known` (at most a few pages) and returns the newer ones as fresh; without, reads
/// one page to learn what exists.
pub(super) async fn relist(
    http: &Http,
    search_url: &Url,
    parent: &str,
    known: &HashSet<String>,
    announce: bool,
) -> Result<Relisted> {
    let shown = if parent.is_empty() { "/" } else { parent };
    let what = format!("listing '{shown}' after a reconnect");
    let mut params = q(&[
        ("page[offset]", "0".into()),
        ("page[limit]", PAGE.to_string()),
    ]);
    let mut fresh = Vec::new();
    let mut seen = Vec::new();
    let mut reached_known = !announce;
    for _ in 0..PAGES {
        params.extend(query());
        let v = http.get_json(&what, search_url, &params).await?;
        let items = v["data"]
            .as_array()
            .ok_or_else(|| Error::io(format!("{what}: the answer has no list of nodes")))?;
        for (path, attrs) in items.iter().filter_map(|item| child(parent, item)) {
            if !reached_known && known.contains(&path) {
                reached_known = true;
            }
            if reached_known {
                seen.push(path);
            } else {
                fresh.push(kinds::entry(path, attrs));
            }
        }
        if reached_known {
            break;
        }
        let Some(next) = v["links"]["next"].as_str().and_then(|n| Url::parse(n).ok()) else {
            break;
        };
        if items.is_empty() {
            break;
        }
        params = next
            .query_pairs()
            .filter(|(k, _)| k.starts_with("page["))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    }
    if !reached_known && !known.is_empty() {
        tracing::info!(
            parent,
            fresh = fresh.len(),
            "no child known before the reconnect found in the newest ones; all announced"
        );
    }
    fresh.reverse();
    Ok(Relisted { fresh, seen })
}

/// One listed child: its path and attributes; None for an item without a usable name.
fn child<'a>(parent: &str, item: &'a Value) -> Option<(String, &'a Value)> {
    let path = child_path(parent, item["id"].as_str()?)?;
    Some((path, &item["attributes"]))
}
