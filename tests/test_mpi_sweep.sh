#!/usr/bin/env bash
# The sweep on MPI (docs/scaling.md), oversubscribed on a small machine:
#  - `mpirun -np 2 capsearch ... -j1` equals the one-process run: identical results.csv and run
#    files (output.log and args.json hold wall times and the command line and are excluded)
#  - both ranks ran jobs (out/output.log says which rank ran which job), no job ran twice (every
#    probe directory was committed exactly once)
#  - 3 ranks x 2 threads give the same bytes again (threads inside ranks)
#  - a rerun under mpirun simulates nothing and leaves results.csv unchanged
#  - an --shard half run under mpirun, the other half by a plain process, and an assembling
#    mpirun run equal the one-process run
#  - a failed job is named with its reason once, by rank 0, in a shard run too
#  - an output directory holding another sweep is refused with exit 2, reported once
#  - an output directory rank 0 cannot see is an error naming the rank and the job
#  - ranks started with different search options are refused before any work
# Skips when the binary was built without MPI (-DCS_MPI=ON) or mpirun is missing.
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cs_require_mpi
cs_sweep -g round_robin -g lor -r vllm_v1:512 -r sarathi:512 -s "$(cs_slo ttft_p99_1s prefill_e2e_time 1)" -t "1, 3" -q "2 2 80" -q "2 6 60 num_replicas" > "$T/sweep.yml"
OPTS="--max-iterations 3 --time-limit 30"
run_mpi() { # NP OUTDIR ERRFILE ARGS...
  local np=$1 out=$2 errf=$3
  shift 3
  "${MPIRUN[@]}" -np "$np" "$BIN" --config "$T/sweep.yml" --output-dir "$out" $OPTS "$@" > "$errf.out" 2> "$errf"
}
same() { diff -r -x output.log -x args.json "$1" "$2" > "$T/diff.txt"; }

"$BIN" --config "$T/sweep.yml" --output-dir "$T/one" -j2 $OPTS 2> "$T/one.err" || { fail "one-process run exit $?"; cat "$T/one.err"; }
nprobes=$(find "$T/one/runs" -name probe.json | wc -l)

# 2 ranks x 1 thread
run_mpi 2 "$T/m2" "$T/m2.err" -j1; rc=$?
[ $rc -eq 0 ] && ok "mpirun -np 2 exit 0" || { fail "mpirun -np 2 exit $rc"; cat "$T/m2.err"; }
if same "$T/one" "$T/m2"; then ok "2 ranks byte-identical to one process"; else fail "2 ranks differ"; head -20 "$T/diff.txt"; fi
cmp -s "$T/one/results.csv" "$T/m2/results.csv" && ok "results.csv identical" || fail "results.csv differs"
for r in 0 1; do
  grep -Eq "^capsearch: mpi: rank $r ran [1-9][0-9]* jobs, [1-9][0-9]* probes simulated" "$T/m2/output.log" \
    && ok "rank $r simulated probes" || { fail "rank $r did no work"; cat "$T/m2/output.log"; }
