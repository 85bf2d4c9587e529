#!/usr/bin/env bash
# capsearch plan: the breakdown for Llama-3-70B on 4 H100s, Vidur-mode block counts, the HF
# config.json path (Mistral-Small KV bytes/token), --all-devices, JSON/CSV, and every bad input
# with its message and exit code 2.
set -u
CAPSEARCH=${1:?usage: test_cli_plan.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # check NAME COND...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
run() { "$CAPSEARCH" plan --config-dir "$SRC/configs" "$@" >"$T/out" 2>"$T/err"; rc=$?; }

run --model meta-llama/Meta-Llama-3-70B --device h100 --tp 4
check "70B on 4 H100 exits 0" test $rc -eq 0
check "prints the weights row" grep -qE "^  weights +32\.85$" "$T/out"
check "prints the activation row" grep -qE "^  activation +1\.20$" "$T/out"
check "prints the non-torch row" grep -qE "^  non-torch +0\.60$" "$T/out"
check "prints the KV row" grep -qE "^  KV cache +37\.35$" "$T/out"
check "says it fits" grep -qE "^fits +yes$" "$T/out"
check "KV bytes per token, whole model and per GPU" grep -q "327,680 (whole model), 81,920 per GPU" "$T/out"
check "min GPUs is 2" grep -qE "^min GPUs +2 " "$T/out"
check "valid TP sizes" grep -qE "^valid TP sizes +1 2 4 8 16 32 64$" "$T/out"
check "max concurrency at max length" grep -qE "^max concurrent requests +59 per replica at 8,192 tokens" "$T/out"

run --model Meta-Llama-3-8B --device h100 --engine vidur --max-model-len 4096 --json
check "vidur engine: 30,208 blocks for Llama-3-8B TP1" grep -q '"kv_blocks": 30208,' "$T/out"
run --model Meta-Llama-3-70B --device a100 --tp 4 --engine vidur --csv
check "vidur engine: 32,870 blocks for Llama-3-70B TP4 (csv)" \
  grep -q "^meta-llama/Meta-Llama-3-70B,a100,vidur,4,1,1,4,8192,.*,32870,525926," "$T/out"
check "csv has a header" grep -q "^model,device,engine,tp,pp,dp," "$T/out"

run --model-config "$SRC/tests/data/catalog/mistral-small-3.2-24b/config.json" --device h100 --json
check "HF config.json: 163,840 KV bytes/token" grep -q '"kv_bytes_per_token": 163840,' "$T/out"
run --model-config "$SRC/tests/data/catalog/mistral-small-3.2-24b/config.json" --device h100 --json --kv-cache-dtype fp8
check "fp8 KV halves the bytes per token" grep -q '"kv_bytes_per_token": 81920,' "$T/out"

run --model "$SRC/tests/data/catalog/mistral-small-3.2-24b" --device h100 --json
check "--model takes a directory holding config.json" grep -q '"kv_bytes_per_token": 163840,' "$T/out"

run --model Llama-3.1-405B --device h100 --tp 8
check "405B on 8 H100s does not fit and says why" grep -qE "^fits +no: the weights alone exceed" "$T/out"
check "a plan that does not fit still exits 0" test $rc -eq 0

run --model llama3-70b --all-devices
check "--all-devices exits 0" test $rc -eq 0
check "--all-devices lists every device" test "$(grep -cE '^(a100|a100_40g|h100|h100_pcie|h200|b200|l40s|l40|l4|a10g|a40|v100|mi300x) ' "$T/out")" -eq 13
check "--all-devices: H100 needs TP 2" grep -qE "^h100 +80\.00 +2 +2 " "$T/out"
run --model llama3-70b --all-devices --json
check "--all-devices --json is an array" grep -q '^\[' "$T/out"

# bad input: message and exit code 2
bad() { # bad NAME PATTERN ARGS...
  local name=$1 pat=$2; shift 2
  run "$@"
  check "$name exits 2" test $rc -eq 2
  check "$name message" grep -q -- "$pat" "$T/err"
}
bad "unknown model" "unknown model 'Meta-Llama-3-7OB' (did you mean 'meta-llama/Meta-Llama-3-70B'?)" \
  --model Meta-Llama-3-7OB --device h100
bad "unknown device" "unknown device 'h1OO' (did you mean 'h100'?)" --model llama3-8b --device h1OO
bad "TP not dividing heads" "TP 3 does not divide the 64 attention heads" --model llama3-70b --device h100 --tp 3
bad "zero length" "max-model-len: expected a positive integer, got '0'" --model llama3-8b --device h100 --max-model-len 0
bad "negative length" "max-model-len: expected a positive integer, got '-5'" --model llama3-8b --device h100 --max-model-len -5
bad "malformed config.json" "malformed.json:4:" --model-config "$SRC/tests/data/catalog/bad/malformed.json" --device h100
bad "incomplete config.json" "missing_layers.json:1:1: missing key 'num_hidden_layers'" \
  --model-config "$SRC/tests/data/catalog/bad/missing_layers.json" --device h100
bad "missing config.json" "no-such-config.json" --model-config "$T/no-such-config.json" --device h100
bad "phi-2 with TP" "does not support tensor parallelism" --model phi-2 --device a100 --tp 2
bad "bad engine" "expected vllm or vidur" --model llama3-8b --device h100 --engine sglang
bad "bad utilization" "gpu-memory-utilization: expected a number in (0, 1]" --model llama3-8b --device h100 --gpu-memory-utilization 1.5
bad "bad kv dtype" "unknown dtype 'fp9'" --model llama3-8b --device h100 --kv-cache-dtype fp9
bad "no model" "give exactly one of --model or --model-config" --device h100
bad "unknown option" "unknown option '--tpp' (did you mean '--tp'?)" --model llama3-8b --device h100 --tpp 2
bad "vidur engine on MoE" "use the vllm engine" --model Mixtral-8x7B --device h100 --engine vidur

"$CAPSEARCH" plan --help >"$T/out" 2>&1; rc=$?
check "--help exits 0 and documents --kv-cache-dtype" test $rc -eq 0 -a -n "$(grep -- --kv-cache-dtype "$T/out")"
exit $fail
