#!/usr/bin/env bash
# Wall time of one sweep three ways (docs/scaling.md), on the same machine, from empty output
# directories:
#   threads  1 process x N threads         capsearch ... -jN
#   mpi      N ranks x 1 thread            mpirun -np N capsearch ... -j1   (needs an MPI build)
#   shard    N processes x 1 thread        capsearch ... --shard i/N -j1, all at once, then the
#                                          assembling run (timed apart: it simulates nothing)
# and checks that every way wrote the same results.csv and run files as the first.
#
#   bench/bench_scaling.sh CAPSEARCH [SWEEP.yml] [-- extra capsearch options]
#   N=2 by default (BENCH_N=4 for more); SWEEP defaults to configs/quickstart.yml with
#   --time-limit 30 (32 jobs, about a minute on 2 cores).
# Build: cmake -S . -B build-mpi -DCS_MPI=ON && cmake --build build-mpi --target capsearch
set -u
BIN=${1:?usage: bench_scaling.sh CAPSEARCH [SWEEP.yml] [-- options]}
shift
SRC=$(cd "$(dirname "$0")/.." && pwd)
SWEEP=$SRC/configs/quickstart.yml
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  SWEEP=$1
  shift
fi
[ "${1:-}" = "--" ] && shift
OPTS=("$@")
[ ${#OPTS[@]} -gt 0 ] || OPTS=(--time-limit 30)
N=${BENCH_N:-2}
export CS_CONFIG_DIR=${CS_CONFIG_DIR:-$SRC/configs}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }
same() { diff -r -q -x output.log -x args.json "$T/threads" "$1" > /dev/null && echo yes || echo NO; }

echo "sweep: $SWEEP ${OPTS[*]}"
echo "machine: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
"$BIN" --config "$SWEEP" --dry-run "${OPTS[@]}" 2> /dev/null | tail -1

a=$(now)
"$BIN" --config "$SWEEP" --output-dir "$T/threads" -j"$N" "${OPTS[@]}" 2> "$T/threads.err" || { cat "$T/threads.err"; exit 1; }
t_threads=$(elapsed "$a" "$(now)")
probes=$(grep -o '[0-9]* probes simulated' "$T/threads.err" | cut -d' ' -f1)

t_mpi=-
same_mpi=-
if "$BIN" --version | grep -q '(mpi)' && command -v mpirun > /dev/null; then
  MPIRUN=(mpirun)
  if mpirun --version 2>&1 | grep -q 'Open MPI'; then
    MPIRUN+=(--oversubscribe)
    [ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
  fi
  a=$(now)
  "${MPIRUN[@]}" -np "$N" "$BIN" --config "$SWEEP" --output-dir "$T/mpi" -j1 "${OPTS[@]}" > /dev/null 2> "$T/mpi.err" \
    || { cat "$T/mpi.err"; exit 1; }
  t_mpi=$(elapsed "$a" "$(now)")
  same_mpi=$(same "$T/mpi")
else
  echo "(no MPI row: $BIN is not an MPI build or mpirun is missing)"
fi

a=$(now)
pids=()
for ((i = 0; i < N; i++)); do
  "$BIN" --config "$SWEEP" --output-dir "$T/shard" -j1 --shard "$i/$N" "${OPTS[@]}" 2> "$T/shard$i.err" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { cat "$T"/shard*.err; exit 1; }; done
b=$(now)
"$BIN" --config "$SWEEP" --output-dir "$T/shard" -j1 "${OPTS[@]}" 2> "$T/assemble.err" || { cat "$T/assemble.err"; exit 1; }
c=$(now)
t_shards=$(elapsed "$a" "$b")
t_assemble=$(elapsed "$b" "$c")
same_shard=$(same "$T/shard")

ratio() { [ "$1" = - ] && echo - || awk -v a="$t_threads" -v b="$1" 'BEGIN {printf "%.2f", a / b}'; }
printf '\n%-8s %-28s %10s %12s %10s\n' mode layout "wall (s)" "vs threads" identical
printf '%-8s %-28s %10s %12s %10s\n' threads "1 process x $N threads" "$t_threads" 1.00 "(ref)"
printf '%-8s %-28s %10s %12s %10s\n' mpi "$N ranks x 1 thread" "$t_mpi" "$(ratio "$t_mpi")" "$same_mpi"
printf '%-8s %-28s %10s %12s %10s\n' shard "$N processes x 1 thread" "$t_shards" "$(ratio "$t_shards")" "$same_shard"
printf '%-8s %-28s %10s\n' "" "+ assembling run" "$t_assemble"
echo "$probes probes simulated per sweep; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
