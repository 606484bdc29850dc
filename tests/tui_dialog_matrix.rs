//! Bad input in the TUI's write dialogs (patch, extend, resize, new array), driven through
//! `AppState::update` with key presses as a user types them: each must show a clear error in
//! the dialog, never start a write, and leave the real local store byte-for-byte unchanged.
//! Any write the dialogs do ask for is run against the store, so a dialog that let bad input
//! through would change it.

mod common;

use std::path::Path;

use common::tui::{array_entry, connected, ctrl, key, page_loaded};
use crossterm::event::KeyCode;
use extent::app::action::{Action, Effect, JobResult, Loaded, Operation};
use extent::app::dialogs::DialogKind;
use extent::app::state::AppState;
use extent::backend::local::LocalBackend;
use extent::backend::{ArrayData, Backend, CreateRequest, DType};
use serde_json::json;

struct World {
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    store: std::path::PathBuf,
    b: LocalBackend,
    npy_dir: tempfile::TempDir,
}

impl World {
    /// A store with `a`: float64 [10, 4], chunks [5, 2], resizable along axis 0 only, data.
    fn new() -> World {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let b = LocalBackend::open_or_create(&store).unwrap();
        let vals: Vec<u8> = (0..40).flat_map(|i| (i as f64).to_le_bytes()).collect();
        let req = CreateRequest {
            resizable: vec![true, false],
            fill_value: json!(0.0),
            data: Some(ArrayData::new(DType::Float64, vec![10, 4], vals).unwrap()),
            ..common::create_request("a", &[10, 4], &[5, 2], DType::Float64)
        };
        rt.block_on(b.create(&req)).unwrap();
        World {
            rt,
            _dir: dir,
            store,
            b,
            npy_dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The app with `a` selected and open (its structure read from the store).
    fn app(&self) -> AppState {
        let mut s = connected("t", &self.b.describe(), self.b.capabilities(), 100, 30);
        let info = self.rt.block_on(self.b.show("a")).unwrap();
        page_loaded(&mut s, "", vec![array_entry("a", &info.shape, info.dtype)]);
        let mut fx = Vec::new();
        s.after_selection_change(&mut fx);
        s.update(JobResult::InfoLoaded(Loaded {
            path: "a".into(),
            result: Ok(info),
        }));
        s
    }

    /// Feeds an action; runs what it asks for (writes against the store, .npy reads) the way
    /// the event loop does, feeding the answers back. Returns how many writes ran.
    fn feed(&self, s: &mut AppState, a: Action) -> usize {
        let mut writes = 0;
        let mut queue = vec![a];
        while let Some(a) = queue.pop() {
            for e in s.update(a) {
                match e {
                    Effect::Run(op) => {
                        writes += 1;
                        let r = match *op {
                            Operation::Patch {
                                path,
                                offset,
                                data,
                                extend,
                            } => self
                                .rt
                                .block_on(self.b.patch(&path, &offset, &data, extend))
                                .map(|_| ()),
                            Operation::Resize { path, shape, cause } => self
                                .rt
                                .block_on(self.b.resize(&path, &shape, cause))
                                .map(|_| ()),
                            Operation::Create(req) => {
                                self.rt.block_on(self.b.create(&req.0)).map(|_| ())
                            }
                            Operation::Delete { path } => {
                                self.rt.block_on(self.b.delete(&path)).map(|_| ())
                            }
                        };
                        println!("  a write ran: {r:?}");
                    }
                    Effect::LoadNpy { path } => queue.push(
                        JobResult::NpyLoaded(Loaded {
                            result: extent::npy::read(Path::new(&path)),
                            path,
                        })
                        .into(),
                    ),
                    _ => {}
                }
            }
        }
        writes
    }

    /// Replaces a field's text by typing (focus with Tab, clear with Ctrl-U).
    fn type_into(&self, s: &mut AppState, label: &str, text: &str) -> usize {
        let mut writes = 0;
        for _ in 0..12 {
            let d = s.dialog().expect("the dialog is open");
            if d.fields[d.focus].label == label {
                break;
            }
            writes += self.feed(s, key(KeyCode::Tab));
        }
        let d = s.dialog().unwrap();
        assert_eq!(d.fields[d.focus].label, label, "no field {label}");
        writes += self.feed(s, ctrl('u'));
        for c in text.chars() {
            writes += self.feed(s, key(KeyCode::Char(c)));
        }
        writes
    }

    fn npy(&self, name: &str, d: &ArrayData) -> String {
        let p = self.npy_dir.path().join(name);
        std::fs::write(&p, extent::npy::encode(d)).unwrap();
        p.to_string_lossy().into_owned()
    }
}

/// Whether the dialog's hint bar offers the command labelled `label` (None: not shown).
fn enabled(d: &extent::app::dialogs::Dialog, label: &str) -> Option<bool> {
    d.commands()
        .iter()
        .find(|c| c.label == label)
        .map(|c| c.enabled)
}

/// One bad input: the dialog, the fields typed, what the error must say; then Enter and y
/// (and typing the confirmation text, for a shrink) must write nothing.
struct Case {
    name: &'static str,
    kind: DialogKind,
    fields: Vec<(&'static str, String)>,
    needle: &'static str,
}

fn case(
    name: &'static str,
    kind: DialogKind,
    fields: &[(&'static str, &str)],
    needle: &'static str,
) -> Case {
    Case {
        name,
        kind,
        fields: fields.iter().map(|(l, t)| (*l, t.to_string())).collect(),
        needle,
    }
}

#[test]
fn bad_input_in_dialogs_shows_an_error_and_writes_nothing() {
    let w = World::new();
    use DialogKind::{Create, Extend, Patch, Resize};
    let i32_npy = w.npy(
        "i32.npy",
        &ArrayData::filled(DType::Int32, &[1, 4], &json!(1)).unwrap(),
    );
    let ndim_npy = w.npy(
        "ndim.npy",
        &ArrayData::filled(DType::Float64, &[4], &json!(1)).unwrap(),
    );
    let bad_npy = {
        let p = w.npy_dir.path().join("bad.npy");
        std::fs::write(&p, b"\x93NUMPY\x01\x00garbage").unwrap();
        p.to_string_lossy().into_owned()
    };
    let missing = w
        .npy_dir
        .path()
        .join("missing.npy")
        .to_string_lossy()
        .into_owned();
    let cases = vec![
        case("value of the wrong type", Patch, &[("value", "abc")], "abc"),
        case(
            "npy of the wrong dtype",
            Patch,
            &[(".npy file", &i32_npy)],
            "int32",
        ),
        case(
            "npy of the wrong ndim",
            Patch,
            &[("offset", "10"), (".npy file", &ndim_npy)],
            "1",
        ),
        case("garbage npy", Patch, &[(".npy file", &bad_npy)], "npy"),
        case(
            "missing npy",
            Patch,
            &[(".npy file", &missing)],
            "missing.npy",
        ),
        case(
            "shape of the wrong ndim",
            Patch,
            &[("shape", "1,4,1")],
            "axes",
        ),
        case("offset of the wrong ndim", Patch, &[("offset", "10")], "1"),
        case("negative offset", Patch, &[("offset", "-1,0")], "-1"),
        case("non-numeric offset", Patch, &[("offset", "x,0")], "x"),
        case(
            "offset past u64",
            Patch,
            &[("offset", "18446744073709551616,0")],
            "18446744073709551616",
        ),
        case(
            "offset + shape past u64",
            Patch,
            &[("offset", "18446744073709551615,0"), ("shape", "2,4")],
            "overflow",
        ),
        case(
            "grow along a fixed axis",
            Patch,
            &[("offset", "0,4"), ("shape", "1,1")],
            "axis 1",
        ),
        case(
            "out of bounds without extend",
            Patch,
            &[("offset", "10,0"), ("shape", "1,4")],
            "goes past the shape",
        ),
        case("extend a fixed axis", Extend, &[("axis", "1")], "axis 1"),
        case(
            "extend by nothing",
            Extend,
            &[("append", "0")],
            "at least 1",
        ),
        case(
            "extend by a huge count",
            Extend,
            &[("append", "18446744073709551615")],
            "overflow",
        ),
        case(
            "resize a fixed axis",
            Resize,
            &[("new shape", "10,8")],
            "axis 1",
        ),
        case(
            "resize to the wrong ndim",
            Resize,
            &[("new shape", "10")],
            "axes",
        ),
        case(
            "resize to a negative shape",
            Resize,
            &[("new shape", "-10,4")],
            "-10",
        ),
        case("create with an empty path", Create, &[("path", "")], "path"),
        case(
            "create escaping the store",
            Create,
            &[("path", "../evil")],
            "..",
        ),
        case(
            "create a hidden path",
            Create,
            &[("path", "g/.evil")],
            ".evil",
        ),
        case(
            "create with a control character",
            Create,
            &[("path", "a\u{7}b")],
            "control",
        ),
        case(
            "create with a zero chunk",
            Create,
            &[("path", "n"), ("shape", "4"), ("chunks", "0")],
            "zero-length",
        ),
        case(
            "create with chunks of the wrong ndim",
            Create,
            &[("path", "n"), ("shape", "4,4"), ("chunks", "2")],
            "chunks",
        ),
        case(
            "create with a bad fill value",
            Create,
            &[
                ("path", "n"),
                ("shape", "4"),
                ("chunks", "2"),
                ("fill value", "zz"),
            ],
            "fill value",
        ),
        case(
            "create with bad resizable flags",
            Create,
            &[
                ("path", "n"),
                ("shape", "4"),
                ("chunks", "2"),
                ("resizable", "q"),
            ],
            "resizable",
        ),
    ];
    let mut shown = 0;
    let mut wrong = Vec::new();
    for c in &cases {
        let before = common::snapshot_dir(&w.store);
        let mut s = w.app();
        s.open_dialog(c.kind);
        assert!(s.dialog().is_some(), "{}: no dialog", c.name);
        let mut writes = 0;
        for (label, text) in &c.fields {
            if text == "toggle" {
                // A toggle: focus it and flip it.
                writes += w.type_into(&mut s, label, "");
                writes += w.feed(&mut s, key(KeyCode::Char(' ')));
            } else {
                writes += w.type_into(&mut s, label, text);
            }
        }
        let d = s.dialog().unwrap();
        let Err(err) = d.plan.clone() else {
            wrong.push(format!("{}: the dialog accepted it: {:?}", c.name, d.plan));
            continue;
        };
        if !err.to_lowercase().contains(&c.needle.to_lowercase()) {
            wrong.push(format!("{}: error {err:?} lacks {:?}", c.name, c.needle));
        }
        println!("{:<40} {err}", c.name);
        // The bar shows Enter greyed: the review it leads to is not offered.
        if enabled(d, "review") != Some(false) {
            wrong.push(format!(
                "{}: Enter is not greyed: {:?}",
                c.name,
                d.commands()
            ));
        }
        // Enter, y, and Enter again: none of them may start a write.
        for a in [
            key(KeyCode::Enter),
            key(KeyCode::Char('y')),
            key(KeyCode::Enter),
        ] {
            writes += w.feed(&mut s, a);
        }
        assert_eq!(writes, 0, "{}: a write ran", c.name);
        assert!(
            common::snapshot_dir(&w.store) == before,
            "{}: the store changed",
            c.name
        );
        shown += 1;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    println!("{shown} bad inputs refused in the dialog, store unchanged");

    // A shrink is valid input but needs the array's name typed: y, Enter, a wrong name and
    // a prefix of the name write nothing.
    let before = common::snapshot_dir(&w.store);
    let mut s = w.app();
    s.open_dialog(Resize);
    let mut writes = w.type_into(&mut s, "new shape", "5,4");
    assert!(s.dialog().unwrap().plan.is_ok());
    writes += w.feed(&mut s, key(KeyCode::Enter));
    writes += w.feed(&mut s, key(KeyCode::Char('y')));
    writes += w.feed(&mut s, key(KeyCode::Enter));
    let err = s.dialog().unwrap().error.clone().unwrap_or_default();
    assert!(err.contains("type 'a' exactly"), "{err}");
    assert_eq!(enabled(s.dialog().unwrap(), "apply"), Some(false));
    for a in [
        key(KeyCode::Backspace),
        key(KeyCode::Char('b')),
        key(KeyCode::Enter),
    ] {
        writes += w.feed(&mut s, a);
    }
    assert_eq!(writes, 0, "an unconfirmed shrink ran");
    assert!(
        common::snapshot_dir(&w.store) == before,
        "unconfirmed shrink changed the store"
    );
    // The check can fail: typing the name runs the shrink, and the store changes.
    writes += w.feed(&mut s, key(KeyCode::Backspace));
    writes += w.feed(&mut s, key(KeyCode::Char('a')));
    assert_eq!(enabled(s.dialog().unwrap(), "apply"), Some(true));
    writes += w.feed(&mut s, key(KeyCode::Enter));
    assert_eq!(writes, 1);
    assert!(common::snapshot_dir(&w.store) != before);
    assert_eq!(w.rt.block_on(w.b.show("a")).unwrap().shape, vec![5, 4]);
}
