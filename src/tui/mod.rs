//! The TUI's runtime: the terminal, the event loop and the jobs that carry out the effects
//! `update()` returns. It joins the model (`crate::app`) to the widgets (`crate::ui`) and to
//! the stores (`crate::stores`); neither of those knows about it.

mod complete;
pub mod event_loop;
mod frame_pool;
pub mod graphics;
pub mod jobs;
mod runner;

pub use runner::set_memory_budget;
pub mod terminal;
mod terminal_query;

use std::sync::{Arc, Mutex};

use color_eyre::eyre::eyre;

use crate::app::keymap::Keymap;
use crate::app::state::{self, AppState, Picker};
use crate::backend::{Backend, Secret};
use crate::config::StoreSpec;
use crate::stores::Opener;
use crate::ui::frame::Graphics;
use crate::ui::theme::Theme;

/// Status lines sent to the TUI from outside (the demo's writer): text, whether it is an
/// error, whether it stays. Taken once by `run`.
pub type Notices =
    Arc<Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<crate::app::notice::Notice>>>>;

/// How to start the TUI. Not `Debug`: the opener holds the API key.
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
    /// Opens the stores picked in the TUI (the picker, `store NAME|PATH|URL`).
    pub opener: Opener,
    /// `--stall-after`: beats the config file's `[tui] stall_after`.
    pub stall_after: Option<std::time::Duration>,
    /// Show the Frame pane and follow `open_path` as it grows (the demo).
    pub follow_frames: bool,
    /// `--graphics`: beats the config file's `graphics`.
    pub graphics: Option<crate::ui::frame::Graphics>,
}

impl TuiOptions {
    pub fn new(backend: Option<Arc<dyn Backend>>, label: impl Into<String>) -> TuiOptions {
        TuiOptions {
            backend,
            label: label.into(),
            ..TuiOptions::default()
        }
    }
}

/// The initial state, keymap and theme warnings for `opts` (no terminal needed).
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

/// The local time zone: the TZif file `TZ` names (`Europe/Berlin`, `:/path`), else
/// `/etc/localtime`; UTC when neither can be read.
pub fn local_zone() -> crate::app::clock::Zone {
    use crate::app::clock::Zone;
    let named = std::env::var("TZ").ok().filter(|t| !t.is_empty()).map(|t| {
        let t = t.trim_start_matches(':').to_string();
        if t.starts_with('/') {
            std::path::PathBuf::from(t)
        } else {
            std::path::Path::new("/usr/share/zoneinfo").join(t)
        }
    });
    named
        .into_iter()
        .chain([std::path::PathBuf::from("/etc/localtime")])
        .find_map(|p| std::fs::read(p).ok().and_then(|b| Zone::from_tzif(&b)))
        .unwrap_or_else(Zone::utc)
}

/// Runs the TUI until the user quits. The terminal is restored on every exit path. A config
/// file that does not parse is an error here, as everywhere.
pub async fn run(opts: TuiOptions) -> color_eyre::Result<()> {
    crate::logging::init();
    tracing::info!(log = ?crate::logging::log_path(), store = %opts.label, "TUI starting");
    let config = opts
        .opener
        .config()
        .map_err(|e| eyre!("{}", crate::app::error_text(&e, None)))?;
    let (mut state, warnings) = initial_state(&opts, &config.stores());
    if let Some(d) = opts.stall_after.or(config.stall_after) {
        state.monitor.stall_after = d;
    }
    let graphics = opts
        .graphics
        .or_else(|| config.graphics.as_deref().and_then(Graphics::parse));
    let graphics = graphics.unwrap_or_default();
    state.frame_images = graphics != Graphics::None;
    // Before the terminal is set up and its event stream started: `auto` asks the terminal.
    if state.frame_images {
        let choice = graphics::choose(graphics);
        tracing::info!(protocol = choice.protocol.name(), why = %choice.why, "frame images");
        state.frame_protocol = choice.protocol;
        let now = state.now;
        state.messages.push(
            &choice.describe(),
            crate::app::notice::Tone::Info,
            now,
            None,
        );
    }
    if opts.follow_frames {
        state.right_tab = crate::app::layout::Pane::Frame;
        state.follow_next_open = true;
    }
    if !config.utc {
        state.zone = Arc::new(local_zone());
    }
    let dir = crate::config::config_dir();
    let (theme, _) = Theme::load(dir.as_ref().map(|d| d.join("theme.toml")).as_deref());
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let demo_dirs = Arc::new(Mutex::new(Vec::new()));
    let _cleanup = RemoveOnDrop(demo_dirs.clone());
    let (done_tx, done_rx) = tokio::sync::mpsc::unbounded_channel();
    let (live_tx, live_rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = runner::Runner::new(
        opts.backend.clone(),
        opts.opener.clone(),
        jobs::Jobs::new(done_tx),
        live_tx,
        demo_dirs,
    );
    let mut tui = terminal::Tui::enter().map_err(|e| eyre!("cannot set up the terminal: {e}"))?;
    let notices = opts
        .notices
        .as_ref()
        .and_then(|n| n.lock().ok().and_then(|mut g| g.take()));
    let start = event_loop::Start {
        notices,
        open_path: opts.open_path.clone(),
        label: opts.label.clone(),
        warning: warnings.first().cloned(),
    };
    let channels = event_loop::Channels { done_rx, live_rx };
    let result = event_loop::run(state, theme, runner, &mut tui, channels, start).await;
    drop(tui);
    tracing::info!("TUI stopped");
    result.map_err(|e| eyre!("terminal error: {e}"))
}

/// For `extent` / `extent tui`: opens `--store` (see `crate::stores` for what it may be) and
/// runs the TUI; no store → the store picker.
pub async fn run_from_cli(
    store: Option<String>,
    api_key: Option<Secret>,
    stall_after: Option<f64>,
    graphics: Option<Graphics>,
) -> color_eyre::Result<()> {
    let stall_after = match stall_after {
        Some(s) => {
            Some(crate::config::stall_after(s).map_err(|m| eyre!("--{}", m.replace('_', "-")))?)
        }
        None => None,
    };
    let opener = Opener::new(api_key);
    let mut opts = TuiOptions {
        opener: opener.clone(),
        stall_after,
        graphics,
        ..TuiOptions::default()
    };
    if let Some(s) = store.filter(|s| !s.trim().is_empty()) {
        let target = opener
            .resolve(&s)
            .map_err(|e| eyre!("{}", crate::app::error_text(&e, None)))?;
        let b = opener
            .open_target(&target)
            .map_err(|e| eyre!("{}", crate::app::error_text(&e, None)))?;
        opts.backend = Some(b);
        opts.label = target.label();
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
