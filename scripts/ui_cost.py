#!/usr/bin/env python3
"""What the TUI costs, measured on the release binary: CPU while a fast writer works on the
array it shows, RSS with a 100k-node catalog, and cold start to the first frame.

    scripts/ui_cost.py [cpu] [rss] [start] [frames]   (default: the first three; one JSON object)
        [--store URL --api-key KEY]          (cpu part against a Tiled server instead)
        [--rate 1000] [--seconds 10] [--repeats 3] [--nodes 100000]

cpu:   the TUI in tmux (120x36) shows a 2-D array; examples/patch_writer (extent's own
       backend, another process) writes 1-row patches into it at RATE/s, every 100th one an
       extend. The TUI's utime+stime from /proc/PID/stat over the writer's run, idle the same
       length before; the writer's achieved rate is reported with it. Local writes are
       EXTENT_DURABILITY=atomic (a durable extend patch waits ~12 ms for the disk here).
rss:   a store whose group `big` holds NODES arrays (zarr.json files written directly); the
       TUI expands it and pages to the end (End until no "more" row is left); VmRSS/VmHWM.
frames: the TUI (120x36) on a 3-D uint16 array of FRAME_SIZE^2 frames, Frame pane (4)
       following the newest frame (F); a writer in the Tiled venv's Python (zarr-python 3)
       appends one 12-bit noise frame at a time for FRAME_SECONDS: the chunk file (encoded
       once, so the writer keeps FRAME_RATE on a busy machine), then the resize. TUI CPU over the run (and idle, following, before it); VmRSS sampled
       every second against the frames written (with the TUI's CPU seconds so far), so growth
       with frames shows.
       --tui-args '--graphics kitty': the TUI started with these arguments too (it encodes
       the image either way; tmux shows it only with `allow-passthrough on`).
       --trace-reads: the same run with strace attached to the TUI (openat) and its log at
       debug: every chunk file it opens, by frame, and every frame/preview read it asks for.
       strace slows the TUI: the CPU figure of such a run is not the TUI's cost.
start: spawn on a pty (120x36) -> first frame drawn (the first screen write after the
       alternate screen is entered) and -> the catalog's first page on screen; medians.
"""
import argparse, collections, json, os, pty, re, select, shlex, shutil, statistics, struct, subprocess, sys, tempfile, time, fcntl, termios

ap = argparse.ArgumentParser()
ap.add_argument("parts", nargs="*", default=["cpu", "rss", "start"])
ap.add_argument("--store")
ap.add_argument("--api-key")
ap.add_argument("--bin", default=os.environ.get("EXTENT_BIN", "target/release/extent"))
ap.add_argument("--writer", default=os.environ.get("EXTENT_WRITER", "target/release/examples/patch_writer"))
ap.add_argument("--rate", type=float, default=1000)
ap.add_argument("--seconds", type=float, default=10)
ap.add_argument("--in-flight", type=int, default=4)
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--nodes", type=int, default=100_000)
ap.add_argument("--frame-size", type=int, default=2048)
ap.add_argument("--frame-rate", type=float, default=10)
ap.add_argument("--frame-seconds", type=float, default=30)
ap.add_argument("--trace-reads", action="store_true")
ap.add_argument("--tui-args", default="", help="more arguments for the TUI, e.g. '--graphics kitty'")
a = ap.parse_args()
a.bin, a.writer = os.path.abspath(a.bin), os.path.abspath(a.writer)
tmp = tempfile.mkdtemp(prefix="extent-uicost-")
env = dict(os.environ, XDG_STATE_HOME=tmp + "/state", XDG_CONFIG_HOME=tmp + "/config",
           XDG_DATA_HOME=tmp + "/data", XDG_CACHE_HOME=tmp + "/cache")
if a.api_key:
    env["TILED_API_KEY"] = a.api_key
