# shellcheck shell=bash
# scripts/cluster: Redis as 1 master + 1 replica + 3 Sentinels (master name
# "bakewind"), each with its folder, config and log under .data/cluster/redis/.
# Both data nodes: AOF with appendfsync everysec, maxmemory-policy noeviction,
# a password for the default (admin) user, and the ACL user "bakewind" that
# the service logs in as, allowed only the commands it sends and its keys.

CL_SENTINEL_NAME=bakewind

# The commands the service sends (src/redis, src/auth, src/locks, src/app),
# including those its Lua scripts call, and ROLE for the Sentinel client.
CL_REDIS_ACL_COMMANDS="+ping +quit +auth +select +client|setname +info +role +get +set +setex +del +exists +mget +getdel +ttl +expire +incr +scan +eval +evalsha +publish +subscribe +unsubscribe +sadd +srem +smembers +time +cluster|slots +asking"
CL_REDIS_ACL_KEYS="~order_lock:* ~order_cache:* ~locks:* ~blacklist:token:* ~auth:* ~ratelimit:*"
CL_REDIS_ACL_CHANNELS="&bakewind:events"

cl_redis_cli() { # PORT [ARGS...]: as the admin (default) user
  local port=$1
  shift
  REDISCLI_AUTH=$CL_REDIS_ADMIN_PASSWORD timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

cl_sentinel_cli() { # PORT [ARGS...]
  local port=$1
  shift
  timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# Writes one data node's config: PORT DIR [MASTER_PORT for a replica].
cl_redis_conf() {
  local port=$1 dir=$2 master=${3:-}
  cat <<EOF
# Written by scripts/cluster at every start: edits are lost.
port $port
bind 127.0.0.1
dir $dir
daemonize no
logfile $dir/redis.log
appendonly yes
appendfsync everysec
save ""
maxmemory-policy noeviction
requirepass $CL_REDIS_ADMIN_PASSWORD
masterauth $CL_REDIS_ADMIN_PASSWORD
user bakewind on >$CL_REDIS_PASSWORD resetkeys $CL_REDIS_ACL_KEYS resetchannels $CL_REDIS_ACL_CHANNELS -@all $CL_REDIS_ACL_COMMANDS
EOF
  if [[ -n $master ]]; then
    printf 'replicaof 127.0.0.1 %s\n' "$master"
  fi
}

cl_sentinel_conf() { # PORT DIR
  cat <<EOF
# Written by scripts/cluster at every start; Sentinel adds what it learns.
port $1
bind 127.0.0.1
dir $2
daemonize no
logfile $2/sentinel.log
sentinel resolve-hostnames no
sentinel monitor $CL_SENTINEL_NAME 127.0.0.1 $CL_REDIS_PORT 2
sentinel auth-pass $CL_SENTINEL_NAME $CL_REDIS_ADMIN_PASSWORD
sentinel down-after-milliseconds $CL_SENTINEL_NAME 2000
sentinel failover-timeout $CL_SENTINEL_NAME 10000
sentinel parallel-syncs $CL_SENTINEL_NAME 1
EOF
}

cl_redis_pong() { [[ $(cl_redis_cli "$1" PING 2>/dev/null) == PONG ]]; }
cl_replica_synced() { cl_redis_cli "$CL_REPLICA_PORT" INFO replication 2>/dev/null | grep -q '^master_link_status:up'; }
# A Sentinel that knows the master, the replica and every other Sentinel.
cl_sentinel_settled() {
  local port=$1 info
  info=$(cl_sentinel_cli "$port" INFO sentinel 2>/dev/null | tr -d '\r') || return 1
  [[ $info == *"name=$CL_SENTINEL_NAME,status=ok,address=127.0.0.1:$CL_REDIS_PORT,slaves=1,sentinels=${#CL_SENTINEL_PORTS[@]}"* ]]
}

cl_redis_start() {
  local base="$CL_DIR/redis" dir i port
  # A fresh topology at every start: the master on CLUSTER_REDIS_PORT. The
  # master's append-only file keeps the data from one run to the next.
  mkdir -p "$base/master" "$base/replica"
  dir=$(readlink -f "$base/master")
  cl_redis_conf "$CL_REDIS_PORT" "$dir" >"$dir/redis.conf"
  cl_spawn redis-master "$dir/redis.log" redis-server "$dir/redis.conf"
  cl_wait_until redis-master "$dir/redis.log" 20 cl_redis_pong "$CL_REDIS_PORT"

  dir=$(readlink -f "$base/replica")
  cl_redis_conf "$CL_REPLICA_PORT" "$dir" "$CL_REDIS_PORT" >"$dir/redis.conf"
  cl_spawn redis-replica "$dir/redis.log" redis-server "$dir/redis.conf"
  cl_wait_until redis-replica "$dir/redis.log" 30 cl_replica_synced

  for i in "${!CL_SENTINEL_PORTS[@]}"; do
    port=${CL_SENTINEL_PORTS[i]}
    mkdir -p "$base/sentinel-$((i + 1))"
    dir=$(readlink -f "$base/sentinel-$((i + 1))")
    cl_sentinel_conf "$port" "$dir" >"$dir/sentinel.conf"
    cl_spawn "sentinel-$((i + 1))" "$dir/sentinel.log" redis-server "$dir/sentinel.conf" --sentinel
  done
  for i in "${!CL_SENTINEL_PORTS[@]}"; do
    cl_wait_until "sentinel-$((i + 1))" "$base/sentinel-$((i + 1))/sentinel.log" 30 \
      cl_sentinel_settled "${CL_SENTINEL_PORTS[i]}"
  done
  bw_log "redis: master 127.0.0.1:$CL_REDIS_PORT, replica :$CL_REPLICA_PORT in sync, ${#CL_SENTINEL_PORTS[@]} Sentinels agree"
}

# Before redis-master or redis-replica (NAME) is started again: it comes
# back as a replica of the master the Sentinels name now, never as a second
# master with older data (as it would with the config it had: for about 25 s
# once, until Sentinel demoted it). Only when the Sentinels still name it,
# no failover having happened, does it come back as the master.
cl_redis_before_restart() { # NAME
  local name=$1 own dir master="" port
  [[ $name == redis-master ]] && own=$CL_REDIS_PORT dir="$CL_DIR/redis/master"
  [[ $name == redis-replica ]] && own=$CL_REPLICA_PORT dir="$CL_DIR/redis/replica"
  [[ -n ${own:-} ]] || return 0
  for port in "${CL_SENTINEL_PORTS[@]}"; do
    master=$(cl_sentinel_cli "$port" SENTINEL get-master-addr-by-name "$CL_SENTINEL_NAME" 2>/dev/null | sed -n 2p)
    [[ -n $master ]] && break
  done
  dir=$(readlink -f "$dir")
  if [[ -n $master && $master != "$own" ]]; then
    cl_redis_conf "$own" "$dir" "$master" >"$dir/redis.conf"
    bw_log "$name: back as a replica of 127.0.0.1:$master, the master the Sentinels name"
  else
    cl_redis_conf "$own" "$dir" >"$dir/redis.conf"
  fi
}

# The summary's Redis lines; REL is the data folder relative to the checkout.
cl_redis_summary() { # REL
  local i sentinels=""
  for i in "${!CL_SENTINEL_PORTS[@]}"; do sentinels+=" ${CL_SENTINEL_PORTS[i]}"; done
  cat <<EOF
  Redis master     127.0.0.1:$CL_REDIS_PORT    REDISCLI_AUTH=$CL_REDIS_ADMIN_PASSWORD redis-cli -p $CL_REDIS_PORT
  Redis replica    127.0.0.1:$CL_REPLICA_PORT    (service user: redis-cli -p $CL_REDIS_PORT --user bakewind --pass $CL_REDIS_PASSWORD)
  Sentinels        127.0.0.1:${sentinels# }  master name "$CL_SENTINEL_NAME": redis-cli -p ${CL_SENTINEL_PORTS[0]} SENTINEL get-master-addr-by-name $CL_SENTINEL_NAME
EOF
}
