#!/bin/bash
# capsearch simulate end to end: a run directory with Vidur's files, byte-identical reruns,
# YAML + flag overrides, and clear usage/config errors with exit code 2.
# Usage: bash tests/test_cli_simulate.sh /path/to/capsearch
set -u
BIN=${1:?usage: test_cli_simulate.sh CAPSEARCH}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fail=1; }

# a small Vidur CSV trace (arrivals, prompt and output lengths)
awk 'BEGIN { print "arrived_at,num_prefill_tokens,num_decode_tokens";
  for (i = 0; i < 60; i++) printf "%g,%d,%d\n", i * 0.25, 100 + (i * 37) % 900, 5 + (i * 13) % 80 }' > "$T/trace.csv"

common=(--model Llama-2-7b-hf --device a100 --trace "$T/trace.csv" --predictor constant --num-blocks 2000)
nb_base=("${common[@]:0:${#common[@]}-2}") # the same without --num-blocks, for tests that set their own

# 1. a run with flags only: summary on stdout, a timestamped run directory
out=$("$BIN" simulate "${common[@]}" --arrival trace --output-dir "$T/runs" 2>"$T/err")
rc=$?
[ $rc -eq 0 ] && ok "simulate exits 0" || { bad "simulate exit $rc: $(cat "$T/err")"; }
echo "$out" | grep -q "60 arrived, 60 completed" && ok "summary counts requests" || bad "summary: $out"
echo "$out" | grep -q "^TTFT" && echo "$out" | grep -q "^TPOT" && echo "$out" | grep -q "events/s" \
  && ok "summary has latency table and speed" || bad "summary table: $out"
