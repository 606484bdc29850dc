//! extent: a terminal console for extendable Zarr arrays.
//!
//! Dependencies point one way: `cli`/`ui` → `app` → `backend`.

pub mod backend;
pub mod npy;
