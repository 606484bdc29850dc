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

use crate::backend::Secret;
use serde::Deserialize;

/// The API key in `path` (`--api-key-file`), surrounding whitespace trimmed. Errors name
/// the file, never its content.
pub fn read_key_file(path: &Path) -> crate::backend::Result<Secret> {
    use crate::backend::Error;
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::invalid_input(format!("cannot read the API key file {}", path.display()))
            .with_source(e)
    })?;
    let key = text.trim();
    if key.is_empty() {
        return Err(Error::invalid_input(format!(
            "the API key file {} is empty",
            path.display()
        )));
    }
    if key.contains(char::is_whitespace) {
        return Err(Error::invalid_input(format!(
            "the API key file {} holds more than one word; it must hold the key alone",
            path.display()
        )));
    }
    Ok(Secret::new(key))
}

/// The parsed config file. A missing file is an empty config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub stores: BTreeMap<String, StoreEntry>,
    /// `graphics = "auto" | "halfblocks" | "kitty" | "sixel" | "iterm2" | "none"`: how frame
    /// images are drawn.
    pub graphics: Option<String>,
    /// `[tui] stall_after = SECONDS`: how long a growing array may not grow before the TUI
    /// marks it stalled.
    pub stall_after: Option<std::time::Duration>,
    /// `utc = true`: the TUI shows times in UTC instead of the local time zone.
    pub utc: bool,
}

/// One `[stores.NAME]` table as written in the file.
#[derive(Debug, Clone, Default, PartialEq)]
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
    pub fn api_key(&self) -> Option<Secret> {
        self.api_key_env
            .as_deref()
            .and_then(|v| std::env::var(v).ok())
            .filter(|k| !k.is_empty())
            .map(Secret::from)
    }
}

/// True for `http://` and `https://` addresses.
pub fn is_url(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

/// A config file that could not be read or parsed, or a store it refuses: the message names
/// the file and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
}

impl ConfigError {
    fn at(line: Option<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            message: message.into(),
            line,
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The file as written, with where each store starts, so a refusal can name the line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    stores: BTreeMap<String, toml::Spanned<RawEntry>>,
    graphics: Option<toml::Spanned<String>>,
    #[serde(default)]
    utc: bool,
    #[serde(default)]
    tui: RawTui,
}

/// The `[tui]` table.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTui {
    stall_after: Option<toml::Spanned<f64>>,
}

/// The stall threshold's bounds, seconds.
pub const STALL_AFTER_RANGE: std::ops::RangeInclusive<f64> = 1.0..=604_800.0;

