//! End to end: the real binary in tmux on a local store made here. Browse, filter, open an
//! array (shape, chunk grid, history), patch with extend, resize down with confirmation,
//! create an array, help, quit with the terminal restored. Polls the screen with deadlines.
//! If tmux is missing the test fails and says so (CI installs it).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::tmux::{shell_quote, Tmux};
use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, CreateRequest, DType};
use serde_json::json;

async fn make_store(dir: &Path) -> LocalBackend {
    let b = LocalBackend::open_or_create(dir).expect("store");
    let req = |path: &str, shape: &[u64], chunks: &[u64], resizable: &[bool]| CreateRequest {
        resizable: resizable.to_vec(),
        metadata: json!({"units": "counts"}),
        ..common::create_request(path, shape, chunks, DType::UInt16)
    };
    b.create(&req(
        "detector/frames",
        &[0, 8, 8],
        &[1, 4, 4],
        &[true, false, false],
    ))
    .await
    .expect("create");
    for frame in [2u64, 0, 3] {
        let bytes: Vec<u8> = (0..64u16)
            .flat_map(|i| (i + frame as u16 * 100).to_le_bytes())
            .collect();
        let d = ArrayData::new(DType::UInt16, vec![1, 8, 8], bytes).expect("data");
        b.patch("detector/frames", &[frame, 0, 0], &d, true)
            .await
            .expect("patch");
    }
    b.create(&req("scan/map", &[20, 30], &[10, 10], &[true, true]))
        .await
        .expect("create");
    b.create(&req("other/thing", &[5], &[5], &[true]))
        .await
        .expect("create");
    b
}

