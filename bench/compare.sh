#!/usr/bin/env bash
# BakeWind against the NestJS reference (shared/anchors), on this machine, in
# one run: the release build on local Redis and PostgreSQL, then the tuned
# reference (JWT_KEYOBJECT=true), each driven by the anchor's wrk benchmark
# with the same settings while the other is stopped; then the ratios against
# the goals of issue 9. Also measured: the raw ceiling (GET /health/live, a
# route that touches nothing), `me` at 1,024 connections, `me` at a fixed
# offered rate (OPEN_RATE, 10,000 req/s: open loop, bench/open_loop.cpp) at 64
# and 1,024 connections, idle and loaded RSS, and Redis memory per revoked
# token for both.
#
#   bench/compare.sh                          # every scenario, REPEAT=3 (about 6 min)
#   SCENARIOS="me claim" REPEAT=1 bench/compare.sh
#
# Results: bench/results/compare-<time>-{bakewind,nestref,bakewind-c1024}.json
# and the printed table. Rate limits are off on both sides.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
# shellcheck source=../scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh"
# shellcheck source=../scripts/lib/build.sh
source "$ROOT/scripts/lib/build.sh"
# shellcheck source=../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"

ANCHORS=${ANCHORS:-$ROOT/../shared/anchors}
[[ -f $ANCHORS/bench/bench.sh && -x $ANCHORS/nest-ref/start.sh ]] || bw_die "no anchors at $ANCHORS (set ANCHORS)"
PORT=${BENCH_PORT:-8181}
REF_URL=http://127.0.0.1:3100
export SCENARIOS=${SCENARIOS:-"me order_get lock_cycle claim"} REPEAT=${REPEAT:-3}
OPEN_RATE=${OPEN_RATE:-10000}
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
FACTS=$RESULTS/compare-$STAMP-facts.json

serve_pid=""
ref_started=0
cleanup() {
  if [[ -n $serve_pid ]]; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
    serve_pid=""
  fi
  bw_services_stop
  if ((ref_started)); then "$ANCHORS/nest-ref/stop.sh" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }

# register through the API; prints the new owner's access token.
new_token() {
  local base=$1 email body
  email="bench-$RANDOM$RANDOM@example.com"
  body=$(curl -fs -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"bench-password-1\",\"name\":\"Bench\",\"bakeryName\":\"Bench\"}" \
    "$base/api/v1/auth/register")
  node -e 'console.log(JSON.parse(process.argv[1]).accessToken)' "$body"
}

# register + logout through the API; prints the revoked access token.
revoked_token() {
  local base=$1 token
  token=$(new_token "$base")
  curl -fs -o /dev/null -X POST -H "Authorization: Bearer $token" "$base/api/v1/auth/logout"
  printf '%s' "$token"
}

# GET /auth/me at OPEN_RATE requests per second over $2 connections, open
# loop (bench/open_loop.cpp): one JSON object, or null if it could not run.
open_loop() {
  "$ROOT/build/bench/open_loop" "$PORT" "$2" "$OPEN_RATE" 10 2 "$1" 2>/dev/null || true
}

# wrk on a route that does no work: how fast this machine answers HTTP at all.
ceiling() {
  wrk -t1 -c64 -d10s --latency "$1" 2>&1 | awk '
    /Requests\/sec/ { rps = $2 }
    $1 == "99%" { p99 = $2 }
    END { printf "{\"rps\": %s, \"p99\": \"%s\"}", rps, p99 }'
}

bw_deps
bw_build bakewind open_loop
bw_require_binary

# ---------------------------------------------------------------- BakeWind
bw_services_start
"$BAKEWIND_BIN" migrate >/dev/null
# What autovacuum would have done by now: the local PostgreSQL is stopped
# after each run, so the dead rows of earlier runs' lock churn would pile up
# (order_locks at 430,000 dead rows took lock_cycle from 6,200 to 4,500
# req/s). The reference's database gets the same below.
bw_pg_psql -d bakewind -c "VACUUM ANALYZE" >/dev/null
ulimit -n 65536 2>/dev/null || true
RATE_LIMITS=off LOG_LEVEL=warn PORT=$PORT HOST=127.0.0.1 "$BAKEWIND_BIN" serve &
serve_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null || bw_die "bakewind did not become ready on :$PORT"
sleep 2
idle_rss=$(rss_kib "$serve_pid")

bw_log "raw ceiling: GET /health/live"
ceiling_json=$(ceiling "http://127.0.0.1:$PORT/health/live")

token=$(revoked_token "http://127.0.0.1:$PORT")
# Its key as README "Redis keys" names it: auth:revoked:{<userId>}:<jti>, each
# UUID written as its 16 bytes in base64url.
our_key=$(node -e '
const p = JSON.parse(Buffer.from(process.argv[1].split(".")[1], "base64url"));
const compact = (uuid) => Buffer.from(uuid.replace(/-/g, ""), "hex").toString("base64url");
console.log(`auth:revoked:{${compact(p.sub)}}:${compact(p.jti)}`);' "$token")
our_bytes=$(bw_redis_cli MEMORY USAGE "$our_key")

bw_log "BakeWind: $SCENARIOS (REPEAT=$REPEAT)"
OUT=$RESULTS/compare-$STAMP-bakewind.json bash "$ANCHORS/bench/bench.sh" "http://127.0.0.1:$PORT"
loaded_rss=$(rss_kib "$serve_pid")

bw_log "BakeWind: me at 1024 connections"
CONNS=1024 THREADS=2 SCENARIOS=me REPEAT=1 OUT=$RESULTS/compare-$STAMP-bakewind-c1024.json \
  bash "$ANCHORS/bench/bench.sh" "http://127.0.0.1:$PORT"

bw_log "BakeWind: me at a fixed $OPEN_RATE req/s (open loop), 64 and 1024 connections"
live=$(new_token "http://127.0.0.1:$PORT")
open_c64=$(open_loop "$live" 64)
open_c1024=$(open_loop "$live" 1024)
cleanup

# --------------------------------------------------------------- reference
bw_log "NestJS reference (JWT_KEYOBJECT=true)"
ref_started=1
JWT_KEYOBJECT=true "$ANCHORS/nest-ref/start.sh"
"$BW_PG_BIN/psql" -X -q -h 127.0.0.1 -p 5441 -U postgres -d bakewind -c "VACUUM ANALYZE" >/dev/null ||
  bw_log "could not vacuum the reference's database (measured as it is)"
ref_token=$(revoked_token "$REF_URL")
ref_bytes=$(redis-cli -p 6391 MEMORY USAGE "blacklist:token:$ref_token")
OUT=$RESULTS/compare-$STAMP-nestref.json bash "$ANCHORS/bench/bench.sh" "$REF_URL"
"$ANCHORS/nest-ref/stop.sh" >/dev/null
ref_started=0

cat >"$FACTS" <<EOF
{"idle_rss_kib": $idle_rss, "loaded_rss_kib": $loaded_rss, "ceiling": $ceiling_json,
 "revoked_key_bytes": {"bakewind": ${our_bytes:-0}, "nestref": ${ref_bytes:-0}},
 "open_loop": {"rate": $OPEN_RATE, "c64": ${open_c64:-null}, "c1024": ${open_c1024:-null}},
 "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')", "cores": $(nproc)}
EOF

node "$ROOT/bench/compare_report.mjs" "$RESULTS/compare-$STAMP-bakewind.json" "$RESULTS/compare-$STAMP-nestref.json" \
  "$RESULTS/compare-$STAMP-bakewind-c1024.json" "$FACTS"
