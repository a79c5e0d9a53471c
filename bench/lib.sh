# shellcheck shell=bash
# What the bench scripts share: BakeWind served from the release build in the
# configuration a deployment runs, an account to call it with, closed-loop
# wrk runs reduced to one JSON line, and the abuse measurement (idle
# WebSockets and slowloris connections held while `me` is measured).
# Source after scripts/lib/common.sh and build.sh (bw_build sets BAKEWIND_BIN).

# The anchor benchmark's wrk settings (shared/anchors/bench/bench.sh's
# defaults): every other wrk run here uses them too, so that a ceiling and a
# scenario are measured alike. Not THREADS / CONNS: THREADS is also
# BakeWind's own variable (event loops), which a benchmark must not change.
BENCH_WRK_THREADS=1
BENCH_WRK_CONNS=64
BENCH_WRK_DURATION=10s
BENCH_WRK_WARMUP=2s

# bench_serve VAR PORT LOG [NAME=VALUE...]: starts `bakewind serve` on
# 127.0.0.1:PORT with this script's environment, THREADS as scripts/run
# picks it (bw_serve_threads), plus the given variables,
# stdout and stderr appended to the file LOG (not a terminal: JSON lines, as
# scripts/run's output is when it goes to a file or a log shipper), and
# waits until it is ready. The two web apps go to free ports (SITE_PORT and
# ADMIN_PORT 0), so that two servers, or one beside a developer's, can run
# at once; they take no part in the API's work. Sets VAR to its pid before
# waiting, so that an EXIT trap can stop it; dies when it is not ready within 10 s.
bench_serve() {
  local var=$1 port=$2 log=$3 pid i
  shift 3
  env SITE_PORT=0 ADMIN_PORT=0 THREADS="$(bw_serve_threads)" "$@" PORT="$port" HOST=127.0.0.1 "$BAKEWIND_BIN" serve >>"$log" 2>&1 &
  pid=$!
  printf -v "$var" '%s' "$pid"
  for ((i = 0; i < 100; i++)); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && return 0
    bw_pid_alive "$pid" || break
    sleep 0.1
  done
  tail -n 20 "$log" >&2
  bw_die "bakewind did not become ready on :$port (its log above)"
}

# bench_ready PORT SECONDS: waits up to SECONDS for GET /health/ready on
# 127.0.0.1:PORT to answer 2xx; false when it never did.
bench_ready() {
  local port=$1 tries=$(($2 * 10)) i
  for ((i = 0; i < tries; i++)); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# bench_stop PID: SIGTERM (graceful shutdown) and wait; nothing when PID is empty.
bench_stop() {
  [[ -n ${1:-} ]] || return 0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

bench_rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }

# bench_new_token BASE_URL: registers a new owner through the API; prints its access token.
bench_new_token() {
  local base=$1 email body
  email="bench-$RANDOM$RANDOM@example.com"
  body=$(curl -fs -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"bench-password-1\",\"name\":\"Bench\",\"bakeryName\":\"Bench\"}" \
    "$base/api/v1/auth/register")
  node -e 'console.log(JSON.parse(process.argv[1]).accessToken)' "$body"
}

# bench_revoked_token BASE_URL: registers and logs out; prints the revoked access token.
bench_revoked_token() {
  local base=$1 token
  token=$(bench_new_token "$base")
  curl -fs -o /dev/null -X POST -H "Authorization: Bearer $token" "$base/api/v1/auth/logout"
  printf '%s' "$token"
}

# bench_wrk URL [WRK_OPTION...]: one closed-loop wrk run with the anchor's
# settings and no Lua script; prints {"rps", "p50_ms", "p99_ms", "errors"}
# (errors: non-2xx/3xx answers and socket errors).
bench_wrk() {
  local url=$1
  shift
  wrk -t"$BENCH_WRK_THREADS" -c"$BENCH_WRK_CONNS" -d"$BENCH_WRK_DURATION" --timeout 10s --latency "$@" "$url" 2>&1 |
    awk '
      # wrk prints latencies with their unit (850.00us, 1.20ms, 1.02s).
      function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v + 0 }
      /Requests\/sec/ { rps = $2 }
      $1 == "50%" { p50 = ms($2) }
      $1 == "99%" { p99 = ms($2) }
      /Non-2xx or 3xx/ { errors += $NF }
      /Socket errors/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
      END { printf "{\"rps\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"errors\": %d}\n", rps, p50, p99, errors }'
}

