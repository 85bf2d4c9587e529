#!/usr/bin/env bash
# CI beside gcc's: the unit suites built with clang under AddressSanitizer + UndefinedBehavior-
# Sanitizer (clang's UBSan checks more, e.g. arithmetic on a NULL pointer), in build-clang/, with
# warnings as errors like gcc's build (clang warns where gcc does not, e.g. -Wimplicit-int-float-conversion).
# The shell suites run under gcc's sanitizers (scripts/test.sh --sanitize); here only the CUnit
# suites and the bad-input catalogue run, which keeps CI well inside its time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" clang
bdir=$root/build-clang
CC=clang cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCS_SANITIZE=ON -DCS_WERROR=ON >/dev/null
cmake --build "$bdir" -j"$(nproc)"
cmake --build "$bdir" -j"$(nproc)" --target benches
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$bdir"
ctest --output-on-failure -j"$(nproc)" -L unit
# and the bad-input catalogue, where clang's UBSan sees what gcc's does not
ctest --output-on-failure -R '^test_main_bad_inputs$'
