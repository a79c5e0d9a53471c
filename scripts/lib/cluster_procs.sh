# shellcheck shell=bash
# scripts/cluster: its settings (ports from the environment) and the
# processes it starts. Every process is a direct child of the script, in a
# session of its own (a Ctrl-C in the terminal reaches only the script), and
# is recorded with its start time in .data/cluster/run.pids (or
# $CLUSTER_DIR/run.pids), so that only what this run started is ever stopped,
# and what a run killed with -9 left behind can be recognised and stopped by
# the next one.
# Needs common.sh and services.sh (bw_proc_start, bw_proc_id).

CL_DIR="$ROOT/.data/cluster" # cl_settings: CLUSTER_DIR overrides it
CL_RECORD="$CL_DIR/run.pids"
CL_REDIS_MODE=sentinel       # or cluster (scripts/cluster --cluster): set before cl_settings
CL_NAMES=()
CL_PIDS=()
declare -A CL_COMMANDS=() # NAME -> its command line, quoted (cl_respawn)
declare -A CL_LOGS=()     # NAME -> its log

# --- settings ----------------------------------------------------------------

# Sets the CL_* settings from the environment (defaults in brackets) and
# checks them: whole numbers 1..65535, no port used twice. Only the Redis
# ports of CL_REDIS_MODE count: the Sentinel ones, or the Cluster nodes' and
# their cluster bus ports (each node's port + 10000).
# shellcheck disable=SC2034 # the other cluster_*.sh use them
cl_settings() {
  CL_DIR=${CLUSTER_DIR:-$ROOT/.data/cluster}        # data, configs, logs, run.pids
  [[ $CL_DIR == /* ]] || CL_DIR="$PWD/$CL_DIR"
  CL_RECORD="$CL_DIR/run.pids"
  CL_PORT=${CLUSTER_PORT:-8080}                     # haproxy, the one entry point
  CL_STATS_PORT=${CLUSTER_STATS_PORT:-8404}         # haproxy's stats page
  read -r -a CL_API_PORTS <<<"${CLUSTER_API_PORTS:-8081 8082 8083}"
  CL_REDIS_PORT=${CLUSTER_REDIS_PORT:-6380}         # the first master
  CL_REPLICA_PORT=${CLUSTER_REPLICA_PORT:-6381}
  read -r -a CL_SENTINEL_PORTS <<<"${CLUSTER_SENTINEL_PORTS:-26380 26381 26382}"
  read -r -a CL_NODE_PORTS <<<"${CLUSTER_NODE_PORTS:-7000 7001 7002 7003 7004 7005}" # --cluster
  CL_PG_PORT=${CLUSTER_PG_PORT:-5433}
  CL_PGBOUNCER_PORT=${CLUSTER_PGBOUNCER_PORT:-6433}
  # Local development secrets, nothing more.
  CL_REDIS_ADMIN_PASSWORD=${CLUSTER_REDIS_ADMIN_PASSWORD:-bakewind-admin-local}
  CL_REDIS_PASSWORD=${CLUSTER_REDIS_PASSWORD:-bakewind-local}
  CL_JWT_SECRET=${CLUSTER_JWT_SECRET:-local-cluster-jwt-secret-for-development-only}
  CL_THREADS=${CLUSTER_THREADS:-1}

  ((${#CL_API_PORTS[@]} >= 1)) || bw_die "CLUSTER_API_PORTS names no port"
  local p seen=" " redis_ports=()
  if [[ $CL_REDIS_MODE == cluster ]]; then
    ((${#CL_NODE_PORTS[@]} == 6)) || bw_die "CLUSTER_NODE_PORTS must name 6 ports (3 masters, 3 replicas)"
    for p in "${CL_NODE_PORTS[@]}"; do
      [[ ! $p =~ ^[0-9]+$ ]] || ((p <= 55535)) || bw_die "CLUSTER_NODE_PORTS: $p + 10000 (its cluster bus port) is past 65535"
      redis_ports+=("$p" "$((${p//[!0-9]/} + 10000))")
    done
  else
    ((${#CL_SENTINEL_PORTS[@]} >= 1)) || bw_die "CLUSTER_SENTINEL_PORTS names no port"
    redis_ports=("$CL_REDIS_PORT" "$CL_REPLICA_PORT" "${CL_SENTINEL_PORTS[@]}")
  fi
  for p in "$CL_PORT" "$CL_STATS_PORT" "${CL_API_PORTS[@]}" "${redis_ports[@]}" \
    "$CL_PG_PORT" "$CL_PGBOUNCER_PORT"; do
    if [[ ! $p =~ ^[0-9]+$ ]] || ((p < 1 || p > 65535)); then
      bw_die "'$p' is not a port (CLUSTER_*PORT* variables take numbers 1..65535; lists are space-separated)"
    fi
    [[ $seen != *" $p "* ]] || bw_die "port $p is given twice in the CLUSTER_*PORT* variables"
    seen+="$p "
  done
}

# Refuses to go on when any port of the settings is taken, naming the variable.
cl_check_ports_free() {
  local taken=() var p
  cl_port_free() { bw_port_in_use "$2" && taken+=("$2 ($1)"); return 0; }
  cl_port_free CLUSTER_PORT "$CL_PORT"
  cl_port_free CLUSTER_STATS_PORT "$CL_STATS_PORT"
  for p in "${CL_API_PORTS[@]}"; do cl_port_free CLUSTER_API_PORTS "$p"; done
  if [[ $CL_REDIS_MODE == cluster ]]; then
    for p in "${CL_NODE_PORTS[@]}"; do
      cl_port_free CLUSTER_NODE_PORTS "$p"
      cl_port_free "CLUSTER_NODE_PORTS + 10000, cluster bus" "$((p + 10000))"
    done
  else
    cl_port_free CLUSTER_REDIS_PORT "$CL_REDIS_PORT"
    cl_port_free CLUSTER_REPLICA_PORT "$CL_REPLICA_PORT"
    for p in "${CL_SENTINEL_PORTS[@]}"; do cl_port_free CLUSTER_SENTINEL_PORTS "$p"; done
  fi
  cl_port_free CLUSTER_PG_PORT "$CL_PG_PORT"
  cl_port_free CLUSTER_PGBOUNCER_PORT "$CL_PGBOUNCER_PORT"
  ((${#taken[@]} == 0)) && return 0
  for var in "${taken[@]}"; do bw_log "port $var is taken"; done
  bw_die "cannot start: ${#taken[@]} port(s) in use (see above); stop what uses them or choose other ports with those variables"
}

# --- processes ---------------------------------------------------------------

# cl_spawn NAME LOG [--as-postgres] COMMAND...: starts COMMAND in the
# background, in its own session, from /, with stdout and stderr appended to
# LOG, and records it (a NAME started before, a restart, takes the place of
# the old process). Sets CL_LAST_PID.
cl_spawn() {
  local name=$1 log=$2
  shift 2
  if [[ $1 == --as-postgres ]]; then
    shift
    if ((EUID == 0)); then
      set -- setpriv --reuid=postgres --regid=postgres --init-groups "$@"
    fi
  fi
  CL_COMMANDS[$name]=$(printf '%q ' "$@")
  CL_LOGS[$name]=$log
  (cd / && exec setsid "$@" </dev/null >>"$log" 2>&1) &
  CL_LAST_PID=$!
  # Out of the job table: bash still reaps it, without a "Killed" notice.
  disown "$CL_LAST_PID"
  local i at=${#CL_NAMES[@]}
  for i in "${!CL_NAMES[@]}"; do
    [[ ${CL_NAMES[i]} == "$name" ]] && at=$i
  done
  CL_NAMES[at]=$name
  CL_PIDS[at]=$CL_LAST_PID
  printf '%s %s\n' "$name" "$(bw_proc_id "$CL_LAST_PID")" >>"$CL_RECORD"
}

# cl_respawn NAME: starts NAME again with the command and log it had.
cl_respawn() {
  local name=$1
  eval "set -- ${CL_COMMANDS[$name]}"
  cl_spawn "$name" "${CL_LOGS[$name]}" "$@"
}

# True while the process started as NAME runs (a zombie counts as gone).
cl_alive() {
  local i
  for i in "${!CL_NAMES[@]}"; do
    if [[ ${CL_NAMES[i]} == "$1" ]]; then
      bw_proc_start "${CL_PIDS[i]}" >/dev/null 2>&1
      return
    fi
  done
  return 1
}

cl_pid_of() {
  local i
  for i in "${!CL_NAMES[@]}"; do
    [[ ${CL_NAMES[i]} == "$1" ]] && printf '%s\n' "${CL_PIDS[i]}"
  done
}

# cl_wait_until NAME LOG SECONDS COMMAND...: waits until COMMAND succeeds;
# gives up (printing the end of LOG) when NAME exits or time runs out.
cl_wait_until() {
  local name=$1 log=$2 secs=$3 i
  shift 3
  for ((i = 0; i < secs * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    cl_alive "$name" || { tail -n 20 "$log" >&2 || true; bw_die "$name exited while starting (log: $log)"; }
    sleep 0.1
  done
  tail -n 20 "$log" >&2 || true
  bw_die "$name not ready after ${secs}s (log: $log)"
}

# Signal PID with SIG, wait up to SECS for it to end, then SIGKILL it.
cl_stop_pid() {
  local pid=$1 sig=$2 secs=$3 i
  kill -s "$sig" "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 10; i++)); do
    bw_proc_start "$pid" >/dev/null 2>&1 || return 0
    sleep 0.1
  done
  bw_log "pid $pid did not stop within ${secs}s after SIG$sig: killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# The signal and the time each kind of process gets to stop.
cl_stop_how() {
  case $1 in
    postgres) echo "INT 60" ;;      # fast shutdown
    bakewind-*) echo "TERM 20" ;;   # drains in-flight requests (SHUTDOWN_GRACE_MS)
    *) echo "TERM 15" ;;
  esac
}

# Stops everything this run started, in reverse order of start (haproxy,
# the instances, PgBouncer, PostgreSQL, the Sentinels, then the Redis nodes,
# the Cluster's replicas before its masters),
# waiting for each to be gone. Safe to call more than once.
cl_stop_all() {
  local i name pid how
  for ((i = ${#CL_PIDS[@]} - 1; i >= 0; i--)); do
    name=${CL_NAMES[i]}
    pid=${CL_PIDS[i]}
    if bw_proc_start "$pid" >/dev/null 2>&1; then
      read -r -a how <<<"$(cl_stop_how "$name")"
      bw_log "stopping $name (pid $pid)"
      cl_stop_pid "$pid" "${how[0]}" "${how[1]}"
    fi
  done
  CL_NAMES=()
  CL_PIDS=()
  rm -f "$CL_RECORD"
}

# Before starting: refuse when another run is going, and stop what a run that
# was killed (-9) left behind, recognised by pid and start time.
cl_take_over() {
  local name pid start owner_pid owner_start how
  mkdir -p "$CL_DIR"
  if [[ -r $CL_RECORD ]]; then
    read -r _ owner_pid owner_start <"$CL_RECORD" || true
    if [[ -n ${owner_pid:-} && $owner_pid != "$$" &&
      $(bw_proc_start "$owner_pid" 2>/dev/null) == "${owner_start:-}" ]]; then
      bw_die "another scripts/cluster is running (pid $owner_pid); stop it first (Ctrl-C in its terminal, or kill $owner_pid)"
    fi
    while read -r name pid start; do
      [[ $name != owner ]] || continue
      if [[ $(bw_proc_start "$pid" 2>/dev/null) == "$start" ]]; then
        bw_log "stopping $name (pid $pid) left running by an earlier run"
        read -r -a how <<<"$(cl_stop_how "$name")"
        cl_stop_pid "$pid" "${how[0]}" "${how[1]}"
      fi
    done <"$CL_RECORD"
  fi
  printf 'owner %s\n' "$(bw_proc_id "$$")" >"$CL_RECORD"
}
