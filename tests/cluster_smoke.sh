#!/usr/bin/env bash
# ctest cluster_smoke: scripts/cluster --cluster end to end, on free ports and
# in a temporary folder (CLUSTER_DIR), with the given binary (CLUSTER_BIN: no
# package install, no build). Waits for haproxy's /health/ready to answer
# 200, registers a bakery, makes authenticated requests (me, an order, its
# lock), kills an API instance and PgBouncer and waits for the script to
# start them again, sends SIGINT and checks that the script and every
# process it recorded have exited and their ports are free. Whatever happens, the EXIT
# trap stops what is left and removes the folder.
#
# With --sentinel, scripts/cluster (Redis master, replica and Sentinels)
# instead, and it also kills the Redis master: the Sentinels promote the
# replica, and the script brings the old master back as its replica.
#
# Usage: tests/cluster_smoke.sh BAKEWIND_BINARY [--sentinel]
# Exits 0 on success, 77 (skipped) when a needed program is missing, 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:?usage: tests/cluster_smoke.sh BAKEWIND_BINARY [--sentinel]}
MODE=cluster
[[ ${2:-} == --sentinel ]] && MODE=sentinel
START_SECS=90 # the whole start, the PostgreSQL cluster's creation included
STOP_SECS=60

say() { printf '[cluster_smoke] %s\n' "$*"; }
fail() { say "FAILED: $*"; exit 1; }

for tool in redis-server redis-cli haproxy pgbouncer curl python3 /usr/lib/postgresql/15/bin/postgres; do
  command -v "$tool" >/dev/null || { say "skipped: $tool not found (scripts/lib/deps.sh installs it)"; exit 77; }
done
[[ -x $BIN ]] || fail "$BIN is not an executable"

tmp=$(mktemp -d /tmp/bakewind-cluster-smoke.XXXXXX)
chmod 755 "$tmp" # PostgreSQL runs as postgres (when we are root) with its data in here
script_pid=""

# Ends every process the run recorded (pid and start time) that is still there.
kill_recorded() {
  local name pid start stat
  [[ -r $tmp/cluster/run.pids ]] || return 0
  while read -r name pid start; do
    [[ $name != owner ]] || continue
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    # shellcheck disable=SC2086 # split the fields on purpose
    set -- $stat
    if [[ ${20} == "$start" ]]; then
      say "killing $name (pid $pid), left running"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done <"$tmp/cluster/run.pids"
}

