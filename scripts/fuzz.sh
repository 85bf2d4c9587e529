#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) in build-fuzz/ and runs each
# for SECONDS (default 10) from its seed corpus in tests/fuzz/corpus/<target>/. New inputs go to
# a scratch corpus, never into the repository; a crash leaves crash-* in build-fuzz/ and exits 1.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 600 fuzz_sweep (by hand)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
shift || true
"$root/scripts/deps.sh" clang
bdir=$root/build-fuzz
CC=clang cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCS_FUZZ=ON -DCS_BUILD_TESTS=OFF >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(cd "$root/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//'))
cmake --build "$bdir" -j"$(nproc)" --target "${targets[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$bdir"
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  echo "fuzz: $t for ${secs}s"
  # -rss_limit_mb: an input that makes a reader allocate more than this is a finding too
  rc=0
  "$bdir/tests/fuzz/$t" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
    "$scratch/$t" "$root/tests/fuzz/corpus/$t" > "$scratch/$t.log" 2>&1 || rc=$?
  grep -E '^stat::number_of_executed_units' "$scratch/$t.log" || true
  if [ $rc -ne 0 ]; then
    tail -40 "$scratch/$t.log"
    echo "fuzz: $t found a failure (exit $rc; the input is crash-*/oom-*/timeout-* in $bdir)"
    exit 1
  fi
done
