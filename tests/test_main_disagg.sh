#!/usr/bin/env bash
# A small version of configs/disagg-example.yml (Llama-3-70B on H100, the Mooncake conversation
# trace from ../shared/data, a TTFT + TPOT SLO): aggregated jobs and four xPyD shapes run, their
# answers land side by side in results.csv and in `capsearch analyze`, disaggregated probes carry
# the kv_transfer_time column and aggregated ones do not, and -j1 / -j2 give the same results.
set -u
BIN=${1:?usage: $0 CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${CS_SHARED_DATA:-$SRC/../shared/data}
export CS_CONFIG_DIR=${CS_CONFIG_DIR:-$SRC/configs}
TRACE=$DATA/traces/mooncake_conversation_trace.jsonl
if [ ! -f "$TRACE" ]; then
  echo "SKIP: $TRACE not present"
  exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
check() { # check NAME COND...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}
sed -e "s|trace_file: .*|trace_file: $TRACE|" -e 's|num_requests: 2000|num_requests: 120|' -e 's|qps: 1$|qps: 0.25|' \
  "$SRC/configs/disagg-example.yml" >"$T/s.yml"
run() { "$BIN" --config "$T/s.yml" --output-dir "$1" --time-limit 20 --max-iterations 3 -j "$2" >"$1.log" 2>&1; }
"$BIN" --config "$T/s.yml" --dry-run >"$T/dry.txt" 2>&1
check "--dry-run shows both pools' TP and PP (prefill/decode)" grep -q ' 8/4 1/1    2    12 ' "$T/dry.txt"
check "--dry-run shows an aggregated job's TP alone" grep -q '   8   1    2    16 ' "$T/dry.txt"
run "$T/a" 2; rc=$?
check "the sweep exits 0" test $rc -eq 0
R=$T/a/results.csv
check "results.csv has the deployment columns" \
  grep -q ',deployment,prefill_replicas,prefill_tp,prefill_pp,decode_replicas,decode_tp,decode_pp,qps_per_gpu$' "$R"
check "6 jobs" test "$(tail -n +2 "$R" | wc -l)" -eq 6
check "2 aggregated jobs" test "$(grep -c ',aggregated,' "$R")" -eq 2
for d in "p-tp4-d-tp4 1P1D,1,4,1,1,4,1" "p-tp4-d-tp4 1P2D,1,4,1,2,4,1" "p-tp4-d-tp4 2P1D,2,4,1,1,4,1" \
  "p-tp8-d-tp4 1P1D,1,8,1,1,4,1"; do
  check "a job for $d" grep -q ",$d," "$R"
done
check "1P2D of TP4 counts 12 GPUs" grep -q ",qps,3,0.25,120,12,.*p-tp4-d-tp4 1P2D," "$R"
check "no job failed" test "$(grep -c ',failed,' "$R")" -eq 0
dis=$(grep 'p-tp4-d-tp4 1P2D' "$R" | cut -d, -f1)
agg=$(grep ',aggregated,' "$R" | head -1 | cut -d, -f1)
dm=$(ls "$T"/a/runs/"$dis"/r3_q*/1970-*/request_metrics.csv | head -1)
am=$(ls "$T"/a/runs/"$agg"/r2_q*/1970-*/request_metrics.csv | head -1)
check "a disaggregated probe has kv_transfer_time" grep -q ',replica,kv_transfer_time$' "$dm"
check "an aggregated probe keeps Vidur's columns" grep -q ',request_arrived_at,replica$' "$am"
check "the probe's config.json describes both pools" grep -q '"disaggregation"' "$(dirname "$dm")/config.json"

"$BIN" analyze "$T/a" >"$T/an.txt" 2>&1; rc=$?
check "analyze exits 0" test $rc -eq 0
check "analyze shows them side by side" grep -q 'aggregated vs disaggregated' "$T/an.txt"
check "analyze lists the 2P1D shape" grep -q 'h100 p-tp4-d-tp4 2P1D' "$T/an.txt"
check "analysis/disaggregation.csv has 6 rows" test "$(tail -n +2 "$T/a/analysis/disaggregation.csv" | wc -l)" -eq 6

run "$T/b" 1
check "-j1 gives the same results.csv" cmp -s "$R" "$T/b/results.csv"
check "-j1 gives the same disaggregated probe" cmp -s "$dm" "${dm/$T\/a/$T/b}"
[ $fails -eq 0 ] || { cat "$T/a.log"; exit 1; }
