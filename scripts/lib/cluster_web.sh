# shellcheck shell=bash
# scripts/cluster: the bakewind instances (one per CLUSTER_API_PORTS port,
# logs in .data/cluster/bakewind-PORT.log, this run's only) and haproxy in
# front of them.

# haproxy for the local cluster: the policy every deployment shares
# (deploy/haproxy/haproxy.cfg: timeouts, retries, health checks, error
# pages), then this file of the cluster's own: the instances' addresses,
# which instance answered, and the stats page. On stdout.
cl_haproxy_servers() {
  local backend i
  echo "# Written by scripts/cluster at every start: edits are lost."
  for backend in bakewind bakewind_live; do
    cat <<EOF

backend $backend from $backend
    # Which instance answered (local cluster only: names no address).
    http-response set-header X-Bakewind-Instance %s
EOF
    for i in "${!CL_API_PORTS[@]}"; do
      printf '    server bakewind-%s 127.0.0.1:%s check\n' "$((i + 1))" "${CL_API_PORTS[i]}"
    done
  done
  cat <<EOF

frontend stats
    bind 127.0.0.1:$CL_STATS_PORT
    stats enable
    stats uri /
    stats refresh 5s
    stats show-legends
EOF
}

cl_http_ok() { curl -fsS -m 2 -o /dev/null "$1"; }

# Environment of every instance: the same secret, Redis and PgBouncer.
cl_instance_env() {
  local sentinels="" p redis=()
  if [[ $CL_REDIS_MODE == cluster ]]; then
    # The slot map comes from the nodes; REDIS_URL gives the user and password.
    redis=(REDIS_URL="redis://bakewind:$CL_REDIS_PASSWORD@127.0.0.1:${CL_NODE_PORTS[0]}"
      REDIS_CLUSTER_NODES="$(cl_rcluster_seeds)")
  else
    for p in "${CL_SENTINEL_PORTS[@]}"; do sentinels+="${sentinels:+,}127.0.0.1:$p"; done
    # The master comes from the Sentinels; REDIS_URL gives the user and password.
    redis=(REDIS_URL="redis://bakewind:$CL_REDIS_PASSWORD@127.0.0.1:$CL_REDIS_PORT"
      REDIS_SENTINELS="$sentinels" REDIS_SENTINEL_NAME="$CL_SENTINEL_NAME")
  fi
  CL_INSTANCE_ENV=(
    HOST=127.0.0.1
    THREADS="$CL_THREADS"
    DATABASE_URL="$CL_PG_POOLED_URL"
    # PgBouncer 1.18 in transaction mode keeps no prepared statement.
    PG_PREPARED_STATEMENTS=off
    "${redis[@]}"
    JWT_SECRET="$CL_JWT_SECRET"
    TRUSTED_PROXIES=127.0.0.1
    LOG_FORMAT=json
    # The web apps talk to haproxy; only the first instance serves them
    # (SITE_PORT / ADMIN_PORT), the others pick unused ports (0).
    PUBLIC_API_URL="http://localhost:$CL_PORT"
    CORS_ORIGINS="http://localhost:${SITE_PORT:-3000},http://localhost:${ADMIN_PORT:-3001}"
  )
}

cl_instances_start() {
  local i port log
  cl_instance_env
  for i in "${!CL_API_PORTS[@]}"; do
    port=${CL_API_PORTS[i]}
    log="$CL_DIR/bakewind-$port.log"
    : >"$log" # this run's log only (a restart appends to it)
    local web=(SITE_PORT=0 ADMIN_PORT=0)
    ((i == 0)) && web=(SITE_PORT="${SITE_PORT:-3000}" ADMIN_PORT="${ADMIN_PORT:-3001}")
    cl_spawn "bakewind-$((i + 1))" "$log" env "${CL_INSTANCE_ENV[@]}" "${web[@]}" PORT="$port" "$BAKEWIND_BIN" serve
  done
  for i in "${!CL_API_PORTS[@]}"; do
    port=${CL_API_PORTS[i]}
    cl_wait_until "bakewind-$((i + 1))" "$CL_DIR/bakewind-$port.log" 30 cl_http_ok "http://127.0.0.1:$port/health/ready"
  done
  bw_log "bakewind: ${#CL_API_PORTS[@]} instances ready on ports ${CL_API_PORTS[*]}"
}

cl_haproxy_start() {
  local dir="$CL_DIR/haproxy"
  # The policy every deployment shares, then this cluster's servers.
  local files=(-f "$ROOT/deploy/haproxy/haproxy.cfg" -f "$dir/servers.cfg")
  mkdir -p "$dir"
  cl_haproxy_servers >"$dir/servers.cfg"
  : >"$dir/haproxy.log"
  export BAKEWIND_HAPROXY_BIND="127.0.0.1:$CL_PORT"
  haproxy -c -q "${files[@]}" || bw_die "haproxy: deploy/haproxy/haproxy.cfg with $dir/servers.cfg is invalid (see above)"
  # -db: stay in the foreground, as our child; -W: master-worker, stops cleanly on SIGTERM.
  cl_spawn haproxy "$dir/haproxy.log" haproxy -W -db "${files[@]}"
  cl_wait_until haproxy "$dir/haproxy.log" 20 cl_http_ok "http://127.0.0.1:$CL_PORT/health/ready"
  bw_log "haproxy: http://127.0.0.1:$CL_PORT in front of ${#CL_API_PORTS[@]} instances"
}