/// A stall threshold in seconds, checked: `None` with the reason when it is out of bounds.
pub fn stall_after(secs: f64) -> Result<std::time::Duration, String> {
    if secs.is_finite() && STALL_AFTER_RANGE.contains(&secs) {
        Ok(std::time::Duration::from_secs_f64(secs))
    } else {
        Err(format!(
            "stall_after {secs} is not a number of seconds from {} to {} (a week)",
            STALL_AFTER_RANGE.start(),
            STALL_AFTER_RANGE.end()
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    url: Option<String>,
    path: Option<String>,
    api_key_env: Option<String>,
    description: Option<String>,
    /// Never accepted: read only to refuse it with a message that says what to do instead.
    api_key: Option<toml::Spanned<serde::de::IgnoredAny>>,
}

/// The values of the `graphics` key.
const GRAPHICS: [&str; 6] = ["auto", "halfblocks", "kitty", "sixel", "iterm2", "none"];

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |t| t.bytes().filter(|&b| b == b'\n').count())
        + 1
}

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

    /// Loads a config file; a missing file gives an empty config. Errors start with
    /// `PATH:LINE:`.
    pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError::at(
                    None,
                    format!("cannot read {}: {e}", path.display()),
                ))
            }
        };
        Config::parse(&text).map_err(|e| {
            let place = match e.line {
                Some(l) => format!("{}:{l}", path.display()),
                None => path.display().to_string(),
            };
            ConfigError::at(e.line, format!("{place}: {}", e.message))
        })
    }

    /// Parses config text, checking every store names exactly one of `url` / `path` and holds
    /// no key in plain text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            ConfigError::at(line, e.message().trim().to_string())
        })?;
        let mut stores = BTreeMap::new();
        for (name, entry) in raw.stores {
            let line = Some(line_of(text, entry.span().start));
            let entry = entry.into_inner();
            if let Some(key) = &entry.api_key {
                return Err(ConfigError::at(
                    Some(line_of(text, key.span().start)),
                    format!(
                        "store '{name}' holds a plain-text `api_key`; extent does not read keys \
                         from files: put the key in an environment variable and name that \
                         variable with `api_key_env`"
                    ),
                ));
            }
            if entry.url.is_some() == entry.path.is_some() {
                return Err(ConfigError::at(
                    line,
                    format!("store '{name}' must have exactly one of `url` or `path`"),
                ));
            }
            let entry = StoreEntry {
                url: entry.url,
                path: entry.path,
                api_key_env: entry.api_key_env,
                description: entry.description,
            };
            stores.insert(name, entry);
        }
        let graphics = match raw.graphics {
            Some(g) if !GRAPHICS.contains(&g.get_ref().as_str()) => {
                return Err(ConfigError::at(
                    Some(line_of(text, g.span().start)),
                    format!(
                        "graphics = {:?} is not one of {}",
                        g.get_ref(),
                        GRAPHICS.join(", ")
                    ),
                ))
            }
            g => g.map(|g| g.into_inner()),
        };
        let stall_after = match raw.tui.stall_after {
            Some(s) => Some(
                stall_after(*s.get_ref())
                    .map_err(|m| ConfigError::at(Some(line_of(text, s.span().start)), m))?,
            ),
            None => None,
        };
        Ok(Config {
            stores,
            graphics,
            stall_after,
            utc: raw.utc,
        })
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
    fn reads_the_stall_threshold_and_refuses_a_bad_one_by_line() {
        let c = Config::parse("[tui]\nstall_after = 12.5\n").unwrap();
        assert_eq!(
            c.stall_after,
            Some(std::time::Duration::from_millis(12_500))
        );
        assert_eq!(Config::parse("").unwrap().stall_after, None);
        let e = Config::parse("[tui]\n\nstall_after = 0\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("stall_after 0"), "{e}");
        assert!(Config::parse("[tui]\nstall_after = \"x\"\n").is_err());
        assert!(Config::parse("[tui]\nstal_after = 3\n").is_err());
    }

    #[test]
    fn utc_is_off_unless_asked_for() {
        assert!(!Config::parse("").unwrap().utc);
        assert!(
            Config::parse("utc = true\n[stores.a]\npath = '/x'\n")
                .unwrap()
                .utc
        );
        assert!(Config::parse("utc = 'yes'\n").is_err());
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
    fn errors_name_the_file_and_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "[stores.a]\npath = \"/x\"\nurl = \"http://h\"\n").unwrap();
        let e = Config::load_from(&file).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(
            e.message.starts_with(&format!("{}:1: ", file.display())),
            "{e}"
        );
        std::fs::write(&file, "\n\n[stores.a]\npath = 3\n").unwrap();
        let e = Config::load_from(&file).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        std::fs::write(&file, "[stores.a]\npath = \"/x\"\napi_key = \"k\"\n").unwrap();
        let e = Config::load_from(&file).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("api_key_env"), "{e}");
    }

    #[test]
    fn missing_file_is_empty() {
        let c = Config::load_from(Path::new("/nonexistent/extent/config.toml")).unwrap();
        assert!(c.stores.is_empty());
    }

    #[test]
    fn graphics_is_one_of_its_names() {
        let c = Config::parse("graphics = \"none\"\n").unwrap();
        assert_eq!(c.graphics.as_deref(), Some("none"));
        assert_eq!(Config::parse("").unwrap().graphics, None);
        let e = Config::parse("\ngraphics = \"chafa\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("halfblocks"), "{e}");
    }
}
