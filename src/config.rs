//! The user's config file (XDG config dir, TOML): named stores, like contexts in k9s.
//!
//! ```toml
//! [stores.beamline1]
//! url = "https://tiled.example.org/api"
//! api_key_env = "BEAMLINE1_KEY"   # the NAME of an environment variable, never the key
//!
//! [stores.scratch]
//! path = "/data/scratch.zarr"
//! ```
//!
//! extent only reads this file; secrets are never written into it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The parsed config file. A missing file is an empty config.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub stores: BTreeMap<String, StoreEntry>,
}

/// One `[stores.NAME]` table as written in the file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreEntry {
    /// A Tiled server URL.
    pub url: Option<String>,
    /// A local Zarr v3 store directory.
    pub path: Option<String>,
    /// Name of the environment variable that holds the API key.
    pub api_key_env: Option<String>,
    /// Free text shown in the store picker.
    pub description: Option<String>,
}

/// A named store resolved to what opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSpec {
    /// The store's name in the config file.
    pub name: String,
    /// A URL (`http[s]://...`) or a local directory.
    pub url_or_path: String,
    /// Name of the environment variable that holds the API key.
    pub api_key_env: Option<String>,
    pub description: Option<String>,
}

impl StoreSpec {
    /// True when the store is a Tiled server rather than a local directory.
    pub fn is_remote(&self) -> bool {
        is_url(&self.url_or_path)
    }

    /// The API key from the named environment variable, if set.
    pub fn api_key(&self) -> Option<String> {
        self.api_key_env
            .as_deref()
            .and_then(|v| std::env::var(v).ok())
            .filter(|k| !k.is_empty())
    }
}

/// True for `http://` and `https://` addresses.
pub fn is_url(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

/// A config file that could not be read or parsed, with the file named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// extent's directory inside the XDG config dir (`~/.config/extent`).
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "extent").map(|d| d.config_dir().to_path_buf())
}

/// extent's directory inside the XDG state dir (`~/.local/state/extent`), for logs.
pub fn state_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "extent").map(|d| {
        d.state_dir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| d.data_local_dir().to_path_buf())
    })
}

impl Config {
    /// `config.toml` in extent's config dir.
    pub fn path() -> Option<PathBuf> {
        config_dir().map(|d| d.join("config.toml"))
    }

    /// Loads the user's config file; a missing file gives an empty config.
    pub fn load() -> Result<Config, ConfigError> {
        match Config::path() {
            Some(p) => Config::load_from(&p),
            None => Ok(Config::default()),
        }
    }

    /// Loads a config file; a missing file gives an empty config.
    pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError {
                    message: format!("cannot read {}: {e}", path.display()),
                })
            }
        };
        Config::parse(&text).map_err(|e| ConfigError {
            message: format!("{}: {}", path.display(), e.message),
        })
    }

    /// Parses config text, checking every store names exactly one of `url` / `path`.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError {
            message: e.message().to_string(),
        })?;
        for (name, entry) in &config.stores {
            match (&entry.url, &entry.path) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => {
                    return Err(ConfigError {
                        message: format!("store '{name}' must have exactly one of `url` or `path`"),
                    })
                }
            }
        }
        Ok(config)
    }

    /// The named store, if the config has it.
    pub fn store(&self, name: &str) -> Option<StoreSpec> {
        let entry = self.stores.get(name)?;
        let url_or_path = entry.url.clone().or_else(|| entry.path.clone())?;
        Some(StoreSpec {
            name: name.to_string(),
            url_or_path,
            api_key_env: entry.api_key_env.clone(),
            description: entry.description.clone(),
        })
    }

    /// Every named store, sorted by name.
    pub fn stores(&self) -> Vec<StoreSpec> {
        self.stores.keys().filter_map(|n| self.store(n)).collect()
    }
}

/// Resolves a store name from the user's config file (`extent --store beamline1`).
/// `None` when there is no such name (or no readable config): the caller then treats the
/// argument as a URL or a path.
pub fn resolve_store(name: &str) -> Option<StoreSpec> {
    Config::load().ok()?.store(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_named_stores() {
        let c = Config::parse(
            r#"
            [stores.beamline1]
            url = "http://localhost:8000/api"
            api_key_env = "BL1_KEY"
            [stores.scratch]
            path = "/tmp/s.zarr"
            "#,
        )
        .unwrap();
        let s = c.store("beamline1").unwrap();
        assert_eq!(s.url_or_path, "http://localhost:8000/api");
        assert!(s.is_remote());
        assert_eq!(s.api_key_env.as_deref(), Some("BL1_KEY"));
        assert!(!c.store("scratch").unwrap().is_remote());
        assert!(c.store("nope").is_none());
        assert_eq!(c.stores().len(), 2);
    }

    #[test]
    fn refuses_bad_configs() {
        assert!(Config::parse("[stores.a]\nurl='x'\npath='y'\n").is_err());
        assert!(Config::parse("[stores.a]\n").is_err());
        assert!(Config::parse("[stores.a]\nurl='x'\napi_key='secret'\n").is_err());
        assert!(Config::parse("not toml [").is_err());
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn missing_file_is_empty() {
        let c = Config::load_from(Path::new("/nonexistent/extent/config.toml")).unwrap();
        assert!(c.stores.is_empty());
    }
}
