#!/usr/bin/env bash
# Models by name, offline: --model ORG/NAME outside the catalog resolves from a fake local
# Hugging Face cache found through HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub,
# following refs/main to its snapshot as transformers does; an unknown model's error says how
# to give a config.
set -u
CAPSEARCH=${1:?usage: test_cli_hfcache.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/check_lib.sh"
unset HF_HUB_CACHE HUGGINGFACE_HUB_CACHE HF_HOME XDG_CACHE_HOME
# a Qwen3-32B-shaped config: 64 layers x 8 KV heads x 128 x 2 (K and V) x 2 bytes = 262,144 B/token
qwen3() { # qwen3 KV_HEADS
  cat << JSON
{"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 5120,
 "intermediate_size": 25600, "num_hidden_layers": 64, "num_attention_heads": 64,
 "num_key_value_heads": $1, "head_dim": 128, "vocab_size": 151936,
 "max_position_embeddings": 40960, "torch_dtype": "bfloat16", "tie_word_embeddings": false}
JSON
}
make_cache() { # make_cache HUBDIR: main -> snapshot c0ffee (8 KV heads); an older snapshot with 16
  local r=$1/models--Qwen--Qwen3-32B
  mkdir -p "$r/refs" "$r/snapshots/c0ffee" "$r/snapshots/0ld0ne"
  printf 'c0ffee' > "$r/refs/main"
  qwen3 8 > "$r/snapshots/c0ffee/config.json"
  qwen3 16 > "$r/snapshots/0ld0ne/config.json"
}
plan() { "$CAPSEARCH" plan --config-dir "$SRC/configs" --model Qwen/Qwen3-32B --device h100 --tp 2 --json > "$T/out" 2> "$T/err"; rc=$?; }

make_cache "$T/hub"
HF_HUB_CACHE=$T/hub plan
check "HF_HUB_CACHE: resolves (exit 0)" test $rc -eq 0
check "HF_HUB_CACHE: refs/main's snapshot (262,144 KV bytes/token)" grep -q '"kv_bytes_per_token": 262144,' "$T/out"

make_cache "$T/home/hub"
HF_HOME=$T/home plan
check "HF_HOME/hub resolves" grep -q '"kv_bytes_per_token": 262144,' "$T/out"

make_cache "$T/user/.cache/huggingface/hub"
HOME=$T/user plan
check "~/.cache/huggingface/hub resolves" grep -q '"kv_bytes_per_token": 262144,' "$T/out"
HOME=$T/user HF_HUB_CACHE=$T/nothing-here plan
check "HF_HUB_CACHE wins over ~/.cache (not found there: exit 2)" test $rc -eq 2

# refs/main pointing at the other snapshot follows it
printf '0ld0ne\n' > "$T/hub/models--Qwen--Qwen3-32B/refs/main"
HF_HUB_CACHE=$T/hub plan
check "refs/main decides the snapshot" grep -q '"kv_bytes_per_token": 524288,' "$T/out"
# without refs/main: the only snapshot holding config.json; two are ambiguous
rm "$T/hub/models--Qwen--Qwen3-32B/refs/main"
HF_HUB_CACHE=$T/hub plan
check "no refs/main and two snapshots: exit 2" test $rc -eq 2
check "no refs/main and two snapshots: says so" grep -q "2 snapshots hold config.json" "$T/err"
rm -r "$T/hub/models--Qwen--Qwen3-32B/snapshots/0ld0ne"
HF_HUB_CACHE=$T/hub plan
check "no refs/main, one snapshot: used" grep -q '"kv_bytes_per_token": 262144,' "$T/out"

HF_HUB_CACHE=$T/hub "$CAPSEARCH" recommend --config-dir "$SRC/configs" --model Qwen/Qwen3-32B --workload chat --qps 2 \
  > "$T/out" 2> "$T/err"
check "recommend takes the cached model" test $? -eq 0
HF_HUB_CACHE=$T/hub "$CAPSEARCH" predictor time --config-dir "$SRC/configs" --model Qwen/Qwen3-32B --device h100 \
  --tp 2 --batch 512@0p > "$T/out" 2> "$T/err"
check "predictor time takes the cached model" test $? -eq 0

HF_HUB_CACHE=$T/empty "$CAPSEARCH" plan --config-dir "$SRC/configs" --model Qwen/Qwen3-8B --device h100 > "$T/out" 2> "$T/err"
check "unknown ORG/NAME: exit 2" test $? -eq 2
check "unknown ORG/NAME: one line" test "$(wc -l < "$T/err")" -eq 1
check "unknown ORG/NAME: names the cache it searched" grep -q "not in the Hugging Face cache $T/empty" "$T/err"
check "unknown ORG/NAME: says how to give a config" grep -q "give the model's config.json: --model DIR" "$T/err"
"$CAPSEARCH" plan --config-dir "$SRC/configs" --model llama3-7b --device h100 > "$T/out" 2> "$T/err"
check "unknown short name: keeps the suggestion" grep -q "did you mean" "$T/err"
check "unknown short name: says a config.json works" grep -q "given by its config.json" "$T/err"
exit $fail
