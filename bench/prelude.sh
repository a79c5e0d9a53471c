# shellcheck shell=bash
# What every bench script starts with: ROOT (the checkout), the libraries of
# scripts/lib (common, deps, build, services) and bench/lib.sh. Sourced as
# a script's first step:
#   source "$(dirname "${BASH_SOURCE[0]}")/prelude.sh"
# shellcheck source-path=SCRIPTDIR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
# shellcheck source=../scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh"
# shellcheck source=../scripts/lib/build.sh
source "$ROOT/scripts/lib/build.sh"
# shellcheck source=../scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"
# shellcheck source=lib.sh
source "$ROOT/bench/lib.sh"
