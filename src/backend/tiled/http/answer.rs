//! Reading the server's answers: bodies within a limit, JSON, and the explanation in an error
//! body; transport errors told without their URL (which may carry user-info).

use reqwest::Response;
use serde_json::Value;

use crate::backend::{Error, Result};

/// Longest server message put in an error.
const MAX_MESSAGE: usize = 400;

pub(super) fn parse_json(what: &str, body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| {
        Error::io(format!("{what}: the server's answer is not valid JSON")).with_source(e)
    })
}

/// What kind of transport failure `e` is, in words that name no URL.
pub(super) fn e_without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the answer failed"
    } else if e.is_request() {
        "sending the request failed"
    } else {
        "request failed"
    };
    kind.to_string()
}

/// The server's explanation from an error body: `detail` (a string or a list of
/// `{msg, loc}`), else the text itself; bounded in length.
pub(super) fn server_detail(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) => match &v["detail"] {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    let loc = i["loc"]
                        .as_array()
                        .map(|l| {
                            l.iter()
                                .map(|x| x.to_string().trim_matches('"').to_string())
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default();
                    let msg = i["msg"].as_str().unwrap_or("invalid");
                    if loc.is_empty() {
                        msg.to_string()
                    } else {
                        format!("{loc}: {msg}")
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            Value::Null => String::from_utf8_lossy(body).into_owned(),
            other => other.to_string(),
        },
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > MAX_MESSAGE {
        let cut: String = text.chars().take(MAX_MESSAGE).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[derive(Debug)]
pub(super) enum BodyErrorKind {
    /// More than the limit (the announced length, when known).
    TooLarge(Option<u64>),
    Transport(reqwest::Error),
}

#[derive(Debug)]
pub(super) struct BodyError {
    pub kind: BodyErrorKind,
    pub retry: bool,
}

/// Reads a body of at most `limit` bytes. With `truncate`, a longer body is cut (for error
/// messages) instead of refused.
pub(super) async fn read_limited(
    mut resp: Response,
    limit: u64,
    truncate: bool,
) -> std::result::Result<Vec<u8>, BodyError> {
    let announced = resp.content_length();
    if let Some(n) = announced {
        if n > limit && !truncate {
            return Err(BodyError {
                kind: BodyErrorKind::TooLarge(Some(n)),
                retry: false,
            });
        }
    }
    // Never trust the announced length for the allocation beyond the limit.
    let mut buf = Vec::with_capacity(announced.unwrap_or(0).min(limit).min(1 << 30) as usize);
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit.saturating_sub(buf.len() as u64) as usize;
                if chunk.len() > room {
                    if truncate {
                        buf.extend_from_slice(&chunk[..room]);
                        return Ok(buf);
                    }
                    return Err(BodyError {
                        kind: BodyErrorKind::TooLarge(None),
                        retry: false,
                    });
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf),
            Err(e) => {
                return Err(BodyError {
                    kind: BodyErrorKind::Transport(e),
                    retry: true,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_extracted_and_bounded() {
        assert_eq!(
            server_detail(br#"{"detail":"No such entry"}"#),
            "No such entry"
        );
        let v = br#"{"detail":[{"loc":["query","page[limit]"],"msg":"too big"}]}"#;
        assert_eq!(server_detail(v), "query.page[limit]: too big");
        assert_eq!(server_detail(b"plain\n text"), "plain text");
        let long = vec![b'x'; 5000];
        assert!(server_detail(&long).chars().count() <= MAX_MESSAGE + 1);
        assert_eq!(server_detail(&[0xff, 0xfe]), "\u{fffd}\u{fffd}");
    }
}
