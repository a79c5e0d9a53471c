#!/usr/bin/env bash
# BakeWind against the NestJS reference (shared/anchors) and against what
# this machine allows, in one run, judged by the goals of issue 20. BakeWind
# runs in its default configuration, as scripts/run starts it (every
# variable at its default, so the access log is on at LOG_LEVEL info, its
# lines going to a file), on local Redis and PostgreSQL; the one exception
# on both sides is RATE_LIMITS=off (the reference's start.sh does the same),
# since a load test is one client hammering one account. In order:
#
#   1. the raw ceiling: bench/raw_ceiling (a minimal one-thread Beast server,
#      the server's flags) under wrk with the `me` scenario's settings;
#   2. BakeWind: idle RSS, our own HTTP layer's ceiling (GET /health/live),
#      Redis bytes per revoked token, the anchor's wrk benchmark
#      (SCENARIOS, REPEAT), RSS after it, `me` at 1,024 connections, and
#      `me` at a fixed offered rate of a quarter of the raw ceiling (open
#      loop, bench/open_loop.cpp) over 1,024 and 64 connections;
#   3. logging: `me` on that server and on a second one started with
#      LOG_LEVEL=warn, REPEAT runs each, alternating, so that the machine's
#      drift falls on both alike;
#   4. abuse: a fresh server (MAX_CONNECTIONS raised to hold them, else
#      default), `me` alone and while bench/abuse_client holds WS idle
#      WebSockets and SLOW slowloris connections, with its RSS;
#   5. the tuned reference (JWT_KEYOBJECT=true) with BakeWind stopped, the
#      same benchmark, and its Redis bytes per revoked token.
# Then bench/compare_report.mjs prints the table and each goal MET or NOT MET.
#
#   bench/compare.sh                          # every scenario, REPEAT=3 (about 10 min)
#   SCENARIOS="me claim" REPEAT=1 bench/compare.sh
#   OPEN_RATE=10000 WS=1000 SLOW=500 bench/compare.sh   # a fixed open-loop rate, fewer abusers
#
# Results: bench/results/compare-<time>-{bakewind,nestref,bakewind-c1024,facts}.json
# and the printed table.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

ANCHORS=${ANCHORS:-$ROOT/../shared/anchors}
[[ -f $ANCHORS/bench/bench.sh && -x $ANCHORS/nest-ref/start.sh ]] || bw_die "no anchors at $ANCHORS (set ANCHORS)"
PORT=${BENCH_PORT:-8181}
WARN_PORT=$((PORT + 1))
RAW_PORT=$((PORT + 2))
REF_URL=http://127.0.0.1:3100
export SCENARIOS=${SCENARIOS:-"me order_get lock_cycle claim"} REPEAT=${REPEAT:-3}
WS=${WS:-10000}
SLOW=${SLOW:-2000}
# The caller's THREADS, CONNS or DURATION would reach BakeWind (THREADS is
# its event-loop count) or the anchor's bench.sh: neither is what is measured.
unset THREADS CONNS DURATION
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
FACTS=$RESULTS/compare-$STAMP-facts.json
WORK=$(mktemp -d /tmp/bakewind-compare.XXXXXX)

raw_pid=""
serve_pid=""
warn_pid=""
abuse_pid=""
ref_started=0
stop_ours() {
  bench_stop "$raw_pid"
  bench_stop "$serve_pid"
  bench_stop "$warn_pid"
  bench_stop "$abuse_pid"
  raw_pid="" serve_pid="" warn_pid="" abuse_pid=""
}
cleanup() {
  stop_ours
  bw_services_stop
  if ((ref_started)); then "$ANCHORS/nest-ref/stop.sh" >/dev/null 2>&1 || true; fi
  # The access logs: hundreds of MB after a full run, and only counted.
  rm -rf "$WORK"
}
trap cleanup EXIT