#[tokio::test(flavor = "multi_thread")]
async fn browse_patch_resize_create_help_quit_in_tmux() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    let store_dir: PathBuf = tmp.path().join("store.zarr");
    std::fs::create_dir_all(&home).expect("home");
    let b = make_store(&store_dir).await;

    let env = format!(
        "env -u EXTENT_STORE -u TILED_API_KEY HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data XDG_STATE_HOME={h}/state XDG_CACHE_HOME={h}/cache",
        h = shell_quote(&home)
    );
    let cmd = format!(
        "{env} {bin} --store {store}; echo \"EXIT=$?\"; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo END; sleep 60",
        bin = shell_quote(&common::extent_bin()),
        store = shell_quote(&store_dir),
    );
    let t = Tmux::start(&home, &cmd, 100, 30);

    // Browse: the catalog lists the groups.
    t.wait_for(&["Catalog (3)", "detector/", "scan/", "other/"], 20);

    // Filter as you type, then open the array through the filtered list.
    t.text("/fra");
    t.wait_for(&["/fra", "1 match", "frames", "3 arrays"], 30);
    t.keys(&["Enter", "Down"]);
    let s = t.wait_for(
        &[
            "path      detector/frames",
            "shape     [4, 8, 8]  uint16",
            "grid [4, 2, 2] = 16",
        ],
        10,
    );
    assert!(s.contains("written   12 of 16 chunks"), "{s}");
    assert!(
        s.contains('█') && s.contains('·'),
        "chunk grid shows written and missing chunks:\n{s}"
    );
    // Clear the filter.
    t.keys(&["/", "Escape"]);
    // The filter line is back to its hint (an Esc followed at once by a key would read as Alt).
    t.wait_for(&["scan/", "other/", "/ filter"], 30);

    // History, newest first.
    t.keys(&["Tab", "Tab"]);
    t.wait_for(
        &[
            "History (3)",
            "patch    [3,8,8] → [4,8,8]",
            "create   ∅ → [0,8,8]",
        ],
        10,
    );
    t.keys(&["Tab", "Tab"]); // back to the catalog

    // Patch with extend: the defaults name one frame after the end, and growing takes the
    // extend toggle (off by default, as in the CLI).
    t.keys(&["p"]);
    t.wait_for(&["Patch detector/frames", "turn extend on"], 10);
    t.keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !t.screen().contains("Apply this change?"),
        "Enter reviewed an invalid patch"
    );
    t.keys(&["Tab", "Tab", "Tab", "Tab", "Space"]);
    t.wait_for(
        &[
            "Patch detector/frames",
            "[4, 8, 8] → [5, 8, 8]",
            "chunks touched      4",
        ],
        10,
    );
    t.keys(&["Enter"]);
    t.wait_for(&["Apply this change?"], 30);
    t.keys(&["y"]);
    t.wait_for(
        &[
            "shape     [5, 8, 8]",
            "patch detector/frames: shape [4, 8, 8] → [5, 8, 8]",
        ],
        10,
    );
    assert_eq!(
        b.show("detector/frames").await.expect("show").shape,
        vec![5, 8, 8]
    );

    // Esc cancels: nothing written.
    t.keys(&["r"]);
    t.wait_for(&["Resize detector/frames"], 30);
    t.keys(&["Escape"]);
    t.wait_for(&["resize cancelled; nothing was written"], 30);
    t.wait_gone("Resize detector/frames", 30);
    assert_eq!(
        b.show("detector/frames").await.expect("show").shape,
        vec![5, 8, 8]
    );

    // Resize down: shows what is lost and needs the name typed.
    t.keys(&["r", "C-u"]);
    t.text("2,8,8");
    t.wait_for(
        &[
            "[5, 8, 8] → [2, 8, 8]",
            "elements lost",
            "chunks erased       12 written chunk(s)",
        ],
        10,
    );
    t.keys(&["Enter"]);
    t.wait_for(&["Type 'frames' to confirm"], 30);
    t.text("frames");
    t.keys(&["Enter"]);
    t.wait_for(
        &[
            "shape     [2, 8, 8]",
            "resize detector/frames: shape [5, 8, 8] → [2, 8, 8]",
        ],
        10,
    );
    assert_eq!(
        b.show("detector/frames").await.expect("show").shape,
        vec![2, 8, 8]
    );

    // Create an array.
    t.keys(&["n"]);
    t.wait_for(&["New array", "detector/new_array"], 30);
    t.keys(&["C-u"]);
    t.text("made/by_tui");
    t.keys(&["Tab"]);
    t.keys(&["C-u"]);
    t.text("6,4");
    t.keys(&["Tab"]);
    t.keys(&["C-u"]);
    t.text("3,4");
    t.wait_for(&["'made/by_tui' float64 [6, 4]", "[2, 1] = 2 chunks"], 30);
    t.keys(&["Enter"]);
    t.wait_for(&["Apply this change?"], 30);
    t.keys(&["y"]);
    t.wait_for(
        &[
            "created made/by_tui float64 [6, 4]",
            "path      made/by_tui",
            "by_tui",
        ],
        10,
    );
    let info = b.show("made/by_tui").await.expect("created");
    assert_eq!((info.shape, info.chunks), (vec![6, 4], vec![3, 4]));

    // Another writer makes an array: it shows up in the catalog without a key press.
    b.create(&common::create_request(
        "late_arrival",
        &[3],
        &[3],
        DType::UInt8,
    ))
    .await
    .expect("create by another writer");
    let s = t.wait_for(&["late_arrival", "new array: late_arrival"], 15);
    assert!(s.contains("path      made/by_tui"), "selection kept:\n{s}");

    // Help lists every key.
    t.keys(&["?"]);
    t.wait_for(&["Help: keys", "quit extent", "command palette"], 30);
    t.keys(&["Escape"]);
    t.wait_gone("Help: keys", 30);

    // Quit: exit code 0, the terminal back in cooked mode, the TUI gone from the screen.
    t.keys(&["q"]);
    let s = t.wait_for(&["EXIT=0", "END"], 15);
    assert!(
        s.contains("icanon") && !s.contains("-icanon"),
        "terminal left in raw mode:\n{s}"
    );
    assert!(
        s.contains("echo") && !s.contains("-echo"),
        "terminal left without echo:\n{s}"
    );
    assert!(
        !s.contains("Catalog") && !s.contains('╭'),
        "TUI left on the screen:\n{s}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_holds_the_view_and_keys_act_on_the_highlighted_row_in_tmux() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    let store_dir: PathBuf = tmp.path().join("store.zarr");
    std::fs::create_dir_all(&home).expect("home");
    let b = make_store(&store_dir).await;
    let cmd = format!(
        "env -u EXTENT_STORE HOME={h} XDG_CONFIG_HOME={h}/config XDG_STATE_HOME={h}/state {bin} --store {store}; sleep 60",
        h = shell_quote(&home),
        bin = shell_quote(&common::extent_bin()),
        store = shell_quote(&store_dir),
    );
    let t = Tmux::start(&home, &cmd, 100, 30);
    t.wait_for(&["Catalog (3)", "detector/"], 20);
    t.keys(&[":"]);
    t.text("goto detector/frames");
    t.keys(&["Enter"]);
    t.wait_for(&["shape     [4, 8, 8]", "[4,8,8] uint16"], 20);

    // Paused: another writer adds a frame; nothing on screen moves.
    t.keys(&["Space"]);
    t.wait_for(&["⏸ paused"], 10);
    let frame = ArrayData::new(DType::UInt16, vec![1, 8, 8], vec![1; 128]).expect("data");
    b.patch("detector/frames", &[4, 0, 0], &frame, true)
        .await
        .expect("patch by another writer");
    t.wait_for(&["updates held"], 15);
    std::thread::sleep(Duration::from_secs(2));
    let s = t.screen();
    assert!(s.contains("shape     [4, 8, 8]"), "paused view moved:\n{s}");
    assert!(
        !s.contains("[5,8,8]") && s.contains("grid [4, 2, 2]"),
        "{s}"
    );
    // Resumed: it catches up at once.
    t.keys(&["Space"]);
    t.wait_for(&["shape     [5, 8, 8]", "resumed", "[5,8,8] uint16"], 15);

    // The cursor on the group above: array commands say they need an array, `d` deletes the
    // group (not the open array) once its name is typed; Esc leaves it.
    t.keys(&["Up"]);
    t.keys(&["r"]);
    t.wait_for(&["'detector' is a group: resize needs an array"], 10);
    t.keys(&["d"]);
    t.wait_for(
        &["Delete group detector", "arrays lost", "Type 'detector'"],
        10,
    );
    t.keys(&["Escape"]);
    t.wait_gone("Delete group detector", 10);
    assert!(b.show("detector/frames").await.is_ok(), "nothing deleted");
    t.keys(&["d"]);
    t.wait_for(&["Delete group detector"], 10);
    t.text("detector");
    t.keys(&["Enter"]);
    t.wait_for(&["deleted detector"], 15);
    assert!(b.show("detector/frames").await.is_err(), "the group went");
    assert!(b.show("scan/map").await.is_ok(), "the rest stayed");

    // At 80 columns the hint bar still offers help and quit.
    t.resize(80, 24);
    let s = t.wait_for(&["? help", "q quit"], 10);
    assert!(s.lines().count() <= 24, "{s}");

    // The message log: every status line since start, whole; Enter on the error row shows it
    // in a box of its own.
    t.keys(&["m"]);
    t.wait_for(
        &[
            "Messages (",
            "is a group: resize needs an",
            "deleted detector",
            "paused",
        ],
        10,
    );
    t.keys(&["Up", "Up", "Enter"]);
    t.wait_for(&["╭ Message ", "since start · Esc back"], 10);
    t.keys(&["Escape"]);
    t.wait_gone("╭ Message ", 10);
    t.keys(&["Escape"]);
    t.wait_gone("Messages (", 10);
    t.keys(&["q"]);
}
