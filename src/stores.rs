//! Opening a store from what the user typed: the one way the CLI, the TUI (first store, the
//! picker, `:store …`), the demo and `extent bench` turn a store spec into a backend.
//!
//! # Which store a spec means
//!
//! 1. `http://…` or `https://…`, the scheme in any case: a Tiled server at that URL.
//! 2. Otherwise a name from the config file (`[stores.NAME]`): that store.
//! 3. Otherwise an existing directory: a local Zarr v3 store.
//! 4. Otherwise a path that does not exist yet (`./x`, `/data/x`, `~/x`): a new local store,
//!    made only by commands that create (`create`, `bench`, `demo`); the others say it is
//!    missing. A bare word (`beamline1`) that is neither a configured name nor a directory is
//!    an error that says so, never a new directory: write `./beamline1` to make one.
//!
//! The config file is read for every spec that is not a URL. A file that does not parse, or a
//! store it refuses (one with a plain-text `api_key`), is an error naming the file and line.
//!
//! A Tiled server's API key: the named store's `api_key_env` variable when that is set,
//! otherwise `--api-key` / `TILED_API_KEY`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::backend::local::LocalBackend;
use crate::backend::tiled::TiledBackend;
use crate::backend::{Backend, Error, Result, Secret};
use crate::config::{is_url, Config, StoreSpec};

/// Where a spec points, before anything is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Tiled server.
    Url(String),
    /// A store named in the config file.
    Named(StoreSpec),
    /// A local store directory (it may not exist yet).
    Dir(PathBuf),
}

impl Target {
    /// A short name for the top bar: the store's name, the URL, or the directory's name.
    pub fn label(&self) -> String {
        match self {
            Target::Url(u) => u.clone(),
            Target::Named(s) => s.name.clone(),
            Target::Dir(d) => d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| d.display().to_string()),
        }
    }
}

/// How to open stores.
#[derive(Debug, Clone, Default)]
pub struct Opener {
    /// The key for Tiled servers whose config entry names none (`--api-key`, `TILED_API_KEY`).
    pub api_key: Option<Secret>,
    /// A missing directory becomes a new store (only for commands that make one).
    pub create: bool,
    /// The config file; `None` is the user's (`~/.config/extent/config.toml`).
    pub config_file: Option<PathBuf>,
}

impl Opener {
    /// An opener with the key from the command line that never creates stores.
    pub fn new(api_key: Option<Secret>) -> Opener {
        Opener {
            api_key,
            ..Opener::default()
        }
    }

    /// The config file this opener reads.
    pub fn config_path(&self) -> Option<PathBuf> {
        self.config_file.clone().or_else(Config::path)
    }

    /// The config (named stores). A missing file is an empty config; a broken one an error
    /// naming the file and the line.
    pub fn config(&self) -> Result<Config> {
        match self.config_path() {
            Some(p) => Config::load_from(&p).map_err(|e| Error::invalid_input(e.message)),
            None => Ok(Config::default()),
        }
    }

    /// What `spec` means, by the rule in the module documentation.
    pub fn resolve(&self, spec: &str) -> Result<Target> {
        let s = spec.trim();
        if s.is_empty() {
            return Err(Error::invalid_input(
                "no store given: name one from the config file, a directory or a URL",
            ));
        }
        if is_url(s) {
            return Ok(Target::Url(s.to_string()));
        }
        if let Some(named) = self.config()?.store(s) {
            return Ok(Target::Named(named));
        }
        let dir = expand_home(s);
        if dir.exists() || written_as_path(s) {
            return Ok(Target::Dir(dir));
        }
        let file = self.config_path().map_or_else(
            || "the config file".to_string(),
            |p| p.display().to_string(),
        );
        Err(Error::not_found(format!(
            "'{s}' is neither a store named in {file} nor an existing directory; \
             to make a new local store, write it as a path: ./{s}"
        )))
    }

    /// Opens the store `spec` means (see the module documentation for the rule).
    pub fn open(&self, spec: &str) -> Result<Arc<dyn Backend>> {
        self.open_target(&self.resolve(spec)?)
    }

    /// Opens a resolved target.
    pub fn open_target(&self, target: &Target) -> Result<Arc<dyn Backend>> {
        match target {
            Target::Url(url) => Ok(Arc::new(TiledBackend::new(url, self.api_key.clone())?)),
            Target::Named(spec) => {
                let key = spec.api_key().or_else(|| self.api_key.clone());
                if spec.is_remote() {
                    return Ok(Arc::new(TiledBackend::new(&spec.url_or_path, key)?));
                }
                self.local(&expand_home(&spec.url_or_path))
            }
            Target::Dir(dir) => self.local(dir),
        }
    }

