//! Every node kind of a facility-like Tiled catalog (made by Tiled's own Python client):
//! Bluesky-like runs (containers with specs and metadata), an event table, a detector array
//! grown frame by frame, nested groups, and HDF5 files registered in place. `ls`, `show` and
//! `read` work on each; writes the server cannot do are `unsupported`, naming why; data the
//! server cannot serve at the catalog's shape is `not_ready` (503) or a `check` finding (422).

mod common;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The server and the fixture's root, made once for this binary.
fn fixture() -> &'static (String, String, String) {
    static F: OnceLock<(String, String, String)> = OnceLock::new();
    F.get_or_init(|| {
        let s = common::tiled::server();
        let root = s.facility(3);
        (s.url.clone(), s.api_key.clone(), root)
    })
}

fn run(home: &Path, args: &[&str]) -> std::process::Output {
    let (url, key, _) = fixture();
    let mut all = vec!["--store", url.as_str(), "--api-key", key.as_str()];
    all.extend_from_slice(args);
    common::extent(home, &all)
}

fn ok_json(home: &Path, args: &[&str]) -> Value {
    common::expect_json(args, &run(home, args))
}

fn ok_text(home: &Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert!(
        out.status.success(),
        "extent {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Exit code and `{"error":{"kind","message"}}` of a refused `--json` call.
fn refused(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = run(home, args);
    assert!(!out.status.success(), "extent {args:?} should fail");
    let e: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|_| {
        panic!(
            "extent {args:?}: no JSON error: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap_or(-1),
        e["error"]["kind"].as_str().unwrap_or_default().to_string(),
        e["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Marks the registered HDF5 file as just written (its modification time), as a detector
/// appending frames would.
fn detector_writes() {
    let data = common::tiled::server().data_dir.clone().unwrap();
    let file = data.join("external").join(format!("{}.h5", fixture().2));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()))
        .unwrap_or_else(|e| panic!("cannot touch {}: {e}", file.display()));
}

fn p(rest: &str) -> String {
    format!("{}/{rest}", fixture().2)
}

#[test]
fn ls_lists_every_kind_with_its_specs() {
    let home = tempfile::tempdir().unwrap();
    let root = fixture().2.clone();
    let v = ok_json(home.path(), &["ls", &root, "--json"]);
    let kinds: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (path, kind) in [
        ("runs/run-0000", "group"),
        ("runs/run-0000/primary", "group"),
        ("runs/run-0000/primary/internal", "table"),
        ("runs/run-0000/primary/det", "array"),
        ("runs/run-0002", "group"),
        ("tables/scalars", "table"),
        ("nested/a/b/c/leaf", "array"),
        ("external/h5", "array"),
    ] {
        assert!(
            kinds.contains(&(p(path), kind.to_string())),
            "{path} as {kind} missing from {kinds:?}"
        );
    }
    let run0 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == p("runs/run-0000"))
        .unwrap();
    assert_eq!(run0["specs"], json!(["BlueskyRun"]));
    let det = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == p("runs/run-0000/primary/det"))
        .unwrap();
    assert_eq!(det["shape"], json!([6, 4, 4]));
    // Text marks each kind.
    let text = ok_text(home.path(), &["ls", &p("runs/run-0000")]);
    assert!(
        text.lines()
            .any(|l| l.contains("primary/internal") && l.trim_end().ends_with("table")),
        "{text}"
    );
    assert!(text.contains("group  [BlueskyEventStream]"), "{text}");
}

#[test]
fn show_works_on_every_kind() {
    let home = tempfile::tempdir().unwrap();
    let run0 = ok_json(home.path(), &["show", &p("runs/run-0000"), "--json"]);
    assert_eq!(run0["kind"], "group");
    assert_eq!(run0["specs"], json!(["BlueskyRun"]));
    assert_eq!(run0["metadata"]["plan_name"], "count");
    assert_eq!(run0["metadata"]["scan_id"], 0);
    assert_eq!(run0["metadata"]["time"], 1_700_000_000u64);
    assert_eq!(run0["children"], 1);

    let table = ok_json(
        home.path(),
        &["show", &p("runs/run-0000/primary/internal"), "--json"],
    );
    assert_eq!(table["kind"], "table");
    assert_eq!(
        table["table"]["columns"],
        json!(["time", "motor", "seq_num"])
    );
    assert_eq!(table["table"]["partitions"], 1);
    let text = ok_text(home.path(), &["show", &p("runs/run-0000/primary/internal")]);
    assert!(text.contains("columns     time, motor, seq_num"), "{text}");

    let h5 = ok_json(home.path(), &["show", &p("external/h5"), "--json"]);
    assert_eq!(h5["shape"], json!([5, 4, 4]));
    assert_eq!(h5["dtype"], "float64");
    assert_eq!(
        h5["origin"],
        json!({"management": "external", "mimetype": "application/x-hdf5"})
    );
    let text = ok_text(home.path(), &["show", &p("external/h5")]);
    assert!(text.contains("registered, read-only"), "{text}");
    let det = ok_json(
        home.path(),
        &["show", &p("runs/run-0000/primary/det"), "--json"],
    );
    // Data the server manages prints as on any store.
    assert!(det.get("origin").is_none(), "{det}");
}

#[test]
fn read_gives_a_tables_rows() {
    let home = tempfile::tempdir().unwrap();
    let path = p("runs/run-0000/primary/internal");
    let v = ok_json(home.path(), &["read", &path, "--json"]);
    assert_eq!(v["rows"], 6);
    assert_eq!(v["columns"], json!(["time", "motor", "seq_num"]));
    assert_eq!(v["data"]["seq_num"], json!([1, 2, 3, 4, 5, 6]));
    assert_eq!(v["data"]["motor"][2], json!(1.0));

    let csv = home.path().join("scalars.csv");
    let out = ok_json(
        home.path(),
        &[
            "read",
            &p("tables/scalars"),
            "--out",
            csv.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(out["rows"], 3);
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap(),
        "x,y,name\r\n1,0.5,a\r\n2,1.5,b\r\n3,2.5,c\r\n"
    );
    let text = ok_text(home.path(), &["read", &p("tables/scalars")]);
    assert_eq!(text, "x  y    name\n1  0.5  a\n2  1.5  b\n3  2.5  c\n");
    let (code, kind, _) = refused(
        home.path(),
        &["read", &p("tables/scalars"), "--slice", "0:1", "--json"],
    );
    assert_eq!((code, kind.as_str()), (2, "invalid_input"));
}

#[test]
fn writes_the_server_cannot_do_are_unsupported_naming_why() {
    let home = tempfile::tempdir().unwrap();
    let h5 = p("external/h5");
    let before = ok_json(home.path(), &["read", &h5, "--json"]);
    let (code, kind, msg) = refused(
        home.path(),
        &[
            "patch", &h5, "--offset", "5,0,0", "--value", "1", "--shape", "1,4,4", "--extend",
            "--json",
        ],
    );
    assert_eq!((code, kind.as_str()), (4, "unsupported"), "{msg}");
    assert!(msg.contains("registered, read-only"), "{msg}");
    let (_, kind, msg) = refused(home.path(), &["resize", &h5, "--shape", "6,4,4", "--json"]);
    assert_eq!(kind, "unsupported", "{msg}");
    assert!(msg.contains("registered, read-only"), "{msg}");
    assert_eq!(ok_json(home.path(), &["read", &h5, "--json"]), before);
    let table = p("tables/scalars");
    let (_, kind, msg) = refused(
        home.path(),
        &[
            "patch", &table, "--offset", "0", "--value", "1", "--shape", "1", "--json",
        ],
    );
    assert_eq!(kind, "unsupported", "{msg}");
    assert!(msg.contains("table"), "{msg}");
}

#[test]
fn data_behind_the_catalog_is_not_ready_and_a_mismatch_is_a_finding() {
    let home = tempfile::tempdir().unwrap();
    // The catalog says 8 frames, the file has 5. While the file was modified in the last 10 s
    // (a detector still writing), Tiled answers 503 with Retry-After: 1; later, 422.
    detector_writes();
    let t = Instant::now();
    let (code, kind, msg) = refused(home.path(), &["read", &p("external/ahead"), "--json"]);
    assert_eq!((code, kind.as_str()), (6, "not_ready"), "{msg}");
    assert!(msg.contains("try again later"), "{msg}");
    // Three retries after the server's one second each, then reported.
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(2900) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    for (name, word) in [("ahead", "not ready"), ("skewed", "cannot be served")] {
        detector_writes();
        let out = run(
            home.path(),
            &["check", &p(&format!("external/{name}")), "--json"],
        );
        // A problem remains: exit 1, the findings on stdout.
        assert_eq!(out.status.code(), Some(1), "{name}");
        let found = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(found.contains("data_shape_mismatch"), "{name}: {found}");
        assert!(found.contains(word), "{name}: {found}");
    }
    let v = ok_json(home.path(), &["check", &p("external/h5"), "--json"]);
    assert!(!v.to_string().contains("data_shape_mismatch"), "{v}");
}

/// The TUI on the real server: a run's metadata in the structure pane, a table's last rows
/// in the data pane, kind badges in the catalog.
#[test]
fn the_tui_shows_a_runs_metadata_and_a_tables_rows() {
    use common::tui::{caps, drive, render};
    use extent::app::action::Action;
    use extent::app::state::AppState;
    use extent::backend::tiled::TiledBackend;
    use extent::backend::Backend;
    use std::sync::Arc;

    let (url, key, root) = fixture();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = format!("{url}/{root}");
    let b: Arc<dyn Backend> =
        Arc::new(TiledBackend::new(&store, Some(key.as_str().into())).unwrap());
    let mut s = AppState::new("t", caps(false, false));
    drive(&rt, &b, &mut s, Action::Resize(160, 40));
    let ready = Action::StoreReady {
        label: "t".into(),
        describe: b.describe(),
        capabilities: b.capabilities(),
    };
    drive(&rt, &b, &mut s, ready);
    drive(&rt, &b, &mut s, Action::Goto("runs/run-0000".into()));
    let screen = render(&s);
    for want in [
        "kind      group",
        "specs     BlueskyRun",
        "children  1",
        "plan_name \"count\"",
        "scan_id   0",
        "time      1700000000",
    ] {
        assert!(screen.contains(want), "{want}:\n{screen}");
    }
    drive(
        &rt,
        &b,
        &mut s,
        Action::Goto("runs/run-0000/primary/internal".into()),
    );
    let screen = render(&s);
    for want in [
        "kind      table",
        "columns   time, motor, seq_num",
        "time  motor  seq_num",
        "1700000005.0    2.5        6",
        "◦ internal",
    ] {
        assert!(screen.contains(want), "{want}:\n{screen}");
    }
}

/// A registered HDF5 file grows (a detector appends frames, then updates the catalog's data
/// source): the server streams `array-ref`, and `extent watch` reports the new shape and the
/// frames written, from the stream message itself.
#[test]
fn a_registered_file_growing_is_followed_live() {
    let s = common::tiled::server();
    let root = fixture().2.clone();
    let home = tempfile::tempdir().unwrap();
    let file = s
        .data_dir
        .clone()
        .unwrap()
        .join("external")
        .join(format!("{root}-grow.h5"));
    // A 2-frame file, registered as `external/grow`.
    s.python(&format!(
        r#"
import h5py
from tiled.structures.array import ArrayStructure
from tiled.structures.core import StructureFamily
from tiled.structures.data_source import Asset, DataSource, Management
from tiled.utils import ensure_uri
path = {file:?}
with h5py.File(path, "w") as f:
    f.create_dataset("data", data=np.ones((2, 4, 4)), maxshape=(None, 4, 4), chunks=(1, 4, 4))
st = ArrayStructure.from_array(np.ones((2, 4, 4)))
st.chunks = ((1, 1), (4,), (4,))
c[{root:?}]["external"].new(StructureFamily.array, [DataSource(
    structure_family=StructureFamily.array, structure=st, mimetype="application/x-hdf5",
    parameters={{"dataset": "data"}}, management=Management.external,
    assets=[Asset(data_uri=ensure_uri(path), is_directory=False, parameter="data_uris")])],
    key="grow")
"#,
        file = file.to_str().unwrap()
    ));
    let (url, key, _) = fixture();
    let store = ["--store", url.as_str(), "--api-key", key.as_str()];
    let path = p("external/grow");
    let mut w = common::watch::spawn_watch(home.path(), &store, &path);
    assert_eq!(w.ready["shape"], json!([2, 4, 4]), "{}", w.ready);
    // The detector appends two frames, then tells the catalog (PUT /data_source, with the
    // box written), as a facility's ingest does.
    s.python(&format!(
        r#"
import h5py
with h5py.File({file:?}, "a") as f:
    d = f["data"]; d.resize((4, 4, 4)); d[2:4] = 7
api = str(c.context.api_uri)
meta = c.context.http_client.get(api + "metadata/" + {path:?},
                                 params={{"include_data_sources": True}})
meta.raise_for_status()
body = meta.json()["data"]["attributes"]["data_sources"][0]
body["structure"]["shape"] = [4, 4, 4]
body["structure"]["chunks"] = [[1, 1, 1, 1], [4], [4]]
for a in body["assets"]:
    a.pop("size", None)
r = c.context.http_client.put(
    api + "data_source/" + {path:?},
    params={{"patch_shape": "2,4,4", "patch_offset": "2,0,0"}},
    json={{"data_source": body}})
r.raise_for_status()
"#,
        file = file.to_str().unwrap()
    ));
    let mut events = w.events_until(4);
    // The box written follows the shape change.
    events.push(w.next_event(30));
    let shapes: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "shape_changed")
        .map(|e| &e["new"])
        .collect();
    assert_eq!(shapes, vec![&json!([4, 4, 4])], "{events:?}");
    // The frames written come from the array-ref message (metadata polling has no box).
    assert!(
        events.iter().any(|e| e["event"] == "chunks_written"
            && e["offset"] == json!([2, 0, 0])
            && e["region_shape"] == json!([2, 4, 4])),
        "{events:?}"
    );
    let v = ok_json(home.path(), &["read", &path, "--slice", "3", "--json"]);
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x == &json!(7.0)),
        "{v}"
    );
}
