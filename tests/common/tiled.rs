//! A real Tiled 0.2.20 server for the tests: reused when `EXTENT_TILED_URL` (+ `TILED_API_KEY`,
//! and optionally `TILED_DATA_DIR`) is set, otherwise started once per test binary with
//! `scripts/start-tiled.sh` and stopped when the binary exits (a watchdog process kills it, so
//! it also goes away when a test panics or the binary is killed). If the server cannot be had,
//! the calling test fails with the reason: never a skip.
//!
//! [`prod_server`] is the production-like profile (`TILED_PROFILE=prod`: PostgreSQL, 4 worker
//! processes, Redis), started the same way, once per test binary that asks for it.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{repo, venv};

pub struct Server {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    pub api_key: String,
    /// The server's storage, when known (a server we started, or `TILED_DATA_DIR`).
    pub data_dir: Option<PathBuf>,
    /// The server's process (for a prod server: the leader of its workers' group), when we
    /// started it.
    pub pid: Option<u32>,
}

/// The shared server (started on first use).
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("EXTENT_TILED_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let api_key = std::env::var("TILED_API_KEY").expect(
                "EXTENT_TILED_URL is set but TILED_API_KEY is not: the tests need the server's key",
            );
            Server {
                url: url.trim().trim_end_matches('/').to_string(),
                api_key,
                data_dir: std::env::var_os("TILED_DATA_DIR").map(PathBuf::from),
                pid: None,
            }
        }
        _ => start(),
    })
}

/// Worker processes of the production-like server.
pub const PROD_WORKERS: usize = 4;

/// The shared production-like server: catalog and tables on PostgreSQL, [`PROD_WORKERS`]
/// worker processes, the streaming cache on Redis (started on first use, stopped with this
/// process like [`server`]).
pub fn prod_server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(start_prod)
}

/// Starts a private production-like server that lives as long as this process.
pub fn start_prod() -> Server {
    start_with(&[
        ("TILED_PROFILE", "prod"),
        ("TILED_WORKERS", &PROD_WORKERS.to_string()),
    ])
}

/// Starts a private server (its own port, key and storage) that lives as long as this process.
pub fn start() -> Server {
    start_with(&[])
}

/// Starts a private server with extra settings for scripts/start-tiled.sh.
pub fn start_with(env: &[(&str, &str)]) -> Server {
    // Installs (or finds) the pinned venv first, with its own clear failure message.
    venv();
    let out = Command::new("bash")
        .arg(repo().join("scripts/start-tiled.sh"))
        .env_remove("TILED_PORT")
        .env_remove("TILED_API_KEY")
        .env_remove("TILED_DATA_DIR")
        .env_remove("TILED_PROFILE")
        .env_remove("TILED_WORKERS")
        .env_remove("TILED_STREAM")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("cannot run scripts/start-tiled.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "could not start a Tiled server with scripts/start-tiled.sh {env:?} (exit {:?}):\n{}\n{}",
        out.status.code(),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let var = |name: &str| -> String {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .unwrap_or_else(|| panic!("start-tiled.sh printed no {name}:\n{stdout}"))
            .to_string()
    };
    let (url, api_key, pid, data) = (
        var("TILED_URL"),
        var("TILED_API_KEY"),
        var("TILED_PID"),
        var("TILED_DATA_DIR"),
    );
    // The watchdog outlives this process by at most a second, then stops the server (and a
    // prod server's database and cache, found in its storage) and removes its storage.
    // Started in the background of a shell that exits at once, so it is nobody's child to
    // wait for.
    let me = std::process::id();
    let script = format!(
        "while kill -0 {me} 2>/dev/null; do sleep 0.5; done; \
         bash '{}' --stop {pid} '{data}'; rm -rf '{data}'",
        repo().join("scripts/start-tiled.sh").display()
    );
    let started = Command::new("sh")
        .arg("-c")
        .arg(format!("( {script} ) </dev/null >/dev/null 2>&1 &"))
        .stdin(Stdio::null())
        .status()
        .expect("cannot start the watchdog for the Tiled server");
    assert!(
        started.success(),
        "cannot start the watchdog for the Tiled server"
    );
    Server {
        url,
        api_key,
        data_dir: Some(PathBuf::from(data)),
        pid: pid.parse().ok(),
    }
}

/// A name no other test (or earlier run against a reused server) uses.
pub fn unique(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{name}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000_000
    )
}

impl Server {
    /// Creates the groups of `path` (`a/b/c`) on the server, ignoring those that exist.
    pub fn make_groups(&self, path: &str) {
        let mut parent = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let url = format!("{}/api/v1/metadata/{parent}", self.url);
            let body = serde_json::json!({
                "id": part, "structure_family": "container", "metadata": {},
                "specs": [], "data_sources": []
            });
            let status = post_json(&url, &self.api_key, &body);
            assert!(
                status == 200 || status == 409,
                "creating the test group '{parent}{part}' failed with {status}"
            );
            parent.push_str(part);
            parent.push('/');
        }
    }

    /// Runs Python with the Tiled client connected as `c` (`from_uri(url, api_key=key)`).
    pub fn python(&self, code: &str) -> String {
        let prelude = format!(
            "import numpy as np, json, sys\nfrom tiled.client import from_uri\n\
             c = from_uri({:?}, api_key={:?})\n",
            self.url, self.api_key
        );
        super::python(&format!("{prelude}{code}"), &[])
    }
}

impl Server {
    /// Builds a facility-like catalog under a new root container (`tests/fixtures/
    /// tiled_catalog.py`, with Tiled's own Python client): `runs/` with `runs` Bluesky-like
    /// runs, a table, nested groups, and registered HDF5 arrays (`external/h5`, `external/ahead`
    /// with more frames in the catalog than in the file, `external/skewed` with other trailing
    /// axes). Returns the root's name.
    pub fn facility(&self, runs: u32) -> String {
        let data = self.data_dir.as_ref().expect(
            "the facility fixture registers files in the server's storage: set TILED_DATA_DIR \
             (the server's data dir, as scripts/start-tiled.sh made it) or let the tests start \
             their own server",
        );
        let root = unique("facility");
        let script = super::repo().join("tests/fixtures/tiled_catalog.py");
        let external = data.join("external");
        let out = Command::new(super::venv().join("bin/python"))
            .arg(&script)
            .args([&self.url, &self.api_key, &root])
            .arg(&external)
            .arg(runs.to_string())
            .output()
            .expect("cannot start the venv's python");
        assert!(
            out.status.success(),
            "building the facility catalog failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        root
    }
}

/// A blocking JSON POST (on its own thread and runtime, so it works from any test); the status,
/// or 0 when the server cannot be reached.
fn post_json(url: &str, key: &str, body: &serde_json::Value) -> u16 {
    let (url, key, body) = (url.to_string(), key.to_string(), body.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(async move {
            reqwest::Client::new()
                .post(url)
                .header("Authorization", format!("Apikey {key}"))
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
    })
    .join()
    .expect("request thread")
}
