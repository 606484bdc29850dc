//! extent: a terminal console for extendable Zarr arrays.
//!
//! Dependencies point one way: `cli` → `tui` → `app` / `ui` → `backend`, with `ui` reading
//! `app`'s state; `stores` opens backends for `cli` and `tui`.

pub mod app;
// The backend is the API other front ends build on: every public item is documented.
#[warn(missing_docs)]
pub mod backend;
pub mod bench;
pub mod cli;
pub mod color;
pub mod config;
pub mod demo;
pub mod frame;
pub mod logging;
pub mod npy;
pub mod stores;
pub mod tui;
pub mod ui;

/// Version and the commit it was built from (set by build.rs).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("EXTENT_COMMIT"), ")");
