#!/usr/bin/env bash
# models/check.sh: model-checks every model in models/ with spin (exhaustive,
# safety: assertions and invalid end states), and each of its mutants, which
# must be refuted (spin finds a counterexample): a model that proves nothing
# cannot pass. Prints states stored and time per run; exit 1 on any surprise.
# Needs spin and a C compiler (scripts/test installs spin).
#   models/check.sh          what CI runs (about 100 s alone, lock.pml most of it)
#   models/check.sh --long   also the checks past CI's budget: lock.pml with
#                            a Redis that stops answering (62M states, about 80 s, 4.5 GB)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v spin >/dev/null || { echo "models: spin is not installed (apt-get install spin)" >&2; exit 1; }
work=$(mktemp -d /tmp/bakewind-models.XXXXXX)
trap 'rm -rf "$work"' EXIT

# model  define       expected
runs=(
  "handoff.pml -       holds"
  "handoff.pml NO_SERVER_CHECK refuted"
  "handoff.pml GET_THEN_DEL    refuted"
  "handoff.pml ANY_CLAIM       refuted"
  "refresh.pml -                holds"
  "refresh.pml CHECK_THEN_USE   refuted"
  "refresh.pml SUCCESSOR_LATER  refuted"
  "refresh.pml NO_FAMILY_REVOKE refuted"
  "refresh.pml NO_REFRESH       refuted"
  "revocation.pml -                holds"
  "revocation.pml NO_MARKER        refuted"
  "revocation.pml NO_SERVER_CHANGE refuted"
  "revocation.pml NO_SEAL_TOKEN    refuted"
  "revocation.pml NO_CUTOFF_REFILL refuted"
  "revocation.pml REDIS_NEVER      refuted"
  "lock.pml -              holds"
  "lock.pml UPSERT_ANYWAY  refuted"
  "lock.pml RELEASE_ANY    refuted"
  "lock.pml GRANT_BY_REDIS refuted"
  "lock.pml PATCH_BY_REDIS refuted"
  "lock.pml NO_GRANT       refuted"
  "lock.pml RENEW_ANY      refuted"
  "lock.pml SWEEP_LIVE     refuted"
)
if [[ ${1:-} == --long ]]; then
  runs+=("lock.pml REDIS_PAUSES   holds")
fi

failed=0
for run in "${runs[@]}"; do
  read -r model define expected <<<"$run"
  dir=$work/${model%.pml}-$define
  mkdir -p "$dir"
  flags=()
  [[ $define == - ]] || flags=("-D$define")
  (cd "$dir" && spin "${flags[@]}" -a "$here/$model" >spin.log 2>&1 &&
    cc -O2 -w -DSAFETY -o pan pan.c >cc.log 2>&1 && ./pan -m100000 >pan.log 2>&1) || {
    echo "models: $model $define did not build or run:" >&2
    cat "$dir"/*.log >&2
    failed=1
    continue
  }
  errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log")
  states=$(sed -n 's/^ *\([0-9e+.]*\) states, stored.*/\1/p' "$dir/pan.log")
  took=$(sed -n 's/^pan: elapsed time \(.*\)/\1/p' "$dir/pan.log")
  if grep -q "search not completed\|max search depth too small" "$dir/pan.log"; then
    verdict="INCOMPLETE"
  elif [[ $errors == 0 ]]; then
    verdict=holds
  else
    verdict=refuted
  fi
  printf '%-15s %-16s %-9s (expected %s): %s states, %s\n' "$model" "$define" "$verdict" "$expected" "$states" "$took"
  if [[ $verdict != "$expected" ]]; then
    failed=1
    sed -n '1,20p' "$dir/pan.log" >&2
  fi
done
exit "$failed"
