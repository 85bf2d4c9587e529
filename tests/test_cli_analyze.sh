#!/usr/bin/env bash
# capsearch analyze on the hand-made output directory tests/data/analysis/sweep: the summary,
# the files it writes, a partial directory, garbage files (warnings, not crashes), an output
# directory it cannot write (exit 1, -o DIR writes elsewhere), usage errors.
set -u
CAPSEARCH=${1:?usage: test_cli_analyze.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/check_lib.sh"
cp -r "$SRC/tests/data/analysis/sweep" "$T/out"

"$CAPSEARCH" analyze "$T/out" --target-qps 20 >"$T/stdout" 2>"$T/stderr"; rc=$?
check "analyze exits 0" test $rc -eq 0
check "summary names the best configuration" grep -q "best: h100 tp1 pp1 r1 vllm_v1/cs512 bs128 round_robin  \[aaaa0001\]" "$T/stdout"
check "summary sizes the target with headroom" grep -q "20 QPS at 75% utilisation: 7 replica(s)" "$T/stdout"
check "summary lists the interrupted probe" grep -q "runs/aaaa0005/r2_q8.0: no probe.json" "$T/stdout"
for f in stats.csv best.csv pareto.csv sla.csv bottlenecks.csv summary.json summary.md; do
  check "writes analysis/$f" test -s "$T/out/analysis/$f"
done
check "best.csv ranks aaaa0001 first at 1 QPS per \$/h" grep -q "^Meta-Llama-3-8B,chat,ttft_p99_2s,1,aaaa0001,.*,1,0.000277" "$T/out/analysis/best.csv"
check "no warnings on a clean directory" test ! -s "$T/stderr"
# the "wrote" line and analyze --help name exactly the files analyze writes (deploy.md too)
wrote=$(sed -n 's/^wrote .*\/analysis\/: //p' "$T/stdout" | tr ' ' '\n' | sort)
check "the wrote line names every file written ($(echo $wrote))" test "$wrote" = "$(ls "$T/out/analysis" | sort)"
missing_help=""
for f in $(ls "$T/out/analysis"); do "$CAPSEARCH" analyze --help | grep -q "$f" || missing_help="$missing_help $f"; done
check "analyze --help names every file written${missing_help:+ (missing:$missing_help)}" test -z "$missing_help"

# the same input gives byte-identical files
cp -r "$T/out/analysis" "$T/first"
"$CAPSEARCH" analyze "$T/out" --target-qps 20 -q >/dev/null 2>&1
check "rerun is byte-identical" diff -r "$T/first" "$T/out/analysis"

# --price overrides the recorded price
"$CAPSEARCH" analyze "$T/out" --price h100=2 -q 2>/dev/null
check "--price h100=2 doubles QPS per dollar" grep -q "^Meta-Llama-3-8B,chat,ttft_p99_2s,1,aaaa0001,.*,2,--price," "$T/out/analysis/best.csv"

# garbage and foreign files: warnings naming them, still exit 0
echo '{"qps": 8.0, "pass": tr' >"$T/out/runs/aaaa0001/r1_q8.0/probe.json"
printf 'hello,world\n1,2\n' >"$T/out/runs/aaaa0003/r1_q4.0/2026-01-01_00-00-01-000000/request_metrics.csv"
head -c 300 /dev/urandom >"$T/out/runs/aaaa0006/r1_q3.0/2026-01-01_00-00-01-000000/plots/prefill_e2e_time.csv"
printf '\037\213\010\000trunc' >"$T/out/runs/aaaa0002/r1_q2.0/2026-01-01_00-00-01-000000/request_metrics.csv.gz"
mkdir -p "$T/out/runs/zzzz-not-a-job" && echo x >"$T/out/runs/notes.txt"
printf 'job_hash,model\naaaa0001\n' >>"$T/out/results.csv"
"$CAPSEARCH" analyze "$T/out" >"$T/stdout" 2>"$T/stderr"; rc=$?
check "garbage: exits 0" test $rc -eq 0
check "garbage: names the corrupt probe.json" grep -q "runs/aaaa0001/r1_q8.0/probe.json" "$T/stderr"
check "garbage: names the foreign request_metrics.csv" grep -q "aaaa0003/r1_q4.0/.*request_metrics.csv: not a request_metrics table" "$T/stderr"
check "garbage: names the truncated gzip" grep -q "request_metrics.csv.gz: truncated gzip" "$T/stderr"
check "garbage: names the binary plot" grep -q "plots/prefill_e2e_time.csv" "$T/stderr"
check "garbage: names the foreign directory" grep -q "runs/zzzz-not-a-job" "$T/stderr"
check "garbage: names the short results rows" grep -q "results.csv: 2 row(s) do not have the header" "$T/stderr"
check "garbage: still prints a best configuration" grep -q "best:" "$T/stdout"

# an output directory that cannot be written (archived, read-only): analyze says where it cannot
# write and how to write elsewhere (exit 1: a failed write, not bad input); -o DIR writes there
# and leaves the directory as it was. Read-only: chmod for a user, chattr +i for root (whom
# permissions do not stop), skipped where neither holds.
cp -r "$SRC/tests/data/analysis/sweep" "$T/ro"
trap 'chattr -i "$T/ro" 2> /dev/null; chmod -R u+w "$T" 2> /dev/null; rm -rf "$T"' EXIT
if [ "$(id -u)" -ne 0 ]; then chmod a-w "$T/ro"; else chattr +i "$T/ro" 2> /dev/null; fi
if ! mkdir "$T/ro/probe" 2> /dev/null; then
  (cd "$T/ro" && find . -type f | sort | xargs md5sum) > "$T/ro.sums"
  "$CAPSEARCH" analyze "$T/ro" -q >/dev/null 2>"$T/stderr"; rc=$?
  check "read-only directory: exit 1" test $rc -eq 1
  check "read-only directory: names it and -o" \
    grep -q "^capsearch: analyze: cannot write into $T/ro/analysis: .*; -o DIR writes elsewhere" "$T/stderr"
  "$CAPSEARCH" analyze "$T/ro" -o "$T/ro-analysis" --target-qps 20 >"$T/stdout" 2>"$T/stderr"; rc=$?
  check "read-only directory, -o DIR: exit 0" test $rc -eq 0
  check "-o DIR: the same files as OUT/analysis/" diff -r "$T/first" "$T/ro-analysis"
  wrote=$(sed -n "s|^wrote $T/ro-analysis: ||p" "$T/stdout" | tr ' ' '\n' | sort)
  check "-o DIR: the wrote line names DIR and its files" test "$wrote" = "$(ls "$T/ro-analysis" | sort)"
  check "-o DIR: the sweep's directory unchanged" \
    bash -c "cd '$T/ro' && find . -type f | sort | xargs md5sum | cmp -s - '$T/ro.sums'"
  "$CAPSEARCH" report "$T/ro" 2>"$T/stderr"; rc=$?
  check "report, read-only directory: exit 1 naming it and -o" \
    bash -c "test $rc -eq 1 && grep -q 'report: cannot write into $T/ro/analysis: .*; -o FILE writes elsewhere' '$T/stderr'"
else
  rmdir "$T/ro/probe"
  echo "skip: cannot make a read-only directory here (root without chattr)"
fi
cp -r "$SRC/tests/data/analysis/sweep" "$T/blocked" && echo "not a directory" > "$T/blocked/analysis"
"$CAPSEARCH" analyze "$T/blocked" -q >/dev/null 2>"$T/stderr"; rc=$?
check "a file in analysis/'s place: exit 1 naming it" \
  bash -c "test $rc -eq 1 && grep -q 'cannot write into $T/blocked/analysis: .*exists and is not a directory; -o DIR' '$T/stderr'"
"$CAPSEARCH" analyze "$T/out" -o "$T/blocked/analysis" -q >/dev/null 2>"$T/stderr"; rc=$?
check "-o naming a file: exit 2 (bad argument)" \
  bash -c "test $rc -eq 2 && grep -q '^capsearch: analyze -o: $T/blocked/analysis: exists and is not a directory' '$T/stderr'"

# usage errors exit 2 with a message
"$CAPSEARCH" analyze >/dev/null 2>"$T/stderr"; check "no directory: exit 2" test $? -eq 2
"$CAPSEARCH" analyze "$T/nonexistent" >/dev/null 2>"$T/stderr"; rc=$?
check "missing directory: exit 2" test $rc -eq 2
check "missing directory: named" grep -q "nonexistent: not a directory" "$T/stderr"
"$CAPSEARCH" analyze "$T/out" --price h100 >/dev/null 2>"$T/stderr"; rc=$?
check "bad --price: exit 2" test $rc -eq 2
check "bad --price: says what is expected" grep -q "DEVICE=USD" "$T/stderr"
for cmd in analyze report; do # one device check for the flag and the sweep file's prices:
  "$CAPSEARCH" $cmd "$T/out" --price h1000=3 >/dev/null 2>"$T/stderr"; rc=$?
  check "$cmd --price unknown device: exit 2" test $rc -eq 2
  check "$cmd --price unknown device: did you mean" grep -q "\-\-price h1000=3: unknown device 'h1000' (did you mean 'h100'?)" "$T/stderr"
done
"$CAPSEARCH" analyze "$T/out" --headroom 101 >/dev/null 2>"$T/stderr"; rc=$?
check "--headroom above 100: exit 2" test $rc -eq 2
check "--headroom above 100: names the range" grep -q "headroom" "$T/stderr"
"$CAPSEARCH" analyze "$T/out" --headroom 60 -q >/dev/null 2>"$T/stderr"
check "--headroom 60: notes the clamp to 50%" grep -q "note: --headroom 60 gives 50% utilisation (clamped" "$T/stderr"
"$CAPSEARCH" analyze "$T/out" --pricing cheap >/dev/null 2>"$T/stderr"; check "bad --pricing: exit 2" test $? -eq 2
exit $fail