CLK = os.sysconf("SC_CLK_TCK")
out = {"machine": {"load_average": os.getloadavg(), "nproc": os.cpu_count()}}


def ext(store, *args):
    subprocess.run([a.bin, "--store", store, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / CLK


def status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024  # MiB
    return None


class Tui:
    """The release binary in a detached tmux session."""
    def __init__(self, store, extra_env=None):
        self.sess = "uicost%d" % os.getpid()
        # The variables go on the command line: a tmux server already running would otherwise
        # give the pane its own environment.
        tenv = {k: v for k, v in env.items() if k.startswith("XDG_") or k == "TILED_API_KEY"}
        tenv.update(extra_env or {})
        assign = " ".join(f"{k}={shlex.quote(v)}" for k, v in tenv.items())
        subprocess.run(["tmux", "new-session", "-d", "-s", self.sess, "-x", "120", "-y", "36",
                        f"exec env {assign} {shlex.quote(a.bin)} --store {shlex.quote(store)} "
                        + " ".join(shlex.quote(x) for x in shlex.split(a.tui_args))],
                       env=env, check=True)
        self.pid = int(subprocess.run(["tmux", "display", "-p", "-t", self.sess, "#{pane_pid}"],
                                      capture_output=True, text=True).stdout)
        # The pane's shell execs extent: wait for it, so /proc is extent's.
        t = time.monotonic()
        while not open(f"/proc/{self.pid}/comm").read().startswith("extent"):
            if time.monotonic() - t > 5:
                self.close()
                raise SystemExit("the tmux pane did not start extent")
            time.sleep(0.01)

    def keys(self, *k):
        subprocess.run(["tmux", "send-keys", "-t", self.sess, *k], check=True)

    def screen(self):
        return subprocess.run(["tmux", "capture-pane", "-t", self.sess, "-p"], capture_output=True, text=True).stdout

    def wait_for(self, text, timeout=30):
        t = time.monotonic()
        while time.monotonic() - t < timeout:
            if text in self.screen():
                return True
            time.sleep(0.05)
        return False

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.sess], stderr=subprocess.DEVNULL)


def part_cpu():
    remote = bool(a.store)
    store = a.store or os.path.join(tmp, "cpu-store")
    name = "uicost/live%d" % os.getpid()
    ext(store, "create", name, "--shape", "256,64", "--chunks", "16,64", "--dtype", "uint16")
    wenv = dict(env, EXTENT_DURABILITY="atomic")
    runs = []
    tui = Tui(store)
    try:
        time.sleep(1.5)
        tui.keys(":", "goto " + name, "Enter")
        if not tui.wait_for("[256, 64]"):
            raise SystemExit("the TUI did not show the array:\n" + tui.screen())
        for _ in range(a.repeats):
            c0, w0 = cpu_s(tui.pid), time.monotonic()
            time.sleep(a.seconds)
            idle = 100 * (cpu_s(tui.pid) - c0) / (time.monotonic() - w0)
            c0, w0 = cpu_s(tui.pid), time.monotonic()
            r = subprocess.run([a.writer, store, name, str(a.rate), str(a.seconds), str(a.in_flight)],
                               env=wenv, capture_output=True, text=True)
            busy = 100 * (cpu_s(tui.pid) - c0) / (time.monotonic() - w0)
            if r.returncode != 0:
                raise SystemExit("writer failed: " + r.stderr)
            w = json.loads(r.stdout)
            time.sleep(1.0)  # the last shape must reach the screen
            info = json.loads(subprocess.run([a.bin, "--store", store, "show", name, "--json"], env=env,
                                             capture_output=True, text=True, check=True).stdout)
            shape = "[%d, %d]" % tuple(info["shape"])
            runs.append({"writer_patches_per_s": w["rate"], "writer_patches": w["patches"],
                         "tui_cpu_percent_idle": round(idle, 1), "tui_cpu_percent_busy": round(busy, 1),
                         "final_shape_on_screen": tui.wait_for(shape, 5), "stderr": r.stderr.strip()[:200]})
        rss = status(tui.pid, "VmHWM")
    finally:
        tui.close()
    med = lambda k: statistics.median(r[k] for r in runs)
    return {"store": "tiled" if remote else "local (atomic writer)", "target_rate": a.rate,
            "writer_patches_per_s_median": med("writer_patches_per_s"),
            "tui_cpu_percent_of_one_core_median": med("tui_cpu_percent_busy"),
            "tui_cpu_percent_idle_median": med("tui_cpu_percent_idle"),
            "tui_vmhwm_mib": rss, "runs": runs}


