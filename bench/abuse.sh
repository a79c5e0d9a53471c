#!/usr/bin/env bash
# Abuse limits (issue 10): GET /api/v1/auth/me under wrk (64 connections,
# 10 s) on the release build, first alone, then while bench/abuse_client
# holds WS idle WebSockets and SLOW slowloris connections (half-sent
# requests, one more header line every 2 s, reopened when dropped). Prints
# both latency lines and what the abuser held.
#
#   bench/abuse.sh                   # WS=10000 SLOW=2000
#   WS=1000 SLOW=500 bench/abuse.sh
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

PORT=${BENCH_PORT:-8182}
WS=${WS:-10000}
SLOW=${SLOW:-2000}

serve_pid=""
abuser_pid=""
cleanup() {
  if [[ -n $abuser_pid ]]; then kill "$abuser_pid" 2>/dev/null || true; fi
  if [[ -n $serve_pid ]]; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  bw_services_stop
}
trap cleanup EXIT

bw_deps
bw_build bakewind abuse_client
bw_require_binary
bw_services_start
"$BAKEWIND_BIN" migrate >/dev/null
ulimit -n 65536 2>/dev/null || true
RATE_LIMITS=off LOG_LEVEL=warn MAX_CONNECTIONS=$((WS + SLOW + 1000)) PORT=$PORT HOST=127.0.0.1 "$BAKEWIND_BIN" serve &
serve_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
base=http://127.0.0.1:$PORT
body=$(curl -fs -H 'Content-Type: application/json' \
  -d "{\"email\":\"abuse-$RANDOM$RANDOM@example.com\",\"password\":\"abuse-password-1\",\"name\":\"Abuse\",\"bakeryName\":\"Abuse\"}" \
  "$base/api/v1/auth/register")
token=$(node -e 'console.log(JSON.parse(process.argv[1]).accessToken)' "$body")

measure() {
  wrk -t1 -c64 -d10s --latency -H "Authorization: Bearer $token" "$base/api/v1/auth/me" |
    awk -v what="$1" '/Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
      / Non-2xx/ { bad = $NF } /Socket errors/ { sock = $0 }
      END { printf "%-28s %9s req/s  p50 %8s  p99 %8s  non-2xx %s %s\n", what, rps, p50, p99, bad + 0, sock }'
}

measure "me, alone:"
"$ROOT/build/bench/abuse_client" "$PORT" "$SLOW" "$WS" 60 "$token" > /tmp/bakewind-abuse.$$ 2>&1 &
abuser_pid=$!
for _ in $(seq 1 600); do
  grep -q '^holding' /tmp/bakewind-abuse.$$ 2>/dev/null && break
  sleep 0.1
done
head -1 /tmp/bakewind-abuse.$$
bw_log "server RSS with them: $(ps -o rss= -p "$serve_pid" | tr -d ' ') KiB"
measure "me, with the abusers:"
wait "$abuser_pid" || true
abuser_pid=""
tail -1 /tmp/bakewind-abuse.$$
rm -f /tmp/bakewind-abuse.$$