# `me` through the anchor's bench.sh (REPEAT=1, no orders) against BASE_URL;
# prints its JSON line.
me_once() {
  SCENARIOS=me REPEAT=1 ORDERS=0 OUT=$WORK/me.json bash "$ANCHORS/bench/bench.sh" "$1" >&2
  node -e 'console.log(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1])).scenarios.me))' "$WORK/me.json"
}

# GET /auth/me at RATE requests per second over CONNS connections, open
# loop, on BakeWind: one JSON object, or null if it could not run.
open_loop() {
  local token=$1 conns=$2 rate=$3 out
  # It exits 1 after any error but still prints its figures (errors counted).
  out=$("$ROOT/build/bench/open_loop" "$PORT" "$conns" "$rate" 10 2 "$token" 2>/dev/null) || true
  printf '%s' "${out:-null}"
}

bw_deps
bw_build bakewind open_loop abuse_client raw_ceiling
bw_require_binary
bw_services_start
"$BAKEWIND_BIN" migrate >/dev/null
# What autovacuum would have done by now: the local PostgreSQL is stopped
# after each run, so the dead rows of earlier runs' lock churn would pile up
# (order_locks at 430,000 dead rows took lock_cycle from 6,200 to 4,500
# req/s). The reference's database gets the same below.
bw_pg_psql -d bakewind -c "VACUUM ANALYZE" >/dev/null
# 10,000 WebSockets and 1,024-connection runs need the descriptors; the
# servers inherit the limit.
ulimit -n 65536 2>/dev/null || true
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------ raw ceiling
bw_log "raw ceiling: bench/raw_ceiling, GET / (REPEAT=$REPEAT)"
"$ROOT/build/bench/raw_ceiling" "$RAW_PORT" &
raw_pid=$!
for _ in $(seq 1 50); do
  bw_port_in_use "$RAW_PORT" && break
  sleep 0.1
done
raw_json=$(bench_wrk_runs "http://127.0.0.1:$RAW_PORT/")
bw_log "raw ceiling: $raw_json"
bench_stop "$raw_pid"
raw_pid=""
raw_rps=$(node -e 'console.log(Math.round(JSON.parse(process.argv[1]).rps))' "$raw_json")
# Issue 20: `me` offered at a quarter of the raw ceiling measured in this run.
open_rate=${OPEN_RATE:-$((raw_rps / 4))}
((open_rate > 0)) || bw_die "the raw ceiling did not run ($raw_json); set OPEN_RATE to go on without it"

# ------------------------------------------------- BakeWind, default config
bw_log "BakeWind, default configuration (log: a file)"
bench_serve serve_pid "$PORT" "$WORK/default.log" RATE_LIMITS=off
sleep 2
idle_rss=$(bench_rss_kib "$serve_pid")

bw_log "own HTTP layer ceiling: GET /health/live (REPEAT=$REPEAT)"
own_json=$(bench_wrk_runs "http://127.0.0.1:$PORT/health/live")

