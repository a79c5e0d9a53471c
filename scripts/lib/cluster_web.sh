# shellcheck shell=bash
# scripts/cluster: the bakewind instances (one per CLUSTER_API_PORTS port,
# logs in .data/cluster/bakewind-PORT.log, this run's only) and haproxy in
# front of them.

# haproxy's config for the local cluster, on stdout: round robin over the
# instances, health checks on GET /health/ready, WebSocket tunnels kept for
# an hour, the stats page on its own port, access log on stdout.
# One backend over every instance, checked with GET $2; $3 adds server options.
cl_haproxy_backend() {
  local i
  cat <<EOF

backend $1
    balance roundrobin
    option httpchk
    http-check send meth GET uri $2
    http-check expect status 200
    # Which instance answered (local cluster only: names no address).
    http-response set-header X-Bakewind-Instance %s
    default-server inter 1s fastinter 500ms fall 2 rise 2$3
EOF
  for i in "${!CL_API_PORTS[@]}"; do
    printf '    server bakewind-%s 127.0.0.1:%s check\n' "$((i + 1))" "${CL_API_PORTS[i]}"
  done
}

cl_haproxy_conf() {
  cat <<EOF
# Written by scripts/cluster at every start: edits are lost.
global
    log stdout format raw local0 info
    maxconn 4096

defaults
    mode http
    log global
    option httplog
    option dontlognull
    # Only what went wrong: a line per error or abnormal end (5xx, timeouts,
    # retries, redispatches), not per request (that is the instances'
    # ACCESS_LOG); a busy day once wrote 93 MB here.
    option dontlog-normal
    option forwardfor
    option redispatch
    retries 2
    timeout connect 2s
    timeout client 65s
    timeout server 65s
    timeout http-request 10s
    timeout http-keep-alive 65s
    timeout queue 5s
    # A WebSocket, once upgraded, is a tunnel: live events may be quiet for long.
    timeout tunnel 1h
    timeout client-fin 5s
    # haproxy's own 503 (no instance can take the request) in the API's
    # shape and with Retry-After, like every 503 of the service.
    http-error status 503 content-type application/json string '{"statusCode":503,"error":"Service Unavailable","message":"The service is unavailable: no instance is answering"}' hdr Retry-After 2

frontend bakewind
    bind 127.0.0.1:$CL_PORT
    # No instance ready means a dependency they all share is down (say
    # PostgreSQL): the live ones still answer what they can from Redis.
    use_backend bakewind_live if { nbsrv(bakewind) eq 0 }
    default_backend bakewind
EOF
  cl_haproxy_backend bakewind /health/ready ""
  # An instance that is not even live drops its connections, WebSockets
  # included, so that their clients reconnect to a live instance.
  cl_haproxy_backend bakewind_live /health/live " on-marked-down shutdown-sessions"
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
  mkdir -p "$dir"
  cl_haproxy_conf >"$dir/haproxy.cfg"
  : >"$dir/haproxy.log"
  haproxy -c -q -f "$dir/haproxy.cfg" || bw_die "haproxy: $dir/haproxy.cfg is invalid (see above)"
  # -db: stay in the foreground, as our child; -W: master-worker, stops cleanly on SIGTERM.
  cl_spawn haproxy "$dir/haproxy.log" haproxy -W -db -f "$dir/haproxy.cfg"
  cl_wait_until haproxy "$dir/haproxy.log" 20 cl_http_ok "http://127.0.0.1:$CL_PORT/health/ready"
  bw_log "haproxy: http://127.0.0.1:$CL_PORT in front of ${#CL_API_PORTS[@]} instances"
}
