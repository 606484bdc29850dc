//! Opening the TUI on the demo store while the simulated detector writes.

use std::sync::{Arc, Mutex};

use crate::app::notice::Notice;
use crate::backend::{Backend, Error, Result, Secret};
use crate::demo::{self, DemoConfig, DemoStatus};

/// Runs the demo writer in the background and the TUI in front; the writer's progress and the
/// final in-order check appear in the status bar.
/// `api_key` is for stores opened from inside the TUI (`store http://…`).
pub async fn run_demo(
    store: Arc<dyn Backend>,
    label: String,
    cfg: DemoConfig,
    api_key: Option<Secret>,
) -> Result<()> {
    let (status_tx, mut status_rx) = tokio::sync::mpsc::channel(64);
    let (notice_tx, notice_rx) = tokio::sync::mpsc::unbounded_channel();
    let writer = tokio::spawn(demo::run_writer(store.clone(), cfg, Some(status_tx)));
    tokio::spawn(async move {
        while let Some(s) = status_rx.recv().await {
            let notice = match s {
                DemoStatus::Wrote { frame, done, total } if done % 10 == 0 || done == total => {
                    Notice::info(format!(
                        "demo: frame {frame} written ({done}/{total}, out of order)"
                    ))
                }
                DemoStatus::Wrote { .. } => continue,
                DemoStatus::Checked(Ok(msg)) => Notice::info(format!("demo: {msg}")).sticky(),
                DemoStatus::Checked(Err(msg)) => Notice::error(format!("demo: {msg}")).sticky(),
            };
            if notice_tx.send(notice).is_err() {
                return;
            }
        }
    });
    let mut opts = crate::tui::TuiOptions::new(Some(store), format!("demo {label}"));
    opts.notices = Some(Arc::new(Mutex::new(Some(notice_rx))));
    opts.open_path = Some(demo::FRAMES_PATH.to_string());
    opts.opener = crate::stores::Opener::new(api_key);
    let ui = crate::tui::run(opts).await;
    writer.abort();
    ui.map_err(|e| {
        let cause: Box<dyn std::error::Error + Send + Sync> = e.into();
        let mut err = Error::io("the TUI failed");
        err.source = Some(cause.into());
        err
    })
}
