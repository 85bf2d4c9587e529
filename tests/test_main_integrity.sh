#!/usr/bin/env bash
# What a resume may trust (docs/sweep.md, "What a resume trusts"):
#  - two processes on one output directory: the second is refused at once naming the first (or
#    waits with --wait); a rerun then gives results byte-identical to one run, every committed
#    probe complete
#  - a truncated or deleted request_metrics.csv and a truncated probe.json are simulated again
#  - an SLO value changed under the same name (with --force) and a trace changed at the same path
#    are decided again, identically to a fresh run
#  - a symbolic link in the output directory is refused and nothing outside is touched
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
sweep() { cs_chat_sweep "$1" 64 lor; } # $1 = SLO value; two routers
sweep 1 > "$T/sweep.yml"

run "$T/ref" 2> "$T/ref.err" || { fail "reference run"; cat "$T/ref.err"; }
nref=$(find "$T/ref/runs" -name probe.json | wc -l)

# --- two writers -------------------------------------------------------------------------
"$BIN" --config "$T/sweep.yml" --output-dir "$T/two" $OPTS 2> "$T/a.err" &
pid=$!
for _ in $(seq 100); do [ -s "$T/two/.lock" ] && break; sleep 0.05; done
run "$T/two" 2> "$T/b.err"; rc=$?
[ $rc -eq 2 ] && grep -q "is in use by another capsearch run (pid $pid on host" "$T/b.err" \
  && ok "second writer refused naming the first: $(head -c 160 "$T/b.err")" \
  || { fail "second writer exit $rc"; cat "$T/b.err"; }
run "$T/two" --wait 2> "$T/c.err"; rc=$?
wait $pid || fail "first writer exit $?"
[ $rc -eq 0 ] && grep -q " 0 probes simulated, $nref reused" "$T/c.err" && ok "--wait queues behind the first, reuses all" \
  || { fail "--wait exit $rc"; cat "$T/c.err"; }
run "$T/two" 2> "$T/d.err" || fail "rerun after two writers"
cmp -s "$T/ref/results.csv" "$T/two/results.csv" && same_dirs "$T/ref" "$T/two" && ok "two writers + rerun identical to one run" \
  || { fail "two writers differ"; head "$T/diff.txt"; }
