#!/usr/bin/env python3
"""Turns the raw results of scripts/compare.sh into docs/bench-results.json (medians, ratios,
machine) and an SVG plot (throughput and patch rate vs patch size), and prints the ratio table.
Standard library only.

usage: bench_report.py RAW.jsonl MACHINE.json OUT.json OUT.svg [OUT.md]
(OUT.md: the same tables in Markdown, for docs/BENCHMARKS.md)
"""
import json
import math
import statistics
import sys

# tool -> (label, colour, dash)
TOOLS = {
    "extent_fsync": ("extent, fsync (durable)", "#1f6feb", ""),
    "extent_atomic": ("extent, atomic (no fsync)", "#2da44e", ""),
    "zarr_python": ("zarr-python 3 (no fsync)", "#cf222e", ""),
    "dd_dsync": ("dd oflag=dsync (durable per block)", "#6e7781", "6,4"),
    "dd_fsync": ("dd conv=fsync (one fsync at the end)", "#8250df", "2,3"),
}


def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def human_bytes(n):
    for unit, div in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            v = n / div
            return f"{v:g} {unit}"
    return f"{n} B"


def load(raw_path):
    sizes = {}
    tiled = []
    dd_big = {}
    for line in open(raw_path):
        line = line.strip()
        if not line:
            continue
        rec = json.loads(line)
        kind = rec["kind"]
        if kind in ("tiled", "tiled_floor"):
            tiled.append(rec)
            continue
        if kind == "dd_ceiling":
            dd_big.setdefault(rec["mode"], []).append(rec["result"])
            continue
        key = rec["shape"]
        s = sizes.setdefault(key, {"shape": rec["shape"], "bytes": rec["bytes"], "count": rec["count"], "tools": {}})
        s["tools"].setdefault(rec["tool"], []).append(rec["result"])
    return sizes, tiled, dd_big


def summarize(sizes, dd_big, tiled):
    out_sizes = []
    for key, s in sorted(sizes.items(), key=lambda kv: kv[1]["bytes"]):
        tools = {}
        for tool, runs in s["tools"].items():
            tools[tool] = {
                "runs": len(runs),
                "mb_per_s": median_of(runs, "mb_per_s"),
                "patches_per_s": median_of(runs, "patches_per_s"),
                "p50_ms": median_of(runs, "p50_ms"),
                "p95_ms": median_of(runs, "p95_ms"),
                "all_mb_per_s": [r["mb_per_s"] for r in runs],
            }
        def ratio(a, b):
            if a in tools and b in tools and tools[b]["mb_per_s"]:
                return tools[a]["mb_per_s"] / tools[b]["mb_per_s"]
            return None
        out_sizes.append({
            "shape": s["shape"], "bytes_per_patch": s["bytes"], "count": s["count"], "tools": tools,
            "ratios": {
                "extent_atomic_vs_zarr_python": ratio("extent_atomic", "zarr_python"),
                "extent_fsync_vs_zarr_python": ratio("extent_fsync", "zarr_python"),
                "extent_fsync_vs_dd_dsync": ratio("extent_fsync", "dd_dsync"),
                "extent_atomic_vs_dd_fsync": ratio("extent_atomic", "dd_fsync"),
            },
        })
    ceiling = {m: {"runs": len(r), "mb_per_s": median_of(r, "mb_per_s"), "all_mb_per_s": [x["mb_per_s"] for x in r]}
               for m, r in dd_big.items()}
    return out_sizes, ceiling


