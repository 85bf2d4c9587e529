#!/usr/bin/env bash
# What analyze (and report) trust of a finished sweep's directory (docs/analysis.md, "Partial and
# broken directories"): results.csv says what each job's answer is, the committed probes prove it.
#  - an ok row's answer must be backed by an intact, passing probe.json of the job at exactly that
#    QPS and replica count: results.csv edited to a QPS no probe ran, to a failing probe's QPS, or an
#    answer whose probe.json fails its digest leave the job unranked, with a warning (stderr and
#    summary.json) naming the job, the probe file and what is wrong; exit 0 as for other damage
#  - a probe directory whose name disagrees with its probe.json (two probe directories swapped) is
#    named and not used under the directory's label
#  - an intact directory gives no such warning and ranks the job
set -u
. "$(dirname "$0")/sweep_test_lib.sh" "$@"
cs_chat_sweep 1 > "$T/sweep.yml"
run "$T/ref" 2> "$T/ref.err" || { fail "reference run"; cat "$T/ref.err"; }

# col FILE COLUMN [ROW]: a field of a CSV file without quoted commas (row 1 = first data row)
col() { awk -F, -v c="$2" -v r="${3:-1}" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i } NR == r + 1 { print $k }' "$1"; }
# an DIR: analyze DIR into DIR/analysis, stderr in DIR.err, exit status in $rc
an() { "$BIN" analyze "$1" -q 2> "$1.err"; rc=$?; }
ranked() { [ "$(col "$1/analysis/best.csv" rank)" = 1 ]; }
in_json() { grep -q -- "$2" "$1/analysis/summary.json"; }

h=$(col "$T/ref/results.csv" job_hash)
q=$(col "$T/ref/results.csv" answer_qps)
r=$(col "$T/ref/results.csv" answer_replicas)
[ "$(col "$T/ref/results.csv" status)" = ok ] && [ -n "$q" ] && [ "$r" = 1 ] || fail "the sweep needs an ok job on 1 replica"
ans=$(grep -l '"pass": true' "$T"/ref/runs/"$h"/r*/probe.json | xargs grep -l "\"qps\": $q,")
mapfile -t failing < <(grep -l '"pass": false' "$T"/ref/runs/"$h"/r*/probe.json | sort)
[ -n "$ans" ] && [ ${#failing[@]} -ge 1 ] || fail "need the answer's probe and a failing probe"
fq=$(sed -n 's/^  "qps": \([0-9.e+]*\),$/\1/p' "${failing[0]}")

cp -r "$T/ref" "$T/intact"
an "$T/intact"
[ $rc -eq 0 ] && ranked "$T/intact" && ! grep -q "not ranked\|directory says" "$T/intact.err" \
  && ok "intact directory: job ranked, no warning" || { fail "intact directory (exit $rc)"; cat "$T/intact.err"; }

# --- results.csv edited to a QPS no probe ran ----------------------------------------------
cp -r "$T/ref" "$T/ten"
q10=$(awk -v q="$q" 'BEGIN { print q * 10 }')
awk -F, -v OFS=, -v c=answer_qps -v v="$q10" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i } NR == 2 { $k = v } 1' \
  "$T/ref/results.csv" > "$T/ten/results.csv"
[ "$(col "$T/ten/results.csv" answer_qps)" = "$q10" ] || fail "results.csv not edited"
an "$T/ten"
msg="job $h: results.csv gives the answer $q10 QPS on 1 replicas, but .*/runs/$h/r1_q[0-9.]*/probe.json does not exist"
[ $rc -eq 0 ] && ! ranked "$T/ten" && [ -z "$(col "$T/ten/analysis/best.csv" answer_qps)" ] && grep -q "$msg" "$T/ten.err" \
  && in_json "$T/ten" "job $h: results.csv gives the answer $q10 QPS" && grep -q "no configuration ranked" "$T/ten/analysis/summary.md" \
  && ok "answer_qps $q -> $q10 (no probe): not ranked, warned on stderr and in summary.json" \
  || { fail "a hand-edited answer was trusted (exit $rc)"; cat "$T/ten.err"; grep "$h" "$T/ten/analysis/best.csv"; }
"$BIN" report "$T/ten" -o "$T/ten.html" 2> "$T/ten.rep.err"
grep -q "$msg" "$T/ten.rep.err" && ! grep -q "data-v=\"$q10\"" "$T/ten.html" && ok "report: the same warning, no $q10 QPS" \
  || { fail "report trusted the edited answer"; cat "$T/ten.rep.err"; }

# --- results.csv edited to a failing probe's QPS -------------------------------------------
cp -r "$T/ref" "$T/fq"
awk -F, -v OFS=, -v c=answer_qps -v v="$fq" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i } NR == 2 { $k = v } 1' \
  "$T/ref/results.csv" > "$T/fq/results.csv"
an "$T/fq"
[ $rc -eq 0 ] && ! ranked "$T/fq" && grep -q "job $h: .*${failing[0]#"$T"/ref}.* records a failing verdict" "$T/fq.err" \
  && ok "answer_qps -> $fq (a failing probe): not ranked, named" || { fail "answer at a failing probe trusted"; cat "$T/fq.err"; }

# --- the answer's probe.json edited (digest mismatch) ----------------------------------------
cp -r "$T/ref" "$T/dig"
sed -i 's/"pass": true/"pass": false/' "${ans/ref/dig}"
an "$T/dig"
[ $rc -eq 0 ] && ! ranked "$T/dig" && grep -q "content differs from the digest" "$T/dig.err" \
  && grep -q "job $h: .*${ans#"$T"/ref}.* is damaged" "$T/dig.err" \
  && ok "answer's probe.json fails its digest: not ranked, named" || { fail "damaged answer probe ranked"; cat "$T/dig.err"; }

# --- two probe directories swapped -----------------------------------------------------------
cp -r "$T/ref" "$T/sw"
a_dir=$(dirname "${ans/ref/sw}") f_dir=$(dirname "${failing[0]/ref/sw}")
mv "$a_dir" "$T/swtmp" && mv "$f_dir" "$a_dir" && mv "$T/swtmp" "$f_dir"
an "$T/sw"
an_name=$(basename "$a_dir") f_name=$(basename "$f_dir")
n_wrong=$(grep -c -e ",$an_name," -e ",$f_name," "$T/sw/analysis/stats.csv")
[ "$(grep -c -e ",$an_name," -e ",$f_name," "$T/intact/analysis/stats.csv")" -eq 2 ] || fail "stats.csv rows not found by run name"
[ $rc -eq 0 ] && [ "$n_wrong" -eq 0 ] && ! ranked "$T/sw" \
  && grep -q "$an_name/probe.json: holds qps $fq with 1 replicas, but its directory says qps $q with 1" "$T/sw.err" \
  && grep -q "$f_name/probe.json: holds qps $q with 1 replicas, but its directory says qps $fq with 1" "$T/sw.err" \
  && ok "swapped probe directories named, not used under the wrong QPS" \
  || { fail "swapped probe directories (exit $rc, $n_wrong stats rows)"; cat "$T/sw.err"; grep "$h" "$T/sw/analysis/stats.csv"; }

echo "$fails failure(s)"
[ $fails -eq 0 ]
