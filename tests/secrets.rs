//! The API key never appears in output, errors, `--json` or the log file, even at trace level
//! and even when it is wrong.

mod common;

use std::process::Command;

#[test]
fn the_api_key_never_shows() {
    let s = common::tiled::server();
    let home = tempfile::tempdir().unwrap();
    let name = common::tiled::unique("secret");
    let wrong = "wrongkey0123456789abcdef";
    let mut seen = String::new();
    let mut run = |key: &str, args: &[&str]| {
        let out = Command::new(common::extent_bin())
            .args(["--store", &s.url, "--api-key", key])
            .args(args)
            .env("HOME", home.path())
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("EXTENT_LOG", "trace")
            .output()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
        out
    };
    assert!(run(
        &s.api_key,
        &["create", &name, "--shape", "2,2", "--chunks", "2,2", "--json"]
    )
    .status
    .success());
    assert!(run(
        &s.api_key,
        &[
            "patch", &name, "--offset", "2,0", "--value", "1", "--shape", "2,2", "--extend",
            "--json"
        ]
    )
    .status
    .success());
    run(
        &s.api_key,
        &[
            "patch", &name, "--offset", "9,0", "--value", "1", "--shape", "1,2",
        ],
    );
    run(
        &s.api_key,
        &["watch", &name, "--count", "1", "--timeout", "1", "--json"],
    );
    let bad = run(wrong, &["show", &name, "--json"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("\"auth\""));
    run(wrong, &["ls"]);
    let log =
        std::fs::read_to_string(home.path().join("state/extent/extent.log")).expect("no log file");
    assert!(!log.is_empty());
    for (what, text) in [("output", &seen), ("log", &log)] {
        assert!(
            !text.contains(&s.api_key),
            "the API key appears in the {what}"
        );
        assert!(
            !text.contains(wrong),
            "the wrong API key appears in the {what}"
        );
    }
    // Nothing extent wrote on disk holds it either.
    for (p, bytes) in common::snapshot_dir(home.path()) {
        let t = String::from_utf8_lossy(&bytes);
        assert!(
            !t.contains(&s.api_key) && !t.contains(wrong),
            "{} holds the key",
            p.display()
        );
    }
}
