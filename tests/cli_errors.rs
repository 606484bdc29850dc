//! With `--json` every error is JSON, argument errors from the parser included; the API key
//! can come from a file; values that do not fit the dtype are refused, never clamped.

mod common;

use common::{extent, extent_ok, snapshot_dir};
use serde_json::Value;

/// Runs `extent ARGS`, which must fail with exit code `code` and one JSON error on stderr
/// of `kind`; returns the message.
fn json_error(home: &std::path::Path, args: &[&str], code: i32, kind: &str) -> String {
    let out = extent(home, args);
    assert_eq!(out.status.code(), Some(code), "extent {args:?}");
    assert!(
        out.stdout.is_empty(),
        "extent {args:?}: stdout {:?}",
        out.stdout
    );
    let err: Value = serde_json::from_slice(&out.stderr).unwrap_or_else(|e| {
        panic!(
            "extent {args:?}: stderr is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(err["error"]["kind"], kind, "{err}");
    err["error"]["message"].as_str().unwrap().to_string()
}

#[test]
fn argument_errors_are_json_with_json() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let store = tmp.path().join("s");
    let s = store.to_str().unwrap();
    // --value without --shape.
    let m = json_error(
        home,
        &[
            "--store", s, "patch", "a", "--offset", "0", "--value", "1", "--json",
        ],
        2,
        "invalid_input",
    );
    assert!(m.contains("--shape"), "{m}");
    // An unknown flag, before or after --json.
    let m = json_error(
        home,
        &["--store", s, "ls", "--json", "--bogus"],
        2,
        "invalid_input",
    );
    assert!(m.contains("--bogus"), "{m}");
    let m = json_error(home, &["--json", "--store", s, "ls"], 2, "invalid_input");
    assert!(m.contains("--json"), "{m}");
    // A bad number.
    let m = json_error(
        home,
        &["--store", s, "watch", "a", "--timeout", "abc", "--json"],
        2,
        "invalid_input",
    );
    assert!(m.contains("abc"), "{m}");
    // A missing subcommand argument.
    json_error(home, &["--store", s, "show", "--json"], 2, "invalid_input");
    assert!(!store.exists(), "nothing is written");

    // Without --json, the parser's usage text as before; --help and --version stay text.
    let out = extent(home, &["--store", s, "ls", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage:"));
    let out = extent(home, &["ls", "--help", "--json"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"));
    // A value `--json` given to an option is not the flag: `--` ends the options too.
    let out = extent(home, &["--store", s, "ls", "--", "--json"]);
    assert!(!String::from_utf8_lossy(&out.stderr).starts_with('{'));
}

#[test]
fn the_api_key_is_read_from_a_file() {
    let srv = common::tiled::server();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let file = tmp.path().join("key");
    std::fs::write(&file, format!("  {}\n", srv.api_key)).unwrap();
    let f = file.to_str().unwrap();
    extent_ok(
        home,
        &["--store", &srv.url, "--api-key-file", f, "ls", "--json"],
    );
    // It replaces a wrong --api-key.
    extent_ok(
        home,
        &[
            "--store",
            &srv.url,
            "--api-key",
            "wrong",
            "--api-key-file",
            f,
            "ls",
        ],
    );

    // Errors name the file and never show the key.
    let missing = tmp.path().join("nope");
    let m = json_error(
        home,
        &[
            "--store",
            &srv.url,
            "--api-key-file",
            missing.to_str().unwrap(),
            "ls",
            "--json",
        ],
        2,
        "invalid_input",
    );
    assert!(m.contains(missing.to_str().unwrap()), "{m}");
    let empty = tmp.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let m = json_error(
        home,
        &[
            "--store",
            &srv.url,
            "--api-key-file",
            empty.to_str().unwrap(),
            "ls",
            "--json",
        ],
        2,
        "invalid_input",
    );
    assert!(m.contains("empty"), "{m}");
    let two = tmp.path().join("two");
    std::fs::write(&two, format!("{} second\n", srv.api_key)).unwrap();
    let out = extent(
        home,
        &[
            "--store",
            &srv.url,
            "--api-key-file",
            two.to_str().unwrap(),
            "ls",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains(two.to_str().unwrap()), "{text}");
    assert!(!text.contains(&srv.api_key), "the key leaked: {text}");

    // The help says why the flag is risky.
    let help = extent_ok(home, &["--help"]);
    assert!(
        help.contains("ps") && help.contains("--api-key-file"),
        "{help}"
    );
}

/// Values past every dtype's range, by --value and --fill: `invalid_input`, nothing written.
#[test]
fn values_that_do_not_fit_the_dtype_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let store = tmp.path().join("s");
    let s = store.to_str().unwrap();
    let cases = [
        ("int8", "128"),
        ("int8", "-129"),
        ("int16", "32768"),
        ("int32", "2147483648"),
        ("int64", "9223372036854775808"),
        ("int64", "-9223372036854775809"),
        ("uint8", "256"),
        ("uint8", "-1"),
        ("uint16", "65536"),
        ("uint32", "4294967296"),
        ("uint64", "18446744073709551616"),
        ("uint64", "-1"),
        ("float32", "1e39"),
        ("float32", "-1e39"),
        ("float64", "1e400"),
    ];
    for (i, (dtype, value)) in cases.iter().enumerate() {
        let name = format!("a{i}");
        extent_ok(
            home,
            &[
                "--store", s, "create", &name, "--shape", "2", "--chunks", "2", "--dtype", dtype,
            ],
        );
        let before = snapshot_dir(&store);
        let m = json_error(
            home,
            &[
                "--store", s, "patch", &name, "--offset", "0", "--shape", "1", "--value", value,
                "--extend", "--json",
            ],
            2,
            "invalid_input",
        );
        // Said with the value as typed.
        let said = format!("value {value} does not fit dtype {dtype}");
        assert!(m.contains(&said), "{dtype} {value}: {m}");
        let m = json_error(
            home,
            &[
                "--store", s, "create", "f", "--shape", "2", "--chunks", "2", "--dtype", dtype,
                "--fill", value, "--json",
            ],
            2,
            "invalid_input",
        );
        assert!(m.contains(&said), "{dtype} {value}: {m}");
        assert_eq!(
            snapshot_dir(&store),
            before,
            "{dtype} {value}: the store changed"
        );
    }
    // The ends of the range themselves are values.
    extent_ok(
        home,
        &[
            "--store", s, "create", "edge", "--shape", "2", "--chunks", "2", "--dtype", "int64",
        ],
    );
    extent_ok(
        home,
        &[
            "--store",
            s,
            "patch",
            "edge",
            "--offset",
            "0",
            "--shape",
            "1",
            "--value",
            "-9223372036854775808",
        ],
    );
    let read = extent_ok(home, &["--store", s, "read", "edge", "--json"]);
    assert!(read.contains("-9223372036854775808"), "{read}");
}

/// A reader that goes away early (`extent read … | head`) ends extent quietly: no panic, no
/// error, exit 0 — for text and JSON alike.
#[test]
fn a_closed_pipe_ends_output_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let store = tmp.path().join("store");
    let s = store.to_str().unwrap();
    extent_ok(
        &home,
        &[
            "--store", s, "create", "big", "--shape", "200000", "--dtype", "int64",
        ],
    );
    // Far more than a pipe holds (64 KiB), so the writes after `head` left must fail.
    for json in ["", "--json"] {
        let cmd = format!(
            "set -o pipefail; {} --store {s} read {json} big | head -c 10 >/dev/null",
            common::extent_bin().display()
        );
        let run = std::process::Command::new("bash")
            .arg("-c")
            .arg(&cmd)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(!err.contains("panicked"), "{json}: {err}");
        assert!(run.status.success(), "{json}: {:?} {err}", run.status);
    }
}
