//! A private HOME and a store path in a temp dir, for tests that drive the CLI.

use std::path::PathBuf;
use std::process::Output;

pub struct Env {
    pub _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub store: String,
}

/// A new temp dir with `home/` and `store` (not made yet) inside.
pub fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    Env {
        home: root.join("home"),
        store: root.join("store").to_string_lossy().into_owned(),
        root,
        _tmp: tmp,
    }
}

impl Env {
    /// `extent --store STORE ARGS`.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--store", self.store.as_str()];
        all.extend_from_slice(args);
        super::extent(&self.home, &all)
    }
}
