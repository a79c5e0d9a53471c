#!/usr/bin/env bash
# Instructions per request, counted by callgrind: the release build on one
# event loop (THREADS=1), otherwise as scripts/run starts it (access log on,
# to a file), on local Redis and PostgreSQL. Instrumentation is switched on
# only while bench/drive.mjs sends its cycles one after another over one
# keep-alive connection: start-up, registration and warm-up are not counted.
# Deterministic where wrk's figures swing with whatever else the two cores
# run, so it is how issue 20's changes were judged before a wrk run.
#
#   WHAT=me bench/callgrind.sh            # GET /auth/me; also get, lock, claim, create
#   WHAT=lock N=300 BIN=/tmp/old-bakewind bench/callgrind.sh   # another binary
#
# Prints the instructions per request (a lock or claim cycle is two) and
# where the profile is; `callgrind_annotate --inclusive=yes FILE` shows where
# they go.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

command -v valgrind >/dev/null || bw_die "needs valgrind (apt-get install valgrind)"
WHAT=${WHAT:-me}
N=${N:-500}
PORT=${BENCH_PORT:-8181}
BASE=http://127.0.0.1:$PORT
OUT=${OUT:-$ROOT/bench/results/callgrind-$WHAT-$(date +%Y%m%d-%H%M%S).out}
case $WHAT in
  lock | claim) per_cycle=2 ;;
  me | get | create) per_cycle=1 ;;
  *) bw_die "WHAT is one of me, get, lock, claim, create" ;;
esac
mkdir -p "$(dirname "$OUT")"

if [[ -z ${BIN:-} ]]; then
  bw_build bakewind
  bw_require_binary
  BIN=$BAKEWIND_BIN
fi
bw_services_start
serve_pid=""
cleanup() {
  [[ -z $serve_pid ]] || { kill -TERM "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; }
  bw_services_stop
}
trap cleanup EXIT
"$BIN" migrate >/dev/null

# vgdb names the server's control pipe after USER and HOST in its
# environment: HOST is the server's bind address, so callgrind_control is
# run with the same HOST to find it.
export USER=${USER:-$(id -un)} LOGNAME=${LOGNAME:-$(id -un)}
env SITE_PORT=0 ADMIN_PORT=0 RATE_LIMITS=off THREADS=1 PORT="$PORT" HOST=127.0.0.1 \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" "$BIN" serve >"$OUT.log" 2>&1 &
serve_pid=$!
bench_ready "$PORT" 60 || bw_die "bakewind under valgrind did not become ready (log: $OUT.log)"

account=$(curl -fs -H 'Content-Type: application/json' \
  -d "{\"email\":\"callgrind-$RANDOM$RANDOM@example.com\",\"password\":\"bench-password-1\",\"name\":\"Bench\",\"bakeryName\":\"Bench\"}" \
  "$BASE/api/v1/auth/register")
field() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$1" "$2"; }
access=$(field "$account" accessToken)
refresh=$(field "$account" refreshToken)
order=$(curl -fs -H "Authorization: Bearer $access" -H 'Content-Type: application/json' \
  -d '{"customerName":"Bench","items":[{"product":"Rye","quantity":1,"unitPriceCents":450}]}' "$BASE/api/v1/orders")
order_id=$(field "$order" id)

drive() { node "$ROOT/bench/drive.mjs" "$BASE" "$access" "$refresh" "$order_id" "$1" "$WHAT"; }
drive 20 # warm: caches filled, statements prepared
HOST=127.0.0.1 callgrind_control -i on "$serve_pid" >/dev/null 2>&1
drive "$N"
HOST=127.0.0.1 callgrind_control -i off "$serve_pid" >/dev/null 2>&1
kill -TERM "$serve_pid"
wait "$serve_pid" || true
serve_pid=""

total=$(callgrind_annotate "$OUT" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(/,/, "", $1); print $1 }')
echo "$WHAT: $((total / (N * per_cycle))) instructions per request ($N cycles; profile $OUT)"
