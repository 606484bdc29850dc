//! A really full disk under the local backend: a 2 MiB tmpfs (ENOSPC), and the kernel's
//! file-size limit on a child `extent` (RLIMIT_FSIZE, EFBIG). Both run as any user: the tmpfs
//! is mounted directly when the tests may (root), else inside a user and mount namespace of
//! the test's own (`unshare --user --map-root-user --mount`), where any user may mount one.
//! Where neither works the tmpfs test fails and says why: it never passes untested.
//! A grow that does not fit must fail with an error naming the cause, roll the shape back,
//! keep every acknowledged byte, and leave a store that opens and checks clean; a create on
//! a full disk must fail and leave no half-made array.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use extent::backend::{ArrayData, DType};

/// A 2 MiB tmpfs, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` when mounting is not allowed (not root, or no CAP_SYS_ADMIN).
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        // Made only once mounted: dropping one unmounts it.
        ok.then(|| Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Set in the re-executed test binary that runs inside its own namespace.
const IN_NAMESPACE: &str = "EXTENT_TEST_IN_USER_NAMESPACE";

/// Runs the ignored test `name` of this binary inside a new user and mount namespace, where
/// the test is root and may mount a tmpfs; fails with the reason when that is not possible.
fn in_own_namespace(name: &str) {
    let me = std::env::current_exe().unwrap();
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount"])
        .arg(&me)
        .args([
            "--ignored",
            "--exact",
            name,
            "--nocapture",
            "--test-threads=1",
        ])
        .env(IN_NAMESPACE, "1")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot mount a tmpfs here (not root) and cannot run unshare (util-linux) for a \
                 user namespace where it could: {e}"
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} in its own user namespace failed. If unshare itself was refused, run as root \
         or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, \
         user.max_user_namespaces > 0).\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    print!("{stdout}");
}

/// Incompressible bytes (zstd cannot shrink them), deterministic.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

const COLS: u64 = 4096;

struct Env {
    home: PathBuf,
    store: String,
    files: tempfile::TempDir,
    /// `ulimit -f` (512-byte blocks) for every extent run, when set.
    fsize_blocks: std::cell::Cell<Option<u64>>,
}