done
sum=$(awk '/^capsearch: mpi: rank [0-9]+ ran [0-9]+ jobs, [0-9]+ probes simulated$/ {n += $8} END {print n + 0}' "$T/m2/output.log")
[ "$sum" = "$nprobes" ] && ok "ranks simulated $sum probes, as many as one process" || fail "ranks simulated $sum probes, one process $nprobes"
grep -q "probes simulated, 0 reused" "$T/m2.err" && ok "rank 0 prints one summary" || { fail "summary"; cat "$T/m2.err"; }
[ "$(grep -c ' jobs: ' "$T/m2.err")" -eq 1 ] && ok "only rank 0 prints the summary" || { fail "summary count"; cat "$T/m2.err"; }
twice=0
for d in "$T"/m2/runs/*/r*_q*; do
  [ "$(grep -c 'committed probe.json' "$d/output.log")" -eq 1 ] || { twice=$((twice + 1)); echo "$d"; }
done
[ $twice -eq 0 ] && ok "every probe simulated and committed once" || fail "$twice probe dirs not committed exactly once"

# 3 ranks x 2 threads
run_mpi 3 "$T/m3" "$T/m3.err" -j2; rc=$?
[ $rc -eq 0 ] && ok "mpirun -np 3 -j2 exit 0" || { fail "mpirun -np 3 exit $rc"; cat "$T/m3.err"; }
if same "$T/one" "$T/m3"; then ok "3 ranks x 2 threads byte-identical to one process"; else fail "3 ranks differ"; head -20 "$T/diff.txt"; fi
grep -q "rank 2 on .* 2 job threads" "$T/m3/output.log" && ok "3 ranks with 2 job threads each" || { fail "rank log"; cat "$T/m3/output.log"; }

# rerun: everything is committed
run_mpi 2 "$T/m2" "$T/re.err" -j1; rc=$?
[ $rc -eq 0 ] && grep -q " 0 probes simulated, $nprobes reused" "$T/re.err" && ok "rerun under mpirun simulates nothing" \
  || { fail "rerun rc=$rc"; cat "$T/re.err"; }
cmp -s "$T/one/results.csv" "$T/m2/results.csv" && ok "rerun results identical" || fail "rerun results differ"

# --shard with MPI: half under mpirun, half by one process, assembled under mpirun
run_mpi 2 "$T/sh" "$T/sh0.err" -j1 --shard 0/2; rc0=$?
"$BIN" --config "$T/sweep.yml" --output-dir "$T/sh" $OPTS -j2 --shard 1/2 2> "$T/sh1.err"; rc1=$?
[ $rc0 -eq 0 ] && [ $rc1 -eq 0 ] && ok "shards ran (one under mpirun)" || { fail "shards rc=$rc0/$rc1"; cat "$T/sh0.err" "$T/sh1.err"; }
[ ! -f "$T/sh/results.csv" ] && ok "shards leave results.csv to the final run" || fail "a shard wrote results.csv"
run_mpi 2 "$T/sh" "$T/sha.err" -j1; rc=$?
[ $rc -eq 0 ] && grep -q " 0 probes simulated" "$T/sha.err" && ok "mpirun assembly simulates nothing" || { fail "assembly rc=$rc"; cat "$T/sha.err"; }
if same "$T/one" "$T/sh"; then ok "shards + MPI assembly byte-identical to one process"; else fail "sharded differs"; head "$T/diff.txt"; fi

# a failed job (runs/<hash> is a file) is named with its reason by rank 0, once, also in a shard
bad=$(grep -m1 ',ok,' "$T/one/results.csv" | cut -d, -f1)
mkdir -p "$T/shf/runs" && echo "not a directory" > "$T/shf/runs/$bad"
run_mpi 2 "$T/shf" "$T/shf0.err" -j1 --shard 0/2
run_mpi 2 "$T/shf" "$T/shf1.err" -j1 --shard 1/2
[ "$(cat "$T/shf0.err" "$T/shf1.err" | grep -c "^capsearch: job [0-9]* ($bad) failed: .*runs/$bad: exists and is not a directory$")" -eq 1 ] \
  && ok "rank 0 names the failed job and why, once" || { fail "MPI shard failure unexplained"; cat "$T/shf0.err" "$T/shf1.err"; }

# another sweep in the same output directory: refused once, by rank 0
sed 's/value: 1}/value: 2}/' "$T/sweep.yml" > "$T/other.yml"
"${MPIRUN[@]}" -np 2 "$BIN" --config "$T/other.yml" --output-dir "$T/m2" $OPTS -j1 > /dev/null 2> "$T/other.err"; rc=$?
[ $rc -eq 2 ] && ok "other sweep refused with exit 2" || { fail "other sweep rc=$rc"; cat "$T/other.err"; }
[ "$(grep -c 'holds the results of a different sweep' "$T/other.err")" -eq 1 ] && ok "refusal reported once" \
  || { fail "refusal message count"; cat "$T/other.err"; }
cmp -s "$T/one/results.csv" "$T/m2/results.csv" && ok "refused run left results.csv alone" || fail "refused run changed results.csv"

# a rank whose files rank 0 cannot see (here: MPMD, rank 1 given another --output-dir, as on a
# node-local disk): refused with the rank and the job named, not a silently wrong results.csv
"${MPIRUN[@]}" -np 1 "$BIN" --config "$T/sweep.yml" --output-dir "$T/ns0" $OPTS -j1 : \
  -np 1 "$BIN" --config "$T/sweep.yml" --output-dir "$T/ns1" $OPTS -j1 > /dev/null 2> "$T/ns.err"; rc=$?
[ $rc -eq 1 ] && grep -q "rank 1 finished it .* must be one directory on a file system every rank shares" "$T/ns.err" \
  && ok "unshared output directory detected (exit 1)" || { fail "unshared output dir rc=$rc"; cat "$T/ns.err"; }

# ranks started with different search options (MPMD): refused before any work, rank named
"${MPIRUN[@]}" -np 1 "$BIN" --config "$T/sweep.yml" --output-dir "$T/mix" $OPTS -j1 : \
  -np 1 "$BIN" --config "$T/sweep.yml" --output-dir "$T/mix" $OPTS --max-iterations 5 -j1 > /dev/null 2> "$T/mix.err"; rc=$?
[ $rc -eq 2 ] && grep -q "rank 1: this rank was started with another sweep or other search options" "$T/mix.err" \
  && [ ! -d "$T/mix/runs" ] && ok "ranks with different options refused (exit 2)" || { fail "mixed options rc=$rc"; cat "$T/mix.err"; }

echo "$fails failure(s)"
[ $fails -eq 0 ]
