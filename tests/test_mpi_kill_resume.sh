#!/usr/bin/env bash
# A rank that dies loses only its in-flight probes (docs/scaling.md):
#  - kill -9 of rank 1 mid-sweep (mpirun then ends the whole job), rerun;
#    kill -9 of rank 0 mid-sweep, rerun;
#    SIGTERM to every rank (what Slurm's scancel and a time limit send): exit 130, rerun;
#  - the final rerun completes with results.csv and run files identical to an uninterrupted
#    one-process run, reuses the committed probes, leaves no partial files, and no probe was
#    simulated again after its probe.json was committed (other than a stopped-early probe run to
#    the end because its job's conclusion quotes it). The sweep is sized so that it runs for a few
#    seconds: the kills must land while it is still running.
# Skips when the binary was built without MPI (-DCS_MPI=ON) or mpirun is missing.
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cs_require_mpi
# every rank inherits this, so the test finds its own ranks (and only them) in /proc
export CS_MPI_TEST_TAG="capsearch-test-$$-$RANDOM"
mp=
trap '[ -n "$mp" ] && kill -9 $mp 2> /dev/null; rm -rf "$T"' EXIT
cs_sweep -c h100 -c a100 -g round_robin -g lor -r vllm_v1:512 -r sarathi:512 -s "$(cs_slo ttft_p99_1s prefill_e2e_time 1)" -q "2 2 3000" -q "2 6 2500 num_replicas" > "$T/sweep.yml"
OPTS="--max-iterations 6 --time-limit 2000"
OUT=$T/out

committed() { find "$OUT" -name probe.json 2> /dev/null | wc -l; }
# waits until at least $1 probes are committed; fails when mpirun ended first or after 60 s
wait_committed() {
  local i=0
  while [ "$(committed)" -lt "$1" ]; do
    kill -0 $mp 2> /dev/null || return 1
    sleep 0.1
    i=$((i + 1))
    [ $i -lt 600 ] || return 1
  done
}
# pid of rank $1 of this test's mpirun: among its children (Open MPI) and grandchildren
# (MPICH's hydra proxies), the process whose environment has the test's tag and that rank
rank_pid() {
  local c g env
  for c in $(pgrep -P $mp); do
    for g in $c $(pgrep -P $c); do
      env=$({ tr '\0' '\n' < /proc/$g/environ; } 2> /dev/null) || continue
      grep -qx "CS_MPI_TEST_TAG=$CS_MPI_TEST_TAG" <<< "$env" || continue
      grep -Eqx "(OMPI_COMM_WORLD_RANK|PMIX_RANK|PMI_RANK)=$1" <<< "$env" || continue
      echo $g
      return 0
    done
  done
  return 1
}
# rank_pid, waiting for the launcher to start the rank (10 s at most)
rank_pid_wait() {
  local i
  for i in $(seq 100); do
    rank_pid $1 && return 0
    sleep 0.1
  done
  return 1
}
# the next kill point: the target, and at least 2 probes committed by the run being started
next_target() {
  local base
  base=$(($(committed) + 2))
  [ "$1" -gt "$base" ] && echo "$1" || echo "$base"
}
start() { "${MPIRUN[@]}" -np 2 "$BIN" --config "$T/sweep.yml" --output-dir "$OUT" $OPTS -j1 > /dev/null 2> "$T/$1.err" & mp=$!; }

"$BIN" --config "$T/sweep.yml" --output-dir "$T/ref" $OPTS -j2 2> "$T/ref.err" || { fail "reference run"; cat "$T/ref.err"; }
total=$(find "$T/ref/runs" -name probe.json | wc -l)

