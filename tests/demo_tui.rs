//! `extent demo` in tmux, as a person would see it: without a key press the shape grows, the
//! status line names the frames still missing, the Frame view follows the detector, and the
//! run ends with the in-order check on screen — printed again on exit with where the store is.

mod common;

use common::tmux::{isolated_env, shell_quote, Tmux};

/// The axis-0 length in the structure pane's shape line (`shape     [N, 128, 128]  uint16`).
fn shape_len(screen: &str) -> Option<u64> {
    screen
        .lines()
        .find_map(|l| l.split("shape     [").nth(1))
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.trim().parse::<u64>().ok())
}

#[test]
fn demo_shows_growth_holes_and_frames_and_ends_with_the_in_order_check() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let store = tmp.path().join("demo");
    let exit = tmp.path().join("exit.txt");
    let cmd = format!(
        "{env} {bin} demo --dir {store} --rate 25 --frames 120 2> {exit}; echo EXITED; sleep 30",
        env = isolated_env(&home),
        bin = shell_quote(&common::extent_bin()),
        store = shell_quote(&store),
        exit = shell_quote(&exit),
    );
    let t = Tmux::start(&home, &cmd, 160, 48);
    let mut shapes = Vec::new();
    let (mut missing, mut following, mut strip, mut hole) = (false, false, false, false);
    let screen = t.wait_until(60, "the in-order verdict", |s| {
        if let Some(n) = shape_len(s) {
            if shapes.last() != Some(&n) {
                shapes.push(n);
            }
        }
        missing |= s.contains("missing ");
        following |= s.contains("following") && s.contains(" frames ·");
        // One frame per chunk: the grid is a wrapped strip of frames, holes drawn as `·`.
        strip |= s.contains("chunks along axis 0");
        hole |= s
            .lines()
            .any(|l| ["█·", "◆·", "·█", "·◆"].iter().any(|pair| l.contains(pair)));
        s.contains("in-order check passed")
    });
    assert!(
        shapes.len() >= 3,
        "the shape did not grow on screen: {shapes:?}\n{screen}"
    );
    assert!(shapes.windows(2).all(|w| w[1] > w[0]), "shapes: {shapes:?}");
    assert!(missing, "the status line never named a missing frame");
    assert!(following, "the Frame view never followed the detector");
    assert!(
        strip,
        "the chunk grid was never a strip of frames:\n{screen}"
    );
    assert!(
        hole,
        "the chunk grid never showed a missing frame between written ones"
    );
    assert!(screen.contains("detector/frames"));
    assert!(screen.contains('▀'), "no frame image on screen:\n{screen}");
    // The chunk grid, one frame per chunk: every chunk written at the end.
    t.keys(&["Tab"]);
    let grid = t.wait_for(&["Chunks"], 10);
    assert!(
        grid.contains('█'),
        "the chunk grid shows no written chunks:\n{grid}"
    );
    t.keys(&["q"]);
    t.wait_for(&["EXITED"], 10);
    let printed = std::fs::read_to_string(&exit).unwrap();
    assert!(printed.contains("in-order check passed"), "{printed}");
    assert!(
        printed.contains(&format!("demo store kept at {}", store.display())),
        "{printed}"
    );
}
