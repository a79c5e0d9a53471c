# shellcheck shell=bash
# Local Redis and PostgreSQL 15 for development, with their data in the
# git-ignored folder .data/ of the checkout.
#
#   bw_services_start   start (or reuse) what REDIS_URL / DATABASE_URL don't
#                       point elsewhere, and export those two variables
#   bw_services_stop    stop what bw_services_start started (only that)
#   bw_serve_threads    the event-loop count for a server beside them
#
# A service already running from this checkout is reused. If the run that
# started it is gone (killed -9), this run adopts it and stops it at the end;
# if that run is still alive, both share it and it stays up for its owner.

BW_DATA="$ROOT/.data"
BW_PG_BIN=/usr/lib/postgresql/15/bin
BW_REDIS_STARTED=0
BW_PG_STARTED=0
BW_REDIS_PORT=""
BW_REDIS_PID=""
BW_PG_DIR=""
BW_PG_PORT=""

# --- process identity ------------------------------------------------------

# Start time of PID (clock ticks since boot): with the PID, it names one
# process even after PIDs wrap around. Fails when PID is not running.
bw_proc_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the fields on purpose
  set -- $stat
  # A zombie (Z) or dead (X) process is gone for our purposes.
  [[ $1 != [ZX] ]] || return 1
  printf '%s\n' "${20}"
}

bw_proc_id() { printf '%s %s\n' "$1" "$(bw_proc_start "$1")"; }

# True when FILE names a live process other than this script.
bw_owner_is_other_live() {
  local pid start now
  [[ -r $1 ]] || return 1
  read -r pid start <"$1" || return 1
  [[ -n $pid && $pid != "$$" ]] || return 1
  now=$(bw_proc_start "$pid") || return 1
  [[ $now == "$start" ]]
}

# --- Redis -----------------------------------------------------------------

bw_redis_cli() {
  timeout 5 redis-cli -h 127.0.0.1 -p "$BW_REDIS_PORT" --no-auth-warning "$@"
}

# True when the Redis on BW_REDIS_PORT is the one with its data in .data/redis.
bw_redis_is_ours() {
  local dir
  dir=$(bw_redis_cli CONFIG GET dir 2>/dev/null | sed -n 2p) || return 1
  [[ -n $dir && $dir == "$(readlink -f "$BW_DATA/redis")" ]]
}

bw_redis_start() {
  if [[ -n ${REDIS_URL:-} ]]; then
    bw_log "redis: using REDIS_URL, no local Redis started"
    return 0
  fi
  BW_REDIS_PORT=${LOCAL_REDIS_PORT:-6379}
  local dir="$BW_DATA/redis" owner="$BW_DATA/redis.owner" i
  mkdir -p "$dir"

  if bw_port_in_use "$BW_REDIS_PORT"; then
    bw_redis_is_ours ||
      bw_die "port $BW_REDIS_PORT is taken by something that is not this checkout's Redis; set LOCAL_REDIS_PORT or REDIS_URL"
    BW_REDIS_PID=$(bw_redis_cli INFO server | tr -d '\r' | sed -n 's/^process_id://p')
    if bw_owner_is_other_live "$owner"; then
      bw_log "redis: sharing the local Redis on 127.0.0.1:$BW_REDIS_PORT of a run still going (pid $(cut -d' ' -f1 "$owner"))"
    else
      bw_log "redis: reusing the local Redis left running on 127.0.0.1:$BW_REDIS_PORT (pid $BW_REDIS_PID)"
      BW_REDIS_STARTED=1
      bw_proc_id "$$" >"$owner"
    fi
  else
    bw_redis_stop_stray "$dir" "$owner"
    # setsid: its own session, so a Ctrl-C in the terminal does not reach it
    # and it is stopped in order, after bakewind.
    setsid redis-server \
      --port "$BW_REDIS_PORT" --bind 127.0.0.1 --dir "$(readlink -f "$dir")" \
      --appendonly yes --maxmemory-policy noeviction --daemonize no \
      --logfile "$(readlink -f "$dir")/redis.log" \
      --pidfile "$(readlink -f "$dir")/redis.pid" \
      </dev/null >/dev/null 2>&1 &
    BW_REDIS_PID=$!
    BW_REDIS_STARTED=1
    bw_proc_id "$$" >"$owner"
    for ((i = 0; i < 100; i++)); do
      [[ $(bw_redis_cli PING 2>/dev/null) == PONG ]] && break
      bw_pid_alive "$BW_REDIS_PID" || break
      sleep 0.1
    done
    if [[ $(bw_redis_cli PING 2>/dev/null) != PONG ]]; then
      tail -n 20 "$dir/redis.log" >&2 || true
      BW_REDIS_STARTED=0
      rm -f "$owner"
      bw_die "redis: local Redis did not start on 127.0.0.1:$BW_REDIS_PORT (log: .data/redis/redis.log)"
    fi
    bw_log "redis: started on 127.0.0.1:$BW_REDIS_PORT (pid $BW_REDIS_PID, data .data/redis)"
  fi
  export REDIS_URL="redis://127.0.0.1:$BW_REDIS_PORT"
}