# kill -9 one rank, then the other, then SIGTERM, each after another sixth of the probes
step=$((total / 6))
[ $step -ge 2 ] || step=2
target=$step
for r in 1 0; do
  t=$(next_target $target)
  start "kill$r"
  if pid=$(rank_pid_wait $r) && wait_committed $t; then
    kill -9 "$pid"
    wait $mp 2> /dev/null; rc=$?
    mp=
    n=$(committed)
    [ $rc -ne 0 ] && ok "kill -9 of rank $r: mpirun exit $rc with $n of $total probes committed" \
      || fail "mpirun exit 0 after rank $r was killed"
  else
    fail "rank $r: no progress or no pid to kill"
    kill -9 $mp 2> /dev/null
    wait $mp 2> /dev/null
    mp=
  fi
  target=$((target + step))
done
[ "$(committed)" -lt "$total" ] && ok "the sweep was cut short ($(committed) of $total probes)" || fail "kills came too late"

# SIGTERM to every rank (scancel): stop starting probes, commit the running ones, exit 130
t=$(next_target $target)
start term
if p0=$(rank_pid_wait 0) && p1=$(rank_pid_wait 1) && wait_committed $t; then
  kill -TERM "$p0" "$p1"
  wait $mp; rc=$?
  mp=
  if [ $rc -eq 130 ]; then
    grep -q "run the same command again to continue" "$T/term.err" && ok "SIGTERM: exit 130, told to rerun" \
      || { fail "SIGTERM message"; cat "$T/term.err"; }
  elif [ $rc -eq 0 ]; then
    ok "SIGTERM came after the last job (exit 0)"
  else
    fail "SIGTERM exit $rc"
    cat "$T/term.err"
  fi
else
  fail "SIGTERM run: no progress or no pids"
  kill -9 $mp 2> /dev/null
  wait $mp 2> /dev/null
  mp=
fi

"${MPIRUN[@]}" -np 2 "$BIN" --config "$T/sweep.yml" --output-dir "$OUT" $OPTS -j1 > /dev/null 2> "$T/final.err"; rc=$?
[ $rc -eq 0 ] && ok "final rerun exit 0" || { fail "final rerun exit $rc"; cat "$T/final.err"; }
grep -Eq " [0-9]+ probes simulated, [1-9][0-9]* reused" "$T/final.err" && ok "rerun reused committed probes ($(grep -o '[0-9]* probes simulated, [0-9]* reused' "$T/final.err"))" \
  || { fail "rerun reused nothing"; cat "$T/final.err"; }
cmp -s "$T/ref/results.csv" "$OUT/results.csv" && ok "results.csv identical to the uninterrupted run" \
  || { fail "results.csv differs"; diff "$T/ref/results.csv" "$OUT/results.csv" | head; }
if diff -r -x output.log -x args.json "$T/ref" "$OUT" > "$T/diff.txt"; then ok "run files identical"; else fail "run files differ"; head "$T/diff.txt"; fi
partial=$(find "$OUT" -name '.tmp*' | wc -l)
[ "$partial" -eq 0 ] && ok "no partial files" || { fail "$partial partial files"; find "$OUT" -name '.tmp*' | head; }
bad=0
for d in "$OUT"/runs/*/r*_q*; do
  [ -f "$d/probe.json" ] || { bad=$((bad + 1)); echo "no probe.json in $d"; continue; }
  # a stopped-early probe that its job's conclusion quotes is simulated to the end once more in
  # the same run ("simulating to the end") and committed again: that is the design, not a resume
  c=$(grep -c 'committed probe.json' "$d/output.log")
  again=$(grep -c 'simulating to the end' "$d/output.log")
  [ "$c" -le $((1 + again)) ] || { bad=$((bad + 1)); echo "$d committed $c times"; }
  after=$(awk '/committed probe.json/ {seen = 1} /simulating to the end/ {seen = 0} seen && /: simulating / {n++} END {print n + 0}' "$d/output.log")
  [ "$after" -eq 0 ] || { bad=$((bad + 1)); echo "$d simulated again after its commit"; }
done
[ $bad -eq 0 ] && ok "every probe committed once and never simulated again" || fail "$bad bad probe dirs"

echo "$fails failure(s)"
[ $fails -eq 0 ]