def make_big_store(store, n):
    os.makedirs(store, exist_ok=True)
    ext(store, "create", "big/template", "--shape", "10,64", "--chunks", "10,64", "--dtype", "uint16")
    meta = open(os.path.join(store, "big/template/zarr.json")).read()
    shutil.rmtree(os.path.join(store, "big/template"))
    big = os.path.join(store, "big")
    for i in range(n):
        d = os.path.join(big, "a%06d" % i)
        os.mkdir(d)
        with open(os.path.join(d, "zarr.json"), "w") as f:
            f.write(meta)


def part_rss():
    store = os.path.join(tmp, "rss-store")
    t = time.monotonic()
    make_big_store(store, a.nodes)
    made = time.monotonic() - t
    tui = Tui(store)
    res = {"nodes": a.nodes, "store_made_s": round(made, 1)}
    try:
        if not tui.wait_for("big"):
            raise SystemExit("no catalog:\n" + tui.screen())
        time.sleep(0.5)
        res["rss_mib_at_start"] = status(tui.pid, "VmRSS")
        t = time.monotonic()
        tui.keys(":", "goto big/a000000", "Enter")
        if not tui.wait_for("a000000"):
            raise SystemExit("big did not expand:\n" + tui.screen())
        res["first_page_s"] = round(time.monotonic() - t, 2)
        res["rss_mib_first_page"] = status(tui.pid, "VmRSS")
        last = "a%06d" % (a.nodes - 1)
        t = time.monotonic()
        c0 = cpu_s(tui.pid)
        while time.monotonic() - t < 900:
            tui.keys("End")
            time.sleep(0.05)
            s = tui.screen()
            if last in s:
                break
        res["all_loaded"] = last in tui.screen()
        res["page_to_end_s"] = round(time.monotonic() - t, 1)
        res["tui_cpu_s_paging"] = round(cpu_s(tui.pid) - c0, 2)
        time.sleep(0.5)
        res["rss_mib_all_loaded"] = status(tui.pid, "VmRSS")
        res["vmhwm_mib"] = status(tui.pid, "VmHWM")
    finally:
        tui.close()
        shutil.rmtree(store, ignore_errors=True)
    return res


