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
#   TILED_PROFILE   single | prod                       (default single)
#   TILED_WORKERS   server worker processes, prod only  (default 4)
# Profiles: `single` is one server process with the catalog on SQLite, tables in DuckDB and
# the streaming cache in memory. `prod` is laid out as Tiled documents for production: the
# catalog and tables on PostgreSQL (a private cluster made with initdb in the data dir, on a
# free port, run as the `postgres` user when started as root), TILED_WORKERS uvicorn worker
# processes behind one port, and the streaming cache on Redis (a private redis-server).
# Stopping a prod server needs its data dir: `--stop PID DATA_DIR` stops all three.
# The first run installs the server into the venv (about a minute, 1.2 GB); later runs reuse it.
# Output on stdout is only the export lines; progress and errors go to stderr. Exit code != 0 on failure.
#   scripts/start-tiled.sh --venv-only              # only make sure the venv exists; prints its path
# The venv also holds zarr-python 3 and numpy (dependencies of tiled[server]), used by the
# interop tests and the benchmark baselines.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/tiled-prod.sh
source "$here/tiled-prod.sh"

if [[ ${1:-} == --stop ]]; then
  pid=${2:?usage: start-tiled.sh --stop PID [DATA_DIR]}
  # A data dir that is gone: stopped and removed already (the pid may be someone else's now).
  [[ -n ${3:-} && ! -d $3 ]] && exit 0
  # A prod server leads its own process group (its workers are in it).
  signal_server() { kill "-$1" -- "-$pid" 2>/dev/null || kill "-$1" "$pid" 2>/dev/null || true; }
  signal_server TERM
  gone=0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || { gone=1; break; }; sleep 0.1; done
  [[ $gone == 1 ]] || signal_server KILL
  [[ -n ${3:-} ]] && prod_stop_services "$3"
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
prod_ensure_deps "$venv"

if [[ ${1:-} == --venv-only ]]; then
  echo "$venv"
  exit 0
fi

data=${TILED_DATA_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tiled-data.XXXXXX")}
mkdir -p "$data/data" "$data/external"
key=${TILED_API_KEY:-$("$py" -c 'import secrets; print(secrets.token_hex(16))')}
port=${TILED_PORT:-$(free_port)}

if [[ ${TILED_PROFILE:-single} == prod ]]; then
  prod_start "$venv" "$data" "$key" "$port" "${TILED_WORKERS:-4}"
  exit 0
elif [[ ${TILED_PROFILE:-single} != single ]]; then
  echo "start-tiled: TILED_PROFILE must be single or prod, not '${TILED_PROFILE}'" >&2
  exit 2
fi

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
