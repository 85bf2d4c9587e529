#!/usr/bin/env bash
# analyze writes, per best configuration, the `vllm serve` line that realises it and the replicas
# for the target QPS (analysis/deploy.md and deploy.json): on a small real sweep, every flag is
# one of vLLM's (tests/data/deploy/vllm_serve_flags.txt) and each value is the simulated one.
set -u
CAPSEARCH=${1:?usage: test_cli_deploy.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/check_lib.sh"
cat > "$T/sweep.yml" << EOF2
clusters:
  - device: h100
    network_device: h100_dgx
    gpus_per_node: 8
global_schedulers:
  - scheduler: round_robin
request_queues:
  - name: fcfs
    provider: fcfs
replica_schedulers:
  - scheduler: vllm_v1
    chunk_size: 256
slo_configs:
  - name: ttft_p99_2s
    type: and
    quantile: 0.99
    slos:
      - metric: prefill_e2e_time
        value: 2
traces:
  - name: chat
    trace_file: $SRC/traces/chat_small.csv
    max_seq_len: 4096
    enable_prefix_caching: true
batch_sizes: [64]
tp_dimensions: [2]
pp_dimensions: [1]
models:
  - name: Meta-Llama-3-8B
    identifier: meta-llama/Meta-Llama-3-8B
search_configs:
  - trace: chat
    model: Meta-Llama-3-8B
    search_for: qps
    num_replicas: 1
    qps: 2
    num_requests: 60
EOF2
"$CAPSEARCH" --config "$T/sweep.yml" --output-dir "$T/out" --max-iterations 3 --time-limit 5 -j 2 > /dev/null 2> "$T/err"
check "the sweep runs" test $? -eq 0
"$CAPSEARCH" analyze "$T/out" --target-qps 40 > "$T/stdout" 2> "$T/err"
check "analyze exits 0" test $? -eq 0
D=$T/out/analysis
check "deploy.md written" test -s "$D/deploy.md"
check "deploy.json written" test -s "$D/deploy.json"
check "analyze prints the deploy line" grep -q "deploy: vllm serve meta-llama/Meta-Llama-3-8B" "$T/stdout"

python3 - "$D/deploy.json" "$SRC/tests/data/deploy/vllm_serve_flags.txt" > "$T/py" 2>&1 << 'PY'
import json, sys
d = json.load(open(sys.argv[1]))
known = {l.strip() for l in open(sys.argv[2]) if l.startswith("--")}
dep = d["deployments"]
assert d["format"] == "capsearch-deploy" and len(dep) == 1, d
x = dep[0]
argv = x["argv"]
assert argv[:3] == ["vllm", "serve", "meta-llama/Meta-Llama-3-8B"], argv
flags = [a for a in argv if a.startswith("--")]
unknown = [f for f in flags if f not in known]
assert not unknown, "not vLLM flags: %s" % unknown
val = {argv[i]: argv[i + 1] for i in range(3, len(argv) - 1) if argv[i].startswith("--") and not argv[i + 1].startswith("--")}
want = {"--tensor-parallel-size": "2", "--pipeline-parallel-size": "1", "--max-num-seqs": "64",
        "--max-num-batched-tokens": "256", "--gpu-memory-utilization": "0.9", "--max-model-len": "4096",
        "--kv-cache-dtype": "auto"}
for k, v in want.items():
    assert val.get(k) == v, (k, val.get(k), v)
assert "--enable-prefix-caching" in flags and "--enable-chunked-prefill" in flags, flags
assert x["command"] == " ".join(argv), x["command"]
assert x["gpus_per_replica"] == 2 and x["target_qps"] == 40, x
assert x["replicas"] >= 1 and x["gpus"] == 2 * x["replicas"], x
print("ok")
PY
check "deploy.json: vLLM's flags with the simulated values" grep -qx ok "$T/py" || cat "$T/py"
check "deploy.md: the command in a shell block" grep -q '^vllm serve meta-llama/Meta-Llama-3-8B --tensor-parallel-size 2 ' "$D/deploy.md"
check "deploy.md: replicas for the target" grep -qE '^\*\*[0-9]+ replicas?\*\* \([0-9]+ GPUs, \$[0-9.]+/hour\) for 40 QPS' "$D/deploy.md"
# A trace max_seq_len above the model's context (Llama-3-8B: 8192): the simulation holds rows to
# the context, and vLLM refuses a --max-model-len above it, so the line carries the simulated limit.
sed 's/max_seq_len: 4096/max_seq_len: 131072/' "$T/sweep.yml" > "$T/sweep2.yml"
"$CAPSEARCH" --config "$T/sweep2.yml" --output-dir "$T/out2" --max-iterations 3 --time-limit 5 -j 2 > /dev/null 2> "$T/err"
check "the long-context sweep runs" test $? -eq 0
"$CAPSEARCH" analyze "$T/out2" --target-qps 40 > "$T/stdout2" 2> "$T/err"
check "analyze (long context) exits 0" test $? -eq 0
check "deploy line: --max-model-len is the model's context 8192" grep -q -- "--max-model-len 8192 " "$T/out2/analysis/deploy.md"
check "deploy line: no --max-model-len above the context" sh -c '! grep -q -- "--max-model-len 131072" "$1" "$2"' _ \
  "$T/out2/analysis/deploy.md" "$T/stdout2"
# Vidur's vllm without max_tokens_in_batch in the sweep: the simulation filled it from the trace's
# max_seq_len, so the line sets that, not vLLM's default (max(max_model_len, 2048)).
sed -e 's/scheduler: vllm_v1/scheduler: vllm/' -e '/chunk_size: 256/d' "$T/sweep2.yml" > "$T/sweep3.yml"
"$CAPSEARCH" --config "$T/sweep3.yml" --output-dir "$T/out3" --max-iterations 3 --time-limit 5 -j 2 > /dev/null 2> "$T/err"
check "the vllm sweep runs" test $? -eq 0
"$CAPSEARCH" analyze "$T/out3" --target-qps 40 > /dev/null 2> "$T/err"
check "deploy line (vllm): the simulated max_tokens_in_batch" \
  grep -q -- "--no-enable-chunked-prefill --max-num-batched-tokens 131072 .*--max-model-len 8192 " "$T/out3/analysis/deploy.md"
# deploy.json that cannot be written (a directory in its place): analyze fails naming the file,
# and deploy.md is not written without it
rm -f "$T/out3/analysis/deploy.json" "$T/out3/analysis/deploy.md"
mkdir "$T/out3/analysis/deploy.json"
"$CAPSEARCH" analyze "$T/out3" --target-qps 40 > /dev/null 2> "$T/err"
rc=$?
check "deploy.json unwritable: analyze exits 1 (a failed write, like every other)" test $rc -eq 1
check "deploy.json unwritable: the message names the file" grep -q "analysis/deploy.json" "$T/err"
check "deploy.json unwritable: no deploy.md" test ! -e "$T/out3/analysis/deploy.md"
exit $fail
