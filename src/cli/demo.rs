//! `extent demo [--dir PATH] [--rate HZ] [--frames N] [--no-tui]` (and the global `--store URL`
//! for a Tiled server): an out-of-order writer to watch, and a check that the result is right.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::{Backend, Result};
use crate::demo::{self, DemoConfig, DemoStatus};
use crate::stores::{Opener, Target};

use super::{Cli, Output};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for the demo store (default: a new temp dir, kept afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Frames per second written by the simulated detector.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Number of frames.
    #[arg(long, default_value_t = 200)]
    pub frames: u64,
    /// Run the writer and the check without the TUI.
    #[arg(long)]
    pub no_tui: bool,
    /// Print progress and the verdict as JSON lines.
    #[arg(long)]
    pub json: bool,
}

/// Opens (or makes) the demo store and fills it with the demo arrays.
pub async fn prepare(cli: &Cli, args: &Args) -> Result<(Arc<dyn Backend>, String)> {
    let opener = Opener {
        create: true,
        ..Opener::new(cli.api_key.clone())
    };
    // `--dir` is a directory whatever it looks like; `--store` is a spec like everywhere.
    let (store, label) = match (&args.dir, &cli.store) {
        (Some(dir), _) => (
            opener.open_target(&Target::Dir(dir.clone()))?,
            dir.display().to_string(),
        ),
        (None, Some(spec)) => (opener.open(spec)?, spec.clone()),
        (None, None) => {
            let dir = demo::temp_dir();
            (
                opener.open_target(&Target::Dir(dir.clone()))?,
                dir.display().to_string(),
            )
        }
    };
    demo::make_store(store.as_ref()).await?;
    Ok((store, label))
}

pub async fn run(cli: &Cli, args: &Args, out: &Output) -> Result<()> {
    let (store, label) = prepare(cli, args).await?;
    let cfg = DemoConfig {
        frames: args.frames.max(8),
        rate_hz: args.rate,
        ..DemoConfig::default()
    };
    if !args.no_tui {
        return crate::cli::tui::run_demo(store, label, cfg, cli.api_key.clone()).await;
    }
    if !out.json {
        eprintln!(
            "demo store: {label}\nwriting {} frames out of order at {} Hz (watch it: extent --store {label} watch {})",
            cfg.frames,
            cfg.rate_hz,
            demo::FRAMES_PATH
        );
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let writer = tokio::spawn(demo::run_writer(store, cfg, Some(tx)));
    let json = out.json;
    while let Some(s) = rx.recv().await {
        match s {
            DemoStatus::Wrote { frame, done, total } => {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"event": "frame", "frame": frame, "done": done, "total": total})
                    );
                } else if done % 20 == 0 || done == total {
                    eprintln!("  wrote frame {frame:>4} ({done}/{total})");
                }
            }
            DemoStatus::Checked(_) => {}
        }
    }
    let verdict = writer
        .await
        .map_err(|e| crate::backend::Error::io("the demo writer crashed").with_source(e))??;
    out.emit(
        &serde_json::json!({"event": "checked", "ok": true, "message": verdict, "store": label}),
        || verdict.clone(),
    );
    Ok(())
}
