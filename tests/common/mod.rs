//! Helpers shared by the integration tests: the pinned Python venv, the extent binary, the
//! request to create an array, builders for TUI tests.
#![allow(dead_code)]

pub mod cli_env;
pub mod hostile;
pub mod order;
pub mod relay;
pub mod soak;
pub mod stopped;
pub mod tiled;
pub mod tmux;
pub mod tui;
pub mod watch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, CreateRequest, DType};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned venv (tiled[server]==0.2.20, which brings zarr-python 3 and numpy), installed
/// on first use and cached. Panics with the reason when it cannot be had: tests never skip.
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo().join("scripts/start-tiled.sh"))
            .arg("--venv-only")
            .output()
            .expect("cannot run scripts/start-tiled.sh");
        assert!(
            out.status.success(),
            "could not install the pinned Python venv (scripts/start-tiled.sh --venv-only): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string())
    })
}

/// Runs a Python snippet in the venv; panics with its stderr if it fails.
pub fn python(code: &str, args: &[&str]) -> String {
    let out = Command::new(venv().join("bin/python"))
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("cannot start the venv's python");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The extent binary built for these tests.
pub fn extent_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_extent"))
}

/// `extent ARGS` with a private HOME/XDG dirs under `home`, so tests do not touch the user's
/// config, journal or locks, and no store or key from the environment.
pub fn extent_command(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(extent_bin());
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("EXTENT_STORE")
        .env_remove("TILED_API_KEY");
    cmd
}

/// Runs `extent` with `args` (see `extent_command`) and waits for it.
pub fn extent(home: &Path, args: &[&str]) -> Output {
    extent_command(home, args)
        .output()
        .expect("cannot run extent")
}

/// Runs `extent` with `args` (see `extent_command`); fails the test with its stderr unless it
/// succeeds, and returns its stdout.
pub fn extent_ok(home: &Path, args: &[&str]) -> String {
    let out = extent(home, args);
    assert!(
        out.status.success(),
        "extent {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A request for an empty array: every axis resizable, fill 0, no metadata. Tests change
/// what they need with `CreateRequest { field, ..create_request(...) }`.
pub fn create_request(path: &str, shape: &[u64], chunks: &[u64], dtype: DType) -> CreateRequest {
    CreateRequest {
        path: path.into(),
        shape: shape.to_vec(),
        chunks: chunks.to_vec(),
        dtype,
        resizable: vec![true; shape.len()],
        fill_value: serde_json::json!(0),
        metadata: serde_json::json!({}),
        data: None,
    }
}

/// The JSON that a successful `extent ARGS` printed; fails with stderr or stdout otherwise.
pub fn expect_json(args: &[&str], out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "extent {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "extent {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Every file under `dir` with its bytes, sorted: to prove a refused call wrote nothing.
pub fn snapshot_dir(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A `side`² uint16 frame of 100 with the top-right quadrant at 60000 and one marked element
/// (row 5, column 9) at 30000.
pub fn quadrant_frame(side: u64) -> ArrayData {
    let bytes = (0..side * side)
        .flat_map(|k| {
            let (y, x) = (k / side, k % side);
            let v: u16 = if (y, x) == (5, 9) {
                30_000
            } else if y < side / 2 && x >= side / 2 {
                60_000
            } else {
                100
            };
            v.to_le_bytes()
        })
        .collect();
    ArrayData::new(DType::UInt16, vec![1, side, side], bytes).expect("frame")
}

pub async fn quadrant_store(dir: &Path, side: u64) -> LocalBackend {
    let b = LocalBackend::open_or_create(dir).expect("store");
    let req = CreateRequest {
        resizable: vec![true, false, false],
        data: Some(quadrant_frame(side)),
        ..create_request("stack", &[1, side, side], &[1, side, side], DType::UInt16)
    };
    b.create(&req).await.expect("create");
    b
}
