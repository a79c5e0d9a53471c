#!/usr/bin/env bash
# Load benchmark of the HTTP API: the release build, served with local Redis
# and PostgreSQL (scripts/run's .data services), driven by the wrk benchmark
# in shared/anchors/bench (the yardstick the NestJS reference was measured with).
#
#   bench/api.sh                      # scenarios "me claim", 64 connections, 10 s each
#   SCENARIOS="me" REPEAT=3 bench/api.sh
#
# Rate limits are off and request logging is at warn (the reference logs no
# requests either); everything else is the default configuration.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

ANCHOR_BENCH=${ANCHOR_BENCH:-$ROOT/../shared/anchors/bench/bench.sh}
[[ -x $ANCHOR_BENCH || -f $ANCHOR_BENCH ]] || bw_die "no benchmark at $ANCHOR_BENCH (set ANCHOR_BENCH)"
PORT=${BENCH_PORT:-8181}

serve_pid=""
cleanup() {
  if [[ -n $serve_pid ]]; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  bw_services_stop
}
trap cleanup EXIT

bw_deps
bw_build
bw_require_binary
bw_services_start
"$BAKEWIND_BIN" migrate >/dev/null

RATE_LIMITS=off LOG_LEVEL=warn PORT=$PORT HOST=127.0.0.1 "$BAKEWIND_BIN" serve &
serve_pid=$!
bench_ready "$PORT" 10 || bw_die "bakewind did not become ready on :$PORT"

export SCENARIOS=${SCENARIOS:-"me claim"} ORDERS=${ORDERS:-0}
export OUT=${OUT:-$ROOT/bench/results/api-$(date +%Y%m%d-%H%M%S).json}
bash "$ANCHOR_BENCH" "http://127.0.0.1:$PORT"
