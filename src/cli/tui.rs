//! Opening the TUI (placeholder until the TUI lands: says so plainly).

use std::sync::Arc;

use crate::backend::{Backend, Error, Result};
use crate::demo::DemoConfig;

pub async fn run_demo(_store: Arc<dyn Backend>, _label: String, _cfg: DemoConfig) -> Result<()> {
    Err(Error::unsupported(
        "the TUI is not built yet; run `extent demo --no-tui`",
    ))
}
