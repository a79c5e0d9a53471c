# shellcheck shell=bash
# Shared helpers for scripts/run and scripts/test. Source after setting ROOT.

: "${ROOT:?ROOT must be set to the checkout root before sourcing scripts/lib}"

# One prefix for every line our scripts print, so they stand out from the
# compiler's, ctest's and bakewind's own output.
bw_log() { printf '[bakewind] %s\n' "$*" >&2; }
bw_die() { printf '[bakewind] error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, through sudo otherwise.
bw_as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    bw_die "need root (or sudo) to run: $*"
  fi
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
bw_port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when PID is a live process.
bw_pid_alive() {
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null
}

