//! A hostile server: every kind of broken answer a Tiled URL can give (not HTTP at all,
//! invalid JSON, bodies cut short or longer than announced, endless bodies, 5xx pages, no
//! answer in time, structures that disagree with the bytes) must end in a typed error that
//! names the problem, within bounded time and memory, without a panic and without writing
//! anything locally (no journal entry, no output file).

mod common;

use std::time::{Duration, Instant};

use common::hostile::{self, ok, status, Hostile, Reply, Request};
use extent::backend::tiled::{TiledBackend, TiledOptions};
use extent::backend::{ArrayData, Backend, Cause, DType, Error, ErrorKind, Selection};

/// The server's `data_type` and `structure` for an array.
fn array(kind: &str, itemsize: u64, shape: &str, chunks: &str) -> Vec<u8> {
    format!(
        r#"{{"data":{{"id":"a","attributes":{{"structure_family":"array","metadata":{{}},
        "structure":{{"data_type":{{"endianness":"little","kind":"{kind}","itemsize":{itemsize}}},
        "chunks":{chunks},"shape":{shape}}}}}}}}}"#
    )
    .into_bytes()
}

fn u8x4() -> Vec<u8> {
    array("u", 1, "[4]", "[[4]]")
}

fn html(code: u16, reason: &str) -> Reply {
    let body = format!(
        "<html><head><title>{code} {reason}</title></head><body>{}</body></html>",
        "<p>upstream said no</p>\n".repeat(4000)
    );
    status(code, reason, "text/html", body.as_bytes())
}

/// Not HTTP at all.
fn garbage() -> Reply {
    Reply::Raw(b"\x00\x17\xffSSH-2.0 this is not HTTP\r\n\r\n\x01\x02".to_vec())
}

fn head(content_length: Option<u64>) -> Vec<u8> {
    let len = content_length
        .map(|n| format!("content-length: {n}\r\n"))
        .unwrap_or_default();
    format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{len}connection: close\r\n\r\n")
        .into_bytes()
}