# A Redis of ours still running on another port (LOCAL_REDIS_PORT changed):
# two servers must never share one append-only file.
bw_redis_stop_stray() {
  local dir=$1 owner=$2 pid i
  pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
  bw_pid_alive "$pid" || return 0
  grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null || return 0
  [[ $(readlink -f "/proc/$pid/cwd") == "$(readlink -f "$dir")" ]] || return 0
  if bw_owner_is_other_live "$owner"; then
    bw_die "redis: the local Redis (pid $pid) runs on another port for a run still going; set LOCAL_REDIS_PORT to its port"
  fi
  bw_log "redis: stopping the local Redis left running on another port (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    bw_pid_alive "$pid" || return 0
    sleep 0.1
  done
  bw_die "redis: pid $pid did not stop"
}

bw_redis_stop() {
  ((BW_REDIS_STARTED)) || return 0
  BW_REDIS_STARTED=0
  # NOSAVE: no RDB snapshot; the append-only file keeps the data.
  bw_redis_cli SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  local i
  for ((i = 0; i < 100; i++)); do
    bw_pid_alive "$BW_REDIS_PID" || break
    sleep 0.1
  done
  if bw_pid_alive "$BW_REDIS_PID"; then
    kill "$BW_REDIS_PID" 2>/dev/null || true
  fi
  rm -f "$BW_DATA/redis.owner"
  bw_log "redis: stopped"
}

# --- PostgreSQL --------------------------------------------------------------

# Run a PostgreSQL server command as the postgres user (PostgreSQL refuses
# root), from / so that an unreadable working directory does not matter.
bw_as_pg() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

bw_pg_psql() {
  "$BW_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$BW_PG_PORT" -U postgres -d postgres "$@"
}

