#!/usr/bin/env bash
# The test command: installs what is missing, builds with warnings as errors (benchmarks too),
# runs every suite.
#   scripts/test.sh              normal build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
extra=()
bdir=$root/build
if [ "${1:-}" = "--sanitize" ]; then
  extra+=(-DCS_SANITIZE=ON)
  bdir=$root/build-asan
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
CS_BUILD_DIR=$bdir "$root/scripts/build.sh" -DCS_WERROR=ON "${extra[@]}"
# the benchmarks (bench/) are built with the same warnings so they cannot rot, but never run here
cmake --build "$bdir" -j"$(nproc)" --target benches
cd "$bdir"
ctest --output-on-failure -j"$(nproc)"