/// The route table: the array's name (last path segment) chooses the misbehaviour.
fn route(req: &Request) -> Reply {
    let path = req.path();
    let name = path.rsplit('/').next().unwrap_or("");
    let metadata = path.starts_with("/api/v1/metadata/");
    let data = path.starts_with("/api/v1/array/full/");
    let with = |mut h: Vec<u8>, body: &[u8]| {
        h.extend_from_slice(body);
        Reply::Raw(h)
    };
    if metadata {
        return match name {
            "garbage" => garbage(),
            "badjson" => ok("application/json", b"{\"data\": {\"attributes\": [1, 2"),
            "notjson" => ok("application/json", b"\xff\xfe<html>hello</html>"),
            // Announces 500 bytes, sends 30, closes.
            "truncated" => with(head(Some(500)), &u8x4()[..30]),
            // Announces fewer bytes than it sends: the body is cut at the announced length.
            "cl_small" => with(head(Some(12)), &u8x4()),
            "huge" => Reply::Raw(head(Some(100_000_000_000))),
            "endless" => Reply::Endless(head(None)),
            "e500" => html(500, "Internal Server Error"),
            "e502" => html(502, "Bad Gateway"),
            "e503" => html(503, "Service Unavailable"),
            "slow" => Reply::Slow(Duration::from_secs(30), ok_raw(&u8x4())),
            "baddtype" => ok("application/json", &array("Z", 3, "[4]", "[[4]]")),
            "badshape" => ok("application/json", &array("u", 1, "[-4]", "[[4]]")),
            "bigshape" => ok(
                "application/json",
                &array(
                    "u",
                    1,
                    "[18446744073709551615, 18446744073709551615]",
                    "[[1],[1]]",
                ),
            ),
            "badchunks" => ok("application/json", &array("u", 1, "[4, 2]", "[[4]]")),
            "f8x4" => ok("application/json", &array("f", 8, "[4]", "[[4]]")),
            "i2x2x2" => ok("application/json", &array("i", 2, "[2, 2]", "[[2],[2]]")),
            // Arrays whose data (or write answer) misbehaves.
            _ => ok("application/json", &u8x4()),
        };
    }
    if data && req.method == "GET" {
        return match name {
            "short" => ok("application/octet-stream", &[1, 2, 3]),
            "long" => ok("application/octet-stream", &[1, 2, 3, 4, 5]),
            // f8x4 needs 32 bytes: the server sends 4 float32 (16 bytes).
            "f8x4" => ok("application/octet-stream", &[0u8; 16]),
            // i2x2x2 needs 8 bytes: the server sends a 2x2 of u8.
            "i2x2x2" => ok("application/octet-stream", &[1, 2, 3, 4]),
            "rtrunc" => with(
                b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\n".to_vec(),
                &[1, 2],
            ),
            "rgarbage" => garbage(),
            "rendless" => Reply::Endless(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n"
                    .to_vec(),
            ),
            "rhuge" => Reply::Raw(
                b"HTTP/1.1 200 OK\r\ncontent-length: 100000000000\r\nconnection: close\r\n\r\n"
                    .to_vec(),
            ),
            "r503" => html(503, "Service Unavailable"),
            "rslow" => Reply::Slow(
                Duration::from_secs(30),
                ok_raw(&[1, 2, 3, 4]),
            ),
            _ => ok("application/octet-stream", &[1, 2, 3, 4]),
        };
    }
    if data && req.method == "PATCH" {
        return match name {
            "wgarbage" => garbage(),
            "wbadjson" => ok("application/json", b"{\"shape\": [5"),
            "w500" => html(500, "Internal Server Error"),
            "w502" => html(502, "Bad Gateway"),
            "wslow" => Reply::Slow(Duration::from_secs(30), ok_raw(b"{}")),
            // Claims the array shrank under the write.
            "wshrunk" => ok("application/json", br#"{"shape":[1]}"#),
            _ => garbage(),
        };
    }
    garbage()
}

fn ok_raw(body: &[u8]) -> Vec<u8> {
    match ok("application/json", body) {
        Reply::Raw(v) => v,
        _ => unreachable!(),
    }
}

/// Long enough that redacting it from messages cannot mangle ordinary words.
const KEY: &str = "hostile-test-key-0123456789";

struct World {
    server: Hostile,
    home: tempfile::TempDir,
    b: TiledBackend,
}

impl World {
    async fn new() -> World {
        let server = hostile::serve(route).await;
        let home = tempfile::tempdir().unwrap();
        let opts = TiledOptions {
            data_dir: Some(home.path().join("data")),
            cache_dir: Some(home.path().join("cache")),
            request_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            retries: 1,
            ..TiledOptions::default()
        };
        let b = TiledBackend::with_options(&server.url(), Some(KEY.into()), opts).unwrap();
        World { server, home, b }
    }

    /// Nothing in the journal directory (lock files in the cache directory are not data).
    fn nothing_written(&self, case: &str) {
        let data = self.home.path().join("data");
        if data.exists() {
            let files = common::snapshot_dir(&data);
            assert!(
                files.is_empty(),
                "{case}: wrote {:?}",
                files.iter().map(|f| &f.0).collect::<Vec<_>>()
            );
        }
    }
}

/// Checks one failed call: its kind, that the text people see (message, causes and repair,
/// as the command line words it) names the problem (every needle, case insensitive), is
/// bounded, and came within `secs`.
fn expect(case: &str, r: Result<(), Error>, kind: ErrorKind, needles: &[&str], t0: Instant) {
    let secs = t0.elapsed().as_secs_f64();
    let e = match r {
        Ok(()) => panic!("{case}: expected an error"),
        Err(e) => e,
    };
    let told = extent::cli::error_text(&e);
    assert_eq!(e.kind, kind, "{case}: {told}");
    let m = told.to_lowercase();
    for n in needles {
        assert!(
            m.contains(&n.to_lowercase()),
            "{case}: message lacks {n:?}: {told}"
        );
    }
    assert!(
        told.chars().count() < 1200,
        "{case}: unbounded message: {told}"
    );
    assert!(secs < 8.0, "{case}: took {secs:.1} s");
    println!("{case:<28} {:>5.2} s  {}: {told}", secs, e.kind.name());
}

fn unit(r: extent::backend::Result<impl Sized>) -> Result<(), Error> {
    r.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_answers_to_reads_are_typed_errors() {
    let w = World::new().await;
    let b = &w.b;
    use ErrorKind::{Io, Unsupported};
    let cases: &[(&str, ErrorKind, &[&str])] = &[
        ("garbage", Io, &["reading 'garbage'", "tiled server"]),
        ("badjson", Io, &["not valid json"]),
        ("notjson", Io, &["not valid json"]),
        ("truncated", Io, &["reading 'truncated'", "failed"]),
        ("cl_small", Io, &["not valid json"]),
        ("huge", Io, &["larger than 64 mib"]),
        ("endless", Io, &["larger than 64 mib"]),
        ("e500", Io, &["(500)", "upstream said no"]),
        ("e502", Io, &["(502)"]),
        ("e503", Io, &["(503)"]),
        ("slow", Io, &["no answer in time"]),
        ("baddtype", Unsupported, &["data type"]),
        ("badshape", Io, &["invalid shape"]),
        ("badchunks", Io, &["invalid chunk list"]),
    ];
    for (name, kind, needles) in cases {
        let t0 = Instant::now();
        expect(
            &format!("show {name}"),
            unit(b.show(name).await),
            *kind,
            needles,
            t0,
        );
        let t0 = Instant::now();
        expect(
            &format!("read {name}"),
            unit(b.read(name, None).await),
            *kind,
            needles,
            t0,
        );
    }
    // The endless body was cut off at the bound: extent stopped reading (two attempts of at
    // most 64 MiB each, plus what the socket buffers held).
    let streamed = w.server.streamed();
    assert!(
        streamed < 2 * (64 << 20) + (16 << 20),
        "extent read {streamed} bytes of an endless body"
    );
    w.nothing_written("reads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_that_disagrees_with_the_structure_is_refused() {
    let w = World::new().await;
    let b = &w.b;
    use ErrorKind::{InvalidInput, Io};
    let cases: &[(&str, ErrorKind, &[&str])] = &[
        ("short", Io, &["3 bytes", "structure says 4"]),
        ("long", Io, &["structure says 4"]),
        ("f8x4", Io, &["structure says 32"]),
        ("i2x2x2", Io, &["4 bytes", "structure says 8"]),
        ("rtrunc", Io, &["reading 'rtrunc'"]),
        ("rgarbage", Io, &["reading 'rgarbage'"]),
        ("rendless", Io, &["structure says 4"]),
        ("rhuge", Io, &["100000000000 bytes", "structure says 4"]),
        ("r503", Io, &["(503)"]),
        ("rslow", Io, &["no answer in time"]),
        // A structure too large to read at all is refused before any request for data.
        ("bigshape", InvalidInput, &["too large"]),
    ];
    for (name, kind, needles) in cases {
        let t0 = Instant::now();
        expect(
            &format!("read {name}"),
            unit(b.read(name, None).await),
            *kind,
            needles,
            t0,
        );
    }
    // A slice of a lying array is refused the same way.
    let sel = Selection {
        start: vec![1],
        end: vec![3],
    };
    let t0 = Instant::now();
    expect(
        "read long[1:3]",
        unit(b.read("long", Some(&sel)).await),
        Io,
        &["structure says 2"],
        t0,
    );
    assert!(w.server.streamed() < 64 << 20);
    w.nothing_written("data");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_answers_to_writes_are_typed_errors() {
    let w = World::new().await;
    let b = &w.b;
    let one = ArrayData::new(DType::UInt8, vec![1], vec![7]).unwrap();
    let two = ArrayData::new(DType::UInt8, vec![2], vec![7, 8]).unwrap();
    for name in ["wgarbage", "wbadjson", "w500", "w502", "wslow"] {
        // In bounds: the shape did not change, the data may or may not have landed.
        let t0 = Instant::now();
        expect(
            &format!("patch {name} in bounds"),
            unit(b.patch(name, &[0], &one, false).await),
            ErrorKind::Io,
            &[&format!("patching '{name}'"), "the shape did not change"],
            t0,
        );
        // Growing: the check afterwards gets the same garbage, so extent says it could
        // not confirm, and how to repair.
        let t0 = Instant::now();
        expect(
            &format!("patch {name} --extend"),
            unit(b.patch(name, &[3], &two, true).await),
            ErrorKind::Io,
            &[&format!("patching '{name}'"), "repair"],
            t0,
        );
        let t0 = Instant::now();
        expect(
            &format!("resize {name}"),
            unit(b.resize(name, &[8], Cause::Resize).await),
            ErrorKind::Io,
            &[&format!("resizing '{name}'"), "repair"],
            t0,
        );
    }
    let t0 = Instant::now();
    expect(
        "patch wshrunk --extend",
        unit(b.patch("wshrunk", &[3], &two, true).await),
        ErrorKind::Io,
        &["reports shape [1]", "smaller than the [5]"],
        t0,
    );
    // Writes to arrays whose structure is broken never reach the data route.
    for name in ["garbage", "badjson", "e503", "baddtype", "badshape"] {
        let before = w.server.seen.lock().unwrap().len();
        let r = unit(b.patch(name, &[0], &one, true).await);
        assert!(r.is_err(), "patch {name}");
        let seen = w.server.seen.lock().unwrap();
        assert!(
            seen[before..].iter().all(|r| r.method == "GET"),
            "patch {name} sent a write: {:?}",
            &seen[before..]
        );
    }
    w.nothing_written("writes");
}

/// The real binary against the hostile server: exit code 6 (io), a one-line error naming the
/// problem, and no output file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_writes_nothing_when_the_server_is_broken() {
    let server = hostile::serve(route).await;
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let npy = dir.path().join("in.npy");
    std::fs::write(
        &npy,
        extent::npy::encode(&ArrayData::new(DType::UInt8, vec![2], vec![7, 8]).unwrap()),
    )
    .unwrap();
    let npy_s = npy.to_string_lossy().into_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["read", "garbage"], "tiled server"),
        (vec!["read", "badjson"], "not valid json"),
        (vec!["read", "e502"], "(502)"),
        (vec!["read", "short"], "structure says 4"),
        (vec!["read", "f8x4"], "structure says 32"),
        (vec!["read", "rtrunc"], "reading 'rtrunc'"),
        (vec!["read", "rendless"], "structure says 4"),
        (vec!["read", "endless"], "larger than 64 mib"),
        (vec!["show", "huge"], "larger than 64 mib"),
        (
            vec![
                "patch", "wbadjson", "--offset", "3", "--from", &npy_s, "--extend",
            ],
            "repair",
        ),
        (
            vec![
                "patch", "w500", "--offset", "0", "--value", "1", "--shape", "1",
            ],
            "(500)",
        ),
        (vec!["resize", "wgarbage", "--shape", "9"], "repair"),
    ];
    for (args, needle) in cases {
        let out_file = dir.path().join("out.npy");
        let out_s = out_file.to_string_lossy().into_owned();
        let mut all = vec!["--store", url.as_str(), "--api-key", KEY];
        all.extend_from_slice(&args);
        if args[0] == "read" {
            all.extend_from_slice(&["--out", &out_s]);
        }
        let all: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        let home2 = home.clone();
        let t0 = Instant::now();
        let out = tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
            common::extent(&home2, &a)
        })
        .await
        .unwrap();
        let secs = t0.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {stderr}");
        assert!(
            stderr.to_lowercase().contains(needle),
            "{args:?}: stderr lacks {needle:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.len() < 2000, "{args:?}: unbounded: {stderr}");
        assert!(!out_file.exists(), "{args:?} left {out_s}");
        assert!(secs < 20.0, "{args:?} took {secs:.1} s");
        println!(
            "extent {:<40} {secs:>5.2} s  {}",
            args.join(" "),
            stderr.trim()
        );
    }
    // No journal entry and no stray file anywhere (lock files and the log aside).
    let data = home.join("data");
    assert!(!data.exists() || common::snapshot_dir(&data).is_empty());
    let left: Vec<_> = common::snapshot_dir(dir.path())
        .into_iter()
        .map(|f| f.0)
        .filter(|p| !p.starts_with(home.join("cache")) && !p.starts_with(home.join("state")))
        .collect();
    assert_eq!(left, vec![npy.clone()], "stray files");
}
