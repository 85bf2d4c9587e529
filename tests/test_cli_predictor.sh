#!/usr/bin/env bash
# capsearch predictor: `check` meets the accuracy targets on Vidur's profiles (profile <= 3%
# median APE per operation; calibrated roofline <= 15% median on the MLP operations for a100 and
# h100), `time` gives stage times for hand-written batches, and bad input is a usage error with a
# message. The shared-data parts skip when ../shared/data is absent.
set -u
CAPSEARCH=${1:?usage: test_cli_predictor.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${CS_SHARED_DATA:-$SRC/../shared/data}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # check NAME COND...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}

# ---- predictor time ---------------------------------------------------------------------------
"$CAPSEARCH" predictor time --model Llama-2-70b-hf --device a100 --network a100_pairwise_nvlink --tp 2 \
  --batch 512@0p,1@1000,1@2000 >"$T/rl" 2>"$T/err"; rc=$?
check "time with the roofline exits 0" test $rc -eq 0
check "time describes the fitted factors" grep -q "^roofline: meta-llama/Llama-2-70b-hf on a100, TP 2" "$T/rl"
ms=$(awk '/^stage_time_ms/ { print $2 }' "$T/rl")
check "roofline stage time of a 514-token batch on Llama-2-70B TP2 is 100-400 ms" \
  awk -v t="$ms" 'BEGIN { exit !(t > 100 && t < 400) }'
"$CAPSEARCH" predictor time --model Llama-2-70b-hf --device a100 --predictor constant --param stage_time_ms=7.5 \
  --batch 1@10 >"$T/c" 2>&1
check "constant predictor gives stage_time_ms" grep -q "^stage_time_ms 7.500000" "$T/c"
"$CAPSEARCH" predictor time --model Meta-Llama-3-70B --device b200 --tp 4 --batch 1@1000 >"$T/b200" 2>&1
check "a device without profiles is flagged" grep -q "WARNING: no profile for device 'b200'" "$T/b200"

"$CAPSEARCH" predictor time --model Llama-2-70b-hf --device a100 --predictor rooflne --batch 1@1 >/dev/null 2>"$T/e1"; rc=$?
check "misspelled predictor is a usage error" test $rc -eq 2
check "misspelled predictor gets a suggestion" grep -q "did you mean 'roofline'" "$T/e1"
"$CAPSEARCH" predictor time --model Llama-2-70b-hf --device a100 --param eff_compte=0.5 --batch 1@1 >/dev/null 2>"$T/e2"; rc=$?
check "misspelled parameter is a usage error" test $rc -eq 2
check "misspelled parameter gets a suggestion" grep -q "did you mean 'eff_compute'" "$T/e2"
"$CAPSEARCH" predictor time --model Llama-2-70b-hf --device a100 --batch 12x >/dev/null 2>"$T/e3"; rc=$?
check "malformed --batch is a usage error" test $rc -eq 2
check "malformed --batch message shows the format" grep -q "expected TOKENS\[@PROCESSED\]\[p\]" "$T/e3"
"$CAPSEARCH" predictor time --model Llama-2-70b-hf --device a100 --predictor profile --batch 1@1 >/dev/null 2>"$T/e4"; rc=$?
check "profile without data directories is a usage error" test $rc -eq 2
check "profile without data names the flags" grep -q -- "--profiling-dir" "$T/e4"
"$CAPSEARCH" predictor frobnicate >/dev/null 2>"$T/e5"; rc=$?
check "unknown subcommand is a usage error" test $rc -eq 2
"$CAPSEARCH" predictor check >/dev/null 2>"$T/e6"; rc=$?
check "check without --profiling-dir is a usage error" test $rc -eq 2
"$CAPSEARCH" predictor check --profiling-dir "$T/nowhere" >/dev/null 2>"$T/e7"; rc=$?
check "check on a missing directory is a usage error" test $rc -eq 2
check "check names the missing layout" grep -q "nowhere/compute: no such directory" "$T/e7"

if [ ! -d "$DATA/profiling/compute" ]; then
  echo "skip: no shared profiling data at $DATA"
  exit $fail
fi

# ---- concurrent writers of one cache entry ---------------------------------------------------
pt() { "$CAPSEARCH" predictor time --model Llama-2-70b-hf --device a100 --network a100_pairwise_nvlink --tp 2 \
  --predictor profile --profiling-dir "$DATA/profiling" --cache-dir "$T/cache" --batch 512@0p,1@1000 "$@"; }
for i in 1 2 3 4; do pt >"$T/w$i" 2>&1 & done
wait
for i in 1 2 3 4; do check "concurrent builder $i succeeded" grep -q "^stage_time_ms" "$T/w$i"; done
check "one complete cache entry, no temporary files" test "$(ls "$T/cache" | wc -l)" -eq 1 -a "$(ls "$T/cache" | grep -c '^profile-[0-9a-f]*\.tbl$')" -eq 1
pt >"$T/w5" 2>&1
check "a later run loads the entry" grep -q "tables loaded from cache" "$T/w5"
check "cached and built tables give the same time" test "$(grep '^stage_time_ms' "$T/w5")" = "$(grep '^stage_time_ms' "$T/w1")"

# ---- predictor check on Vidur's profiles --------------------------------------------------------
for dev in a100 h100; do
  "$CAPSEARCH" predictor check --profiling-dir "$DATA/profiling" --device $dev --csv >"$T/$dev.csv" 2>"$T/$dev.err"; rc=$?
  check "check --device $dev exits 0" test $rc -eq 0
  check "check --device $dev has the CSV header" \
    grep -q "^device,model,op,n_test,profile_median_ape,profile_p90_ape,roofline_median_ape,roofline_p90_ape$" "$T/$dev.csv"
  rows=$(awk 'NR > 1' "$T/$dev.csv" | wc -l)
  check "check --device $dev covers 7+ models x 8+ ops ($rows rows)" test "$rows" -ge 56
  bad=$(awk -F, 'NR > 1 && $5 > 3 { print $2 " " $3 " " $5 }' "$T/$dev.csv")
  check "$dev: profile median APE <= 3% for every op ${bad:+(not: $bad)}" test -z "$bad"
  bad=$(awk -F, 'NR > 1 && ($3 == "mlp_up_proj" || $3 == "mlp_down_proj" || $3 == "mlp_act") && $7 > 15 { print $2 " " $3 " " $7 }' "$T/$dev.csv")
  check "$dev: roofline median APE <= 15% on MLP ops ${bad:+(not: $bad)}" test -z "$bad"
done
check "a100 node types get all-reduce rows" grep -q "^a100_pairwise_nvlink,-,all_reduce_tp2," "$T/a100.csv"
# a ring across NVLink pairs runs at PCIe speed: the roofline must know (within 15% at TP4)
check "pairwise-NVLink TP4 all-reduce within 15%" \
  awk -F, '$1 == "a100_pairwise_nvlink" && $3 == "all_reduce_tp4" { found = 1; ok = $7 <= 15 } END { exit !(found && ok) }' "$T/a100.csv"
check "a100 attention rows come from attention.csv" grep -q "^a100,meta-llama/Llama-2-70b-hf,attn_decode," "$T/a100.csv"

"$CAPSEARCH" predictor check --profiling-dir "$DATA/profiling" --device a100 --model Llama-2-7b-hf >"$T/tab" 2>&1; rc=$?
check "check --model filters to one model" test "$(grep -c 'meta-llama/Llama-2-7b-hf' "$T/tab")" -eq 9
check "table ends with the fitted factors" grep -q "^  a100   eff_compute 0\.[0-9]*  eff_memory" "$T/tab"
"$CAPSEARCH" predictor check --profiling-dir "$DATA/profiling" --device a10O >/dev/null 2>"$T/e8"; rc=$?
check "check with an unknown device is a usage error" test $rc -eq 2

exit $fail
