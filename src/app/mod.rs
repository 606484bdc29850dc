//! The TUI application: state, actions, `update()`, the event loop, and loading of the config,
//! keymap and theme. Drawing lives in `crate::ui`.

pub mod action;
pub mod catalog;
pub mod chunk_plane;
pub mod commands;
pub mod demo_store;
pub mod dialogs;
pub mod event_loop;
mod input;
pub mod jobs;
pub mod keymap;
pub mod layout;
pub mod notice;
pub mod state;
pub mod terminal;
pub mod theme;
mod update;

pub use input::run_palette;
pub use update::{newly_written, plan_ctx};

use std::sync::{Arc, Mutex};

use color_eyre::eyre::eyre;

use crate::backend::Backend;
use crate::config::{Config, StoreSpec};

use action::StoreTarget;
use keymap::Keymap;
use notice::Notice;
use state::{AppState, Picker};
use theme::Theme;

/// Opens a URL store (a Tiled server) with an optional API key; supplied by the CLI, which
/// owns the Tiled backend's construction.
pub type UrlOpener =
    Arc<dyn Fn(&str, Option<String>) -> crate::backend::Result<Arc<dyn Backend>> + Send + Sync>;

/// Status lines sent to the TUI from outside (the demo's writer). Taken once by `run`.
pub type Notices = Arc<Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<notice::Notice>>>>;

/// How to start the TUI.
#[derive(Clone, Default)]
pub struct TuiOptions {
    /// Status lines from outside the UI.
    pub notices: Option<Notices>,
    /// An array or group to open once the store is ready.
    pub open_path: Option<String>,
    /// The store to open; `None` shows the store picker (named stores + the demo store).
    pub backend: Option<Arc<dyn Backend>>,
    /// The store's name for the top bar.
    pub label: String,
    /// Opens URLs picked in the TUI (`store NAME` / the picker); without it only local stores.
    pub url_opener: Option<UrlOpener>,
    /// The config (named stores); `None` loads the user's file.
    pub config: Option<Config>,
}

impl TuiOptions {
    pub fn new(backend: Option<Arc<dyn Backend>>, label: impl Into<String>) -> TuiOptions {
        TuiOptions {
            notices: None,
            open_path: None,
            backend,
            label: label.into(),
            url_opener: None,
            config: None,
        }
    }
}

/// The initial state, keymap and theme for `opts` (no terminal needed; used by tests too).
pub fn initial_state(opts: &TuiOptions, stores: &[StoreSpec]) -> (AppState, Vec<String>) {
    let dir = crate::config::config_dir();
    let (keymap, mut warnings) =
        Keymap::load(dir.as_ref().map(|d| d.join("keymap.toml")).as_deref());
    let mut state = match &opts.backend {
        Some(b) => AppState::new(&opts.label, b.capabilities()),
        None => AppState::picker(stores),
    };
    state.picker = Picker::new(stores);
    if state.screen == state::Screen::Main {
        state.store_describe = opts
            .backend
            .as_ref()
            .map(|b| b.describe())
            .unwrap_or_default();
    }
    state.keymap = Arc::new(keymap);
    let (_, theme_warnings) = Theme::load(dir.as_ref().map(|d| d.join("theme.toml")).as_deref());
    warnings.extend(theme_warnings);
    (state, warnings)
}

/// Runs the TUI until the user quits. The terminal is restored on every exit path.
pub async fn run(opts: TuiOptions) -> color_eyre::Result<()> {
    crate::logging::init();
    tracing::info!(log = ?crate::logging::log_path(), store = %opts.label, "TUI starting");
    let (config, config_error) = match opts.config.clone() {
        Some(c) => (c, None),
        None => match Config::load() {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(e.message)),
        },
    };
    let (mut state, warnings) = initial_state(&opts, &config.stores());
    let dir = crate::config::config_dir();
    let (theme, _) = Theme::load(dir.as_ref().map(|d| d.join("theme.toml")).as_deref());
    for w in &warnings {
        tracing::warn!("{w}");
    }
    if let Some(e) = config_error.or_else(|| warnings.first().cloned()) {
        state.notify(Notice::error(e));
    }
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let demo_dirs = Arc::new(Mutex::new(Vec::new()));
    let _cleanup = RemoveOnDrop(demo_dirs.clone());
    let runner = event_loop::Runner {
        backend: opts.backend.clone(),
        url_opener: opts.url_opener.clone(),
        jobs: jobs::Jobs::new(done_tx),
        demo_dirs: demo_dirs.clone(),
    };
    let mut tui = terminal::Tui::enter().map_err(|e| eyre!("cannot set up the terminal: {e}"))?;
    let notices = opts
        .notices
        .as_ref()
        .and_then(|n| n.lock().ok().and_then(|mut g| g.take()));
    let start = event_loop::Start {
        notices,
        open_path: opts.open_path.clone(),
    };
    let result = event_loop::run(state, theme, runner, &mut tui, &mut done_rx, start).await;
    drop(tui);
    tracing::info!("TUI stopped");
    result.map_err(|e| eyre!("terminal error: {e}"))
}

/// For `extent` / `extent tui`: resolves `--store` (a name from the config file, a directory or
/// a URL) and runs the TUI; no store → the store picker.
pub async fn run_from_cli(
    store: Option<String>,
    url_opener: Option<UrlOpener>,
) -> color_eyre::Result<()> {
    let config = Config::load().map_err(|e| eyre!("{e}"))?;
    let mut opts = TuiOptions {
        url_opener: url_opener.clone(),
        config: Some(config.clone()),
        ..Default::default()
    };
    if let Some(s) = store.filter(|s| !s.trim().is_empty()) {
        let target = match config.store(&s) {
            Some(spec) => StoreTarget::Named(spec),
            None => StoreTarget::Location(s.clone()),
        };
        let label = target.label();
        let b = event_loop::open_store(target, url_opener, Arc::new(Mutex::new(Vec::new())))
            .await
            .map_err(|e| eyre!("{e}"))?;
        opts.backend = Some(b);
        opts.label = label;
    }
    run(opts).await
}

/// Removes the demo stores this process made, however the TUI ends (even by a panic).
struct RemoveOnDrop(Arc<Mutex<Vec<std::path::PathBuf>>>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Ok(dirs) = self.0.lock() {
            for d in dirs.iter() {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    }
}
