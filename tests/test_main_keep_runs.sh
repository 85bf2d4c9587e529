#!/usr/bin/env bash
# --keep-runs all|answers|none: which simulator run directories stay after a job finishes.
#  - results.csv is byte-identical in all three modes
#  - answers: every finished job keeps one or two run directories (the probes that decided its
#    answer), each byte-identical to the same probe's under `all`; none: no run directory
#  - probe.json and output.log stay everywhere, and a rerun of `none` simulates nothing
#  - analyze on `none` says once that the pruned probes have no statistics
#  - --dry-run estimates the disk of each mode; a bad value is a usage error (exit 2)
#  - the estimate is near what a run writes: answers within 10 % of the bytes under runs/ (two
#    jobs that both answer, 1 and 2 replicas), all never below them (it counts every probe
#    run to the end)
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cs_sweep -s "$(cs_slo ttft_p99_1s prefill_e2e_time 1)" -s "$(cs_slo ttft_p99_1ms prefill_e2e_time 0.001)" -q "1 4 200" > "$T/sweep.yml"
OPTS="--max-iterations 5 --time-limit 30 -j2"
for m in all answers none; do
  "$BIN" --config "$T/sweep.yml" --output-dir "$T/$m" --keep-runs $m $OPTS 2> "$T/$m.err" || { fail "$m exit $?"; cat "$T/$m.err"; }
done
for m in answers none; do
  cmp -s "$T/all/results.csv" "$T/$m/results.csv" && ok "$m: results.csv identical" || fail "$m: results.csv differs"
  [ "$(find "$T/$m/runs" -name probe.json | wc -l)" -eq "$(find "$T/all/runs" -name probe.json | wc -l)" ] \
    && ok "$m: every probe.json kept" || fail "$m: probe.json missing"
