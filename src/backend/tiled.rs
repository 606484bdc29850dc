//! Tiled backend: the backend trait over a Tiled server's HTTP API.

use super::{Error, Result};

/// A connection to a Tiled server (optionally rooted at a path inside its catalog).
pub struct TiledBackend {
    _private: (),
}

impl TiledBackend {
    /// Connects to `url` (`http[s]://host:port[/path/into/catalog]`) with an optional API key.
    pub fn new(url: &str, api_key: Option<String>) -> Result<TiledBackend> {
        let _ = (url, api_key);
        Err(Error::unsupported("the Tiled backend is not built yet"))
    }
}
