//! `extent demo` in tmux, as a person would see it: without a key press the shape grows, the
//! chunk grid fills, and the run ends with the in-order check passed.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux is needed for this test (CI installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn session_alive(session: &str) -> bool {
    Command::new("tmux")
        .args(["has-session", "-t", session])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn demo_shows_growth_and_ends_with_the_in_order_check() {
    let tmp = tempfile::tempdir().unwrap();
    let session = format!("extent-demo-{}", std::process::id());
    let cmd = format!(
        "HOME={h} XDG_STATE_HOME={h}/state XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data {bin} demo --dir {h}/demo --rate 25 --frames 120",
        h = tmp.path().display(),
        bin = common::extent_bin().display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut shapes = Vec::new();
    let mut screen = String::new();
    let mut passed = false;
    while Instant::now() < deadline {
        screen = tmux(&["capture-pane", "-t", &session, "-p"]);
        // The structure pane's shape line of detector/frames: "shape     [N, 64]  uint16".
        if let Some(n) = screen
            .lines()
            .find_map(|l| l.split("shape     [").nth(1))
            .and_then(|r| r.split(',').next())
            .and_then(|n| n.trim().parse::<u64>().ok())
        {
            if shapes.last() != Some(&n) {
                shapes.push(n);
            }
        }
        if screen.contains("in-order check passed") {
            passed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux(&["send-keys", "-t", &session, "q"]);
    // The session ends when the demo quits; kill it only if that has not happened in 10 s.
    let quit_by = Instant::now() + Duration::from_secs(10);
    while Instant::now() < quit_by && session_alive(&session) {
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux(&["kill-session", "-t", &session]);
    assert!(passed, "no in-order verdict on screen:\n{screen}");
    assert!(
        shapes.len() >= 3,
        "the shape did not grow on screen: {shapes:?}\n{screen}"
    );
    assert!(shapes.windows(2).all(|w| w[1] > w[0]), "shapes: {shapes:?}");
    assert!(screen.contains("detector/frames"));
    assert!(
        screen.contains('█'),
        "the chunk grid shows no written chunks:\n{screen}"
    );
}
