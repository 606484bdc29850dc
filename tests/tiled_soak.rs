//! Out-of-order extend patches of mixed sizes from 4 processes at once against a real Tiled
//! server converge to the in-order result: bit-identical data, the right final shape, and a
//! complete history. 4 × 20 patches in every run; 4 × 500 with EXTENT_SOAK=1. (The same soak
//! on the production-like server is in tiled_prod.rs.)

mod common;

use common::soak::{self, Hosts};

fn soak() -> bool {
    std::env::var("EXTENT_SOAK").is_ok_and(|v| v == "1")
}

/// Entry point of the worker processes (this binary, re-executed with `--ignored`): ignored
/// in a normal run, and fails when run without its EXTENT_TEST_WORKER.
#[test]
#[ignore = "a worker process of four_processes_extend_one_tiled_array_out_of_order"]
fn worker_entry() {
    soak::worker_main();
}

#[test]
fn four_processes_extend_one_tiled_array_out_of_order() {
    let per = if soak() { 500 } else { 20 };
    let server = common::tiled::server();
    let home = tempfile::tempdir().unwrap();
    let o = soak::run(server, home.path(), per, Hosts::One);
    soak::assert_converged(server, home.path(), &o, "tiled soak");
}
