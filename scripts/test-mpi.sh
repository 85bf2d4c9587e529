#!/usr/bin/env bash
# The MPI build and its tests (docs/scaling.md): installs Open MPI when missing (Debian's
# openmpi-bin and libopenmpi-dev), builds capsearch with -DCS_MPI=ON and warnings as errors, and
# runs the MPI tests (mpirun oversubscribed on a small machine; as root with
# --allow-run-as-root) plus the one-process sweep test, whose --shard case then also runs on
# the MPI build.
#   scripts/test-mpi.sh              build in build-mpi/ (or $CS_MPI_BUILD_DIR)
#   scripts/test-mpi.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer, build-mpi-asan/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
extra=()
bdir=${CS_MPI_BUILD_DIR:-$root/build-mpi}
if [ "${1:-}" = "--sanitize" ]; then
  extra+=(-DCS_SANITIZE=ON)
  bdir=${CS_MPI_BUILD_DIR:-$root/build-mpi-asan}
  # Open MPI keeps allocations past MPI_Finalize: the MPI tests turn leak checks off for the
  # ranks; everything else keeps them
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
"$root/scripts/deps.sh" openmpi-bin libopenmpi-dev
cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=${CS_BUILD_TYPE:-RelWithDebInfo} -DCS_WERROR=ON -DCS_MPI=ON \
  "${extra[@]}" > /dev/null
cmake --build "$bdir" -j"$(nproc)" --target capsearch
"$bdir/capsearch" --version | grep -q '(mpi)' || { echo "test-mpi: $bdir/capsearch is not an MPI build" >&2; exit 1; }
cd "$bdir"
ctest --output-on-failure -R '^test_(mpi_.*|main_sweep)$'