def one_start(store, marker):
    """Spawn on a pty; seconds to the first frame and to `marker` on screen."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    t0 = time.monotonic()
    p = subprocess.Popen([a.bin, "--store", store], stdin=slave, stdout=slave, stderr=slave,
                         env=dict(env, TERM="xterm-256color"), start_new_session=True)
    os.close(slave)
    buf, first, found = b"", None, None
    while time.monotonic() - t0 < 10 and found is None:
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        buf += chunk
        alt = buf.find(b"\x1b[?1049h")
        if first is None and alt >= 0 and len(buf) - alt > 400:
            first = time.monotonic() - t0
        if marker in buf:
            found = time.monotonic() - t0
    p.terminate()
    try:
        p.wait(3)
    except subprocess.TimeoutExpired:
        p.kill()
    os.close(master)
    return first, found


def part_start():
    store = os.path.join(tmp, "start-store")
    ext(store, "create", "detector/frames", "--shape", "10,64", "--chunks", "10,64", "--dtype", "uint16")
    firsts, pages, versions = [], [], []
    for _ in range(max(5, a.repeats * 3)):
        t = time.monotonic()
        subprocess.run([a.bin, "--version"], stdout=subprocess.DEVNULL, check=True)
        versions.append(time.monotonic() - t)
        f, m = one_start(store, b"detector")
        if f is not None:
            firsts.append(f)
        if m is not None:
            pages.append(m)
    ms = lambda v: round(1000 * statistics.median(v), 1) if v else None
    return {"runs": len(versions), "first_frame_ms_median": ms(firsts), "first_frame_ms_all": [round(1000 * x, 1) for x in firsts],
            "catalog_page_ms_median": ms(pages), "extent_version_process_ms_median": ms(versions)}


# Appends noise frames to a local array at a steady rate; one JSON line per second of progress.
FRAME_WRITER = r"""
import json, os, sys, time
import numpy as np, zarr
path, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
z = zarr.open_array(path, mode="r+")
n = z.shape[1]
# Two noise frames encoded once by zarr-python; each new frame is one of them written as the
# chunk file, then the array resized: the rate stays the target however busy the machine.
rng = np.random.default_rng(0)
z.resize((2, n, n))
z[0] = rng.integers(0, 4096, (n, n), dtype=np.uint16)
z[1] = rng.integers(0, 4096, (n, n), dtype=np.uint16)
enc = [open(os.path.join(path, "c", str(j), "0", "0"), "rb").read() for j in range(2)]
i, k, t0, last = 2, 0, time.monotonic(), 0.0
while time.monotonic() - t0 < seconds:
    d = os.path.join(path, "c", str(i), "0")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "0.tmp"), "wb") as f:
        f.write(enc[i % 2])
    os.replace(os.path.join(d, "0.tmp"), os.path.join(d, "0"))
    z.resize((i + 1, n, n))
    i, k = i + 1, k + 1
    now = time.monotonic()
    if now - last >= 1:
        print(json.dumps({"t": now, "frames": k}), flush=True)
        last = now
    time.sleep(max(0.0, t0 + k / rate - time.monotonic()))
print(json.dumps({"t": time.monotonic(), "frames": k, "done": True, "length": i,
                  "rate": k / (time.monotonic() - t0), "chunk_bytes": len(enc[0])}), flush=True)
