#!/usr/bin/env bash
# capsearch list: catalog tables and JSON, registry listings, unknown kinds.
set -u
CAPSEARCH=${1:?usage: test_cli_list.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/check_lib.sh"
run() { "$CAPSEARCH" list --config-dir "$SRC/configs" "$@" >"$T/out" 2>"$T/err"; rc=$?; }

run models
check "models exits 0" test $rc -eq 0
check "models lists Llama-3-70B with its parameter count" grep -qE "^meta-llama/Meta-Llama-3-70B +Meta-Llama-3-70B +70\.55B +80 +64/8 " "$T/out"
check "models shows DeepSeek-V3 as MLA with 256 experts" grep -qE "^deepseek-ai/DeepSeek-V3 .* MLA 256 top8 " "$T/out"
check "at least 16 models" test "$(($(wc -l <"$T/out") - 1))" -ge 16
run models --json
check "models --json has head_dim" grep -q '"head_dim": 128' "$T/out"
run devices
check "devices lists h100 dense bf16 and fp8" grep -qE "^h100 +hopper +80\.00 +989\.4 +1978\.9 " "$T/out"
check "at least 13 devices" test "$(($(wc -l <"$T/out") - 1))" -ge 13
# the factors the roofline uses, not the catalog's uncalibrated guesses; borrowed ones flagged
check "devices shows h200's own fitted factors" grep -qE "^h200 .* 0\.760/0\.880/0\.73 fitted by" "$T/out"
check "devices flags b200's factors as borrowed from h100" grep -qE "^b200 .* 0\.738/0\.942/0\.73 BORROWED from h100:" "$T/out"
check "devices flags a100_40g as borrowed from a100" grep -qE "^a100_40g .* BORROWED from a100:" "$T/out"
run devices --json
check "devices --json has price sources" grep -q '"price_source": ' "$T/out"
python3 - "$T/out" > "$T/a100" << 'PY'
import json, sys
d = {x["name"]: x for x in json.load(open(sys.argv[1]))}
print(d["a100"]["tflops_fp8"], d["h100"]["tflops_fp8"], d["a100"]["tflops_bf16"])
r = d["b200"]["roofline"]
print("roofline", r["borrowed"], r["calibrated_on"], r["eff_memory"], d["h200"]["roofline"]["borrowed"])
PY
check "devices --json: absent fp8 rating is null, present ones numbers" grep -qx "None 1978.9 312.0\|None 1978.9 312" "$T/a100"
check "devices --json: roofline factors used, b200 borrowed from h100" grep -qx "roofline True h100 0.942 False" "$T/a100"
run networks
check "networks lists a40_pairwise_nvlink with 8 per node" grep -qE "^a40_pairwise_nvlink +a40 +8 " "$T/out"
run networks --json
check "networks --json is an array" grep -q '^\[' "$T/out"
run schedulers
check "schedulers lists vllm_v1" grep -qE "^  vllm_v1 " "$T/out"
check "schedulers lists round_robin" grep -qE "^  round_robin " "$T/out"
check "schedulers lists fcfs" grep -qE "^  fcfs " "$T/out"
run predictors
check "predictors lists roofline" grep -qE "^roofline " "$T/out"
run searches
check "searches lists the three searches from their registry" test "$(cut -d' ' -f1 "$T/out" | tr '\n' ' ')" = "qps num_replicas isoqps "
check "searches says isoqps takes qps_multipliers" grep -qE "^isoqps .*\[qps_multipliers\]$" "$T/out"
run searches --json
check "searches --json says num_replicas varies the replicas" grep -q '"varies": "num_replicas"' "$T/out"
run metrics
check "metrics lists request_e2e_time" grep -qE "^request_e2e_time " "$T/out"
run metrics --json
check "metrics --json marks distributions" grep -q '"distribution": true' "$T/out"
run modles
check "unknown kind exits 2" test $rc -eq 2
check "unknown kind suggests" grep -q "unknown kind 'modles' (did you mean 'models'?)" "$T/err"
"$CAPSEARCH" list models --config-dir "$T/nowhere" >/dev/null 2>"$T/err"; rc=$?
check "missing catalog dir exits 2" test $rc -eq 2
check "missing catalog dir is named" grep -q "nowhere: catalog directory not found" "$T/err"
"$CAPSEARCH" list models extra more >/dev/null 2>"$T/err"; rc=$?
check "an argument after the kind exits 2 naming it" bash -c "test $rc -eq 2 && grep -q \"unexpected argument 'extra'\" '$T/err'"

# the top-level --help's `list` line and list's own messages against the dispatcher: every kind
# --help names works, and --help names every kind list takes (the same set as its "expected one
# of" message, made from the kinds table list dispatches on), so the help cannot drift
"$CAPSEARCH" --help > "$T/help"
help_kinds=$(sed -n 's/^  list  *list //p' "$T/help" | tr -d ' ' | tr '|' '\n' | sort)
"$CAPSEARCH" list > /dev/null 2> "$T/err"
list_kinds=$(sed -n 's/.*expected one of //p' "$T/err" | tr -d ' ' | tr ',' '\n' | sort)
usage_kinds=$("$CAPSEARCH" list --help | sed -n 's/^usage: capsearch list \([^ ]*\) .*/\1/p' | tr '|' '\n' | sort)
check "--help's list kinds are the dispatcher's ($(echo $list_kinds))" test -n "$help_kinds" -a "$help_kinds" = "$list_kinds"
check "list --help's usage names the dispatcher's kinds" test "$usage_kinds" = "$list_kinds"
for f in capsearch.bash _capsearch; do # the shell completions offer the same kinds
  comp=$(grep -oE 'list\).*(compgen -W "|compadd )[a-z -]+' "$SRC/completions/$f" | sed -E 's/.*(compgen -W "|compadd )//' | tr ' ' '\n' | grep . | sort)
  check "completions/$f offers the dispatcher's list kinds" test "$comp" = "$list_kinds"
done
for k in $help_kinds; do
  run "$k"
  check "list $k (named by --help) exits 0" test $rc -eq 0
done
# every command --help lists has a --help of its own (the dispatcher knows it)
for c in $(sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "$T/help"); do
  "$CAPSEARCH" "$c" --help > /dev/null 2>&1
  check "command $c (named by --help) answers --help" test $? -eq 0
done
exit $fail
