//! Out-of-order writing in the concurrency and soak tests: a reproducible shuffle, and the
//! check that the history of a growing array is one unbroken chain.

use extent::backend::{Cause, StructureChange};

/// A deterministic Fisher–Yates shuffle (an LCG, so no RNG crate is needed).
pub fn shuffled(frames: Vec<u64>, seed: u64) -> Vec<u64> {
    let mut v = frames;
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    for i in (1..v.len()).rev() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (s >> 33) as usize % (i + 1);
        v.swap(i, j);
    }
    v
}

/// Each structure change starts where the previous ended, and the shape only grows.
pub fn check_history(h: &[StructureChange], final_shape: &[u64]) {
    assert_eq!(h[0].cause, Cause::Create, "{h:?}");
    for w in h.windows(2) {
        assert_eq!(
            w[1].old_shape.as_ref(),
            w[0].new_shape.as_ref(),
            "history has a gap: {h:?}"
        );
        assert!(w[1].new_shape.as_ref().unwrap()[0] > w[1].old_shape.as_ref().unwrap()[0]);
    }
    assert_eq!(h.last().unwrap().new_shape.as_deref(), Some(final_shape));
}

/// Runs `workers` copies of this test binary's `worker_entry` test (marked `#[ignore]`, so
/// only these runs execute it) at once, worker `w` getting the frames `f` of `frames` with
/// `f % workers == w` (in their shuffled order) through `EXTENT_TEST_WORKER = spec("f,f,...")`;
/// waits for all and fails if one did, or if one ran no test.
pub fn run_workers(
    workers: u64,
    frames: &[u64],
    spec: impl Fn(&str) -> String,
    envs: &[(&str, &str)],
) {
    let me = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..workers)
        .map(|w| {
            let mine: Vec<String> = frames
                .iter()
                .filter(|f| *f % workers == w)
                .map(|f| f.to_string())
                .collect();
            std::process::Command::new(&me)
                .args([
                    "--ignored",
                    "--exact",
                    "worker_entry",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("EXTENT_TEST_WORKER", spec(&mine.join(",")))
                .envs(envs.iter().copied())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // The worker's panic message is on its stderr.
        assert!(
            out.status.success(),
            "a worker failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A worker that matched no test would exit 0 having written nothing.
        assert!(
            stdout.contains("1 passed"),
            "a worker ran no test: {stdout}"
        );
    }
}
