#!/usr/bin/env bash
# ctest cluster_smoke: scripts/cluster --cluster end to end, on free ports and
# in a temporary folder (CLUSTER_DIR), with the given binary (CLUSTER_BIN: no
# package install, no build). Waits for haproxy's /health/ready to answer
# 200, registers a bakery, makes authenticated requests (me, an order, its
# lock), sends SIGINT and checks that the script and every process it
# recorded have exited and their ports are free. Whatever happens, the EXIT
# trap stops what is left and removes the folder.
#
# Usage: tests/cluster_smoke.sh BAKEWIND_BINARY
# Exits 0 on success, 77 (skipped) when a needed program is missing, 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:?usage: tests/cluster_smoke.sh BAKEWIND_BINARY}
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
# ports whose port + 10000 (cluster bus) is free too, all distinct. All below
# the kernel's range for outgoing connections: the cluster's own clients (the
# nodes' bus links, PgBouncer, the instances) take source ports from that
# range, and one took a chosen port before an instance could bind it.
read -r -a ports < <(python3 - <<'EOF'
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
out = [pick(False) for _ in range(9)] + [pick(True) for _ in range(6)]
print(" ".join(map(str, out)))
EOF
)
((${#ports[@]} == 15)) || fail "could not choose free ports"
haproxy_port=${ports[0]}
export CLUSTER_DIR="$tmp/cluster" CLUSTER_BIN="$BIN" DEMO_DATA=off \
  CLUSTER_PORT=$haproxy_port CLUSTER_STATS_PORT=${ports[1]} \
  CLUSTER_API_PORTS="${ports[2]} ${ports[3]} ${ports[4]}" \
  CLUSTER_PG_PORT=${ports[5]} CLUSTER_PGBOUNCER_PORT=${ports[6]} \
  SITE_PORT=${ports[7]} ADMIN_PORT=${ports[8]} \
  CLUSTER_NODE_PORTS="${ports[*]:9:6}"
api="http://127.0.0.1:$haproxy_port"

# A background job starts with SIGINT ignored (no job control here), and a
# shell cannot trap a signal ignored on entry: give it back its default
# disposition, so that the script gets SIGINT as from a terminal's Ctrl-C.
started=$(date +%s.%N)
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
  "$ROOT/scripts/cluster" --cluster >"$tmp/cluster.log" 2>&1 &
script_pid=$!
say "scripts/cluster --cluster started (pid $script_pid), haproxy on $haproxy_port, nodes ${CLUSTER_NODE_PORTS}"

deadline=$((SECONDS + START_SECS))
until [[ $(curl -s -m 2 -o /dev/null -w '%{http_code}' "$api/health/ready" || true) == 200 ]] &&
  grep -q 'Ctrl-C stops everything' "$tmp/cluster.log"; do
  kill -0 "$script_pid" 2>/dev/null || fail "scripts/cluster exited while starting"
  ((SECONDS < deadline)) || fail "not ready after ${START_SECS}s"
  sleep 0.3
done
say "ready through haproxy after $(python3 -c "import time; print(round(time.time() - $started, 1))")s"
grep -c 'Redis node [1-6] .* master, slots' "$tmp/cluster.log" | grep -qx 3 || fail "the summary does not list 3 masters"
grep -c 'Redis node [1-6] .* replica of' "$tmp/cluster.log" | grep -qx 3 || fail "the summary does not list 3 replicas"

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

mapfile -t recorded < <(awk '$1 != "owner" { print $2 }' "$CLUSTER_DIR/run.pids")
((${#recorded[@]} == 12)) || fail "expected 12 recorded processes, found ${#recorded[@]}"
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
for port in "${ports[@]:9:6}"; do bus+=("$((port + 10000))"); done
for port in "${ports[@]}" "${bus[@]}"; do
  ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "port $port is still open"
done
say "SIGINT: the script and its ${#recorded[@]} processes exited, their ports are closed"
say "passed in $(python3 -c "import time; print(round(time.time() - $started, 1))")s"
