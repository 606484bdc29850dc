//! Listing a group: pages of children of every kind, the whole list by following the
//! server's cursor, and the same filtered by a search the server runs (Tiled's query API).

use reqwest::Url;
use serde_json::Value;

use super::kinds;
use super::structure::{self, Family};
use super::url::q;
use super::TiledBackend;
use crate::backend::{validate_path, Backend, Error, ErrorKind, NodeEntry, Page, Query, Result};

/// Largest page the server accepts.
const PAGE_LIMIT: u64 = 300;

/// Entries, number of items, total, next link.
type ListPage = (Vec<NodeEntry>, u64, Option<u64>, Option<String>);

fn fields() -> Vec<(String, String)> {
    // `count` makes the server count exactly (otherwise past 100 children it estimates).
    q(&[
        ("fields", "structure_family".into()),
        ("fields", "structure".into()),
        ("fields", "count".into()),
        ("fields", "specs".into()),
    ])
}

/// Tiled's query parameters: `filter[NAME][condition][FIELD]`, repeated for several queries
/// of one name (the server pairs them up in order); equality values are JSON.
fn filters(query: &Query) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(text) = &query.text {
        out.push(("filter[fulltext][condition][text]".into(), text.clone()));
    }
    for (key, value) in &query.equal {
        out.push(("filter[eq][condition][key]".into(), key.clone()));
        out.push(("filter[eq][condition][value]".into(), value.to_string()));
    }
    out
}

impl TiledBackend {
    /// One page of `parent`'s children.
    pub(super) async fn page_of(&self, parent: &str, offset: u64, limit: u64) -> Result<Page> {
        self.search_page_of(parent, &Query::default(), offset, limit)
            .await
    }

    /// One page of `parent`'s children that match `search` (the server filters).
    pub(super) async fn search_page_of(
        &self,
        parent: &str,
        search: &Query,
        offset: u64,
        limit: u64,
    ) -> Result<Page> {
        let mut query = q(&[
            ("page[offset]", offset.to_string()),
            ("page[limit]", limit.clamp(1, PAGE_LIMIT).to_string()),
        ]);
        query.extend(fields());
        query.extend(filters(search));
        let v = self.search(parent, &query).await?;
        let (entries, _, total, _) = self.parse_page(parent, &v)?;
        Ok(Page { entries, total })
    }

    /// Follows the server's `links.next` (a cursor), so nodes added meanwhile do not shift pages.
    pub(super) async fn list_all(&self, parent: &str, search: &Query) -> Result<Vec<NodeEntry>> {
        let mut query = q(&[
            ("page[offset]", "0".into()),
            ("page[limit]", PAGE_LIMIT.to_string()),
        ]);
        let mut out = Vec::new();
        let mut seen = 0u64;
        loop {
            query.extend(fields());
            query.extend(filters(search));
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
            entries.push(kinds::entry(path, attrs));
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