"""


def trace_summary(trace_file, log_file, first_frame):
    """What the TUI read while frames arrived: chunk files opened (strace), reads asked for (log)."""
    opens = collections.Counter()
    meta = 0
    chunk = re.compile(r'openat\([^"]*"[^"]*/c/(\d+)/0/0", (O_[A-Z_|]+)')
    for line in open(trace_file, errors="replace"):
        m = chunk.search(line)
        if m and "O_DIRECTORY" not in m.group(2):
            opens[int(m.group(1))] += 1
        elif '/zarr.json"' in line:
            meta += 1
    asked = collections.Counter()
    if os.path.exists(log_file):
        for line in open(log_file, errors="replace"):
            m = re.search(r'(frame|preview) read path=\S+ start=\[(\d+)', line)
            if m:
                asked[(m.group(1), int(m.group(2)))] += 1
    per_frame = collections.Counter(opens.values())
    return {"chunk_file_opens": sum(opens.values()), "frames_opened": len(opens),
            "opens_per_frame": {str(k): v for k, v in sorted(per_frame.items())},
            "frames_opened_twice_or_more": sorted(f for f, n in opens.items() if n > 1)[:40],
            "frames_before_the_run_opened": sorted(f for f in opens if f < first_frame),
            "zarr_json_opens": meta,
            "frame_reads_asked": sum(n for (k, _), n in asked.items() if k == "frame"),
            "frames_asked_twice_or_more": sorted(f for (k, f), n in asked.items() if k == "frame" and n > 1)[:40],
            "preview_reads_asked": sum(n for (k, _), n in asked.items() if k == "preview")}


def part_frames():
    venv = subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "start-tiled.sh"), "--venv-only"],
                          capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    py = os.path.join(venv, "bin", "python")
    store = os.path.join(tmp, "frames-store")
    name, n = "det/frames", a.frame_size
    ext(store, "create", name, "--shape", f"1,{n},{n}", "--chunks", f"1,{n},{n}", "--dtype", "uint16")
    log_env = {"EXTENT_LOG": "info,extent::tui=debug"} if a.trace_reads else None
    tui = Tui(store, log_env)
    res = {"store": "local", "frame": [n, n], "dtype": "uint16", "target_rate": a.frame_rate}
    tracer, trace_file = None, os.path.join(tmp, "reads.strace")
    try:
        time.sleep(1.5)
        tui.keys(":", "goto " + name, "Enter")
        if not tui.wait_for("[1, 2048, 2048]".replace("2048", str(n))):
            raise SystemExit("the TUI did not show the array:\n" + tui.screen())
        tui.keys("4")
        if not tui.wait_for("frame 0 · 1 frame "):
            raise SystemExit("no Frame pane:\n" + tui.screen())
        tui.keys("F")
        if not tui.wait_for("following", 10):
            raise SystemExit("the Frame pane did not follow:\n" + tui.screen())
        time.sleep(1.0)
        res["rss_mib_at_start"] = status(tui.pid, "VmRSS")
        c0, w0 = cpu_s(tui.pid), time.monotonic()
        time.sleep(min(a.frame_seconds, 10))
        res["tui_cpu_percent_idle_following"] = round(100 * (cpu_s(tui.pid) - c0) / (time.monotonic() - w0), 1)
        if a.trace_reads:
            tracer = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=openat", "-o", trace_file,
                                       "-p", str(tui.pid)], stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        c0, w0 = cpu_s(tui.pid), time.monotonic()
        w = subprocess.Popen([py, "-c", FRAME_WRITER, os.path.join(store, name), str(a.frame_rate), str(a.frame_seconds)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        samples, last = [], None
        for line in w.stdout:
            last = json.loads(line)
            samples.append({"frames_written": last["frames"], "rss_mib": status(tui.pid, "VmRSS"),
                            "tui_cpu_s": round(cpu_s(tui.pid) - c0, 2), "t": round(time.monotonic() - w0, 2)})
        w.wait()
        w1 = time.monotonic()
        busy = 100 * (cpu_s(tui.pid) - c0) / (w1 - w0)
        if w.returncode != 0 or not last or not last.get("done"):
            raise SystemExit("frame writer failed: " + w.stderr.read())
        length = last["length"]
        res.update({"writer_frames": last["frames"], "writer_frames_per_s": round(last["rate"], 2),
                    "writer_mb_per_s": round(last["rate"] * n * n * 2 / 1e6, 1),
                    "chunk_bytes_on_disk": last["chunk_bytes"],
                    "seconds": round(w1 - w0, 1),
                    "tui_cpu_percent_of_one_core": round(busy, 1),
                    "newest_frame_on_screen": tui.wait_for(f"frame {length - 1} · {length} frames", 5)})
        time.sleep(1.0)
        res["rss_mib_after"] = status(tui.pid, "VmRSS")
        res["vmhwm_mib"] = status(tui.pid, "VmHWM")
        res["rss_samples"] = samples
        if tracer:
            tracer.terminate()
            tracer.wait(10)
            res["reads"] = trace_summary(trace_file, os.path.join(tmp, "state/extent/extent.log"), 2)
    finally:
        if tracer and tracer.poll() is None:
            tracer.kill()
        tui.close()
        shutil.rmtree(store, ignore_errors=True)
    return res


try:
    for part in a.parts:
        out[part] = {"cpu": part_cpu, "rss": part_rss, "start": part_start, "frames": part_frames}[part]()
        print(part, "done", file=sys.stderr)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
print(json.dumps(out, indent=1))
