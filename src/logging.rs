//! Tracing to a log file in the XDG state dir — never to the terminal (the TUI draws there).

use std::path::PathBuf;

/// Where the log goes: `$XDG_STATE_HOME/extent/extent.log` (or the platform's equivalent).
pub fn log_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "extent")?;
    let dir = dirs
        .state_dir()
        .map(|d| d.to_path_buf())
        .unwrap_or_else(|| dirs.data_local_dir().to_path_buf());
    Some(dir.join("extent.log"))
}

/// Crates whose debug/trace output can contain request headers.
const QUIET: &str = "tungstenite=info,tokio_tungstenite=info,hyper=info,hyper_util=info,reqwest=info,h2=info,rustls=info";

/// Sets up tracing; the level comes from `EXTENT_LOG` (or `RUST_LOG`), default `info`.
/// Logging is best effort: a read-only home must not stop the tool.
pub fn init() {
    let Some(path) = log_path() else { return };
    if let Some(dir) = path.parent() {
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    else {
        return;
    };
    let filter = std::env::var("EXTENT_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    // Libraries that log raw HTTP and websocket requests at debug/trace would write the
    // Authorization header (the API key) into the file: they are held at info, whatever the
    // user asks for.
    let filter = format!("{filter},{QUIET}");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
}
