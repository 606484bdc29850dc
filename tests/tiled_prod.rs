//! extent against Tiled's production-like profile (scripts/start-tiled.sh with
//! TILED_PROFILE=prod): the catalog on PostgreSQL, 4 server worker processes, the streaming
//! cache on Redis. What holds there: the services are what they claim and go away when
//! stopped; extent's per-host lock still orders its own writers when 4 server processes take
//! their patches; a live watch sees writes that other workers served; and what happens when
//! writers on different machines (separate lock dirs) extend one array, which `check` must
//! report. The conformance rules run on this profile too (tests/conformance, `tiled_prod::`).

mod common;

use std::path::Path;

use common::soak::{self, Hosts};
use common::tiled::{prod_server, Server, PROD_WORKERS};
use common::watch::{patch_rows, read_until, shape_changes, spawn_watch};
use extent::backend::Backend;

/// Entry point of the soak's worker processes (see common::soak); ignored in a normal run.
#[test]
#[ignore = "a worker process of the soaks in this file"]
fn worker_entry() {
    soak::worker_main();
}

/// The processes whose process group is `pgid` (the server and its workers).
fn group_members(pgid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command's closing parenthesis: state, ppid, pgrp, ...
        let after = stat.rsplit_once(')').map(|(_, s)| s).unwrap_or("");
        if after.split_whitespace().nth(2) == Some(&pgid.to_string()) {
            out.push(pid);
        }
    }
    out
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The first number in a pid file (PostgreSQL's postmaster.pid has more lines).
fn pid_in(file: &Path) -> u32 {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    text.lines()
        .next()
        .unwrap_or("")
        .trim()
        .parse()
        .unwrap_or_else(|_| {
            panic!("{} holds no pid: {text}", file.display());
        })
}

/// The processes behind a prod server: its worker group, PostgreSQL, Redis.
fn services(s: &Server) -> (Vec<u32>, u32, u32) {
    let data = s
        .data_dir
        .as_ref()
        .expect("a started server knows its storage");
    let pid = s.pid.expect("a started server knows its pid");
    (
        group_members(pid),
        pid_in(&data.join("pg/postmaster.pid")),
        pid_in(&data.join("redis/redis.pid")),
    )
}

fn store_args(s: &Server) -> [&str; 4] {
    ["--store", s.url.as_str(), "--api-key", s.api_key.as_str()]
}

#[test]
fn prod_profile_is_postgres_several_workers_and_redis() {
    let s = prod_server();
    let data = s.data_dir.as_ref().unwrap();
    let config = std::fs::read_to_string(data.join("config.yml")).unwrap();
    assert!(
        config.contains("uri: \"postgresql://"),
        "catalog not on PostgreSQL: {config}"
    );
    assert!(
        config.contains("streaming_cache:\n  uri: \"redis://"),
        "streaming cache not on Redis: {config}"
    );
    let (group, pg, redis) = services(s);
    // The process manager, multiprocessing's resource tracker, and the workers.
    let workers = group.len().saturating_sub(2);
    assert!(
        workers >= PROD_WORKERS,
        "{PROD_WORKERS} workers expected, the server's group is {group:?}"
    );
    assert!(alive(pg), "PostgreSQL ({pg}) is not running");
    assert!(alive(redis), "Redis ({redis}) is not running");
    // extent works against it, end to end.
    let home = tempfile::tempdir().unwrap();
    let name = common::tiled::unique("prod-smoke");
    let mut args = store_args(s).to_vec();
    args.extend([
        "create", &name, "--shape", "4,4", "--chunks", "2,4", "--dtype", "uint8",
    ]);
    common::extent_ok(home.path(), &args);
    let mut args = store_args(s).to_vec();
    args.extend([
        "patch", &name, "--offset", "6,0", "--value", "7", "--shape", "1,4", "--extend",
    ]);
    common::extent_ok(home.path(), &args);
    let mut args = store_args(s).to_vec();
    args.extend(["show", &name, "--json"]);
    let shown = common::expect_json(&args, &common::extent(home.path(), &args));
    assert_eq!(shown["shape"], serde_json::json!([7, 4]), "{shown}");
}

/// extent's per-host lock orders the growth of its own writers even though 4 server
/// processes serve their patches: 4 processes × 200 out-of-order patches converge.
#[test]
fn four_processes_extend_one_array_out_of_order_on_four_workers() {
    let server = prod_server();
    let home = tempfile::tempdir().unwrap();
    let o = soak::run(server, home.path(), 200, Hosts::One);
    soak::assert_converged(server, home.path(), &o, "tiled prod soak");
}

/// Writers on different machines (here: separate lock and journal dirs) growing one array at
/// once: Tiled does not lock an extend across its workers, so a writer that grows from an
/// older shape can undo another's growth. Measured, not assumed: whatever was lost, every
/// machine whose journal recorded a larger shape than the server ends with must get a
/// `shape_lost` finding from `check`, and no other machine may. 4 × 50 patches; 4 × 200 with
/// EXTENT_SOAK=1.
#[test]
fn writers_on_different_machines_and_what_check_says() {
    let server = prod_server();
    let home = tempfile::tempdir().unwrap();
    let per = if std::env::var("EXTENT_SOAK").is_ok_and(|v| v == "1") {
        200
    } else {
        50
    };
    let o = soak::run(server, home.path(), per, Hosts::Each);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = soak::backend(server, home.path());
    let now = rt.block_on(b.show(&o.name)).unwrap().shape;
    let mut flagged = 0;
    for w in 0..soak::WORKERS {
        let host = soak::worker_home(home.path(), Hosts::Each, w);
        let hb = soak::backend(server, &host);
        let recorded = rt
            .block_on(hb.history(&o.name))
            .unwrap()
            .iter()
            .filter_map(|e| e.new_shape.as_ref().map(|s| s[0]))
            .max()
            .unwrap_or(0);
        let found = rt.block_on(hb.check(&o.name)).unwrap();
        let lost = found.iter().any(|f| f.code == "shape_lost");
        assert_eq!(
            lost,
            recorded > now[0],
            "host {w} recorded {recorded} rows, the server has {now:?}: {found:?}"
        );
        flagged += usize::from(lost);
    }
    eprintln!(
        "tiled prod, {} machines x {} patches without a shared lock: server shape {now:?} of \
         {} rows, {} rows not as written, {flagged} machine(s) told shape_lost, {:.1} s",
        soak::WORKERS,
        o.patches / soak::WORKERS,
        o.total,
        o.rows_lost(),
        o.secs
    );
    rt.block_on(b.delete(&o.name)).unwrap();
}

/// Another client, elsewhere, replaces the array `name` with one of 8 × 8 zeros.
fn replace_elsewhere(server: &Server, name: &str) {
    server.python(&format!(
        "c.delete_contents({name:?}, external_only=False)\n\
         c.write_array(np.zeros((8, 8), dtype='int32'), key={name:?})"
    ));
}

/// A shape smaller than the one this machine grew the array to is reported, whoever made it
/// smaller (here another client replaced the array with a smaller one), and survives the
/// repair of the journal (which only records what the server has).
#[test]
fn check_reports_a_shape_lost_by_a_writer_elsewhere() {
    let server = prod_server();
    let home = tempfile::tempdir().unwrap();
    let name = common::tiled::unique("lost");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let b = soak::backend(server, home.path());
    let req = common::create_request(&name, &[4, 8], &[4, 8], extent::backend::DType::Int32);
    rt.block_on(b.create(&req)).unwrap();
    rt.block_on(b.patch(&name, &[10, 0], &soak::rows(10, 2), true))
        .unwrap();
    assert!(rt.block_on(b.check(&name)).unwrap().is_empty());
    // Another client, elsewhere, replaces it with an array of 8 rows.
    replace_elsewhere(server, &name);
    let found = rt.block_on(b.check(&name)).unwrap();
    let lost: Vec<_> = found.iter().filter(|f| f.code == "shape_lost").collect();
    assert_eq!(lost.len(), 1, "{found:?}");
    assert!(
        lost[0]
            .message
            .contains("grew it to [12, 8] but the server has [8, 8]"),
        "{}",
        lost[0].message
    );
    let repaired = rt.block_on(b.repair(&name)).unwrap();
    assert!(repaired
        .iter()
        .any(|f| f.code == "journal_behind" && f.repaired));
    let again = rt.block_on(b.check(&name)).unwrap();
    assert!(again.iter().any(|f| f.code == "shape_lost"), "{again:?}");
    rt.block_on(b.delete(&name)).unwrap();
}

/// A patch asked to extend that extent planned in bounds (the shape it last saw was large
/// enough) still lands when a writer elsewhere made the array smaller meanwhile: the server
/// refuses the in-bounds write (409, nothing written) and extent plans it again as a growth.
#[test]
fn an_extending_patch_lands_when_the_array_shrank_elsewhere() {
    let server = prod_server();
    let home = tempfile::tempdir().unwrap();
    let name = common::tiled::unique("shrunk");
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The structure extent saw stays its plan however long the other client takes.
    let opts = extent::backend::tiled::TiledOptions {
        structure_ttl: std::time::Duration::from_secs(3600),
        ..soak::options(home.path())
    };
    let key = Some(server.api_key.clone().into());
    let b = extent::backend::tiled::TiledBackend::with_options(&server.url, key, opts).unwrap();
    let req = common::create_request(&name, &[4, 8], &[4, 8], extent::backend::DType::Int32);
    rt.block_on(b.create(&req)).unwrap();
    rt.block_on(b.patch(&name, &[12, 0], &soak::rows(12, 4), true))
        .unwrap();
    replace_elsewhere(server, &name);
    // 8..12 fits the 16 rows extent last saw, not the 8 the server has now.
    let info = rt
        .block_on(b.patch(&name, &[8, 0], &soak::rows(8, 4), true))
        .unwrap();
    assert_eq!(info.shape, vec![12, 8]);
    let back = rt.block_on(b.read(&name, None)).unwrap();
    assert_eq!(back.shape, vec![12, 8]);
    let row = (soak::COLS * 4) as usize;
    assert_eq!(&back.bytes[8 * row..], &soak::rows(8, 4).bytes[..]);
    assert!(back.bytes[..8 * row].iter().all(|&x| x == 0));
    // Without extend the same write is refused, naming the bounds, and writes nothing.
    let e = rt
        .block_on(b.patch(&name, &[14, 0], &soak::rows(14, 1), false))
        .unwrap_err();
    assert_eq!(e.kind, extent::backend::ErrorKind::OutOfBounds, "{e}");
    rt.block_on(b.delete(&name)).unwrap();
}

/// A live watch (its websocket on one worker) sees, in order, every growth that extent
/// processes made through the other workers: the workers share the stream through Redis.
#[test]
fn watch_sees_writes_served_by_other_workers() {
    let s = prod_server();
    let home = tempfile::tempdir().unwrap();
    let name = common::tiled::unique("prodwatch");
    s.make_groups(&name);
    let store = format!("{}/{name}", s.url);
    let args = ["--store", store.as_str(), "--api-key", s.api_key.as_str()];
    let run = |a: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(a);
        common::extent_ok(home.path(), &all);
    };
    run(&[
        "create", "a", "--shape", "2,4", "--chunks", "1,4", "--dtype", "uint8",
    ]);
    let mut watch = spawn_watch(home.path(), &args, "a");
    assert_eq!(watch.ready["state"], "live", "{}", watch.ready);
    let (expected, rows) = patch_rows(run, &[6, 3, 4, 9, 7, 12, 10, 15], 2);
    let events = read_until(&mut watch, rows);
    assert_eq!(shape_changes(&events), expected, "events: {events:#?}");
}