# SIGKILLs the process the run recorded last as NAME (the latest, after restarts).
kill_one() {
  local pid
  pid=$(awk -v name="$1" '$1 == name { pid = $2 } END { print pid }' "$CLUSTER_DIR/run.pids")
  [[ -n $pid ]] || fail "$1 is not recorded"
  kill -KILL "$pid"
}

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  if [[ -n $script_pid ]] && kill -0 "$script_pid" 2>/dev/null; then
    kill -TERM "$script_pid" 2>/dev/null || true
    for ((i = 0; i < STOP_SECS * 10; i++)); do kill -0 "$script_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$script_pid" 2>/dev/null || true
  fi
  kill_recorded
  if ((rc != 0)) && [[ -f $tmp/cluster.log ]]; then
    say "scripts/cluster's output:"
    tail -n 40 "$tmp/cluster.log" || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 9 ports (haproxy and its stats, 3 instances, PostgreSQL, PgBouncer, the
# website and the dashboard of the first instance), and 6 Redis Cluster node
# ports whose port + 10000 (cluster bus) is free too, or for --sentinel 5
# more (master, replica, 3 Sentinels), all distinct. All below
# the kernel's range for outgoing connections: the cluster's own clients (the
# nodes' bus links, PgBouncer, the instances) take source ports from that
# range, and one took a chosen port before an instance could bind it.
read -r -a ports < <(python3 - "$MODE" <<'EOF'
import random, socket
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    end = int(f.read().split()[0])
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
taken, out = set(), []
def pick(bus):
    while True:
        p = random.randint(10000, end - 1 - (10000 if bus else 0))
        group = {p, p + 10000} if bus else {p}
        if not group & taken and all(free(q) for q in group):
            taken.update(group)
            return p
import sys
cluster = sys.argv[1] == "cluster"
out = [pick(False) for _ in range(9)] + [pick(cluster) for _ in range(6 if cluster else 5)]
print(" ".join(map(str, out)))
EOF
)
want_ports=14
[[ $MODE == cluster ]] && want_ports=15
((${#ports[@]} == want_ports)) || fail "could not choose free ports"
haproxy_port=${ports[0]}
export CLUSTER_DIR="$tmp/cluster" CLUSTER_BIN="$BIN" DEMO_DATA=off \
  CLUSTER_PORT=$haproxy_port CLUSTER_STATS_PORT=${ports[1]} \
  CLUSTER_API_PORTS="${ports[2]} ${ports[3]} ${ports[4]}" \
  CLUSTER_PG_PORT=${ports[5]} CLUSTER_PGBOUNCER_PORT=${ports[6]} \
  SITE_PORT=${ports[7]} ADMIN_PORT=${ports[8]}
if [[ $MODE == cluster ]]; then
  export CLUSTER_NODE_PORTS="${ports[*]:9:6}"
  cluster_args=(--cluster)
  redis_ports="nodes ${CLUSTER_NODE_PORTS}"
else
  export CLUSTER_REDIS_PORT=${ports[9]} CLUSTER_REPLICA_PORT=${ports[10]} CLUSTER_SENTINEL_PORTS="${ports[*]:11:3}"
  cluster_args=()
  redis_ports="master $CLUSTER_REDIS_PORT, replica $CLUSTER_REPLICA_PORT, Sentinels $CLUSTER_SENTINEL_PORTS"
fi
api="http://127.0.0.1:$haproxy_port"

# A background job starts with SIGINT ignored (no job control here), and a
# shell cannot trap a signal ignored on entry: give it back its default
# disposition, so that the script gets SIGINT as from a terminal's Ctrl-C.
started=$(date +%s.%N)
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
  "$ROOT/scripts/cluster" "${cluster_args[@]}" >"$tmp/cluster.log" 2>&1 &
script_pid=$!
say "scripts/cluster ${cluster_args[*]} started (pid $script_pid), haproxy on $haproxy_port, Redis $redis_ports"

deadline=$((SECONDS + START_SECS))
until [[ $(curl -s -m 2 -o /dev/null -w '%{http_code}' "$api/health/ready" || true) == 200 ]] &&
  grep -q 'Ctrl-C stops everything' "$tmp/cluster.log"; do
  kill -0 "$script_pid" 2>/dev/null || fail "scripts/cluster exited while starting"
  ((SECONDS < deadline)) || fail "not ready after ${START_SECS}s"
  sleep 0.3
done
say "ready through haproxy after $(python3 -c "import time; print(round(time.time() - $started, 1))")s"
if [[ $MODE == cluster ]]; then
  grep -c 'Redis node [1-6] .* master, slots' "$tmp/cluster.log" | grep -qx 3 || fail "the summary does not list 3 masters"
  grep -c 'Redis node [1-6] .* replica of' "$tmp/cluster.log" | grep -qx 3 || fail "the summary does not list 3 replicas"
fi

health=$(curl -s -m 5 "$api/health")
[[ $health == *'"connected":true'* ]] || fail "/health: Redis not connected: $health"

json() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
reg=$(curl -s -m 10 -X POST "$api/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"smoke@example.test","password":"smoke-password","name":"Smoke","bakeryName":"Smoke Bakery"}')
token=$(json accessToken <<<"$reg") || fail "register: $reg"
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "${auth[@]}" "$api/api/v1/auth/me")
[[ $code == 200 ]] || fail "GET /api/v1/auth/me: $code"
order=$(curl -s -m 10 -X POST "${auth[@]}" "$api/api/v1/orders" \
  -d '{"customerName":"Smoke","items":[{"product":"bread","quantity":1,"unitPriceCents":250}]}')
order_id=$(json id <<<"$order") || fail "POST /api/v1/orders: $order"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "${auth[@]}" "$api/api/v1/orders/$order_id/lock" \
  -d '{"sessionId":"smoke-tab"}')
[[ $code == 201 ]] || fail "POST /api/v1/orders/$order_id/lock: $code"
say "registered, GET /auth/me 200, order created and locked (201)"

# Quiet logs: haproxy writes no line for a request answered normally,
# PgBouncer none per client connection.
! grep -q ' 200 ' "$CLUSTER_DIR/haproxy/haproxy.log" || fail "haproxy logged a normal request: $(grep -m1 ' 200 ' "$CLUSTER_DIR/haproxy/haproxy.log")"
pgb_log=$(find "$CLUSTER_DIR" -name pgbouncer.log | head -n 1)
[[ -n $pgb_log ]] || fail "no pgbouncer.log under $CLUSTER_DIR"
! grep -q 'login attempt' "$pgb_log" || fail "pgbouncer logged a client connection: $(grep -m1 'login attempt' "$pgb_log")"
say "haproxy and PgBouncer logged no line for normal requests and connections"

# An API instance that dies is started again by the script (after 1 s) and
# serves again, without a hand.
killed_at=$(date +%s.%N)
kill_one bakewind-2
deadline=$((SECONDS + 30))
until grep -q 'bakewind-2 started again' "$tmp/cluster.log" &&
  [[ $(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[3]}/health/ready" || true) == 200 ]]; do
  ((SECONDS < deadline)) || fail "bakewind-2 was not serving again 30 s after SIGKILL"
  sleep 0.2
done
say "bakewind-2 SIGKILLed: started again and ready after $(python3 -c "import time; print(round(time.time() - $killed_at, 1))")s"

# PgBouncer dies: started again too, and what needs PostgreSQL works again.
kill_one pgbouncer
deadline=$((SECONDS + 30))
until grep -q 'pgbouncer started again' "$tmp/cluster.log" &&
  [[ $(curl -s -m 5 -o /dev/null -w '%{http_code}' "${auth[@]}" "$api/api/v1/orders/$order_id" || true) == 200 ]]; do
  ((SECONDS < deadline)) || fail "PgBouncer was not serving again 30 s after SIGKILL"
  sleep 0.2
done
say "PgBouncer SIGKILLed: started again, GET /api/v1/orders/{id} 200"

# Started: 3 instances, haproxy, PostgreSQL, PgBouncer, and 6 Redis Cluster
# nodes or 5 Redis processes (master, replica, Sentinels); then bakewind-2
# and PgBouncer again.
expected_processes=14
[[ $MODE == sentinel ]] && expected_processes=13
if [[ $MODE == sentinel ]]; then
  # The Redis master dies: the Sentinels promote the replica, and the script
  # starts the old master again as the new master's replica, never as a
  # second master.
  redis_admin() { REDISCLI_AUTH=bakewind-admin-local timeout 5 redis-cli -h 127.0.0.1 -p "$@"; }
  kill_one redis-master
  deadline=$((SECONDS + 40))
  until [[ $(timeout 5 redis-cli -p "${ports[11]}" SENTINEL get-master-addr-by-name bakewind 2>/dev/null | sed -n 2p) == "$CLUSTER_REPLICA_PORT" ]]; do
    ((SECONDS < deadline)) || fail "the Sentinels did not promote the replica within 40 s"
    sleep 0.3
  done
  until grep -q 'redis-master started again' "$tmp/cluster.log" &&
    redis_admin "$CLUSTER_REDIS_PORT" INFO replication 2>/dev/null | tr -d '\r' | grep -qx "master_port:$CLUSTER_REPLICA_PORT"; do
    ((SECONDS < deadline)) || fail "the old master is not a replica of :$CLUSTER_REPLICA_PORT 40 s after SIGKILL"
    sleep 0.3
  done
  role=$(redis_admin "$CLUSTER_REDIS_PORT" ROLE | head -n 1)
  [[ $role == slave ]] || fail "the old master came back as $role"
  grep -q "redis-master: back as a replica of 127.0.0.1:$CLUSTER_REPLICA_PORT" "$tmp/cluster.log" ||
    fail "the script did not say it brought the old master back as a replica"
  code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "${auth[@]}" "$api/api/v1/auth/me")
  [[ $code == 200 ]] || fail "GET /api/v1/auth/me after the failover: $code"
  say "Redis master SIGKILLed: the replica promoted, the old master back as its replica"
  expected_processes=$((expected_processes + 1)) # redis-master again
fi

mapfile -t recorded < <(awk '$1 != "owner" { print $2 }' "$CLUSTER_DIR/run.pids")
((${#recorded[@]} == expected_processes)) || fail "expected $expected_processes recorded processes, found ${#recorded[@]}"
kill -INT "$script_pid"
stopping=$((SECONDS + STOP_SECS))
while kill -0 "$script_pid" 2>/dev/null; do
  ((SECONDS < stopping)) || fail "scripts/cluster still running ${STOP_SECS}s after SIGINT"
  sleep 0.1
done
rc=0
wait "$script_pid" || rc=$?
script_pid=""
grep -q 'all stopped' "$tmp/cluster.log" || fail "scripts/cluster ended (exit $rc) without 'all stopped'"
for pid in "${recorded[@]}"; do
  [[ ! -d /proc/$pid ]] || [[ $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null) == [ZX] ]] ||
    fail "pid $pid is still running after the stop"
done
bus=()
if [[ $MODE == cluster ]]; then
  for port in "${ports[@]:9:6}"; do bus+=("$((port + 10000))"); done
fi
for port in "${ports[@]}" "${bus[@]}"; do
  ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "port $port is still open"
done
say "SIGINT: the script and its ${#recorded[@]} processes exited, their ports are closed"
say "passed in $(python3 -c "import time; print(round(time.time() - $started, 1))")s"
