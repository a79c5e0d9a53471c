# shellcheck shell=bash
# bw_build [TARGET...]: configure once (Ninja, Release) and build the given
# targets, or every target (tests included) when none is given,
# incrementally. Sets BAKEWIND_BIN to the server binary.

# shellcheck disable=SC2120 # the targets are optional
bw_build() {
  local build_dir="$ROOT/build" start end t targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  start=$(date +%s)

  if [[ ! -f $build_dir/build.ninja ]]; then
    if [[ -f $build_dir/CMakeCache.txt ]] &&
      ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build_dir/CMakeCache.txt"; then
      bw_die "$build_dir was configured with another CMake generator; remove it (rm -rf build) and run again"
    fi
    bw_log "configuring $build_dir (Ninja, Release)"
    cmake -S "$ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi

  bw_log "building ${*:-everything} (-j $(nproc))"
  if ! cmake --build "$build_dir" --parallel "$(nproc)" "${targets[@]}"; then
    end=$(date +%s)
    bw_die "build failed after $((end - start))s"
  fi
  end=$(date +%s)
  bw_log "build done in $((end - start))s"

  BAKEWIND_BIN="$build_dir/bakewind"
  if [[ ! -x $BAKEWIND_BIN ]]; then
    BAKEWIND_BIN=$(find "$build_dir" -type f -name bakewind -perm -u+x -print -quit 2>/dev/null || true)
  fi
  export BAKEWIND_BIN
}

# bw_require_binary: fail clearly when the build produced no server binary.
bw_require_binary() {
  [[ -n ${BAKEWIND_BIN:-} && -x $BAKEWIND_BIN ]] ||
    bw_die "no bakewind binary under $ROOT/build after the build"
}
