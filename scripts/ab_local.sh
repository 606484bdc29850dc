#!/usr/bin/env bash
# Two extent binaries, interleaved, on the same scratch store: `extent bench` write-in-order
# patches/s for each durability and patch shape, REPEATS times; prints one TSV line per run.
#   scripts/ab_local.sh OLD_BIN NEW_BIN [REPEATS]
set -euo pipefail
old=$1 new=$2 reps=${3:-3}
scratch=$(mktemp -d /tmp/extent-ab-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
printf 'rep\tbin\tdurability\tshape\tconcurrency\tpatches_per_s\n'
for rep in $(seq "$reps"); do
  for spec in "1,64 200 1" "1,512,512 60 1" "1,512,512 60 4"; do
    set -- $spec
    for dur in atomic fsync; do
      for which in old new; do
        bin=$old; [ "$which" = new ] && bin=$new
        rate=$(EXTENT_DURABILITY=$dur "$bin" --store "$scratch/s" bench --shape-per-patch "$1" \
          --count "$2" --concurrency "$3" --json |
          python3 -c 'import json,sys; r=json.load(sys.stdin); print(round([p for p in r["phases"] if p["phase"]=="write in order"][0]["patches_per_s"],1))')
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$which" "$dur" "$1" "$3" "$rate"
      done
    done
  done
done
