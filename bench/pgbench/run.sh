#!/usr/bin/env bash
# run.sh SCRIPT N CLIENTS [SECONDS]: one pgbench per client (each its own block
# of N orders, prepared), and the CPU this PostgreSQL (PGDATA, PGPORT) used.
# Prints lock ops (acquires + releases) per second and per second of its CPU.
set -euo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
script=$1 n=$2 c=$3 t=${4:-15}
pm=$(head -1 ${PGDATA:?PGDATA: the data folder of the PostgreSQL to measure}/postmaster.pid)
ticks() {
  local tot f
  f=($(sed 's/^.*) //' /proc/$pm/stat)); tot=$((f[11]+f[12]+f[13]+f[14]))
  for p in $(pgrep -P $pm); do f=($(sed 's/^.*) //' /proc/$p/stat 2>/dev/null)) || continue; tot=$((tot+f[11]+f[12])); done
  echo $tot
}
now=$(($(date +%s%3N))); exp=$((now+3600000))
B=00000000-0000-0000-0000-0000000000b1 U=00000000-0000-0000-0000-0000000000a1
rep() { local v=$1 out="" i; for ((i=0;i<n;i++)); do out+="${out:+,}$v"; done; echo "{$out}"; }
a=$(ticks); s0=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
for ((k=0;k<c;k++)); do
  args=(); ua=""
  for ((i=0;i<n;i++)); do u=$(printf '00000000-0000-0000-0000-%012d' $((k*n+i))); args+=(-D u$i=$u); ua+="${ua:+,}$u"; done
  pgbench -n -M prepared -h 127.0.0.1 -p ${PGPORT:-5432} -U bakewind -c 1 -T $t -D now=$now -D exp=$exp "${args[@]}" \
    -D "ua={$ua}" -D "ba=$(rep $B)" -D "usra=$(rep $U)" -D "sa=$(rep s1)" -D "nowa=$(rep $now)" -D "expa=$(rep $exp)" \
    -f $script bakewind > $tmp/out.$k 2>&1 &
done
wait
b=$(ticks); s1=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
tps=$(cat $tmp/out.* | grep -oP 'tps = \K[0-9.]+' | awk '{s+=$1}END{print s}')
fails=$(cat $tmp/out.* | grep -E "failed|aborted|error" | sort | uniq -c | tr '\n' ' ')
hz=$(getconf CLK_TCK)
awk -v s=$script -v n=$n -v c=$c -v tps=$tps -v pg=$((b-a)) -v t=$t -v hz=$hz -v sys=$((s1-s0)) -v f="$fails" 'BEGIN{ops=tps*2*n; cores=pg/hz/t; printf "%-12s clients=%d  lock ops/s=%8.0f  pg cores=%.2f  ops per pg cpu-s=%6.0f  machine=%.2f cores %s\n", s, c, ops, cores, ops/cores, sys/hz/t, f}'