    fn local(&self, dir: &Path) -> Result<Arc<dyn Backend>> {
        let b = if self.create {
            LocalBackend::open_or_create(dir)?
        } else {
            LocalBackend::open(dir)?
        };
        Ok(Arc::new(b))
    }
}

/// True when `s` is plainly a path rather than a name: it has a separator, or starts with
/// `.` or `~`.
fn written_as_path(s: &str) -> bool {
    s.contains('/') || s.contains(std::path::MAIN_SEPARATOR) || s.starts_with(['.', '~'])
}

/// `~` and `~/x` → under `$HOME`.
pub fn expand_home(p: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match (p, p.strip_prefix("~/"), home) {
        ("~", _, Some(h)) => h,
        (_, Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ErrorKind;

    /// An opener reading `config` (written to a temp file) from inside a temp directory.
    fn opener(config: &str) -> (tempfile::TempDir, Opener) {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("config.toml");
        std::fs::write(&file, config).unwrap();
        let o = Opener {
            config_file: Some(file),
            ..Opener::default()
        };
        (tmp, o)
    }

    #[test]
    fn urls_in_any_case_are_tiled_servers() {
        let (_t, o) = opener("");
        for url in ["http://h:8000", "HTTP://h:8000/api", "Https://h/x"] {
            assert_eq!(o.resolve(url).unwrap(), Target::Url(url.into()));
        }
        // Opening one does not touch the network: it is a Tiled backend, not a directory.
        let b = o.open("HTTP://127.0.0.1:1").unwrap();
        assert!(!b.describe().starts_with("local"), "{}", b.describe());
        assert!(!Path::new("HTTP:").exists());
    }

    #[test]
    fn a_configured_name_beats_a_directory_and_a_path_is_a_directory() {
        let (t, o) = opener("[stores.data]\nurl = \"http://h:1\"\n");
        let dir = t.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        let named = o.resolve("data").unwrap();
        assert!(matches!(&named, Target::Named(s) if s.url_or_path == "http://h:1"));
        assert_eq!(named.label(), "data");
        let path = dir.to_string_lossy().into_owned();
        assert_eq!(o.resolve(&path).unwrap(), Target::Dir(dir.clone()));
        assert_eq!(o.resolve("./new").unwrap(), Target::Dir("./new".into()));
        assert_eq!(Target::Dir(dir).label(), "data");
    }

    #[test]
    fn a_bare_word_that_matches_nothing_is_an_error() {
        let (_t, mut o) = opener("[stores.beamline2]\npath = \"/x\"\n");
        o.create = true;
        let e = o.open("beamline1").err().unwrap();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(
            e.message.contains("neither a store named in"),
            "{}",
            e.message
        );
        assert!(e.message.contains("config.toml"), "{}", e.message);
        assert!(e.message.contains("./beamline1"), "{}", e.message);
        assert!(!Path::new("beamline1").exists());
    }

    #[test]
    fn a_broken_config_names_the_file_and_line() {
        let (_t, o) = opener("[stores.a]\npath = \"/x\"\n\n[stores.b\n");
        let e = o.resolve("a").err().unwrap();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("config.toml:4:"), "{}", e.message);
        // A URL does not need the config.
        assert!(o.resolve("http://h:1").is_ok());
    }

    #[test]
    fn a_plain_text_key_is_refused_with_its_line() {
        let (_t, o) = opener("[stores.a]\nurl = \"http://h:1\"\n\n[stores.b]\nurl = \"http://h:2\"\napi_key = \"secret\"\n");
        let e = o.open("a").err().unwrap();
        assert!(e.message.contains("config.toml:6:"), "{}", e.message);
        assert!(e.message.contains("api_key_env"), "{}", e.message);
        assert!(!e.message.contains("secret\""), "{}", e.message);
        let (_t, o) = opener("[stores.a]\nurl = \"http://h:1\"\n\n[stores.b]\n");
        let e = o.open("a").err().unwrap();
        assert!(e.message.contains("config.toml:4:"), "{}", e.message);
    }

    #[test]
    fn local_stores_open_or_are_made() {
        let (t, mut o) = opener("");
        let dir = t.path().join("s.zarr");
        let spec = dir.to_string_lossy().into_owned();
        assert_eq!(o.open(&spec).err().unwrap().kind, ErrorKind::NotFound);
        o.create = true;
        o.open(&spec).unwrap();
        o.create = false;
        assert!(o.open(&spec).unwrap().describe().contains("s.zarr"));
    }

    #[test]
    fn the_key_never_prints_from_the_flag_to_the_opener() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["extent", "--api-key", "K-7781", "ls"]);
        let cli = cli.unwrap();
        assert_eq!(cli.api_key.as_ref().map(Secret::expose), Some("K-7781"));
        let opener = Opener::new(cli.api_key.clone());
        let shown = format!("{cli:?} {opener:?}");
        assert!(!shown.contains("K-7781"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }
}
