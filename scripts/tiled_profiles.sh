#!/usr/bin/env bash
# extent against Tiled's Python client on both server profiles of start-tiled.sh (single:
# one process, SQLite; prod: PostgreSQL, 4 workers, Redis), on the same shuffled extend
# sequence, plus what the server alone costs (tiled_floor.py) and 4 writers on 4 arrays.
# Runs are interleaved (extent, client, extent, client, ...); prints one JSON line per run on
# stdout (keep them: `> runs.jsonl`) and a table of medians on stderr at the end.
#
#   scripts/tiled_profiles.sh [--profiles "single prod"] [--shape 1,1024,1024] [--count 60]
# Environment: REPEATS (default 3), EXTENT_BIN (default: cargo build --release, copied).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
profiles="single prod"
shape=1,1024,1024
count=60
while [[ $# -gt 0 ]]; do
  case $1 in
    --profiles) profiles=$2; shift 2 ;;
    --shape) shape=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "tiled_profiles.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
repeats=${REPEATS:-3}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/extent-tiled-profiles.XXXXXX")
raw=$scratch/runs.jsonl
server_pid= server_data=
cleanup() {
  [[ -n $server_pid ]] && bash "$here/start-tiled.sh" --stop "$server_pid" "$server_data" || true
  [[ -n $server_data ]] && rm -rf "$server_data"
  rm -rf "$scratch"
}
trap cleanup EXIT
: >"$raw"

if [[ -z ${EXTENT_BIN:-} ]]; then
  (cd "$root" && cargo build --release --quiet)
  # A private copy: a shared target directory may be rebuilt by someone else mid-run.
  cp "${CARGO_TARGET_DIR:-$root/target}/release/extent" "$scratch/extent"
  EXTENT_BIN=$scratch/extent
fi
# The venv is found before HOME moves to the scratch dir, and kept by its path from then on
# (start-tiled.sh would otherwise look for, and install, a fresh one under the new HOME).
TILED_VENV=$("$here/start-tiled.sh" --venv-only)
export TILED_VENV
py=$TILED_VENV/bin/python
home=$scratch/home
export HOME=$home XDG_CACHE_HOME=$home/cache XDG_DATA_HOME=$home/data XDG_STATE_HOME=$home/state

# record PROFILE TOOL JSON: one line of the raw output.
record() {
  "$py" -c 'import json,sys; print(json.dumps({"profile":sys.argv[1],"tool":sys.argv[2],"result":json.loads(sys.argv[3])}))' \
    "$1" "$2" "$3" | tee -a "$raw"
}
# The phases of an `extent bench --json`, by name.
phases() { "$py" -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({p["phase"]:p for p in d["phases"]}))'; }

# bench K [--in-bounds]: extent bench with K patches in flight.
bench() {
  "$EXTENT_BIN" --store "$TILED_URL" --api-key "$TILED_API_KEY" bench --shape-per-patch "$shape" \
    --count "$count" --concurrency "$1" "${@:2}" --json | phases
}

for profile in $profiles; do
  echo "tiled_profiles: starting the $profile server" >&2
  # The single profile as in compare.sh (no streaming cache); prod with its Redis cache on.
  eval "$(TILED_PROFILE=$profile TILED_STREAM=none bash "$here/start-tiled.sh")"
  server_pid=$TILED_PID server_data=$TILED_DATA_DIR
  export TILED_API_KEY
  pids=(--server-pid "$TILED_PID")
  if [[ $profile == prod ]]; then
    pids+=(--server-pid "$(head -1 "$TILED_DATA_DIR/pg/postmaster.pid")")
    pids+=(--server-pid "$(cat "$TILED_DATA_DIR/redis/redis.pid")")
  fi
  for rep in $(seq "$repeats"); do
    echo "tiled_profiles: $profile run $rep/$repeats" >&2
    # Who goes first alternates (A B, B A, ...): a server that slows down or speeds up over
    # the runs (its Redis cache keeps every patch) then weighs on both alike.
    peer() {
      record "$profile" python_c1_shuffled \
        "$("$py" "$here/tiled_peer.py" "$TILED_URL" --shape "$shape" --count "$count" --order shuffled)"
    }
    if (( rep % 2 == 0 )); then peer; fi
    record "$profile" extent_c1 "$(bench 1)"
    if (( rep % 2 == 1 )); then peer; fi
    record "$profile" extent_c4 "$(bench 4)"
    # In bounds (the array grown first): the same work as the floor's in-bounds phases.
    record "$profile" extent_inbounds_c1 "$(bench 1 --in-bounds)"
    record "$profile" extent_inbounds_c4 "$(bench 4 --in-bounds)"
    # Four writers, one array each, at once: growing patches of different arrays.
    t0=$("$py" -c 'import time; print(time.perf_counter())')
    for k in 1 2 3 4; do bench 1 >"$scratch/four.$k" & done
    wait
    t1=$("$py" -c 'import time; print(time.perf_counter())')
    record "$profile" extent_4_arrays "$("$py" -c '