done
runs() { find "$1" -mindepth 2 -maxdepth 2 -type d -name '1970-*' | wc -l; }
good=1 jobs=0
for jd in "$T"/answers/runs/*/; do
  h=$(basename "$jd")
  n=$(runs "$jd")
  jobs=$((jobs + 1))
  { [ "$n" -ge 1 ] && [ "$n" -le 2 ] && [ "$n" -lt "$(runs "$T/all/runs/$h")" ]; } || { good=0; echo "job $h keeps $n of $(runs "$T/all/runs/$h")"; }
  for ts in $(cd "$T/answers/runs" && find "$h" -mindepth 2 -maxdepth 2 -type d -name '1970-*'); do
    diff -r "$T/answers/runs/$ts" "$T/all/runs/$ts" > /dev/null || { good=0; echo "$ts differs"; }
  done
done
[ $good = 1 ] && [ $jobs -eq 2 ] && ok "answers: 1-2 deciding run directories per job, identical to all's" || fail "answers keeps the wrong runs"
[ "$(find "$T/none/runs" -type d -name '1970-*' | wc -l)" -eq 0 ] && ok "none: no run directory" || fail "none kept run directories"
grep -rq "removed the run directory" "$T/none/runs" && ok "output.log notes the removal" || fail "no note in output.log"
"$BIN" --config "$T/sweep.yml" --output-dir "$T/none" --keep-runs none $OPTS 2> "$T/re.err" || fail "rerun exit $?"
grep -q " 0 probes simulated" "$T/re.err" && ok "rerun of none simulates nothing" || { fail "rerun simulated"; cat "$T/re.err"; }
cmp -s "$T/all/results.csv" "$T/none/results.csv" && ok "rerun: results.csv unchanged" || fail "rerun changed results.csv"
grep -q "removed the run files" "$T/re.err" && fail "rerun of none claims to remove files" || ok "rerun of none removes nothing"
# a finished directory rerun with a stricter --keep-runs: what it removes is said on stderr
cp -r "$T/all" "$T/stricter"
nall=$(find "$T/all/runs" -type d -name '1970-*' | wc -l)
"$BIN" --config "$T/sweep.yml" --output-dir "$T/stricter" --keep-runs none $OPTS 2> "$T/st.err" || fail "stricter exit $?"
grep -q "^capsearch: --keep-runs none: removed the run files (<timestamp>/ directories) of $nall probes; " "$T/st.err" \
  && ok "stricter rerun says it removed $nall run directories" || { fail "stricter rerun silent"; cat "$T/st.err"; }
# analyze on `none`: the deleted run directories are one summary line, not a warning per probe
"$BIN" analyze "$T/none" -q 2> "$T/an.err" || fail "analyze none exit $?"
np=$(find "$T/none/runs" -name probe.json | wc -l)
{ [ "$(grep -c "warning" "$T/an.err")" -eq 1 ] && grep -q "warning: $np probe run(s) had their files deleted by --keep-runs" "$T/an.err"; } \
  && ok "analyze none: one summary warning for $np pruned probes" || { fail "analyze none warnings"; cat "$T/an.err"; }
"$BIN" analyze "$T/none" > "$T/an.out" 2>&1
{ grep -q "bottleneck: unknown (the answer's run files were not kept: --keep-runs none)" "$T/an.out" \
  && ! grep -q "missing or damaged" "$T/an.out"; } && ok "analyze none: the answer's files were not kept, not damaged" \
  || { fail "analyze none blames damage"; grep bottleneck "$T/an.out"; }
"$BIN" --config "$T/sweep.yml" --dry-run $OPTS 2>&1 | grep -q "disk by --keep-runs: all .*, answers .*, none " \
  && ok "dry-run estimates each mode" || fail "dry-run estimate"
"$BIN" --config "$T/sweep.yml" --output-dir "$T/bad" --keep-runs some $OPTS 2> "$T/bad.err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--keep-runs" "$T/bad.err" && ok "bad --keep-runs exits 2 naming the flag" || fail "bad value rc $rc"

# the estimate against what a run writes: two jobs that find an answer (1 replica: no
# per-replica files; 2 replicas), 600 requests per probe
sed -e 's/ttft_p99_1ms/ttft_p99_2s/; s/value: 0.001/value: 2/' \
  -e 's/num_replicas: 1, qps: 4, num_requests: 200}/num_replicas: 1, qps: 4, num_requests: 600}\
  - {trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 2, qps: 6, num_requests: 600}/' \
  "$T/sweep.yml" > "$T/est.yml"
bytes() { awk -v v="$1" 'BEGIN { u = substr(v, length(v)); n = substr(v, 1, length(v) - 1);
  printf "%.0f", n * (u == "G" ? 1e9 : u == "M" ? 1e6 : 1e3) }'; }
written() { find "$1/runs" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }'; }
line=$("$BIN" --config "$T/est.yml" --dry-run --keep-runs answers $OPTS 2>&1 | grep "^disk by --keep-runs: ")
echo "$line" | grep -q "answers [0-9.]*[kMG] (this run)," && ok "dry-run marks the mode given" || fail "mode not marked: $line"
est_all=$(bytes "$(echo "$line" | sed -E 's/.*all ([0-9.]+[kMG]).*/\1/')")
est_ans=$(bytes "$(echo "$line" | sed -E 's/.*answers ([0-9.]+[kMG]).*/\1/')")
for m in all answers; do
  "$BIN" --config "$T/est.yml" --output-dir "$T/est-$m" --keep-runs $m $OPTS 2> "$T/est-$m.err" \
    || { fail "estimate sweep $m exit $?"; cat "$T/est-$m.err"; }
done
[ "$(grep -c ',ok,' "$T/est-answers/results.csv")" -eq 4 ] && ok "estimate sweep: 4 jobs answer" \
  || fail "estimate sweep: not every job answers"
w=$(written "$T/est-answers")
awk -v e="$est_ans" -v w="$w" 'BEGIN { exit !(e > 0.9 * w && e < 1.1 * w) }' \
  && ok "answers: estimate $est_ans B within 10 % of the $w B written" \
  || fail "answers: estimate $est_ans B, written $w B"
w=$(written "$T/est-all")
awk -v e="$est_all" -v w="$w" 'BEGIN { exit !(e >= w) }' \
  && ok "all: estimate $est_all B not below the $w B written" || fail "all: estimate $est_all B, written $w B"
[ $fails -eq 0 ]
