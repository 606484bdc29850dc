#!/usr/bin/env python3
"""zarr-python 3 peer of `extent bench`: the same extend+patch sequence on a local store.

Creates an array whose chunk is one patch, writes frame 0 at creation, then for every later
frame i: resize axis 0 to (i+1)*rows, write frame i at offset i*rows. Same data as extent's
`bench::frame` (bit for bit), same codecs (bytes little-endian + zstd level 1, or none).
Data generation is outside the timed region. Prints one JSON object.

usage: zarr_peer.py STORE_DIR --shape 1,1024,1024 --count 100 [--codec zstd1|none] [--dtype uint16]
"""
import argparse
import json
import shutil
import sys
import time

import numpy as np
import zarr
from zarr.codecs import BytesCodec, ZstdCodec


def frame(shape, dtype, i):
    """Bit-identical to extent's bench::frame (uint/int dtypes)."""
    n = int(np.prod(shape))
    k = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        v = (np.uint64((i * 2654435761) % (1 << 64)) ^ k) * np.uint64(0x9E3779B97F4A7C15)
    v = v >> np.uint64(17)
    dt = np.dtype(dtype)
    return v.astype(dt.newbyteorder("<"), casting="unsafe").reshape(shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--shape", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--codec", default="zstd1", choices=["zstd1", "none"])
    ap.add_argument("--dtype", default="uint16")
    ap.add_argument("--verify", action="store_true")
    a = ap.parse_args()
    shape = tuple(int(s) for s in a.shape.split(","))
    rows = shape[0]
    codecs = [BytesCodec(endian="little")]
    if a.codec == "zstd1":
        codecs.append(ZstdCodec(level=1, checksum=False))
    shutil.rmtree(a.store, ignore_errors=True)
    store = zarr.storage.LocalStore(a.store)
    arr = zarr.create_array(
        store,
        name="peer",
        shape=shape,
        chunks=shape,
        dtype=a.dtype,
        fill_value=0,
        serializer=codecs[0],
        compressors=codecs[1:],
        filters=[],
        chunk_key_encoding={"name": "default", "separator": "/"},
    )
    arr[...] = frame(shape, a.dtype, 0)
    lat = []
    t0 = time.perf_counter()
    gen = 0.0
    for i in range(1, a.count):
        g = time.perf_counter()
        data = frame(shape, a.dtype, i)
        gen += time.perf_counter() - g
        t = time.perf_counter()
        arr.resize((rows * (i + 1),) + shape[1:])
        arr[rows * i : rows * (i + 1)] = data
        lat.append(time.perf_counter() - t)
    wall = time.perf_counter() - t0 - gen
    verified = None
    if a.verify:
        full = zarr.open_array(store, path="peer", mode="r")[...]
        verified = all(
            np.array_equal(full[rows * i : rows * (i + 1)], frame(shape, a.dtype, i))
            for i in range(a.count)
        )
    lat.sort()
    nbytes = (a.count - 1) * int(np.prod(shape)) * np.dtype(a.dtype).itemsize
    pct = lambda p: lat[round((len(lat) - 1) * p)] * 1e3 if lat else 0.0
    print(json.dumps({
        "peer": "zarr-python", "version": zarr.__version__, "codec": a.codec,
        "shape": list(shape), "dtype": a.dtype, "patches": len(lat), "bytes": nbytes,
        "seconds": wall, "mb_per_s": nbytes / wall / 1e6, "patches_per_s": len(lat) / wall,
        "p50_ms": pct(0.5), "p95_ms": pct(0.95), "verified": verified,
    }))
    shutil.rmtree(a.store, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
