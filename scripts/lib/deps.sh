# shellcheck shell=bash
# bw_deps [--run]: install the Debian 12 packages BakeWind needs, only those
# missing, then web/'s npm packages (bw_web_deps). With --run, only what
# scripts/run needs (build, local Redis and PostgreSQL, Node.js); without it,
# the test tools too. Quiet when everything is already installed.
# fuzz/run installs its own shorter list with bw_deb_deps.

# Building and serving: the compiler and libraries, and the local servers.
# ccache only makes builds faster (CMakeLists.txt uses it when present).
BW_DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libhiredis-dev libpq-dev libsodium-dev libjwt-dev libmimalloc-dev
  googletest libgtest-dev libgmock-dev
  redis-server postgresql-15 postgresql-client-15
  ca-certificates curl procps
)

# What the tests and benchmarks use on top: the servers of the multi-instance
# tests, promtool, python3 (deploy checks, cluster_smoke), Chromium and fonts
# for the browser tests and their screenshots, wrk, spin (models/check.sh).
BW_DEB_TEST_PACKAGES=(
  wrk prometheus haproxy pgbouncer python3 iproute2 spin
  chromium fonts-liberation fonts-dejavu-core
)

# Node.js: Debian's (18 on Debian 12) when the machine has none; a newer one
# already installed (with its own npm) is kept.
BW_NODE_MAJOR_MIN=18

# shellcheck disable=SC2120 # --run is optional
bw_deps() {
  local packages=("${BW_DEB_PACKAGES[@]}")
  if [[ ${1:-} != --run ]]; then packages+=("${BW_DEB_TEST_PACKAGES[@]}"); fi
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
  bw_deb_deps "${packages[@]}"
  bw_node_check
  bw_web_deps
}

# bw_node_check: stop with what to do when the Node.js on the PATH is older
# than the npm packages of web/ support.
bw_node_check() {
  local version major
  version=$(node --version 2>/dev/null || true)
  major=${version#v}
  major=${major%%.*}
  [[ $major =~ ^[0-9]+$ ]] && ((major >= BW_NODE_MAJOR_MIN)) ||
    bw_die "Node.js ${version:-(none)} is too old: web/ needs Node.js $BW_NODE_MAJOR_MIN or newer (Debian 12's nodejs package is 18)"
}

# bw_deb_deps PACKAGE...: install those of the given Debian packages that are
# missing, keeping their services from starting. Quiet when none is missing.
bw_deb_deps() {
  local missing=() p status
  for p in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0

  bw_log "installing ${#missing[@]} missing Debian package(s): ${missing[*]}"

  # Keep the packages' maintainer scripts from starting system services (a
  # system redis on 6379, the "15/main" cluster on 5432, pgbouncer on 6432,
  # haproxy): our own instances own those ports. policy-rc.d exit 101 = "action forbidden".
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    bw_as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    made_policy=1
  fi

  local log rc=0
  log=$(mktemp /tmp/bakewind-apt.XXXXXX.log)
  {
    bw_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      bw_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"
  } >"$log" 2>&1 || rc=$?

  if ((made_policy)); then bw_as_root rm -f "$policy"; fi

  if ((rc != 0)); then
    tail -n 30 "$log" >&2
    bw_die "apt-get failed (exit $rc); full log: $log"
  fi
  rm -f "$log"

  bw_stop_system_services "${missing[@]}"
  bw_log "packages installed"
}

# Stop the system services that a package install may have started anyway
# (for example where policy-rc.d was ignored), only for the packages this run
# installed (the arguments): redis-server, postgresql-15, pgbouncer, haproxy.
bw_stop_system_services() {
  local p pid pidfile
  for p in "$@"; do
    case $p in
      redis-server) pidfile=/run/redis/redis-server.pid ;;
      pgbouncer) pidfile=/run/postgresql/pgbouncer.pid ;;
      haproxy) pidfile=/run/haproxy.pid ;;
      postgresql-15) bw_stop_system_pg_clusters; continue ;;
      *) continue ;;
    esac
    [[ -r $pidfile ]] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if bw_pid_alive "$pid"; then
      bw_log "stopping the system $p the package started (pid $pid)"
      bw_as_root kill "$pid" 2>/dev/null || true
    fi
  done
}

bw_stop_system_pg_clusters() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  local ver name _rest
  while read -r ver name _rest; do
    bw_log "stopping the system PostgreSQL cluster $ver/$name the package started"
    bw_as_root pg_ctlcluster "$ver" "$name" stop || true
  done < <(pg_lsclusters -h 2>/dev/null | awk '$4 == "online"')
}

# bw_web_deps: `npm ci` in web/ (swagger-ui-dist, served by GET /api/docs)
# when web/node_modules is missing or older than web/package-lock.json.
# npm writes node_modules/.package-lock.json on every install: that file's
# age is the age of the install. Quiet when up to date. bw_deps has made
# sure that npm is there.
bw_web_deps() {
  local web="$ROOT/web"
  local stamp="$web/node_modules/.package-lock.json"
  [[ -f $web/package-lock.json ]] || return 0
  if [[ -f $stamp && ! $web/package-lock.json -nt $stamp ]]; then return 0; fi

  bw_log "installing web/ npm packages (npm ci)"
  local log rc=0
  log=$(mktemp /tmp/bakewind-npm.XXXXXX.log)
  (cd "$web" && npm ci --no-audit --no-fund) >"$log" 2>&1 || rc=$?
  if ((rc != 0)); then
    tail -n 30 "$log" >&2
    bw_die "npm ci in web/ failed (exit $rc); full log: $log"
  fi
  rm -f "$log"
  touch "$stamp"
  bw_log "web/ npm packages installed"
}
