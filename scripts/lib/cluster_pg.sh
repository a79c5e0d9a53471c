# shellcheck shell=bash
# scripts/cluster: PostgreSQL 15 (its own cluster, run as the postgres user)
# and PgBouncer in transaction pooling mode in front of it, both in
# .data/cluster/postgres/ (or, when the postgres user cannot reach the
# checkout, in /var/lib/bakewind/<hash>/cluster, linked from there; <hash>
# of the checkout, or of CLUSTER_DIR when that is set elsewhere).
# PostgreSQL asks for passwords (SCRAM) on TCP; PgBouncer too, from its
# userlist, and it logs in to PostgreSQL as the same user.

# shellcheck disable=SC2034 # set here, used by scripts/cluster and cluster_web.sh
CL_PG_DIRECT_URL=""  # for migrations and admin work: straight to PostgreSQL
CL_PG_POOLED_URL=""  # for the instances: through PgBouncer

cl_pg_home() {
  local link="$CL_DIR/postgres" sha key=$ROOT
  [[ $CL_DIR == "$ROOT/.data/cluster" ]] || key=$CL_DIR
  if [[ -L $link ]]; then
    CL_PG_HOME=$(readlink -f "$link")
  elif [[ -d $link ]] || ((EUID != 0)) || runuser -u postgres -- test -x "$CL_DIR" 2>/dev/null; then
    mkdir -p "$link"
    CL_PG_HOME=$(readlink -f "$link")
  else
    sha=$(printf '%s' "$key" | sha256sum | cut -c1-16)
    CL_PG_HOME="/var/lib/bakewind/$sha/cluster"
    mkdir -p "$CL_PG_HOME"
    chmod 755 /var/lib/bakewind "/var/lib/bakewind/$sha"
    ln -s "$CL_PG_HOME" "$link"
  fi
  if ((EUID == 0)); then chown postgres:postgres "$CL_PG_HOME"; fi
  chmod 700 "$CL_PG_HOME"
}

# psql as the superuser over the Unix socket (trust: only root and postgres reach it).
cl_psql() {
  "$BW_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CL_PG_HOME/run" -p "$CL_PG_PORT" -U postgres -d postgres "$@"
}

cl_pg_ready() { "$BW_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -d bakewind -U bakewind; }

cl_pg_start() {
  cl_pg_home
  local data="$CL_PG_HOME/data" log="$CL_PG_HOME/postgres.log" init_log
  if [[ ! -f $data/PG_VERSION ]]; then
    rm -rf "$data"
    bw_log "postgres: creating the cluster in $data (once)"
    init_log=$(mktemp /tmp/bakewind-initdb.XXXXXX.log)
    if ! (cd / && bw_as_pg "$BW_PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256) >"$init_log" 2>&1; then
      cat "$init_log" >&2
      bw_die "postgres: initdb failed"
    fi
    rm -f "$init_log"
  fi
  bw_as_pg mkdir -p "$CL_PG_HOME/run"
  cl_spawn postgres "$log" --as-postgres "$BW_PG_BIN/postgres" -D "$data" -p "$CL_PG_PORT" \
    -c listen_addresses=127.0.0.1 -c "unix_socket_directories=$CL_PG_HOME/run"
  cl_wait_until postgres "$log" 60 cl_psql -tAc "SELECT 1"

  if [[ $(cl_psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'bakewind'") != 1 ]]; then
    cl_psql -c "CREATE ROLE bakewind WITH LOGIN PASSWORD 'bakewind'"
  fi
  if [[ $(cl_psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'bakewind'") != 1 ]]; then
    cl_psql -c "CREATE DATABASE bakewind OWNER bakewind"
  fi
  # shellcheck disable=SC2034
  CL_PG_DIRECT_URL="postgres://bakewind:bakewind@127.0.0.1:$CL_PG_PORT/bakewind"
  bw_log "postgres: 127.0.0.1:$CL_PG_PORT (data $data)"
}

cl_pgbouncer_conf() { # DIR
  cat <<EOF
; Written by scripts/cluster at every start: edits are lost.
[databases]
bakewind = host=127.0.0.1 port=$CL_PG_PORT dbname=bakewind

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $CL_PGBOUNCER_PORT
unix_socket_dir =
; Transaction pooling: a server connection is a client's only from BEGIN
; (or a lone statement) to COMMIT/ROLLBACK. BakeWind keeps no session state
; between transactions, so it runs here unchanged (see deploy/README.md).
pool_mode = transaction
auth_type = scram-sha-256
auth_file = $1/userlist.txt
; The instances open up to PG_POOL_SIZE client connections each; they share these.
default_pool_size = 20
max_client_conn = 500
max_db_connections = 40
stats_users = bakewind
ignore_startup_parameters = extra_float_digits
; After PostgreSQL was away, try it again within a second (the default, 15 s,
; keeps refusing clients long after it is back).
server_login_retry = 1
; Quiet under load and during an outage: no line per client connection, nor
; per error sent to a client (with PostgreSQL away that was thousands a
; minute); a failed login to PostgreSQL is still logged, at most once a
; second (server_login_retry).
log_connections = 0
log_disconnections = 0
log_pooler_errors = 0
EOF
}

cl_pgbouncer_start() {
  local dir="$CL_PG_HOME/pgbouncer" log="$CL_PG_HOME/pgbouncer/pgbouncer.log"
  bw_as_pg mkdir -p "$dir"
  cl_pgbouncer_conf "$dir" | bw_as_pg tee "$dir/pgbouncer.ini" >/dev/null
  # The password in clear: PgBouncer needs it to log in to PostgreSQL with SCRAM.
  printf '"bakewind" "bakewind"\n' | bw_as_pg tee "$dir/userlist.txt" >/dev/null
  bw_as_pg chmod 600 "$dir/userlist.txt"
  cl_spawn pgbouncer "$log" --as-postgres /usr/sbin/pgbouncer "$dir/pgbouncer.ini"
  cl_wait_until pgbouncer "$log" 20 cl_pg_ready "$CL_PGBOUNCER_PORT"
  # shellcheck disable=SC2034
  CL_PG_POOLED_URL="postgres://bakewind:bakewind@127.0.0.1:$CL_PGBOUNCER_PORT/bakewind"
  bw_log "pgbouncer: 127.0.0.1:$CL_PGBOUNCER_PORT, transaction pooling in front of PostgreSQL"
}
