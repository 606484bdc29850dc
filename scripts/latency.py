#!/usr/bin/env python3
"""Writer -> screen latency and the TUI's CPU use, measured on the real binary in tmux.

    scripts/latency.py [--store URL] [--api-key KEY]     (default: a temp local store)

Opens the TUI on an array, has another process extend it (one `extent patch --extend` per
sample), and times how long until the new shape is on the screen (capture-pane polled every
5 ms). Then a writer does small extend patches as fast as it can for 10 s while the TUI's CPU
time is read from /proc. Prints JSON.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--store")
ap.add_argument("--api-key")
ap.add_argument("--bin", default=os.environ.get("EXTENT_BIN", "target/release/extent"))
ap.add_argument("--samples", type=int, default=20)
ap.add_argument("--bench-count", type=int, default=3000)
a = ap.parse_args()
tmp = tempfile.mkdtemp(prefix="extent-latency-")
store = a.store or os.path.join(tmp, "store")
env = dict(os.environ, XDG_STATE_HOME=tmp + "/state", XDG_CONFIG_HOME=tmp + "/config", XDG_DATA_HOME=tmp + "/data", XDG_CACHE_HOME=tmp + "/cache")
if a.api_key:
    env["TILED_API_KEY"] = a.api_key
name = "latency%d" % os.getpid()

def ext(*args):
    subprocess.run([a.bin, "--store", store, *args], env=env, check=True, stdout=subprocess.DEVNULL)

ext("create", name, "--shape", "4,64", "--chunks", "4,64", "--dtype", "uint16")
sess = "latency%d" % os.getpid()
subprocess.run(["tmux", "new-session", "-d", "-s", sess, "-x", "120", "-y", "36", f"{a.bin} --store {store}"], env=env, check=True)
try:
    time.sleep(2)
    subprocess.run(["tmux", "send-keys", "-t", sess, ":", "goto " + name, "Enter"], check=True)
    time.sleep(2)
    pid = int(subprocess.run(["tmux", "display", "-p", "-t", sess, "#{pane_pid}"], capture_output=True, text=True).stdout)
    lat = []
    rows = 4
    for i in range(a.samples):
        rows += 4
        t0 = time.monotonic()
        ext("patch", name, "--offset", f"{rows - 4},0", "--value", "1", "--shape", "4,64", "--extend")
        t1 = time.monotonic()
        want = f"[{rows}, 64]"
        while time.monotonic() - t1 < 5:
            if want in subprocess.run(["tmux", "capture-pane", "-t", sess, "-p"], capture_output=True, text=True).stdout:
                lat.append((time.monotonic() - t1) * 1000)
                break
            time.sleep(0.005)
        time.sleep(0.2)

    def cpu():
        f = open(f"/proc/{pid}/stat").read().split(")")[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    # A fast writer of small patches, in-process (extent bench), while the TUI watches.
    c0, w0 = cpu(), time.monotonic()
    bench = subprocess.run([a.bin, "--store", store, "bench", "--shape-per-patch", "1,64", "--count", str(a.bench_count), "--json"], env=env, capture_output=True, text=True)
    c1, w1 = cpu(), time.monotonic()
    rate = None
    if bench.returncode == 0:
        rep = json.loads(bench.stdout)
        rate = max(p["patches_per_s"] for p in rep["phases"] if p["phase"].startswith("write"))
    print(json.dumps({
        "store": "tiled" if store.startswith("http") else "local",
        "latency_ms": {"samples": len(lat), "p50": statistics.median(lat) if lat else None, "max": max(lat) if lat else None},
        "missed": a.samples - len(lat),
        "writer_patches_per_s": rate,
        "tui_cpu_percent_of_one_core": round(100 * (c1 - c0) / (w1 - w0), 1),
        "seconds": round(w1 - w0, 1),
    }, indent=1))
finally:
    subprocess.run(["tmux", "kill-session", "-t", sess])