/// A rolling restart (SIGHUP: uvicorn replaces its workers one by one, PostgreSQL and Redis
/// stay up) while a watch runs: the watch loses its worker, reconnects to a new one, replays
/// from Redis and reports every growth once, in order. Then stopping the server leaves no
/// process behind.
#[test]
fn watch_survives_a_rolling_restart_then_stop_leaves_nothing() {
    let s = common::tiled::start_prod();
    let data = s.data_dir.clone().unwrap();
    let home = tempfile::tempdir().unwrap();
    let args = store_args(&s);
    let run = |a: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(a);
        common::extent_ok(home.path(), &all);
    };
    run(&[
        "create", "a", "--shape", "2,4", "--chunks", "1,4", "--dtype", "uint8",
    ]);
    let mut watch = spawn_watch(home.path(), &args, "a");
    assert_eq!(watch.ready["state"], "live", "{}", watch.ready);
    let (mut expected, rows) = patch_rows(run, &[6, 3, 4], 2);
    let started = |log: &str| log.matches("Application startup complete").count();
    let log = data.join("server.log");
    let before = started(&std::fs::read_to_string(&log).unwrap());
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &s.pid.unwrap().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while started(&std::fs::read_to_string(&log).unwrap()) < before + PROD_WORKERS {
        assert!(
            std::time::Instant::now() < deadline,
            "the workers did not restart within 90 s: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (more, rows) = patch_rows(run, &[9, 7, 12], rows);
    expected.extend(more);
    let events = read_until(&mut watch, rows);
    assert_eq!(shape_changes(&events), expected, "events: {events:#?}");
    stop_leaves_no_process(&s);
}

/// `start-tiled.sh --stop PID DATA` ends the workers (old and new), PostgreSQL and Redis.
fn stop_leaves_no_process(s: &Server) {
    let (group, pg, redis) = services(s);
    let data = s.data_dir.clone().unwrap();
    let out = std::process::Command::new("bash")
        .arg(common::repo().join("scripts/start-tiled.sh"))
        .args(["--stop", &s.pid.unwrap().to_string()])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<u32> = group
        .iter()
        .chain([&pg, &redis])
        .copied()
        .filter(|&p| alive(p))
        .collect();
    assert!(left.is_empty(), "still running after --stop: {left:?}");
    std::fs::remove_dir_all(&data).unwrap();
}
