#!/usr/bin/env bash
# What a resume and an analysis trust of a probe.json (docs/sweep.md, "What a resume trusts"):
#  - probe.json carries a digest of its own text: an edited verdict (pass/slo_pass flipped, value
#    changed) is damage like a damaged file: the resume simulates the probe again, saying so, and
#    the answer is the uninterrupted run's; analyze warns and does not count it
#  - a run file that differs from its sha1 in probe.json (one flipped byte in request_metrics.csv):
#    analyze names it and takes no statistics from it; the probe's verdict still counts
#  - a probe.json written before it carried a digest is still reused (older output directories)
#  - after --force onto a directory of another sweep whose jobs keep their hashes, the probes
#    decided under the old sweep stay in runs/<hash>/ (nothing is deleted) but analyze does not
#    count them: it reads as many runs as a fresh directory of the new sweep, and says why; the
#    same for whole job directories of the old sweep whose hashes the new one does not have
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
sweep() { cs_chat_sweep "$1" "${2:-64}"; } # $1 = SLO value, $2 = batch size (64)
sweep 1 > "$T/sweep.yml"
runs_of() { "$BIN" analyze "$1" -q > /dev/null 2> "$1.an.err"; echo $(($(wc -l < "$1/analysis/stats.csv") - 1)); }

run "$T/ref" 2> "$T/ref.err" || { fail "reference run"; cat "$T/ref.err"; }
cp -r "$T/ref" "$T/ref_an"
nref=$(runs_of "$T/ref_an")
mapfile -t passing < <(grep -l '"pass": true' "$T"/ref/runs/*/*/probe.json | sort)
mapfile -t failing < <(grep -l '"pass": false' "$T"/ref/runs/*/*/probe.json | sort)
[ ${#passing[@]} -ge 2 ] && [ ${#failing[@]} -ge 1 ] || fail "need 2 passing and 1 failing probe"
tail -2 "${passing[0]}" | head -1 | grep -q '^  "digest": "[0-9a-f]\{40\}"$' && ok "probe.json ends with its digest" \
  || { fail "no digest"; tail -3 "${passing[0]}"; }

# --- an edited verdict is damage --------------------------------------------------------
cp -r "$T/ref" "$T/ed"
e0=${passing[0]/ref/ed} e1=${passing[1]/ref/ed} e2=${failing[0]/ref/ed}
sed -i 's/"pass": true/"pass": false/; s/"slo_pass": true/"slo_pass": false/' "$e0"
sed -i 's/"value": [0-9.e-]*,/"value": 5.07,/' "$e1"
sed -i 's/"pass": false/"pass": true/' "$e2"
cp -r "$T/ed" "$T/ed_an"
n=$(runs_of "$T/ed_an")
[ "$n" -eq $((nref - 3)) ] && [ "$(grep -c "content differs from the digest it carries" "$T/ed_an.an.err")" -eq 3 ] \
  && ok "analyze: the 3 edited probes named and not counted ($n of $nref runs)" \
  || { fail "analyze counted edited probes: $n of $nref"; cat "$T/ed_an.an.err"; }
run "$T/ed" 2> "$T/ed.err"; rc=$?
[ $rc -eq 0 ] && grep -q "3 committed probes were damaged" "$T/ed.err" && ok "3 edited probes simulated again, saying so" \
  || { fail "edited rerun exit $rc"; cat "$T/ed.err"; }
grep -q "damaged (.*probe.json: content differs from the digest it carries" "$(dirname "$e0")/output.log" \
  && ok "output.log names probe.json" || { fail "reason not in output.log"; cat "$(dirname "$e0")/output.log"; }
cmp -s "$T/ref/results.csv" "$T/ed/results.csv" && diff -r -x output.log -x args.json "$T/ref" "$T/ed" > /dev/null \
  && ok "results.csv and run files as the uninterrupted run" || { fail "edited verdict changed the answer"; diff "$T/ref/results.csv" "$T/ed/results.csv"; }

# --- a damaged run file: analyze names it and takes no statistics from it -----------------
cp -r "$T/ref" "$T/flip"
rm -rf "$T/flip/analysis"
rm0=$(find "$(dirname "${passing[0]/ref/flip}")" -name request_metrics.csv)
c=$(dd if="$rm0" bs=1 skip=300 count=1 2> /dev/null)
[ "$c" = 7 ] && b=8 || b=7
printf '%s' "$b" | dd of="$rm0" bs=1 seek=300 conv=notrunc 2> /dev/null
cmp -s "$rm0" "${rm0/flip/ref}" && fail "byte not flipped"
[ "$(runs_of "$T/flip")" -eq $((nref - 1)) ] && grep -q "request_metrics.csv: content differs from its checksum in probe.json" "$T/flip.an.err" \
  && ok "analyze: a flipped byte in request_metrics.csv is named, its statistics not used" \
  || { fail "analyze trusted a damaged request_metrics.csv"; cat "$T/flip.an.err"; }
col() { awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i } NR == 2 { print $k }' "$1"; }
a0=$(col "$T/ref_an/analysis/best.csv" answer_qps) a1=$(col "$T/flip/analysis/best.csv" answer_qps)
[ -n "$a0" ] && [ "$a0" = "$a1" ] && ok "analyze: the probe's verdict still counts (answer $a1 QPS)" \
  || fail "answer changed by a damaged run file: $a0 -> $a1"

# --- a probe.json without digest (written before there was one) is reused ----------------
cp -r "$T/ref" "$T/old"
for f in "$T"/old/runs/*/*/probe.json; do
  sed -i '/^  "digest": /d' "$f" && sed -i -z 's/,\n}\n$/\n}\n/' "$f"
done
grep -q digest "$T"/old/runs/*/*/probe.json && fail "digest not removed"
run "$T/old" 2> "$T/old.err"; rc=$?
[ $rc -eq 0 ] && grep -q " 0 probes simulated" "$T/old.err" && ! grep -q damaged "$T/old.err" \
  && ok "probe.json without digest reused" || { fail "older probe.json not reused (exit $rc)"; cat "$T/old.err"; }
cmp -s "$T/ref/results.csv" "$T/old/results.csv" || fail "results.csv changed"
[ "$(runs_of "$T/old")" -eq "$nref" ] && ! grep -q digest "$T/old.an.err" && ok "analyze counts them, no warning" \
  || { fail "analyze of older probes"; cat "$T/old.an.err"; }

# --- --force onto another sweep: old probes kept but not counted --------------------------
cp -r "$T/ref" "$T/forced"
sweep 0.02 > "$T/sweep.yml"
run "$T/fresh" 2> /dev/null
run "$T/forced" --force 2> "$T/forced.err" || { fail "--force run"; cat "$T/forced.err"; }
cmp -s "$T/fresh/results.csv" "$T/forced/results.csv" && ok "--force results as a fresh run" || fail "--force results differ"
nfresh=$(runs_of "$T/fresh")
nforced=$(runs_of "$T/forced")
left=0
for d in "$T"/ref/runs/*/r*_q*; do [ -d "${d/ref/forced}" ] || left=$((left + 1)); done
[ $left -eq 0 ] && ok "no probe directory of the old sweep removed" || fail "$left old probe directories gone"
stale=$(comm -23 <(cd "$T/forced/runs" && ls -d */r*_q* | sort) <(cd "$T/fresh/runs" && ls -d */r*_q* | sort) | wc -l)
[ "$stale" -ge 1 ] || fail "the test needs an old probe the new search does not visit"
[ "$nforced" -eq "$nfresh" ] && grep -q "committed probe(s) were decided by other inputs .*kept but not counted" "$T/forced.an.err" \
  && ok "analyze counts $nforced runs, as a fresh directory, naming the $stale old probe(s)" \
  || { fail "analyze after --force: $nforced runs, fresh $nfresh"; cat "$T/forced.an.err"; }
