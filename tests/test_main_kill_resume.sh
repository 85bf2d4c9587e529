#!/usr/bin/env bash
# Kill -9 at random moments, resume, compare: the same command run again after any number of
# SIGKILLs finishes with the same results.csv and run files as an uninterrupted run, leaves no
# partial files, and never simulates a probe again once its probe.json was committed (each
# output.log holds exactly one "committed probe.json" line). Also: SIGINT stops cleanly with
# exit 130 and a later run completes.
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cs_sweep -c h100 -c a100 -g round_robin -g lor -r vllm_v1:512 -r sarathi:512 -s "$(cs_slo ttft_p99_1s prefill_e2e_time 1)" -q "2 2 200" -q "2 6 150 num_replicas" > "$T/sweep.yml"
OPTS="--max-iterations 5 --time-limit 30 -j2"

"$BIN" --config "$T/sweep.yml" --output-dir "$T/ref" $OPTS 2> "$T/ref.err" || { fail "reference run"; cat "$T/ref.err"; }

# SIGINT: stop starting probes, commit the running ones, exit 130
"$BIN" --config "$T/sweep.yml" --output-dir "$T/int" $OPTS 2> "$T/int.err" &
pid=$!
sleep 0.5
kill -INT $pid
wait $pid; rc=$?
if [ $rc -eq 130 ] || [ $rc -eq 0 ]; then ok "SIGINT exit $rc"; else fail "SIGINT exit $rc"; cat "$T/int.err"; fi
"$BIN" --config "$T/sweep.yml" --output-dir "$T/int" $OPTS 2> /dev/null || fail "run after SIGINT"
cmp -s "$T/ref/results.csv" "$T/int/results.csv" && ok "results after SIGINT + resume identical" || fail "results after SIGINT differ"

# SIGKILL at random moments
RANDOM=${CS_TEST_SEED:-4242}
kills=0
for i in 1 2 3 4 5 6 7 8; do
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/out" $OPTS 2> /dev/null &
  pid=$!
  delay=$(printf '0.%02d' $((RANDOM % 60 + 5)))
  sleep "$delay"
  if kill -9 $pid 2> /dev/null; then kills=$((kills + 1)); fi
  wait $pid 2> /dev/null
done
ok "$kills kills"
"$BIN" --config "$T/sweep.yml" --output-dir "$T/out" $OPTS 2> "$T/final.err"; rc=$?
[ $rc -eq 0 ] && ok "final resume exit 0 ($(grep 'probes simulated' "$T/final.err"))" || { fail "final resume exit $rc"; cat "$T/final.err"; }
cmp -s "$T/ref/results.csv" "$T/out/results.csv" && ok "results.csv identical to the uninterrupted run" \
  || { fail "results.csv differs"; diff "$T/ref/results.csv" "$T/out/results.csv" | head; }
if diff -r -x output.log -x args.json "$T/ref" "$T/out" > "$T/diff.txt"; then ok "run files identical"; else fail "run files differ"; head "$T/diff.txt"; fi
partial=$(find "$T/out" -name '*.tmp-*' -o -name '.tmp-*' | wc -l)
[ "$partial" -eq 0 ] && ok "no partial files" || { fail "$partial partial files"; find "$T/out" -name '*.tmp-*' -o -name '.tmp-*' | head; }
bad=0
for d in "$T"/out/runs/*/r*_q*; do
  [ -f "$d/probe.json" ] || { bad=$((bad + 1)); echo "no probe.json in $d"; continue; }
  # committed at most once (a kill between probe.json and its log line leaves 0), and never
  # simulated again after a commit
  c=$(grep -c 'committed probe.json' "$d/output.log")
  [ "$c" -le 1 ] || { bad=$((bad + 1)); echo "$d committed $c times"; }
  after=$(awk '/committed probe.json/ {seen = 1} seen && /: simulating / {n++} END {print n + 0}' "$d/output.log")
  [ "$after" -eq 0 ] || { bad=$((bad + 1)); echo "$d simulated again after its commit"; }
  [ "$(find "$d" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 1 ] || { bad=$((bad + 1)); echo "$d has extra dirs"; }
done
[ $bad -eq 0 ] && ok "every probe committed once and never simulated again, one result dir each" || fail "$bad bad probe dirs"

echo "$fails failure(s)"
[ $fails -eq 0 ]