run=$(ls -d "$T"/runs/*/ 2>/dev/null | head -1)
[[ "$(basename "$run")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{6}$ ]] \
  && ok "run directory named like Vidur's" || bad "run dir name '$run'"
for f in config.json request_metrics.csv plots/prefill_e2e_time.csv plots/request_e2e_time.csv \
         plots/decode_time_execution_plus_preemption_normalized.csv plots/batch_size.csv \
         plots/replica_memory_usage.json plots/request_arrival_time_series.csv; do
  [ -s "$run/$f" ] || bad "missing $f"
done
[ "$(wc -l < "$run/request_metrics.csv")" -eq 61 ] && ok "request_metrics.csv has 60 rows" \
  || bad "request_metrics.csv rows: $(wc -l < "$run/request_metrics.csv")"
head -1 "$run/request_metrics.csv" | grep -q "^Request Id,request_e2e_time,.*,request_arrived_at,replica$" \
  && ok "V1 header" || bad "header: $(head -1 "$run/request_metrics.csv")"
[ "$(wc -l < "$run/plots/prefill_e2e_time.csv")" -eq 102 ] && ok "101-row quantile table" || bad "quantile rows"

# 2. same inputs and seed -> byte-identical directories (poisson arrivals, 2 replicas, gzip)
for d in a b; do
  "$BIN" simulate "${common[@]}" --qps 4 --num-requests 80 --replicas 2 --global-scheduler lor \
    --compress --chrome-trace --batch-metrics --no-timestamp --output-dir "$T/$d" >/dev/null 2>&1 || bad "rerun $d failed"
done
diff -r "$T/a" "$T/b" >/dev/null && ok "identical reruns" || bad "reruns differ"
[ -s "$T/a/request_metrics.csv.gz" ] && [ -s "$T/a/chrome_trace.json" ] && [ -s "$T/a/batch_metrics.csv" ] && [ -s "$T/a/plots/request_e2e_time_replicawise.csv" ] \
  && ok "compress, chrome trace, replicawise tables" || bad "missing .gz / chrome / replicawise"
"$BIN" simulate "${common[@]}" --qps 4 --num-requests 80 --replicas 2 --global-scheduler lor --seed 7 \
  --compress --no-timestamp --output-dir "$T/c" >/dev/null 2>&1
cmp -s "$T/a/request_metrics.csv.gz" "$T/c/request_metrics.csv.gz" && bad "another seed gave the same run" \
  || ok "the seed changes the run"

# 3. YAML config with flag overrides
cat > "$T/sim.yml" <<YML
model: Llama-2-7b-hf
device: a100
replica_scheduler: {name: vllm_v1, chunk_size: 256}
num_blocks: 2000
predictor: {name: constant, stage_time_ms: 5}
workload: {trace: $T/trace.csv, arrival: trace}
output_dir: $T/yml
no_timestamp: true
YML
"$BIN" simulate --config "$T/sim.yml" --chunk-size 128 >/dev/null 2>"$T/err" || bad "yaml run: $(cat "$T/err")"
grep -q '"chunk_size": 128' "$T/yml/config.json" && ok "flag overrides YAML" || bad "chunk_size not overridden"
grep -q '"name": "constant"' "$T/yml/config.json" && ok "config.json records the predictor" || bad "predictor name"

# 4. errors: exit 2 and a message that names the problem
expect_err() { # expected-substring args...
  local want=$1; shift
  local msg; msg=$("$BIN" simulate "$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq 2 ] && echo "$msg" | grep -qF -- "$want"; then ok "error: $want"; else bad "want '$want' (rc $rc): $msg"; fi
}
expect_err "did you mean '--chunk-size'" "${common[@]}" --chunk_size 4
expect_err "did you mean 'sarathi'" "${common[@]}" --replica-scheduler sarthi
expect_err "TP 3 does not divide" "${common[@]}" --tp 3
expect_err "unknown parameter 'chunk_size' for 'orca'" "${common[@]}" --replica-scheduler orca --chunk-size 64
expect_err "--tp: expected an integer" "${common[@]}" --tp two
# the policy-parameter flags are bounded by the policies' own declarations (capsearch list schedulers)
expect_err "--chunk-size: expected an integer from 1 to 16777216, got '16777217'" "${common[@]}" --chunk-size 16777217
expect_err "--batch-size-cap: expected an integer from 1 to 1048576" "${common[@]}" --batch-size-cap 2e6
expect_err "--tolerance-factor: expected a number from 0 to 1000000" "${common[@]}" --tolerance-factor 1e7
expect_err "--top-k: expected an integer from 1 to 1048576" "${common[@]}" --top-k 0
printf 'model: Llama-2-7b-hf\ndevise: a100\n' > "$T/bad.yml"
expect_err "bad.yml:2:1: unknown key 'devise'" --config "$T/bad.yml"
expect_err "no device" --model Llama-2-7b-hf
"$BIN" simulate --help | grep -q "usage: capsearch simulate" && ok "--help" || bad "--help"

# 5. a time limit stops the run and says so
out=$("$BIN" simulate "${common[@]}" --arrival trace --time-limit 2 --no-timestamp --output-dir "$T/tl" 2>&1)
echo "$out" | grep -q "time limit reached" && ok "time limit" || bad "time limit: $out"

# --param NAME=VALUE sets a predictor parameter (docs/predictors.md): the constant predictor's
# stage time shows in TPOT; a misspelled name or a value that is no number is a usage error
tpot() { "$BIN" simulate "${common[@]}" --arrival trace --output-dir "$T/$1" --no-timestamp "${@:2}" 2>"$T/perr" |
  awk '/^TPOT/ { print $2 }'; }
t5=$(tpot p5 --param stage_time_ms=5) t50=$(tpot p50 --param stage_time_ms=50)
awk -v a="$t5" -v b="$t50" 'BEGIN { exit !(a > 0.004 && a <= 0.005 && b / a > 9.99 && b / a < 10.01) }' \
  && ok "--param stage_time_ms sets the constant stage time ($t5, $t50 s)" || bad "--param TPOT $t5 / $t50: $(cat "$T/perr")"
"$BIN" simulate "${common[@]}" --output-dir "$T/pe" --param stage_time_m=5 >/dev/null 2>"$T/perr"; rc=$?
[ $rc -eq 2 ] && grep -q "did you mean 'stage_time_ms'" "$T/perr" && ok "misspelled --param: exit 2 with a suggestion" \
  || bad "misspelled --param: rc $rc $(cat "$T/perr")"
"$BIN" simulate "${common[@]}" --output-dir "$T/pe" --param stage_time_ms=fast >/dev/null 2>"$T/perr"; rc=$?
[ $rc -eq 2 ] && grep -q "expected NAME=NUMBER" "$T/perr" && ok "--param without a number: exit 2" || bad "--param value: rc $rc"

# A KV cache small for the workload is said, with its capacity and what to change; a roomy one is not
echo "$out" | grep -q "^warning: KV cache" && bad "KV warning on a roomy cache: $out" || ok "no KV warning with room"
# (a cache below the model's 4,096-token context needs a lower --max-seq-len, as vLLM's max_model_len)
out=$("$BIN" simulate "${nb_base[@]}" --num-blocks 200 --max-seq-len 2048 --qps 8 --no-timestamp --output-dir "$T/kv" 2>&1)
echo "$out" | grep -q "^warning: KV cache holds 3200 tokens/replica (200 blocks of 16), fewer than 4 of the longest" \
  && ok "KV warning: capacity below a few longest requests" || bad "KV warning: $out"
echo "$out" | grep -q -- "more tensor parallelism (--tp)" && ok "KV warning says what to change" || bad "KV levers: $out"
out=$("$BIN" simulate "${nb_base[@]}" --num-blocks 80 --max-seq-len 1200 --qps 20 --no-timestamp --output-dir "$T/kv2" 2>&1)
p=$(echo "$out" | sed -n 's/^preemptions: \([0-9]*\);.*/\1/p')
[ "${p:-0}" -gt 0 ] && echo "$out" | grep -q "; $p preemptions: " && ok "KV warning counts $p preemptions" \
  || bad "KV warning preemptions: $out"

# A KV cache that cannot hold one request of the length limit is refused before the run, as
# vLLM refuses to start (no request would ever be admitted: all-NaN latencies otherwise)
expect_err "--num-blocks 10: a KV cache of 160 tokens" "${nb_base[@]}" --num-blocks 10 --output-dir "$T/nb"
expect_err "cannot hold one request of 4096 tokens (the model's context)" "${nb_base[@]}" --num-blocks 1 --output-dir "$T/nb"
expect_err "cannot hold one request of 1200 tokens (--max-seq-len)" "${nb_base[@]}" --num-blocks 70 --max-seq-len 1200 --output-dir "$T/nb"

# Replicas: each allocates its KV block table at start; the whole simulation holds at most 2^28
# blocks (about 8 GiB), refused before anything is allocated (was 0.75 MB a replica, unbounded)
expect_err "100000 replicas x 30208 KV blocks each exceed the 268435456 blocks" --model Meta-Llama-3-8B --device h100 \
  --trace "$T/trace.csv" --predictor constant --replicas 100000 --output-dir "$T/rr"
expect_err "at most 8886 replicas of this size" --model Meta-Llama-3-8B --device h100 \
  --trace "$T/trace.csv" --predictor constant --replicas 9000 --output-dir "$T/rr"
expect_err "--replicas: expected an integer from 1 to 100000" "${common[@]}" --replicas 1000000 --output-dir "$T/rr"

# The length limit (docs/traces.md "Overlong rows"): without --max-seq-len the model's context,
# as in a sweep; rows over it are clipped by default, dropped or refused with --overlong
awk 'BEGIN { print "arrived_at,num_prefill_tokens,num_decode_tokens";
  for (i = 0; i < 20; i++) printf "%g,%d,%d\n", i * 0.5, (i % 4 == 0) ? 5000 : 300, 50 }' > "$T/long.csv"
