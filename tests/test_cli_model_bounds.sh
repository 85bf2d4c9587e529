#!/usr/bin/env bash
# Every architecture number a model config.json gives has one declared range (src/catalog/model.c
# model_bounds): out of range is refused at once with file:line:col, the key and the range, exit 2.
# A config with 10 million layers used to make `plan` search for hours; zero KV heads was taken
# as "same as the attention heads".
set -u
CAPSEARCH=${1:?usage: test_cli_model_bounds.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/check_lib.sh"
D=$SRC/tests/data/catalog/bounds
bad() { # bad NAME PATTERN FILE [ARGS...]
  local name=$1 pat=$2 file=$3; shift 3
  [ $# -gt 0 ] || set -- --device h100
  timeout 20 "$CAPSEARCH" plan --config-dir "$SRC/configs" --model-config "$D/$file" "$@" \
    >"$T/out" 2>"$T/err"
  local rc=$?
  check "$name exits 2" test $rc -eq 2
  check "$name message" grep -q -- "$pat" "$T/err"
}
bad "10 million layers" "layers_1e7.json:6:24: num_hidden_layers: expected an integer from 1 to 1024, got 10000000" \
  layers_1e7.json
bad "100 thousand layers (all devices)" "layers_1e5.json:6:24: num_hidden_layers: expected an integer from 1 to 1024" \
  layers_1e5.json --all-devices
bad "zero KV heads" "kv_heads_0.json:7:26: num_key_value_heads: expected an integer from 1 to 8192, got 0" \
  kv_heads_0.json
bad "a million experts" "experts_1e6.json:8:24: num_local_experts: expected an integer from 0 to 4096" \
  experts_1e6.json
"$CAPSEARCH" plan --config-dir "$SRC/configs" --model-config "$D/ok.json" --device h100 >"$T/out" 2>"$T/err"
check "the same config in range plans (exit 0)" test $? -eq 0
exit $fail