cmp -s "$T/fresh/analysis/best.csv" "$T/forced/analysis/best.csv" || fail "best.csv differs from a fresh directory's"

# another job hash: the old job's directory is kept whole, analyze leaves it out
cp -r "$T/ref" "$T/other"
sweep 1 32 > "$T/sweep.yml"
run "$T/fresh32" 2> /dev/null
run "$T/other" --force 2> "$T/other.err" || { fail "--force run (other hash)"; cat "$T/other.err"; }
grep -q "runs/ keeps 1 job directories of another sweep" "$T/other.err" && ok "the sweep notes the other sweep's job" \
  || { fail "no note"; cat "$T/other.err"; }
nold=$(find "$T/ref/runs" -name probe.json | wc -l)
[ "$(find "$T/other/runs" -name probe.json | wc -l)" -eq $((nold + $(find "$T/fresh32/runs" -name probe.json | wc -l))) ] \
  && ok "the old job's probes kept" || fail "old probes gone"
[ "$(runs_of "$T/other")" -eq "$(runs_of "$T/fresh32")" ] && grep -q "a job of another sweep .*kept but not counted" "$T/other.an.err" \
  && ! grep -q "not yet in results.csv" "$T/other.an.err" && ok "analyze leaves the old job out, saying so" \
  || { fail "analyze counted the old job"; cat "$T/other.an.err"; }

echo "$fails failure(s)"
[ $fails -eq 0 ]