lcommon=(--model Llama-2-7b-hf --device a100 --trace "$T/long.csv" --predictor constant --arrival trace --no-timestamp)
out=$("$BIN" simulate "${lcommon[@]}" --output-dir "$T/l1" 2>"$T/err"); rc=$?
[ $rc -eq 0 ] && ok "overlong rows: clipped by default" || bad "clip run rc $rc: $(cat "$T/err")"
echo "$out" | grep -q "^length limit: 4096 tokens (the model's context); 5 of the trace's rows over it, clipped" \
  && ok "summary counts the clipped rows" || bad "limit line: $out"
max=$(python3 - "$T/l1/request_metrics.csv" <<'PY'
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))
print(max(int(float(x["request_num_prefill_tokens"])) + int(float(x["request_num_decode_tokens"])) for x in r))
PY
)
[ "${max:-0}" -le 4096 ] && [ "${max:-0}" -gt 4000 ] && ok "no simulated request is longer than the context ($max)" \
  || bad "longest simulated request $max"
grep -q '"max_tokens": 4096' "$T/l1/config.json" && ok "config.json records the limit" || bad "config max_tokens"
out=$("$BIN" simulate "${lcommon[@]}" --overlong drop --output-dir "$T/l2" 2>"$T/err")
echo "$out" | grep -q "15 arrived, 15 completed" && echo "$out" | grep -q "5 of the trace's rows over it, dropped" \
  && ok "--overlong drop leaves the rows out" || bad "drop: $out $(cat "$T/err")"
