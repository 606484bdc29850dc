#!/usr/bin/env bash
# Starts a real, writable Tiled server (pinned version) on 127.0.0.1 for tests, benchmarks and demos.
#
#   eval "$(scripts/start-tiled.sh)"      # exports TILED_URL TILED_API_KEY TILED_PID TILED_DATA_DIR
#   scripts/start-tiled.sh --stop "$TILED_PID"
#
# Environment (all optional):
#   TILED_VERSION   pinned server version              (default 0.2.20)
#   TILED_VENV      where the server's virtualenv lives (default ${XDG_CACHE_HOME:-$HOME/.cache}/extent/tiled-venv-$TILED_VERSION)
#   TILED_PORT      port                                (default: a free one)
#   TILED_API_KEY   single-user API key                 (default: random)
#   TILED_DATA_DIR  catalog + array storage, external/ for registered files (default: a new temp dir)
#   TILED_STREAM    memory | none                       (default memory: enables /stream websockets)
# The first run installs the server into the venv (about a minute, 1.2 GB); later runs reuse it.
# Output on stdout is only the export lines; progress and errors go to stderr. Exit code != 0 on failure.
#   scripts/start-tiled.sh --venv-only              # only make sure the venv exists; prints its path
# The venv also holds zarr-python 3 and numpy (dependencies of tiled[server]), used by the
# interop tests and the benchmark baselines.
set -euo pipefail

if [[ ${1:-} == --stop ]]; then
  pid=${2:?usage: start-tiled.sh --stop PID}
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  exit 0
fi

version=${TILED_VERSION:-0.2.20}
venv=${TILED_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/extent/tiled-venv-$version}
py=${PYTHON:-python3}

# The venv counts as installed only once its stamp exists (an interrupted install is redone).
stamp="$venv/.installed-tiled-$version"
if [[ ! -f $stamp ]]; then
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  flock 9
  if [[ ! -f $stamp ]]; then
    echo "start-tiled: installing tiled[server]==$version into $venv ..." >&2
    rm -rf "$venv"
    "$py" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "tiled[server]==$version" >&2
    touch "$stamp"
  fi
  flock -u 9
  exec 9>&-
fi

if [[ ${1:-} == --venv-only ]]; then
  echo "$venv"
  exit 0
fi

data=${TILED_DATA_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tiled-data.XXXXXX")}
mkdir -p "$data/data" "$data/external"
key=${TILED_API_KEY:-$("$py" -c 'import secrets; print(secrets.token_hex(16))')}
port=${TILED_PORT:-$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')}

cfg="$data/config.yml"
{
  echo "authentication:"
  echo "  single_user_api_key: \"$key\""
  echo "trees:"
  echo "  - path: /"
  echo "    tree: catalog"
  echo "    args:"
  echo "      uri: \"sqlite:///$data/catalog.db\""
  echo "      writable_storage:"
  echo "        - \"$data/data\""
  echo "        - \"duckdb:///$data/tabular.duckdb\""
  # Files registered in place (external HDF5 and the like) are served from here, read-only.
  echo "      readable_storage:"
  echo "        - \"$data/external\""
  echo "      init_if_not_exists: true"
  if [[ ${TILED_STREAM:-memory} == memory ]]; then
    echo "streaming_cache:"
    echo "  uri: \"memory\""
  fi
} >"$cfg"

"$venv/bin/tiled" serve config "$cfg" --host 127.0.0.1 --port "$port" >"$data/server.log" 2>&1 &
pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 300); do
  if curl -fsS -H "Authorization: Apikey $key" "$url/api/v1/" >/dev/null 2>&1; then
    echo "export TILED_URL=$url"
    echo "export TILED_API_KEY=$key"
    echo "export TILED_PID=$pid"
    echo "export TILED_DATA_DIR=$data"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-tiled: the server exited; its log:" >&2
    tail -n 40 "$data/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "start-tiled: no answer from $url after 60 s; log in $data/server.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
