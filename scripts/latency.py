#!/usr/bin/env python3
"""Writer -> screen latency and the TUI's CPU use, measured on the real binary in tmux.

    scripts/latency.py [--store URL] [--api-key KEY]     (default: a temp local store)

Opens the TUI on an array, has another process extend it (one `extent patch --extend` per
sample), and times how long until the new shape is on the screen (capture-pane polled every
5 ms). Then a writer does small extend patches as fast as it can for 10 s while the TUI's CPU
time is read from /proc. Prints JSON.

    scripts/latency.py --frames [--store URL] [--samples 20] [--size 2048]

Writer -> newest frame on screen instead: a 3-D uint16 array of SIZE x SIZE frames (one frame
per chunk, incompressible 12-bit noise read from .npy files), the TUI's Frame pane (4)
following the newest frame (F). Each sample is one `extent patch --extend` of the next frame;
the time runs from that process's exit (the write acknowledged) until the pane title reads
`frame I · I+1 frames`. Prints p50/p90/max and the writer's own time per frame.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--store")
ap.add_argument("--api-key")
ap.add_argument("--bin", default=os.environ.get("EXTENT_BIN", "target/release/extent"))
ap.add_argument("--samples", type=int, default=20)
ap.add_argument("--bench-count", type=int, default=3000)
ap.add_argument("--frames", action="store_true", help="writer -> newest frame in the Frame pane")
ap.add_argument("--size", type=int, default=2048, help="frame edge with --frames")
a = ap.parse_args()
tmp = tempfile.mkdtemp(prefix="extent-latency-")
store = a.store or os.path.join(tmp, "store")
env = dict(os.environ, XDG_STATE_HOME=tmp + "/state", XDG_CONFIG_HOME=tmp + "/config", XDG_DATA_HOME=tmp + "/data", XDG_CACHE_HOME=tmp + "/cache")
if a.api_key:
    env["TILED_API_KEY"] = a.api_key
name = "latency%d" % os.getpid()

def ext(*args):
    subprocess.run([a.bin, "--store", store, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def pct(v, q):
    v = sorted(v)
    return round(v[min(len(v) - 1, int(q * len(v)))], 1) if v else None


def noise_npy(path, n):
    """One n x n uint16 frame of 12-bit noise (a detector's worst case for compression)."""
    hdr = "{'descr': '<u2', 'fortran_order': False, 'shape': (1, %d, %d), }" % (n, n)
    hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
    d = bytearray(os.urandom(n * n * 2))
    d[1::2] = bytes(d[1::2]).translate(bytes(b & 0x0F for b in range(256)))
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode() + d)


def frames_mode():
    n = a.size
    npys = [os.path.join(tmp, "f%d.npy" % k) for k in range(2)]
    for f in npys:
        noise_npy(f, n)
    ext("create", name, "--shape", f"1,{n},{n}", "--chunks", f"1,{n},{n}", "--dtype", "uint16")
    ext("patch", name, "--offset", "0,0,0", "--from", npys[0])
    sess = "latframes%d" % os.getpid()
    subprocess.run(["tmux", "new-session", "-d", "-s", sess, "-x", "120", "-y", "36",
                    f"exec {a.bin} --store {store}"], env=env, check=True)
    screen = lambda: subprocess.run(["tmux", "capture-pane", "-t", sess, "-p"], capture_output=True, text=True).stdout
    try:
        time.sleep(2)
        subprocess.run(["tmux", "send-keys", "-t", sess, ":", "goto " + name, "Enter"], check=True)
        time.sleep(2)
        subprocess.run(["tmux", "send-keys", "-t", sess, "4", "F"], check=True)
        t = time.monotonic()
        while "frame 0 · 1 frame " not in screen() or "following" not in screen():
            if time.monotonic() - t > 10:
                raise SystemExit("the Frame pane did not follow the array:\n" + screen())
            time.sleep(0.05)
        lat, write = [], []
        for i in range(1, a.samples + 1):
            t0 = time.monotonic()
            ext("patch", name, "--offset", f"{i},0,0", "--from", npys[i % 2], "--extend")
            t1 = time.monotonic()
            write.append((t1 - t0) * 1000)
            want = f"frame {i} · {i + 1} frames"
            while time.monotonic() - t1 < 5:
                if want in screen():
                    lat.append((time.monotonic() - t1) * 1000)
                    break
                time.sleep(0.005)
            time.sleep(0.3)
        print(json.dumps({
            "store": "tiled" if store.startswith("http") else "local",
            "frame": [n, n], "dtype": "uint16",
            "latency_ms": {"samples": len(lat), "p50": round(statistics.median(lat), 1) if lat else None, "p90": pct(lat, 0.9),
                           "min": pct(lat, 0), "max": pct(lat, 1), "all": [round(x, 1) for x in lat]},
            "missed": a.samples - len(lat),
            "writer_ms_per_frame_p50": pct(write, 0.5),
            "load_average": os.getloadavg(),
        }, indent=1))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", sess])
        shutil.rmtree(tmp, ignore_errors=True)


if a.frames:
    frames_mode()
    sys.exit(0)

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