token=$(bench_revoked_token "http://127.0.0.1:$PORT")
# Its key as README "Redis keys" names it: auth:revoked:{<userId>}:<jti>, each
# UUID written as its 16 bytes in base64url.
# shellcheck disable=SC2016 # JavaScript, not shell
our_key=$(node -e '
const p = JSON.parse(Buffer.from(process.argv[1].split(".")[1], "base64url"));
const compact = (uuid) => Buffer.from(uuid.replace(/-/g, ""), "hex").toString("base64url");
console.log(`auth:revoked:{${compact(p.sub)}}:${compact(p.jti)}`);' "$token")
our_bytes=$(bw_redis_cli MEMORY USAGE "$our_key")

bw_log "BakeWind: $SCENARIOS (REPEAT=$REPEAT)"
OUT=$RESULTS/compare-$STAMP-bakewind.json bash "$ANCHORS/bench/bench.sh" "http://127.0.0.1:$PORT"
loaded_rss=$(bench_rss_kib "$serve_pid")

bw_log "BakeWind: me at 1024 connections (closed loop)"
CONNS=1024 THREADS=2 SCENARIOS=me REPEAT=1 OUT=$RESULTS/compare-$STAMP-bakewind-c1024.json \
  bash "$ANCHORS/bench/bench.sh" "http://127.0.0.1:$PORT"

bw_log "BakeWind: me at a fixed $open_rate req/s (open loop), 1024 and 64 connections"
live=$(bench_new_token "http://127.0.0.1:$PORT")
open_c1024=$(open_loop "$live" 1024 "$open_rate")
open_c64=$(open_loop "$live" 64 "$open_rate")

# ---------------------------------------------------- logging: its cost
bw_log "logging: me with the default log against LOG_LEVEL=warn, alternating (REPEAT=$REPEAT)"
bench_serve warn_pid "$WARN_PORT" "$WORK/warn.log" RATE_LIMITS=off LOG_LEVEL=warn
me_default=()
me_warn=()
for ((i = 0; i < REPEAT; i++)); do
  me_default+=("$(me_once "http://127.0.0.1:$PORT")")
  me_warn+=("$(me_once "http://127.0.0.1:$WARN_PORT")")
done
log_default=$(bench_median "${me_default[@]}")
log_warn=$(bench_median "${me_warn[@]}")
# The proof that the default run logged every request: its lines and bytes.
log_lines=$(wc -l <"$WORK/default.log")
log_bytes=$(stat -c %s "$WORK/default.log")
stop_ours

# ------------------------------------------------------------------ abuse
bw_log "abuse: $WS idle WebSockets and $SLOW slowloris connections against a fresh server"
bench_serve abuse_pid "$PORT" "$WORK/abuse.log" RATE_LIMITS=off MAX_CONNECTIONS=$((WS + SLOW + 1000))
sleep 2
abuse_idle_rss=$(bench_rss_kib "$abuse_pid")
abuse_json=$(bench_abuse "$PORT" "$abuse_pid" "$(bench_new_token "http://127.0.0.1:$PORT")" "$WS" "$SLOW")
stop_ours
bw_services_stop

# --------------------------------------------------------------- reference
bw_log "NestJS reference (JWT_KEYOBJECT=true)"
ref_started=1
JWT_KEYOBJECT=true "$ANCHORS/nest-ref/start.sh"
"$BW_PG_BIN/psql" -X -q -h 127.0.0.1 -p 5441 -U postgres -d bakewind -c "VACUUM ANALYZE" >/dev/null ||
  bw_log "could not vacuum the reference's database (measured as it is)"
ref_token=$(bench_revoked_token "$REF_URL")
ref_bytes=$(redis-cli -p 6391 MEMORY USAGE "blacklist:token:$ref_token")
OUT=$RESULTS/compare-$STAMP-nestref.json bash "$ANCHORS/bench/bench.sh" "$REF_URL"
"$ANCHORS/nest-ref/stop.sh" >/dev/null
ref_started=0

cat >"$FACTS" <<EOF
{"idle_rss_kib": $idle_rss, "loaded_rss_kib": $loaded_rss,
 "raw_ceiling": $raw_json, "own_ceiling": $own_json,
 "revoked_key_bytes": {"bakewind": ${our_bytes:-0}, "nestref": ${ref_bytes:-0}},
 "open_loop": {"rate": $open_rate, "c1024": ${open_c1024:-null}, "c64": ${open_c64:-null}},
 "logging": {"default": $log_default, "warn": $log_warn, "default_log_lines": $log_lines, "default_log_bytes": $log_bytes},
 "abuse": {"idle_rss_kib": $abuse_idle_rss, "run": $abuse_json},
 "repeat": $REPEAT, "load_at_start": "$load_at_start",
 "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')", "cores": $(nproc)}
EOF

node "$ROOT/bench/compare_report.mjs" "$RESULTS/compare-$STAMP-bakewind.json" "$RESULTS/compare-$STAMP-nestref.json" \
  "$RESULTS/compare-$STAMP-bakewind-c1024.json" "$FACTS"
