#!/usr/bin/env bash
# The sweep's progress line tells the truth: it counts jobs and probes, gives the estimate's
# basis (probes left, probes it learned the cost from, threads), and after Ctrl-C says it is
# stopping instead of printing an ETA.
set -u
CAPSEARCH=${1:?usage: test_cli_progress.sh CAPSEARCH}
SRC=${CS_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/check_lib.sh"
cat > "$T/sweep.yml" << EOF2
clusters: [{device: h100, network_device: h100_dgx, gpus_per_node: 8}, {device: a100, network_device: a100_dgx, gpus_per_node: 8}]
global_schedulers: [{scheduler: round_robin}]
request_queues: [{name: fcfs, provider: fcfs}]
replica_schedulers: [{scheduler: sarathi, chunk_size: 512}, {scheduler: vllm_v1, chunk_size: 512}]
slo_configs: [{name: ttft_p99_2s, type: and, quantile: 0.99, slos: [{metric: prefill_e2e_time, value: 2}]}]
traces: [{name: chat, trace_file: $SRC/traces/chat_small.csv, max_seq_len: 8192, enable_prefix_caching: true}]
batch_sizes: [128]
tp_dimensions: [1, 2]
pp_dimensions: [1]
models: [{name: Meta-Llama-3-8B, identifier: meta-llama/Meta-Llama-3-8B}]
search_configs: [{trace: chat, model: Meta-Llama-3-8B, search_for: qps, num_replicas: 1, qps: 2, num_requests: 600}]
EOF2
"$CAPSEARCH" --config "$T/sweep.yml" --output-dir "$T/out" --max-iterations 6 --time-limit 10 -j 2 > /dev/null 2> "$T/err" &
pid=$!
# wait for the first progress line (printed when the first probe finishes), then Ctrl-C
for _ in $(seq 1 100); do grep -q "elapsed" "$T/err" 2> /dev/null && break; sleep 0.1; done
kill -INT $pid
wait $pid
rc=$?
check "interrupted: exit 130" test $rc -eq 130
check "counts jobs and probes" grep -qE "jobs [0-9]+/8, probes [0-9]+ run \+ [0-9]+ reused" "$T/err"
check "the estimate says its basis" grep -qE "ETA [0-9hms]+ \(<= [0-9]+ probes left, cost learned from [0-9]+ probes?, [12] threads?\)" "$T/err"
last=$(grep "elapsed" "$T/err" | tail -1)
check "after Ctrl-C: stopping, no ETA" grep -q "stopping: running probes abandoned, no new ones (no ETA)" <<< "$last"
check "after Ctrl-C: no ETA figure" bash -c "! sed -n '/stopping/,\$p' '$T/err' | grep -qE 'ETA [0-9]'"

# Ctrl-C during a long probe (200 replicas, 400,000 requests: minutes of CPU) abandons it: the
# simulation notices the stop within 1024 events, nothing of it is committed, the job stays
# pending and the process exits promptly, saying so (it once finished the probe first, silently)
sed -e 's/tp_dimensions: \[1, 2\]/tp_dimensions: [1]/' -e 's/, {device: a100[^]]*}\]/]/' \
  -e 's/replica_schedulers: .*/replica_schedulers: [{scheduler: vllm_v1, chunk_size: 512}]/' \
  -e 's/num_replicas: 1, qps: 2, num_requests: 600/num_replicas: 200, qps: 400, num_requests: 400000/' \
  "$T/sweep.yml" > "$T/long.yml"
"$CAPSEARCH" --config "$T/long.yml" --output-dir "$T/long" --time-limit 0 -j 1 > /dev/null 2> "$T/long.err" &
pid=$!
for _ in $(seq 1 300); do grep -qs "simulating" "$T"/long/runs/*/*/output.log && break; sleep 0.1; done
sleep 1
kill -INT $pid
for _ in $(seq 1 300); do kill -0 $pid 2> /dev/null || break; sleep 0.1; done
if kill -0 $pid 2> /dev/null; then
  check "Ctrl-C abandons the running probe (still running 30 s later)" false
  kill -KILL $pid
fi
wait $pid
rc=$?
check "long probe interrupted: exit 130" test $rc -eq 130
check "long probe: stderr says the running simulations are abandoned" \
  grep -q "^capsearch: stopping: the running simulations are abandoned (not committed)" "$T/long.err"
check "long probe: nothing committed" test -z "$(find "$T/long" -name probe.json)"
check "long probe: its log says it was abandoned" grep -qs "interrupted: the running simulation was abandoned" \
  "$T"/long/runs/*/*/output.log
check "long probe: the job stays pending" grep -q ",pending,interrupted" "$T/long/results.csv"
exit $fail
