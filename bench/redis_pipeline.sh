#!/usr/bin/env bash
# Our client's commands/second on one connection (1, 16, 256 concurrent
# callers) next to redis-benchmark on the same machine, in the same run,
# against a private redis-server on a free port.
# Usage: bench/redis_pipeline.sh [build dir, default build-redis-rel; scripts use build] [seconds per run]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build-redis-rel}"
seconds="${2:-3}"
bench="$build/bench/redis_pipeline_bench"
[[ -x "$bench" ]] || { echo "build it first: cmake --build $build --target redis_pipeline_bench" >&2; exit 1; }

dir="$(mktemp -d /tmp/bakewind-bench-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --logfile "$dir/redis.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

declare -A ours rb rbp
while read -r _ callers rate; do ours[$callers]=$rate; done < <("$bench" "redis://127.0.0.1:$port" "$seconds")

# "SET: 123.45 requests per second, ..." -> average of SET and GET.
rb_rate() {
  redis-benchmark -h 127.0.0.1 -p "$port" -t get,set -n 200000 -q "$@" 2>/dev/null | tr '\r' '\n' |
    awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($(i+1) == "requests") { s += $i; n++ } }
         END { if (n) printf "%.0f", s / n; else printf "n/a" }'
}
for c in 1 16 256; do
  rb[$c]=$(rb_rate -c "$c" || echo n/a)
  rbp[$c]=$(rb_rate -c "$c" -P 16 || echo n/a)
done

printf '%-22s %14s %14s %14s\n' "commands/second" "1 caller" "16 callers" "256 callers"
printf '%-22s %14s %14s %14s\n' "ours (1 connection)" "${ours[1]:-n/a}" "${ours[16]:-n/a}" "${ours[256]:-n/a}"
printf '%-22s %14s %14s %14s\n' "redis-benchmark -c N" "${rb[1]}" "${rb[16]}" "${rb[256]}"
printf '%-22s %14s %14s %14s\n' "redis-benchmark -P 16" "${rbp[1]}" "${rbp[16]}" "${rbp[256]}"
echo "(ours: SET+GET loops per caller on ONE connection, auto-pipelined; redis-benchmark: N connections, GET/SET averaged; -P 16: 16 commands per round trip per connection)"
