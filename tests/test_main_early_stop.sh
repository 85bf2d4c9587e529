#!/usr/bin/env bash
# Early stopping (a probe ends once its SLO verdict is a certain fail) against --full-probes
# (every probe to the end, Vidur's behaviour), on a sweep whose searches pass and fail probes
# under one-metric SLOs at several quantiles and two-metric `and` / `or` SLOs:
#  - the same probes are simulated, each with the same verdict
#  - results.csv and every passing probe's directory are byte-identical (also the reasons that
#    quote failing probes: a stopped probe the conclusion quotes is simulated to the end)
#  - some failing probes stopped early (probe.json "stopped_early": true, a note in output.log);
#    none did under --full-probes, and no passing probe ever does
#  - the same under `verdict: vidur` (completed requests only: nothing counted in flight there)
#  - a job runs to the end only the stopped probes its conclusion reads: nearest first, so each
#    one run again before the last turned out too short to tell (it had run again every stopped
#    probe beyond the answer, farthest first)
#  - a search's last probe is never stopped: failing, the conclusion quotes it, so it used to be
#    stopped and then simulated again from the start
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cs_sweep -r vllm_v1:512 -r sarathi:256 -s "$(cs_slo ttft_p99_1s prefill_e2e_time 1)" -s "$(cs_slo e2e_p50_8s request_e2e_time 8 0.5)" \
  -s "{name: ttft_and_tpot_p90, type: and, quantile: 0.9, slos: [{metric: prefill_e2e_time, value: 2}, {metric: decode_time_execution_plus_preemption_normalized, value: 0.03}]}" \
  -s "$(cs_slo ttft_p99_1ms_never prefill_e2e_time 0.001)" \
  -s "{name: ttft_or_tpot_p95, type: or, quantile: 0.95, slos: [{metric: prefill_e2e_time, value: 0.5}, {metric: decode_time_execution_plus_preemption_normalized, value: 0.02}]}" \
  -q "1 4 400" > "$T/sweep.yml"
OPTS="--max-iterations 5 --time-limit 30 -j2"
"$BIN" --config "$T/sweep.yml" --output-dir "$T/early" $OPTS 2> "$T/early.err" || { fail "early run exit $?"; cat "$T/early.err"; }
"$BIN" --config "$T/sweep.yml" --output-dir "$T/full" --full-probes $OPTS 2> "$T/full.err" || { fail "full run exit $?"; cat "$T/full.err"; }

cmp -s "$T/early/results.csv" "$T/full/results.csv" && ok "results.csv byte-identical" || { fail "results.csv differs"; diff "$T/early/results.csv" "$T/full/results.csv"; }
(cd "$T/early/runs" && find . -name probe.json | sort) > "$T/early.list"
(cd "$T/full/runs" && find . -name probe.json | sort) > "$T/full.list"
cmp -s "$T/early.list" "$T/full.list" && ok "the same $(wc -l < "$T/full.list") probes" || fail "different probes"
pass_of() { grep -q '"pass": true' "$1" && echo pass || echo fail; }
same_verdicts=1 passing=0 stopped=0 identical=1
while read -r p; do
  a=$(pass_of "$T/early/runs/$p") b=$(pass_of "$T/full/runs/$p")
  [ "$a" = "$b" ] || { same_verdicts=0; echo "verdict differs: $p ($a vs $b)"; }
  d=$(dirname "$p")
  if [ "$b" = pass ]; then
    passing=$((passing + 1))
    grep -q stopped_early "$T/early/runs/$p" && { identical=0; echo "passing probe stopped early: $p"; }
    diff -r -x output.log "$T/early/runs/$d" "$T/full/runs/$d" > /dev/null || { identical=0; echo "passing probe differs: $d"; }
  elif grep -q '"stopped_early": true' "$T/early/runs/$p"; then
    stopped=$((stopped + 1))
    grep -q "stopped early" "$T/early/runs/$d/output.log" || { identical=0; echo "no note in $d/output.log"; }
  fi
