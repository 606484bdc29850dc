//! Store URLs and request addresses: the server's root and the catalog prefix of a store
//! URL, catalog paths as segments (each percent-encoded when a URL is built, see
//! [`super::http::Http::url`]), and the query strings of requests.

use reqwest::Url;

use crate::backend::{Error, Result};

/// Splits a store URL into the server's root and the catalog prefix:
/// `http://h:p/a/b` → (`http://h:p/`, [a, b]); `http://h:p/mnt/api/v1/a` → (`http://h:p/mnt/`, [a]).
pub(super) fn parse_store_url(url: &str) -> Result<(Url, Vec<String>)> {
    let bad = |why: &str| {
        Error::invalid_input(format!(
            "'{}' is not a Tiled server URL ({why}); use http://host:port[/path/in/catalog]",
            redact_raw(url)
        ))
    };
    let u = Url::parse(url.trim()).map_err(|e| bad("it does not parse").with_source(e))?;
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

pub(super) fn join(list: &[u64]) -> String {
    list.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn q(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The catalog path of a store path under the store's `prefix`, as segments.
pub(super) fn catalog_path(prefix: &[String], path: &str) -> Vec<String> {
    let mut v = prefix.to_vec();
    v.extend(path.split('/').filter(|s| !s.is_empty()).map(String::from));
    v
}

/// The query of a `PATCH /array/full`: where the block goes, its shape, and whether it may
/// grow the array.
pub(super) fn patch_query(start: &[u64], shape: &[u64], extend: bool) -> Vec<(String, String)> {
    q(&[
        ("offset", join(start)),
        ("shape", join(shape)),
        ("extend", extend.to_string()),
    ])
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
    fn catalog_paths_and_patch_queries() {
        let prefix = vec!["root".to_string()];
        assert_eq!(catalog_path(&prefix, "a//b/"), vec!["root", "a", "b"]);
        assert_eq!(catalog_path(&[], ""), Vec::<String>::new());
        let query = patch_query(&[1, 2], &[0, 3], true);
        let want: Vec<(String, String)> = [("offset", "1,2"), ("shape", "0,3"), ("extend", "true")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(query, want);
    }
}
