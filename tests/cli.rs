//! The CLI contract on a local store: every command, every error kind, and bad input that
//! leaves the store byte-for-byte unchanged.

mod common;

use common::{extent, snapshot_dir};
use serde_json::Value;
use std::path::Path;

struct Env {
    _tmp: tempfile::TempDir,
    home: std::path::PathBuf,
    store: String,
}

fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let store = tmp.path().join("store").to_string_lossy().into_owned();
    Env {
        _tmp: tmp,
        home,
        store,
    }
}

impl Env {
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["--store", self.store.as_str()];
        all.extend_from_slice(args);
        extent(&self.home, &all)
    }

    fn ok_json(&self, args: &[&str]) -> Value {
        common::expect_json(args, &self.run(args))
    }

    /// Runs a command that must fail with `kind`, and checks the store did not change.
    fn refused(&self, args: &[&str], kind: &str) -> String {
        self.refused_saying(args, kind, "")
    }

    /// As `refused`, and the message must mention `needle`.
    fn refused_saying(&self, args: &[&str], kind: &str, needle: &str) -> String {
        let before = snapshot_dir(Path::new(&self.store));
        let out = self.run(args);
        let after = snapshot_dir(Path::new(&self.store));
        assert!(!out.status.success(), "extent {args:?} should have failed");
        let err: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|_| {
            panic!(
                "extent {args:?}: stderr is not JSON: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(err["error"]["kind"], kind, "extent {args:?}: {err}");
        let msg = err["error"]["message"].as_str().unwrap().to_string();
        assert!(!msg.is_empty());
        assert!(
            msg.contains(needle),
            "extent {args:?}: message {msg:?} lacks {needle:?}"
        );
        assert!(before == after, "extent {args:?} changed the store");
        msg
    }
}

fn npy(path: &Path, data: &extent::backend::ArrayData) {
    std::fs::write(path, extent::npy::encode(data)).unwrap();
}

#[test]
fn every_command_works() {
    let e = env();
    let info = e.ok_json(&[
        "create",
        "det/frames",
        "--shape",
        "4,3",
        "--chunks",
        "2,3",
        "--dtype",
        "float64",
        "--resizable",
        "true,false",
        "--fill",
        "-1",
        "--json",
    ]);
    assert_eq!(info["shape"], serde_json::json!([4, 3]));
    assert_eq!(info["chunks"], serde_json::json!([2, 3]));
    assert_eq!(info["dtype"], "float64");
    assert_eq!(info["resizable"], serde_json::json!([true, false]));
    assert_eq!(info["fill_value"], serde_json::json!(-1.0));
    let shown = e.ok_json(&["show", "det/frames", "--json"]);
    assert_eq!(shown, info);
    for key in [
        "path",
        "shape",
        "chunks",
        "dtype",
        "resizable",
        "fill_value",
        "metadata",
    ] {
        assert!(shown.get(key).is_some(), "show --json lacks {key}");
    }

    let ls = e.ok_json(&["ls", "--json"]);
    assert_eq!(
        ls,
        serde_json::json!([
            {"path": "det", "kind": "group"},
            {"path": "det/frames", "kind": "array", "shape": [4, 3], "dtype": "float64"}
        ])
    );
    assert_eq!(
        e.ok_json(&["ls", "det", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Out-of-order extend patches: 7, 5, 6 (rows), gaps read as the fill value.
    for row in ["7", "5", "6"] {
        let v = e.ok_json(&[
            "patch",
            "det/frames",
            "--offset",
            &format!("{row},0"),
            "--value",
            row,
            "--shape",
            "1,3",
            "--extend",
            "--json",
        ]);
        assert_eq!(v["shape"][1], 3);
    }
    let read = e.ok_json(&["read", "det/frames", "--json"]);
    assert_eq!(read["shape"], serde_json::json!([8, 3]));
    let flat: Vec<f64> = read["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mut want = vec![-1.0; 15];
    want.extend([5.0, 5.0, 5.0, 6.0, 6.0, 6.0, 7.0, 7.0, 7.0]);
    assert_eq!(flat, want);

    let sl = e.ok_json(&["read", "det/frames", "--slice", "-3:,1:", "--json"]);
    assert_eq!(sl["shape"], serde_json::json!([3, 2]));
    assert_eq!(
        sl["data"],
        serde_json::json!([5.0, 5.0, 6.0, 6.0, 7.0, 7.0])
    );

    // .npy in and out.
    let dir = tempfile::tempdir().unwrap();
    let block =
        extent::backend::ArrayData::filled(extent::backend::DType::Float64, &[2, 3], &2.5.into())
            .unwrap();
    let f = dir.path().join("b.npy");
    npy(&f, &block);
    e.ok_json(&[
        "patch",
        "det/frames",
        "--offset",
        "0,0",
        "--from",
        f.to_str().unwrap(),
        "--json",
    ]);
    let out = dir.path().join("out.npy");
    e.ok_json(&[
        "read",
        "det/frames",
        "--slice",
        "0:2",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(extent::npy::read(&out).unwrap(), block);
    let made = e.ok_json(&[
        "create",
        "from/npy",
        "--from",
        f.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(made["shape"], serde_json::json!([2, 3]));
    assert_eq!(
        e.ok_json(&["read", "from/npy", "--json"])["data"],
        serde_json::json!(vec![2.5; 6])
    );

    // Resize: grow, then shrink (needs --yes without a terminal) and grow again: fill, not stale data.
    e.ok_json(&["resize", "det/frames", "--shape", "10,3", "--json"]);
    e.refused(
        &["resize", "det/frames", "--shape", "6,3", "--json"],
        "invalid_input",
    );
    e.ok_json(&["resize", "det/frames", "--shape", "6,3", "--yes", "--json"]);
    let v = e.ok_json(&["resize", "det/frames", "--shape", "8,3", "--json"]);
    assert_eq!(v["shape"], serde_json::json!([8, 3]));
    let tail = e.ok_json(&["read", "det/frames", "--slice", "5:", "--json"]);
    assert_eq!(
        tail["data"],
        serde_json::json!([5.0, 5.0, 5.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0])
    );

    // History: every structure change, oldest first, with actor and cause.
    let h = e.ok_json(&["history", "det/frames", "--json"]);
    let h = h.as_array().unwrap();
    let causes: Vec<&str> = h.iter().map(|x| x["cause"].as_str().unwrap()).collect();
    assert_eq!(causes, ["create", "patch", "resize", "resize", "resize"]);
    assert_eq!(h[0]["old_shape"], Value::Null);
    assert_eq!(h[1]["old_shape"], serde_json::json!([4, 3]));
    assert_eq!(h[1]["new_shape"], serde_json::json!([8, 3]));
    assert_eq!(h[3]["new_shape"], serde_json::json!([6, 3]));
    assert!(h[0]["actor"].as_str().unwrap().contains('@'));
    assert!(h[0]["time"].as_str().unwrap().ends_with('Z'));

    // Human output is readable text, not JSON.
    let out = e.run(&["show", "det/frames"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("shape") && text.contains("[8, 3]"), "{text}");

    // rm.
    e.refused(&["rm", "det/frames", "--json"], "invalid_input");
    e.ok_json(&["rm", "det/frames", "--yes", "--json"]);
    e.refused(&["show", "det/frames", "--json"], "not_found");
}

#[test]
fn bad_input_is_refused_and_writes_nothing() {
    let e = env();
    e.ok_json(&[
        "create",
        "a",
        "--shape",
        "4,3",
        "--chunks",
        "2,3",
        "--dtype",
        "int16",
        "--resizable",
        "true,false",
        "--json",
    ]);
    e.ok_json(&[
        "patch", "a", "--offset", "0,0", "--value", "3", "--shape", "4,3", "--json",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let f64_block =
        extent::backend::ArrayData::filled(extent::backend::DType::Float64, &[1, 3], &1.0.into())
            .unwrap();
    npy(Path::new(&p("f64.npy")), &f64_block);
    let i16_1d =
        extent::backend::ArrayData::filled(extent::backend::DType::Int16, &[3], &1.into()).unwrap();
    npy(Path::new(&p("1d.npy")), &i16_1d);
    let i16_block =
        extent::backend::ArrayData::filled(extent::backend::DType::Int16, &[1, 3], &1.into())
            .unwrap();
    let good = extent::npy::encode(&i16_block);
    std::fs::write(p("empty.npy"), b"").unwrap();
    std::fs::write(p("truncated.npy"), &good[..good.len() - 3]).unwrap();
    let mut fortran = good.clone();
    let at = fortran.windows(5).position(|w| w == b"False").unwrap();
    fortran[at..at + 5].copy_from_slice(b"True ");
    std::fs::write(p("fortran.npy"), &fortran).unwrap();
    let (f64p, onedp, emptyp, truncp, fortp, missp) = (
        p("f64.npy"),
        p("1d.npy"),
        p("empty.npy"),
        p("truncated.npy"),
        p("fortran.npy"),
        p("missing.npy"),
    );
    // One case per line: the error kind expected, then the arguments ({name} is a file above).
    let cases = "\
        out_of_bounds  patch a --offset 4,0 --value 1 --shape 1,3
        invalid_input  patch a --offset 0,0 --value 1.5 --shape 1,3
        invalid_input  patch a --offset 0,0 --value 70000 --shape 1,3
        dtype_mismatch patch a --offset 0,0 --from {f64}
        shape_mismatch patch a --offset 0 --from {1d}
        shape_mismatch patch a --offset 0,0,0 --value 1 --shape 1,3
        invalid_input  patch a --offset -1,0 --value 1 --shape 1,3
        invalid_input  patch a --offset x,0 --value 1 --shape 1,3
        invalid_input  patch a --offset 18446744073709551615,0 --value 1 --shape 1,3 --extend
        invalid_input  patch a --offset 18446744073709551616,0 --value 1 --shape 1,3
        not_resizable  patch a --offset 0,1 --value 1 --shape 1,3 --extend
        invalid_input  patch a --offset 0,0 --from {empty}
        invalid_input  patch a --offset 0,0 --from {truncated}
        invalid_input  patch a --offset 0,0 --from {fortran}
        invalid_input  patch a --offset 0,0 --from {missing}
        not_found      patch nope --offset 0,0 --value 1 --shape 1,3
        invalid_input  patch ../etc --offset 0,0 --value 1 --shape 1,3
        invalid_input  patch a --offset 0,0 --value 1 --shape a,3
        not_resizable  resize a --shape 4,5
        shape_mismatch resize a --shape 4
        invalid_input  resize a --shape 4294967296,4294967296
        already_exists create a --shape 4,3 --chunks 2,3
        shape_mismatch create b --shape 4,3 --chunks 2
        invalid_input  create b --shape 4,3 --chunks 0,3
        invalid_input  create b --shape 4,3 --dtype complex64
        invalid_input  create b --shape 4,3 --dtype uint8 --fill 300
        shape_mismatch create b --shape 4,3 --resizable true
        invalid_input  create a/b --shape 4,3
        invalid_input  create /../x --shape 4,3
        invalid_input  create b --shape 4,3 --metadata [1]
        out_of_bounds  read a --slice 0:9
        invalid_input  read a --slice 0:1:2
        not_found      history zzz
        not_found      rm zzz --yes";
    let files = [
        ("{f64}", &f64p),
        ("{1d}", &onedp),
        ("{empty}", &emptyp),
        ("{truncated}", &truncp),
        ("{fortran}", &fortp),
        ("{missing}", &missp),
    ];
    let mut n = 0;
    for line in cases.lines() {
        let mut words = line.split_whitespace();
        let kind = words.next().unwrap();
        let mut args: Vec<&str> = words
            .map(|w| files.iter().find(|(k, _)| *k == w).map_or(w, |(_, f)| f))
            .collect();
        args.push("--json");
        e.refused(&args, kind);
        n += 1;
    }
    assert_eq!(n, 34);
    // The messages name the problem.
    e.refused_saying(
        &["patch", "a", "--offset", "0,0", "--from", &fortp, "--json"],
        "invalid_input",
        "Fortran",
    );
    e.refused_saying(
        &["patch", "a", "--offset", "0,0", "--from", &truncp, "--json"],
        "invalid_input",
        "bytes",
    );
    e.refused_saying(
        &["patch", "a", "--offset", "0,0", "--from", &f64p, "--json"],
        "dtype_mismatch",
        "float64",
    );
    e.refused_saying(
        &[
            "patch", "a", "--offset", "4,0", "--value", "1", "--shape", "1,3", "--json",
        ],
        "out_of_bounds",
        "extend",
    );
    e.refused_saying(
        &["resize", "a", "--shape", "4,5", "--json"],
        "not_resizable",
        "axis 1",
    );
    // The data is still what was written.
    let v = e.ok_json(&["read", "a", "--json"]);
    assert_eq!(v["data"], serde_json::json!(vec![3; 12]));
    assert_eq!(v["shape"], serde_json::json!([4, 3]));
}

#[test]
fn missing_store_and_no_store_are_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let out = extent(
        tmp.path(),
        &["--store", "/nonexistent/store", "ls", "--json"],
    );
    assert!(!out.status.success());
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "not_found");
    let out = extent(tmp.path(), &["ls", "--json"]);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["kind"], "invalid_input");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--store"));
    let out = extent(tmp.path(), &["--version"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn bash_completes_commands_and_array_paths() {
    let e = env();
    e.ok_json(&[
        "create",
        "det/frames",
        "--shape",
        "2",
        "--chunks",
        "2",
        "--json",
    ]);
    let script = e.run(&["completions", "bash"]);
    assert!(script.status.success());
    let file = e.home.join("extent.bash");
    std::fs::create_dir_all(&e.home).unwrap();
    std::fs::write(&file, &script.stdout).unwrap();
    let bin_dir = common::extent_bin().parent().unwrap().to_path_buf();
    let complete = |words: &str| -> String {
        let code = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); COMP_LINE=\"{words}\"; COMP_POINT=${{#COMP_LINE}}; _extent_with_paths extent; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(code)
            .env(
                "PATH",
                format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
            )
            .env("XDG_STATE_HOME", e.home.join("state"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        complete("extent sh").lines().any(|l| l == "show"),
        "{}",
        complete("extent sh")
    );
    let paths = complete(&format!("extent --store {} show det", e.store));
    assert!(paths.lines().any(|l| l == "det/frames"), "{paths}");
    let man = e.run(&["man"]);
    assert!(String::from_utf8_lossy(&man.stdout).contains(".TH extent 1"));
}

#[test]
fn named_stores_from_the_config_file() {
    let e = env();
    let cfg = e.home.join("config/extent");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        format!(
            "[stores.beamline1]\npath = \"{}\"\ndescription = \"test\"\n",
            e.store
        ),
    )
    .unwrap();
    e.ok_json(&["create", "x", "--shape", "2", "--chunks", "2", "--json"]);
    let out = common::extent(&e.home, &["--store", "beamline1", "ls", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["path"], "x");
}

#[test]
fn color_flag_parses_everywhere_and_refuses_bad_values() {
    use clap::Parser;
    use extent::cli::Cli;
    use extent::color::ColorChoice;
    let parse = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.color);
    assert_eq!(parse(&["extent", "ls"]).unwrap(), ColorChoice::Auto);
    assert_eq!(
        parse(&["extent", "--color", "never", "ls"]).unwrap(),
        ColorChoice::Never
    );
    // Global: also after the subcommand.
    assert_eq!(
        parse(&["extent", "ls", "--color=always"]).unwrap(),
        ColorChoice::Always
    );
    assert!(parse(&["extent", "--color", "sometimes", "ls"]).is_err());

    // The binary: a bad value names the good ones; a good one changes nothing on plain output.
    let e = env();
    let bad = e.run(&["--color", "sometimes", "ls"]);
    assert!(!bad.status.success());
    let msg = String::from_utf8_lossy(&bad.stderr);
    assert!(
        msg.contains("auto") && msg.contains("always") && msg.contains("never"),
        "{msg}"
    );
    e.ok_json(&["create", "a", "--shape", "2", "--json"]);
    let never = e.run(&["ls", "--color", "never"]);
    let always = e.run(&["--color", "always", "ls"]);
    assert!(never.status.success() && always.status.success());
    assert_eq!(never.stdout, always.stdout);
    assert!(
        !never.stdout.contains(&0x1b),
        "escape codes in piped output"
    );
    let man = e.run(&["man"]);
    assert!(String::from_utf8_lossy(&man.stdout).contains("color"));
}

#[test]
fn piped_commands_draw_no_progress() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.npy");
    let data = extent::backend::ArrayData::new(
        extent::backend::DType::UInt8,
        vec![64, 1024],
        (0..64 * 1024).map(|i| (i % 251) as u8).collect(),
    )
    .unwrap();
    npy(&src, &data);
    let out = dir.path().join("out.npy");
    let (s, o) = (src.to_str().unwrap(), out.to_str().unwrap());
    for args in [
        vec!["create", "big", "--from", s, "--chunks", "4,1024"],
        vec!["patch", "big", "--offset", "64,0", "--from", s, "--extend"],
        vec!["read", "big", "--out", o],
        vec!["check", "--all"],
    ] {
        let r = e.run(&args);
        assert!(
            r.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(
            r.stderr.is_empty(),
            "{args:?} wrote to stderr: {:?}",
            String::from_utf8_lossy(&r.stderr)
        );
    }
    let back = extent::npy::read(&out).unwrap();
    assert_eq!(back.shape, vec![128, 1024]);
    assert_eq!(&back.bytes[..data.bytes.len()], &data.bytes[..]);
    assert_eq!(&back.bytes[data.bytes.len()..], &data.bytes[..]);
}

/// `extent bench` on a local store: both write phases and the read-back, verified, with
/// several patches in flight, and nothing of its scratch arrays left behind.
#[test]
fn bench_writes_reads_back_verifies_and_cleans_up() {
    let e = env();
    let args = [
        "bench",
        "--shape-per-patch",
        "1,32,16",
        "--dtype",
        "int32",
        "--count",
        "7",
        "--concurrency",
        "3",
        "--json",
    ];
    let r = e.ok_json(&args);
    assert_eq!(r["verified"], true, "{r}");
    assert_eq!(r["pregenerated"], true);
    let phases: Vec<(&str, u64, u64)> = r["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["phase"].as_str().unwrap(),
                p["patches"].as_u64().unwrap(),
                p["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let frame = 32 * 16 * 4;
    assert_eq!(
        phases,
        vec![
            ("write in order", 6, 6 * frame),
            ("write shuffled", 6, 6 * frame),
            ("read", 7, 7 * frame),
        ]
    );
    for p in r["phases"].as_array().unwrap() {
        assert!(p["mb_per_s"].as_f64().unwrap() > 0.0, "{p}");
        assert!(p["p95_ms"].as_f64() >= p["p50_ms"].as_f64(), "{p}");
    }
    // The scratch arrays are gone.
    let left = e.ok_json(&["ls", "extent-bench", "--json"]);
    assert_eq!(left.as_array().unwrap().len(), 0, "{left}");
}

/// `extent bench --in-bounds`: the array grown first, the frames written into it shuffled,
/// several in flight, then read back and verified; one write phase.
#[test]
fn bench_in_bounds_fills_an_array_grown_first() {
    let e = env();
    let r = e.ok_json(&[
        "bench",
        "--shape-per-patch",
        "2,8",
        "--count",
        "9",
        "--concurrency",
        "4",
        "--in-bounds",
        "--json",
    ]);
    assert_eq!(r["verified"], true, "{r}");
    let phases: Vec<(&str, u64)> = r["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["phase"].as_str().unwrap(), p["patches"].as_u64().unwrap()))
        .collect();
    assert_eq!(phases, vec![("write in bounds", 8), ("read", 9)]);
    let left = e.ok_json(&["ls", "extent-bench", "--json"]);
    assert_eq!(left.as_array().unwrap().len(), 0, "{left}");
}
