# shellcheck shell=bash
# The production-like profile of start-tiled.sh (sourced by it, not run on its own):
# PostgreSQL for the catalog and tables, several uvicorn workers, Redis for the streaming cache.
# Every service is private to one data dir and listens on 127.0.0.1 on a free port.
#
#   DATA/pg/           the PostgreSQL cluster (owned by `postgres` when started as root)
#   DATA/redis/        redis-server's dir, pid file and log
#   DATA/config.yml    the Tiled config; DATA/server.log the workers' log

# Versions of the Python drivers the prod profile needs, pinned like the server.
PROD_PY_DEPS=("asyncpg==0.32.0" "redis==8.1.0" "adbc-driver-postgresql==1.13.0")

free_port() {
  "${py:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# The pinned drivers in the venv (once; a stamp records it, as for the server itself).
prod_ensure_deps() {
  local venv=$1 stamp="$1/.installed-prod-deps-1"
  [[ -f $stamp ]] && return 0
  exec 8>"$venv.lock"
  flock 8
  if [[ ! -f $stamp ]]; then
    echo "start-tiled: installing ${PROD_PY_DEPS[*]} into $venv ..." >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${PROD_PY_DEPS[@]}" >&2
    touch "$stamp"
  fi
  flock -u 8
  exec 8>&-
}

# A PostgreSQL tool: from PATH, else Debian's versioned directory.
pg_tool() {
  local t
  t=$(command -v "$1" 2>/dev/null) && { echo "$t"; return 0; }
  for t in /usr/lib/postgresql/*/bin/"$1"; do
    [[ -x $t ]] && { echo "$t"; return 0; }
  done
  echo "start-tiled: PostgreSQL's $1 is not installed (Debian: apt-get install postgresql)" >&2
  return 1
}

# Runs a command as the cluster's owner: `postgres` when we are root (initdb refuses root).
as_pg() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Stops what prod_start started in DATA (each only if it is there); never fails.
prod_stop_services() {
  local data=$1
  if [[ -f $data/pg/postmaster.pid ]]; then
    as_pg "$(pg_tool pg_ctl)" -D "$data/pg" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  fi
  if [[ -f $data/redis/redis.pid ]]; then
    local rpid
    rpid=$(cat "$data/redis/redis.pid" 2>/dev/null || true)
    if [[ -n $rpid ]]; then
      kill "$rpid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$rpid" 2>/dev/null || true
    fi
  fi
}

prod_fail() {
  echo "start-tiled (prod): $1" >&2
  [[ -n ${prod_tiled_pid:-} ]] && { kill -- "-$prod_tiled_pid" 2>/dev/null || kill "$prod_tiled_pid" 2>/dev/null || true; }
  prod_stop_services "$prod_data"
  exit 1
}

# Makes and starts the cluster in DATA/pg on a free port; prints the port.
prod_postgres() {
  local data=$1 initdb pg_ctl port
  initdb=$(pg_tool initdb) || prod_fail "PostgreSQL's initdb is not installed"
  pg_ctl=$(pg_tool pg_ctl) || prod_fail "PostgreSQL's pg_ctl is not installed"
  if [[ $(id -u) == 0 ]]; then
    id postgres >/dev/null 2>&1 || prod_fail "running as root, but there is no 'postgres' user to own the database cluster"
    # The cluster's owner must reach it: traverse (not list) the data dir, own pg/.
    chmod 711 "$data"
    mkdir -p "$data/pg"
    chown postgres: "$data/pg"
  fi
  mkdir -p "$data/pg"
  chmod 700 "$data/pg"
  as_pg "$initdb" -D "$data/pg" -U postgres --auth=trust --no-sync -E UTF8 >"$data/initdb.log" 2>&1 ||
    prod_fail "initdb failed: $(tail -n 5 "$data/initdb.log")"
  port=$(free_port)
  as_pg "$pg_ctl" -D "$data/pg" -l "$data/pg/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$data/pg' -c max_connections=200" \
    start >/dev/null 2>&1 ||
    prod_fail "PostgreSQL did not start: $(tail -n 5 "$data/pg/server.log" 2>/dev/null)"
  local db
  for db in catalog tables; do
    as_pg "$(pg_tool createdb)" -h 127.0.0.1 -p "$port" -U postgres "$db" 2>"$data/createdb.log" ||
      prod_fail "createdb $db failed: $(cat "$data/createdb.log")"
  done
  echo "$port"
}

# Starts redis-server for DATA on a free port; prints the port.
prod_redis() {
  local data=$1 port
  command -v redis-server >/dev/null 2>&1 ||
    prod_fail "redis-server is not installed (Debian: apt-get install redis-server)"
  mkdir -p "$data/redis"
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$data/redis" \
    --pidfile "$data/redis/redis.pid" --logfile "$data/redis/redis.log" \
    --save "" --appendonly no >/dev/null 2>&1 || prod_fail "redis-server did not start"
  for _ in $(seq 100); do
    redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && { echo "$port"; return 0; }
    sleep 0.1
  done
  prod_fail "redis-server gave no answer on port $port: $(tail -n 5 "$data/redis/redis.log" 2>/dev/null)"
}

# prod_start VENV DATA KEY PORT WORKERS: prints the same export lines as the single profile.
prod_start() {
  local venv=$1 data=$2 key=$3 port=$4 workers=$5 pg rd
  prod_data=$data
  [[ $workers =~ ^[1-9][0-9]?$ ]] || prod_fail "TILED_WORKERS must be 1 to 99, not '$workers'"
  pg=$(prod_postgres "$data")
  rd=$(prod_redis "$data")
  local db="postgresql://postgres@127.0.0.1:$pg"
  # The catalog's tables are made once here, not by several workers racing at start-up.
  "$venv/bin/tiled" catalog init "$db/catalog" >"$data/catalog-init.log" 2>&1 ||
    prod_fail "tiled catalog init failed: $(tail -n 5 "$data/catalog-init.log")"
  cat >"$data/config.yml" <<YML
authentication:
  single_user_api_key: "$key"
trees:
  - path: /
    tree: catalog
    args:
      uri: "$db/catalog"
      writable_storage:
        - "$data/data"
        - "$db/tables"
      init_if_not_exists: false
streaming_cache:
  uri: "redis://127.0.0.1:$rd"
YML
  # uvicorn's own process manager (one port, WORKERS processes), in a new session so that
  # the whole group can be stopped by the pid printed. SIGHUP to it replaces the workers one
  # by one; a worker takes longer than uvicorn's default 5 s to start (and may be that busy),
  # so its health check waits 60 s before declaring it dead.
  TILED_CONFIG="$data/config.yml" setsid "$venv/bin/uvicorn" --factory tiled.server.app:app_factory \
    --host 127.0.0.1 --port "$port" --workers "$workers" --no-access-log \
    --timeout-worker-healthcheck 60 \
    >"$data/server.log" 2>&1 </dev/null &
  prod_tiled_pid=$!
  local url="http://127.0.0.1:$port"
  for _ in $(seq 600); do
    if [[ $(prod_workers_up "$prod_tiled_pid") -ge $workers ]] &&
      curl -fsS -H "Authorization: Apikey $key" "$url/api/v1/" >/dev/null 2>&1; then
      echo "export TILED_URL=$url"
      echo "export TILED_API_KEY=$key"
      echo "export TILED_PID=$prod_tiled_pid"
      echo "export TILED_DATA_DIR=$data"
      echo "export TILED_PG_PORT=$pg"
      echo "export TILED_REDIS_PORT=$rd"
      return 0
    fi
    kill -0 "$prod_tiled_pid" 2>/dev/null ||
      prod_fail "the server exited; its log: $(tail -n 40 "$data/server.log")"
    sleep 0.2
  done
  prod_fail "no answer from $url after 120 s; log in $data/server.log"
}

# How many workers have started serving (each logs "Application startup complete").
prod_workers_up() {
  local n
  n=$(grep -c "Application startup complete" "$prod_data/server.log" 2>/dev/null) || true
  echo "${n:-0}"
}