# Pick the cluster's folder: .data/pg when the postgres user can get there,
# else /var/lib/bakewind/<sha of the checkout path>/pg with .data/pg linked
# to it. Sets BW_PG_DIR to the real (resolved) path.
bw_pg_resolve_dir() {
  local link="$BW_DATA/pg"
  if [[ -L $link ]]; then
    BW_PG_DIR=$(readlink -f "$link")
  elif [[ -d $link ]] || ((EUID != 0)) ||
    runuser -u postgres -- test -x "$BW_DATA" 2>/dev/null; then
    BW_PG_DIR=$(readlink -f "$link")
  else
    local sha
    sha=$(printf '%s' "$ROOT" | sha256sum | cut -c1-16)
    BW_PG_DIR="/var/lib/bakewind/$sha/pg"
    ln -s "$BW_PG_DIR" "$link"
    bw_log "postgres: user postgres cannot reach $BW_DATA, so the cluster lives in $BW_PG_DIR (linked from .data/pg)"
  fi
  if [[ ! -d $BW_PG_DIR ]]; then
    mkdir -p "$BW_PG_DIR"
    # Only our own folders: the parents under /var/lib/bakewind must be
    # traversable by postgres. Never the user's home.
    case $BW_PG_DIR in
      /var/lib/bakewind/*) chmod 755 /var/lib/bakewind "$(dirname "$BW_PG_DIR")" ;;
    esac
  fi
  if ((EUID == 0)); then
    chown postgres:postgres "$BW_PG_DIR"
  fi
  chmod 700 "$BW_PG_DIR"
}

bw_pg_start() {
  if [[ -n ${DATABASE_URL:-} ]]; then
    bw_log "postgres: using DATABASE_URL, no local PostgreSQL started"
    return 0
  fi
  BW_PG_PORT=${LOCAL_PG_PORT:-5432}
  local owner="$BW_DATA/pg.owner" log
  mkdir -p "$BW_DATA"
  bw_pg_resolve_dir

  if [[ ! -f $BW_PG_DIR/PG_VERSION ]]; then
    # An empty folder, or what a failed initdb left: nothing to keep.
    find "$BW_PG_DIR" -mindepth 1 -delete
    bw_log "postgres: creating the cluster in .data/pg (once)"
    log=$(mktemp /tmp/bakewind-initdb.XXXXXX.log)
    if ! bw_as_pg "$BW_PG_BIN/initdb" -D "$BW_PG_DIR" -A trust -E UTF8 \
      --locale=C.UTF-8 -U postgres >"$log" 2>&1; then
      cat "$log" >&2
      bw_die "postgres: initdb failed"
    fi
    rm -f "$log"
  fi

  local sock=$BW_PG_DIR running=0 cur_port=""
  # Unix socket paths are limited to 107 bytes.
  if ((${#sock} > 90)); then
    sock="/tmp/bakewind-pg-$(printf '%s' "$BW_PG_DIR" | sha256sum | cut -c1-12)"
    mkdir -p "$sock"
    if ((EUID == 0)); then chown postgres:postgres "$sock"; fi
  fi

  if bw_as_pg "$BW_PG_BIN/pg_ctl" status -D "$BW_PG_DIR" >/dev/null 2>&1; then
    running=1
    cur_port=$(sed -n 4p "$BW_PG_DIR/postmaster.pid" 2>/dev/null || true)
    if [[ $cur_port != "$BW_PG_PORT" ]]; then
      if bw_owner_is_other_live "$owner"; then
        bw_die "postgres: the local PostgreSQL runs on port $cur_port for a run still going; use LOCAL_PG_PORT=$cur_port"
      fi
      bw_log "postgres: restarting the local PostgreSQL left running on port $cur_port, to use port $BW_PG_PORT"
      bw_as_pg "$BW_PG_BIN/pg_ctl" stop -D "$BW_PG_DIR" -m fast -w -t 60 >/dev/null
      running=0
    fi
  fi

  if ((running)); then
    if bw_owner_is_other_live "$owner"; then
      bw_log "postgres: sharing the local PostgreSQL on 127.0.0.1:$BW_PG_PORT of a run still going (pid $(cut -d' ' -f1 "$owner"))"
    else
      bw_log "postgres: reusing the local PostgreSQL left running on 127.0.0.1:$BW_PG_PORT"
      BW_PG_STARTED=1
      bw_proc_id "$$" >"$owner"
    fi
  else
    if bw_port_in_use "$BW_PG_PORT"; then
      bw_die "port $BW_PG_PORT is taken by something that is not this checkout's PostgreSQL; set LOCAL_PG_PORT or DATABASE_URL"
    fi
    BW_PG_STARTED=1
    bw_proc_id "$$" >"$owner"
    if ! bw_as_pg "$BW_PG_BIN/pg_ctl" start -w -t 60 -D "$BW_PG_DIR" \
      -l "$BW_PG_DIR/server.log" \
      -o "-c port=$BW_PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='$sock'" \
      >/dev/null; then
      tail -n 20 "$BW_PG_DIR/server.log" >&2 || true
      BW_PG_STARTED=0
      rm -f "$owner"
      bw_die "postgres: local PostgreSQL did not start on 127.0.0.1:$BW_PG_PORT (log: .data/pg/server.log)"
    fi
    bw_log "postgres: started on 127.0.0.1:$BW_PG_PORT (data .data/pg)"
  fi

  # Role and database, once (cheap to check every time).
  if [[ $(bw_pg_psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'bakewind'") != 1 ]]; then
    bw_pg_psql -c "CREATE ROLE bakewind WITH LOGIN PASSWORD 'bakewind'"
    bw_log "postgres: created role bakewind"
  fi
  if [[ $(bw_pg_psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'bakewind'") != 1 ]]; then
    bw_pg_psql -c "CREATE DATABASE bakewind OWNER bakewind"
    bw_log "postgres: created database bakewind"
  fi
  export DATABASE_URL="postgres://bakewind:bakewind@127.0.0.1:$BW_PG_PORT/bakewind"
}

bw_pg_stop() {
  ((BW_PG_STARTED)) || return 0
  BW_PG_STARTED=0
  bw_as_pg "$BW_PG_BIN/pg_ctl" stop -D "$BW_PG_DIR" -m fast -w -t 60 >/dev/null ||
    bw_log "postgres: pg_ctl stop failed"
  rm -f "$BW_DATA/pg.owner"
  bw_log "postgres: stopped"
}

# --- both --------------------------------------------------------------------

bw_services_start() {
  mkdir -p "$BW_DATA"
  bw_redis_start
  bw_pg_start
}

# bw_serve_threads: prints THREADS for a bakewind started after
# bw_services_start: the core count, less one when a local Redis or
# PostgreSQL shares these cores (at least 1). Redis answers on one thread and
# the server's loops wait on it: a loop per core leaves Redis, PostgreSQL and
# the loops taking turns on too few cores, and each loop's smaller batches
# cost more per request (bench/README.md, "One loop fewer beside local
# stores": on 2 cores one loop gave 60,500 `claim` req/s against 45,500).
bw_serve_threads() {
  local cores
  cores=$(nproc)
  if [[ -n $BW_REDIS_PORT || -n $BW_PG_PORT ]] && ((cores > 1)); then
    cores=$((cores - 1))
  fi
  printf '%s\n' "$cores"
}

# Safe to call more than once, and from an EXIT trap.
bw_services_stop() {
  bw_redis_stop
  bw_pg_stop
}
