#!/usr/bin/env python3
"""Summarises `perf script` output (stdin): share of CPU samples whose stack contains each of
a list of frames of interest (inclusive), plus the top self-time symbols.

usage: perf script -i perf.data | scripts/perf_summary.py [--top 25]
"""
import re
import sys
from collections import Counter

# (label, regex on a frame's symbol). A sample counts once per label.
FRAMES = [
    ("bench: frame generation (before the clock)", r"extent::bench::frame"),
    ("bench: verify/compare", r"bcmp|memcmp"),
    ("patch: copy into a recycled buffer", r"LocalBackend as extent::backend::Backend>::patch"),
    ("write_region", r"Inner::write_region"),
    ("  copy_box", r"extent::backend::data::copy_box"),
    ("  zarrs encode (codec chain)", r"CodecChain.*encode|codec_chain.*encode"),
    ("    zstd compress", r"ZSTD_compress"),
    ("  temp file write + rename", r"local::write_temp|Inner::publish_chunk"),
    ("  chunk image (fill + copy, or read-modify-write)", r"Inner::chunk_image"),
    ("zarr.json + journal", r"write_shape|Inner::journal|write_json_atomic"),
    ("read (retrieve_array_subset)", r"retrieve_array_subset"),
    ("  zstd decompress", r"ZSTD_decompress"),
    ("page faults (kernel)", r"exc_page_fault|asm_exc_page_fault"),
    ("ext4 inode allocation (kernel)", r"__ext4_new_inode|ext4_new_inode"),
    ("  skipping recently deleted inodes", r"recently_deleted"),
    ("write(2) into the page cache (kernel)", r"ext4_buffered_write_iter|generic_perform_write"),
    ("rename(2) (kernel)", r"__x64_sys_rename|do_renameat2"),
    ("delete (remove_dir_all)", r"remove_dir_all"),
]


def main():
    top = 25
    if "--top" in sys.argv:
        top = int(sys.argv[sys.argv.index("--top") + 1])
    pats = [(label, re.compile(rx)) for label, rx in FRAMES]
    total = 0
    incl = Counter()
    selfc = Counter()
    stack = []

    def flush():
        nonlocal total
        if not stack:
            return
        total += 1
        selfc[stack[0]] += 1
        seen = set()
        for sym in stack:
            for label, rx in pats:
                if label not in seen and rx.search(sym):
                    seen.add(label)
        for label in seen:
            incl[label] += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            stack = []
            continue
        if line[0] in " \t":
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                sym = re.sub(r"\+0x[0-9a-f]+$", "", parts[1].rsplit(" (", 1)[0])
                stack.append(sym)
    flush()
    if not total:
        print("no samples")
        return
    print(f"{total} samples")
    print("inclusive share of CPU samples:")
    for label, _ in FRAMES:
        print(f"  {100.0 * incl[label] / total:5.1f}%  {label}")
    print(f"top {top} self:")
    for sym, n in selfc.most_common(top):
        print(f"  {100.0 * n / total:5.1f}%  {sym[:110]}")


if __name__ == "__main__":
    main()
