#!/usr/bin/env bash
# Side-by-side write benchmark, in one run on one machine and one disk:
#   extent (local store, durability fsync and atomic) vs zarr-python 3 (same chunking, same codec
#   bytes+zstd level 1, same extend-patch sequence, same bytes) vs dd to the same disk, over a
#   sweep of patch sizes; and extent vs Tiled's Python client when extent has a Tiled backend.
# Writes docs/bench-raw.jsonl (every run), docs/bench-results.json (machine, medians, ratios),
# docs/bench-throughput.svg (the plot) and docs/bench-table.md (the tables for BENCHMARKS.md),
# and prints the ratio table.
#
#   scripts/compare.sh                 # full sweep, 3 repeats (~10 min on 2 cores)
#   scripts/compare.sh --quick         # 1 repeat, fewer patches (a smoke run)
#   scripts/compare.sh --no-tiled      # skip the Tiled part
# Environment: BENCH_DIR (scratch dir on the disk to measure; default a temp dir under /tmp),
#   REPEATS, EXTENT_BIN (default: cargo build --release), TILED_URL/TILED_API_KEY (reuse a server).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
quick=0
tiled=1
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    --no-tiled) tiled=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done
repeats=${REPEATS:-$([[ $quick == 1 ]] && echo 1 || echo 3)}

# Patch shapes (uint16, one chunk per patch) and patch counts per run.
if [[ $quick == 1 ]]; then
  sizes=("1,64:100" "1,64,64:100" "1,512,512:60" "1,1024,1024:40")
else
  sizes=("1,64:300" "1,64,64:300" "1,256,256:200" "1,512,512:150" "1,1024,1024:100" "1,2048,2048:30")
fi

scratch=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/extent-compare.XXXXXX")
raw=$scratch/raw.jsonl
tiled_pid=
cleanup() {
  [[ -n $tiled_pid ]] && "$root/scripts/start-tiled.sh" --stop "$tiled_pid" || true
  rm -rf "$scratch"
}
trap cleanup EXIT
: >"$raw"

if [[ -z ${EXTENT_BIN:-} ]]; then
  echo "compare: building extent (release) ..." >&2
  (cd "$root" && cargo build --release --quiet)
  target=${CARGO_TARGET_DIR:-$root/target}
  # A private copy: a shared target directory may be rebuilt by someone else mid-run.
  cp "$target/release/extent" "$scratch/extent"
  EXTENT_BIN=$scratch/extent
fi
venv=$("$root/scripts/start-tiled.sh" --venv-only)
py=$venv/bin/python

# --- machine -----------------------------------------------------------------------------
fs_type=$(findmnt -n -o FSTYPE -T "$scratch" 2>/dev/null || echo "?")
fs_src=$(findmnt -n -o SOURCE -T "$scratch" 2>/dev/null || echo "?")
dev=$(basename "$fs_src")
journal="unknown"
if [[ $fs_type == ext4 ]]; then
  if ls /proc/fs/jbd2 2>/dev/null | grep -q "^$dev"; then journal="yes"; else journal="no (ext4 without a journal)"; fi
fi
rotational=$(cat "/sys/block/$dev/queue/rotational" 2>/dev/null || echo "?")
"$py" - "$scratch/machine.json" <<PY
import json, os, platform, subprocess, sys, datetime
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
mem = 0
for line in open("/proc/meminfo"):
    if line.startswith("MemTotal"):
        mem = int(line.split()[1]) // 1024; break
def sh(*a):
    try: return subprocess.run(a, capture_output=True, text=True, cwd="$root").stdout.strip()
    except Exception: return "?"
import zarr, numpy
json.dump({
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "nproc": os.cpu_count(), "cpu": cpu, "mem_mib": mem, "kernel": platform.release(),
    "disk": {"device": "$fs_src", "fs": "$fs_type", "journal": "$journal", "rotational": "$rotational",
             "scratch": "$scratch"},
    "load_avg_at_start": open("/proc/loadavg").read().split()[:3],
    "extent_commit": sh("git", "rev-parse", "--short", "HEAD"),
    "extent_version": sh("$EXTENT_BIN", "--version"),
    "zarr_python": zarr.__version__, "numpy": numpy.__version__, "python": platform.python_version(),
    "repeats": $repeats, "sizes": "${sizes[*]}",
}, open(sys.argv[1], "w"), indent=1)
PY
echo "compare: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), disk $fs_src ($fs_type, journal: $journal), scratch $scratch" >&2

# --- helpers -------------------------------------------------------------------------------
record() { # kind tool shape bytes count json
  "$py" -c 'import json,sys; k,t,s,b,c,r=sys.argv[1:7]; print(json.dumps({"kind":k,"tool":t,"shape":s,"bytes":int(b),"count":int(c),"result":json.loads(r)}))' "$@" >>"$raw"
}
extent_run() { # durability shape count -> JSON of the "write in order" phase
  local out
  out=$(EXTENT_DURABILITY=$1 "$EXTENT_BIN" --store "$scratch/extent-store" bench --shape-per-patch "$2" --count "$3" --json)
  "$py" -c 'import json,sys; d=json.loads(sys.argv[1]); p={x["phase"]:x for x in d["phases"]}; w=p["write in order"]; w["shuffled_mb_per_s"]=p["write shuffled"]["mb_per_s"]; w["read_mb_per_s"]=p["read"]["mb_per_s"]; w["pregenerated"]=d.get("pregenerated"); print(json.dumps(w))' "$out"
}
dd_run() { # mode block_bytes count -> {"mb_per_s":..}
  local flags=()
  case $1 in
    dsync) flags=(oflag=dsync) ;;
    fsync) flags=(conv=fsync) ;;
    direct) flags=(oflag=direct) ;;
  esac
  local f=$scratch/dd.bin t0 t1
  rm -f "$f"
  t0=$(date +%s.%N)
  dd if=/dev/zero of="$f" bs="$2" count="$3" "${flags[@]}" status=none
  t1=$(date +%s.%N)
  rm -f "$f"
  "$py" -c 'import json,sys; b,c,t0,t1=map(float,sys.argv[1:5]); s=t1-t0; print(json.dumps({"bytes":b*c,"seconds":s,"mb_per_s":b*c/s/1e6,"patches_per_s":c/s}))' "$2" "$3" "$t0" "$t1"
}