bad=0
for d in "$T"/two/runs/*/r*_q*; do
  ts=$(find "$d" -mindepth 1 -maxdepth 1 -type d -name '1970-*')
  [ -f "$d/probe.json" ] && [ -f "$ts/request_metrics.csv" ] || bad=$((bad + 1))
done
[ $bad -eq 0 ] && ok "every committed probe complete" || fail "$bad incomplete probes"

# --- damaged probes ----------------------------------------------------------------------
cp -r "$T/ref" "$T/dmg"
mapfile -t probes < <(find "$T/dmg/runs" -name probe.json -printf '%h\n' | sort)
[ ${#probes[@]} -ge 3 ] || fail "need 3 probes, have ${#probes[@]}"
m0=$(find "${probes[0]}" -name request_metrics.csv)
m1=$(find "${probes[1]}" -name request_metrics.csv)
head -c 100 "$m0" > "$m0.cut" && mv "$m0.cut" "$m0"
rm "$m1"
head -c 60 "${probes[2]}/probe.json" > "$T/cut" && mv "$T/cut" "${probes[2]}/probe.json"
run "$T/dmg" 2> "$T/dmg.err"; rc=$?
[ $rc -eq 0 ] && grep -q "3 committed probes were damaged" "$T/dmg.err" && ok "3 damaged probes simulated again, saying so" \
  || { fail "damaged rerun exit $rc"; cat "$T/dmg.err"; }
grep -q "damaged (.*request_metrics.csv: 100 bytes" "${probes[0]}/output.log" && ok "truncated request_metrics.csv named" \
  || fail "truncated file not named"
grep -q "damaged (.*request_metrics.csv: cannot open" "${probes[1]}/output.log" && ok "deleted request_metrics.csv named" \
  || fail "deleted file not named"
cmp -s "$T/ref/results.csv" "$T/dmg/results.csv" && same_dirs "$T/ref" "$T/dmg" && ok "repaired run files identical" \
  || { fail "repaired files differ"; head "$T/diff.txt"; }
run "$T/dmg" 2> "$T/dmg2.err"
grep -q " 0 probes simulated" "$T/dmg2.err" && ok "repaired probes trusted afterwards" || fail "repaired probes redone"

# --- stale probes: SLO value, trace content ----------------------------------------------
cp -r "$T/ref" "$T/slo"
sweep 0.001 > "$T/sweep.yml"
run "$T/fresh_slo" 2> /dev/null
run "$T/slo" 2> "$T/slo.err"; rc=$?
[ $rc -eq 2 ] && grep -q "different sweep" "$T/slo.err" && ok "other SLO value refused without --force" || fail "SLO change exit $rc"
run "$T/slo" --force 2> "$T/slo.err"; rc=$?
[ $rc -eq 0 ] && ! grep -q " 0 probes simulated" "$T/slo.err" && ok "--force with another SLO value simulates again" \
  || { fail "--force SLO exit $rc"; cat "$T/slo.err"; }
cmp -s "$T/fresh_slo/results.csv" "$T/slo/results.csv" && ok "SLO change re-decided as a fresh run" \
  || { fail "SLO change reused old verdicts"; diff "$T/fresh_slo/results.csv" "$T/slo/results.csv" | head -4; }
sweep 1 > "$T/sweep.yml"
cp -r "$T/ref" "$T/trc"
awk -F, 'NR == 1 || NR % 2 == 0' "$T/chat.csv" > "$T/half.csv" && cp "$T/half.csv" "$T/chat.csv"
run "$T/fresh_trc" 2> /dev/null
run "$T/trc" 2> "$T/trc.err"; rc=$?
[ $rc -eq 0 ] && grep -q "decided by other inputs" "$T/trc.err" && ok "changed trace simulates again, saying so" \
  || { fail "changed trace exit $rc"; cat "$T/trc.err"; }
cmp -s "$T/fresh_trc/results.csv" "$T/trc/results.csv" && same_dirs "$T/fresh_trc" "$T/trc" \
  && ok "trace change re-decided as a fresh run" || { fail "trace change differs"; head "$T/diff.txt"; }
cp "$SRC/traces/chat_small.csv" "$T/chat.csv"

# --- symbolic links ----------------------------------------------------------------------
cp -r "$T/ref" "$T/lnk"
mkdir -p "$T/outside/1970-01-01_00-00-00-000001" && echo precious > "$T/outside/1970-01-01_00-00-00-000001/keep"
echo precious > "$T/outside/output.log"
victim=$(find "$T/lnk/runs" -name probe.json -printf '%h\n' | sort | head -1)
rm -r "$victim" && ln -s "$T/outside" "$victim"
run "$T/lnk" 2> "$T/lnk.err"; rc=$?
[ $rc -eq 1 ] && grep -q "symbolic link" "$T/lnk/results.csv" && ok "symlinked probe directory refused (job failed, exit 1)" \
  || { fail "symlinked probe exit $rc"; cat "$T/lnk.err"; }
[ "$(cat "$T/outside/1970-01-01_00-00-00-000001/keep")" = precious ] && [ "$(cat "$T/outside/output.log")" = precious ] \
  && [ "$(find "$T/outside" | wc -l)" -eq 4 ] && ok "nothing outside touched" || { fail "outside touched"; find "$T/outside"; }
rm "$victim" && mkdir "$victim"
ln -s "$T/outside/output.log" "$victim/output.log"
run "$T/lnk" 2> "$T/lnk.err"; rc=$?
[ $rc -eq 1 ] && [ "$(cat "$T/outside/output.log")" = precious ] && ok "symlinked output.log refused (exit $rc), not appended to" \
  || fail "symlinked output.log appended"

echo "$fails failure(s)"
[ $fails -eq 0 ]
