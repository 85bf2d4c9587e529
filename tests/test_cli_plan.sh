#!/usr/bin/env bash
# capsearch plan: vLLM 0.19's breakdown for Llama-3-70B on 4 H100s, Vidur-mode block counts, the HF
# config.json path (Mistral-Small KV bytes/token), --all-devices, JSON/CSV, and every bad input
# with its message and exit code 2.
set -u
CAPSEARCH=${1:?usage: test_cli_plan.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/check_lib.sh"
run() { "$CAPSEARCH" plan --config-dir "$SRC/configs" "$@" >"$T/out" 2>"$T/err"; rc=$?; }

run --model meta-llama/Meta-Llama-3-70B --device h100 --tp 4
check "70B on 4 H100 exits 0" test $rc -eq 0
check "prints the usable row (79.19 GiB torch-visible x 0.9)" grep -qE "^  usable memory +71\.27$" "$T/out"
check "prints the weights row" grep -qE "^  weights +32\.86$" "$T/out"
check "prints the activation row" grep -qE "^  activation +2\.09$" "$T/out"
check "prints the non-torch row" grep -qE "^  non-torch +2\.13$" "$T/out"
check "prints the KV row" grep -qE "^  KV cache +34\.20$" "$T/out"
check "says it fits" grep -qE "^fits +yes$" "$T/out"
check "KV bytes per token, whole model and per GPU" grep -q "327,680 (whole model), 81,920 per GPU" "$T/out"
check "min GPUs is 2" grep -qE "^min GPUs +2 " "$T/out"
check "valid TP sizes" grep -qE "^valid TP sizes +1 2 4 8 16 32 64$" "$T/out"
check "max concurrency at max length" grep -qE "^max concurrent requests +54 per replica at 8,192 tokens" "$T/out"

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
ndev=$("$CAPSEARCH" list devices --config-dir "$SRC/configs" --json | grep -o '"name":' | wc -l)
check "--all-devices lists every device" test "$(grep -cE '^[a-z0-9_]+ +[0-9]+\.[0-9]+ ' "$T/out")" -eq "$ndev"
check "--all-devices lists the RTX 3090" grep -qE '^rtx3090 +23\.58 ' "$T/out"
check "--all-devices: H100 needs TP 2" grep -qE "^h100 +79\.19 +2 +2 " "$T/out"
run --model llama3-70b --all-devices --json
check "--all-devices --json is an array" grep -q '^\[' "$T/out"

run --model Llama-3.1-8B --device rtx3090 --gpu-memory-utilization 0.90 --max-model-len 20000 \
  --max-num-batched-tokens 20000 --json
check "RTX 3090, Llama-3.1-8B at 20k: fits" grep -q '"fits": true' "$T/out"
check "RTX 3090: profiled at 20000 batched tokens" grep -q '"max_num_batched_tokens": 20000,' "$T/out"
check "RTX 3090: about 31k KV tokens" grep -qE '"kv_tokens": 3[0-2][0-9]{3},' "$T/out"
run --model Llama-3.1-8B --device h100 --quantization fp8 --dtype bfloat16 --json
check "--quantization fp8 is accepted" grep -q '"quantization": "fp8",' "$T/out"
run --model-config "$SRC/tests/data/catalog/qwen2.5-7b-instruct-yarn/config.json" --device h100 --json
check "YaRN x4 raises the max length to 131072" grep -q '"max_context": 131072,' "$T/out"
run --model-config "$SRC/tests/data/catalog/llama-3.1-8b-w4a16/config.json" --device h100 --json
check "w4a16 checkpoint: compressed-tensors" grep -q '"quantization": "compressed-tensors",' "$T/out"
check "w4a16 checkpoint: 5.34 GiB of weights" grep -qE '"weights_gib": 5\.34[0-9]*,' "$T/out"

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
bad "AWQ group size refuses TP 4" "not a multiple of the awq group size 128" \
  --model-config "$SRC/tests/data/catalog/qwen2.5-72b-awq-29568/config.json" --device h100 --tp 4
bad "--dtype is vLLM's (no fp8)" "dtype: unknown dtype 'fp8'" --model llama3-8b --device h100 --dtype fp8
bad "unknown --quantization" "quantization: unknown method 'fp7'" --model llama3-8b --device h100 --quantization fp7
bad "--quantization against the checkpoint's" "does not match the checkpoint" \
  --model-config "$SRC/tests/data/catalog/qwen2.5-72b-awq-29568/config.json" --device h200 --quantization fp8
bad "zero batched tokens" "max-num-batched-tokens: expected a positive integer" --model llama3-8b --device h100 \
  --max-num-batched-tokens 0
# what vLLM refuses at start-up, plan refuses too (exit 2, naming the flag and the limit)
bad "--max-model-len above the context" "--max-model-len 16384 exceeds the model's context of 4096 tokens" \
  --model Llama-2-70b-hf --device a100 --tp 2 --max-model-len 16384
bad "--max-model-len above the context, every device" "--max-model-len 16384 exceeds the model's context" \
  --model Llama-2-70b-hf --all-devices --max-model-len 16384
bad "gptq on an unquantized checkpoint" "quantization 'gptq' needs a checkpoint quantized with it" \
  --model llama3-70b --device h100 --quantization gptq
bad "a block size vLLM has no choice for" "--block-size 7: vLLM takes 1, 8, 16, 32, 64, 128 or 256" \
  --model llama3-8b --device h100 --block-size 7
bad "bfloat16 on a V100" "--dtype bfloat16: v100 (volta) has no bfloat16" --model llama3-8b --device v100 --dtype bfloat16
bad "--json with --csv" "--json and --csv exclude each other" --model llama3-8b --device h100 --json --csv
run --model llama3-8b --device v100 --dtype float16
check "float16 on a V100 is fine" test $rc -eq 0
run --model llama3-8b --device h100 --quantization bitsandbytes
check "bitsandbytes quantizes an unquantized checkpoint in flight" test $rc -eq 0
run --model llama3-8b --device h100 --engine vidur --block-size 7
check "the vidur engine takes any block size" test $rc -eq 0

"$CAPSEARCH" plan --help >"$T/out" 2>&1; rc=$?
check "--help exits 0 and documents --kv-cache-dtype" test $rc -eq 0 -a -n "$(grep -- --kv-cache-dtype "$T/out")"
exit $fail