done < "$T/full.list"
[ $same_verdicts = 1 ] && ok "every probe's verdict equals the full run's" || fail "verdicts differ"
[ $passing -gt 0 ] && [ $identical = 1 ] && ok "$passing passing probes byte-identical" || fail "passing probes ($passing) differ"
[ $stopped -gt 0 ] && ok "$stopped failing probes stopped early" || fail "no probe stopped early"
grep -q ',no_pass,' "$T/early/results.csv" && ok "a job without answer (its nearest miss quoted)" || fail "no no_pass job"
reread=1
for d in "$T"/early/runs/*/; do
  n=$(cat "$d"/r*/output.log | grep -c "simulating to the end")
  short=$(grep -l '"too_short": true' /dev/null $(grep -l "simulating to the end" /dev/null "$d"/r*/output.log | sed 's/output.log$/probe.json/') | wc -l)
  [ "$n" -le $((short + 1)) ] || { reread=0; echo "$(basename "$d"): $n probes run again to the end, $short of them too short"; }
done
[ $reread = 1 ] && ok "only the stopped probes the conclusion reads run again to the end" || fail "stopped probes run again that the conclusion does not read"
grep -rq stopped_early "$T/full/runs" && fail "--full-probes stopped a probe" || ok "--full-probes runs every probe to the end"
last_failing=0 last_ok=1
for d in "$T"/early/runs/*/; do
  last=$(grep -H -o 'probe [0-9]*: simulating' "$d"/r*/output.log | sed 's/:probe \([0-9]*\):.*/ \1/' | sort -k2,2n | tail -1 | cut -d' ' -f1)
  [ -n "$last" ] || continue
  grep -q '"pass": true' "$(dirname "$last")/probe.json" && continue
  last_failing=$((last_failing + 1))
  grep -q "stopped early\|simulating to the end" "$last" && { last_ok=0; echo "last probe stopped: $last"; }
done
[ $last_failing -gt 0 ] && [ $last_ok = 1 ] && ok "$last_failing failing last probes simulated once, to the end" || fail "a last probe was stopped early ($last_failing failing)"

# `verdict: vidur` judges completed requests only, so requests still in flight (which may never
# complete before the time limit) are never counted there; its verdicts stay the full run's too
printf 'verdict: vidur\n' | cat "$T/sweep.yml" - > "$T/vidur.yml"
"$BIN" --config "$T/vidur.yml" --output-dir "$T/vearly" $OPTS 2> "$T/vearly.err" || { fail "vidur early run exit $?"; cat "$T/vearly.err"; }
"$BIN" --config "$T/vidur.yml" --output-dir "$T/vfull" --full-probes $OPTS 2> "$T/vfull.err" || { fail "vidur full run exit $?"; cat "$T/vfull.err"; }
cmp -s "$T/vearly/results.csv" "$T/vfull/results.csv" && ok "verdict: vidur: results.csv byte-identical" || { fail "verdict: vidur: results.csv differs"; diff "$T/vearly/results.csv" "$T/vfull/results.csv"; }
(cd "$T/vfull/runs" && find . -name probe.json | sort) > "$T/vfull.list"
vsame=1 vpassing=0 vstopped=0
while read -r p; do
  [ -f "$T/vearly/runs/$p" ] || { vsame=0; echo "verdict: vidur: probe missing: $p"; continue; }
  a=$(pass_of "$T/vearly/runs/$p") b=$(pass_of "$T/vfull/runs/$p")
  [ "$a" = "$b" ] || { vsame=0; echo "verdict: vidur: verdict differs: $p ($a vs $b)"; }
  if [ "$b" = pass ]; then
    vpassing=$((vpassing + 1))
    diff -r -x output.log "$T/vearly/runs/$(dirname "$p")" "$T/vfull/runs/$(dirname "$p")" > /dev/null || { vsame=0; echo "verdict: vidur: passing probe differs: $p"; }
  fi
  grep -q '"stopped_early": true' "$T/vearly/runs/$p" && vstopped=$((vstopped + 1))
done < "$T/vfull.list"
[ $vsame = 1 ] && [ $vpassing -gt 0 ] && [ $vstopped -gt 0 ] && ok "verdict: vidur: $vpassing passing probes identical, $vstopped stopped early, every verdict the full run's" || fail "verdict: vidur: verdicts or probes differ ($vpassing passing, $vstopped stopped)"
[ $fails -eq 0 ]
