#!/usr/bin/env bash
# Jobs that differ only by their SLO share simulations (src/runner/memo.c): a sweep with three
# SLOs must write exactly what three one-SLO sweeps write, at -j1 and -j2:
#  - results.csv rows byte-identical (each one-SLO sweep's rows are rows of the three-SLO one)
#  - every run directory byte-identical (probe.json, metrics, plots; not output.log), but for
#    what naturally differs: the job's expansion index in job.json and config.json, hence
#    config.json's size and sha1 in probe.json and probe.json's own digest
#  - some probes were taken from a sibling's simulation (the summary line and output.log say
#    so): passing ones and stopped probes rerun to the end, else the test proves nothing
#  - after an interrupted run (--wall-budget) resumed: reused probes, memo or not
#  - with --full-probes too (every probe a full run: any memo result serves)
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
sweep() { cs_sweep "$@" -q "1 4 300"; } # sweep.yml with the SLOs given (-s ENTRY...)
E2E=$(cs_slo e2e_p90_20s request_e2e_time 20 0.9)
TTFT=$(cs_slo ttft_p99_40ms prefill_e2e_time 0.04)
BOTH='{name: ttft_tpot_p99, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 0.04}, {metric: decode_time_execution_plus_preemption_normalized, value: 0.1}]}'
sweep -s "$E2E" > "$T/e2e.yml"
sweep -s "$TTFT" > "$T/ttft.yml"
sweep -s "$BOTH" > "$T/both.yml"
sweep -s "$E2E" -s "$TTFT" -s "$BOTH" > "$T/three.yml"
OPTS="--max-iterations 6 --time-limit 60"

same_as_separate() { # $1 label, $2 the three-SLO output dir, $3.. the one-SLO output dirs
  local label=$1 three=$2 ok1=1 d j
  shift 2
  head -1 "$three/results.csv" > "$T/h3"
  tail -n +2 "$three/results.csv" | sort > "$T/rows3"
  : > "$T/rows1"
  for d in "$@"; do
    head -1 "$d/results.csv" | cmp -s - "$T/h3" || { ok1=0; echo "header of $d/results.csv differs"; }
    tail -n +2 "$d/results.csv" >> "$T/rows1"
  done
  sort -o "$T/rows1" "$T/rows1"
  cmp -s "$T/rows1" "$T/rows3" || { ok1=0; diff "$T/rows1" "$T/rows3"; }
  [ $ok1 = 1 ] && ok "$label: results.csv rows byte-identical to the one-SLO sweeps'" || fail "$label: results.csv"
  local runs=0 same=1
  for d in "$@"; do
    for j in "$d"/runs/*/; do
      runs=$((runs + 1))
      rm -rf "$T/n1" "$T/n3"
      normalized "$j" "$T/n1"
      normalized "$three/runs/$(basename "$j")" "$T/n3"
      diff -r -x output.log "$T/n1" "$T/n3" > "$T/diff" || { same=0; head -5 "$T/diff"; }
    done
  done
  local all
  all=$(find "$three/runs" -mindepth 1 -maxdepth 1 -type d | wc -l)
  [ $same = 1 ] && [ "$runs" -eq "$all" ] && [ "$runs" -gt 0 ] && ok "$label: $runs job directories byte-identical" ||
    fail "$label: job directories differ ($runs of $all compared)"
}

# A copy of job directory $1 at $2 without the expansion index (and config.json's digest).
normalized() {
  cp -r "$1" "$2"
  find "$2" \( -name job.json -o -name config.json \) -exec sed -i '/^  "index": [0-9]*,$/d' {} +
  find "$2" -name probe.json -exec sed -i -e '/\/config\.json",$/{n;N;d}' -e '/^  "digest": /d' {} +
}

shared_count() { sed -n "s/^capsearch: \([0-9]*\) probes taken from a sibling's simulation.*/\1/p" "$1"; }

for slo in e2e ttft both; do
  "$BIN" --config "$T/$slo.yml" --output-dir "$T/one-$slo" $OPTS -j1 2> "$T/one-$slo.err" ||
    { fail "$slo sweep exit $?"; cat "$T/one-$slo.err"; }
  grep -q "taken from a sibling" "$T/one-$slo.err" && fail "a one-SLO sweep took probes from a sibling"
done
for j in 1 2; do
  "$BIN" --config "$T/three.yml" --output-dir "$T/three-j$j" $OPTS -j$j 2> "$T/three-j$j.err" ||
    { fail "three-SLO sweep -j$j exit $?"; cat "$T/three-j$j.err"; }
  same_as_separate "-j$j" "$T/three-j$j" "$T/one-e2e" "$T/one-ttft" "$T/one-both"
  n=$(shared_count "$T/three-j$j.err")
  [ "${n:-0}" -gt 0 ] && ok "-j$j: $n probes taken from a sibling's simulation" || fail "-j$j: no probe shared"
  [ -n "$n" ] && [ "$(shared_count "$T/three-j$j/output.log")" = "$n" ] && ok "-j$j: output.log counts them too" ||
    fail "-j$j: output.log lacks the count"
done
logs=$(grep -l "taken from sibling job" -r "$T/three-j1/runs" --include=output.log | wc -l)
[ "$logs" -gt 0 ] && ok "$logs probe output.logs name the sibling" || fail "no probe output.log names a sibling"
rerun=$(grep -l "simulating to the end" -r "$T/three-j1/runs" --include=output.log | xargs -r grep -l "taken from sibling" | wc -l)
passed=$(grep -l "taken from sibling" -r "$T/three-j1/runs" --include=output.log | xargs -r grep -l -- "-> pass" | wc -l)
[ "$rerun" -gt 0 ] && [ "$passed" -gt 0 ] && ok "shared: $passed passing probes, $rerun stopped probes run to the end" ||
  fail "not both kinds shared (passing $passed, rerun to the end $rerun)"

# stopped after a second, then resumed: committed probes are reused, the rest shared or simulated
"$BIN" --config "$T/three.yml" --output-dir "$T/resumed" $OPTS -j2 --wall-budget 1 2> /dev/null
"$BIN" --config "$T/three.yml" --output-dir "$T/resumed" $OPTS -j2 2> "$T/resumed.err" ||
  { fail "resumed sweep exit $?"; cat "$T/resumed.err"; }
grep -qE '[1-9][0-9]* reused' "$T/resumed.err" && ok "the resume reused committed probes" || fail "nothing reused"
same_as_separate "resumed" "$T/resumed" "$T/one-e2e" "$T/one-ttft" "$T/one-both"

# --full-probes: every probe is a full run, so any sibling's result serves
for slo in e2e ttft both; do
  "$BIN" --config "$T/$slo.yml" --output-dir "$T/full-$slo" $OPTS --full-probes -j1 2> /dev/null || fail "full $slo exit"
done
"$BIN" --config "$T/three.yml" --output-dir "$T/full-three" $OPTS --full-probes -j2 2> "$T/full-three.err" ||
  fail "full three exit"
same_as_separate "--full-probes" "$T/full-three" "$T/full-e2e" "$T/full-ttft" "$T/full-both"
nf=$(shared_count "$T/full-three.err") ne=$(shared_count "$T/three-j2.err")
[ "${nf:-0}" -ge "${ne:-0}" ] && [ "${nf:-0}" -gt 0 ] && ok "--full-probes: $nf probes shared ($ne with early stops)" ||
  fail "--full-probes: $nf probes shared, fewer than $ne with early stops"
[ $fails = 0 ] || exit 1
