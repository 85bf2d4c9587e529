#!/usr/bin/env bash
# Output directories written by an earlier capsearch stay usable: tests/data/store_v1/out was
# written at commit 866d7be (store format version 1, --keep-runs none) and
#  - a rerun of the same command accepts it (its config.json and job.json are what this build
#    writes, byte for byte, or the rerun would refuse the directory / rewrite job.json), keeps
#    the same jobs and reuses the committed probes while the catalogs are those it was run with
#  - analyze reads it: both jobs, their answers, no warning about a format
#  - a probe.json of another format version is refused with a message naming file and version,
#    by the sweep (the job fails, nothing is misread) and by analyze (a warning, probe skipped);
#    analyze skips a job.json of another version the same way
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
FX=$SRC/tests/data/store_v1
OPTS=(--config "$FX/sweep.yml" --time-limit 1 -j1 --max-iterations 3 --keep-runs none)
cp -r "$FX/out" "$T/out"
"$BIN" "${OPTS[@]}" --output-dir "$T/out" 2> "$T/re.err"
rc=$?
[ $rc -eq 0 ] && ok "rerun over the version-1 directory exits 0" || { fail "rerun exit $rc"; cat "$T/re.err"; }
cmp -s "$FX/out/config.json" "$T/out/config.json" && ok "config.json unchanged" || fail "config.json rewritten"
for j in "$FX"/out/runs/*/job.json; do
  h=$(basename "$(dirname "$j")")
  cmp -s "$j" "$T/out/runs/$h/job.json" || fail "runs/$h/job.json differs from what this build writes"
done
cut -d, -f1 "$FX/out/results.csv" > "$T/jobs.want"
cut -d, -f1 "$T/out/results.csv" > "$T/jobs.got"
cmp -s "$T/jobs.want" "$T/jobs.got" && ok "results.csv: the same jobs" || fail "results.csv jobs differ"
# the committed probes are reused unless the catalogs changed since (their content is a probe input)
if grep -q "committed probe was decided by other inputs" "$T"/out/runs/*/*/output.log; then
  ok "catalogs changed since the fixture: probes simulated again, as they must be"
else
  grep -q " 0 probes simulated" "$T/re.err" && ok "every committed probe reused" || { fail "probes simulated"; cat "$T/re.err"; }
  cmp -s "$FX/out/results.csv" "$T/out/results.csv" && ok "results.csv byte-identical" || fail "results.csv changed"
fi

cp -r "$FX/out" "$T/an"
"$BIN" analyze "$T/an" -q > /dev/null 2> "$T/an.err"
rc=$?
[ $rc -eq 0 ] && ok "analyze exits 0" || { fail "analyze exit $rc"; cat "$T/an.err"; }
n=$(($(wc -l < "$T/an/analysis/best.csv") - 1))
[ "$n" -eq 2 ] && ok "analyze: both jobs in best.csv" || fail "best.csv has $n jobs"
grep -qi "format\|version" "$T/an.err" && fail "analyze warned about the format: $(cat "$T/an.err")" || ok "no format warning"

# another version: refused clearly, never misread
cp -r "$FX/out" "$T/v2"
p=$(ls "$T"/v2/runs/*/r2_q4.0/probe.json | head -1)
sed -i 's/"version": 1,/"version": 2,/' "$p"
jj=$(ls "$T"/v2/runs/*/job.json | tail -1)
sed -i 's/"version": 1,/"version": 2,/' "$jj"
"$BIN" analyze "$T/v2" -q > /dev/null 2> "$T/v2an.err"
grep -q "probe.json: format 'capsearch-probe' version 2 is not one this analysis reads" "$T/v2an.err" \
  && grep -q "job.json: format 'capsearch-job' version 2 is not one this analysis reads" "$T/v2an.err" \
  && ok "analyze names the foreign versions of probe.json and job.json" || { fail "analyze: no clear message"; cat "$T/v2an.err"; }
"$BIN" "${OPTS[@]}" --output-dir "$T/v2" > /dev/null 2> "$T/v2.err"
rc=$?
[ $rc -eq 1 ] && grep -q "r2_q4.0/probe.json: not a capsearch-probe file of version 1" "$T/v2/results.csv" \
  && ok "the sweep refuses the probe (job failed, exit 1) naming the format" || { fail "sweep rc $rc"; cat "$T/v2.err"; }
[ $fails -eq 0 ]
