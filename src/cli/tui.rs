//! Opening the TUI on the demo store while the simulated detector writes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::app::notice::Notice;
use crate::backend::{Backend, Error, Result, Secret};
use crate::demo::{self, DemoConfig, DemoStatus};

/// Progress lines reach the status bar at most this often (the writer may run at 10 kHz).
const NOTICE_EVERY: Duration = Duration::from_millis(100);

/// Runs the demo writer in the background and the TUI in front; the writer's progress (which
/// frame arrived, which are still missing) and the final in-order check appear in the status
/// bar, and on exit the verdict and where the store is kept are printed.
/// `api_key` is for stores opened from inside the TUI (`store http://…`).
pub async fn run_demo(
    store: Arc<dyn Backend>,
    label: String,
    cfg: DemoConfig,
    api_key: Option<Secret>,
    stall_after: Option<Duration>,
    graphics: Option<crate::ui::frame::Graphics>,
) -> Result<()> {
    let (status_tx, mut status_rx) = tokio::sync::mpsc::channel(64);
    let (notice_tx, notice_rx) = tokio::sync::mpsc::unbounded_channel();
    let frames_path = demo::demo_path(&cfg.prefix, demo::FRAMES_PATH);
    let writer = tokio::spawn(demo::run_writer(store.clone(), cfg, Some(status_tx)));
    let last = Arc::new(Mutex::new(None::<DemoStatus>));
    let last_seen = last.clone();
    tokio::spawn(async move {
        let mut sent: Option<Instant> = None;
        while let Some(s) = status_rx.recv().await {
            let notice = match &s {
                DemoStatus::Wrote { done, total, .. } => {
                    let due = sent.is_none_or(|t| t.elapsed() >= NOTICE_EVERY);
                    if !due && done != total {
                        if let Ok(mut l) = last_seen.lock() {
                            *l = Some(s);
                        }
                        continue;
                    }
                    sent = Some(Instant::now());
                    Notice::info(format!("demo: {}", s.line()))
                }
                DemoStatus::Checked(Ok(msg)) => Notice::ok(format!("demo: {msg}")).sticky(),
                DemoStatus::Checked(Err(msg)) => Notice::error(format!("demo: {msg}")).sticky(),
            };
            if let Ok(mut l) = last_seen.lock() {
                *l = Some(s);
            }
            if notice_tx.send(notice).is_err() {
                return;
            }
        }
    });
    let mut opts = crate::tui::TuiOptions::new(Some(store), format!("demo {label}"));
    opts.notices = Some(Arc::new(Mutex::new(Some(notice_rx))));
    opts.open_path = Some(frames_path.clone());
    opts.follow_frames = true;
    opts.stall_after = stall_after;
    opts.graphics = graphics;
    opts.opener = crate::stores::Opener::new(api_key);
    let ui = crate::tui::run(opts).await;
    // The terminal is restored: say how the run ended and where the store is.
    let verdict = if writer.is_finished() {
        match writer.await {
            Ok(Ok(msg)) => msg,
            Ok(Err(e)) => format!("the demo writer failed: {}", e.chain()),
            Err(e) => format!("the demo writer crashed: {e}"),
        }
    } else {
        writer.abort();
        let progress = last.lock().ok().and_then(|l| l.clone());
        match progress {
            Some(DemoStatus::Wrote { done, total, .. }) => {
                format!("demo stopped after {done} of {total} frames, before the in-order check")
            }
            _ => "demo stopped before the first frame".to_string(),
        }
    };
    eprintln!("{verdict}\ndemo store kept at {label} (array {frames_path})");
    ui.map_err(|e| {
        let cause: Box<dyn std::error::Error + Send + Sync> = e.into();
        let mut err = Error::io("the TUI failed");
        err.source = Some(cause.into());
        err
    })
}