expect_err "row 1: prefill 5000 + decode 50 = 5050 tokens exceeds the limit 4096" "${lcommon[@]}" --overlong error \
  --output-dir "$T/l3"
expect_err "did you mean 'clip'" "${lcommon[@]}" --overlong clp --output-dir "$T/l3"
# --max-seq-len above the context: held to the context (a sweep's smaller-of rule), with a note
out=$("$BIN" simulate "${lcommon[@]}" --max-seq-len 16384 --output-dir "$T/l4" 2>"$T/err")
grep -q "max-seq-len 16384 is above the context of" "$T/err" && echo "$out" | grep -q "^length limit: 4096 tokens" \
  && ok "--max-seq-len above the context is held to it, with a note" || bad "msl above ctx: $out $(cat "$T/err")"
out=$("$BIN" simulate "${lcommon[@]}" --max-seq-len 1000 --output-dir "$T/l5" 2>"$T/err")
echo "$out" | grep -q "^length limit: 1000 tokens (--max-seq-len); 5 of the trace's rows over it, clipped" \
  && ok "--max-seq-len below the context is the limit" || bad "msl 1000: $out"
expect_err "workload.prefill_tokens 2048 (default) + workload.decode_tokens 512 (default) exceed --max-seq-len 2000" \
  --model Llama-2-7b-hf --device a100 --predictor constant --max-seq-len 2000 --output-dir "$T/l6"
printf 'model: Llama-2-7b-hf\ndevice: a100\nworkload: {lengths: uniform, max_tokens: 8192}\n' > "$T/uni.yml"
expect_err "workload.max_tokens 8192 exceeds the model's context of 4096 tokens" --config "$T/uni.yml" \
  --predictor constant --output-dir "$T/l6"

# out of memory is a clean exit 1 with one line naming the request, not SIGABRT (a 5000-replica
# typo under a memory limit once died with "out of memory allocating 262176 bytes" and signal 6).
# A sanitizer build needs far more address space than ulimit -v allows: skipped there.
if ! "$BIN" --version 2> /dev/null | grep -q Sanitizer; then
  (ulimit -v 600000; exec "$BIN" simulate --model Llama-2-7b-hf --device a100 --predictor constant --replicas 4000 \
    --num-blocks 30000 --num-requests 10 --output-dir "$T/oom") > /dev/null 2> "$T/oom.err"; rc=$?
  [ $rc -eq 1 ] && grep -q "^capsearch: out of memory allocating [0-9]* bytes (" "$T/oom.err" \
    && ok "out of memory: exit 1 with a message" || bad "out of memory: exit $rc: $(head -c 300 "$T/oom.err")"
fi

exit $fail