# bench_median JSON...: the run with the median "rps" of the given JSON
# objects, with every run's rps (in the order given) as "runs".
bench_median() {
  node -e '
    const runs = process.argv.slice(1).map((l) => JSON.parse(l));
    const sorted = [...runs].sort((a, b) => a.rps - b.rps);
    console.log(JSON.stringify({ ...sorted[Math.floor((sorted.length - 1) / 2)], runs: runs.map((r) => r.rps) }));' "$@"
}

# bench_wrk_runs URL [WRK_OPTION...]: a warm-up, then REPEAT (1) runs of
# bench_wrk, as the anchor's benchmark runs a scenario; prints the median.
bench_wrk_runs() {
  local url=$1 runs=() i
  shift
  wrk -t"$BENCH_WRK_THREADS" -c"$BENCH_WRK_CONNS" -d"$BENCH_WRK_WARMUP" "$@" "$url" >/dev/null 2>&1 || true
  for ((i = 0; i < ${REPEAT:-1}; i++)); do runs+=("$(bench_wrk "$url" "$@")"); done
  bench_median "${runs[@]}"
}

# bench_abuse PORT PID TOKEN WS SLOW: GET /api/v1/auth/me under wrk (the
# anchor's settings) on the server PID listening on PORT, first alone, then
# while build/bench/abuse_client holds WS idle WebSockets and SLOW slowloris
# connections (their holding time covers the second run). The server needs
# MAX_CONNECTIONS above WS + SLOW + 64 and descriptors to match. Prints one
# JSON object: both wrk runs, the server's RSS (KiB) before, while held
# (the larger of just after they are opened and after the run), what the
# abuser held and refused, and its closing line.
bench_abuse() {
  local port=$1 pid=$2 token=$3 ws=$4 slow=$5 out abuser alone with rss_before rss_held rss_after held end
  local url=http://127.0.0.1:$port/api/v1/auth/me auth="Authorization: Bearer $token"
  out=$(mktemp /tmp/bakewind-abuse.XXXXXX)
  rss_before=$(bench_rss_kib "$pid")
  alone=$(bench_wrk "$url" -H "$auth")
  bw_log "me alone: $alone"
  "$ROOT/build/bench/abuse_client" "$port" "$slow" "$ws" 20 "$token" >"$out" 2>&1 &
  abuser=$!
  for _ in $(seq 1 600); do
    grep -q '^holding' "$out" 2>/dev/null && break
    bw_pid_alive "$abuser" || break
    sleep 0.1
  done
  held=$(head -1 "$out")
  bw_log "abuser: $held"
  rss_held=$(bench_rss_kib "$pid")
  with=$(bench_wrk "$url" -H "$auth")
  bw_log "me with the abusers: $with"
  rss_after=$(bench_rss_kib "$pid")
  ((rss_after > rss_held)) && rss_held=$rss_after
  wait "$abuser" || true
  end=$(tail -1 "$out")
  rm -f "$out"
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const [alone, withAbusers, before, held, ws, slow, heldLine, endLine] = process.argv.slice(1);
    const m = /holding (\d+) idle websockets \((\d+) refused\), (\d+) slowloris/.exec(heldLine) || [];
    console.log(JSON.stringify({ ws: +ws, slow: +slow, alone: JSON.parse(alone), with: JSON.parse(withAbusers),
      rss_kib: { before: +before, held: +held }, ws_held: +(m[1] ?? 0), ws_refused: +(m[2] ?? ws),
      slow_held: +(m[3] ?? 0), end: endLine }));' \
    "$alone" "$with" "$rss_before" "$rss_held" "$ws" "$slow" "$held" "$end"
}
