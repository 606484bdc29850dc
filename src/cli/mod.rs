//! The scriptable command line: one file per subcommand, human output or `--json`.
//!
//! The JSON shapes and error kinds here are a public contract (see README).

mod bench;
mod budget;
mod check;
mod completions;
mod create;
mod demo;
mod export;
mod frame;
mod history;
mod ls;
mod output;
mod patch;
mod progress;
mod read;
mod resize;
mod rm;
mod show;
mod tui;
mod watch;
mod watch_group;

use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::backend::Secret;
use crate::backend::{normalize_path, Backend, Error, Result};
use crate::color::ColorChoice;
use crate::stores::Opener;

pub use output::{error_text, print_error, repair_text, Output};

/// extent — a console for extendable Zarr arrays (local Zarr v3 stores and Tiled servers).
#[derive(Debug, Parser)]
#[command(name = "extent", version = crate::VERSION, about, long_about = None)]
pub struct Cli {
    /// Store: a name from the config file, a directory (local Zarr v3) or a Tiled server URL
    /// (http://host:port[/path]).
    #[arg(
        long,
        global = true,
        env = "EXTENT_STORE",
        value_name = "NAME|PATH|URL"
    )]
    pub store: Option<String>,

    /// API key for a Tiled server (never printed or logged). On the command line it is
    /// visible to other users in `ps`: prefer TILED_API_KEY, --api-key-file, or a named
    /// store with `api_key_env`.
    #[arg(long, global = true, env = "TILED_API_KEY", hide_env_values = true)]
    pub api_key: Option<Secret>,

    /// Read the Tiled API key from this file (surrounding whitespace trimmed); it replaces
    /// --api-key and TILED_API_KEY.
    #[arg(long, global = true, value_name = "PATH")]
    pub api_key_file: Option<std::path::PathBuf>,

    /// When to use colour (TUI, error reports): the flag beats NO_COLOR, which beats `auto`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Memory the CLI may hold at once (bytes, or 512M, 2GiB ...; default: half of RAM).
    /// Reads printed whole (`--json`, text) and chunks larger than this are refused.
    #[arg(long, global = true, env = "EXTENT_MEMORY_LIMIT", value_name = "SIZE")]
    pub memory_limit: Option<String>,

    /// How frame images are drawn (`extent frame`, the TUI's Frame view): auto asks the
    /// terminal (half blocks in tmux or when it does not answer); halfblocks, kitty, sixel,
    /// iterm2 force one; none: numbers only. Default: the config file's `graphics`, else auto.
    #[arg(long, global = true, value_enum, value_name = "MODE")]
    pub graphics: Option<crate::ui::frame::Graphics>,

    /// TUI: mark an array stalled when it grew and then did not for this many seconds
    /// (default 30, or `[tui] stall_after` in the config file).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub stall_after: Option<f64>,
    /// How long a write waits for a lock another process holds (seconds, or 500ms, 2m;
    /// default 60 s), then fails with `conflict` naming the holder.
    #[arg(
        long,
        global = true,
        env = "EXTENT_LOCK_TIMEOUT",
        value_name = "DURATION",
        allow_hyphen_values = true
    )]
    pub lock_timeout: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List groups and arrays (recursively) under PREFIX.
    Ls(ls::Args),
    /// Show an array's structure.
    Show(show::Args),
    /// Create an array.
    Create(create::Args),
    /// Read an array (or a slice) as JSON, text or .npy.
    Read(read::Args),
    /// Write data at an offset; with --extend the shape grows to fit.
    Patch(patch::Args),
    /// Grow or shrink an array (shrinking erases data and asks first).
    Resize(resize::Args),
    /// Structure changes of an array, oldest first.
    History(history::Args),
    /// Delete an array or a group.
    Rm(rm::Args),
    /// Follow an array live: one line per event.
    Watch(watch::Args),
    /// Look for (and repair) inconsistencies: a fsck for arrays.
    Check(check::Args),
    /// Measure write and read speed of a store with verified extend-patches.
    Bench(bench::Args),
    /// Print shell completions (bash also completes array paths).
    Completions(completions::CompletionArgs),
    /// Print the man page (roff).
    Man,
    /// A demo store with a simulated out-of-order detector (opens the TUI on it).
    Demo(demo::Args),
    /// One 2-D frame of an array as a PNG file, or printed inline on a terminal.
    Frame(frame::Args),
}

