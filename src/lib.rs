//! extent: a terminal console for extendable Zarr arrays.
//!
//! Dependencies point one way: `cli`/`ui` → `app` → `backend`.

pub mod backend;
pub mod bench;
pub mod cli;
pub mod demo;
pub mod logging;
pub mod npy;

/// Version and the commit it was built from (set by build.rs).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("EXTENT_COMMIT"), ")");
