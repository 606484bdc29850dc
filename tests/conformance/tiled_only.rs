//! What only exists on Tiled: authentication, Tiled's own Python client reading what extent
//! wrote (and the other way round), the server bugs extent works around, URL forms, and a
//! hostile server that must never make extent panic.

use std::time::Duration;

use extent::backend::local::LocalBackend;
use extent::backend::tiled::{TiledBackend, TiledOptions};
use extent::backend::{ArrayData, Backend, Cause, DType, ErrorKind, Repair, Selection};
use serde_json::{json, Value};

use crate::common;
use crate::rules::{expect_kind, f64s, read_all, req, values};
use crate::{Cx, Kind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failure_is_kind_auth_and_never_shows_the_key() {
    let cx = Cx::tiled("auth").await;
    let server = common::tiled::server();
    let wrong = "wrong-key-0123456789abcdef";
    let b = TiledBackend::with_options(&cx.store, Some(wrong.into()), Cx::options(cx.home.path()))
        .unwrap();
    for e in [
        b.list("").await.unwrap_err(),
        b.show("a").await.unwrap_err(),
        b.patch("a", &[0], &f64s(&[1], 0.0), true)
            .await
            .unwrap_err(),
        b.create(&req("a", &[2], &[2], DType::UInt8))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.kind, ErrorKind::Auth, "{}", e.message);
        assert!(
            !e.message.contains(wrong) && !e.message.contains(&server.api_key),
            "{}",
            e.message
        );
        assert!(e.message.contains("API key"), "{}", e.message);
        let dbg = format!("{e:?} {e}");
        assert!(!dbg.contains(wrong));
    }
    assert!(!format!("{b:?}").contains(wrong));
    let none = TiledBackend::with_options(&cx.store, None, Cx::options(cx.home.path())).unwrap();
    let e = none.list("").await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth);
    // The repair is typed; the command line words it as the flag to pass.
    assert_eq!(e.repair, vec![Repair::ApiKey { refused: false }]);
    let told = extent::cli::error_text(&e);
    assert!(told.contains("--api-key"), "{told}");
    // Nothing was created by the refused calls.
    assert!(cx.b().list("").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_reads_what_extent_writes() {
    let cx = Cx::tiled("py-reads").await;
    let b = cx.b();
    let mut r = req("a", &[4, 3], &[2, 3], DType::Float64);
    r.data = Some(f64s(&[4, 3], 0.0));
    r.metadata = json!({"sample": "Si", "temp": 300});
    b.create(&r).await.unwrap();
    b.patch("a", &[5, 0], &f64s(&[1, 3], 100.0), true)
        .await
        .unwrap();
    let mut r = req("g/i", &[2], &[1], DType::Int16);
    r.fill_value = json!(-2);
    b.create(&r).await.unwrap();
    b.resize("g/i", &[3], Cause::Resize).await.unwrap();
    let out = common::tiled::server().python(&format!(
        r#"
out = {{}}
for p in ["a", "g/i"]:
    node = c["{prefix}/" + p]
    x = node.read()
    out[p] = {{"shape": list(x.shape), "dtype": str(x.dtype), "data": x.ravel().tolist(),
              "metadata": json.loads(json.dumps(node.metadata, default=dict))}}
print(json.dumps(out))
"#,
        prefix = cx.catalog_prefix
    ));
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let extent_a = read_all(b, "a").await;
    assert_eq!(v["a"]["shape"], json!([6, 3]));
    assert_eq!(v["a"]["dtype"], "float64");
    assert_eq!(v["a"]["data"], json!(values(&extent_a)));
    assert_eq!(v["a"]["metadata"]["sample"], "Si");
    assert_eq!(v["g/i"]["shape"], json!([3]));
    assert_eq!(v["g/i"]["dtype"], "int16");
    assert_eq!(v["g/i"]["data"], json!([-2, -2, -2]));
    // Another client extends "a": extent's check sees the history is behind, and the repair
    // records the change as observed.
    assert!(b.check("a").await.unwrap().is_empty());
    common::tiled::server().python(&format!(
        r#"c["{prefix}/a"].patch(np.full((1, 3), 9.0), offset=(7, 0), extend=True)"#,
        prefix = cx.catalog_prefix
    ));
    let found = b.check("a").await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, "journal_behind");
    assert!(found[0].message.contains("[8, 3]"), "{}", found[0].message);
    let fixed = b.repair("a").await.unwrap();
    assert!(fixed[0].repaired);
    assert!(b.check("a").await.unwrap().is_empty());
    let h = b.history("a").await.unwrap();
    let last = h.last().unwrap();
    assert_eq!(
        (last.cause, last.old_shape.clone(), last.new_shape.clone()),
        (Cause::Observed, Some(vec![6, 3]), Some(vec![8, 3]))
    );
    // Another client's change: Tiled does not say whose, and it is not this user's.
    assert_eq!(last.actor, "", "{last:?}");
    assert_eq!(values(&read_all(b, "a").await)[21..], [9.0, 9.0, 9.0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extent_reads_and_extends_what_python_writes() {
    let cx = Cx::tiled("py-writes").await;
    let server = common::tiled::server();
    server.python(&format!(
        r#"
g = c["{prefix}"]
g.write_array(np.arange(12, dtype="int32").reshape(4, 3), key="py", metadata={{"by": "python"}})
g.write_array(np.arange(4, dtype=">u2") * 257, key="be")
g.create_container(key="sub")
"#,
        prefix = cx.catalog_prefix
    ));
    let b = cx.b();
    let info = b.show("py").await.unwrap();
    assert_eq!(info.shape, vec![4, 3]);
    assert_eq!(info.dtype, DType::Int32);
    assert_eq!(info.metadata, json!({"by": "python"}));
    assert_eq!(
        info.resizable,
        vec![true, true],
        "arrays without extent's key are resizable"
    );
    let d = read_all(b, "py").await;
    assert_eq!(values(&d), (0..12).map(|i| i as f64).collect::<Vec<_>>());
    // Big-endian storage reads as the same numbers.
    let be = read_all(b, "be").await;
    assert_eq!(be.dtype, DType::UInt16);
    assert_eq!(values(&be), vec![0.0, 257.0, 514.0, 771.0]);
    let listed = b.list("").await.unwrap();
    assert_eq!(listed.len(), 3);
    // extent extends both; Python reads the result.
    let row = ArrayData::new(
        DType::Int32,
        vec![1, 3],
        [7i32, 8, 9].iter().flat_map(|v| v.to_le_bytes()).collect(),
    )
    .unwrap();
    b.patch("py", &[4, 0], &row, true).await.unwrap();
    let two = ArrayData::new(
        DType::UInt16,
        vec![2],
        [1000u16, 2000]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect(),
    )
    .unwrap();
    b.patch("be", &[5], &two, true).await.unwrap();
    let out = server.python(&format!(
        r#"
g = c["{prefix}"]
print(json.dumps({{"py": g["py"].read().tolist(), "be": g["be"].read().tolist()}}))
"#,
        prefix = cx.catalog_prefix
    ));
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        v["py"],
        json!([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [7, 8, 9]])
    );
    assert_eq!(v["be"], json!([0, 257, 514, 771, 0, 1000, 2000]));
}

/// A writer reuses the structure it last read or wrote instead of asking again; that must
/// give way to growth by another extent process (seen in the journal) and by another client
/// (a refusal planned against the remembered shape is checked with the server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_structure_gives_way_to_other_writers() {
    let cx = Cx::tiled("remembered").await;
    let server = common::tiled::server();
    // Long enough that the remembered structure is still fresh after the Python client ran.
    let b = cx.reopen_with(TiledOptions {
        structure_ttl: Duration::from_secs(600),
        ..TiledOptions::default()
    });
    b.create(&req("a", &[2, 3], &[2, 3], DType::Float64))
        .await
        .unwrap();
    b.patch("a", &[0, 0], &f64s(&[1, 3], 1.0), true)
        .await
        .unwrap();
    // Another extent process grows it to 4 rows; rows 2..4 are in bounds now.
    cx.reopen()
        .patch("a", &[3, 0], &f64s(&[1, 3], 4.0), true)
        .await
        .unwrap();
    b.patch("a", &[2, 0], &f64s(&[1, 3], 3.0), false)
        .await
        .unwrap();
    // Tiled's own client grows it to 6 rows: nothing of extent's records that.
    server.python(&format!(
        r#"
a = c["{prefix}"]["a"]
a.patch(np.full((1, 3), 6.0), offset=(5, 0), extend=True)
"#,
        prefix = cx.catalog_prefix
    ));
    b.patch("a", &[4, 0], &f64s(&[1, 3], 5.0), false)
        .await
        .unwrap();
    let info = b
        .patch("a", &[6, 0], &f64s(&[1, 3], 7.0), true)
        .await
        .unwrap();
    assert_eq!(info.shape, vec![7, 3]);
    let got = values(&read_all(b.as_ref(), "a").await);
    let want: Vec<f64> = [1.0, 0.0, 3.0, 4.0, 5.0, 6.0, 7.0]
        .iter()
        .enumerate()
        .flat_map(|(row, &base)| {
            (0..3).map(move |i| match row {
                1 => 0.0,
                5 => 6.0,
                _ => base + i as f64,
            })
        })
        .collect();
    assert_eq!(got, want);
    // Another extent process replaces the array with one of another dtype: the remembered
    // float64 structure must not be used (the server would take the bytes as uint16).
    let other = cx.reopen();
    other.delete("a").await.unwrap();
    other
        .create(&req("a", &[2, 3], &[2, 3], DType::UInt16))
        .await
        .unwrap();
    let e = expect_kind(
        b.patch("a", &[0, 0], &f64s(&[1, 3], 1.0), false).await,
        ErrorKind::DtypeMismatch,
    );
    assert!(e.contains("uint16"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_refuses_what_the_server_breaks() {
    let cx = Cx::tiled("refuse-create").await;
    let b = cx.b();
    let msg = expect_kind(
        b.create(&req("a", &[5, 3], &[2, 3], DType::Float64)).await,
        ErrorKind::InvalidInput,
    );
    assert!(msg.contains("not a multiple of the chunk shape"), "{msg}");
    assert!(
        msg.contains("[6, 3]") && msg.contains("[5, 3]"),
        "suggests fixes: {msg}"
    );
    let msg = expect_kind(
        b.create(&req("a", &[0, 3], &[2, 3], DType::Float64)).await,
        ErrorKind::InvalidInput,
    );
    assert!(msg.contains("zero-length"), "{msg}");
    expect_kind(b.show("a").await, ErrorKind::NotFound);
    assert!(b.list("").await.unwrap().is_empty());
}

/// With a tiny request size every write is cut into many requests (and growth with a
/// non-zero fill goes through the zero-size extend first): the result must equal the local
/// backend doing the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_in_many_pieces_match_the_local_backend() {
    let cx = Cx::tiled("pieces").await;
    let tiled = cx.reopen_with(TiledOptions {
        max_request_bytes: 40,
        ..TiledOptions::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let local = LocalBackend::open_or_create(dir.path()).unwrap();
    let both: [&dyn Backend; 2] = [&local, &*tiled];
    for b in both {
        let mut r = req("a", &[6, 4], &[2, 2], DType::Float64);
        r.fill_value = json!(2.5);
        r.data = Some(f64s(&[6, 4], 0.0));
        b.create(&r).await.unwrap();
        let mut r = req("f", &[4, 2], &[2, 2], DType::Float64);
        r.fill_value = json!(-1);
        b.create(&r).await.unwrap();
        b.patch("a", &[5, 1], &f64s(&[3, 5], 100.0), true)
            .await
            .unwrap();
        b.resize("a", &[10, 7], Cause::Resize).await.unwrap();
        b.patch("a", &[1, 0], &f64s(&[8, 7], 500.0), false)
            .await
            .unwrap();
        b.patch("f", &[9, 3], &f64s(&[1, 1], 9.0), true)
            .await
            .unwrap();
    }
    for path in ["a", "f"] {
        let want = read_all(&local, path).await;
        assert_eq!(read_all(&*tiled, path).await, want, "{path}");
        assert_eq!(tiled.show(path).await.unwrap().shape, want.shape);
    }
}

/// A write that fails on the server after Tiled resized its stored array (here: a directory
/// where a chunk file must go) is detected, reported with the repair, and the repair works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_growth_is_detected_and_repairable() {
    let _serial = crate::serial().await;
    let shared = common::tiled::server();
    let private;
    let server = if shared.data_dir.is_some() {
        shared
    } else {
        // A reused server without TILED_DATA_DIR: this test needs to reach the storage.
        private = common::tiled::start();
        &private
    };
    let prefix = format!("conformance/{}", common::tiled::unique("failed-growth"));
    server.make_groups(&prefix);
    let home = tempfile::tempdir().unwrap();
    let b = TiledBackend::with_options(
        &format!("{}/{prefix}", server.url),
        Some(server.api_key.clone().into()),
        Cx::options(home.path()),
    )
    .unwrap();
    let mut r = req("a", &[4], &[2], DType::UInt8);
    r.data = Some(ArrayData::new(DType::UInt8, vec![4], vec![1, 2, 3, 4]).unwrap());
    b.create(&r).await.unwrap();
    let blocker = server
        .data_dir
        .as_ref()
        .unwrap()
        .join("data")
        .join(&prefix)
        .join("a/c/2");
    std::fs::create_dir_all(blocker.join("x")).unwrap();
    let two = ArrayData::new(DType::UInt8, vec![2], vec![5, 6]).unwrap();
    let e = b.patch("a", &[4], &two, true).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io, "{}", e.message);
    assert!(e.message.contains("500"), "{}", e.message);
    assert!(
        e.message.contains("without updating its catalog"),
        "{}",
        e.message
    );
    // The repair is typed; the command line words it.
    assert!(
        matches!(e.repair.last(), Some(Repair::PatchAgain { offset, .. }) if offset == &[4]),
        "{:?}",
        e.repair
    );
    let told = extent::cli::error_text(&e);
    assert!(told.contains("re-run the same patch"), "{told}");
    // extent published the stored shape, so the catalog tells the truth again.
    assert_eq!(b.show("a").await.unwrap().shape, vec![6]);
    let h = b.history("a").await.unwrap();
    assert_eq!(h.last().unwrap().cause, Cause::Repair);
    // The repair it named: once the server is healthy, the same patch completes the array.
    std::fs::remove_dir_all(&blocker).unwrap();
    let info = b.patch("a", &[4], &two, true).await.unwrap();
    assert_eq!(info.shape, vec![6]);
    assert_eq!(read_all(&b, "a").await.bytes, vec![1, 2, 3, 4, 5, 6]);
    // A failure of an in-bounds write says the shape did not change.
    std::fs::remove_file(&blocker).unwrap();
    std::fs::create_dir_all(blocker.join("x")).unwrap();
    let e = b.patch("a", &[4], &two, false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io);
    assert!(e.message.contains("shape did not change"), "{}", e.message);
    std::fs::remove_dir_all(&blocker).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_forms_and_prefixes() {
    let cx = Cx::tiled("urls").await;
    let server = common::tiled::server();
    cx.b()
        .create(&req("g/a", &[2], &[2], DType::UInt8))
        .await
        .unwrap();
    let key = Some(server.api_key.clone().into());
    let opts = || Cx::options(cx.home.path());
    for url in [
        format!("{}/api/v1/{}/", server.url, cx.catalog_prefix),
        format!("{}/{}/", server.url, cx.catalog_prefix),
    ] {
        let b = TiledBackend::with_options(&url, key.clone(), opts()).unwrap();
        assert_eq!(b.show("g/a").await.unwrap().shape, vec![2]);
    }
    // Deeper prefix: paths are relative to it.
    let b = TiledBackend::with_options(
        &format!("{}/{}/g", server.url, cx.catalog_prefix),
        key.clone(),
        opts(),
    )
    .unwrap();
    assert_eq!(b.list("").await.unwrap()[0].path, "a");
    assert_eq!(b.show("a").await.unwrap().path, "a");
    // The server root: the same array by its full catalog path.
    let root = TiledBackend::with_options(&server.url, key.clone(), opts()).unwrap();
    let full = format!("{}/g/a", cx.catalog_prefix);
    assert_eq!(root.show(&full).await.unwrap().shape, vec![2]);
    // A prefix that does not exist.
    let gone = TiledBackend::with_options(
        &format!("{}/no-such-node-{}", server.url, std::process::id()),
        key,
        opts(),
    )
    .unwrap();
    expect_kind(gone.list("").await, ErrorKind::NotFound);
    // Nothing listens: a clear io error.
    let dead = TiledBackend::with_options("http://127.0.0.1:9", None, opts()).unwrap();
    let msg = expect_kind(dead.list("").await, ErrorKind::Io);
    assert!(msg.contains("127.0.0.1:9"), "{msg}");
    assert_eq!(cx.kind, Kind::Tiled);
}

/// A server that answers garbage: every call fails with a typed error, never a panic, and
/// data bodies of the wrong length are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_server_never_causes_a_panic() {
    let addr = hostile::serve().await;
    let home = tempfile::tempdir().unwrap();
    let opts = TiledOptions {
        request_timeout: Duration::from_secs(3),
        retries: 1,
        ..Cx::options(home.path())
    };
    let b = TiledBackend::with_options(&format!("http://{addr}"), Some("k".into()), opts).unwrap();
    let io = |r: extent::backend::Result<_>| match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    };
    for path in ["badjson", "weird", "huge", "html500", "nodata", "lying"] {
        let e = io(b.show(path).await.map(|_| ()));
        assert!(
            matches!(
                e.kind,
                ErrorKind::Io | ErrorKind::Unsupported | ErrorKind::InvalidInput
            ),
            "{path}: {e:?}"
        );
    }
    let e = io(b.read("short", None).await.map(|_| ()));
    assert_eq!(e.kind, ErrorKind::Io);
    assert!(
        e.message.contains("3 bytes") && e.message.contains("4"),
        "{}",
        e.message
    );
    let e = io(b.read("long", None).await.map(|_| ()));
    assert_eq!(e.kind, ErrorKind::Io, "{}", e.message);
    let e = io(b.read("truncated", None).await.map(|_| ()));
    assert_eq!(e.kind, ErrorKind::Io, "{}", e.message);
    let sel = Selection {
        start: vec![0],
        end: vec![2],
    };
    io(b.read("long", Some(&sel)).await.map(|_| ()));
    let e = io(b.list("").await.map(|_| ()));
    assert_eq!(e.kind, ErrorKind::Io, "{}", e.message);
    let e = io(b.show("html500").await.map(|_| ()));
    assert!(e.message.chars().count() < 1000, "bounded: {}", e.message);
    // A patch whose answer is garbage: the data went out, the answer is not trusted.
    let one = ArrayData::new(DType::UInt8, vec![1], vec![1]).unwrap();
    let _ = b.patch("short", &[0], &one, false).await;
    let _ = b.patch("short", &[9], &one, true).await;
}

mod hostile {
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const ARRAY4: &str = r#"{"data":{"attributes":{"structure_family":"array","metadata":{},
        "structure":{"data_type":{"endianness":"not_applicable","kind":"u","itemsize":1},
        "chunks":[[4]],"shape":[4]}}}}"#;

    fn answer(path: &str) -> Vec<u8> {
        let ok = |ct: &str, body: &[u8]| {
            let mut v = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {ct}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            v.extend_from_slice(body);
            v
        };
        let route = path.split('?').next().unwrap_or("");
        match route {
            "/api/v1/metadata/badjson" => ok("application/json", b"{\"data\": ["),
            "/api/v1/metadata/weird" => ok(
                "application/json",
                br#"{"data":{"attributes":{"structure_family":"array","structure":{"shape":[4],"chunks":"x"}}}}"#,
            ),
            "/api/v1/metadata/nodata" => ok("application/json", b"[1,2,3]"),
            "/api/v1/metadata/huge" => {
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000000000\r\n\r\n{".to_vec()
            }
            "/api/v1/metadata/lying" => {
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 50\r\nconnection: close\r\n\r\n{\"data\"".to_vec()
            }
            "/api/v1/metadata/html500" => {
                let body = format!("<html>{}</html>", "x ".repeat(5000));
                format!(
                    "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            }
            "/api/v1/metadata/short" | "/api/v1/metadata/long" | "/api/v1/metadata/truncated" => {
                ok("application/json", ARRAY4.as_bytes())
            }
            "/api/v1/array/full/short" => ok("application/octet-stream", &[1, 2, 3]),
            "/api/v1/array/full/long" => ok("application/octet-stream", &[1, 2, 3, 4, 5]),
            "/api/v1/array/full/truncated" => {
                b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\n\x01\x02".to_vec()
            }
            "/api/v1/search/" => ok("application/json", br#"{"data":"nope"}"#),
            _ => ok("application/json", b"\xff\xfe not json"),
        }
    }

    pub async fn serve() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    // Read the request head (and whatever body arrives with it).
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf);
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let _ = sock.write_all(&answer(&path)).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        addr
    }
}
