#!/usr/bin/env python3
"""Tiled's own Python client as the peer of `extent bench --store URL`: the same extend-patch
sequence (frame 0 at creation, then frame i at offset i*rows with extend=True), the same bytes
(scripts/zarr_peer.py:frame), sequential or K threads in flight. Frames are made before the
clock starts. Prints one JSON object; `final_shape_ok` tells whether the server ended with the
right shape (concurrent extends are not safe on Tiled 0.2.20, see shared tiled notes).

usage: tiled_peer.py URL --shape 1,2048,2048 --count 100 [--threads 4]   (API key: TILED_API_KEY)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--shape", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", default="uint16")
    a = ap.parse_args()
    shape = tuple(int(s) for s in a.shape.split(","))
    rows = shape[0]
    client = from_uri(a.url, api_key=os.environ.get("TILED_API_KEY"))
    frames = [frame(shape, a.dtype, i) for i in range(a.count)]
    key = f"tiled-peer-{uuid.uuid4().hex[:8]}"
    arr = client.write_array(frames[0], key=key)

    def one(i):
        t = time.perf_counter()
        arr.patch(frames[i], offset=(rows * i,) + (0,) * (len(shape) - 1), extend=True)
        return time.perf_counter() - t

    t0 = time.perf_counter()
    if a.threads <= 1:
        lat = [one(i) for i in range(1, a.count)]
    else:
        with ThreadPoolExecutor(a.threads) as ex:
            lat = list(ex.map(one, range(1, a.count)))
    wall = time.perf_counter() - t0
    arr.refresh()
    final_ok = tuple(arr.shape) == (rows * a.count,) + shape[1:]
    arr.delete(external_only=False)
    lat.sort()
    nbytes = (a.count - 1) * int(np.prod(shape)) * np.dtype(a.dtype).itemsize
    pct = lambda p: lat[round((len(lat) - 1) * p)] * 1e3 if lat else 0.0
    print(json.dumps({
        "peer": "tiled-python-client", "threads": a.threads, "shape": list(shape),
        "patches": len(lat), "bytes": nbytes, "seconds": wall,
        "mb_per_s": nbytes / wall / 1e6, "patches_per_s": len(lat) / wall,
        "p50_ms": pct(0.5), "p95_ms": pct(0.95), "final_shape_ok": final_ok,
    }))


if __name__ == "__main__":
    sys.exit(main())