import json, sys
runs = [json.load(open(f)) for f in sys.argv[3:]]
wall = float(sys.argv[2]) - float(sys.argv[1])
n = sum(r["write shuffled"]["patches"] + r["write in order"]["patches"] for r in runs)
print(json.dumps({"processes": len(runs), "seconds_all": wall, "patches": n,
  "shuffled_patches_per_s_each": [r["write shuffled"]["patches_per_s"] for r in runs]}))' \
      "$t0" "$t1" "$scratch"/four.*)"
    record "$profile" floor "$("$py" "$here/tiled_floor.py" "$TILED_URL" "${pids[@]}" --shape "$shape" --count 40)"
  done
  bash "$here/start-tiled.sh" --stop "$server_pid" "$server_data"
  rm -rf "$server_data"
  server_pid= server_data=
done

"$py" - "$raw" >&2 <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
med = statistics.median
for prof in sorted({r["profile"] for r in runs}):
    rs = [r for r in runs if r["profile"] == prof]
    get = lambda tool: [r["result"] for r in rs if r["tool"] == tool]
    e1, p1, e4, four, fl = get("extent_c1"), get("python_c1_shuffled"), get("extent_c4"), get("extent_4_arrays"), get("floor")
    b1, b4 = get("extent_inbounds_c1"), get("extent_inbounds_c4")
    es = med(x["write shuffled"]["seconds"] for x in e1)
    ps = med(x["seconds"] for x in p1)
    e4s = med(x["write shuffled"]["seconds"] for x in e4)
    print(f"## {prof} ({len(e1)} runs, medians)")
    pairs = [e["write shuffled"]["seconds"] / p["seconds"] for e, p in zip(e1, p1)]
    print(f"shuffled, 1 in flight: extent {es:.2f} s, python client {ps:.2f} s -> extent/client wall {es/ps:.2f}"
          f" (client final shape right: {[x['final_shape_ok'] for x in p1]})")
    print(f"  pair by pair (first of each pair alternating): {', '.join(f'{r:.2f}' for r in pairs)}"
          f" -> median {med(pairs):.2f}")
    speedups = [e["write shuffled"]["seconds"] / f["write shuffled"]["seconds"] for e, f in zip(e1, e4)]
    print(f"extent in order, 1 in flight: {med(x['write in order']['seconds'] for x in e1):.2f} s")
    print(f"extent shuffled, 4 in flight (one array): {e4s:.2f} s -> {es/e4s:.2f}x sequential"
          f" (run by run: {', '.join(f'{r:.2f}' for r in speedups)}; median {med(speedups):.2f}x)")
    if four:
        # The 4 processes start together and do the same work, so their shuffled phases overlap.
        seq_rate = med(x["write shuffled"]["patches_per_s"] for x in e1)
        rate4 = med(sum(x["shuffled_patches_per_s_each"]) for x in four)
        print(f"4 processes x 1 array each, shuffled: {rate4:.1f} patches/s together vs one process "
              f"{seq_rate:.1f} -> {rate4/seq_rate:.2f}x")
    for ph in ("extend_seq", "inbounds_seq", "inbounds_4", "extend_shuffled"):
        xs = [p for f in fl for p in f["phases"] if p["phase"] == ph]
        if xs:
            print(f"floor {ph}: {med(p['ms_per_patch'] for p in xs):.1f} ms/patch, server CPU "
                  f"{med(p['server_cpu_ms_per_patch'] for p in xs):.1f} ms/patch, busy {med(p['server_busy'] for p in xs):.2f}")
    if fl:
        print(f"floor in-bounds 4 over 1: {med(f['inbounds_speedup_4'] for f in fl):.2f}x")
    if b1 and b4:
        ms = lambda x: 1e3 * x["write in bounds"]["seconds"] / x["write in bounds"]["patches"]
        up = [ms(a) / ms(b) for a, b in zip(b1, b4)]
        print(f"extent in bounds (one array, grown first): 1 in flight {med(ms(x) for x in b1):.1f} ms/patch, "
              f"4 in flight {med(ms(x) for x in b4):.1f} ms/patch -> {med(up):.2f}x "
              f"(run by run: {', '.join(f'{u:.2f}' for u in up)})")
        if fl:
            # The floor's in-bounds phases write the same frames into an array grown first.
            floor4 = [p["ms_per_patch"] for f in fl for p in f["phases"] if p["phase"] == "inbounds_4"]
            rate = [f4 / ms(x) for x, f4 in zip(b4, floor4)]
            print(f"extent in bounds, 4 in flight, rate / the floor's in the same run: "
                  f"{', '.join(f'{r:.2f}' for r in rate)} -> median {med(rate):.2f}")
PY
