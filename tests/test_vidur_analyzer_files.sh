#!/usr/bin/env bash
# Vidur's capacity-search analyzer reads every run of a capsearch sweep directory: each run has
# the flat config.yml, the CDF tables, request metrics and Vidur-named utilisation files it
# reads, and the sweep has output.log with "Simulation took time: X" (added up over resumes).
# Checked against tests/data/vidur/analyzer_reads.txt by tests/vidur_analyzer_check.py.
set -u
CAPSEARCH=${1:?usage: test_vidur_analyzer_files.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/check_lib.sh"
cat > "$T/sweep.yml" << EOF2
clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 8}]
global_schedulers: [{scheduler: round_robin}]
request_queues: [{name: fcfs, provider: fcfs}]
replica_schedulers: [{scheduler: sarathi, chunk_size: 512}, {scheduler: vllm_v1, chunk_size: 256}]
slo_configs: [{name: ttft_p99_2s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 2}]}]
traces: [{name: chat, trace_file: $SRC/traces/chat_small.csv, max_seq_len: 4096, enable_prefix_caching: true}]
batch_sizes: [64]
tp_dimensions: [1]
pp_dimensions: [1, 2]
models: [{name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}]
search_configs: [{trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 2, qps: 2, num_requests: 60}]
EOF2
"$CAPSEARCH" --config "$T/sweep.yml" --output-dir "$T/out" --max-iterations 2 --time-limit 5 -j 2 > /dev/null 2> "$T/err"
check "the sweep runs" test $? -eq 0
CHECK=(python3 "$SRC/tests/vidur_analyzer_check.py" "$SRC/tests/data/vidur/analyzer_reads.txt")
"${CHECK[@]}" "$T/out" > "$T/check" 2>&1
check "every run directory has what Vidur's analyzer reads" test $? -eq 0 || cat "$T/check"
check "it found the runs" grep -qE "^runs: ([1-9][0-9]*), extracted: \1$" "$T/check"
run=$(ls -d "$T"/out/runs/*/*/*/ | head -1)
check "config.yml is flat YAML naming the device" grep -qx 'replica_device: "h100"' "$run/config.yml"
check "Vidur's file names: replica_1_memory_usage.json" test -f "$run/plots/replica_1_memory_usage.json"
check "per replica and stage (2 replicas, PP 2 jobs): replica_2_stage_2_mfu.json" \
  bash -c "ls '$T'/out/runs/*/*/*/plots/replica_2_stage_2_mfu.json > /dev/null 2>&1"
check "top-level output.log" grep -qE '^Simulation took time: [0-9]+\.[0-9]+$' "$T/out/output.log"
t1=$(sed -n 's/^Simulation took time: //p' "$T/out/output.log")
"$CAPSEARCH" --config "$T/sweep.yml" --output-dir "$T/out" --max-iterations 2 --time-limit 5 -j 2 > /dev/null 2>&1
t2=$(sed -n 's/^Simulation took time: //p' "$T/out/output.log")
check "a resume adds its time" python3 -c "import sys; sys.exit(not float('$t2') >= float('$t1'))"
# the check can fail: a run without config.yml is one the analyzer skips
rm "$run/config.yml"
"${CHECK[@]}" "$T/out" > "$T/check2" 2>&1
check "a run without config.yml is reported" bash -c "! grep -qE '^runs: ([0-9]+), extracted: \\1$' '$T/check2'"
exit $fail
