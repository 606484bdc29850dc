//! `extent demo [--dir PATH] [--rate HZ] [--frames N] [--no-tui]` (and the global `--store URL`
//! for a Tiled server, where the arrays go under a group of their own, `extent-demo/`): an
//! out-of-order writer to watch, and a check that the result is right.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::{Backend, Error, ErrorKind, Result};
use crate::demo::{self, DemoConfig, DemoStatus};
use crate::stores::{Opener, Target};

use super::{Cli, Output};

/// The writer's rate bounds, frames per second.
const MIN_RATE: f64 = 0.1;
const MAX_RATE: f64 = 10_000.0;
/// Frame count bounds: the first frames are written up front, and the check holds them all.
const MIN_FRAMES: u64 = 8;
const MAX_FRAMES: u64 = 1_000_000;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for the demo store (default: a new temp dir, kept afterwards). A store that
    /// already holds the demo arrays is refused: the demo never replaces data.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Frames per second written by the simulated detector (0.1 to 10000).
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Number of frames (8 to 1000000).
    #[arg(long, default_value_t = 200)]
    pub frames: u64,
    /// Run the writer and the check without the TUI.
    #[arg(long)]
    pub no_tui: bool,
    /// Print progress and the verdict as JSON lines.
    #[arg(long)]
    pub json: bool,
}

/// The demo's store: the backend, its label, and the group the arrays go under.
pub struct Prepared {
    pub store: Arc<dyn Backend>,
    pub label: String,
    pub prefix: String,
}

/// Opens (or makes) the demo store and fills it with the demo arrays.
pub async fn prepare(cli: &Cli, args: &Args) -> Result<Prepared> {
    check_numbers(args)?;
    let opener = Opener {
        create: true,
        ..Opener::new(cli.api_key.clone())
    };
    // `--dir` is a directory whatever it looks like; `--store` is a spec like everywhere.
    // A directory is the demo's own; on a server the arrays get a group of their own.
    let (store, label, prefix) = match (&args.dir, &cli.store) {
        (Some(dir), _) => (
            opener.open_target(&Target::Dir(dir.clone()))?,
            dir.display().to_string(),
            String::new(),
        ),
        (None, Some(spec)) => {
            let target = opener.resolve(spec)?;
            let shared = match &target {
                Target::Url(_) => true,
                Target::Named(s) => s.is_remote(),
                Target::Dir(_) => false,
            };
            let prefix = if shared { demo::SHARED_PREFIX } else { "" };
            (opener.open_target(&target)?, spec.clone(), prefix.into())
        }
        (None, None) => {
            let dir = demo::temp_dir();
            (
                opener.open_target(&Target::Dir(dir.clone()))?,
                dir.display().to_string(),
                String::new(),
            )
        }
    };
    demo::make_store(store.as_ref(), &prefix)
        .await
        .map_err(|e| {
            if e.kind != ErrorKind::AlreadyExists {
                return e;
            }
            let way_out = "give the demo a new --dir (or none: a fresh temp dir), or a --store \
                           URL of a Tiled group without an extent-demo group";
            Error::new(e.kind, format!("{} ({label}); {way_out}", e.message))
        })?;
    Ok(Prepared {
        store,
        label,
        prefix,
    })
}

/// The numbers must make sense before anything starts: a rate the writer can keep and a
/// frame count it can hold.
fn check_numbers(args: &Args) -> Result<()> {
    if !(args.rate.is_finite() && (MIN_RATE..=MAX_RATE).contains(&args.rate)) {
        return Err(Error::invalid_input(format!(
            "--rate {:?} is not a rate from {MIN_RATE} to {MAX_RATE} frames per second",
            args.rate
        )));
    }
    if !(MIN_FRAMES..=MAX_FRAMES).contains(&args.frames) {
        return Err(Error::invalid_input(format!(
            "--frames {} is not a number of frames from {MIN_FRAMES} to {MAX_FRAMES}",
            args.frames
        )));
    }
    Ok(())
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    // Checked before anything is made, whether the TUI runs or not.
    let stall_after = cli
        .stall_after
        .map(crate::config::stall_after)
        .transpose()
        .map_err(|m| Error::invalid_input(format!("--{}", m.replace('_', "-"))))?;
    let Prepared {
        store,
        label,
        prefix,
    } = prepare(cli, args).await?;
    let frames_path = demo::demo_path(&prefix, demo::FRAMES_PATH);
    let cfg = DemoConfig {
        frames: args.frames,
        rate_hz: args.rate,
        prefix,
        ..DemoConfig::default()
    };
    if !args.no_tui {
        return crate::cli::tui::run_demo(
            store,
            label,
            cfg,
            cli.api_key.clone(),
            stall_after,
            cli.graphics,
        )
        .await;
    }
    if !out.json {
        eprintln!(
            "demo store: {label}\nwriting {} frames out of order at {} Hz (watch it: extent --store {label} watch {frames_path})",
            cfg.frames,
            cfg.rate_hz,
        );
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let writer = tokio::spawn(demo::run_writer(store, cfg, Some(tx)));
    let json = out.json;
    while let Some(s) = rx.recv().await {
        let line = s.line();
        match s {
            DemoStatus::Wrote {
                frame,
                done,
                total,
                missing_count,
                ..
            } => {
                if json {
                    super::output::print_line(
                        &serde_json::json!({"event": "frame", "frame": frame, "done": done, "total": total, "missing": missing_count}).to_string(),
                    );
                } else if done % 20 == 0 || done == total {
                    eprintln!("  {line}");
                }
            }
            DemoStatus::Checked(_) => {}
        }
    }
    let verdict = writer
        .await
        .map_err(|e| crate::backend::Error::io("the demo writer crashed").with_source(e))??;
    out.emit(
        &serde_json::json!({"event": "checked", "ok": true, "message": verdict, "store": label, "array": frames_path}),
        || verdict.clone(),
    );
    Ok(())
}
