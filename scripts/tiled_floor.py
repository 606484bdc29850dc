#!/usr/bin/env python3
"""What bounds any client of a Tiled server: the server's own time per patch.

Sends the extend-patch sequence of `extent bench` / `tiled_peer.py` (same frames) with the
least client work possible (raw HTTP/1.1 over kept-alive connections, bytes made before the
clock), and reads the server process's CPU time (/proc/PID/stat) around each phase:

  extend_seq     frames 1..N-1 at offset i, extend=true, one after another
  inbounds_seq   the same frames rewritten in place (extend=false), one after another
  inbounds_4     the same, 4 connections in flight (disjoint chunks)
  extend_shuffled  frames 1..N-1 into a new array in `extent bench`'s "write shuffled" order
                 (tiled_peer.py --order shuffled), extend=true, one after another

The arrays are made inside the container --prefix (default `extent-bench`), at the depth of
`extent bench`'s arrays (see tiled_peer.py: each level of the path costs the server a catalog
query on every request); `--prefix ""` writes at the root.

If the server's CPU seconds per patch are about its wall seconds per patch, the server is
saturated and no client can be faster than this floor. Prints one JSON object.

For a server of several processes (start-tiled.sh's prod profile) give --server-pid once per
service (the workers' manager, PostgreSQL's postmaster, redis-server): each is counted with
all its descendants, so "server CPU" is the whole back end's.

usage: tiled_floor.py URL --server-pid PID [--server-pid PID ...] [--shape 1,2048,2048]
                      [--count 40] [--inbounds-threads 4] [--prefix extent-bench]
(API key: TILED_API_KEY; needs the pinned venv's tiled and numpy for set-up only)
"""
import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

from tiled.client import from_uri

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiled_peer import container, shuffled  # noqa: E402
from zarr_peer import frame  # noqa: E402
from proc_cpu import descendants, stat  # noqa: E402


def server_cpu(pids):
    total = 0
    for pid in descendants(pids):
        fields = stat(pid)
        # utime and stime are fields 14 and 15 of the whole line (11, 12 after the name).
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Conn:
    def __init__(self, url, key):
        u = urllib.parse.urlparse(url)
        self.c = http.client.HTTPConnection(u.hostname, u.port)
        self.base = u.path.rstrip("/")
        self.headers = {"Content-Type": "application/octet-stream"}
        if key:
            self.headers["Authorization"] = f"Apikey {key}"

    def patch(self, path, offset, shape, body, extend):
        q = urllib.parse.urlencode({
            "offset": ",".join(map(str, offset)),
            "shape": ",".join(map(str, shape)),
            "extend": "true" if extend else "false",
        })
        self.c.request("PATCH", f"{self.base}/api/v1/array/full/{path}?{q}", body, self.headers)
        r = self.c.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"PATCH {path} {offset}: HTTP {r.status}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--server-pid", type=int, action="append", required=True)
    ap.add_argument("--shape", default="1,2048,2048")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--inbounds-threads", type=int, default=4)
    ap.add_argument("--prefix", default="extent-bench")
    a = ap.parse_args()
    shape = tuple(int(s) for s in a.shape.split(","))
    key = os.environ.get("TILED_API_KEY")
    frames = [frame(shape, "uint16", i) for i in range(a.count)]
    bodies = [f.tobytes() for f in frames]
    name = f"tiled-floor-{uuid.uuid4().hex[:8]}"
    client = from_uri(a.url, api_key=key)
    parent = container(client, a.prefix)
    at_prefix = "/".join(filter(None, a.prefix.split("/") + [name]))
    arr = parent.write_array(frames[0], key=name)
    rows = shape[0]
    at = lambda i: (rows * i,) + (0,) * (len(shape) - 1)  # noqa: E731

    def phase(label, items, threads, extend, target=at_prefix):
        conns = [Conn(a.url, key) for _ in range(threads)]
        c0, t0 = server_cpu(a.server_pid), time.perf_counter()
        if threads == 1:
            for i in items:
                conns[0].patch(target, at(i), shape, bodies[i], extend)
        else:
            # Thread k sends items k, k+threads, ... on its own connection.
            with ThreadPoolExecutor(threads) as ex:
                list(ex.map(lambda k: [conns[k].patch(target, at(i), shape, bodies[i], extend)
                                       for i in items[k::threads]], range(threads)))
        wall, cpu = time.perf_counter() - t0, server_cpu(a.server_pid) - c0
        n = len(items)
        return {"phase": label, "patches": n, "seconds": wall, "ms_per_patch": wall / n * 1e3,
                "server_cpu_seconds": cpu, "server_cpu_ms_per_patch": cpu / n * 1e3,
                "server_busy": cpu / wall}

    out = [phase("extend_seq", list(range(1, a.count)), 1, True),
           phase("inbounds_seq", list(range(a.count)), 1, False),
           phase(f"inbounds_{a.inbounds_threads}", list(range(a.count)), a.inbounds_threads, False)]
    arr.refresh()
    ok = tuple(arr.shape) == (rows * a.count,) + shape[1:]
    arr.delete(external_only=False)
    # A new array, so that the shuffled frames grow it as extent's and the client's runs do.
    arr2 = parent.write_array(frames[0], key=name + "-shuffled")
    out.append(phase("extend_shuffled", shuffled(a.count), 1, True, target=at_prefix + "-shuffled"))
    arr2.refresh()
    ok = ok and tuple(arr2.shape) == (rows * a.count,) + shape[1:]
    arr2.delete(external_only=False)
    print(json.dumps({"shape": list(shape), "count": a.count, "prefix": a.prefix, "phases": out,
                      "inbounds_speedup_4": out[1]["seconds"] / out[2]["seconds"],
                      "final_shape_ok": ok}))


if __name__ == "__main__":
    sys.exit(main())
