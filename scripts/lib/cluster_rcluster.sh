# shellcheck shell=bash
# scripts/cluster --cluster: Redis as a 3-master + 3-replica Redis Cluster,
# six `redis-server --cluster-enabled yes` nodes on CLUSTER_NODE_PORTS (their
# cluster bus on each port + 10000), each with its folder, config and log
# under .data/cluster/redis-cluster/node-PORT/. Every node has the settings of
# the Sentinel mode's data nodes (cl_redis_conf: AOF everysec, noeviction,
# the admin password, masterauth for replication, the ACL user "bakewind"
# with CLUSTER|SLOTS and ASKING among its commands). Needs cluster_redis.sh.
#
# The first start joins them with `redis-cli --cluster create`; later starts
# with the same ports bring back the same cluster (nodes.conf and the
# append-only files kept), other ports start a new, empty one.

CL_RCLUSTER_NODE_TIMEOUT=2000 # ms: how soon a silent master is failed over

cl_rcluster_conf() { # PORT DIR
  cl_redis_conf "$1" "$2"
  cat <<EOF
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout $CL_RCLUSTER_NODE_TIMEOUT
EOF
}

# A node that sees every slot served by its 6 nodes and, when it is a
# replica, is in sync with its master.
cl_rcluster_node_ok() { # PORT
  local info
  info=$(cl_redis_cli "$1" CLUSTER INFO 2>/dev/null | tr -d '\r') || return 1
  [[ $info == *cluster_state:ok* && $info == *cluster_slots_ok:16384* &&
    $info == *"cluster_known_nodes:${#CL_NODE_PORTS[@]}"* ]] || return 1
  info=$(cl_redis_cli "$1" INFO replication 2>/dev/null | tr -d '\r') || return 1
  [[ $info == *role:master* || $info == *master_link_status:up* ]]
}

# The seeds the instances get: REDIS_CLUSTER_NODES.
cl_rcluster_seeds() {
  local p out=""
  for p in "${CL_NODE_PORTS[@]}"; do out+="${out:+,}127.0.0.1:$p"; done
  printf '%s\n' "$out"
}

cl_rcluster_start() {
  local base="$CL_DIR/redis-cluster" dir i port fresh=1 addrs=()
  # The same ports as the cluster recorded: bring it back with its data.
  if [[ -f $base/ports && $(<"$base/ports") == "${CL_NODE_PORTS[*]}" ]]; then
    fresh=0
    for port in "${CL_NODE_PORTS[@]}"; do [[ -s $base/node-$port/nodes.conf ]] || fresh=1; done
  fi
  if ((fresh)); then rm -rf "$base"; fi
  for i in "${!CL_NODE_PORTS[@]}"; do
    port=${CL_NODE_PORTS[i]}
    mkdir -p "$base/node-$port"
    dir=$(readlink -f "$base/node-$port")
    cl_rcluster_conf "$port" "$dir" >"$dir/redis.conf"
    cl_spawn "redis-node-$((i + 1))" "$dir/redis.log" redis-server "$dir/redis.conf"
    addrs+=("127.0.0.1:$port")
  done
  for i in "${!CL_NODE_PORTS[@]}"; do
    port=${CL_NODE_PORTS[i]}
    cl_wait_until "redis-node-$((i + 1))" "$base/node-$port/redis.log" 20 cl_redis_pong "$port"
  done
  if ((fresh)); then
    bw_log "redis: creating the cluster (3 masters + 3 replicas) on ports ${CL_NODE_PORTS[*]}"
    REDISCLI_AUTH=$CL_REDIS_ADMIN_PASSWORD timeout 60 redis-cli --cluster create "${addrs[@]}" \
      --cluster-replicas 1 --cluster-yes >"$base/create.log" 2>&1 ||
      { tail -n 20 "$base/create.log" >&2; bw_die "redis-cli --cluster create failed (log: $base/create.log)"; }
    printf '%s\n' "${CL_NODE_PORTS[*]}" >"$base/ports"
  fi
  for i in "${!CL_NODE_PORTS[@]}"; do
    port=${CL_NODE_PORTS[i]}
    cl_wait_until "redis-node-$((i + 1))" "$base/node-$port/redis.log" 60 cl_rcluster_node_ok "$port"
  done
  bw_log "redis: cluster of ${#CL_NODE_PORTS[@]} nodes on ports ${CL_NODE_PORTS[*]}, cluster_state:ok on each"
}

# One line per node, in port order: its role and slots (master) or master
# (replica), as CLUSTER NODES says now.
cl_rcluster_roles() {
  local port nodes=""
  for port in "${CL_NODE_PORTS[@]}"; do
    nodes=$(cl_redis_cli "$port" CLUSTER NODES 2>/dev/null | tr -d '\r') && [[ -n $nodes ]] && break
  done
  for port in "${CL_NODE_PORTS[@]}"; do
    awk -v want="127.0.0.1:$port" '
      { split($2, a, "@"); addr[$1] = a[1] }
      a[1] == want { me = $0 }
      END {
        if (me == "") { print "unknown"; exit }
        n = split(me, f, " ")
        if (f[3] ~ /master/) {
          s = ""
          for (i = 9; i <= n; i++) s = s (s == "" ? "" : " ") f[i]
          print "master, slots " (s == "" ? "none" : s)
        } else {
          print "replica of " addr[f[4]]
        }
      }' <<<"$nodes"
  done
}

# The summary's Redis lines; REL is the data folder relative to the checkout.
cl_rcluster_summary() { # REL
  local i roles=()
  mapfile -t roles < <(cl_rcluster_roles)
  for i in "${!CL_NODE_PORTS[@]}"; do
    printf '  Redis node %s     127.0.0.1:%s    %s\n' "$((i + 1))" "${CL_NODE_PORTS[i]}" "${roles[i]:-unknown}"
  done
  cat <<EOF
  Redis Cluster    REDISCLI_AUTH=$CL_REDIS_ADMIN_PASSWORD redis-cli -c -p ${CL_NODE_PORTS[0]} CLUSTER NODES
                   (service user: redis-cli -c -p ${CL_NODE_PORTS[0]} --user bakewind --pass $CL_REDIS_PASSWORD)
EOF
}
