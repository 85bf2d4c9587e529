#!/usr/bin/env bash
# Speculative search: with fewer jobs than threads, idle threads simulate the probes a search
# may ask for next. The answers and every committed file must equal the sequential search's.
#  - one job, -j1 (no speculation) vs -j2 and -j3 (speculation): results.csv and all run files
#    byte-identical (output.log and args.json excluded: wall times, thread counts)
#  - the parallel runs did use probes simulated ahead (output.log says so)
#  - a sweep with an early-stopping SLO and a num_replicas search, -j1 vs -j3: identical too
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cs_sweep -s "$(cs_slo ttft_p99_1s prefill_e2e_time 1)" -q "1 2 300" > "$T/sweep.yml"
OPTS="--max-iterations 8 --time-limit 30"
for j in 1 2 3; do
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/j$j" -j$j $OPTS 2> "$T/j$j.err" || { fail "-j$j exit $?"; cat "$T/j$j.err"; }
done
for j in 2 3; do
  if diff -r -x output.log -x args.json "$T/j1" "$T/j$j" > "$T/diff.txt"; then ok "-j1 and -j$j byte-identical"; else fail "-j1 vs -j$j differ"; head -20 "$T/diff.txt"; fi
  n=$(grep -rl "simulated ahead" "$T/j$j/runs" | wc -l)
  [ "$n" -gt 0 ] && ok "-j$j: $n probes came from speculation" || fail "-j$j: no probe simulated ahead"
done
grep -rq "simulated ahead" "$T/j1/runs" && fail "-j1 speculated" || ok "-j1 never speculates"

sed -e 's/search_for: qps, num_replicas: 1, qps: 2/search_for: num_replicas, num_replicas: 1, qps: 9/' \
    -e 's/value: 1}]/value: 0.6}]/' "$T/sweep.yml" > "$T/replicas.yml"
cat >> "$T/replicas.yml" <<'YML'
  - {trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 2, qps: 3, num_requests: 300}
YML
for j in 1 3; do
  "$BIN" --config "$T/replicas.yml" --output-dir "$T/r$j" -j$j $OPTS 2> "$T/r$j.err" || { fail "replicas -j$j exit $?"; cat "$T/r$j.err"; }
done
if diff -r -x output.log -x args.json "$T/r1" "$T/r3" > "$T/diff.txt"; then ok "num_replicas + qps searches: -j1 and -j3 byte-identical"; else fail "replicas sweep differs"; head -20 "$T/diff.txt"; fi
grep -q ',ok,\|,no_pass,' "$T/r1/results.csv" && ok "searches finished" || fail "no finished search"
[ $fails -eq 0 ]