impl Env {
    fn new(store: &Path) -> Env {
        let files = tempfile::tempdir().unwrap();
        Env {
            home: files.path().join("home"),
            store: store.to_string_lossy().into_owned(),
            files,
            fsize_blocks: std::cell::Cell::new(None),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--store", self.store.as_str()];
        all.extend_from_slice(args);
        match self.fsize_blocks.get() {
            None => common::extent(&self.home, &all),
            Some(blocks) => {
                // The real kernel limit: writes past it fail with EFBIG (SIGXFSZ ignored).
                let script = format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$@\"");
                let mut cmd = Command::new("sh");
                cmd.arg("-c")
                    .arg(script)
                    .arg("sh")
                    .arg(common::extent_bin())
                    .args(&all);
                cmd.env("HOME", &self.home)
                    .env("XDG_DATA_HOME", self.home.join("data"))
                    .env("XDG_STATE_HOME", self.home.join("state"))
                    .env("XDG_CACHE_HOME", self.home.join("cache"))
                    .env_remove("EXTENT_STORE");
                cmd.output().unwrap()
            }
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "extent {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A .npy of `rows` rows of noise, outside the full filesystem.
    fn npy(&self, name: &str, rows: u64, seed: u64) -> (String, Vec<u8>) {
        let bytes = noise((rows * COLS) as usize, seed);
        let d = ArrayData::new(DType::UInt8, vec![rows, COLS], bytes.clone()).unwrap();
        let p = self.files.path().join(name);
        std::fs::write(&p, extent::npy::encode(&d)).unwrap();
        (p.to_string_lossy().into_owned(), bytes)
    }

    fn shape(&self, array: &str) -> Vec<u64> {
        let v: serde_json::Value =
            serde_json::from_str(&self.ok(&["show", array, "--json"])).unwrap();
        serde_json::from_value(v["shape"].clone()).unwrap()
    }

    fn data(&self, array: &str) -> Vec<u8> {
        let out = self.files.path().join("back.npy");
        let _ = std::fs::remove_file(&out);
        self.ok(&["read", array, "--out", &out.to_string_lossy()]);
        extent::npy::parse(&std::fs::read(&out).unwrap())
            .unwrap()
            .bytes
    }

    /// `extent check` is clean, or only marked leftovers that `--repair` clears.
    fn checks_clean(&self, array: &str) -> &'static str {
        if self.run(&["check", array]).status.success() {
            return "clean";
        }
        self.ok(&["check", array, "--repair", "--yes"]);
        let again = self.run(&["check", array]);
        assert!(
            again.status.success(),
            "check after repair: {}",
            String::from_utf8_lossy(&again.stdout)
        );
        "clean after --repair"
    }
}

/// The scenario on whatever makes writes fail; `needle` is the OS error expected.
/// `limit`: the file-size limit of the failing patch only.
fn grow_past_the_space(env: &Env, needle: &str, limit: Option<u64>, big_rows: u64) {
    env.ok(&[
        "create", "a", "--shape", "16,4096", "--chunks", "16,4096", "--dtype", "uint8",
    ]);
    let (first, first_bytes) = env.npy("first.npy", 16, 1);
    env.ok(&["patch", "a", "--offset", "0,0", "--from", &first]);
    let (small, small_bytes) = env.npy("small.npy", 16, 2);
    env.ok(&[
        "patch", "a", "--offset", "16,0", "--from", &small, "--extend",
    ]);
    let acknowledged: Vec<u8> = [first_bytes, small_bytes].concat();
    let history_before = env.ok(&["history", "a", "--json"]);

    let (big, _) = env.npy("big.npy", big_rows, 3);
    env.fsize_blocks.set(limit);
    let out = env.run(&["patch", "a", "--offset", "32,0", "--from", &big, "--extend"]);
    env.fsize_blocks.set(None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains(needle), "lacks {needle:?}: {stderr}");
    assert!(stderr.contains("rolled back to [32, 4096]"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    println!("grow past the space: {}", stderr.trim());

    // No acknowledged growth, every acknowledged byte, a store that checks clean.
    assert_eq!(env.shape("a"), vec![32, COLS]);
    assert!(env.data("a") == acknowledged, "acknowledged data changed");
    println!("check: {}", env.checks_clean("a"));
    let history = env.ok(&["history", "a", "--json"]);
    let before = history_before.trim_end().trim_end_matches(']');
    assert!(history.starts_with(before), "history rewritten: {history}");
    let last: serde_json::Value = serde_json::from_str(&history).unwrap();
    let last = last.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["new_shape"],
        serde_json::json!([32, 4096]),
        "{history}"
    );

    // The store is still usable: a grow that fits succeeds.
    let (more, more_bytes) = env.npy("more.npy", 16, 4);
    env.ok(&[
        "patch", "a", "--offset", "32,0", "--from", &more, "--extend",
    ]);
    assert_eq!(env.shape("a"), vec![48, COLS]);
    assert!(env.data("a") == [acknowledged, more_bytes].concat());
}

/// As root the tmpfs is mounted here; as any other user the same scenario runs in a user
/// namespace of its own (see `in_own_namespace`).
#[test]
fn a_full_tmpfs_rolls_back_and_keeps_acknowledged_data() {
    match Tmpfs::mount("2m") {
        Some(fs) => full_tmpfs(&fs),
        None => in_own_namespace("full_tmpfs_in_a_user_namespace"),
    }
}

/// The tmpfs scenario as root of a user namespace: started by the test above, never alone.
#[test]
#[ignore = "run by a_full_tmpfs_rolls_back_and_keeps_acknowledged_data in its own namespace"]
fn full_tmpfs_in_a_user_namespace() {
    assert!(
        std::env::var_os(IN_NAMESPACE).is_some(),
        "runs only inside the namespace made by a_full_tmpfs_rolls_back_and_keeps_acknowledged_data"
    );
    let fs = Tmpfs::mount("2m").expect("root of a new user namespace, yet cannot mount a tmpfs");
    full_tmpfs(&fs);
}

/// A grow past the end of a 2 MiB tmpfs, then creates on a filesystem with no space left.
fn full_tmpfs(fs: &Tmpfs) {
    let env = Env::new(&fs.path().join("store"));
    // 640 rows × 4096 = 2.5 MiB of noise: more than the whole filesystem.
    grow_past_the_space(&env, "No space left on device", None, 640);

    // Fill what is left, then create: refused, and no half-made array.
    let filler = fs.path().join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let block = vec![7u8; 64 << 10];
    while std::io::Write::write_all(&mut f, &block).is_ok() {}
    let _ = std::io::Write::write_all(&mut f, &[7u8; 512]);
    let (init, _) = env.npy("init.npy", 16, 5);
    for args in [
        vec![
            "create", "b", "--shape", "16,4096", "--chunks", "16,4096", "--dtype", "uint8",
        ],
        vec!["create", "g/c", "--from", &init, "--chunks", "16,4096"],
    ] {
        let out = env.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!("create on a full disk: {}", stderr.trim());
        assert_eq!(out.status.code(), Some(6), "{args:?}: {stderr}");
        assert!(stderr.contains("No space left on device"), "{stderr}");
    }
    let ls = env.ok(&["ls", "--json"]);
    assert!(!ls.contains("\"b\"") && !ls.contains("g/c"), "{ls}");
    assert!(!fs.path().join("store/b").exists(), "half-made array left");
    assert!(env.run(&["check", "--all"]).status.success());
    // With space again, the same create succeeds.
    drop(f);
    std::fs::remove_file(&filler).unwrap();
    env.ok(&[
        "create", "b", "--shape", "16,4096", "--chunks", "16,4096", "--dtype", "uint8",
    ]);
}

#[test]
fn the_file_size_limit_rolls_back_and_keeps_acknowledged_data() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(&dir.path().join("store"));
    // 64 blocks = 32 KiB: the big patch's 64 KiB chunks of noise cannot be written (EFBIG).
    grow_past_the_space(&env, "File too large", Some(64), 64);
}