# --- sweep: every tool at every size, interleaved, REPEATS times -----------------------------
for rep in $(seq "$repeats"); do
  for spec in "${sizes[@]}"; do
    shape=${spec%%:*}; count=${spec##*:}
    bytes=$(( $(echo "$shape" | tr ',' '*') * 2 ))
    echo "compare: run $rep/$repeats, patches of $shape ($bytes bytes) x $count" >&2
    record size extent_fsync "$shape" "$bytes" "$count" "$(extent_run fsync "$shape" "$count")"
    record size zarr_python "$shape" "$bytes" "$count" \
      "$("$py" "$here/zarr_peer.py" "$scratch/zarr-store" --shape "$shape" --count "$count")"
    record size extent_atomic "$shape" "$bytes" "$count" "$(extent_run atomic "$shape" "$count")"
    # dd: the same number of blocks of the same size (count-1 timed patches + the first one).
    record size dd_dsync "$shape" "$bytes" "$count" "$(dd_run dsync "$bytes" "$count")"
    record size dd_fsync "$shape" "$bytes" "$count" "$(dd_run fsync "$bytes" "$count")"
  done
  # The physical ceiling: 400 MiB in 2 MiB blocks.
  for m in conv_fsync:fsync oflag_direct:direct oflag_dsync:dsync; do
    "$py" -c 'import json,sys; print(json.dumps({"kind":"dd_ceiling","mode":sys.argv[1],"result":json.loads(sys.argv[2])}))' \
      "${m%%:*}" "$(dd_run "${m##*:}" $((2 << 20)) 200)" >>"$raw"
  done
done

# --- Tiled ---------------------------------------------------------------------------------
tiled_note() { "$py" -c 'import json,sys; print(json.dumps({"kind":"tiled","status":sys.argv[1]}))' "$1" >>"$raw"; echo "compare: $1" >&2; }
if [[ $tiled == 0 ]]; then
  tiled_note "skipped: --no-tiled"
else
  # An extent without a Tiled backend says so for any URL (an unreachable one is enough).
  probe=$("$EXTENT_BIN" --store http://127.0.0.1:9/ ls 2>&1 || true)
  if grep -qi "not built yet\|not supported" <<<"$probe"; then
    tiled_note "skipped: this extent has no Tiled backend yet ($(head -1 <<<"$probe" | cut -c1-120))"
  else
    if [[ -z ${TILED_URL:-} ]]; then
      # No streaming cache: it would keep every patch's payload in the server's memory.
      eval "$(TILED_STREAM=${TILED_STREAM:-none} "$root/scripts/start-tiled.sh")"
      tiled_pid=$TILED_PID
    fi
    export TILED_API_KEY
    tshape=1,2048,2048; tcount=$([[ $quick == 1 ]] && echo 20 || echo 100)
    tbytes=$(( 2048 * 2048 * 2 ))
    for rep in $(seq "$repeats"); do
      for k in 1 4; do
        echo "compare: Tiled run $rep/$repeats, $tcount patches of $tshape, $k in flight" >&2
        out=$("$EXTENT_BIN" --store "$TILED_URL" bench --shape-per-patch "$tshape" --count "$tcount" --concurrency "$k" --json \
          | "$py" -c 'import json,sys; d=json.load(sys.stdin); p={x["phase"]:x for x in d["phases"]}; print(json.dumps(p["write in order"]))')
        "$py" -c 'import json,sys; print(json.dumps({"kind":"tiled","tool":"extent","concurrency":int(sys.argv[1]),"result":json.loads(sys.argv[2])}))' "$k" "$out" >>"$raw"
        out=$("$py" "$here/tiled_peer.py" "$TILED_URL" --shape "$tshape" --count "$tcount" --threads "$k")
        "$py" -c 'import json,sys; print(json.dumps({"kind":"tiled","tool":"tiled_python","concurrency":int(sys.argv[1]),"result":json.loads(sys.argv[2])}))' "$k" "$out" >>"$raw"
      done
    done
    # The floor any client meets: the server's own CPU per patch (needs the server's PID).
    if [[ -n $tiled_pid ]]; then
      for rep in $(seq "$repeats"); do
        echo "compare: Tiled floor run $rep/$repeats (raw HTTP client, server CPU)" >&2
        out=$("$py" "$here/tiled_floor.py" "$TILED_URL" --server-pid "$tiled_pid" --shape "$tshape" --count 40)
        "$py" -c 'import json,sys; print(json.dumps({"kind":"tiled_floor","result":json.loads(sys.argv[1])}))' "$out" >>"$raw"
      done
    fi
  fi
fi

mkdir -p "$root/docs"
cp "$raw" "$root/docs/bench-raw.jsonl"
"$py" "$here/bench_report.py" "$raw" "$scratch/machine.json" "$root/docs/bench-results.json" \
  "$root/docs/bench-throughput.svg" "$root/docs/bench-table.md"
