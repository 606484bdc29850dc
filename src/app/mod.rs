//! The TUI's model: state, actions and effects, `update()`, input, dialogs, keymap, layout,
//! catalog and chunk plane. Pure: no terminal, no I/O, no drawing. The runtime that runs it
//! is the `tui` module; the widgets that draw it are in `ui`.

pub mod action;
mod activity;
pub mod catalog;
pub mod chunk_plane;
pub mod clock;
pub mod commands;
pub mod dialogs;
pub mod focus;
pub mod frame_view;
pub mod frame_window;
mod frame_window_keys;
mod input;
pub mod keymap;
pub mod layout;
pub mod messages;
pub mod metadata;
pub mod monitor;
pub mod notice;
mod picker;
pub mod state;
pub mod text;
mod update;

pub use input::run_palette;
pub use update::{error_detail, error_text, newly_written, plan_ctx};
