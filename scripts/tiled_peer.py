#!/usr/bin/env python3
"""Tiled's own Python client as the peer of `extent bench --store URL`: the same extend-patch
sequence (frame 0 at creation, then frame i at offset i*rows with extend=True), the same bytes
(scripts/zarr_peer.py:frame), sequential or K threads in flight. Frames are made before the
clock starts. Prints one JSON object; `final_shape_ok` tells whether the server ended with the
right shape (concurrent extends are not safe on Tiled 0.2.20, see shared tiled notes).

With --order shuffled the frames 1..N-1 go in the order of `extent bench`'s "write shuffled"
phase (the same deterministic shuffle within windows of 16).

The array is made inside the container --prefix (default `extent-bench`, made if missing), at
the depth of `extent bench`'s arrays: Tiled looks a path up one segment at a time, so each
level costs the server a catalog query on every request (about 12 ms of its CPU per 2 MiB
patch on the bench machine). `--prefix ""` writes at the root.

usage: tiled_peer.py URL --shape 1,2048,2048 --count 100 [--threads 4] [--order shuffled]
                     [--prefix extent-bench]
(API key: TILED_API_KEY)
"""
import argparse
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from tiled.client import from_uri

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zarr_peer import frame  # noqa: E402


def shuffled(count):
    """src/bench.rs `shuffled`: an LCG Fisher-Yates within windows of 16, same seed."""
    v = list(range(1, count))
    s = 0x853C49E6748FEA9B
    mask = (1 << 64) - 1
    for w0 in range(0, len(v), 16):
        w = v[w0:w0 + 16]
        for i in range(len(w) - 1, 0, -1):
            s = (s * 6364136223846793005 + 1442695040888963407) & mask
            j = (s >> 33) % (i + 1)
            w[i], w[j] = w[j], w[i]
        v[w0:w0 + 16] = w
    return v


def container(client, prefix):
    """The container at `prefix` (slash-separated), made where missing; the root for ""."""
    node = client
    for seg in filter(None, prefix.split("/")):
        node = node[seg] if seg in node else node.create_container(seg)
    return node


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--shape", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", default="uint16")
    ap.add_argument("--order", choices=["in-order", "shuffled"], default="in-order")
    ap.add_argument("--prefix", default="extent-bench")
    a = ap.parse_args()
    shape = tuple(int(s) for s in a.shape.split(","))
    rows = shape[0]
    client = from_uri(a.url, api_key=os.environ.get("TILED_API_KEY"))
    frames = [frame(shape, a.dtype, i) for i in range(a.count)]
    key = f"tiled-peer-{uuid.uuid4().hex[:8]}"
    arr = container(client, a.prefix).write_array(frames[0], key=key)

    def one(i):
        t = time.perf_counter()
        arr.patch(frames[i], offset=(rows * i,) + (0,) * (len(shape) - 1), extend=True)
        return time.perf_counter() - t

    order = shuffled(a.count) if a.order == "shuffled" else list(range(1, a.count))
    t0 = time.perf_counter()
    if a.threads <= 1:
        lat = [one(i) for i in order]
    else:
        with ThreadPoolExecutor(a.threads) as ex:
            lat = list(ex.map(one, order))
    wall = time.perf_counter() - t0
    arr.refresh()
    final_ok = tuple(arr.shape) == (rows * a.count,) + shape[1:]
    arr.delete(external_only=False)
    lat.sort()
    nbytes = (a.count - 1) * int(np.prod(shape)) * np.dtype(a.dtype).itemsize
    pct = lambda p: lat[round((len(lat) - 1) * p)] * 1e3 if lat else 0.0
    print(json.dumps({
        "peer": "tiled-python-client", "threads": a.threads, "order": a.order,
        "shape": list(shape),
        "patches": len(lat), "bytes": nbytes, "seconds": wall,
        "mb_per_s": nbytes / wall / 1e6, "patches_per_s": len(lat) / wall,
        "p50_ms": pct(0.5), "p95_ms": pct(0.95), "final_shape_ok": final_ok,
    }))


if __name__ == "__main__":
    sys.exit(main())
