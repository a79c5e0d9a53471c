#!/usr/bin/env bash
# Abuse limits (issues 10 and 20): GET /api/v1/auth/me under wrk (64
# connections, 10 s) on the release build in its default configuration
# (access log on, to a file; MAX_CONNECTIONS raised to hold the abusers),
# first alone, then while bench/abuse_client holds WS idle WebSockets and
# SLOW slowloris connections (half-sent requests, one more header line every
# 2 s, reopened when dropped). Prints both runs, the server's RSS idle and
# with them, and what the abuser held, as one JSON object (bench/lib.sh
# bench_abuse; bench/compare.sh runs the same and judges it).
#
#   bench/abuse.sh                   # WS=10000 SLOW=2000
#   WS=1000 SLOW=500 bench/abuse.sh
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"

PORT=${BENCH_PORT:-8182}
WS=${WS:-10000}
SLOW=${SLOW:-2000}
log=$(mktemp /tmp/bakewind-abuse-log.XXXXXX)

serve_pid=""
cleanup() {
  bench_stop "$serve_pid"
  bw_services_stop
  rm -f "$log"
}
trap cleanup EXIT

bw_deps
bw_build bakewind abuse_client
bw_require_binary
bw_services_start
"$BAKEWIND_BIN" migrate >/dev/null
ulimit -n 65536 2>/dev/null || true
# EXTRA_ENV: more NAME=VALUE words for the server (LD_PRELOAD=..., say), split on purpose.
# shellcheck disable=SC2086
bench_serve serve_pid "$PORT" "$log" RATE_LIMITS=off MAX_CONNECTIONS=$((WS + SLOW + 1000)) ${EXTRA_ENV:-}
sleep 2
bw_log "server RSS idle: $(bench_rss_kib "$serve_pid") KiB"
bench_abuse "$PORT" "$serve_pid" "$(bench_new_token "http://127.0.0.1:$PORT")" "$WS" "$SLOW"