/// Parses the arguments. With `--json` among them, an argument error is printed as
/// `{"error":{"kind":"invalid_input","message"}}` like every other error; `Err` holds the
/// exit code. The key of `--api-key-file` is read here.
pub fn parse(args: Vec<std::ffi::OsString>) -> std::result::Result<Cli, i32> {
    let json = args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json");
    let mut cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if !json || !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.render().to_string();
            let first = text.split("\n\nUsage:").next().unwrap_or_default();
            let message = first.trim().trim_start_matches("error: ");
            let message: Vec<&str> = message.split_whitespace().collect();
            print_error(&Error::invalid_input(message.join(" ")), true);
            return Err(crate::backend::ErrorKind::InvalidInput.exit_code());
        }
    };
    if cli.command.is_none() {
        // The TUI's preview keeps to the memory budget too.
        match budget::Budget::resolve(cli.memory_limit.as_deref()) {
            Ok(b) => crate::tui::set_memory_budget(b.bytes),
            Err(e) => {
                print_error(&e, json);
                return Err(e.kind.exit_code());
            }
        }
    }
    if let Err(e) = budget::apply_lock_wait(cli.lock_timeout.as_deref(), cli.command.is_some()) {
        print_error(&e, json);
        return Err(e.kind.exit_code());
    }
    if let Some(file) = &cli.api_key_file {
        match crate::config::read_key_file(file) {
            Ok(key) => cli.api_key = Some(key),
            Err(e) => {
                print_error(&e, json);
                return Err(e.kind.exit_code());
            }
        }
    }
    Ok(cli)
}

/// Opens the store named on the command line (see `crate::stores` for what a spec means);
/// `create` lets a path that does not exist become a new local store.
pub fn open_store(cli: &Cli, create: bool) -> Result<Arc<dyn Backend>> {
    let spec = cli.store.as_deref().ok_or_else(|| {
        Error::invalid_input("no store given: pass --store NAME|PATH|URL or set EXTENT_STORE")
    })?;
    open_store_spec(spec, cli.api_key.clone(), create)
}

/// Opens a store from its spec: a URL, a name from the config file or a directory.
pub fn open_store_spec(
    spec: &str,
    api_key: Option<Secret>,
    create: bool,
) -> Result<Arc<dyn Backend>> {
    let opener = Opener {
        create,
        ..Opener::new(api_key)
    };
    opener.open(spec)
}

/// Runs one subcommand; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let Some(command) = &cli.command else {
        return 0;
    };
    let json = command.json();
    let out = Output::new(json);
    let result = match command {
        Command::Ls(a) => ls::run(&cli, a, &out).await,
        Command::Show(a) => show::run(&cli, a, &out).await,
        Command::Create(a) => create::run(&cli, a, &out).await,
        Command::Read(a) => read::run(&cli, a, &out).await,
        Command::Patch(a) => patch::run(&cli, a, &out).await,
        Command::Resize(a) => resize::run(&cli, a, &out).await,
        Command::History(a) => history::run(&cli, a, &out).await,
        Command::Rm(a) => rm::run(&cli, a, &out).await,
        Command::Demo(a) => demo::run(&cli, a, &out).await,
        Command::Bench(a) => bench::run(&cli, a, &out).await,
        Command::Frame(a) => frame::run(&cli, a, &out).await,
        Command::Completions(a) => completions::completions(a),
        Command::Man => completions::man(),
        Command::Watch(a) => match watch::run(&cli, a, &out).await {
            Ok(code) => return code,
            Err(e) => Err(e),
        },
        Command::Check(a) => match check::run(&cli, a, &out).await {
            Ok(code) => return code,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            tracing::warn!(kind = e.kind.name(), "command failed: {}", e.chain());
            print_error(&e, json);
            e.kind.exit_code()
        }
    }
}

impl Command {
    fn json(&self) -> bool {
        match self {
            Command::Ls(a) => a.json,
            Command::Show(a) => a.json,
            Command::Create(a) => a.json,
            Command::Read(a) => a.json,
            Command::Patch(a) => a.json,
            Command::Resize(a) => a.json,
            Command::History(a) => a.json,
            Command::Rm(a) => a.json,
            Command::Watch(a) => a.json,
            Command::Demo(a) => a.json,
            Command::Bench(a) => a.json,
            Command::Frame(a) => a.json,
            Command::Completions(_) | Command::Man => false,
            Command::Check(a) => a.json,
        }
    }
}

/// How frames are drawn: `--graphics`, else the config file's `graphics`, else auto.
pub fn graphics(cli: &Cli) -> Result<crate::ui::frame::Graphics> {
    use crate::ui::frame::Graphics;
    if let Some(g) = cli.graphics {
        return Ok(g);
    }
    let config = crate::config::Config::load().map_err(|e| Error::invalid_input(e.to_string()))?;
    Ok(config
        .graphics
        .as_deref()
        .and_then(Graphics::parse)
        .unwrap_or_default())
}

/// Parses an array path typed by a user. `/` is the store's root (an array there is addressed
/// as `/`).
fn array_path(text: &str) -> Result<String> {
    let p = normalize_path(text);
    if p.is_empty() && text.trim() == "/" {
        return Ok(p);
    }
    crate::backend::validate_path(&p)?;
    Ok(p)
}

/// Asks "yes/no" on the terminal; refuses (an error) when stdin is not a terminal.
fn confirm(question: &str, what: &str) -> Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid_input(format!(
            "{what} needs confirmation and there is no terminal to ask; pass --yes"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::io("cannot read the answer").with_source(e))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
