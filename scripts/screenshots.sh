#!/usr/bin/env bash
# Regenerates the pictures in README.md and docs/ from the real binary, in tmux:
#
#   scripts/screenshots.sh
#   EXTENT_BIN=target/debug/extent scripts/screenshots.sh   # without a release build
#
# Each screen is captured with its colours (capture-pane -e) and turned into an SVG by
# scripts/ansi2svg.py (standard library Python). Needs tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "screenshots: tmux is needed" >&2; exit 1; }
# EXTENT_BIN=path/to/extent uses a binary already built (a debug one draws the same screens).
if [ -z "${EXTENT_BIN:-}" ]; then
  cargo build --release --quiet
fi
bin=${EXTENT_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/extent}
tmp=$(mktemp -d)
trap 'tmux kill-session -t extent-shot 2>/dev/null || true; rm -rf "$tmp"' EXIT
export XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data
mkdir -p docs/img

shot() {
  tmux capture-pane -t extent-shot -e -p >"$tmp/$1.ansi"
  python3 scripts/ansi2svg.py <"$tmp/$1.ansi" >"docs/img/$1.svg"
  tmux capture-pane -t extent-shot -p >"docs/img/$1.txt"
  echo "docs/img/$1.svg"
}

wait_for() { # text, seconds
  for _ in $(seq $(($2 * 10))); do
    tmux capture-pane -t extent-shot -p | grep -q "$1" && return 0
    sleep 0.1
  done
  echo "screenshots: '$1' never showed up" >&2
  tmux capture-pane -t extent-shot -p >&2
  exit 1
}

# 1. The live demo, mid-run (100x30: the size people first see).
tmux new -d -s extent-shot -x 100 -y 30 "$bin demo --dir $tmp/demo --rate 20 --frames 160"
wait_for "arrived ([5-9][0-9]/" 30
shot live
wait_for "in-order check passed" 30
tmux kill-session -t extent-shot

# 2. The main screen on a wide terminal: catalog, structure, chunk grid, history, data.
tmux new -d -s extent-shot -x 160 -y 44 "$bin --store $tmp/demo"
wait_for "detector/" 10
tmux send-keys -t extent-shot Enter
sleep 0.3
tmux send-keys -t extent-shot Down
wait_for "written" 10
sleep 1
shot main

# 3. The resize dialog with its preview (a shrink: what is lost, type the name).
tmux send-keys -t extent-shot r C-u
tmux send-keys -t extent-shot -l "100,128,128"
sleep 0.3
tmux send-keys -t extent-shot Enter
wait_for "Type 'frames'" 10
shot dialog
tmux send-keys -t extent-shot Escape Escape q