def svg_plot(sizes, path, title):
    W, H = 1000, 470
    panels = [("mb_per_s", "throughput, MB/s (log)"), ("patches_per_s", "patches per second (log)")]
    pw, ph = 400, 300
    ox = [80, 580]
    oy = 50
    xs = [s["bytes_per_patch"] for s in sizes]
    lx0, lx1 = math.log2(min(xs)), math.log2(max(xs))
    if lx1 == lx0:
        lx1 = lx0 + 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
             'font-family="sans-serif" font-size="12">',
             '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="{W/2}" y="22" text-anchor="middle" font-size="15">{title}</text>']
    for (key, label), x0 in zip(panels, ox):
        vals = [t[key] for s in sizes for t in s["tools"].values() if t.get(key)]
        if not vals:
            continue
        ly0 = math.floor(math.log10(min(vals)))
        ly1 = math.ceil(math.log10(max(vals)))
        if ly1 == ly0:
            ly1 += 1
        X = lambda b: x0 + (math.log2(b) - lx0) / (lx1 - lx0) * pw
        Y = lambda v: oy + ph - (math.log10(v) - ly0) / (ly1 - ly0) * ph
        parts.append(f'<rect x="{x0}" y="{oy}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
        for e in range(ly0, ly1 + 1):
            y = Y(10 ** e)
            parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0+pw}" y2="{y:.1f}" stroke="#eee"/>')
            parts.append(f'<text x="{x0-6}" y="{y+4:.1f}" text-anchor="end">{10**e:g}</text>')
        for b in xs:
            x = X(b)
            parts.append(f'<line x1="{x:.1f}" y1="{oy}" x2="{x:.1f}" y2="{oy+ph}" stroke="#eee"/>')
            parts.append(f'<text x="{x:.1f}" y="{oy+ph+16}" text-anchor="middle">{human_bytes(b)}</text>')
        parts.append(f'<text x="{x0+pw/2}" y="{oy+ph+34}" text-anchor="middle">bytes per patch</text>')
        parts.append(f'<text x="{x0}" y="{oy-8}">{label}</text>')
        for tool, (tlabel, colour, dash) in TOOLS.items():
            pts = [(X(s["bytes_per_patch"]), Y(s["tools"][tool][key])) for s in sizes
                   if tool in s["tools"] and s["tools"][tool].get(key)]
            if not pts:
                continue
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
            for x, y in pts:
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
    # legend
    lx, ly = 80, H - 34
    for i, (tool, (tlabel, colour, dash)) in enumerate(TOOLS.items()):
        x = lx + (i % 3) * 300
        y = ly + (i // 3) * 16 - 8
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{x}" y1="{y-4}" x2="{x+24}" y2="{y-4}" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        parts.append(f'<text x="{x+30}" y="{y}">{tlabel}</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def summarize_tiled(recs):
    """Medians per (tool, concurrency) and the issue's two Tiled ratios."""
    status = [r["status"] for r in recs if r.get("status")]
    floor_runs = [r["result"] for r in recs if r["kind"] == "tiled_floor"]
    groups = {}
    for r in recs:
        if r.get("status") or r["kind"] == "tiled_floor":
            continue
        groups.setdefault(f"{r['tool']}_c{r['concurrency']}", []).append(r["result"])
    med = {k: {"runs": len(v), "seconds": median_of(v, "seconds"), "mb_per_s": median_of(v, "mb_per_s"),
               "p50_ms": median_of(v, "p50_ms"),
               "final_shape_ok": [x.get("final_shape_ok") for x in v if "final_shape_ok" in x]}
           for k, v in groups.items()}
    def sec(k):
        return med.get(k, {}).get("seconds")
    ratios = {}
    if sec("extent_c1") and sec("tiled_python_c1"):
        ratios["extent_vs_python_wall_sequential"] = sec("extent_c1") / sec("tiled_python_c1")
    if sec("extent_c4") and sec("tiled_python_c4"):
        ratios["extent_vs_python_wall_4_in_flight"] = sec("extent_c4") / sec("tiled_python_c4")
    if sec("extent_c1") and sec("extent_c4"):
        ratios["extent_speedup_4_in_flight"] = sec("extent_c1") / sec("extent_c4")
    if sec("tiled_python_c1") and sec("tiled_python_c4"):
        ratios["python_speedup_4_in_flight"] = sec("tiled_python_c1") / sec("tiled_python_c4")
    floor = {}
    for ph in ("extend_seq", "inbounds_seq", "inbounds_4"):
        runs = [p for f in floor_runs for p in f["phases"] if p["phase"] == ph]
        if runs:
            floor[ph] = {"runs": len(runs), "ms_per_patch": median_of(runs, "ms_per_patch"),
                         "server_cpu_ms_per_patch": median_of(runs, "server_cpu_ms_per_patch"),
                         "server_busy": median_of(runs, "server_busy")}
    if floor_runs:
        floor["inbounds_speedup_4"] = statistics.median(f["inbounds_speedup_4"] for f in floor_runs)
    return {"status": status[0] if status else "measured", "medians": med, "ratios": ratios,
            "floor": floor}


def fmt(v, nd=2):
    return "—" if v is None else f"{v:.{nd}f}"


def main():
    raw, machine_path, out_json, out_svg = sys.argv[1:5]
    machine = json.load(open(machine_path))
    sizes, tiled, dd_big = load(raw)
    out_sizes, ceiling = summarize(sizes, dd_big, tiled)
    result = {"machine": machine, "sizes": out_sizes, "dd_ceiling_2MiB": ceiling,
              "tiled": summarize_tiled(tiled)}
    # Headline: the 2 MiB frame (1x1024x1024 uint16), as in the issue.
    head = next((s for s in out_sizes if s["bytes_per_patch"] == 2 << 20), out_sizes[-1] if out_sizes else None)
    if head:
        t = head["tools"]
        dd = ceiling.get("conv_fsync", {}).get("mb_per_s")
        result["targets"] = {
            "frame": head["shape"],
            "local_write_vs_zarr_python_same_durability": head["ratios"]["extent_atomic_vs_zarr_python"],
            "local_write_vs_zarr_python_extent_durable": head["ratios"]["extent_fsync_vs_zarr_python"],
            "local_write_vs_dd_conv_fsync_atomic": (t["extent_atomic"]["mb_per_s"] / dd) if dd and "extent_atomic" in t else None,
            "local_write_vs_dd_conv_fsync_durable": (t["extent_fsync"]["mb_per_s"] / dd) if dd and "extent_fsync" in t else None,
            "local_write_vs_dd_dsync_durable": head["ratios"]["extent_fsync_vs_dd_dsync"],
        }
    json.dump(result, open(out_json, "w"), indent=1)
    svg_plot(out_sizes, out_svg,
             f"extend-patch writes, one chunk per patch, uint16, zstd 1 — {machine.get('cpu','?')}, {machine.get('nproc','?')} cores")

    print()
    print("patch          extent fsync   extent atomic   zarr-python   dd dsync   dd fsync |"
          "  atomic/zarr  fsync/zarr  fsync/dd-dsync  (MB/s, medians; patches/s in brackets)")
    for s in out_sizes:
        t = s["tools"]
        cell = lambda k: (f"{fmt(t[k]['mb_per_s'],1)} [{fmt(t[k]['patches_per_s'],0)}]" if k in t else "—")
        r = s["ratios"]
        print(f"{human_bytes(s['bytes_per_patch']):>9}  {cell('extent_fsync'):>15} {cell('extent_atomic'):>15} "
              f"{cell('zarr_python'):>13} {cell('dd_dsync'):>12} {cell('dd_fsync'):>12} |"
              f"  {fmt(r['extent_atomic_vs_zarr_python']):>10}x {fmt(r['extent_fsync_vs_zarr_python']):>9}x "
              f"{fmt(r['extent_fsync_vs_dd_dsync']):>12}x")
    print()
    for m, c in ceiling.items():
        print(f"dd {m} 2 MiB blocks: {fmt(c['mb_per_s'],1)} MB/s (runs: {', '.join(fmt(v,1) for v in c['all_mb_per_s'])})")
    if head:
        tg = result["targets"]
        print()
        print(f"targets at {head['shape']} (2 MiB frames):")
        print(f"  >= 3x zarr-python (same durability, atomic): {fmt(tg['local_write_vs_zarr_python_same_durability'])}x")
        print(f"       extent durable (fsync) vs zarr-python:   {fmt(tg['local_write_vs_zarr_python_extent_durable'])}x")
        print(f"  >= 50% of dd conv=fsync: atomic {fmt(100*tg['local_write_vs_dd_conv_fsync_atomic'] if tg['local_write_vs_dd_conv_fsync_atomic'] else None,0)}%,"
              f" fsync {fmt(100*tg['local_write_vs_dd_conv_fsync_durable'] if tg['local_write_vs_dd_conv_fsync_durable'] else None,0)}%;"
              f" fsync vs dd oflag=dsync: {fmt(100*tg['local_write_vs_dd_dsync_durable'] if tg['local_write_vs_dd_dsync_durable'] else None,0)}%")
    tl = result["tiled"]
    print(f"\ntiled: {tl['status']}")
    for k, m in sorted(tl["medians"].items()):
        print(f"  {k}: {fmt(m['seconds'],2)} s, {fmt(m['mb_per_s'],1)} MB/s, p50 {fmt(m['p50_ms'],1)} ms"
              + (f", final shape right: {m['final_shape_ok']}" if m["final_shape_ok"] else ""))
    for k, v in tl["ratios"].items():
        print(f"  {k}: {fmt(v)}")
    for k, v in tl.get("floor", {}).items():
        if isinstance(v, dict):
            print(f"  floor {k}: {fmt(v['ms_per_patch'],1)} ms/patch, server CPU {fmt(v['server_cpu_ms_per_patch'],1)} ms/patch, "
                  f"server busy {fmt(v['server_busy'])}")
        else:
            print(f"  floor {k}: {fmt(v)}")
    if len(sys.argv) > 5:
        with open(sys.argv[5], "w") as f:
            f.write(markdown(result))
        print(f"wrote {sys.argv[5]}")
    print(f"\nwrote {out_json} and {out_svg}")


def markdown(result):
    m = result["machine"]
    out = [f"Run of {m.get('date')} — {m.get('extent_version')}, zarr-python {m.get('zarr_python')}, "
           f"{m.get('nproc')} × {m.get('cpu')}, {m.get('disk', {}).get('device')} "
           f"({m.get('disk', {}).get('fs')}, journal: {m.get('disk', {}).get('journal')}), "
           f"load average at start {' '.join(m.get('load_avg_at_start', []))}, "
           f"medians of {m.get('repeats')} interleaved runs.", "",
           "| patch | extent fsync | extent atomic | zarr-python | dd dsync | dd conv=fsync | atomic ÷ zarr-python | fsync ÷ zarr-python | fsync ÷ dd dsync |",
           "|---|---|---|---|---|---|---|---|---|"]
    for s in result["sizes"]:
        t = s["tools"]
        cell = lambda k: (f"{fmt(t[k]['mb_per_s'],1)} MB/s · {fmt(t[k]['patches_per_s'],0)}/s" if k in t else "—")
        r = s["ratios"]
        out.append(f"| {human_bytes(s['bytes_per_patch'])} | {cell('extent_fsync')} | {cell('extent_atomic')} | "
                   f"{cell('zarr_python')} | {cell('dd_dsync')} | {cell('dd_fsync')} | "
                   f"**{fmt(r['extent_atomic_vs_zarr_python'])}×** | {fmt(r['extent_fsync_vs_zarr_python'])}× | "
                   f"{fmt(r['extent_fsync_vs_dd_dsync'])}× |")
    out.append("")
    out.append("Spread (MB/s of each run, in run order) at 2 MiB: " + "; ".join(
        f"{k} {', '.join(fmt(v,0) for v in t['all_mb_per_s'])}"
        for s in result["sizes"] if s["bytes_per_patch"] == 2 << 20 for k, t in s["tools"].items()))
    out.append("")
    out.append("| dd, 400 MiB in 2 MiB blocks | MB/s (median) | runs |")
    out.append("|---|---|---|")
    for k, c in result["dd_ceiling_2MiB"].items():
        out.append(f"| {k.replace('_', '=', 1)} | {fmt(c['mb_per_s'],1)} | {', '.join(fmt(v,0) for v in c['all_mb_per_s'])} |")
    tl = result["tiled"]
    out.append("")
    if tl["medians"]:
        out.append("| Tiled, 100 patches of 1×2048×2048 uint16 | wall s (median) | MB/s | p50 ms | final shape right |")
        out.append("|---|---|---|---|---|")
        for k, v in sorted(tl["medians"].items()):
            out.append(f"| {k} | {fmt(v['seconds'],2)} | {fmt(v['mb_per_s'],1)} | {fmt(v['p50_ms'],1)} | "
                       f"{', '.join(str(x) for x in v['final_shape_ok']) or '—'} |")
        out.append("")
        for k, v in tl["ratios"].items():
            out.append(f"- {k.replace('_', ' ')}: **{fmt(v)}**")
        fl = tl.get("floor", {})
        if fl:
            out.append("")
            out.append("| raw HTTP client (`tiled_floor.py`), 39–40 patches of 1×2048×2048 | ms per patch | server CPU ms per patch | server busy (CPU s ÷ wall s) |")
            out.append("|---|---|---|---|")
            for k, v in fl.items():
                if isinstance(v, dict):
                    out.append(f"| {k} | {fmt(v['ms_per_patch'],1)} | {fmt(v['server_cpu_ms_per_patch'],1)} | {fmt(v['server_busy'])} |")
            if "inbounds_speedup_4" in fl:
                out.append("")
                out.append(f"- raw client, in-bounds, 4 in flight over sequential: **{fmt(fl['inbounds_speedup_4'])}×**")
    else:
        out.append(f"Tiled: {tl['status']}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
